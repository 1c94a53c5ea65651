#ifndef UNROLL_RNN_KERNELS_H
#define UNROLL_RNN_KERNELS_H
/*
 * Dense kernels for the RNN engine. All matrices are row-major with explicit leading dimensions.
 *
 *   C[m x n] = (accumulate ? C : 0) + A[m x k] * B[k x n]
 *
 * The implementation chooses an AVX-512, AVX2+FMA or portable path at run time and splits large
 * products across a persistent pool of worker threads (rk_set_threads).
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* General products; B is read as given (packed internally per call when that pays). */
void rk_sgemm(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
              float *c, long ldc, int accumulate);
void rk_dgemm(long m, long n, long k, const double *a, long lda, const double *b, long ldb,
              double *c, long ldc, int accumulate);

/* C[m x n] = (accumulate ? C : 0) + Aᵀ * B, A given as k x m (rows lda apart): a weight gradient
   [x, h]ᵀ·dgates straight from the rows the forward kept, without transposing them first. */
void rk_sgemm_at(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                 float *c, long ldc, int accumulate);
void rk_dgemm_at(long m, long n, long k, const double *a, long lda, const double *b, long ldb,
                 double *c, long ldc, int accumulate);

/* A right-hand matrix packed once for repeated products (weights). */
typedef struct rk_packed rk_packed;
rk_packed *rk_spack(long k, long n, const float *b, long ldb);
rk_packed *rk_dpack(long k, long n, const double *b, long ldb);
void rk_packed_free(rk_packed *p);
long rk_packed_rows(const rk_packed *p);
long rk_packed_cols(const rk_packed *p);
void rk_spacked_gemm(long m, const float *a, long lda, const rk_packed *b, float *c, long ldc, int accumulate);
void rk_dpacked_gemm(long m, const double *a, long lda, const rk_packed *b, double *c, long ldc, int accumulate);
/* C[m x n] = bias + A * B: every row of C starts from the row `bias` (n elements; NULL: zero) instead of
   from C, each output tile as the product reaches it (a layer's input projection with its bias, without a
   separate pass filling C with the bias first). The same sums, in the same order, as filling C with the
   bias and accumulating. */
void rk_spacked_gemm_bias(long m, const float *a, long lda, const rk_packed *b, const float *bias, float *c, long ldc);
void rk_dpacked_gemm_bias(long m, const double *a, long lda, const rk_packed *b, const double *bias, double *c,
                          long ldc);
/* The same with A given transposed (k x m, rows lda apart), as rk_sgemm_at: one packed right-hand side
   (a segment's gate gradients) multiplied by several transposed left blocks ([x, h] of the same rows). */
void rk_spacked_gemm_at(long m, const float *a, long lda, const rk_packed *b, float *c, long ldc, int accumulate);
void rk_dpacked_gemm_at(long m, const double *a, long lda, const rk_packed *b, double *c, long ldc, int accumulate);

/* Element-wise activations, in place allowed (y may equal x). */
void rk_stanh(long n, const float *x, float *y);
void rk_ssigmoid(long n, const float *x, float *y);
void rk_dtanh(long n, const double *x, double *y);
void rk_dsigmoid(long n, const double *x, double *y);

/* Threads used by the products (1 = the calling thread only). 0 picks the number of online CPUs.
   The default is the number of online CPUs (at most 16), or UNROLL_THREADS when set. Products of
   fewer than ~160k multiply-adds always run on the calling thread. The workers are created on first
   use, spin for about a millisecond after each product (UNROLL_SPIN_US overrides) and then sleep.
   Products may be issued from any thread; while one product uses the pool, a product issued from
   another thread runs on that thread alone. */
void rk_set_threads(int n);
int rk_get_threads(void);

/* Runs fn(ctx, i) for every i in [0, ntasks) and returns when all are done. When the pool is free, task i runs
   on thread i (the caller is thread 0) and a thread done with its task takes one nobody has started (tasks
   beyond the thread setting, or a late thread's); when the pool is busy or the setting is 1, every task runs
   on the calling thread in order.
   Products issued inside a task run on that task's thread alone (the pool is busy), so tasks that each run
   a chain of small products (the layers of a stack, a step apart) run side by side without a hand-off per
   product. */
typedef void (*rk_task_fn)(void *ctx, long task);
void rk_run_tasks(rk_task_fn fn, void *ctx, long ntasks);

/* Memory for large arrays that live long or are reused (packed weights, a run's working buffers): 64-byte
   aligned; from 2 MiB on, aligned to 2 MiB and marked for transparent huge pages (madvise), so that a
   product streaming through megabytes of weights or gate rows does not miss the TLB every 4 KiB. NULL when
   out of memory. Release with rk_free. */
void *rk_alloc(size_t bytes);
void rk_free(void *p);

/* Process-wide allocator policy (glibc): keep freed blocks up to 32 MiB in the heap for reuse and keep up
   to 512 MiB of free memory at the heap's top instead of returning it to the system, so that arrays
   allocated afresh on every pass are not faulted in and zeroed page by page each time. No effect
   elsewhere. */
void rk_keep_freed_memory(void);

/* Name of the path chosen at run time: "avx512", "avx2+fma" or "portable". */
const char *rk_kernel_name(void);

/* Forces a path: "portable", "avx2" (or "avx2+fma"), "avx512", or "auto" / "" / NULL for the best
   one this CPU supports. Returns 0 on success, -1 (leaving the path unchanged) when the name is
   unknown or the CPU lacks the instructions. The environment variable UNROLL_KERNEL, read at the
   first call, has the same effect. Call it while no product is running. */
int rk_force_kernel(const char *name);

/* 1 when the named path (as for rk_force_kernel) can run on this CPU, else 0. */
int rk_kernel_supported(const char *name);

#ifdef __cplusplus
}
#endif
#endif
