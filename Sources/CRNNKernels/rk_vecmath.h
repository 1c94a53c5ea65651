/*
 * Constants of the vectorised activations, shared by the AVX2 and AVX-512 paths (each writes the same
 * scheme with its own intrinsics):
 *   tanh(x) = sign(x) * E / (E + 2) with E = expm1(2|x|) (no cancellation for small |x|);
 *   sigmoid(x) = 1 / (1 + exp(-x)).
 *   exp/expm1: n = round(y / ln2), r = y - n ln2 (Cody-Waite, ln2 split in a high and a low part),
 *   expm1(r) by its Taylor series (|r| <= ln2/2: degree 8 for float, 13 for double), then scaled by 2^n.
 */
#ifndef UNROLL_RK_VECMATH_H
#define UNROLL_RK_VECMATH_H

#define RK_LOG2E 1.44269504088896340736
#define RK_LN2_HI_F 0.693145751953125f
#define RK_LN2_LO_F 1.428606765330187045e-06f
#define RK_LN2_HI_D 6.93147180369123816490e-01
#define RK_LN2_LO_D 1.90821492927058770002e-10

/* 2|x| is clamped to this before expm1: tanh(10) == 1 in float, tanh(20) == 1 in double. */
#define RK_TANH_2X_MAX_F 20.0f
#define RK_TANH_2X_MAX_D 40.0

/* The sigmoid's exp(-x) argument is clamped to [MIN, MAX] (exp over/underflows gracefully there). */
#define RK_SIGMOID_Z_MAX_F 89.0f
#define RK_SIGMOID_Z_MIN_F -104.0f
#define RK_SIGMOID_Z_MAX_D 710.0
#define RK_SIGMOID_Z_MIN_D -746.0

/* expm1's Taylor coefficients 1/k!, highest degree first, down to 1/2!, for a Horner evaluation:
   FIRST(c) starts the sum with the highest one, STEP(c) is q = q*r + c for each of the others. */
#define RK_EXPM1_TAYLOR_F(FIRST, STEP)                                                             \
    FIRST(1.0f / 40320) STEP(1.0f / 5040) STEP(1.0f / 720) STEP(1.0f / 120) STEP(1.0f / 24)        \
    STEP(1.0f / 6) STEP(0.5f)
#define RK_EXPM1_TAYLOR_D(FIRST, STEP)                                                             \
    FIRST(1.0 / 6227020800.0) STEP(1.0 / 479001600.0) STEP(1.0 / 39916800.0) STEP(1.0 / 3628800.0) \
    STEP(1.0 / 362880.0) STEP(1.0 / 40320.0) STEP(1.0 / 5040.0) STEP(1.0 / 720.0)                  \
    STEP(1.0 / 120.0) STEP(1.0 / 24.0) STEP(1.0 / 6.0) STEP(0.5)

#endif
