/* AVX2 + FMA path: 6x16 (float) and 6x8 (double) register-blocked micro-kernels and vectorised
   activations. Every function here is compiled for avx2,fma; it is only called after the run-time
   CPU check in kernels_core.c. */
#include "rk_internal.h"
#include "rk_vecmath.h"

#if RK_X86
#include <immintrin.h>
#include <string.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define A2_SMR 6
#define A2_SNR 16
#define A2_DMR 6
#define A2_DNR 8

#define A2_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

RK_INLINE __m256i a2_mask32(long valid) { /* lanes < valid */
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(valid < 0 ? 0 : valid > 8 ? 8 : valid)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
RK_INLINE __m256i a2_mask64(long valid) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(valid < 0 ? 0 : valid > 4 ? 4 : valid), _mm256_setr_epi64x(0, 1, 2, 3));
}

/* `mr` is a compile-time constant in every instance; accumulators are named variables so that
   every compiler keeps them in registers. W = lanes per vector; the block is 2W columns. */
#define A2_BODY(NAME, T, V, MRS, W, LOADU, MASKLOAD, MASKFN)                                         \
    RK_INLINE void NAME(const int mr, long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                        int flags, const T *c0) {                                                 \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wunused-variable\"")    \
        A2_ROWS(A2_DECL_##NAME)                                                                   \
        _Pragma("GCC diagnostic pop")                                                             \
        for (int i = 0; i < mr; i++) {                                                            \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                               \
            _mm_prefetch((const char *)(c + i * ldc + 2 * W - 1), _MM_HINT_T0);                   \
        }                                                                                         \
        if (!(flags & RK_BMASK)) {                                                                \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb) {                                  \
                if (p + RK_PREFETCH_ROWS < kc)                                                    \
                    _mm_prefetch((const char *)(b + RK_PREFETCH_ROWS * ldb), _MM_HINT_T0);        \
                V b0 = LOADU(b), b1 = LOADU(b + W);                                               \
                A2_ROWS(A2_STEP_##NAME)                                                           \
            }                                                                                     \
        } else {                                                                                  \
            __m256i m0 = MASKFN(nr), m1 = MASKFN(nr - W);                                         \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb) {                                  \
                V b0 = MASKLOAD(b, m0), b1 = MASKLOAD(b + W, m1);                                 \
                A2_ROWS(A2_STEP_##NAME)                                                           \
            }                                                                                     \
        }                                                                                         \
        if (nr == 2 * W) {                                                                        \
            A2_ROWS(A2_STORE_##NAME)                                                              \
        } else {                                                                                  \
            __m256i m0 = MASKFN(nr), m1 = MASKFN(nr - W);                                         \
            A2_ROWS(A2_MSTORE_##NAME)                                                             \
        }                                                                                         \
    }

#define A2_DECL_a2_s_body(i) __m256 c##i##_0 = _mm256_setzero_ps(), c##i##_1 = _mm256_setzero_ps();
#define A2_STEP_a2_s_body(i)                                                                       \
    if (mr > i) {                                                                                 \
        __m256 av = _mm256_broadcast_ss(ap + i);                                                  \
        c##i##_0 = _mm256_fmadd_ps(av, b0, c##i##_0);                                             \
        c##i##_1 = _mm256_fmadd_ps(av, b1, c##i##_1);                                             \
    }
#define A2_STORE_a2_s_body(i)                                                                      \
    if (mr > i) {                                                                                 \
        float *ci = c + i * ldc;                                                                  \
        const float *si = (flags & RK_ROWC) ? c0 : ci;                                            \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm256_add_ps(_mm256_loadu_ps(si), c##i##_0);                              \
            c##i##_1 = _mm256_add_ps(_mm256_loadu_ps(si + 8), c##i##_1);                          \
        }                                                                                         \
        _mm256_storeu_ps(ci, c##i##_0);                                                           \
        _mm256_storeu_ps(ci + 8, c##i##_1);                                                       \
    }
#define A2_MSTORE_a2_s_body(i)                                                                     \
    if (mr > i) {                                                                                 \
        float *ci = c + i * ldc;                                                                  \
        const float *si = (flags & RK_ROWC) ? c0 : ci;                                            \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm256_add_ps(_mm256_maskload_ps(si, m0), c##i##_0);                       \
            c##i##_1 = _mm256_add_ps(_mm256_maskload_ps(si + 8, m1), c##i##_1);                   \
        }                                                                                         \
        _mm256_maskstore_ps(ci, m0, c##i##_0);                                                    \
        _mm256_maskstore_ps(ci + 8, m1, c##i##_1);                                                \
    }
#define A2_DECL_a2_d_body(i) __m256d c##i##_0 = _mm256_setzero_pd(), c##i##_1 = _mm256_setzero_pd();
#define A2_STEP_a2_d_body(i)                                                                       \
    if (mr > i) {                                                                                 \
        __m256d av = _mm256_broadcast_sd(ap + i);                                                 \
        c##i##_0 = _mm256_fmadd_pd(av, b0, c##i##_0);                                             \
        c##i##_1 = _mm256_fmadd_pd(av, b1, c##i##_1);                                             \
    }
#define A2_STORE_a2_d_body(i)                                                                      \
    if (mr > i) {                                                                                 \
        double *ci = c + i * ldc;                                                                 \
        const double *si = (flags & RK_ROWC) ? c0 : ci;                                           \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm256_add_pd(_mm256_loadu_pd(si), c##i##_0);                              \
            c##i##_1 = _mm256_add_pd(_mm256_loadu_pd(si + 4), c##i##_1);                          \
        }                                                                                         \
        _mm256_storeu_pd(ci, c##i##_0);                                                           \
        _mm256_storeu_pd(ci + 4, c##i##_1);                                                       \
    }
#define A2_MSTORE_a2_d_body(i)                                                                     \
    if (mr > i) {                                                                                 \
        double *ci = c + i * ldc;                                                                 \
        const double *si = (flags & RK_ROWC) ? c0 : ci;                                           \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm256_add_pd(_mm256_maskload_pd(si, m0), c##i##_0);                       \
            c##i##_1 = _mm256_add_pd(_mm256_maskload_pd(si + 4, m1), c##i##_1);                   \
        }                                                                                         \
        _mm256_maskstore_pd(ci, m0, c##i##_0);                                                    \
        _mm256_maskstore_pd(ci + 4, m1, c##i##_1);                                                \
    }

A2_BODY(a2_s_body, float, __m256, A2_SMR, 8, _mm256_loadu_ps, _mm256_maskload_ps, a2_mask32)
A2_BODY(a2_d_body, double, __m256d, A2_DMR, 4, _mm256_loadu_pd, _mm256_maskload_pd, a2_mask64)

#define A2_INST(SUF, T, MR)                                                                        \
    static void a2_##SUF##_##MR(long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                                int flags, const T *c0) {                                         \
        a2_##SUF##_body(MR, kc, ap, b, ldb, c, ldc, nr, flags, c0);                               \
    }
A2_INST(s, float, 1)
A2_INST(s, float, 2)
A2_INST(s, float, 3)
A2_INST(s, float, 4)
A2_INST(s, float, 5)
A2_INST(s, float, 6)
A2_INST(d, double, 1)
A2_INST(d, double, 2)
A2_INST(d, double, 3)
A2_INST(d, double, 4)
A2_INST(d, double, 5)
A2_INST(d, double, 6)

/* ---------------- activations (the scheme and its constants: rk_vecmath.h) ---------------- */

RK_INLINE __m256 a2_expm1_poly_ps(__m256 r) { /* expm1(r), |r| <= 0.35 */
#define RK_FIRST(c) __m256 q = _mm256_set1_ps(c);
#define RK_STEP(c) q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(c));
    RK_EXPM1_TAYLOR_F(RK_FIRST, RK_STEP)
#undef RK_FIRST
#undef RK_STEP
    return _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
}

RK_INLINE __m256 a2_reduce_ps(__m256 y, __m256 *n) {
    *n = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps((float)RK_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(*n, _mm256_set1_ps(RK_LN2_HI_F), y);
    return _mm256_fnmadd_ps(*n, _mm256_set1_ps(RK_LN2_LO_F), r);
}

RK_INLINE __m256 a2_pow2i_ps(__m256 n) { /* 2^n for integral n in [-126, 127] */
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}

RK_INLINE __m256 a2_tanh_ps(__m256 x) {
    const __m256 sgn = _mm256_set1_ps(-0.0f);
    __m256 ax = _mm256_andnot_ps(sgn, x);
    __m256 y = _mm256_min_ps(_mm256_add_ps(ax, ax), _mm256_set1_ps(RK_TANH_2X_MAX_F)); /* tanh(10) == 1 in float */
    __m256 n;
    __m256 r = a2_reduce_ps(y, &n);
    __m256 p = a2_expm1_poly_ps(r);
    __m256 s = a2_pow2i_ps(n);
    __m256 e = _mm256_fmadd_ps(s, p, _mm256_sub_ps(s, _mm256_set1_ps(1.0f))); /* expm1(y) */
    __m256 t = _mm256_div_ps(e, _mm256_add_ps(e, _mm256_set1_ps(2.0f)));
    t = _mm256_or_ps(t, _mm256_and_ps(x, sgn));
    return _mm256_blendv_ps(t, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

RK_INLINE __m256 a2_sigmoid_ps(__m256 x) {
    __m256 z = _mm256_sub_ps(_mm256_setzero_ps(), x);
    z = _mm256_max_ps(_mm256_min_ps(z, _mm256_set1_ps(RK_SIGMOID_Z_MAX_F)), _mm256_set1_ps(RK_SIGMOID_Z_MIN_F));
    __m256 n;
    __m256 r = a2_reduce_ps(z, &n);
    __m256 e = _mm256_add_ps(a2_expm1_poly_ps(r), _mm256_set1_ps(1.0f));
    __m256 n1 = _mm256_floor_ps(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)));
    __m256 n2 = _mm256_sub_ps(n, n1);
    e = _mm256_mul_ps(_mm256_mul_ps(e, a2_pow2i_ps(n1)), a2_pow2i_ps(n2)); /* exp(z), over/underflows gracefully */
    __m256 s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    return _mm256_blendv_ps(s, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

RK_INLINE __m256d a2_expm1_poly_pd(__m256d r) { /* expm1(r), |r| <= 0.35, Taylor to r^13 */
#define RK_FIRST(c) __m256d q = _mm256_set1_pd(c);
#define RK_STEP(c) q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(c));
    RK_EXPM1_TAYLOR_D(RK_FIRST, RK_STEP)
#undef RK_FIRST
#undef RK_STEP
    return _mm256_fmadd_pd(q, _mm256_mul_pd(r, r), r);
}

RK_INLINE __m256d a2_reduce_pd(__m256d y, __m256d *n) {
    *n = _mm256_round_pd(_mm256_mul_pd(y, _mm256_set1_pd(RK_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(*n, _mm256_set1_pd(RK_LN2_HI_D), y);
    return _mm256_fnmadd_pd(*n, _mm256_set1_pd(RK_LN2_LO_D), r);
}

RK_INLINE __m256d a2_pow2i_pd(__m256d n) { /* 2^n for integral n in [-1022, 1023] */
    const __m256d magic = _mm256_set1_pd(6755399441055744.0); /* 1.5 * 2^52 */
    __m256i i = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(n, magic)), _mm256_castpd_si256(magic));
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(i, _mm256_set1_epi64x(1023)), 52));
}

RK_INLINE __m256d a2_tanh_pd(__m256d x) {
    const __m256d sgn = _mm256_set1_pd(-0.0);
    __m256d ax = _mm256_andnot_pd(sgn, x);
    __m256d y = _mm256_min_pd(_mm256_add_pd(ax, ax), _mm256_set1_pd(RK_TANH_2X_MAX_D)); /* tanh(20) == 1 in double */
    __m256d n;
    __m256d r = a2_reduce_pd(y, &n);
    __m256d p = a2_expm1_poly_pd(r);
    __m256d s = a2_pow2i_pd(n);
    __m256d e = _mm256_fmadd_pd(s, p, _mm256_sub_pd(s, _mm256_set1_pd(1.0)));
    __m256d t = _mm256_div_pd(e, _mm256_add_pd(e, _mm256_set1_pd(2.0)));
    t = _mm256_or_pd(t, _mm256_and_pd(x, sgn));
    return _mm256_blendv_pd(t, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}

RK_INLINE __m256d a2_sigmoid_pd(__m256d x) {
    __m256d z = _mm256_sub_pd(_mm256_setzero_pd(), x);
    z = _mm256_max_pd(_mm256_min_pd(z, _mm256_set1_pd(RK_SIGMOID_Z_MAX_D)), _mm256_set1_pd(RK_SIGMOID_Z_MIN_D));
    __m256d n;
    __m256d r = a2_reduce_pd(z, &n);
    __m256d e = _mm256_add_pd(a2_expm1_poly_pd(r), _mm256_set1_pd(1.0));
    __m256d n1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
    __m256d n2 = _mm256_sub_pd(n, n1);
    e = _mm256_mul_pd(_mm256_mul_pd(e, a2_pow2i_pd(n1)), a2_pow2i_pd(n2));
    __m256d s = _mm256_div_pd(_mm256_set1_pd(1.0), _mm256_add_pd(_mm256_set1_pd(1.0), e));
    return _mm256_blendv_pd(s, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}

/* The LSTM element-wise part in one pass over registers (rk_impl.slstm_cell; see rk_internal.h): the
   same operations in the same order as fused_template.h's lstm_rows with tanh, so the results are the
   same bit for bit, without the copies into scratch and the separate activation calls. Whole vectors
   of units only: returns how many units of each row it did (a multiple of 8). */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
static long a2_slstm_cell(long batch, long nu, long gs, const float *gates, long ldg, const float *c_prev, long ldcs,
                          float forget_bias, const float *wi, const float *wf, const float *wo, float cell_clip,
                          float *c_out, float *h_out, long ldh, float *tgi, float *tgj, float *tgf, float *tgo) {
    const long nv = nu / 8 * 8;
    const __m256 fb = _mm256_set1_ps(forget_bias), lim = _mm256_set1_ps(cell_clip), nlim = _mm256_set1_ps(-cell_clip);
    for (long b = 0; b < batch; b++) {
        const float *g = gates + b * ldg, *cp = c_prev + b * ldcs;
        float *co = c_out + b * ldcs, *h = h_out + b * ldh;
        for (long k = 0; k < nv; k += 8) {
            __m256 c = _mm256_loadu_ps(cp + k);
            __m256 gi = _mm256_loadu_ps(g + k), gf = _mm256_add_ps(_mm256_loadu_ps(g + 2 * gs + k), fb);
            if (wi) {
                gi = _mm256_add_ps(gi, _mm256_mul_ps(_mm256_loadu_ps(wi + k), c));
                gf = _mm256_add_ps(gf, _mm256_mul_ps(_mm256_loadu_ps(wf + k), c));
            }
            __m256 i = a2_sigmoid_ps(gi), f = a2_sigmoid_ps(gf), j = a2_tanh_ps(_mm256_loadu_ps(g + gs + k));
            __m256 cn = _mm256_add_ps(_mm256_mul_ps(f, c), _mm256_mul_ps(i, j));
            if (cell_clip >= 0) { /* v > limit ? limit : (v < -limit ? -limit : v), NaN kept */
                cn = _mm256_blendv_ps(cn, nlim, _mm256_cmp_ps(cn, nlim, _CMP_LT_OQ));
                cn = _mm256_blendv_ps(cn, lim, _mm256_cmp_ps(cn, lim, _CMP_GT_OQ));
            }
            _mm256_storeu_ps(co + k, cn);
            __m256 go = _mm256_loadu_ps(g + 3 * gs + k);
            if (wo) go = _mm256_add_ps(go, _mm256_mul_ps(_mm256_loadu_ps(wo + k), cn));
            const __m256 o = a2_sigmoid_ps(go);
            _mm256_storeu_ps(h + k, _mm256_mul_ps(a2_tanh_ps(cn), o));
            if (tgi) {
                const long r = b * ldcs + k;
                _mm256_storeu_ps(tgi + r, i);
                _mm256_storeu_ps(tgj + r, j);
                _mm256_storeu_ps(tgf + r, f);
                _mm256_storeu_ps(tgo + r, o);
            }
        }
    }
    return nv;
}

#define A2_ACT(NAME, T, VT, W, LOAD, STORE, FN)                                                    \
    static void NAME(long n, const T *x, T *y) {                                                  \
        long i = 0;                                                                               \
        for (; i + W <= n; i += W) STORE(y + i, FN(LOAD(x + i)));                                 \
        if (i < n) {                                                                              \
            T buf[W];                                                                             \
            memset(buf, 0, sizeof buf);                                                           \
            memcpy(buf, x + i, sizeof(T) * (size_t)(n - i));                                      \
            STORE(buf, FN(LOAD(buf)));                                                            \
            memcpy(y + i, buf, sizeof(T) * (size_t)(n - i));                                      \
        }                                                                                         \
    }
A2_ACT(a2_stanh, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, a2_tanh_ps)
A2_ACT(a2_ssigmoid, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, a2_sigmoid_ps)
A2_ACT(a2_dtanh, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, a2_tanh_pd)
A2_ACT(a2_dsigmoid, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, a2_sigmoid_pd)

/* The LSTM backward's element-wise part for a row, vectorized for this path (rk_impl.slstm_back_row). */
#define T float
#define LBR_NAME a2_slstm_back_row
#define LBR_TANH a2_stanh
#include "lstm_back_row.h"
#undef T

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

const rk_impl rk_impl_avx2 = {
    .name = "avx2+fma",
    .smr = A2_SMR,
    .snr = A2_SNR,
    .sk = {NULL, a2_s_1, a2_s_2, a2_s_3, a2_s_4, a2_s_5, a2_s_6},
    .dmr = A2_DMR,
    .dnr = A2_DNR,
    .dk = {NULL, a2_d_1, a2_d_2, a2_d_3, a2_d_4, a2_d_5, a2_d_6},
    .stanh = a2_stanh,
    .ssigmoid = a2_ssigmoid,
    .dtanh = a2_dtanh,
    .dsigmoid = a2_dsigmoid,
    .slstm_cell = a2_slstm_cell,
    .slstm_back_row = a2_slstm_back_row,
};
#endif
