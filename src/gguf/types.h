/* types.h — the tensor element types a GGUF file can name (ggml's type ids) and their block
 * geometry. This is part of the file format, so it lives with the reader: gguf/ validates
 * tensor sizes with it, tensor/ builds its kernels table on it. */
#ifndef LMD_GGUF_TYPES_H
#define LMD_GGUF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values are ggml's `enum ggml_type` ids exactly (gaps are ids ggml removed). */
typedef enum {
    LMD_TYPE_F32 = 0,
    LMD_TYPE_F16 = 1,
    LMD_TYPE_Q4_0 = 2,
    LMD_TYPE_Q4_1 = 3,
    LMD_TYPE_Q5_0 = 6,
    LMD_TYPE_Q5_1 = 7,
    LMD_TYPE_Q8_0 = 8,
    LMD_TYPE_Q8_1 = 9,
    LMD_TYPE_Q2_K = 10,
    LMD_TYPE_Q3_K = 11,
    LMD_TYPE_Q4_K = 12,
    LMD_TYPE_Q5_K = 13,
    LMD_TYPE_Q6_K = 14,
    LMD_TYPE_Q8_K = 15,
    LMD_TYPE_IQ2_XXS = 16,
    LMD_TYPE_IQ2_XS = 17,
    LMD_TYPE_IQ3_XXS = 18,
    LMD_TYPE_IQ1_S = 19,
    LMD_TYPE_IQ4_NL = 20,
    LMD_TYPE_IQ3_S = 21,
    LMD_TYPE_IQ2_S = 22,
    LMD_TYPE_IQ4_XS = 23,
    LMD_TYPE_I8 = 24,
    LMD_TYPE_I16 = 25,
    LMD_TYPE_I32 = 26,
    LMD_TYPE_I64 = 27,
    LMD_TYPE_F64 = 28,
    LMD_TYPE_IQ1_M = 29,
    LMD_TYPE_BF16 = 30,
    LMD_TYPE_TQ1_0 = 34,
    LMD_TYPE_TQ2_0 = 35,
    LMD_TYPE_MXFP4 = 39,
    LMD_TYPE_NVFP4 = 40,
    LMD_TYPE_Q1_0 = 41,
    LMD_TYPE_COUNT = 42,
} lmd_type;

typedef struct {
    const char *name;       /* ggml's name: "q4_K", "f16", ... (NULL for an unknown id) */
    int64_t block_elems;    /* elements per block (1 for plain types) */
    size_t block_bytes;     /* bytes per block */
} lmd_type_geometry;

/* Geometry of a type id, or NULL when the id is not a known ggml type. */
const lmd_type_geometry *lmd_type_geometry_of(uint32_t type_id);

/* Name of a type ("Q4_K", "F32", upper case as llama.cpp prints it), "?" when unknown. */
const char *lmd_type_name(lmd_type t);

/* Looks up a type by name, case-insensitive ("q8_0", "Q8_0", "bf16"); false if unknown. */
bool lmd_type_from_name(const char *name, lmd_type *out);

/* Bytes of a row of n elements; 0 when n is not a multiple of the block size or overflows. */
size_t lmd_type_row_bytes(lmd_type t, int64_t n);

#endif
