/*
 * Micro-benchmark (and quick self-check) for the CRNNKernels products.
 * Built by scripts/gemm-bench.sh together with the kernel sources.
 *
 *   gemm_bench              benchmark the standard shapes with 1 and 2 threads
 *   gemm_bench check        correctness sweep of every available path against a double reference
 *                           (small sizes; meant to be run under valgrind too)
 *   gemm_bench shape M K N [packed|unpacked] [threads]
 *                           one shape
 *   gemm_bench step UNITS BATCH DEPTH
 *                           where the time of one LSTM step goes (float, 2 threads): the recurrent
 *                           product, the element-wise part, a pool hand-off, the step as two calls
 *                           (product split across threads, element-wise on the calling thread) and
 *                           as one fused call, and the step's share of the hoisted input projection
 * Environment: UNROLL_KERNEL=portable|avx2|avx512 selects the path; BENCH_SECONDS (default 0.4)
 * is the measuring time per shape; BENCH_BATCH (default 0.02 s) the length of the timed batches,
 * of which the fastest is reported (shorter batches dodge other processes on a busy machine).
 */
#define _GNU_SOURCE
#include "rnn_fused.h"
#include "rnn_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void rk_tune(long skc, long smc, long dkc, long dmc, long parmin, long packbm);
void rk_pool_stats(long *total, long *by_workers);
typedef void (*rk_chunk_fn)(const void *args, long chunk, void *tstate);
void rk_pool_run(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads);
static double last_worker_share = -1; /* share of parallel chunks the worker threads ran */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned long long rng = 88172645463325252ull;
static double frand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double bench_seconds = 0.4;
static double batch_seconds = 0.02; /* timed batches at least this long; the best batch counts */

/* Best seconds per call of `body`: three warm-up calls, then batches (doubled while shorter than
   batch_seconds) until bench_seconds have passed; the fastest batch counts. */
#define BEST_SECONDS(result, body)                                                              \
    do {                                                                                        \
        for (int warm_ = 0; warm_ < 3; warm_++) { body; }                                       \
        long reps_ = 1;                                                                         \
        double best_ = 1e30, t0_ = now();                                                       \
        while (now() - t0_ < bench_seconds) {                                                   \
            double s_ = now();                                                                  \
            for (long r_ = 0; r_ < reps_; r_++) { body; }                                       \
            double e_ = now() - s_;                                                             \
            if (e_ / reps_ < best_) best_ = e_ / reps_;                                         \
            if (e_ < batch_seconds) reps_ *= 2;                                                 \
        }                                                                                       \
        result = best_;                                                                         \
    } while (0)

/* Returns GFLOP/s for C[m x n] = A[m x k] B[k x n] (float). */
static double bench_shape(long m, long k, long n, int packed, int threads, int is_double) {
    rk_set_threads(threads);
    size_t es = is_double ? 8 : 4;
    void *a = malloc(es * m * k), *b = malloc(es * k * n), *c = calloc((size_t)(m * n), es);
    for (long i = 0; i < m * k; i++) is_double ? (((double *)a)[i] = frand()) : (((float *)a)[i] = frand());
    for (long i = 0; i < k * n; i++) is_double ? (((double *)b)[i] = frand()) : (((float *)b)[i] = frand());
    rk_packed *pb = packed ? (is_double ? rk_dpack(k, n, b, n) : rk_spack(k, n, b, n)) : NULL;
    long tot0, w0, tot1, w1;
    rk_pool_stats(&tot0, &w0);
    double best;
    BEST_SECONDS(best, {
        if (pb) {
            if (is_double) rk_dpacked_gemm(m, a, k, pb, c, n, 1);
            else rk_spacked_gemm(m, a, k, pb, c, n, 1);
        } else {
            if (is_double) rk_dgemm(m, n, k, a, k, b, n, c, n, 1);
            else rk_sgemm(m, n, k, a, k, b, n, c, n, 1);
        }
    });
    rk_pool_stats(&tot1, &w1);
    last_worker_share = tot1 > tot0 ? (double)(w1 - w0) / (double)(tot1 - tot0) : -1;
    rk_packed_free(pb);
    free(a);
    free(b);
    free(c);
    return 2.0 * m * n * k / best * 1e-9;
}

/* ---------------- measured FMA peak (one core) ---------------- */

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static double fma_loop_512(long n) {
    double t0 = now();
    __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
                     "mov %0, %%rcx\n"
                     "1:\n\t"
#define F(r) "vfmadd231ps %%zmm0, %%zmm0, %%zmm" #r "\n\t"
                     F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15) F(16)
#undef F
                     "dec %%rcx\n\t"
                     "jnz 1b\n"
                     :
                     : "r"(n)
                     : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16");
    return n * 16.0 * 32 / (now() - t0) * 1e-9;
}
__attribute__((target("avx2,fma"))) static double fma_loop_256(long n) {
    double t0 = now();
    __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
                     "mov %0, %%rcx\n"
                     "1:\n\t"
#define F(r) "vfmadd231ps %%ymm0, %%ymm0, %%ymm" #r "\n\t"
                     F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
#undef F
                     "dec %%rcx\n\t"
                     "jnz 1b\n"
                     :
                     : "r"(n)
                     : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    return n * 15.0 * 16 / (now() - t0) * 1e-9;
}
#endif

/* Best of many short runs of independent float32 FMAs (GFLOP/s on one core), 0 if unknown. */
static double measured_core_peak(const char **isa) {
    double best = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    int z = __builtin_cpu_supports("avx512f"), y = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    *isa = z ? "AVX-512" : y ? "AVX2" : "none";
    for (int r = 0; r < 200 && (z || y); r++) {
        double g = z ? fma_loop_512(100000) : fma_loop_256(100000);
        if (g > best) best = g;
    }
#else
    *isa = "unknown";
#endif
    return best;
}

/* ---------------- activation throughput ---------------- */

static void bench_activations(void) {
    enum { N = 4096 };
    static float xs[N], ys[N];
    static double xd[N], yd[N];
    for (int i = 0; i < N; i++) xd[i] = xs[i] = (float)(8 * frand());
    struct {
        const char *name;
        int dbl;
        void (*fs)(long, const float *, float *);
        void (*fd)(long, const double *, double *);
    } acts[] = {{"tanh f32", 0, rk_stanh, NULL},
                {"sigmoid f32", 0, rk_ssigmoid, NULL},
                {"tanh f64", 1, NULL, rk_dtanh},
                {"sigmoid f64", 1, NULL, rk_dsigmoid}};
    printf("activations (%d elements, one thread):", N);
    for (int a = 0; a < 4; a++) {
        double best = 1e30;
        for (int r = 0; r < 2000; r++) {
            double t = now();
            if (acts[a].dbl) acts[a].fd(N, xd, yd);
            else acts[a].fs(N, xs, ys);
            t = now() - t;
            if (t < best) best = t;
        }
        printf("  %s %.2f ns/elem", acts[a].name, best / N * 1e9);
    }
    printf("\n");
}

/* ---------------- check mode ---------------- */

static int check_one(long m, long n, long k, int pad, int acc, int packed, int is_double, int threads) {
    rk_set_threads(threads);
    long lda = k + pad, ldb = n + pad, ldc = n + 2 * pad;
    size_t es = is_double ? 8 : 4;
    size_t na = (size_t)(m ? (m - 1) * lda + k : 0), nb = (size_t)(k ? (k - 1) * ldb + n : 0),
           nc = (size_t)(m ? (m - 1) * ldc + n : 0);
    /* exact-size allocations so valgrind sees any overrun */
    void *a = malloc(es * (na ? na : 1)), *b = malloc(es * (nb ? nb : 1)), *c = malloc(es * (nc ? nc : 1));
    double *c0 = malloc(sizeof(double) * (nc ? nc : 1));
    for (size_t i = 0; i < na; i++) is_double ? (((double *)a)[i] = frand()) : (((float *)a)[i] = (float)frand());
    for (size_t i = 0; i < nb; i++) is_double ? (((double *)b)[i] = frand()) : (((float *)b)[i] = (float)frand());
    for (size_t i = 0; i < nc; i++) {
        double v = frand();
        c0[i] = is_double ? v : (double)(float)v;
        is_double ? (((double *)c)[i] = v) : (((float *)c)[i] = (float)v);
    }
    if (packed) {
        rk_packed *p = is_double ? rk_dpack(k, n, b, ldb) : rk_spack(k, n, b, ldb);
        if (is_double) rk_dpacked_gemm(m, a, lda, p, c, ldc, acc);
        else rk_spacked_gemm(m, a, lda, p, c, ldc, acc);
        rk_packed_free(p);
    } else {
        if (is_double) rk_dgemm(m, n, k, a, lda, b, ldb, c, ldc, acc);
        else rk_sgemm(m, n, k, a, lda, b, ldb, c, ldc, acc);
    }
    int bad = 0;
    double tol = is_double ? 1e-13 : 1e-5;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < ldc && i * ldc + j < (long)nc; j++) {
            double got = is_double ? ((double *)c)[i * ldc + j] : ((float *)c)[i * ldc + j];
            double want;
            if (j < n) {
                want = acc ? c0[i * ldc + j] : 0;
                for (long p = 0; p < k; p++) {
                    double av = is_double ? ((double *)a)[i * lda + p] : ((float *)a)[i * lda + p];
                    double bv = is_double ? ((double *)b)[p * ldb + j] : ((float *)b)[p * ldb + j];
                    want += av * bv;
                }
            } else {
                want = c0[i * ldc + j]; /* padding must be untouched */
            }
            if (fabs(got - want) > tol * (1 + sqrt((double)k))) {
                if (bad < 3)
                    fprintf(stderr, "MISMATCH %s m=%ld n=%ld k=%ld pad=%d acc=%d packed=%d thr=%d at (%ld,%ld): %g vs %g\n",
                            is_double ? "d" : "s", m, n, k, pad, acc, packed, threads, i, j, got, want);
                bad++;
            }
        }
    free(a);
    free(b);
    free(c);
    free(c0);
    return bad != 0;
}

static int check_act(void) {
    int bad = 0;
    float xs[300], ys[300];
    double xd[300], yd[300];
    for (int rep = 0; rep < 2; rep++) {
        long n = 0;
        for (double v = -30; v <= 30; v += 0.25) {
            xs[n] = (float)v;
            xd[n] = v;
            n++;
        }
        n = 237; /* odd length exercises the tail */
        rk_stanh(n, xs, ys);
        rk_dtanh(n, xd, yd);
        for (long i = 0; i < n; i++) {
            if (fabs(ys[i] - tanh(xs[i])) > 2e-7) bad++;
            if (fabs(yd[i] - tanh(xd[i])) > 1e-15) bad++;
        }
        rk_ssigmoid(n, xs, ys);
        rk_dsigmoid(n, xd, yd);
        for (long i = 0; i < n; i++) {
            if (fabs(ys[i] - 1 / (1 + exp(-(double)xs[i]))) > 2e-7) bad++;
            if (fabs(yd[i] - 1 / (1 + exp(-xd[i]))) > 1e-15) bad++;
        }
    }
    if (bad) fprintf(stderr, "activation mismatches: %d\n", bad);
    return bad;
}

static int run_checks(void) {
    static const long sz[] = {1, 3, 17, 33, 70};
    int fails = 0, total = 0;
    const char *paths[] = {"portable", "avx2", "avx512"};
    for (int pi = 0; pi < 3; pi++) {
        if (!rk_kernel_supported(paths[pi])) {
            printf("path %-8s: not supported on this CPU, skipped\n", paths[pi]);
            continue;
        }
        rk_force_kernel(paths[pi]);
        int f0 = fails;
        for (int is_double = 0; is_double < 2; is_double++)
            for (int a = 0; a < 5; a++)
                for (int b = 0; b < 5; b++)
                    for (int c = 0; c < 5; c++)
                        for (int v = 0; v < 4; v++) {
                            int acc = v & 1, packed = (v >> 1) & 1;
                            fails += check_one(sz[a], sz[b], sz[c], (a + b + c + v) % 3 == 0 ? 0 : 5, acc, packed,
                                               is_double, ((a + c + v) & 1) + 1);
                            total++;
                        }
        /* zero sizes and one threaded bigger case */
        for (int is_double = 0; is_double < 2; is_double++) {
            fails += check_one(0, 5, 5, 1, 0, 0, is_double, 1);
            fails += check_one(5, 0, 5, 1, 0, 1, is_double, 1);
            fails += check_one(5, 7, 0, 1, 0, 0, is_double, 1);
            fails += check_one(5, 7, 0, 1, 1, 1, is_double, 1);
            fails += check_one(64, 300, 257, 3, 1, 0, is_double, 2);
            fails += check_one(64, 300, 257, 3, 0, 1, is_double, 2);
            fails += check_one(300, 70, 33, 2, 1, 0, is_double, 2); /* split by rows, B packed per call */
            fails += check_one(257, 33, 129, 0, 0, 1, is_double, 1);
            total += 8;
        }
        fails += check_act();
        printf("path %-8s (%s): %s\n", paths[pi], rk_kernel_name(), fails == f0 ? "ok" : "FAILED");
    }
    printf("%d cases, %d failed\n", total, fails);
    return fails != 0;
}

/* ---------------- one LSTM step, part by part ---------------- */


static void empty_chunk(const void *args, long chunk, void *ts) { (void)args; (void)chunk; (void)ts; }

static int bench_step(long u, long b, long d) {
    const long g = 4 * u, p = 32; /* parallel_iterations: steps whose input products are hoisted */
    float *wh = malloc(sizeof(float) * u * g), *wx = malloc(sizeof(float) * d * g);
    float *h = malloc(sizeof(float) * b * u), *c = malloc(sizeof(float) * b * u), *x = malloc(sizeof(float) * p * b * d);
    float *gates = malloc(sizeof(float) * p * b * g), *c2 = malloc(sizeof(float) * b * u), *h2 = malloc(sizeof(float) * b * u);
    if (!wh || !wx || !h || !c || !x || !gates || !c2 || !h2) return 1;
    for (long i = 0; i < u * g; i++) wh[i] = frand() * 0.05f;
    for (long i = 0; i < d * g; i++) wx[i] = frand() * 0.05f;
    for (long i = 0; i < b * u; i++) h[i] = frand(), c[i] = frand();
    for (long i = 0; i < p * b * d; i++) x[i] = frand();
    for (long i = 0; i < p * b * g; i++) gates[i] = frand();
    rk_packed *pwh = rk_spack(u, g, wh, g), *pwx = rk_spack(d, g, wx, g);
    double prod1, prod2, ew, handoff, two_calls, fused, proj;
    rk_set_threads(1);
    BEST_SECONDS(prod1, rk_spacked_gemm(b, h, u, pwh, gates, g, 1));
    BEST_SECONDS(ew, rk_slstm_step(b, u, gates, g, c, 1.0f, NULL, NULL, NULL, -1.0f, 0, c2, h2, u, NULL, NULL, NULL, NULL));
    rk_set_threads(2);
    BEST_SECONDS(prod2, rk_spacked_gemm(b, h, u, pwh, gates, g, 1));
    BEST_SECONDS(handoff, rk_pool_run(empty_chunk, NULL, 0, 2, 2));
    BEST_SECONDS(two_calls, {
        rk_spacked_gemm(b, h, u, pwh, gates, g, 1);
        rk_slstm_step(b, u, gates, g, c, 1.0f, NULL, NULL, NULL, -1.0f, 0, c2, h2, u, NULL, NULL, NULL, NULL);
    });
    BEST_SECONDS(fused, rk_slstm_recurrent(pwh, b, h, u, gates, g, u, c, 1.0f, NULL, NULL, NULL, -1.0f, 0, c2, h2, u, NULL, NULL, NULL, NULL));
    BEST_SECONDS(proj, rk_spacked_gemm(p * b, x, d, pwx, gates, g, 1));
    proj /= (double)p;
    double flops = 2.0 * b * u * g;
    printf("one LSTM step, %ld units, batch %ld, input depth %ld (float32, %s; microseconds):\n", u, b, d, rk_kernel_name());
    printf("  recurrent product h·W_h (%ldx%ldx%ld)   1 thread %9.1f (%.1f GFLOP/s)   2 threads %9.1f (%.1f GFLOP/s)\n",
           b, u, g, prod1 * 1e6, flops / prod1 * 1e-9, prod2 * 1e6, flops / prod2 * 1e-9);
    printf("  element-wise part (%ld units)           1 thread %9.1f\n", b * u, ew * 1e6);
    printf("  pool hand-off (an empty job)                      %9.2f\n", handoff * 1e6);
    printf("  step as two calls (split product, then element-wise on the caller)   %9.1f\n", two_calls * 1e6);
    printf("  step as one fused call (each thread: its units' product and element-wise)  %9.1f\n", fused * 1e6);
    printf("  hoisted input projection, per step (%ld steps at once, 2 threads)    %9.1f\n", p, proj * 1e6);
    rk_packed_free(pwh);
    rk_packed_free(pwx);
    free(wh); free(wx); free(h); free(c); free(x); free(gates); free(c2); free(h2);
    return 0;
}

int main(int argc, char **argv) {
    const char *bs = getenv("BENCH_SECONDS");
    if (bs) bench_seconds = atof(bs);
    const char *bb = getenv("BENCH_BATCH");
    if (bb) batch_seconds = atof(bb);
    const char *tune = getenv("BENCH_TUNE"); /* "skc,smc,dkc,dmc,parmin,packbm" */
    if (tune) {
        long v[6] = {0, 0, 0, 0, -1, -1};
        sscanf(tune, "%ld,%ld,%ld,%ld,%ld,%ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
        rk_tune(v[0], v[1], v[2], v[3], v[4], v[5]);
    }
    if (argc > 1 && !strcmp(argv[1], "check")) return run_checks();
    if (argc > 4 && !strcmp(argv[1], "step")) return bench_step(atol(argv[2]), atol(argv[3]), atol(argv[4]));
    if (argc > 4 && !strcmp(argv[1], "shape")) {
        long m = atol(argv[2]), k = atol(argv[3]), n = atol(argv[4]);
        int packed = argc > 5 ? strcmp(argv[5], "unpacked") != 0 : 1;
        int thr = argc > 6 ? atoi(argv[6]) : 1;
        int dbl = argc > 7 && !strcmp(argv[7], "double");
        double g = bench_shape(m, k, n, packed, thr, dbl);
        printf("%s m=%ld k=%ld n=%ld %s threads=%d %s: %.1f GFLOP/s", rk_kernel_name(), m, k, n,
               packed ? "packed" : "unpacked", thr, dbl ? "f64" : "f32", g);
        if (last_worker_share >= 0) printf("  (workers ran %.0f%% of the chunks)", 100 * last_worker_share);
        printf("\n");
        return 0;
    }
    static const struct {
        long m, k, n;
        int packed, dbl;
        const char *what;
    } shapes[] = {
        {4, 48, 128, 1, 0, "tiny recurrent"},
        {32, 256, 1024, 1, 0, "recurrent step"},
        {64, 1536, 4096, 1, 0, "large recurrent step"},
        {3200, 128, 1024, 0, 0, "hoisted input projection"},
        {32, 256, 1024, 0, 0, "recurrent step, unpacked B"},
        {32, 256, 1024, 1, 1, "recurrent step"},
        {3200, 128, 1024, 0, 1, "hoisted input projection"},
    };
    const char *isa = "";
    double core_peak = measured_core_peak(&isa);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (core_peak > 0)
        printf("measured %s FMA throughput: %.1f GFLOP/s float32 per core (independent FMAs in registers); "
               "x %ld cores = %.0f GFLOP/s, the peak the last column compares with (float64: half)\n",
               isa, core_peak, ncpu, core_peak * ncpu);
    printf("kernel path: %s\n", rk_kernel_name());
    printf("%-28s %5s %5s %5s %-8s %-4s %10s %10s %7s\n", "shape", "m", "k", "n", "B", "type", "1 thread", "2 threads",
           "of peak");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        double g1 = bench_shape(shapes[i].m, shapes[i].k, shapes[i].n, shapes[i].packed, 1, shapes[i].dbl);
        double g2 = bench_shape(shapes[i].m, shapes[i].k, shapes[i].n, shapes[i].packed, 2, shapes[i].dbl);
        char share[48] = "";
        if (last_worker_share >= 0) snprintf(share, sizeof share, "  (worker ran %.0f%% of chunks)", 100 * last_worker_share);
        else snprintf(share, sizeof share, "  (single-threaded by design)");
        double peak2 = core_peak * (ncpu < 2 ? ncpu : 2) / (shapes[i].dbl ? 2 : 1);
        char of_peak[16] = "";
        if (peak2 > 0) snprintf(of_peak, sizeof of_peak, "%6.0f%%", 100 * g2 / peak2);
        printf("%-28s %5ld %5ld %5ld %-8s %-4s %10.1f %10.1f %7s  GFLOP/s%s\n", shapes[i].what, shapes[i].m,
               shapes[i].k, shapes[i].n, shapes[i].packed ? "packed" : "unpacked", shapes[i].dbl ? "f64" : "f32", g1, g2,
               of_peak, share);
    }
    bench_activations();
    return 0;
}
