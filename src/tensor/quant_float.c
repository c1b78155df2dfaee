/* quant_float.c — scalar reference for the plain float formats F32, F16 and BF16: row
 * conversions and dot products. As in ggml's scalar build, each product is formed in f32 and
 * accumulated in double, so the result hardly depends on the summation order. The dot of F16
 * (BF16) weights takes activations already rounded to F16 (BF16), like llama.cpp. */
#include "tensor/tensor_int.h"

void lmd_ref_quantize_f32(const float *restrict x, void *restrict y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}

void lmd_ref_dequantize_f32(const void *restrict x, float *restrict y, int64_t n) {
    memcpy(y, x, (size_t)n * sizeof(float));
}

void lmd_ref_dot_f32(int64_t n, float *restrict s, const void *restrict vx,
                     const void *restrict vy) {
    const float *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * y[i]);
    *s = (float)sum;
}

void lmd_ref_quantize_f16(const float *restrict x, void *restrict vy, int64_t n) {
    uint16_t *y = vy;
    for (int64_t i = 0; i < n; i++) y[i] = lmd_f32_to_fp16(x[i]);
}

void lmd_ref_dequantize_f16(const void *restrict vx, float *restrict y, int64_t n) {
    const uint16_t *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = lmd_fp16_to_f32(x[i]);
}

void lmd_ref_dot_f16(int64_t n, float *restrict s, const void *restrict vx,
                     const void *restrict vy) {
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(lmd_fp16_to_f32(x[i]) * lmd_fp16_to_f32(y[i]));
    *s = (float)sum;
}

void lmd_ref_quantize_bf16(const float *restrict x, void *restrict vy, int64_t n) {
    uint16_t *y = vy;
    for (int64_t i = 0; i < n; i++) y[i] = lmd_f32_to_bf16(x[i]);
}

void lmd_ref_dequantize_bf16(const void *restrict vx, float *restrict y, int64_t n) {
    const uint16_t *x = vx;
    for (int64_t i = 0; i < n; i++) y[i] = lmd_bf16_to_f32(x[i]);
}

void lmd_ref_dot_bf16(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const uint16_t *x = vx, *y = vy;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(lmd_bf16_to_f32(x[i]) * lmd_bf16_to_f32(y[i]));
    *s = (float)sum;
}
