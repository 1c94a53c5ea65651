/*
 * The element-wise halves of the RNN steps (include/rnn_fused.h) for one scalar type: fused.c includes
 * this file once for float and once for double, after defining
 *   T       the element type (float, double)    RK_SUF  its letter in the names (s, d)
 *   TANH, SIGMOID  the vectorised activations (rk_stanh, rk_ssigmoid, ...)    EXPM1  expm1f or expm1
 * and undefines them again. Not a public header: no include guard.
 */

void RK_API(act)(long n, T *x, int act) {
    switch (act) {
    case RK_ACT_TANH: TANH(n, x, x); break;
    case RK_ACT_SIGMOID: SIGMOID(n, x, x); break;
    case RK_ACT_RELU:
        for (long k = 0; k < n; k++) {
            T v = x[k];
            x[k] = (v > 0 || v != v) ? v : (T)0;
        }
        break;
    case RK_ACT_SOFTSIGN:
        for (long k = 0; k < n; k++) x[k] = x[k] / ((T)1 + (x[k] < 0 ? -x[k] : x[k]));
        break;
    case RK_ACT_ELU:
        for (long k = 0; k < n; k++)
            if (x[k] < 0) x[k] = EXPM1(x[k]);
        break;
    default: break;
    }
}

void RK_API(add)(long n, const T *a, const T *b, T *y) {
    for (long k = 0; k < n; k++) y[k] = a[k] + b[k];
}

void RK_API(clip)(long n, T *x, T limit) {
    for (long k = 0; k < n; k++) {
        T v = x[k];
        x[k] = v > limit ? limit : (v < -limit ? -limit : v);
    }
}

void RK_API(lstm_step)(long batch, long units, const T *gates, long ldg, const T *c_prev,
                       T forget_bias, const T *wi, const T *wf, const T *wo, T cell_clip,
                       int act, T *c_out, T *h_out, long ldh,
                       T *gi, T *gj, T *gf, T *go, T *scratch) {
    const long u = units;
    T *restrict si = scratch, *restrict sf = scratch + u, *restrict sj = scratch + 2 * u;
    T *restrict so = scratch + 3 * u;
    for (long b = 0; b < batch; b++) {
        const T *restrict g = gates + b * ldg;
        const T *restrict cp = c_prev + b * u;
        T *restrict co = c_out + b * u;
        T *restrict h = h_out + b * ldh;
        if (wi) {
            for (long k = 0; k < u; k++) {
                si[k] = g[k] + wi[k] * cp[k];
                sf[k] = (g[2 * u + k] + forget_bias) + wf[k] * cp[k];
            }
        } else {
            for (long k = 0; k < u; k++) {
                si[k] = g[k];
                sf[k] = g[2 * u + k] + forget_bias;
            }
        }
        SIGMOID(2 * u, si, si); /* si and sf are adjacent */
        memcpy(sj, g + u, sizeof(T) * (size_t)u);
        RK_API(act)(u, sj, act);
        for (long k = 0; k < u; k++) co[k] = sf[k] * cp[k] + si[k] * sj[k];
        if (cell_clip >= 0) RK_API(clip)(u, co, cell_clip);
        if (gi) {
            memcpy(gi + b * u, si, sizeof(T) * (size_t)u);
            memcpy(gj + b * u, sj, sizeof(T) * (size_t)u);
            memcpy(gf + b * u, sf, sizeof(T) * (size_t)u);
        }
        if (wo) {
            for (long k = 0; k < u; k++) so[k] = g[3 * u + k] + wo[k] * co[k];
        } else {
            memcpy(so, g + 3 * u, sizeof(T) * (size_t)u);
        }
        SIGMOID(u, so, so);
        if (go) memcpy(go + b * u, so, sizeof(T) * (size_t)u);
        memcpy(sj, co, sizeof(T) * (size_t)u);
        RK_API(act)(u, sj, act);
        for (long k = 0; k < u; k++) h[k] = sj[k] * so[k];
    }
}

void RK_API(gru_gates)(long batch, long units, T *gates, long ldg, const T *h, T *rh) {
    for (long b = 0; b < batch; b++) {
        T *restrict g = gates + b * ldg;
        SIGMOID(2 * units, g, g);
        const T *restrict hb = h + b * units;
        T *restrict o = rh + b * units;
        for (long k = 0; k < units; k++) o[k] = g[k] * hb[k];
    }
}

void RK_API(gru_finish)(long batch, long units, const T *gates, long ldg, T *cand, const T *h,
                        T *h_out, int act) {
    RK_API(act)(batch * units, cand, act);
    for (long b = 0; b < batch; b++) {
        const T *restrict ug = gates + b * ldg + units;
        const T *restrict c = cand + b * units;
        const T *restrict hb = h + b * units;
        T *restrict o = h_out + b * units;
        for (long k = 0; k < units; k++) o[k] = ug[k] * hb[k] + ((T)1 - ug[k]) * c[k];
    }
}

#undef T
#undef RK_SUF
#undef TANH
#undef SIGMOID
#undef EXPM1
