/*
 * The LSTM backward step's element-wise part for units [u0, u1) of one batch row (fused_template.h's
 * lstm_back_chunk): the gate gradients ri, rj, rf, ro, and the cell gradient passed back in dc. Plain C that
 * each including file compiles for its own instruction set: fused_template.h for any CPU, the AVX2 and AVX-512
 * paths for theirs (wider vectors; the same operations on every element, so the same results). Included with
 *   T           the element type      LBR_NAME  the function's name      LBR_TANH  tanh over n elements
 * defined (and undefines them). Not a public header: no include guard.
 */
static void LBR_NAME(long u0, long u1, const T *restrict dout, const T *restrict c, const T *restrict cp,
                     const T *restrict i, const T *restrict jj, const T *restrict f, const T *restrict o,
                     const T *restrict dh, T *restrict dc, T *restrict ri, T *restrict rj, T *restrict rf,
                     T *restrict ro) {
    T y[64] __attribute__((aligned(64)));
    for (long k0 = u0; k0 < u1; k0 += 64) {
        const long n = u1 - k0 < 64 ? u1 - k0 : 64;
        LBR_TANH(n, c + k0, y);
        for (long q = 0; q < n; q++) {
            const long k = k0 + q;
            const T dhv = dout[k] + dh[k];
            const T yv = y[q];
            const T dO = dhv * yv;
            const T dActC = dhv * o[k];
            const T dcv = dActC * ((T)1 - yv * yv) + dc[k];
            ro[k] = dO * o[k] * ((T)1 - o[k]);
            const T vi = dcv * jj[k];
            ri[k] = vi * i[k] * ((T)1 - i[k]);
            const T vf = dcv * cp[k];
            rf[k] = vf * f[k] * ((T)1 - f[k]);
            rj[k] = (dcv * i[k]) * ((T)1 - jj[k] * jj[k]);
            dc[k] = dcv * f[k];
        }
    }
}
#undef LBR_NAME
#undef LBR_TANH
