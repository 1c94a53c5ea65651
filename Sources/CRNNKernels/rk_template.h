/* Names in the per-type templates (gemm_template.h, fused_template.h), whose includer defines RK_SUF
   as s (float) or d (double): RK_LOCAL(pack_a) is pack_a_s, RK_API(gemm) is rk_sgemm. */
#ifndef UNROLL_RK_TEMPLATE_H
#define UNROLL_RK_TEMPLATE_H

#define RK_PASTE3_(a, b, c) a##b##c
#define RK_PASTE3(a, b, c) RK_PASTE3_(a, b, c)
#define RK_LOCAL(name) RK_PASTE3(name, _, RK_SUF)
#define RK_API(name) RK_PASTE3(rk_, RK_SUF, name)
/* Internal functions shared between translation units (declared in rk_internal.h): rk_s_pack_rows. */
#define RK_INTERNAL(name) RK_PASTE3(rk_, RK_SUF, _##name)

#endif
