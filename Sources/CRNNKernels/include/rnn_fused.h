#ifndef UNROLL_RNN_FUSED_H
#define UNROLL_RNN_FUSED_H
/*
 * Element-wise halves of one RNN step, for a batch of rows, in float (s) and double (d): these routines
 * take the finished pre-activations (products done by the caller with rnn_kernels.h) and produce the
 * new state. At the end, whole recurrent steps (rk_slstm_recurrent, ...) that also do the product h·W_h
 * themselves, split across the kernels' threads; the input projections x·W_x + b and an LSTM's
 * projection stay the caller's.
 *
 * Activation codes (TF names): 0 tanh, 1 relu, 2 sigmoid, 3 softsign, 4 elu.
 * Arithmetic is done in the same order as TF's (and the Swift reference's) formulas, without FMA
 * contraction, so results do not depend on the instruction set chosen for these loops.
 */
#include <stddef.h>
#include "rnn_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { RK_ACT_TANH = 0, RK_ACT_RELU = 1, RK_ACT_SIGMOID = 2, RK_ACT_SOFTSIGN = 3, RK_ACT_ELU = 4 };

/* x = act(x) over n elements, in place. */
void rk_sact(long n, float *x, int act);
void rk_dact(long n, double *x, int act);

/* y = a + b over n elements (y may alias a or b). */
void rk_sadd(long n, const float *a, const float *b, float *y);
void rk_dadd(long n, const double *a, const double *b, double *y);

/* y += each of `rows` rows of src (ld apart), n elements, the rows in order: a bias's gradient, the sum of a
   block of gate gradients' rows, in one call instead of one per row. */
void rk_sadd_rows(long rows, long n, const float *src, long ld, float *y);
void rk_dadd_rows(long rows, long n, const double *src, long ld, double *y);

/* x = clip_by_value(x, -limit, limit) over n elements, NaN kept. */
void rk_sclip(long n, float *x, float limit);
void rk_dclip(long n, double *x, double limit);

/*
 * LSTM: gates row b at gates + b*ldg holds the pre-activations i, j, f, o (units each, TF order).
 *   i = σ(i + w_i·c), f = σ(f + forget_bias + w_f·c), j = act(j)
 *   c' = f·c + i·j, clipped to ±cell_clip when cell_clip >= 0
 *   o = σ(o + w_o·c'), h = act(c')·o
 * c_prev, c_out: [batch, units] contiguous; h_out row b at h_out + b*ldh (the un-projected output m).
 * wi, wf, wo: peephole diagonals (units each) or all NULL.
 * gi, gj, gf, go: when not NULL, [batch, units] copies of the activated gates (for frames).
 */
void rk_slstm_step(long batch, long units, const float *gates, long ldg, const float *c_prev,
                   float forget_bias, const float *wi, const float *wf, const float *wo, float cell_clip,
                   int act, float *c_out, float *h_out, long ldh,
                   float *gi, float *gj, float *gf, float *go);
void rk_dlstm_step(long batch, long units, const double *gates, long ldg, const double *c_prev,
                   double forget_bias, const double *wi, const double *wf, const double *wo, double cell_clip,
                   int act, double *c_out, double *h_out, long ldh,
                   double *gi, double *gj, double *gf, double *go);

/*
 * GRU, first half: gates [batch, ldg] rows hold r, u pre-activations (units each); they are replaced by
 * σ(r), σ(u) in place, and rh = r·h ([batch, units] contiguous; h contiguous [batch, units]).
 */
void rk_sgru_gates(long batch, long units, float *gates, long ldg, const float *h, float *rh);
void rk_dgru_gates(long batch, long units, double *gates, long ldg, const double *h, double *rh);

/*
 * GRU, second half: cand [batch, units] (pre-activation) becomes act(cand) in place, and
 * h_out = u·h + (1 − u)·cand with u from the activated gates.
 */
void rk_sgru_finish(long batch, long units, const float *gates, long ldg, float *cand, const float *h,
                    float *h_out, int act);
void rk_dgru_finish(long batch, long units, const double *gates, long ldg, double *cand, const double *h,
                    double *h_out, int act);

/*
 * Whole recurrent steps, split by units across the kernels' thread pool (rk_set_threads): each thread
 * multiplies the previous state by its units' columns of the packed recurrent weights, adding them onto
 * the step's pre-activations (which hold the input projections and bias), and runs the element-wise
 * part for those units while they are in its cache. Results equal the product followed by the
 * element-wise routines above. Nothing is done when a packed matrix has the wrong type or shape.
 *
 * LSTM: wh is (state depth) x 4·units (i, j, f, o); h_prev rows ldhp apart; gates [batch, ldg];
 *   c_prev, c_out [batch, units]; h_out rows ldh apart (the un-projected output m); gi, gj, gf, go
 *   NULL or [batch, units] copies of the activated gates (a backward pass's tape); the rest as
 *   rk_slstm_step.
 * GRU: wg units x 2·units (r, u), wc units x units (the candidate's state block); gates [batch, ldg]
 *   hold the r, u input projections and end activated; cand [batch, units] the candidate's input
 *   projection (ends activated); rh [batch, units] receives r·h; h_prev, h_out [batch, units].
 * Basic RNN: wh is (state depth) x units; h_out = act(gates + h_prev·wh), rows ldh apart.
 */
void rk_slstm_recurrent(const rk_packed *wh, long batch, const float *h_prev, long ldhp, float *gates, long ldg,
                        long units, const float *c_prev, float forget_bias, const float *wi, const float *wf,
                        const float *wo, float cell_clip, int act, float *c_out, float *h_out, long ldh,
                        float *gi, float *gj, float *gf, float *go);
void rk_dlstm_recurrent(const rk_packed *wh, long batch, const double *h_prev, long ldhp, double *gates, long ldg,
                        long units, const double *c_prev, double forget_bias, const double *wi, const double *wf,
                        const double *wo, double cell_clip, int act, double *c_out, double *h_out, long ldh,
                        double *gi, double *gj, double *gf, double *go);
void rk_sgru_recurrent(const rk_packed *wg, const rk_packed *wc, long batch, const float *h_prev, float *gates,
                       long ldg, float *cand, float *rh, long units, int act, float *h_out);
void rk_dgru_recurrent(const rk_packed *wg, const rk_packed *wc, long batch, const double *h_prev, double *gates,
                       long ldg, double *cand, double *rh, long units, int act, double *h_out);
void rk_srnn_recurrent(const rk_packed *wh, long batch, const float *h_prev, long ldhp, float *gates, long ldg,
                       long units, int act, float *h_out, long ldh);
void rk_drnn_recurrent(const rk_packed *wh, long batch, const double *h_prev, long ldhp, double *gates, long ldg,
                       long units, int act, double *h_out, long ldh);

/*
 * One step of an LSTM's backward sweep (plain tanh LSTM: no peepholes, clip or projection), split by units
 * across the pool as the forward's steps are: each thread first finishes the gradient arriving at h for its
 * units, dh = dg_next·W_hᵀ (wt: W_hᵀ packed, 4·units x units; skipped when dg_next is NULL; rows with
 * fin_next[b] != 0 keep their dh), then, when `elementwise`, records per row the sums of squares of dc and dh
 * over its units (norms: [chunk][batch][2], when not NULL) and runs the cell's derivatives for its units:
 * from dout (the step's output gradient), dh, dc, act(c) and the activated gates gi..go ([batch, units]
 * each), the gate gradients dg (rows of i, j, f, o blocks, 4·units wide) and dc ← the gradient at c_prev
 * (dc·f). Rows with fin[b] != 0 get zero gate gradients and keep dh and dc. dh_new: [batch, units] scratch.
 * Arithmetic in the order of the engine's step-by-step VJP. Returns the number of chunks (at most
 * norm_chunks) whose norms were written, -1 when wt does not fit.
 */
long rk_slstm_backward_step(const rk_packed *wt, long batch, long units, const float *dg_next,
                            const unsigned char *fin_next, float *dh, float *dh_new, int elementwise,
                            const unsigned char *fin, const float *dout, const float *c, const float *c_prev,
                            const float *gi, const float *gj, const float *gf, const float *go, float *dc, float *dg,
                            float *norms, long norm_chunks);
long rk_dlstm_backward_step(const rk_packed *wt, long batch, long units, const double *dg_next,
                            const unsigned char *fin_next, double *dh, double *dh_new, int elementwise,
                            const unsigned char *fin, const double *dout, const double *c, const double *c_prev,
                            const double *gi, const double *gj, const double *gf, const double *go, double *dc,
                            double *dg, double *norms, long norm_chunks);

#ifdef __cplusplus
}
#endif
#endif
