/* blocks.h — the quantized block layouts, byte for byte as GGUF stores them (ggml's
 * ggml-common.h). Each struct has its element count beside it and a size assertion under it;
 * half-precision scales are stored as raw uint16_t bits (convert with lmd_fp16_to_f32).
 * Q8_1 and Q8_K are activation formats (the vec_dot_type of Q4_1/Q5_1 and the K-quants). */
#ifndef LMD_TENSOR_BLOCKS_H
#define LMD_TENSOR_BLOCKS_H

#include <stdint.h>

#define LMD_QK4_0 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    uint8_t qs[LMD_QK4_0 / 2];   /* nibbles: low = elements 0..15, high = 16..31; value-8 */
} lmd_block_q4_0;
_Static_assert(sizeof(lmd_block_q4_0) == 2 + LMD_QK4_0 / 2, "q4_0 block must be 18 bytes");

#define LMD_QK4_1 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    uint16_t m;                  /* minimum (fp16) */
    uint8_t qs[LMD_QK4_1 / 2];   /* nibbles as q4_0, unsigned */
} lmd_block_q4_1;
_Static_assert(sizeof(lmd_block_q4_1) == 4 + LMD_QK4_1 / 2, "q4_1 block must be 20 bytes");

#define LMD_QK5_0 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    uint8_t qh[4];               /* 5th bit of each element, little-endian u32 */
    uint8_t qs[LMD_QK5_0 / 2];   /* low 4 bits as q4_0; value-16 */
} lmd_block_q5_0;
_Static_assert(sizeof(lmd_block_q5_0) == 2 + 4 + LMD_QK5_0 / 2, "q5_0 block must be 22 bytes");

#define LMD_QK5_1 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    uint16_t m;                  /* minimum (fp16) */
    uint8_t qh[4];               /* 5th bits */
    uint8_t qs[LMD_QK5_1 / 2];   /* low 4 bits, unsigned */
} lmd_block_q5_1;
_Static_assert(sizeof(lmd_block_q5_1) == 4 + 4 + LMD_QK5_1 / 2, "q5_1 block must be 24 bytes");

#define LMD_QK8_0 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    int8_t qs[LMD_QK8_0];        /* signed values */
} lmd_block_q8_0;
_Static_assert(sizeof(lmd_block_q8_0) == 2 + LMD_QK8_0, "q8_0 block must be 34 bytes");

#define LMD_QK8_1 32
typedef struct {
    uint16_t d;                  /* scale (fp16) */
    uint16_t s;                  /* d * sum(qs) (fp16) */
    int8_t qs[LMD_QK8_1];
} lmd_block_q8_1;
_Static_assert(sizeof(lmd_block_q8_1) == 4 + LMD_QK8_1, "q8_1 block must be 36 bytes");

/* K-quants: super-blocks of 256 elements split into 16 or 8 sub-blocks with their own
 * quantized scales. */
#define LMD_QK_K 256
#define LMD_K_SCALE_SIZE 12

typedef struct {
    uint8_t scales[LMD_QK_K / 16]; /* per 16 elements: low nibble scale, high nibble min */
    uint8_t qs[LMD_QK_K / 4];      /* 2-bit values */
    uint16_t d;                    /* super-block scale of the scales (fp16) */
    uint16_t dmin;                 /* super-block scale of the mins (fp16) */
} lmd_block_q2_K;
_Static_assert(sizeof(lmd_block_q2_K) == 2 * 2 + LMD_QK_K / 16 + LMD_QK_K / 4,
               "q2_K block must be 84 bytes");

typedef struct {
    uint8_t hmask[LMD_QK_K / 8];   /* high bit of each 3-bit value */
    uint8_t qs[LMD_QK_K / 4];      /* low 2 bits */
    uint8_t scales[12];            /* 16 signed 6-bit scales, packed */
    uint16_t d;                    /* super-block scale (fp16) */
} lmd_block_q3_K;
_Static_assert(sizeof(lmd_block_q3_K) == 2 + LMD_QK_K / 4 + LMD_QK_K / 8 + 12,
               "q3_K block must be 110 bytes");

typedef struct {
    uint16_t d;                        /* super-block scale for the scales (fp16) */
    uint16_t dmin;                     /* super-block scale for the mins (fp16) */
    uint8_t scales[LMD_K_SCALE_SIZE];  /* 8 scales and 8 mins, 6 bits each, packed */
    uint8_t qs[LMD_QK_K / 2];          /* 4-bit values */
} lmd_block_q4_K;
_Static_assert(sizeof(lmd_block_q4_K) == 2 * 2 + LMD_K_SCALE_SIZE + LMD_QK_K / 2,
               "q4_K block must be 144 bytes");

typedef struct {
    uint16_t d;                        /* super-block scale for the scales (fp16) */
    uint16_t dmin;                     /* super-block scale for the mins (fp16) */
    uint8_t scales[LMD_K_SCALE_SIZE];  /* packed as q4_K */
    uint8_t qh[LMD_QK_K / 8];          /* 5th bits */
    uint8_t qs[LMD_QK_K / 2];          /* low 4 bits */
} lmd_block_q5_K;
_Static_assert(sizeof(lmd_block_q5_K) == 2 * 2 + LMD_K_SCALE_SIZE + LMD_QK_K / 2 + LMD_QK_K / 8,
               "q5_K block must be 176 bytes");

typedef struct {
    uint8_t ql[LMD_QK_K / 2];      /* low 4 bits */
    uint8_t qh[LMD_QK_K / 4];      /* high 2 bits */
    int8_t scales[LMD_QK_K / 16];  /* 8-bit scales per 16 elements */
    uint16_t d;                    /* super-block scale (fp16) */
} lmd_block_q6_K;
_Static_assert(sizeof(lmd_block_q6_K) == 2 + LMD_QK_K / 16 + 3 * LMD_QK_K / 4,
               "q6_K block must be 210 bytes");

typedef struct {
    float d;                       /* scale (f32, not fp16) */
    int8_t qs[LMD_QK_K];           /* values */
    int16_t bsums[LMD_QK_K / 16];  /* sum of each 16 values (for the K-quant mins) */
} lmd_block_q8_K;
_Static_assert(sizeof(lmd_block_q8_K) == 4 + LMD_QK_K + LMD_QK_K / 16 * 2,
               "q8_K block must be 292 bytes");

#endif
