/*
 * Run-time dispatch, packing and the blocked GEMM drivers (float and double).
 *
 * Loop structure of one thread's share (GotoBLAS / BLIS style, row-major):
 *   for pc in k by KC:                       (B slab kc x cols; packed on the fly if needed)
 *     for ic in rows by MC:  pack A[ic.., pc..] into MR-row slivers (per-thread scratch)
 *       for jr in cols by NR:                (B micro-panel kc x NR stays in L1)
 *         for ir in ic block by MR:  micro-kernel  C[ir.., jr..] (+)= A sliver * B micro-panel
 * Work is split across threads by column panels (or by rows when there are few panels).
 */
#include "rk_internal.h"
#include "rnn_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------- dispatch ---------------- */

static _Atomic(const rk_impl *) cur_impl;

static int cpu_has_avx2(void) {
#if RK_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
static int cpu_has_avx512(void) {
#if RK_X86
    __builtin_cpu_init();
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

static const rk_impl *best_impl(void) {
#if RK_X86
    if (cpu_has_avx512()) return &rk_impl_avx512;
    if (cpu_has_avx2()) return &rk_impl_avx2;
#endif
    return &rk_impl_portable;
}

/* Returns the implementation named (NULL if unknown or unsupported on this CPU). */
static const rk_impl *impl_named(const char *name) {
    if (!name || !*name || !strcasecmp(name, "auto")) return best_impl();
    if (!strcasecmp(name, "portable") || !strcasecmp(name, "scalar")) return &rk_impl_portable;
#if RK_X86
    if (!strcasecmp(name, "avx2") || !strcasecmp(name, "avx2+fma"))
        return cpu_has_avx2() ? &rk_impl_avx2 : NULL;
    if (!strcasecmp(name, "avx512") || !strcasecmp(name, "avx512f"))
        return cpu_has_avx512() ? &rk_impl_avx512 : NULL;
#endif
    return NULL;
}

static const rk_impl *impl(void) {
    const rk_impl *p = atomic_load_explicit(&cur_impl, memory_order_acquire);
    if (__builtin_expect(p != NULL, 1)) return p;
    const char *env = getenv("UNROLL_KERNEL");
    p = impl_named(env);
    if (!p) p = best_impl();
    const rk_impl *expected = NULL;
    if (!atomic_compare_exchange_strong(&cur_impl, &expected, p)) p = expected;
    return p;
}

int rk_force_kernel(const char *name) {
    const rk_impl *p = impl_named(name);
    if (!p) return -1;
    atomic_store(&cur_impl, p);
    return 0;
}

int rk_kernel_supported(const char *name) {
    if (!name) return 0;
    return impl_named(name) != NULL;
}

const char *rk_kernel_name(void) { return impl()->name; }

/* ---------------- activations ---------------- */

void rk_stanh(long n, const float *x, float *y) { if (n > 0) impl()->stanh(n, x, y); }
void rk_ssigmoid(long n, const float *x, float *y) { if (n > 0) impl()->ssigmoid(n, x, y); }
void rk_dtanh(long n, const double *x, double *y) { if (n > 0) impl()->dtanh(n, x, y); }
void rk_dsigmoid(long n, const double *x, double *y) { if (n > 0) impl()->dsigmoid(n, x, y); }

/* ---------------- packed right-hand matrices ---------------- */

struct rk_packed {
    long k, n;
    int is_double;
    void *data; /* panels: ceil(n / NRP) x k x NRP, zero padded */
};

#define DEFINE_PACK(SUF, T, NRP)                                                                   \
    static void pack_panels_##SUF(long k, long j0, long j1, const T *b, long ldb, T *dst) {       \
        /* columns j0..j1 (j0 multiple of NRP) of the k x n matrix b into panels at dst */        \
        for (long j = j0; j < j1; j += NRP) {                                                     \
            long w = j1 - j < NRP ? j1 - j : NRP;                                                 \
            T *d = dst + ((j - j0) / NRP) * k * NRP;                                              \
            const T *s = b + j;                                                                   \
            if (w == NRP) {                                                                       \
                for (long p = 0; p < k; p++, d += NRP, s += ldb) memcpy(d, s, sizeof(T) * NRP);   \
            } else {                                                                              \
                for (long p = 0; p < k; p++, d += NRP, s += ldb) {                                \
                    memcpy(d, s, sizeof(T) * (size_t)w);                                          \
                    memset(d + w, 0, sizeof(T) * (size_t)(NRP - w));                              \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    rk_packed *rk_##SUF##pack(long k, long n, const T *b, long ldb) {                             \
        if (k < 0 || n < 0) return NULL;                                                          \
        rk_packed *p = calloc(1, sizeof *p);                                                      \
        if (!p) return NULL;                                                                      \
        p->k = k;                                                                                 \
        p->n = n;                                                                                 \
        p->is_double = sizeof(T) == 8;                                                            \
        long np = (n + NRP - 1) / NRP;                                                            \
        size_t bytes = sizeof(T) * (size_t)np * (size_t)k * NRP;                                  \
        if (bytes) {                                                                              \
            if (posix_memalign(&p->data, 64, bytes) != 0) {                                       \
                free(p);                                                                          \
                return NULL;                                                                      \
            }                                                                                     \
            pack_panels_##SUF(k, 0, n, b, ldb, (T *)p->data);                                     \
        }                                                                                         \
        return p;                                                                                 \
    }

DEFINE_PACK(s, float, RK_SNRP)
DEFINE_PACK(d, double, RK_DNRP)

void rk_packed_free(rk_packed *p) {
    if (p) {
        free(p->data);
        free(p);
    }
}
long rk_packed_rows(const rk_packed *p) { return p ? p->k : 0; }
long rk_packed_cols(const rk_packed *p) { return p ? p->n : 0; }

/* ---------------- GEMM driver ---------------- */

/* Blocking (elements). KC: depth of one B micro-panel (kc x NR must sit in L1 with an A sliver);
   MC: rows of the A block kept in L2. */
static long s_kc = 256, s_mc = 120;
static long d_kc = 192, d_mc = 96;
static long par_min_macs = 160000; /* products smaller than this run on the calling thread */
static long packb_min_m = 32;      /* unpacked B is packed per call when m >= this */

void rk_tune(long skc, long smc, long dkc, long dmc, long parmin, long packbm) {
    if (skc > 0) s_kc = skc;
    if (smc > 0) s_mc = smc;
    if (dkc > 0) d_kc = dkc;
    if (dmc > 0) d_mc = dmc;
    if (parmin >= 0) par_min_macs = parmin;
    if (packbm >= 0) packb_min_m = packbm;
}

#define DEFINE_GEMM(SUF, T, NRP, KCV, MCV, KERNT, KTAB, MRF, NRF)                                  \
    typedef struct {                                                                              \
        long m, n, k;                                                                             \
        const T *a;                                                                               \
        long lda;                                                                                 \
        const T *b; /* unpacked B (bp == NULL) */                                                 \
        long ldb;                                                                                 \
        const T *bp; /* packed panels over the full k, or NULL */                                 \
        int pack_b;  /* unpacked: pack each kc slab of my columns first */                        \
        T *c;                                                                                     \
        long ldc;                                                                                 \
        int acc;                                                                                  \
        int by_rows; /* split threads over rows instead of column panels */                       \
        const rk_impl *im;                                                                        \
        long kcb, mcb;                                                                            \
    } gemm_job_##SUF;                                                                             \
                                                                                                  \
    static void pack_a_##SUF(long mc, long kc, const T *a, long lda, T *dst, int MR) {            \
        for (long ir = 0; ir < mc; ir += MR) {                                                    \
            int mr = mc - ir < MR ? (int)(mc - ir) : MR;                                          \
            T *d = dst + ir * kc;                                                                 \
            for (int i = 0; i < mr; i++) {                                                        \
                const T *s = a + (ir + i) * lda;                                                  \
                for (long p = 0; p < kc; p++) d[p * MR + i] = s[p];                               \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
                                                                                                  \
    static void naive_##SUF(long m, long n, long k, const T *a, long lda, const T *b, long ldb,   \
                            T *c, long ldc, int acc) {                                            \
        for (long i = 0; i < m; i++) {                                                            \
            T *ci = c + i * ldc;                                                                  \
            if (!acc) memset(ci, 0, sizeof(T) * (size_t)n);                                       \
            for (long p = 0; p < k; p++) {                                                        \
                T av = a[i * lda + p];                                                            \
                const T *bp = b + p * ldb;                                                        \
                for (long j = 0; j < n; j++) ci[j] += av * bp[j];                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
                                                                                                  \
    static void gemm_task_##SUF(void *vctx, int tid, int nt) {                                    \
        const gemm_job_##SUF *g = vctx;                                                           \
        const rk_impl *im = g->im;                                                                \
        const int MR = im->MRF, NR = im->NRF;                                                     \
        long i0 = 0, i1 = g->m, j0 = 0, j1 = g->n;                                                \
        if (g->by_rows) {                                                                         \
            long ns = (g->m + MR - 1) / MR;                                                       \
            i0 = (ns * tid / nt) * MR;                                                            \
            i1 = (ns * (tid + 1) / nt) * MR;                                                      \
            if (i1 > g->m) i1 = g->m;                                                             \
        } else {                                                                                  \
            long np = (g->n + NRP - 1) / NRP;                                                     \
            j0 = (np * tid / nt) * NRP;                                                           \
            j1 = (np * (tid + 1) / nt) * NRP;                                                     \
            if (j1 > g->n) j1 = g->n;                                                             \
        }                                                                                         \
        if (i0 >= i1 || j0 >= j1) return;                                                         \
        const long k = g->k, KC = g->kcb, MC = g->mcb;                                            \
        long mcmax = i1 - i0 < MC ? i1 - i0 : MC;                                                 \
        long kcmax = k < KC ? k : KC;                                                             \
        T *abuf = rk_scratch(0, sizeof(T) * (size_t)(((mcmax + MR - 1) / MR) * MR) *              \
                                    (size_t)kcmax);                                               \
        T *bbuf = NULL;                                                                           \
        if (g->pack_b)                                                                            \
            bbuf = rk_scratch(1, sizeof(T) * (size_t)kcmax * (size_t)(((j1 - j0 + NRP - 1) / NRP) * NRP)); \
        if (!abuf || (g->pack_b && !bbuf)) {                                                      \
            if (g->bp) { /* cannot happen in practice: scratch allocation failed */               \
                return;                                                                           \
            }                                                                                     \
            naive_##SUF(i1 - i0, j1 - j0, k, g->a + i0 * g->lda, g->lda, g->b + j0, g->ldb,       \
                        g->c + i0 * g->ldc + j0, g->ldc, g->acc);                                 \
            return;                                                                               \
        }                                                                                         \
        for (long pc = 0; pc < k; pc += KC) {                                                     \
            long kc = k - pc < KC ? k - pc : KC;                                                  \
            int flags = (pc > 0 || g->acc) ? RK_LOADC : 0;                                        \
            if (g->pack_b) pack_panels_##SUF(kc, j0, j1, g->b + pc * g->ldb, g->ldb, bbuf);       \
            for (long ic = i0; ic < i1; ic += MC) {                                               \
                long mc = i1 - ic < MC ? i1 - ic : MC;                                            \
                pack_a_##SUF(mc, kc, g->a + ic * g->lda + pc, g->lda, abuf, MR);                  \
                for (long jr = j0; jr < j1; jr += NR) {                                           \
                    long nr = j1 - jr < NR ? j1 - jr : NR;                                        \
                    const T *bb;                                                                  \
                    long ldb;                                                                     \
                    int fl = flags;                                                               \
                    if (g->bp) {                                                                  \
                        bb = g->bp + (jr / NRP) * k * NRP + pc * NRP + (jr % NRP);                \
                        ldb = NRP;                                                                \
                    } else if (g->pack_b) {                                                       \
                        bb = bbuf + ((jr - j0) / NRP) * kc * NRP + ((jr - j0) % NRP);             \
                        ldb = NRP;                                                                \
                    } else {                                                                      \
                        bb = g->b + pc * g->ldb + jr;                                             \
                        ldb = g->ldb;                                                             \
                        if (nr < NR) fl |= RK_BMASK;                                              \
                    }                                                                             \
                    T *cc = g->c + ic * g->ldc + jr;                                              \
                    for (long ir = 0; ir < mc; ir += MR) {                                        \
                        int mr = mc - ir < MR ? (int)(mc - ir) : MR;                              \
                        im->KTAB[mr](kc, abuf + ir * kc, bb, ldb, cc + ir * g->ldc, g->ldc, nr, fl); \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
                                                                                                  \
    static void gemm_run_##SUF(gemm_job_##SUF *g) {                                               \
        long m = g->m, n = g->n, k = g->k;                                                        \
        if (m <= 0 || n <= 0) return;                                                             \
        if (k <= 0) {                                                                             \
            if (!g->acc)                                                                          \
                for (long i = 0; i < m; i++) memset(g->c + i * g->ldc, 0, sizeof(T) * (size_t)n); \
            return;                                                                               \
        }                                                                                         \
        const rk_impl *im = impl();                                                               \
        g->im = im;                                                                               \
        g->kcb = KCV;                                                                             \
        g->mcb = MCV;                                                                             \
        double macs = (double)m * (double)n * (double)k;                                          \
        int nt = 1;                                                                               \
        int T_ = rk_threads_setting();                                                            \
        if (T_ > 1 && macs >= (double)par_min_macs) {                                             \
            long np = (n + NRP - 1) / NRP, ns = (m + im->MRF - 1) / im->MRF;                      \
            long maxt = (long)(macs / (double)(par_min_macs / 2 > 0 ? par_min_macs / 2 : 1));     \
            if (maxt < 1) maxt = 1;                                                               \
            nt = T_ < maxt ? T_ : (int)maxt;                                                      \
            if (np >= 4L * nt || np >= ns) {                                                      \
                g->by_rows = 0;                                                                   \
                if (nt > np) nt = (int)np;                                                        \
            } else {                                                                              \
                g->by_rows = 1;                                                                   \
                if (nt > ns) nt = (int)ns;                                                        \
            }                                                                                     \
        }                                                                                         \
        if (nt > 1)                                                                               \
            rk_pool_run(gemm_task_##SUF, g, nt);                                                  \
        else                                                                                      \
            gemm_task_##SUF(g, 0, 1);                                                             \
    }                                                                                             \
                                                                                                  \
    void rk_##SUF##gemm(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c, \
                        long ldc, int accumulate) {                                               \
        gemm_job_##SUF g;                                                                         \
        memset(&g, 0, sizeof g);                                                                  \
        g.m = m; g.n = n; g.k = k; g.a = a; g.lda = lda; g.b = b; g.ldb = ldb;                    \
        g.c = c; g.ldc = ldc; g.acc = accumulate;                                                 \
        g.pack_b = m >= packb_min_m;                                                              \
        gemm_run_##SUF(&g);                                                                       \
    }                                                                                             \
                                                                                                  \
    void rk_##SUF##packed_gemm(long m, const T *a, long lda, const rk_packed *b, T *c, long ldc,  \
                               int accumulate) {                                                  \
        if (!b || b->is_double != (sizeof(T) == 8)) return;                                       \
        gemm_job_##SUF g;                                                                         \
        memset(&g, 0, sizeof g);                                                                  \
        g.m = m; g.n = b->n; g.k = b->k; g.a = a; g.lda = lda; g.bp = (const T *)b->data;         \
        g.c = c; g.ldc = ldc; g.acc = accumulate;                                                 \
        gemm_run_##SUF(&g);                                                                       \
    }

DEFINE_GEMM(s, float, RK_SNRP, s_kc, s_mc, rk_skern, sk, smr, snr)
DEFINE_GEMM(d, double, RK_DNRP, d_kc, d_mc, rk_dkern, dk, dmr, dnr)
