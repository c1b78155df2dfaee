/* tensor_int.h — declarations shared inside tensor/: the scalar reference kernels (the
 * oracle every SIMD kernel is tested against), the per-ISA tables, CPU feature detection. */
#ifndef LMD_TENSOR_INT_H
#define LMD_TENSOR_INT_H

#include <math.h>
#include <string.h>

#include "tensor/blocks.h"
#include "tensor/tensor.h"

/* Round to nearest, ties to even, as ggml's nearest_int: adding 1.5*2^23 pushes the integer
 * part into the mantissa. Valid for |x| < 2^22; larger or NaN inputs give an arbitrary int
 * without undefined behaviour (ggml asserts instead). */
static inline int lmd_nearest_int(float x) {
    float v = x + 12582912.f;
    int32_t i;
    memcpy(&i, &v, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* Reference kernels, one triple per format (lmd_quantize_row_fn, lmd_dequantize_row_fn,
 * lmd_vec_dot_fn signatures). quant_legacy.c: 32-element formats; quant_kquant.c and
 * quant_kquantize.c: K-quants; quant_float.c: F32, F16, BF16. */
#define LMD_REF_DECL(t)                                                                  \
    void lmd_ref_quantize_##t(const float *restrict x, void *restrict y, int64_t n);     \
    void lmd_ref_dequantize_##t(const void *restrict x, float *restrict y, int64_t n);   \
    void lmd_ref_dot_##t(int64_t n, float *restrict s, const void *restrict x,           \
                         const void *restrict y);
LMD_REF_DECL(f32)
LMD_REF_DECL(f16)
LMD_REF_DECL(bf16)
LMD_REF_DECL(q4_0)
LMD_REF_DECL(q4_1)
LMD_REF_DECL(q5_0)
LMD_REF_DECL(q5_1)
LMD_REF_DECL(q8_0)
LMD_REF_DECL(q2_K)
LMD_REF_DECL(q3_K)
LMD_REF_DECL(q4_K)
LMD_REF_DECL(q5_K)
LMD_REF_DECL(q6_K)
#undef LMD_REF_DECL
/* Activation-only formats: quantize (and dequantize, for tests), no dot of their own. */
void lmd_ref_quantize_q8_1(const float *restrict x, void *restrict y, int64_t n);
void lmd_ref_dequantize_q8_1(const void *restrict x, float *restrict y, int64_t n);
void lmd_ref_quantize_q8_K(const float *restrict x, void *restrict y, int64_t n);
void lmd_ref_dequantize_q8_K(const void *restrict x, float *restrict y, int64_t n);

/* A SIMD path overrides entries of the traits table it was built from (a copy of the
 * reference table); entries it leaves alone stay scalar. */
void lmd_kernels_fill_avx2(lmd_type_traits *table);
void lmd_kernels_fill_avx512(lmd_type_traits *table);
void lmd_kernels_fill_neon(lmd_type_traits *table);

/* Fills out with the table of a path ("scalar", "avx2", "avx512", "neon") without making it
 * the process's choice (tests compare every path the CPU runs); false if it cannot run. */
bool lmd_kernels_build_table(const char *path, lmd_type_traits out[LMD_TYPE_COUNT]);

/* The path lmd_kernels_init takes for an LMD_KERNELS value (NULL or "" = best the CPU runs):
 * LMD_E_INVALID for an unknown name, LMD_E_UNSUPPORTED for a path this CPU/build lacks. */
lmd_status lmd_kernels_choose(const char *want, const char **path_out, lmd_err *err);

#endif
