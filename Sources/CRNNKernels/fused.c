/* Element-wise halves of the RNN steps (see include/rnn_fused.h). */
#include "rnn_fused.h"
#include "rk_internal.h"
#include "rk_template.h"
#include "rnn_kernels.h"
#include <math.h>
#include <string.h>

#ifdef __clang__
#pragma clang fp contract(off)
#endif
/* (scripts/gemm-bench.sh builds with gcc -ffp-contract=off, which does the same for every file.) */

/* What one job of a fused recurrent step computes (fused_template.h). */
enum { RK_STEP_LSTM, RK_STEP_GRU_GATES, RK_STEP_GRU_FINISH, RK_STEP_RNN };

#define T float
#define RK_SUF s
#define TANH rk_stanh
#define SIGMOID rk_ssigmoid
#define EXPM1 expm1f
#define NRP RK_SNRP
#include "fused_template.h"

#define T double
#define RK_SUF d
#define TANH rk_dtanh
#define SIGMOID rk_dsigmoid
#define EXPM1 expm1
#define NRP RK_DNRP
#include "fused_template.h"
