/* Portable path: plain C micro-kernels written for the compiler's auto-vectoriser (baseline ISA),
   and libm activations. */
#include "rk_internal.h"

#include <math.h>
#include <string.h>

#define P_SMR 4
#define P_SNR 16
#define P_DMR 4
#define P_DNR 8

#define DEFINE_PKERN(SUF, T, MRS, NRS)                                                             \
    RK_INLINE void pk_##SUF##_body(const int mr, long kc, const T *ap, const T *b, long ldb, T *c, \
                                   long ldc, long nr, int flags) {                                \
        T acc[MRS][NRS];                                                                          \
        for (int i = 0; i < mr; i++)                                                              \
            for (int j = 0; j < NRS; j++) acc[i][j] = 0;                                          \
        if (!(flags & RK_BMASK)) {                                                                \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb)                                    \
                for (int i = 0; i < mr; i++) {                                                    \
                    T av = ap[i];                                                                 \
                    for (int j = 0; j < NRS; j++) acc[i][j] += av * b[j];                         \
                }                                                                                 \
        } else {                                                                                  \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb)                                    \
                for (int i = 0; i < mr; i++) {                                                    \
                    T av = ap[i];                                                                 \
                    for (long j = 0; j < nr; j++) acc[i][j] += av * b[j];                         \
                }                                                                                 \
        }                                                                                         \
        for (int i = 0; i < mr; i++) {                                                            \
            T *ci = c + i * ldc;                                                                  \
            if (flags & RK_LOADC)                                                                 \
                for (long j = 0; j < nr; j++) ci[j] += acc[i][j];                                 \
            else                                                                                  \
                for (long j = 0; j < nr; j++) ci[j] = acc[i][j];                                  \
        }                                                                                         \
    }

DEFINE_PKERN(s, float, P_SMR, P_SNR)
DEFINE_PKERN(d, double, P_DMR, P_DNR)

#define PK_INST(SUF, T, MR)                                                                        \
    static void pk_##SUF##_##MR(long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                                int flags) {                                                      \
        pk_##SUF##_body(MR, kc, ap, b, ldb, c, ldc, nr, flags);                                   \
    }
PK_INST(s, float, 1)
PK_INST(s, float, 2)
PK_INST(s, float, 3)
PK_INST(s, float, 4)
PK_INST(d, double, 1)
PK_INST(d, double, 2)
PK_INST(d, double, 3)
PK_INST(d, double, 4)

static void p_stanh(long n, const float *x, float *y) {
    for (long i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
static void p_ssigmoid(long n, const float *x, float *y) {
    for (long i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
static void p_dtanh(long n, const double *x, double *y) {
    for (long i = 0; i < n; i++) y[i] = tanh(x[i]);
}
static void p_dsigmoid(long n, const double *x, double *y) {
    for (long i = 0; i < n; i++) y[i] = 1.0 / (1.0 + exp(-x[i]));
}

const rk_impl rk_impl_portable = {
    .name = "portable",
    .smr = P_SMR,
    .snr = P_SNR,
    .sk = {NULL, pk_s_1, pk_s_2, pk_s_3, pk_s_4},
    .dmr = P_DMR,
    .dnr = P_DNR,
    .dk = {NULL, pk_d_1, pk_d_2, pk_d_3, pk_d_4},
    .stanh = p_stanh,
    .ssigmoid = p_ssigmoid,
    .dtanh = p_dtanh,
    .dsigmoid = p_dsigmoid,
};
