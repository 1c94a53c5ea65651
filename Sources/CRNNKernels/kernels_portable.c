/* Portable path: micro-kernels in generic 16-byte vectors (GCC/Clang vector extensions, so the
   baseline ISA of any target: SSE2, NEON or scalar), and libm activations. */
#include "rk_internal.h"

#include <math.h>
#include <string.h>

#define P_SMR 4
#define P_SNR 8
#define P_DMR 4
#define P_DNR 4

/* 16-byte generic vectors (SSE2 on any x86-64, NEON on arm64, scalar code elsewhere). */
typedef float pv_s __attribute__((vector_size(16)));
typedef double pv_d __attribute__((vector_size(16)));
#define P_ROWS(X) X(0) X(1) X(2) X(3)

/* Register block MR x (2 vectors): `mr` is a compile-time constant in every instance. Edge blocks
   (nr < NR) and unpacked edge loads go through the plain scalar loop. */
#define DEFINE_PKERN(SUF, T, VT, MRS, NRS)                                                         \
    RK_INLINE VT pk_##SUF##_ld(const T *p) {                                                      \
        VT v;                                                                                     \
        memcpy(&v, p, sizeof v);                                                                  \
        return v;                                                                                 \
    }                                                                                             \
    RK_INLINE void pk_##SUF##_st(T *p, VT v) { memcpy(p, &v, sizeof v); }                         \
    static void pk_##SUF##_edge(int mr, long kc, const T *ap, const T *b, long ldb, T *c, long ldc, \
                                long nr, int flags, const T *c0) {                                \
        T acc[MRS][NRS];                                                                          \
        memset(acc, 0, sizeof acc);                                                               \
        for (long p = 0; p < kc; p++, ap += MRS, b += ldb)                                        \
            for (int i = 0; i < mr; i++)                                                          \
                for (long j = 0; j < nr; j++) acc[i][j] += ap[i] * b[j];                          \
        for (int i = 0; i < mr; i++)                                                              \
            for (long j = 0; j < nr; j++)                                                         \
                c[i * ldc + j] = (flags & RK_ROWC)    ? c0[j] + acc[i][j]                         \
                                 : (flags & RK_LOADC) ? c[i * ldc + j] + acc[i][j]                \
                                                      : acc[i][j];                                \
    }                                                                                             \
    RK_INLINE void pk_##SUF##_body(const int mr, long kc, const T *ap, const T *b, long ldb, T *c, \
                                   long ldc, long nr, int flags, const T *c0) {                   \
        if (nr < NRS || (flags & RK_BMASK)) {                                                     \
            pk_##SUF##_edge(mr, kc, ap, b, ldb, c, ldc, nr, flags, c0);                           \
            return;                                                                               \
        }                                                                                         \
        const int W = (int)(sizeof(VT) / sizeof(T));                                              \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wunused-variable\"")    \
        P_ROWS(PK_DECL_##SUF)                                                                     \
        _Pragma("GCC diagnostic pop")                                                             \
        for (long p = 0; p < kc; p++, ap += MRS, b += ldb) {                                      \
            if (p + RK_PREFETCH_ROWS < kc) __builtin_prefetch(b + RK_PREFETCH_ROWS * ldb);        \
            VT b0 = pk_##SUF##_ld(b), b1 = pk_##SUF##_ld(b + W);                                  \
            P_ROWS(PK_STEP_##SUF)                                                                 \
        }                                                                                         \
        P_ROWS(PK_STORE_##SUF)                                                                    \
    }

#define PK_DECL_s(i) pv_s c##i##_0 = {0}, c##i##_1 = {0};
#define PK_DECL_d(i) pv_d c##i##_0 = {0}, c##i##_1 = {0};
#define PK_STEP_s(i) PK_STEP(i)
#define PK_STEP_d(i) PK_STEP(i)
#define PK_STEP(i)                                                                                 \
    if (mr > i) {                                                                                 \
        c##i##_0 += ap[i] * b0;                                                                   \
        c##i##_1 += ap[i] * b1;                                                                   \
    }
#define PK_STORE_s(i) PK_STORE(s, i)
#define PK_STORE_d(i) PK_STORE(d, i)
#define PK_STORE(SUF, i)                                                                           \
    if (mr > i) {                                                                                 \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            const __typeof__(*c) *si = (flags & RK_ROWC) ? c0 : c + i * ldc;                      \
            c##i##_0 += pk_##SUF##_ld(si);                                                        \
            c##i##_1 += pk_##SUF##_ld(si + W);                                                    \
        }                                                                                         \
        pk_##SUF##_st(c + i * ldc, c##i##_0);                                                     \
        pk_##SUF##_st(c + i * ldc + W, c##i##_1);                                                 \
    }

DEFINE_PKERN(s, float, pv_s, P_SMR, P_SNR)
DEFINE_PKERN(d, double, pv_d, P_DMR, P_DNR)

#define PK_INST(SUF, T, MR)                                                                        \
    static void pk_##SUF##_##MR(long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                                int flags, const T *c0) {                                         \
        pk_##SUF##_body(MR, kc, ap, b, ldb, c, ldc, nr, flags, c0);                               \
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
