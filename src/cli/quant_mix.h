/* quant_mix.h — llama-quantize's choice of a type for each tensor of a model (llama.cpp
 * 0253fb21, src/llama-quant.cpp), shared by `lmd quantize` and `lmd genmodel`: which tensors
 * may be quantized, the per-category and per-layer rules of each mix (Q4_K_M, Q5_K_M, ...)
 * and the fallbacks for rows that are not a multiple of the block size. Knows tensor names
 * and shapes only; converting the data is the caller's job. */
#ifndef LMD_CLI_QUANT_MIX_H
#define LMD_CLI_QUANT_MIX_H

#include <stdbool.h>
#include <stdint.h>

#include "gguf/gguf.h"

typedef struct {
    const char *name;   /* "Q4_K_M" */
    int ftype;          /* llama.cpp's llama_ftype, stored as general.file_type */
    lmd_type type;      /* the mix's default tensor type */
} lmd_qmix_ftype;

typedef struct {
    char name[64];
    int n_dims;
    int64_t ne[4];
    lmd_type type;      /* current type (in) */
    lmd_type new_type;  /* chosen type (out) */
    int layer;          /* N of a blk.N. prefix, -1 without (filled by lmd_qmix_choose) */
    int64_t idx;        /* the caller's index, carried through the sort */
} lmd_qmix_tensor;

typedef struct {
    char arch[64];
    int64_t n_layer, n_expert, n_head, n_head_kv;
} lmd_qmix_model;

/* The mix named (case-insensitive; "Q4_K" means Q4_K_M), or NULL. */
const lmd_qmix_ftype *lmd_qmix_find_ftype(const char *name);
/* Space-separated names of every mix, for usage text. */
const char *lmd_qmix_ftype_names(void);

/* Reads architecture, block_count, expert_count and head counts from a model's metadata. */
void lmd_qmix_model_from_gguf(const lmd_gguf *g, lmd_qmix_model *m);

/* Sorts t into llama.cpp's weight order (layer, then name; the per-layer rules count in this
 * order) and sets each new_type. pure: every quantizable tensor gets the default type
 * (or its fallback when the row width is not a multiple of its block).
 * Fails when a tensor cannot take its type, or is already quantized to another type and
 * !allow_requantize. */
lmd_status lmd_qmix_choose(const lmd_qmix_model *m, const lmd_qmix_ftype *ft, bool pure,
                           bool allow_requantize, lmd_qmix_tensor *t, int64_t n, lmd_err *err);

#endif
