/* AVX-512F path: 8x32 (float) and 8x16 (double) register-blocked micro-kernels with masked edges,
   and vectorised activations. Compiled for avx512f (+avx2,fma); only called after the run-time CPU
   check in kernels_core.c. */
#include "rk_internal.h"
#include "rk_vecmath.h"

#if RK_X86
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif

#define Z_SMR 8 /* 12 rows measured no faster on Zen 4 */
#define Z_SNR 32
#define Z_DMR 8
#define Z_DNR 16

RK_INLINE __mmask16 z_mask16(long valid) {
    return valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
}
RK_INLINE __mmask8 z_mask8(long valid) {
    return valid >= 8 ? (__mmask8)0xFF : valid <= 0 ? (__mmask8)0 : (__mmask8)((1u << valid) - 1);
}

#define Z_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* One body per element type; `mr` is a compile-time constant in every instance, so the unused
   accumulators and row branches disappear. Accumulators are named variables (not arrays) so
   every compiler keeps them in registers. */
#define Z_BODY(NAME, T, V, MRS, W, LOADU, MASKZ_LOADU, MASKFN)                                    \
    RK_INLINE void NAME(const int mr, long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                        int flags, const T *c0) {                                                 \
        _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wunused-variable\"")    \
        Z_ROWS(Z_DECL_##NAME)                                                                     \
        _Pragma("GCC diagnostic pop")                                                             \
        for (int i = 0; i < mr; i++) {                                                            \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                               \
            _mm_prefetch((const char *)(c + i * ldc + 2 * W - 1), _MM_HINT_T0);                       \
        }                                                                                         \
        if (!(flags & RK_BMASK)) {                                                                \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb) {                                  \
                if (p + RK_PREFETCH_ROWS < kc) {                                                  \
                    _mm_prefetch((const char *)(b + RK_PREFETCH_ROWS * ldb), _MM_HINT_T0);        \
                    _mm_prefetch((const char *)(b + RK_PREFETCH_ROWS * ldb + W), _MM_HINT_T0);    \
                }                                                                                 \
                V b0 = LOADU(b), b1 = LOADU(b + W);                                               \
                Z_ROWS(Z_STEP_##NAME)                                                             \
            }                                                                                     \
        } else {                                                                                  \
            V##_MASK_T m0 = MASKFN(nr), m1 = MASKFN(nr - W);                                      \
            for (long p = 0; p < kc; p++, ap += MRS, b += ldb) {                                  \
                V b0 = MASKZ_LOADU(m0, b), b1 = MASKZ_LOADU(m1, b + W);                           \
                Z_ROWS(Z_STEP_##NAME)                                                             \
            }                                                                                     \
        }                                                                                         \
        if (nr == 2 * W) {                                                                        \
            Z_ROWS(Z_FSTORE_##NAME)                                                               \
        } else {                                                                                  \
            V##_MASK_T m0 = MASKFN(nr), m1 = MASKFN(nr - W);                                      \
            Z_ROWS(Z_STORE_##NAME)                                                                \
        }                                                                                         \
    }

typedef __mmask16 __m512_MASK_T;
typedef __mmask8 __m512d_MASK_T;

#define Z_DECL_z_s_body(i) __m512 c##i##_0 = _mm512_setzero_ps(), c##i##_1 = _mm512_setzero_ps();
#define Z_STEP_z_s_body(i)                                                                         \
    if (mr > i) {                                                                                 \
        __m512 av = _mm512_set1_ps(ap[i]);                                                        \
        c##i##_0 = _mm512_fmadd_ps(av, b0, c##i##_0);                                             \
        c##i##_1 = _mm512_fmadd_ps(av, b1, c##i##_1);                                             \
    }
#define Z_STORE_z_s_body(i)                                                                        \
    if (mr > i) {                                                                                 \
        float *ci = c + i * ldc;                                                                  \
        const float *si = (flags & RK_ROWC) ? c0 : ci;                                            \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, si), c##i##_0);                    \
            c##i##_1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, si + 16), c##i##_1);               \
        }                                                                                         \
        _mm512_mask_storeu_ps(ci, m0, c##i##_0);                                                  \
        _mm512_mask_storeu_ps(ci + 16, m1, c##i##_1);                                             \
    }
#define Z_FSTORE_z_s_body(i)                                                                       \
    if (mr > i) {                                                                                 \
        float *ci = c + i * ldc;                                                                  \
        const float *si = (flags & RK_ROWC) ? c0 : ci;                                            \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm512_add_ps(_mm512_loadu_ps(si), c##i##_0);                              \
            c##i##_1 = _mm512_add_ps(_mm512_loadu_ps(si + 16), c##i##_1);                         \
        }                                                                                         \
        _mm512_storeu_ps(ci, c##i##_0);                                                           \
        _mm512_storeu_ps(ci + 16, c##i##_1);                                                      \
    }
#define Z_DECL_z_d_body(i) __m512d c##i##_0 = _mm512_setzero_pd(), c##i##_1 = _mm512_setzero_pd();
#define Z_STEP_z_d_body(i)                                                                         \
    if (mr > i) {                                                                                 \
        __m512d av = _mm512_set1_pd(ap[i]);                                                       \
        c##i##_0 = _mm512_fmadd_pd(av, b0, c##i##_0);                                             \
        c##i##_1 = _mm512_fmadd_pd(av, b1, c##i##_1);                                             \
    }
#define Z_STORE_z_d_body(i)                                                                        \
    if (mr > i) {                                                                                 \
        double *ci = c + i * ldc;                                                                 \
        const double *si = (flags & RK_ROWC) ? c0 : ci;                                           \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm512_add_pd(_mm512_maskz_loadu_pd(m0, si), c##i##_0);                    \
            c##i##_1 = _mm512_add_pd(_mm512_maskz_loadu_pd(m1, si + 8), c##i##_1);                \
        }                                                                                         \
        _mm512_mask_storeu_pd(ci, m0, c##i##_0);                                                  \
        _mm512_mask_storeu_pd(ci + 8, m1, c##i##_1);                                              \
    }

#define Z_FSTORE_z_d_body(i)                                                                       \
    if (mr > i) {                                                                                 \
        double *ci = c + i * ldc;                                                                 \
        const double *si = (flags & RK_ROWC) ? c0 : ci;                                           \
        if (flags & (RK_LOADC | RK_ROWC)) {                                                       \
            c##i##_0 = _mm512_add_pd(_mm512_loadu_pd(si), c##i##_0);                              \
            c##i##_1 = _mm512_add_pd(_mm512_loadu_pd(si + 8), c##i##_1);                          \
        }                                                                                         \
        _mm512_storeu_pd(ci, c##i##_0);                                                           \
        _mm512_storeu_pd(ci + 8, c##i##_1);                                                       \
    }

Z_BODY(z_s_body, float, __m512, Z_SMR, 16, _mm512_loadu_ps, _mm512_maskz_loadu_ps, z_mask16)
Z_BODY(z_d_body, double, __m512d, Z_DMR, 8, _mm512_loadu_pd, _mm512_maskz_loadu_pd, z_mask8)

#define Z_INST(SUF, T, MR)                                                                         \
    static void z_##SUF##_##MR(long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                               int flags, const T *c0) {                                          \
        z_##SUF##_body(MR, kc, ap, b, ldb, c, ldc, nr, flags, c0);                                \
    }
Z_INST(s, float, 1)
Z_INST(s, float, 2)
Z_INST(s, float, 3)
Z_INST(s, float, 4)
Z_INST(s, float, 5)
Z_INST(s, float, 6)
Z_INST(s, float, 7)
Z_INST(s, float, 8)
Z_INST(d, double, 1)
Z_INST(d, double, 2)
Z_INST(d, double, 3)
Z_INST(d, double, 4)
Z_INST(d, double, 5)
Z_INST(d, double, 6)
Z_INST(d, double, 7)
Z_INST(d, double, 8)

/* ---------------- A packing: 8-row slivers by 8x8 (float) / 4x4 (double) transposes ---------------- */

/* Four rows of 8 columns as four vectors: u[q] holds column q (rows 0..3) in its low half and column q + 4 in
   its high half. */
RK_INLINE void z_transpose4x8(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 u[4]) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    u[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    u[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    u[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    u[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

static void z_spack8(long kc, const float *s, long lda, float *d) {
    long p = 0;
    for (; p + 8 <= kc; p += 8, d += 64) {
        __m256 lo[4], hi[4]; /* rows 0..3 and 4..7 */
        z_transpose4x8(_mm256_loadu_ps(s + p), _mm256_loadu_ps(s + lda + p), _mm256_loadu_ps(s + 2 * lda + p),
                       _mm256_loadu_ps(s + 3 * lda + p), lo);
        z_transpose4x8(_mm256_loadu_ps(s + 4 * lda + p), _mm256_loadu_ps(s + 5 * lda + p),
                       _mm256_loadu_ps(s + 6 * lda + p), _mm256_loadu_ps(s + 7 * lda + p), hi);
        for (int q = 0; q < 4; q++) {
            _mm256_storeu_ps(d + 8 * q, _mm256_permute2f128_ps(lo[q], hi[q], 0x20));
            _mm256_storeu_ps(d + 32 + 8 * q, _mm256_permute2f128_ps(lo[q], hi[q], 0x31));
        }
    }
    for (; p < kc; p++, d += 8)
        for (int i = 0; i < 8; i++) d[i] = s[i * lda + p];
}

/* A 4-row sliver (a batch of 4, the teaching size) into 8-row slots: rows 0..3 of each slot. */
static void z_spack4(long kc, const float *s, long lda, float *d) {
    long p = 0;
    for (; p + 8 <= kc; p += 8, d += 64) {
        __m256 u[4];
        z_transpose4x8(_mm256_loadu_ps(s + p), _mm256_loadu_ps(s + lda + p), _mm256_loadu_ps(s + 2 * lda + p),
                       _mm256_loadu_ps(s + 3 * lda + p), u);
        for (int q = 0; q < 4; q++) {
            _mm_storeu_ps(d + 8 * q, _mm256_castps256_ps128(u[q]));
            _mm_storeu_ps(d + 32 + 8 * q, _mm256_extractf128_ps(u[q], 1));
        }
    }
    for (; p < kc; p++, d += 8)
        for (int i = 0; i < 4; i++) d[i] = s[i * lda + p];
}

/* Four rows (lda apart) of 4 columns from q into the first 4 rows of the 8-row slots at d, d + 8, d + 16, d + 24
   (one per column). */
RK_INLINE void z_dtranspose4x4(const double *q, long lda, double *d) {
    __m256d r0 = _mm256_loadu_pd(q), r1 = _mm256_loadu_pd(q + lda);
    __m256d r2 = _mm256_loadu_pd(q + 2 * lda), r3 = _mm256_loadu_pd(q + 3 * lda);
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd(d + 0, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(d + 8, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(d + 16, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(d + 24, _mm256_permute2f128_pd(t1, t3, 0x31));
}

static void z_dpack4(long kc, const double *s, long lda, double *d) {
    long p = 0;
    for (; p + 4 <= kc; p += 4, d += 32) z_dtranspose4x4(s + p, lda, d);
    for (; p < kc; p++, d += 8)
        for (int i = 0; i < 4; i++) d[i] = s[i * lda + p];
}

static void z_dpack8(long kc, const double *s, long lda, double *d) {
    long p = 0;
    for (; p + 4 <= kc; p += 4, d += 32) {
        z_dtranspose4x4(s + p, lda, d);               /* rows 0..3 */
        z_dtranspose4x4(s + 4 * lda + p, lda, d + 4); /* rows 4..7 */
    }
    for (; p < kc; p++, d += 8)
        for (int i = 0; i < 8; i++) d[i] = s[i * lda + p];
}

/* ---------------- activations (the AVX2 path's scheme, rk_vecmath.h; scalef does the 2^n scaling) ---------------- */

#define RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

RK_INLINE __m512 z_expm1_poly_ps(__m512 r) {
#define RK_FIRST(c) __m512 q = _mm512_set1_ps(c);
#define RK_STEP(c) q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(c));
    RK_EXPM1_TAYLOR_F(RK_FIRST, RK_STEP)
#undef RK_FIRST
#undef RK_STEP
    return _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
}
RK_INLINE __m512 z_reduce_ps(__m512 y, __m512 *n) {
    *n = _mm512_roundscale_ps(_mm512_mul_ps(y, _mm512_set1_ps((float)RK_LOG2E)), RNE);
    __m512 r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(RK_LN2_HI_F), y);
    return _mm512_fnmadd_ps(*n, _mm512_set1_ps(RK_LN2_LO_F), r);
}
RK_INLINE __m512 z_tanh_ps(__m512 x) {
    const __m512i sgn = _mm512_set1_epi32((int)0x80000000u);
    __m512i xi = _mm512_castps_si512(x);
    __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sgn, xi));
    __m512 y = _mm512_min_ps(_mm512_add_ps(ax, ax), _mm512_set1_ps(RK_TANH_2X_MAX_F));
    __m512 n;
    __m512 r = z_reduce_ps(y, &n);
    __m512 p = z_expm1_poly_ps(r);
    __m512 s = _mm512_scalef_ps(_mm512_set1_ps(1.0f), n);
    __m512 e = _mm512_fmadd_ps(s, p, _mm512_sub_ps(s, _mm512_set1_ps(1.0f)));
    __m512 t = _mm512_div_ps(e, _mm512_add_ps(e, _mm512_set1_ps(2.0f)));
    t = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), _mm512_and_si512(xi, sgn)));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), t, x);
}
RK_INLINE __m512 z_sigmoid_ps(__m512 x) {
    __m512 z = _mm512_sub_ps(_mm512_setzero_ps(), x);
    z = _mm512_max_ps(_mm512_min_ps(z, _mm512_set1_ps(RK_SIGMOID_Z_MAX_F)), _mm512_set1_ps(RK_SIGMOID_Z_MIN_F));
    __m512 n;
    __m512 r = z_reduce_ps(z, &n);
    __m512 e = _mm512_scalef_ps(_mm512_add_ps(z_expm1_poly_ps(r), _mm512_set1_ps(1.0f)), n);
    __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), s, x);
}

RK_INLINE __m512d z_expm1_poly_pd(__m512d r) {
#define RK_FIRST(c) __m512d q = _mm512_set1_pd(c);
#define RK_STEP(c) q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(c));
    RK_EXPM1_TAYLOR_D(RK_FIRST, RK_STEP)
#undef RK_FIRST
#undef RK_STEP
    return _mm512_fmadd_pd(q, _mm512_mul_pd(r, r), r);
}
RK_INLINE __m512d z_reduce_pd(__m512d y, __m512d *n) {
    *n = _mm512_roundscale_pd(_mm512_mul_pd(y, _mm512_set1_pd(RK_LOG2E)), RNE);
    __m512d r = _mm512_fnmadd_pd(*n, _mm512_set1_pd(RK_LN2_HI_D), y);
    return _mm512_fnmadd_pd(*n, _mm512_set1_pd(RK_LN2_LO_D), r);
}
RK_INLINE __m512d z_tanh_pd(__m512d x) {
    const __m512i sgn = _mm512_set1_epi64((long long)0x8000000000000000ull);
    __m512i xi = _mm512_castpd_si512(x);
    __m512d ax = _mm512_castsi512_pd(_mm512_andnot_si512(sgn, xi));
    __m512d y = _mm512_min_pd(_mm512_add_pd(ax, ax), _mm512_set1_pd(RK_TANH_2X_MAX_D));
    __m512d n;
    __m512d r = z_reduce_pd(y, &n);
    __m512d p = z_expm1_poly_pd(r);
    __m512d s = _mm512_scalef_pd(_mm512_set1_pd(1.0), n);
    __m512d e = _mm512_fmadd_pd(s, p, _mm512_sub_pd(s, _mm512_set1_pd(1.0)));
    __m512d t = _mm512_div_pd(e, _mm512_add_pd(e, _mm512_set1_pd(2.0)));
    t = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(t), _mm512_and_si512(xi, sgn)));
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), t, x);
}
RK_INLINE __m512d z_sigmoid_pd(__m512d x) {
    __m512d z = _mm512_sub_pd(_mm512_setzero_pd(), x);
    z = _mm512_max_pd(_mm512_min_pd(z, _mm512_set1_pd(RK_SIGMOID_Z_MAX_D)), _mm512_set1_pd(RK_SIGMOID_Z_MIN_D));
    __m512d n;
    __m512d r = z_reduce_pd(z, &n);
    __m512d e = _mm512_scalef_pd(_mm512_add_pd(z_expm1_poly_pd(r), _mm512_set1_pd(1.0)), n);
    __m512d s = _mm512_div_pd(_mm512_set1_pd(1.0), _mm512_add_pd(_mm512_set1_pd(1.0), e));
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), s, x);
}

static void z_stanh(long n, const float *x, float *y) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, z_tanh_ps(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = z_mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, z_tanh_ps(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
static void z_ssigmoid(long n, const float *x, float *y) {
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, z_sigmoid_ps(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = z_mask16(n - i);
        _mm512_mask_storeu_ps(y + i, m, z_sigmoid_ps(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
static void z_dtanh(long n, const double *x, double *y) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, z_tanh_pd(_mm512_loadu_pd(x + i)));
    if (i < n) {
        __mmask8 m = z_mask8(n - i);
        _mm512_mask_storeu_pd(y + i, m, z_tanh_pd(_mm512_maskz_loadu_pd(m, x + i)));
    }
}
static void z_dsigmoid(long n, const double *x, double *y) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, z_sigmoid_pd(_mm512_loadu_pd(x + i)));
    if (i < n) {
        __mmask8 m = z_mask8(n - i);
        _mm512_mask_storeu_pd(y + i, m, z_sigmoid_pd(_mm512_maskz_loadu_pd(m, x + i)));
    }
}

/* The LSTM element-wise part in one pass over registers (rk_impl.slstm_cell; see rk_internal.h), as
   kernels_avx2.c's a2_slstm_cell on 16 lanes: the same operations in the same order as fused_template.h's
   lstm_rows with tanh (and this path's own activations), so the results are the same bit for bit. The last
   partial vector of a row runs under a mask, so every unit is done here. */
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
static long z_slstm_cell(long batch, long nu, long gs, const float *gates, long ldg, const float *c_prev, long ldcs,
                         float forget_bias, const float *wi, const float *wf, const float *wo, float cell_clip,
                         float *c_out, float *h_out, long ldh, float *tgi, float *tgj, float *tgf, float *tgo) {
    const __m512 fb = _mm512_set1_ps(forget_bias), lim = _mm512_set1_ps(cell_clip), nlim = _mm512_set1_ps(-cell_clip);
    for (long b = 0; b < batch; b++) {
        const float *g = gates + b * ldg, *cp = c_prev + b * ldcs;
        float *co = c_out + b * ldcs, *h = h_out + b * ldh;
        for (long k = 0; k < nu; k += 16) {
            const __mmask16 m = z_mask16(nu - k);
            __m512 c = _mm512_maskz_loadu_ps(m, cp + k);
            __m512 gi = _mm512_maskz_loadu_ps(m, g + k);
            __m512 gf = _mm512_add_ps(_mm512_maskz_loadu_ps(m, g + 2 * gs + k), fb);
            if (wi) {
                gi = _mm512_add_ps(gi, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wi + k), c));
                gf = _mm512_add_ps(gf, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wf + k), c));
            }
            __m512 i = z_sigmoid_ps(gi), f = z_sigmoid_ps(gf), j = z_tanh_ps(_mm512_maskz_loadu_ps(m, g + gs + k));
            __m512 cn = _mm512_add_ps(_mm512_mul_ps(f, c), _mm512_mul_ps(i, j));
            if (cell_clip >= 0) { /* v > limit ? limit : (v < -limit ? -limit : v), NaN kept */
                cn = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(cn, nlim, _CMP_LT_OQ), cn, nlim);
                cn = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(cn, lim, _CMP_GT_OQ), cn, lim);
            }
            _mm512_mask_storeu_ps(co + k, m, cn);
            __m512 go = _mm512_maskz_loadu_ps(m, g + 3 * gs + k);
            if (wo) go = _mm512_add_ps(go, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, wo + k), cn));
            const __m512 o = z_sigmoid_ps(go);
            _mm512_mask_storeu_ps(h + k, m, _mm512_mul_ps(z_tanh_ps(cn), o));
            if (tgi) {
                const long r = b * ldcs + k;
                _mm512_mask_storeu_ps(tgi + r, m, i);
                _mm512_mask_storeu_ps(tgj + r, m, j);
                _mm512_mask_storeu_ps(tgf + r, m, f);
                _mm512_mask_storeu_ps(tgo + r, m, o);
            }
        }
    }
    return nu;
}

/* The LSTM backward's element-wise part for a row, vectorized for this path (rk_impl.slstm_back_row). */
#define T float
#define LBR_NAME z_slstm_back_row
#define LBR_TANH z_stanh
#include "lstm_back_row.h"
#undef T

#if defined(__clang__)
#pragma clang attribute pop
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

const rk_impl rk_impl_avx512 = {
    .name = "avx512",
    .smr = Z_SMR,
    .snr = Z_SNR,
    .sk = {NULL, z_s_1, z_s_2, z_s_3, z_s_4, z_s_5, z_s_6, z_s_7, z_s_8},
    .dmr = Z_DMR,
    .dnr = Z_DNR,
    .dk = {NULL, z_d_1, z_d_2, z_d_3, z_d_4, z_d_5, z_d_6, z_d_7, z_d_8},
    .stanh = z_stanh,
    .ssigmoid = z_ssigmoid,
    .dtanh = z_dtanh,
    .dsigmoid = z_dsigmoid,
    .slstm_cell = z_slstm_cell,
    .slstm_back_row = z_slstm_back_row,
    .spack8 = z_spack8,
    .dpack8 = z_dpack8,
    .spack4 = z_spack4,
    .dpack4 = z_dpack4,
    .direct_b_in_l2 = 1,
};
#endif
