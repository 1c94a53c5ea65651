// Placeholder plain kernels; the packed, vectorised, threaded implementation replaces this file.
#include "rnn_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEMM(NAME, T) \
void NAME(long m, long n, long k, const T *a, long lda, const T *b, long ldb, T *c, long ldc, int acc) { \
    for (long i = 0; i < m; i++) { \
        T *ci = c + i * ldc; \
        if (!acc) memset(ci, 0, sizeof(T) * (size_t)n); \
        for (long p = 0; p < k; p++) { T av = a[i * lda + p]; const T *bp = b + p * ldb; \
            for (long j = 0; j < n; j++) ci[j] += av * bp[j]; } \
    } \
}
GEMM(rk_sgemm, float)
GEMM(rk_dgemm, double)

struct rk_packed { long k, n; int is_double; void *data; };
static rk_packed *pack(long k, long n, const void *b, long ldb, size_t es, int d) {
    rk_packed *p = malloc(sizeof(rk_packed)); if (!p) return NULL;
    p->k = k; p->n = n; p->is_double = d; p->data = malloc(es * (size_t)(k * n > 0 ? k * n : 1));
    if (!p->data) { free(p); return NULL; }
    for (long r = 0; r < k; r++) memcpy((char *)p->data + es * (size_t)(r * n), (const char *)b + es * (size_t)(r * ldb), es * (size_t)n);
    return p;
}
rk_packed *rk_spack(long k, long n, const float *b, long ldb) { return pack(k, n, b, ldb, sizeof(float), 0); }
rk_packed *rk_dpack(long k, long n, const double *b, long ldb) { return pack(k, n, b, ldb, sizeof(double), 1); }
void rk_packed_free(rk_packed *p) { if (p) { free(p->data); free(p); } }
long rk_packed_rows(const rk_packed *p) { return p->k; }
long rk_packed_cols(const rk_packed *p) { return p->n; }
void rk_spacked_gemm(long m, const float *a, long lda, const rk_packed *b, float *c, long ldc, int acc) { rk_sgemm(m, b->n, b->k, a, lda, b->data, b->n, c, ldc, acc); }
void rk_dpacked_gemm(long m, const double *a, long lda, const rk_packed *b, double *c, long ldc, int acc) { rk_dgemm(m, b->n, b->k, a, lda, b->data, b->n, c, ldc, acc); }

void rk_stanh(long n, const float *x, float *y) { for (long i = 0; i < n; i++) y[i] = tanhf(x[i]); }
void rk_ssigmoid(long n, const float *x, float *y) { for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i])); }
void rk_dtanh(long n, const double *x, double *y) { for (long i = 0; i < n; i++) y[i] = tanh(x[i]); }
void rk_dsigmoid(long n, const double *x, double *y) { for (long i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i])); }
static int threads = 1;
void rk_set_threads(int n) { threads = n < 1 ? 1 : n; }
int rk_get_threads(void) { return threads; }
const char *rk_kernel_name(void) { return "portable"; }
