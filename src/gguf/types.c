/* types.c — ggml's tensor element types: names and block geometry.
 *
 * The numbers are part of the GGUF format (a tensor's byte size is derived from them), so they
 * must equal ggml's type_traits exactly. Checked against llama.cpp 0253fb21
 * (ggml/src/ggml.c type_traits, ggml/src/ggml-common.h block structs: sizeof printed by a
 * throw-away program compiled against that header). Ids ggml removed (4, 5, 31..33, 36..38)
 * have no row and are rejected as unknown. */
#include "gguf/types.h"

#include <strings.h>

#include "util/ovf.h"

typedef struct {
    lmd_type_geometry geo;
    const char *upper; /* llama.cpp's printed name (ggml_type_name upper-cased) */
} type_row;

#define ROW(id, lower, up, blk, bytes) [id] = { { lower, blk, bytes }, up }

static const type_row rows[LMD_TYPE_COUNT] = {
    ROW(LMD_TYPE_F32, "f32", "F32", 1, 4),
    ROW(LMD_TYPE_F16, "f16", "F16", 1, 2),
    ROW(LMD_TYPE_Q4_0, "q4_0", "Q4_0", 32, 18),
    ROW(LMD_TYPE_Q4_1, "q4_1", "Q4_1", 32, 20),
    ROW(LMD_TYPE_Q5_0, "q5_0", "Q5_0", 32, 22),
    ROW(LMD_TYPE_Q5_1, "q5_1", "Q5_1", 32, 24),
    ROW(LMD_TYPE_Q8_0, "q8_0", "Q8_0", 32, 34),
    ROW(LMD_TYPE_Q8_1, "q8_1", "Q8_1", 32, 36),
    ROW(LMD_TYPE_Q2_K, "q2_K", "Q2_K", 256, 84),
    ROW(LMD_TYPE_Q3_K, "q3_K", "Q3_K", 256, 110),
    ROW(LMD_TYPE_Q4_K, "q4_K", "Q4_K", 256, 144),
    ROW(LMD_TYPE_Q5_K, "q5_K", "Q5_K", 256, 176),
    ROW(LMD_TYPE_Q6_K, "q6_K", "Q6_K", 256, 210),
    ROW(LMD_TYPE_Q8_K, "q8_K", "Q8_K", 256, 292),
    ROW(LMD_TYPE_IQ2_XXS, "iq2_xxs", "IQ2_XXS", 256, 66),
    ROW(LMD_TYPE_IQ2_XS, "iq2_xs", "IQ2_XS", 256, 74),
    ROW(LMD_TYPE_IQ3_XXS, "iq3_xxs", "IQ3_XXS", 256, 98),
    ROW(LMD_TYPE_IQ1_S, "iq1_s", "IQ1_S", 256, 50),
    ROW(LMD_TYPE_IQ4_NL, "iq4_nl", "IQ4_NL", 32, 18),
    ROW(LMD_TYPE_IQ3_S, "iq3_s", "IQ3_S", 256, 110),
    ROW(LMD_TYPE_IQ2_S, "iq2_s", "IQ2_S", 256, 82),
    ROW(LMD_TYPE_IQ4_XS, "iq4_xs", "IQ4_XS", 256, 136),
    ROW(LMD_TYPE_I8, "i8", "I8", 1, 1),
    ROW(LMD_TYPE_I16, "i16", "I16", 1, 2),
    ROW(LMD_TYPE_I32, "i32", "I32", 1, 4),
    ROW(LMD_TYPE_I64, "i64", "I64", 1, 8),
    ROW(LMD_TYPE_F64, "f64", "F64", 1, 8),
    ROW(LMD_TYPE_IQ1_M, "iq1_m", "IQ1_M", 256, 56),
    ROW(LMD_TYPE_BF16, "bf16", "BF16", 1, 2),
    ROW(LMD_TYPE_TQ1_0, "tq1_0", "TQ1_0", 256, 54),
    ROW(LMD_TYPE_TQ2_0, "tq2_0", "TQ2_0", 256, 66),
    ROW(LMD_TYPE_MXFP4, "mxfp4", "MXFP4", 32, 17),
    ROW(LMD_TYPE_NVFP4, "nvfp4", "NVFP4", 64, 36),
    ROW(LMD_TYPE_Q1_0, "q1_0", "Q1_0", 128, 18),
};

const lmd_type_geometry *lmd_type_geometry_of(uint32_t type_id) {
    if (type_id >= LMD_TYPE_COUNT || !rows[type_id].geo.name) return NULL;
    return &rows[type_id].geo;
}

const char *lmd_type_name(lmd_type t) {
    if ((unsigned)t >= LMD_TYPE_COUNT || !rows[t].upper) return "?";
    return rows[t].upper;
}

bool lmd_type_from_name(const char *name, lmd_type *out) {
    if (!name) return false;
    for (int i = 0; i < LMD_TYPE_COUNT; i++) {
        if (rows[i].upper && strcasecmp(name, rows[i].upper) == 0) {
            *out = (lmd_type)i;
            return true;
        }
    }
    return false;
}

size_t lmd_type_row_bytes(lmd_type t, int64_t n) {
    const lmd_type_geometry *g = lmd_type_geometry_of((uint32_t)t);
    if (!g || n < 0 || n % g->block_elems != 0) return 0;
    size_t r;
    if (lmd_mul_size((size_t)(n / g->block_elems), g->block_bytes, &r)) return 0;
    return r;
}
