/* Internal declarations shared by the kernel translation units (not part of the public API). */
#ifndef UNROLL_RK_INTERNAL_H
#define UNROLL_RK_INTERNAL_H
#include <stddef.h>
#include "rnn_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RK_X86 1
#else
#define RK_X86 0
#endif

#define RK_INLINE static inline __attribute__((always_inline))

/* Packed right-hand panels: NRP columns wide (zero padded), k rows, panel-major.
   Element (p, j) of a k x n matrix lives at panel (j / NRP), offset p * NRP + j % NRP. */
#define RK_SNRP 32
#define RK_DNRP 16

/* Rows of B a micro-kernel prefetches ahead of the row it reads: the first row sliver of a block
   streams B from memory (weights larger than the caches), and the hardware prefetchers do not keep
   up with it (measured on Zen 1: 32.6 -> 35.2 GFLOP/s for a kernel whose B comes from DRAM). Never
   past the block's own rows: prefetches beyond them made gemm-bench's 4x48x128 product 2.4 times slower
   in one of its two runs (an address past the allocation can cost a page walk). */
#define RK_PREFETCH_ROWS 16

/* Largest register-block height of any path. */
#define RK_MAXMR 16

/* Micro-kernel flags. */
#define RK_LOADC 1 /* add the existing C tile (otherwise overwrite) */
#define RK_BMASK 2 /* B rows are only nr valid elements wide (unpacked edge): mask the loads */
#define RK_ROWC 4  /* C starts from the row c0 (nr values, the same for every row), not its own contents */

/*
 * Micro-kernel: C[mr x nr] (+)= Ap * B over kc steps (with RK_ROWC: C = c0 + Ap * B, c0 added to every row,
 * as a bias: the sum each element gets is the same as filling C with c0 first and adding).
 *   ap: packed A sliver, element (i, p) at ap[p * MR + i] (MR = the path's register-block height);
 *   b:  row p of the block at b + p * ldb (ldb = NRP for packed panels);
 *   nr: valid columns (1..NR); mr is fixed per function (table index).
 */
typedef void (*rk_skern)(long kc, const float *ap, const float *b, long ldb, float *c, long ldc, long nr, int flags,
                         const float *c0);
typedef void (*rk_dkern)(long kc, const double *ap, const double *b, long ldb, double *c, long ldc, long nr,
                         int flags, const double *c0);
typedef void (*rk_sactfn)(long n, const float *x, float *y);
typedef void (*rk_dactfn)(long n, const double *x, double *y);

typedef struct rk_impl {
    const char *name;
    int smr, snr;               /* float register block: rows, columns (snr divides RK_SNRP) */
    rk_skern sk[RK_MAXMR + 1];  /* sk[mr] for mr = 1..smr */
    int dmr, dnr;
    rk_dkern dk[RK_MAXMR + 1];
    rk_sactfn stanh, ssigmoid;
    rk_dactfn dtanh, dsigmoid;
    /* Optional fast packing of one full 8-row A sliver (used when the path's MR is 8):
       d[p * 8 + i] = s[i * lda + p] for i < 8, p < kc. NULL: generic loop. */
    void (*spack8)(long kc, const float *s, long lda, float *d);
    void (*dpack8)(long kc, const double *s, long lda, double *d);
    /* Optional, the same for a 4-row sliver into 8-row slots (rows 0..3 of each; a batch of 4). */
    void (*spack4)(long kc, const float *s, long lda, float *d);
    void (*dpack4)(long kc, const double *s, long lda, double *d);
    /* Optional: the float LSTM element-wise part with tanh in one pass, for units [0, n) of every row, where
       n (the return value) is what it covers (whole vectors); the caller does the rest. Arguments as
       fused_template.h's lstm_rows (gi, gj, gf, go: NULL, or where the activated gates go, rows ldcs apart).
       NULL: lstm_rows does all. */
    long (*slstm_cell)(long batch, long nu, long gs, const float *gates, long ldg, const float *c_prev, long ldcs,
                       float forget_bias, const float *wi, const float *wf, const float *wo, float cell_clip,
                       float *c_out, float *h_out, long ldh, float *gi, float *gj, float *gf, float *go);
    /* Optional: the float LSTM backward step's element-wise part for one row (lstm_back_row.h), compiled for
       this path. NULL: fused_template.h's copy. */
    void (*slstm_back_row)(long u0, long u1, const float *dout, const float *c, const float *cp, const float *i,
                           const float *jj, const float *f, const float *o, const float *dh, float *dc, float *ri,
                           float *rj, float *rf, float *ro);
    /* Reads an unpacked B in place efficiently when it fits in L2 (measured: true for the AVX-512
       kernels; the AVX2 ones lose up to half their speed on strided B rows, so they pack). */
    int direct_b_in_l2;
} rk_impl;

extern const rk_impl rk_impl_portable;
#if RK_X86
extern const rk_impl rk_impl_avx2;
extern const rk_impl rk_impl_avx512;
#endif

/* Thread pool (kernels_pool.c). A job is `nchunks` independent chunks; fn(args, chunk, tstate)
   runs one. tstate is RK_TSTATE_BYTES of zeroed per-thread, per-job memory (for caches such as a
   packed A shared by all chunks a thread runs). args (at most RK_MAX_ARGS bytes) are copied.
   Runs on up to nthreads threads, the caller included; when the pool is busy (another thread's
   product) or nthreads <= 1 every chunk runs on the caller. */
#define RK_TSTATE_BYTES 64
#define RK_MAX_ARGS 512
typedef void (*rk_chunk_fn)(const void *args, long chunk, void *tstate);
void rk_pool_run(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads);
/* As rk_pool_run, but chunk c belongs to thread c (the caller is thread 0) and runs there whenever that
   thread is free, so that a job repeated step after step finds each thread's share of the data in the
   same core's cache; a thread done with its own chunk takes the last one nobody has started (its
   thread is late). At most 32 chunks (more run as rk_pool_run). */
void rk_pool_run_owned(rk_chunk_fn fn, const void *args, size_t args_size, long nchunks, int nthreads);
int rk_threads_setting(void);
/* Chunks of multi-threaded jobs so far, and how many of them the workers ran (for benchmarks). */
void rk_pool_stats(long *total, long *by_workers);

/* Blocking / threading knobs for benchmarks (values <= 0, or < 0 for the last two, keep the
   current setting): float KC, MC; double KC, MC; minimum multiply-adds for threading; minimum m
   for packing an unpacked B per call. */
void rk_tune(long skc, long smc, long dkc, long dmc, long parmin, long packbm);

/* Threads a product of `macs` multiply-adds is split across (1: the calling thread only). */
int rk_threads_for(double macs);

/* Column ranges of a packed product on the calling thread, for the fused recurrent steps:
   pack_rows packs rows [0, m) of A (m x b->k) into this thread's scratch slot 0 (NULL when out of
   memory); packed_cols computes C[:, j0:j1) (+)= A · B[:, j0:j1) from them (from `a` itself when
   apacked is NULL). Any j0 < j1 <= b->n. */
struct rk_packed {
    long k, n;
    int is_double;
    void *data; /* panels: ceil(n / NRP) x k x NRP, zero padded */
};
float *rk_s_pack_rows(long m, long k, const float *a, long lda);
double *rk_d_pack_rows(long m, long k, const double *a, long lda);
void rk_s_packed_cols(long m, const float *a, long lda, const float *apacked, const rk_packed *b, long j0, long j1,
                      float *c, long ldc, int acc);
void rk_d_packed_cols(long m, const double *a, long lda, const double *apacked, const rk_packed *b, long j0,
                      long j1, double *c, long ldc, int acc);

/* The kernels' path chosen at run time (kernels_core.c). */
const rk_impl *rk_current_impl(void);

/* Per-thread scratch buffers (64-byte aligned, grown on demand, freed at thread exit). */
void *rk_scratch(int slot, size_t bytes);

#endif
