/* AVX-512F path: 8x32 (float) and 8x16 (double) register-blocked micro-kernels with masked edges,
   and vectorised activations. Compiled for avx512f (+avx2,fma); only called after the run-time CPU
   check in kernels_core.c. */
#include "rk_internal.h"

#if RK_X86
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif

#define Z_SMR 8
#define Z_SNR 32
#define Z_DMR 8
#define Z_DNR 16

RK_INLINE __mmask16 z_mask16(long valid) {
    return valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? (__mmask16)0 : (__mmask16)((1u << valid) - 1);
}
RK_INLINE __mmask8 z_mask8(long valid) {
    return valid >= 8 ? (__mmask8)0xFF : valid <= 0 ? (__mmask8)0 : (__mmask8)((1u << valid) - 1);
}

/* ---------------- float 8x32 ---------------- */

RK_INLINE void z_s_body(const int mr, long kc, const float *ap, const float *b, long ldb, float *c, long ldc,
                        long nr, int flags) {
    __m512 c0[Z_SMR], c1[Z_SMR];
    for (int i = 0; i < mr; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    for (int i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    if (!(flags & RK_BMASK)) {
        for (long p = 0; p < kc; p++, ap += Z_SMR, b += ldb) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
            for (int i = 0; i < mr; i++) {
                __m512 a = _mm512_set1_ps(ap[i]);
                c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
            }
        }
    } else {
        __mmask16 m0 = z_mask16(nr), m1 = z_mask16(nr - 16);
        for (long p = 0; p < kc; p++, ap += Z_SMR, b += ldb) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
            for (int i = 0; i < mr; i++) {
                __m512 a = _mm512_set1_ps(ap[i]);
                c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
                c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
            }
        }
    }
    __mmask16 m0 = z_mask16(nr), m1 = z_mask16(nr - 16);
    for (int i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        if (flags & RK_LOADC) {
            c0[i] = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), c0[i]);
            c1[i] = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), c1[i]);
        }
        _mm512_mask_storeu_ps(ci, m0, c0[i]);
        _mm512_mask_storeu_ps(ci + 16, m1, c1[i]);
    }
}

/* ---------------- double 8x16 ---------------- */

RK_INLINE void z_d_body(const int mr, long kc, const double *ap, const double *b, long ldb, double *c, long ldc,
                        long nr, int flags) {
    __m512d c0[Z_DMR], c1[Z_DMR];
    for (int i = 0; i < mr; i++) c0[i] = c1[i] = _mm512_setzero_pd();
    for (int i = 0; i < mr; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 8), _MM_HINT_T0);
    }
    if (!(flags & RK_BMASK)) {
        for (long p = 0; p < kc; p++, ap += Z_DMR, b += ldb) {
            __m512d b0 = _mm512_loadu_pd(b), b1 = _mm512_loadu_pd(b + 8);
            for (int i = 0; i < mr; i++) {
                __m512d a = _mm512_set1_pd(ap[i]);
                c0[i] = _mm512_fmadd_pd(a, b0, c0[i]);
                c1[i] = _mm512_fmadd_pd(a, b1, c1[i]);
            }
        }
    } else {
        __mmask8 m0 = z_mask8(nr), m1 = z_mask8(nr - 8);
        for (long p = 0; p < kc; p++, ap += Z_DMR, b += ldb) {
            __m512d b0 = _mm512_maskz_loadu_pd(m0, b), b1 = _mm512_maskz_loadu_pd(m1, b + 8);
            for (int i = 0; i < mr; i++) {
                __m512d a = _mm512_set1_pd(ap[i]);
                c0[i] = _mm512_fmadd_pd(a, b0, c0[i]);
                c1[i] = _mm512_fmadd_pd(a, b1, c1[i]);
            }
        }
    }
    __mmask8 m0 = z_mask8(nr), m1 = z_mask8(nr - 8);
    for (int i = 0; i < mr; i++) {
        double *ci = c + i * ldc;
        if (flags & RK_LOADC) {
            c0[i] = _mm512_add_pd(_mm512_maskz_loadu_pd(m0, ci), c0[i]);
            c1[i] = _mm512_add_pd(_mm512_maskz_loadu_pd(m1, ci + 8), c1[i]);
        }
        _mm512_mask_storeu_pd(ci, m0, c0[i]);
        _mm512_mask_storeu_pd(ci + 8, m1, c1[i]);
    }
}

#define Z_INST(SUF, T, MR)                                                                         \
    static void z_##SUF##_##MR(long kc, const T *ap, const T *b, long ldb, T *c, long ldc, long nr, \
                               int flags) {                                                       \
        z_##SUF##_body(MR, kc, ap, b, ldb, c, ldc, nr, flags);                                    \
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

/* ---------------- activations (same scheme as the AVX2 path; scalef does the 2^n scaling) ---------------- */

#define LOG2E 1.44269504088896340736
#define LN2_HI_F 0.693145751953125f
#define LN2_LO_F 1.428606765330187045e-06f
#define LN2_HI_D 6.93147180369123816490e-01
#define LN2_LO_D 1.90821492927058770002e-10
#define RNE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

RK_INLINE __m512 z_expm1_poly_ps(__m512 r) {
    __m512 q = _mm512_set1_ps(1.0f / 40320);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 5040));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 720));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 120));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 24));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(1.0f / 6));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    return _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
}
RK_INLINE __m512 z_reduce_ps(__m512 y, __m512 *n) {
    *n = _mm512_roundscale_ps(_mm512_mul_ps(y, _mm512_set1_ps((float)LOG2E)), RNE);
    __m512 r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(LN2_HI_F), y);
    return _mm512_fnmadd_ps(*n, _mm512_set1_ps(LN2_LO_F), r);
}
RK_INLINE __m512 z_tanh_ps(__m512 x) {
    const __m512i sgn = _mm512_set1_epi32((int)0x80000000u);
    __m512i xi = _mm512_castps_si512(x);
    __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sgn, xi));
    __m512 y = _mm512_min_ps(_mm512_add_ps(ax, ax), _mm512_set1_ps(20.0f));
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
    z = _mm512_max_ps(_mm512_min_ps(z, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
    __m512 n;
    __m512 r = z_reduce_ps(z, &n);
    __m512 e = _mm512_scalef_ps(_mm512_add_ps(z_expm1_poly_ps(r), _mm512_set1_ps(1.0f)), n);
    __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), s, x);
}

RK_INLINE __m512d z_expm1_poly_pd(__m512d r) {
    __m512d q = _mm512_set1_pd(1.0 / 6227020800.0);
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 479001600.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 39916800.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 3628800.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 362880.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 40320.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 5040.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 720.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 120.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 24.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 6.0));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0.5));
    return _mm512_fmadd_pd(q, _mm512_mul_pd(r, r), r);
}
RK_INLINE __m512d z_reduce_pd(__m512d y, __m512d *n) {
    *n = _mm512_roundscale_pd(_mm512_mul_pd(y, _mm512_set1_pd(LOG2E)), RNE);
    __m512d r = _mm512_fnmadd_pd(*n, _mm512_set1_pd(LN2_HI_D), y);
    return _mm512_fnmadd_pd(*n, _mm512_set1_pd(LN2_LO_D), r);
}
RK_INLINE __m512d z_tanh_pd(__m512d x) {
    const __m512i sgn = _mm512_set1_epi64((long long)0x8000000000000000ull);
    __m512i xi = _mm512_castpd_si512(x);
    __m512d ax = _mm512_castsi512_pd(_mm512_andnot_si512(sgn, xi));
    __m512d y = _mm512_min_pd(_mm512_add_pd(ax, ax), _mm512_set1_pd(40.0));
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
    z = _mm512_max_pd(_mm512_min_pd(z, _mm512_set1_pd(710.0)), _mm512_set1_pd(-746.0));
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
};
#endif
