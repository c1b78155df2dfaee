/* fp16.c — IEEE half and bfloat16 conversions, bit-exact with ggml's portable versions
 * (ggml-impl.h): round to nearest even, Inf kept, every NaN becomes 0x7E00 with its sign for
 * fp16 and a quiet NaN (payload kept, bit 6 set) for bf16, subnormals converted exactly.
 * The tricks below go through float arithmetic rather than bit fiddling so that the rounding
 * is done by the FPU in the default mode; the code needs no lookup table. */
#include <math.h>
#include <string.h>

#include "tensor/tensor.h"

static inline float bits_to_f32(uint32_t w) {
    float f;
    memcpy(&f, &w, sizeof f);
    return f;
}

static inline uint32_t f32_to_bits(float f) {
    uint32_t w;
    memcpy(&w, &f, sizeof w);
    return w;
}

float lmd_fp16_to_f32(uint16_t h) {
    const uint32_t w = (uint32_t)h << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    /* Normal numbers (and Inf/NaN): move exponent+mantissa into f32 position with the
     * exponent biased 224 too high, then scale by 2^-112 (exact, lands on the right value). */
    const float normalized = bits_to_f32((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    /* Subnormals: mantissa in a float of value 0.5 + m*2^-24... then subtract the 0.5. */
    const float denormalized = bits_to_f32((two_w >> 17) | (126u << 23)) - 0.5f;
    const uint32_t result = sign | (two_w < (1u << 27) ? f32_to_bits(denormalized)
                                                         : f32_to_bits(normalized));
    return bits_to_f32(result);
}

uint16_t lmd_f32_to_fp16(float f) {
    /* Scaling up then down lets the FPU round the mantissa to 10 bits at the right exponent
     * (and overflow to Inf) in one addition below. */
    float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = f32_to_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = bits_to_f32((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = f32_to_bits(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

float lmd_bf16_to_f32(uint16_t h) {
    return bits_to_f32((uint32_t)h << 16);
}

uint16_t lmd_f32_to_bf16(float f) {
    const uint32_t u = f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); /* quiet NaN */
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}
