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
#include "rk_template.h"
#include "rnn_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#if defined(__linux__)
#include <sys/mman.h> /* madvise */
#endif
#if defined(__GLIBC__)
#include <malloc.h> /* mallopt */
#endif

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

const rk_impl *rk_current_impl(void) { return impl(); }

/* ---------------- activations ---------------- */

void rk_stanh(long n, const float *x, float *y) { if (n > 0) impl()->stanh(n, x, y); }
void rk_ssigmoid(long n, const float *x, float *y) { if (n > 0) impl()->ssigmoid(n, x, y); }
void rk_dtanh(long n, const double *x, double *y) { if (n > 0) impl()->dtanh(n, x, y); }
void rk_dsigmoid(long n, const double *x, double *y) { if (n > 0) impl()->dsigmoid(n, x, y); }

/* ---------------- packed right-hand matrices ---------------- */

void rk_packed_free(rk_packed *p) {
    if (p) {
        rk_free(p->data);
        free(p);
    }
}
long rk_packed_rows(const rk_packed *p) { return p ? p->k : 0; }
long rk_packed_cols(const rk_packed *p) { return p ? p->n : 0; }

/* ---------------- GEMM driver ---------------- */

/* Blocking (elements). KC: depth of one B micro-panel (kc x NR, read by every A sliver of a block from
   L1/L2); MC: rows of an A block kept in L2 (a multiple of every MR). Float KC 512 rather than 256: C
   tiles are loaded and stored half as often for deep products, and the prefetched panel streams from L2
   fast enough; on a Zen 4 (scripts/gemm-bench.sh, 2 threads) 64x1024x4096 went 194 -> 205 GFLOP/s,
   3200x4096x512 180 -> 193, 64x4096x1024 199 -> 205, the 256-deep shapes unchanged. */
static long s_kc = 512, s_mc = 120;
static long d_kc = 192, d_mc = 96;
static long par_min_macs = 160000; /* products smaller than this run on the calling thread */
static long packb_min_m = 16;      /* an unpacked B larger than L2 is packed per call when m >= this */
static long rows_min_m = 241;      /* m from which work is split by row blocks (else by columns) */

int rk_threads_for(double macs) {
    int tset = rk_threads_setting();
    if (tset <= 1 || macs < (double)par_min_macs) return 1;
    double maxt = macs / (double)(par_min_macs / 2 > 0 ? par_min_macs / 2 : 1);
    return (double)tset < maxt ? tset : (int)maxt;
}

void rk_tune(long skc, long smc, long dkc, long dmc, long parmin, long packbm) {
    if (skc > 0) s_kc = skc;
    if (smc > 0) s_mc = smc / 24 * 24 > 0 ? smc / 24 * 24 : 24;
    if (dkc > 0) d_kc = dkc;
    if (dmc > 0) d_mc = dmc / 24 * 24 > 0 ? dmc / 24 * 24 : 24;
    if (parmin >= 0) par_min_macs = parmin;
    if (packbm >= 0) packb_min_m = packbm;
}

/*
 * A product is cut into chunks, each a block of rows x columns of C:
 *  - by columns (m < rows_min_m): chunk = a run of column panels, all rows. Every thread packs all
 *    of A once per product (cached in its tstate) and, when B is not packed yet, packs the kc-slabs
 *    of its own chunk's columns;
 *  - by rows (large m): chunk = MC rows, all columns, against B packed in full beforehand.
 */
enum { B_PACKED = 0, B_DIRECT = 1, B_SLAB = 2 };

typedef struct {
    int apacked; /* this thread has packed A for the current product */
} gemm_tstate;

/* ---------------- packing and the driver, once per scalar type ---------------- */

#define T float
#define RK_SUF s
#define NRP RK_SNRP
#define KCV s_kc
#define MCV s_mc
#define KTAB sk
#define MRF smr
#define NRF snr
#define PACK8 spack8
#define PACK4 spack4
#include "gemm_template.h"

#define T double
#define RK_SUF d
#define NRP RK_DNRP
#define KCV d_kc
#define MCV d_mc
#define KTAB dk
#define MRF dmr
#define NRF dnr
#define PACK8 dpack8
#define PACK4 dpack4
#include "gemm_template.h"

void *rk_alloc(size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    void *p = NULL;
    if (posix_memalign(&p, bytes >= huge ? huge : 64, bytes ? bytes : 1) != 0) return NULL;
#if defined(MADV_HUGEPAGE)
    if (bytes >= huge) madvise(p, bytes / huge * huge, MADV_HUGEPAGE);
#endif
    return p;
}

void rk_free(void *p) { free(p); }

void rk_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
