/*
 * Persistent worker pool for the matrix products, and per-thread scratch buffers.
 *
 * Workers spin on their own "go" counter for a short while after each job (so back-to-back
 * products of a time loop dispatch in well under a microsecond) and then sleep on a condition
 * variable. One product at a time owns the pool (pool_mx, taken with trylock); a product issued
 * while another thread owns the pool simply runs on its calling thread.
 */
#define _GNU_SOURCE
#include "rk_internal.h"
#include "rnn_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RK_MAXT 64
#define RK_DEFAULT_CAP 16

#if RK_X86
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

typedef struct {
    _Alignas(64) atomic_uint go;
    int tid;
    pthread_t th;
    char pad[64];
} rk_worker;

static rk_worker workers[RK_MAXT];
static int nstarted = 1; /* thread 0 is the caller; workers[1..nstarted-1] exist */

static struct {
    rk_task fn;
    void *ctx;
    int nt;
} job;
static _Alignas(64) atomic_int pending;

static pthread_mutex_t pool_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cv = PTHREAD_COND_INITIALIZER;
static _Alignas(64) atomic_int nsleep;

static atomic_int threads_setting; /* 0 = not yet initialised */
static long spin_ns = 2000000;     /* how long an idle worker spins before sleeping */

static int online_cpus(void) {
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int c = CPU_COUNT(&set);
        if (c > 0) return c;
    }
#endif
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static unsigned wait_for_job(rk_worker *w, unsigned seen) {
    unsigned g;
    long start = now_ns();
    for (unsigned it = 1;; it++) {
        g = atomic_load_explicit(&w->go, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
        if ((it & 255) == 0 && now_ns() - start > spin_ns) break;
    }
    pthread_mutex_lock(&sleep_mx);
    atomic_fetch_add(&nsleep, 1); /* seq_cst: pairs with the dispatcher's go increment + nsleep load */
    while ((g = atomic_load(&w->go)) == seen) pthread_cond_wait(&sleep_cv, &sleep_mx);
    atomic_fetch_sub(&nsleep, 1);
    pthread_mutex_unlock(&sleep_mx);
    return g;
}

static void *worker_main(void *arg) {
    rk_worker *w = arg;
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_job(w, seen);
        job.fn(job.ctx, w->tid, job.nt);
        atomic_fetch_sub_explicit(&pending, 1, memory_order_release);
    }
    return NULL;
}

/* Called with pool_mx held. Returns how many threads exist (>= 1). */
static int ensure_workers(int want) {
    if (want > RK_MAXT) want = RK_MAXT;
    if (nstarted >= want) return nstarted;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* workers never take signals */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (nstarted < want) {
        rk_worker *w = &workers[nstarted];
        w->tid = nstarted;
        atomic_store(&w->go, 0);
        if (pthread_create(&w->th, &attr, worker_main, w) != 0) break;
        nstarted++;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return nstarted;
}

int rk_pool_run(rk_task task, void *ctx, int nthreads) {
    if (nthreads > 1 && pthread_mutex_trylock(&pool_mx) == 0) {
        int nt = ensure_workers(nthreads);
        if (nt > nthreads) nt = nthreads;
        if (nt > 1) {
            job.fn = task;
            job.ctx = ctx;
            job.nt = nt;
            atomic_store_explicit(&pending, nt - 1, memory_order_relaxed);
            for (int t = 1; t < nt; t++) atomic_fetch_add(&workers[t].go, 1); /* seq_cst, publishes job */
            if (atomic_load(&nsleep) > 0) {
                pthread_mutex_lock(&sleep_mx);
                pthread_cond_broadcast(&sleep_cv);
                pthread_mutex_unlock(&sleep_mx);
            }
            task(ctx, 0, nt);
            while (atomic_load_explicit(&pending, memory_order_acquire) > 0) cpu_relax();
            pthread_mutex_unlock(&pool_mx);
            return nt;
        }
        pthread_mutex_unlock(&pool_mx);
    }
    task(ctx, 0, 1);
    return 1;
}

static int default_threads(void) {
    const char *s = getenv("UNROLL_THREADS");
    int n = s ? atoi(s) : 0;
    if (n <= 0) {
        n = online_cpus();
        if (n > RK_DEFAULT_CAP) n = RK_DEFAULT_CAP;
    }
    if (n > RK_MAXT) n = RK_MAXT;
    const char *sp = getenv("UNROLL_SPIN_US");
    if (sp) spin_ns = atol(sp) * 1000L;
    return n;
}

int rk_threads_setting(void) {
    int n = atomic_load_explicit(&threads_setting, memory_order_relaxed);
    if (n == 0) {
        int d = default_threads();
        int expected = 0;
        atomic_compare_exchange_strong(&threads_setting, &expected, d);
        n = atomic_load(&threads_setting);
    }
    return n;
}

void rk_set_threads(int n) {
    if (n <= 0) n = online_cpus();
    if (n > RK_MAXT) n = RK_MAXT;
    atomic_store(&threads_setting, n);
}

int rk_get_threads(void) { return rk_threads_setting(); }

/* ---- per-thread scratch ---- */

#define RK_NSLOTS 2
typedef struct {
    void *p[RK_NSLOTS];
    size_t cap[RK_NSLOTS];
} rk_tls;

static __thread rk_tls *tls_bufs;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *v) {
    rk_tls *t = v;
    if (!t) return;
    for (int i = 0; i < RK_NSLOTS; i++) free(t->p[i]);
    free(t);
}
static void tls_init(void) { pthread_key_create(&tls_key, tls_free); }

void *rk_scratch(int slot, size_t bytes) {
    rk_tls *t = tls_bufs;
    if (!t) {
        pthread_once(&tls_once, tls_init);
        t = calloc(1, sizeof *t);
        if (!t) return NULL;
        tls_bufs = t;
        pthread_setspecific(tls_key, t);
    }
    if (bytes > t->cap[slot]) {
        size_t cap = t->cap[slot] ? t->cap[slot] : 4096;
        while (cap < bytes) cap *= 2;
        free(t->p[slot]);
        t->p[slot] = NULL;
        t->cap[slot] = 0;
        void *p = NULL;
        if (posix_memalign(&p, 64, cap) != 0) return NULL;
        t->p[slot] = p;
        t->cap[slot] = cap;
    }
    return t->p[slot];
}
