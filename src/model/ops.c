/* ops.c — the element-wise operations of the forward pass, written to round like llama.cpp's
 * CPU backend (ggml) so logits can be compared with its golden data: RMS norm sums squares in
 * double, RoPE advances theta by repeated float multiplication, GELU goes through FP16. Plain
 * scalar code: these are a small part of the time next to the matrix products. */
#include <math.h>

#include "model/model_int.h"

void lmd_op_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    /* ggml scales first, then multiplies by the weight as a separate op. */
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] * scale) * w[i];
}

void lmd_op_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos,
                 float freq_base, float freq_scale, const float *freq_factors,
                 lmd_rope_kind kind) {
    const float theta_scale = powf(freq_base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    const int64_t half = n_rot / 2;
    for (int64_t i = 0; i < half; i++) {
        const float ff = freq_factors ? freq_factors[i] : 1.0f;
        const float t = freq_scale * (theta / ff);
        const float c = cosf(t), s = sinf(t);
        for (int64_t h = 0; h < n_heads; h++) {
            float *v = x + h * head_dim;
            /* NORM rotates adjacent pairs (2i, 2i+1); NEOX pairs dim i with dim i + n_rot/2. */
            const int64_t a = kind == LMD_ROPE_NORM ? 2 * i : i;
            const int64_t b = kind == LMD_ROPE_NORM ? 2 * i + 1 : i + half;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
        theta *= theta_scale;
    }
}

/* ggml's tanh-approximated GELU in float. */
static float gelu_f32(float x) {
    const float sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    const float coef_a = 0.044715f;
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
}

/* ggml looks GELU up in a 65536-entry FP16 table indexed by x rounded to FP16, whose entries
 * are gelu(x16) rounded to FP16; computing the same two roundings gives the same value
 * without the table. Outside [-10, 10] it passes x through or returns 0. */
float lmd_op_gelu(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    const float x16 = lmd_fp16_to_f32(lmd_f32_to_fp16(x));
    return lmd_fp16_to_f32(lmd_f32_to_fp16(gelu_f32(x16)));
}

void lmd_op_glu(float *gate, const float *up, int64_t n, lmd_act_kind act) {
    if (act == LMD_ACT_GELU_TANH) {
        for (int64_t i = 0; i < n; i++) gate[i] = lmd_op_gelu(gate[i]) * up[i];
    } else {
        for (int64_t i = 0; i < n; i++) {
            const float g = gate[i];
            gate[i] = (g / (1.0f + expf(-g))) * up[i];
        }
    }
}
