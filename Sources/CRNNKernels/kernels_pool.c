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
    _Alignas(64) atomic_uint go; /* job sequence number this worker is asked to join */
    int tid;
    pthread_t th;
    char pad[64];
} rk_worker;

static rk_worker workers[RK_MAXT];
static int nstarted = 1; /* thread 0 is the caller; workers[1..nstarted-1] exist */

/* The current job. Chunks are claimed with a CAS on `state` = seq << 32 | next << 16 | count, so a
   worker that wakes late (or was descheduled) can never take a chunk of a newer job, and a job
   completes as soon as all its chunks are done, whoever ran them: the caller runs every chunk
   itself if no worker shows up. The arguments are copied here so they outlive nothing. */
static _Alignas(64) atomic_ullong state;
static _Alignas(64) atomic_long done;
static rk_chunk_fn job_fn;
static _Alignas(64) unsigned char job_args[RK_MAX_ARGS];
static unsigned job_seq;
/* Jobs run with rk_pool_run_owned: chunk c belongs to thread c. `owned` = seq << 32 | mask of the
   chunks claimed so far (at most 32 chunks); job_nchunks is the job's chunk count. */
static atomic_int job_owned;
static atomic_long job_nchunks;
static _Alignas(64) atomic_ullong owned;

static pthread_mutex_t pool_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cv = PTHREAD_COND_INITIALIZER;
static _Alignas(64) atomic_int nsleep;

static atomic_int threads_setting; /* 0 = not yet initialised */
static long spin_ns = 1000000;     /* how long an idle worker spins before sleeping */

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
        if ((it & 255) == 0) {
            if (now_ns() - start > spin_ns) break;
            sched_yield(); /* let another process have the core while this one waits for work */
        }
    }
    pthread_mutex_lock(&sleep_mx);
    atomic_fetch_add(&nsleep, 1); /* seq_cst: pairs with the dispatcher's go store + nsleep load */
    while ((g = atomic_load(&w->go)) == seen) pthread_cond_wait(&sleep_cv, &sleep_mx);
    atomic_fetch_sub(&nsleep, 1);
    pthread_mutex_unlock(&sleep_mx);
    return g;
}

/* Claims the next chunk of an owned job `seq` for thread `tid`: chunk `tid` when nobody has started it,
   else the last chunk nobody has started (its thread is late or busy). -1 when none is left or the job
   is over. */
static long claim_owned(unsigned seq, int tid) {
    for (;;) {
        unsigned long long w = atomic_load_explicit(&owned, memory_order_acquire);
        if ((unsigned)(w >> 32) != seq) return -1;
        long count = atomic_load_explicit(&job_nchunks, memory_order_relaxed);
        unsigned long long all = count >= 32 ? 0xFFFFFFFFull : (1ull << count) - 1;
        unsigned long long free = ~w & all;
        if (!free) return -1;
        long pick = tid < count && (free & (1ull << tid)) ? tid : 63 - __builtin_clzll(free);
        if (atomic_compare_exchange_weak_explicit(&owned, &w, w | (1ull << pick), memory_order_acq_rel,
                                                  memory_order_acquire))
            return pick;
    }
}

/* Claims the next chunk of a shared job `seq` (any thread takes the next one). -1 when none is left or
   the job is over. */
static long claim_shared(unsigned seq) {
    unsigned long long st = atomic_load_explicit(&state, memory_order_acquire);
    for (;;) {
        if ((unsigned)(st >> 32) != seq) return -1;
        long idx = (long)((st >> 16) & 0xFFFF);
        if (idx >= (long)(st & 0xFFFF)) return -1;
        if (atomic_compare_exchange_weak_explicit(&state, &st, st + (1ull << 16), memory_order_acq_rel,
                                                  memory_order_acquire))
            return idx;
    }
}

/* Claims and runs chunks of job `seq` (on thread `tid`) until none is left; returns how many it ran. */
static long run_chunks(unsigned seq, int tid) {
    char ts[RK_TSTATE_BYTES] __attribute__((aligned(16)));
    int ts_init = 0;
    const int own = atomic_load_explicit(&job_owned, memory_order_relaxed);
    long ran = 0, idx;
    while ((idx = own ? claim_owned(seq, tid) : claim_shared(seq)) >= 0) {
        if (!ts_init) {
            memset(ts, 0, sizeof ts);
            ts_init = 1;
        }
        job_fn(job_args, idx, ts);
        ran++;
        atomic_fetch_add_explicit(&done, 1, memory_order_release);
    }
    return ran;
}

static atomic_long chunks_total, chunks_by_workers; /* statistics for benchmarks */

void rk_pool_stats(long *total, long *by_workers) {
    *total = atomic_load(&chunks_total);
    *by_workers = atomic_load(&chunks_by_workers);
}

static void *worker_main(void *arg) {
    rk_worker *w = arg;
    unsigned seen = 0;
    for (;;) {
        seen = wait_for_job(w, seen);
        long ran = run_chunks(seen, w->tid);
        if (ran) atomic_fetch_add_explicit(&chunks_by_workers, ran, memory_order_relaxed);
    }
    return NULL;
}

/* A forked child has none of the parent's workers: start afresh. */
static void after_fork_child(void) {
    nstarted = 1;
    atomic_store(&nsleep, 0);
    pthread_mutex_init(&pool_mx, NULL);
    pthread_mutex_init(&sleep_mx, NULL);
    pthread_cond_init(&sleep_cv, NULL);
}
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void register_fork_handler(void) { pthread_atfork(NULL, NULL, after_fork_child); }

/* Called with pool_mx held. Returns how many threads exist (>= 1). */
static int ensure_workers(int want) {
    if (want > RK_MAXT) want = RK_MAXT;
    if (nstarted >= want) return nstarted;
    pthread_once(&fork_once, register_fork_handler);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* workers never take signals */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (nstarted < want) {
        rk_worker *w = &workers[nstarted];
        w->tid = nstarted;
        atomic_store(&w->go, job_seq);
        if (pthread_create(&w->th, &attr, worker_main, w) != 0) break;
        nstarted++;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return nstarted;
}

static void pool_run(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads, int own) {
    if (nchunks <= 0) return;
    if (own && nchunks > 32) own = 0;
    if (nthreads > 1 && nchunks > 1 && nchunks <= 0xFFFF && args_size <= RK_MAX_ARGS &&
        pthread_mutex_trylock(&pool_mx) == 0) {
        int nt = ensure_workers(nthreads);
        if (nt > nthreads) nt = nthreads;
        if (nt > nchunks) nt = (int)nchunks;
        if (nt > 1) {
            memcpy(job_args, args, args_size);
            job_fn = fn;
            atomic_store_explicit(&done, 0, memory_order_relaxed);
            unsigned seq = ++job_seq;
            if (seq == 0) seq = ++job_seq;
            atomic_store_explicit(&job_owned, own, memory_order_relaxed);
            atomic_store_explicit(&job_nchunks, nchunks, memory_order_relaxed);
            atomic_store(&owned, (unsigned long long)seq << 32);
            atomic_store(&state, (unsigned long long)seq << 32 | (unsigned long long)nchunks);
            for (int t = 1; t < nt; t++) atomic_store(&workers[t].go, seq); /* seq_cst */
            if (atomic_load(&nsleep) > 0) {
                pthread_mutex_lock(&sleep_mx);
                pthread_cond_broadcast(&sleep_cv);
                pthread_mutex_unlock(&sleep_mx);
            }
            atomic_fetch_add_explicit(&chunks_total, nchunks, memory_order_relaxed);
            run_chunks(seq, 0);
            /* Chunks still running on workers: wait (yielding the CPU if it takes long, in case a
               worker was descheduled on an oversubscribed machine). */
            for (unsigned it = 1; atomic_load_explicit(&done, memory_order_acquire) < nchunks; it++) {
                cpu_relax();
                if ((it & 1023) == 0) sched_yield();
            }
            pthread_mutex_unlock(&pool_mx);
            return;
        }
        pthread_mutex_unlock(&pool_mx);
    }
    char ts[RK_TSTATE_BYTES] __attribute__((aligned(16)));
    memset(ts, 0, sizeof ts);
    for (long c = 0; c < nchunks; c++) fn(args, c, ts);
}

void rk_pool_run(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads) {
    pool_run(fn, args, args_size, nchunks, nthreads, 0);
}

void rk_pool_run_owned(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads) {
    pool_run(fn, args, args_size, nchunks, nthreads, 1);
}

/* Independent tasks, task i on thread i (see rnn_kernels.h). */
typedef struct {
    rk_task_fn fn;
    void *ctx;
} task_job;

static void task_chunk(const void *vj, long task, void *ts) {
    (void)ts;
    const task_job *j = vj;
    j->fn(j->ctx, task);
}

void rk_run_tasks(rk_task_fn fn, void *ctx, long ntasks) {
    task_job j = {fn, ctx};
    pool_run(task_chunk, &j, sizeof j, ntasks, rk_threads_setting(), 1);
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
