/* tensor.h — weight formats and the kernels the forward pass calls.
 *
 * Every GGUF block type has a scalar reference (quantize, dequantize, dot) that defines the
 * format and is the test oracle; SIMD variants (AVX2, AVX-512, NEON) are chosen once at start
 * by lmd_kernels_init from CPUID and LMD_KERNELS=scalar|avx2|avx512|neon. Dot products follow
 * llama.cpp's numerics: the activation row is first quantized to the weight type's
 * vec_dot_type (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for K-quants, F16 for F16,
 * BF16 for BF16, F32 for F32). Block structs: tensor/blocks.h. Thread pool: tensor/pool.h. */
#ifndef LMD_TENSOR_H
#define LMD_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/types.h"
#include "util/err.h"

struct lmd_pool;

/* Converts n floats to type t (n a multiple of the block size). */
typedef void (*lmd_quantize_row_fn)(const float *restrict x, void *restrict y, int64_t n);
/* Converts n elements of type t back to floats. */
typedef void (*lmd_dequantize_row_fn)(const void *restrict x, float *restrict y, int64_t n);
/* *s = dot(x, y) over n elements; x of the weight type, y of its vec_dot_type. */
typedef void (*lmd_vec_dot_fn)(int64_t n, float *restrict s, const void *restrict x,
                               const void *restrict y);
/* s[j * s_stride] = dot(x, y + j * y_stride_bytes) for j < n_y (1..LMD_VEC_DOT_MAX_NY): one
 * weight row against several activation rows, decoding each weight block once. Each result
 * is bit-identical to vec_dot on that pair (same operations in the same order), so using it
 * keeps batch invariance. */
#define LMD_VEC_DOT_MAX_NY 4
typedef void (*lmd_vec_dot_n_fn)(int64_t n, float *restrict s, size_t s_stride,
                                 const void *restrict x, const void *restrict y,
                                 size_t y_stride_bytes, int n_y);

typedef struct {
    const char *name;
    int64_t block_elems;
    size_t block_bytes;
    bool is_quantized;
    lmd_quantize_row_fn quantize_row;      /* NULL when we cannot produce this type */
    lmd_dequantize_row_fn dequantize_row;  /* NULL when we cannot read this type */
    lmd_vec_dot_fn vec_dot;                /* NULL when no dot product */
    lmd_type vec_dot_type;                 /* what the activations are converted to */
    lmd_vec_dot_n_fn vec_dot_n;            /* NULL when the path has no multi-row kernel */
} lmd_type_traits;

/* Chooses the kernel path (CPUID, LMD_KERNELS) and fills the traits table. Call once before
 * any thread starts; later calls are no-ops. Fails when LMD_KERNELS names a path this CPU
 * cannot run. */
lmd_status lmd_kernels_init(lmd_err *err);
/* Name of the chosen path: "scalar", "avx2", "avx512", "neon". */
const char *lmd_kernels_path(void);

/* Traits of a type (after lmd_kernels_init); NULL for an unknown id. */
const lmd_type_traits *lmd_type_traits_of(lmd_type t);
/* The scalar reference traits, whatever path was chosen (test oracle). */
const lmd_type_traits *lmd_type_traits_ref(lmd_type t);

/* Half and brain-float conversions, bit-exact with ggml (round to nearest even). */
float lmd_fp16_to_f32(uint16_t h);
uint16_t lmd_f32_to_fp16(float f);
float lmd_bf16_to_f32(uint16_t h);
uint16_t lmd_f32_to_bf16(float f);

/* A weight matrix view: rows of n_cols elements of `type`, row_bytes apart. */
typedef struct {
    const void *data;
    lmd_type type;
    int64_t n_rows;     /* output features */
    int64_t n_cols;     /* input features (ne[0]) */
    size_t row_bytes;
} lmd_matrix;

/* y(n_tokens, W.n_rows) = x(n_tokens, W.n_cols) * W^T, splitting output rows over the pool.
 * scratch must hold lmd_matmul_scratch_bytes(W, n_tokens) bytes (activations converted to the
 * vec_dot_type). Each output element is one dot product computed by one thread, so results do
 * not depend on n_tokens or the thread count (batch invariance). pool may be NULL. */
size_t lmd_matmul_scratch_bytes(const lmd_matrix *W, int64_t n_tokens);
void lmd_matmul(struct lmd_pool *pool, const lmd_matrix *W, const float *x, float *y,
                int64_t n_tokens, void *scratch);

/* Dequantizes row `row` of W into out (n_cols floats), e.g. for embedding lookups. */
void lmd_matrix_get_row(const lmd_matrix *W, int64_t row, float *out);

#endif
