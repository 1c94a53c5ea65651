/*
 * The element-wise halves of the RNN steps (include/rnn_fused.h) for one scalar type: fused.c includes
 * this file once for float and once for double, after defining
 *   T       the element type (float, double)    RK_SUF  its letter in the names (s, d)
 *   TANH, SIGMOID  the vectorised activations (rk_stanh, rk_ssigmoid, ...)    EXPM1  expm1f or expm1
 *   NRP     the packed panel width (RK_SNRP, RK_DNRP): the fused steps split units at panel edges
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

void RK_API(add_rows)(long rows, long n, const T *src, long ld, T *y) {
    for (long r = 0; r < rows; r++) {
        const T *s = src + r * ld;
        for (long k = 0; k < n; k++) y[k] += s[k];
    }
}

void RK_API(clip)(long n, T *x, T limit) {
    for (long k = 0; k < n; k++) {
        T v = x[k];
        x[k] = v > limit ? limit : (v < -limit ? -limit : v);
    }
}

/* The LSTM element-wise part for units [0, nu) of every batch row: gate g of a unit at
   gates[b * ldg + g * gs + k] (gs: the layer's units, so a slice of units reads all four gates);
   c_prev, c_out (and gi..go when given) rows ldcs apart; h_out rows ldh apart. The activations run
   on blocks of at most 64 units (their results do not depend on the blocking). */
#define RK_LSTM_BLOCK 64
static void RK_LOCAL(lstm_rows)(long batch, long nu, long gs, const T *gates, long ldg, const T *c_prev, long ldcs,
                                T forget_bias, const T *wi, const T *wf, const T *wo, T cell_clip, int act,
                                T *c_out, T *h_out, long ldh, T *gi, T *gj, T *gf, T *go) {
    long k_start = 0; /* units done in one pass by the path, when it can (float, tanh) */
    if (sizeof(T) == 4 && act == RK_ACT_TANH) {
        const rk_impl *im = rk_current_impl();
        if (im->slstm_cell)
            k_start = im->slstm_cell(batch, nu, gs, (const float *)gates, ldg, (const float *)c_prev, ldcs,
                                     (float)forget_bias, (const float *)wi, (const float *)wf, (const float *)wo,
                                     (float)cell_clip, (float *)c_out, (float *)h_out, ldh, (float *)gi, (float *)gj,
                                     (float *)gf, (float *)go);
    }
    T scratch[4 * RK_LSTM_BLOCK] __attribute__((aligned(64)));
    for (long b = 0; b < batch; b++) {
        for (long k0 = k_start; k0 < nu; k0 += RK_LSTM_BLOCK) {
            const long u = nu - k0 < RK_LSTM_BLOCK ? nu - k0 : RK_LSTM_BLOCK;
            /* i and f adjacent, so that one call activates both */
            T *restrict si = scratch, *restrict sf = scratch + u, *restrict sj = scratch + 2 * u, *restrict so = scratch + 3 * u;
            const T *restrict g = gates + b * ldg + k0;
            const T *restrict cp = c_prev + b * ldcs + k0;
            T *restrict co = c_out + b * ldcs + k0;
            T *restrict h = h_out + b * ldh + k0;
            if (wi) {
                for (long k = 0; k < u; k++) {
                    si[k] = g[k] + wi[k0 + k] * cp[k];
                    sf[k] = (g[2 * gs + k] + forget_bias) + wf[k0 + k] * cp[k];
                }
            } else {
                for (long k = 0; k < u; k++) {
                    si[k] = g[k];
                    sf[k] = g[2 * gs + k] + forget_bias;
                }
            }
            SIGMOID(2 * u, si, si);
            memcpy(sj, g + gs, sizeof(T) * (size_t)u);
            RK_API(act)(u, sj, act);
            for (long k = 0; k < u; k++) co[k] = sf[k] * cp[k] + si[k] * sj[k];
            if (cell_clip >= 0) RK_API(clip)(u, co, cell_clip);
            if (gi) {
                memcpy(gi + b * ldcs + k0, si, sizeof(T) * (size_t)u);
                memcpy(gj + b * ldcs + k0, sj, sizeof(T) * (size_t)u);
                memcpy(gf + b * ldcs + k0, sf, sizeof(T) * (size_t)u);
            }
            if (wo) {
                for (long k = 0; k < u; k++) so[k] = g[3 * gs + k] + wo[k0 + k] * co[k];
            } else {
                memcpy(so, g + 3 * gs, sizeof(T) * (size_t)u);
            }
            SIGMOID(u, so, so);
            if (go) memcpy(go + b * ldcs + k0, so, sizeof(T) * (size_t)u);
            memcpy(sj, co, sizeof(T) * (size_t)u);
            RK_API(act)(u, sj, act);
            for (long k = 0; k < u; k++) h[k] = sj[k] * so[k];
        }
    }
}

void RK_API(lstm_step)(long batch, long units, const T *gates, long ldg, const T *c_prev,
                       T forget_bias, const T *wi, const T *wf, const T *wo, T cell_clip,
                       int act, T *c_out, T *h_out, long ldh, T *gi, T *gj, T *gf, T *go) {
    RK_LOCAL(lstm_rows)(batch, units, units, gates, ldg, c_prev, units, forget_bias, wi, wf, wo, cell_clip, act,
                        c_out, h_out, ldh, gi, gj, gf, go);
}

/* GRU halves for units [0, nu) of every row; gates rows ldg apart with u at + gs; h, rh, cand,
   h_out rows ldu apart. */
static void RK_LOCAL(gru_gate_rows)(long batch, long nu, long gs, T *gates, long ldg, const T *h, T *rh, long ldu) {
    for (long b = 0; b < batch; b++) {
        T *restrict g = gates + b * ldg;
        SIGMOID(nu, g, g);
        SIGMOID(nu, g + gs, g + gs);
        const T *restrict hb = h + b * ldu;
        T *restrict o = rh + b * ldu;
        for (long k = 0; k < nu; k++) o[k] = g[k] * hb[k];
    }
}

static void RK_LOCAL(gru_finish_rows)(long batch, long nu, long gs, const T *gates, long ldg, T *cand, const T *h,
                                      T *h_out, long ldu, int act) {
    for (long b = 0; b < batch; b++) {
        const T *restrict ug = gates + b * ldg + gs;
        T *restrict c = cand + b * ldu;
        RK_API(act)(nu, c, act);
        const T *restrict hb = h + b * ldu;
        T *restrict o = h_out + b * ldu;
        for (long k = 0; k < nu; k++) o[k] = ug[k] * hb[k] + ((T)1 - ug[k]) * c[k];
    }
}

void RK_API(gru_gates)(long batch, long units, T *gates, long ldg, const T *h, T *rh) {
    RK_LOCAL(gru_gate_rows)(batch, units, units, gates, ldg, h, rh, units);
}

void RK_API(gru_finish)(long batch, long units, const T *gates, long ldg, T *cand, const T *h,
                        T *h_out, int act) {
    RK_LOCAL(gru_finish_rows)(batch, units, units, gates, ldg, cand, h, h_out, units, act);
}

/* ---------------- whole recurrent steps, split by units across the pool ---------------- */

typedef struct {
    int kind, act;
    int blocks;           /* gate blocks of `units` columns each in the product (LSTM 4, GRU gates 2, else 1) */
    long batch, units, per_chunk;
    const rk_packed *w;   /* the product's packed weights */
    const T *a;           /* its left-hand rows (h_prev, or r·h for the GRU candidate) */
    long lda;
    T *gates;             /* pre-activations the product is added onto */
    long ldg;
    const T *h_prev;      /* GRU: h (rows `units` apart) */
    const T *c_prev;
    T forget_bias, cell_clip;
    const T *wi, *wf, *wo;
    T *c_out, *h_out, *rh;
    long ldh;
    const T *ugates;      /* GRU candidate job: the activated gates (u at + units), rows ldug apart */
    long ldug;
    T *gi, *gj, *gf, *go; /* LSTM: NULL, or [batch, units] copies of the activated gates (a backward pass's tape) */
} RK_LOCAL(step_job);

typedef struct {
    int apacked;          /* this thread packed `a` for the current job */
    T *ap;
} RK_LOCAL(step_tstate);

static void RK_LOCAL(step_chunk)(const void *vj, long chunk, void *vts) {
    const RK_LOCAL(step_job) *j = vj;
    RK_LOCAL(step_tstate) *ts = vts;
    const long u = j->units, u0 = chunk * j->per_chunk;
    const long u1 = u0 + j->per_chunk < u ? u0 + j->per_chunk : u;
    if (u0 >= u1) return;
    const long nu = u1 - u0, B = j->batch;
    if (!ts->apacked) {
        ts->ap = RK_INTERNAL(pack_rows)(B, j->w->k, j->a, j->lda);
        ts->apacked = 1;
    }
    /* the product for this chunk's units of every gate block (one range when the chunk has every
       unit), then their element-wise part */
    const int blocks = j->blocks;
    if (nu == u)
        RK_INTERNAL(packed_cols)(B, j->a, j->lda, ts->ap, j->w, 0, blocks * u, j->gates, j->ldg, 1);
    else
        for (int g = 0; g < blocks; g++)
            RK_INTERNAL(packed_cols)(B, j->a, j->lda, ts->ap, j->w, g * u + u0, g * u + u1, j->gates, j->ldg, 1);
    switch (j->kind) {
    case RK_STEP_LSTM:
        RK_LOCAL(lstm_rows)(B, nu, u, j->gates + u0, j->ldg, j->c_prev + u0, u, j->forget_bias,
                            j->wi ? j->wi + u0 : NULL, j->wf ? j->wf + u0 : NULL, j->wo ? j->wo + u0 : NULL,
                            j->cell_clip, j->act, j->c_out + u0, j->h_out + u0, j->ldh, j->gi ? j->gi + u0 : NULL,
                            j->gi ? j->gj + u0 : NULL, j->gi ? j->gf + u0 : NULL, j->gi ? j->go + u0 : NULL);
        break;
    case RK_STEP_GRU_GATES:
        RK_LOCAL(gru_gate_rows)(B, nu, u, j->gates + u0, j->ldg, j->h_prev + u0, j->rh + u0, u);
        break;
    case RK_STEP_GRU_FINISH: /* `gates` is the candidate here */
        RK_LOCAL(gru_finish_rows)(B, nu, u, j->ugates + u0, j->ldug, j->gates + u0, j->h_prev + u0, j->h_out + u0,
                                  u, j->act);
        break;
    default:
        for (long b = 0; b < B; b++) {
            T *g = j->gates + b * j->ldg + u0;
            RK_API(act)(nu, g, j->act);
            memcpy(j->h_out + b * j->ldh + u0, g, sizeof(T) * (size_t)nu);
        }
        break;
    }
}

/* Runs one job: one chunk of whole NRP-column panels of units per thread, owned by it (each thread keeps
   the same columns of the weights from step to step). Four smaller chunks per thread, so that a fast
   thread could take a slowed-down one's last chunks, measured 2-4% slower on a quiet machine. */
static void RK_LOCAL(step_run)(RK_LOCAL(step_job) *j, int gate_blocks) {
    const long u = j->units;
    if (j->batch <= 0 || u <= 0) return;
    j->blocks = gate_blocks;
    int nt = rk_threads_for((double)j->batch * (double)j->w->k * (double)(gate_blocks * u));
    long per = (u + nt - 1) / nt;
    per = (per + NRP - 1) / NRP * NRP;
    j->per_chunk = per;
    rk_pool_run_owned(RK_LOCAL(step_chunk), j, sizeof *j, (u + per - 1) / per, nt);
}

void RK_API(lstm_recurrent)(const rk_packed *wh, long batch, const T *h_prev, long ldhp, T *gates, long ldg,
                            long units, const T *c_prev, T forget_bias, const T *wi, const T *wf, const T *wo,
                            T cell_clip, int act, T *c_out, T *h_out, long ldh, T *gi, T *gj, T *gf, T *go) {
    if (!wh || wh->is_double != (sizeof(T) == 8) || wh->n != 4 * units) return;
    RK_LOCAL(step_job) j;
    memset(&j, 0, sizeof j);
    j.kind = RK_STEP_LSTM; j.act = act; j.batch = batch; j.units = units;
    j.w = wh; j.a = h_prev; j.lda = ldhp; j.gates = gates; j.ldg = ldg;
    j.c_prev = c_prev; j.forget_bias = forget_bias; j.cell_clip = cell_clip;
    j.wi = wi; j.wf = wf; j.wo = wo; j.c_out = c_out; j.h_out = h_out; j.ldh = ldh;
    if (gi && gj && gf && go) { j.gi = gi; j.gj = gj; j.gf = gf; j.go = go; }
    RK_LOCAL(step_run)(&j, 4);
}

void RK_API(gru_recurrent)(const rk_packed *wg, const rk_packed *wc, long batch, const T *h_prev, T *gates,
                           long ldg, T *cand, T *rh, long units, int act, T *h_out) {
    if (!wg || !wc || wg->is_double != (sizeof(T) == 8) || wc->is_double != (sizeof(T) == 8) ||
        wg->n != 2 * units || wc->n != units || wc->k != units)
        return;
    RK_LOCAL(step_job) j;
    memset(&j, 0, sizeof j);
    j.kind = RK_STEP_GRU_GATES; j.act = act; j.batch = batch; j.units = units;
    j.w = wg; j.a = h_prev; j.lda = units; j.gates = gates; j.ldg = ldg; j.h_prev = h_prev; j.rh = rh;
    RK_LOCAL(step_run)(&j, 2);
    /* every unit's r·h is needed by the candidate's product: a second job */
    j.kind = RK_STEP_GRU_FINISH; j.w = wc; j.a = rh; j.lda = units; j.gates = cand; j.ldg = units;
    j.ugates = gates; j.ldug = ldg; j.h_out = h_out;
    RK_LOCAL(step_run)(&j, 1);
}

void RK_API(rnn_recurrent)(const rk_packed *wh, long batch, const T *h_prev, long ldhp, T *gates, long ldg,
                           long units, int act, T *h_out, long ldh) {
    if (!wh || wh->is_double != (sizeof(T) == 8) || wh->n != units) return;
    RK_LOCAL(step_job) j;
    memset(&j, 0, sizeof j);
    j.kind = RK_STEP_RNN; j.act = act; j.batch = batch; j.units = units;
    j.w = wh; j.a = h_prev; j.lda = ldhp; j.gates = gates; j.ldg = ldg; j.h_out = h_out; j.ldh = ldh;
    RK_LOCAL(step_run)(&j, 1);
}

/* ---------------- the LSTM backward step, split by units across the pool ---------------- */

typedef struct {
    long batch, units, per_chunk;
    const rk_packed *wt;            /* W_hᵀ packed: k = 4·units, n = units */
    const T *dg_next;               /* [batch, 4·units] gate gradients of the step after, or NULL */
    const unsigned char *fin_next;  /* rows whose dh passes that product by (NULL: none) */
    T *dh, *dh_new;                 /* [batch, units]: the gradient arriving at h; scratch */
    int elementwise;
    const unsigned char *fin;       /* rows past their length at this step (NULL: none) */
    const T *dout, *c, *c_prev, *gi, *gj, *gf, *go;
    T *dc, *dg, *norms;
} RK_LOCAL(lstm_back_job);

/* The squared norms of units [u0, u1) of a row's incoming dc and dh into norms[0] and norms[1]: eight partial
   sums (lane k - u0 mod 8) added pairwise, which vectorize (one running sum would wait on every addition). */
static void RK_LOCAL(lstm_back_norms)(long u0, long u1, const T *dc, const T *dh, T *norms) {
    T sc[8] = {0}, sh[8] = {0};
    long k = u0;
    for (; k + 8 <= u1; k += 8)
        for (int q = 0; q < 8; q++) {
            sc[q] += dc[k + q] * dc[k + q];
            sh[q] += dh[k + q] * dh[k + q];
        }
    for (int q = 0; k < u1; k++, q++) {
        sc[q] += dc[k] * dc[k];
        sh[q] += dh[k] * dh[k];
    }
    norms[0] = ((sc[0] + sc[1]) + (sc[2] + sc[3])) + ((sc[4] + sc[5]) + (sc[6] + sc[7]));
    norms[1] = ((sh[0] + sh[1]) + (sh[2] + sh[3])) + ((sh[4] + sh[5]) + (sh[6] + sh[7]));
}

#define LBR_NAME RK_LOCAL(lstm_back_row)
#define LBR_TANH TANH
#include "lstm_back_row.h"

static void RK_LOCAL(lstm_back_chunk)(const void *vj, long chunk, void *vts) {
    const RK_LOCAL(lstm_back_job) *j = vj;
    RK_LOCAL(step_tstate) *ts = vts;
    const long u = j->units, B = j->batch, G = 4 * u, u0 = chunk * j->per_chunk;
    const long u1 = u0 + j->per_chunk < u ? u0 + j->per_chunk : u;
    if (u0 >= u1) return;
    const long nu = u1 - u0;
    if (j->dg_next) {
        /* dh for this chunk's units: dgates·W_hᵀ, except on rows that pass it by */
        if (!ts->apacked) {
            ts->ap = RK_INTERNAL(pack_rows)(B, G, j->dg_next, G);
            ts->apacked = 1;
        }
        RK_INTERNAL(packed_cols)(B, j->dg_next, G, ts->ap, j->wt, u0, u1, j->dh_new, u, 0);
        for (long b = 0; b < B; b++)
            if (!j->fin_next || !j->fin_next[b]) memcpy(j->dh + b * u + u0, j->dh_new + b * u + u0, sizeof(T) * (size_t)nu);
    }
    if (!j->elementwise) return;
    /* the path's own copy of the row's element-wise part (float), else this file's */
    const rk_impl *im = rk_current_impl();
    for (long b = 0; b < B; b++) {
        const long e0 = b * u;
        T *r = j->dg + b * G;
        if (j->norms) RK_LOCAL(lstm_back_norms)(u0, u1, j->dc + e0, j->dh + e0, j->norms + (chunk * B + b) * 2);
        if (j->fin && j->fin[b]) { /* no gradient into the gates; dh and dc pass by unchanged */
            for (int g = 0; g < 4; g++) memset(r + g * u + u0, 0, sizeof(T) * (size_t)nu);
            continue;
        }
        if (sizeof(T) == 4 && im->slstm_back_row)
            im->slstm_back_row(u0, u1, (const float *)j->dout + e0, (const float *)j->c + e0, (const float *)j->c_prev + e0,
                               (const float *)j->gi + e0, (const float *)j->gj + e0, (const float *)j->gf + e0,
                               (const float *)j->go + e0, (const float *)j->dh + e0, (float *)j->dc + e0, (float *)r,
                               (float *)r + u, (float *)r + 2 * u, (float *)r + 3 * u);
        else
            RK_LOCAL(lstm_back_row)(u0, u1, j->dout + e0, j->c + e0, j->c_prev + e0, j->gi + e0, j->gj + e0, j->gf + e0,
                                    j->go + e0, j->dh + e0, j->dc + e0, r, r + u, r + 2 * u, r + 3 * u);
    }
}

long RK_API(lstm_backward_step)(const rk_packed *wt, long batch, long units, const T *dg_next,
                                const unsigned char *fin_next, T *dh, T *dh_new, int elementwise,
                                const unsigned char *fin, const T *dout, const T *c, const T *c_prev, const T *gi,
                                const T *gj, const T *gf, const T *go, T *dc, T *dg, T *norms, long norm_chunks) {
    if (batch <= 0 || units <= 0) return 0;
    if (dg_next && (!wt || wt->is_double != (sizeof(T) == 8) || wt->k != 4 * units || wt->n != units)) return -1;
    RK_LOCAL(lstm_back_job) j;
    memset(&j, 0, sizeof j);
    j.batch = batch; j.units = units; j.wt = wt; j.dg_next = dg_next; j.fin_next = fin_next;
    j.dh = dh; j.dh_new = dh_new; j.elementwise = elementwise; j.fin = fin; j.dout = dout; j.c = c;
    j.c_prev = c_prev; j.gi = gi; j.gj = gj; j.gf = gf; j.go = go; j.dc = dc; j.dg = dg; j.norms = norms;
    int nt = rk_threads_for((double)batch * (double)(4 * units) * (double)units);
    long per = (units + nt - 1) / nt;
    per = (per + NRP - 1) / NRP * NRP;
    if (norm_chunks < 1) norm_chunks = 1;
    if ((units + per - 1) / per > norm_chunks) per = (units + norm_chunks - 1) / norm_chunks;
    j.per_chunk = per;
    const long chunks = (units + per - 1) / per;
    rk_pool_run_owned(RK_LOCAL(lstm_back_chunk), &j, sizeof j, chunks, nt);
    return chunks;
}

#undef T
#undef RK_SUF
#undef TANH
#undef SIGMOID
#undef EXPM1
#undef NRP
