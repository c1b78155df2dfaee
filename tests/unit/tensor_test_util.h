/* tensor_test_util.h — random data for the tensor tests: Gaussian floats and valid random
 * blocks of every format (random bits everywhere except the scales, which are set to finite
 * fp16/f32 values so dot products stay finite). */
#ifndef LMD_TESTS_TENSOR_TEST_UTIL_H
#define LMD_TESTS_TENSOR_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tensor/blocks.h"
#include "tensor/tensor.h"

static uint64_t tt_rng = 0x243F6A8885A308D3ull;
static inline uint32_t tt_u32(void) {
    tt_rng ^= tt_rng << 13;
    tt_rng ^= tt_rng >> 7;
    tt_rng ^= tt_rng << 17;
    return (uint32_t)(tt_rng >> 16);
}
static inline float tt_unit(void) { return (tt_u32() + 0.5f) / 4294967296.0f; }
static inline float tt_gauss(void) {
    return sqrtf(-2.0f * logf(tt_unit())) * cosf(6.2831853f * tt_unit());
}

/* A finite fp16 scale of random sign and magnitude around `mag`. */
static inline uint16_t tt_scale16(float mag) {
    return lmd_f32_to_fp16((tt_unit() * 2 - 1) * mag);
}

/* Fills n elements of type t with random blocks (n a multiple of the block size). */
static inline void tt_random_blocks(lmd_type t, void *dst, int64_t n) {
    const lmd_type_traits *tr = lmd_type_traits_ref(t);
    const int64_t nb = n / tr->block_elems;
    uint8_t *p = dst;
    for (size_t i = 0; i < (size_t)nb * tr->block_bytes; i++) p[i] = (uint8_t)tt_u32();
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = p + (size_t)b * tr->block_bytes;
        switch (t) {
        case LMD_TYPE_F32:
            *(float *)blk = tt_gauss();
            break;
        case LMD_TYPE_F16:
            *(uint16_t *)blk = lmd_f32_to_fp16(tt_gauss());
            break;
        case LMD_TYPE_BF16:
            *(uint16_t *)blk = lmd_f32_to_bf16(tt_gauss());
            break;
        case LMD_TYPE_Q4_0: ((lmd_block_q4_0 *)blk)->d = tt_scale16(0.1f); break;
        case LMD_TYPE_Q5_0: ((lmd_block_q5_0 *)blk)->d = tt_scale16(0.1f); break;
        case LMD_TYPE_Q8_0:
            /* -128 never comes out of a quantizer; SIMD sign tricks assume |q| <= 127. */
            ((lmd_block_q8_0 *)blk)->d = tt_scale16(0.01f);
            for (int j = 0; j < 32; j++)
                if (((lmd_block_q8_0 *)blk)->qs[j] == -128) ((lmd_block_q8_0 *)blk)->qs[j] = -127;
            break;
        case LMD_TYPE_Q4_1:
            ((lmd_block_q4_1 *)blk)->d = tt_scale16(0.1f);
            ((lmd_block_q4_1 *)blk)->m = tt_scale16(1.0f);
            break;
        case LMD_TYPE_Q5_1:
            ((lmd_block_q5_1 *)blk)->d = tt_scale16(0.1f);
            ((lmd_block_q5_1 *)blk)->m = tt_scale16(1.0f);
            break;
        case LMD_TYPE_Q8_1: {
            lmd_block_q8_1 *q = (lmd_block_q8_1 *)blk;
            q->d = tt_scale16(0.01f);
            for (int j = 0; j < 32; j++)
                if (q->qs[j] == -128) q->qs[j] = -127;
            int s = 0;
            for (int j = 0; j < 32; j++) s += q->qs[j];
            q->s = lmd_f32_to_fp16(lmd_fp16_to_f32(q->d) * (float)s);
            break;
        }
        case LMD_TYPE_Q2_K:
            ((lmd_block_q2_K *)blk)->d = tt_scale16(0.1f);
            ((lmd_block_q2_K *)blk)->dmin = tt_scale16(0.1f);
            break;
        case LMD_TYPE_Q3_K: ((lmd_block_q3_K *)blk)->d = tt_scale16(0.1f); break;
        case LMD_TYPE_Q4_K:
            ((lmd_block_q4_K *)blk)->d = tt_scale16(0.1f);
            ((lmd_block_q4_K *)blk)->dmin = tt_scale16(0.1f);
            break;
        case LMD_TYPE_Q5_K:
            ((lmd_block_q5_K *)blk)->d = tt_scale16(0.1f);
            ((lmd_block_q5_K *)blk)->dmin = tt_scale16(0.1f);
            break;
        case LMD_TYPE_Q6_K: ((lmd_block_q6_K *)blk)->d = tt_scale16(0.01f); break;
        case LMD_TYPE_Q8_K: {
            lmd_block_q8_K *q = (lmd_block_q8_K *)blk;
            q->d = (tt_unit() * 2 - 1) * 0.01f;
            for (int j = 0; j < 256; j++)
                if (q->qs[j] == -128) q->qs[j] = -127;   /* the quantizer never makes -128 */
            for (int j = 0; j < 16; j++) {
                int s = 0;
                for (int l = 0; l < 16; l++) s += q->qs[16 * j + l];
                q->bsums[j] = (int16_t)s;
            }
            break;
        }
        default:
            break;
        }
    }
}

/* The weight types with a dot product, in the order tests report them. */
static const lmd_type tt_weight_types[] = {
    LMD_TYPE_F32,  LMD_TYPE_F16,  LMD_TYPE_BF16, LMD_TYPE_Q4_0, LMD_TYPE_Q4_1,
    LMD_TYPE_Q5_0, LMD_TYPE_Q5_1, LMD_TYPE_Q8_0, LMD_TYPE_Q2_K, LMD_TYPE_Q3_K,
    LMD_TYPE_Q4_K, LMD_TYPE_Q5_K, LMD_TYPE_Q6_K,
};
#define TT_N_WEIGHT_TYPES (sizeof tt_weight_types / sizeof tt_weight_types[0])

#endif
