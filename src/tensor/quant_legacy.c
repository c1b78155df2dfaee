/* quant_legacy.c — scalar reference for the 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1,
 * Q8_0 and the Q8_1 activation format: quantize (as ggml's *_ref quantizers, so files we
 * write match llama-quantize's), dequantize, and the dot products against Q8_0/Q8_1 with
 * ggml's scalar arithmetic (exact integer sum per block, then the scale products in ggml's
 * order). These are the test oracle for the SIMD kernels. */
#include <float.h>

#include "tensor/tensor_int.h"

#define H2F lmd_fp16_to_f32
#define F2H lmd_f32_to_fp16

static inline int min_i(int a, int b) { return a < b ? a : b; }

/* ---- Q4_0: d = signed max / -8, values 0..15 stand for -8..7 ---- */

void lmd_ref_quantize_q4_0(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q4_0 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK4_0; i++, x += LMD_QK4_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LMD_QK4_0; j++) {
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        }
        /* Dividing by -8 maps the extreme value onto -8, using the asymmetric end. */
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        for (int j = 0; j < LMD_QK4_0 / 2; j++) {
            const int q0 = min_i(15, (int)(x[j] * id + 8.5f));
            const int q1 = min_i(15, (int)(x[j + LMD_QK4_0 / 2] * id + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void lmd_ref_dequantize_q4_0(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q4_0 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK4_0; i++, y += LMD_QK4_0) {
        const float d = H2F(x[i].d);
        for (int j = 0; j < LMD_QK4_0 / 2; j++) {
            y[j] = ((x[i].qs[j] & 0x0F) - 8) * d;
            y[j + LMD_QK4_0 / 2] = ((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void lmd_ref_dot_q4_0(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q4_0 *x = vx;
    const lmd_block_q8_0 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < LMD_QK8_0 / 2; j++) {
            sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + LMD_QK8_0 / 2];
        }
        sumf += (float)sumi * H2F(x[i].d) * H2F(y[i].d);
    }
    *s = sumf;
}

/* ---- Q4_1: value = q*d + m over the block's [min, max] ---- */

void lmd_ref_quantize_q4_1(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q4_1 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK4_1; i++, x += LMD_QK4_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < LMD_QK4_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        y[i].m = F2H(min);
        for (int j = 0; j < LMD_QK4_1 / 2; j++) {
            const int q0 = min_i(15, (int)((x[j] - min) * id + 0.5f));
            const int q1 = min_i(15, (int)((x[j + LMD_QK4_1 / 2] - min) * id + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void lmd_ref_dequantize_q4_1(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q4_1 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK4_1; i++, y += LMD_QK4_1) {
        const float d = H2F(x[i].d), m = H2F(x[i].m);
        for (int j = 0; j < LMD_QK4_1 / 2; j++) {
            y[j] = (x[i].qs[j] & 0x0F) * d + m;
            y[j + LMD_QK4_1 / 2] = (x[i].qs[j] >> 4) * d + m;
        }
    }
}

void lmd_ref_dot_q4_1(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q4_1 *x = vx;
    const lmd_block_q8_1 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK8_1; i++) {
        int sumi = 0;
        for (int j = 0; j < LMD_QK8_1 / 2; j++) {
            sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + LMD_QK8_1 / 2];
        }
        /* The min term uses the activation block's precomputed d*sum (y.s). */
        sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)sumi + H2F(x[i].m) * H2F(y[i].s);
    }
    *s = sumf;
}

/* ---- Q5_0: as Q4_0 with a 5th bit, d = signed max / -16 ---- */

void lmd_ref_quantize_q5_0(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q5_0 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK5_0; i++, x += LMD_QK5_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LMD_QK5_0; j++) {
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        }
        const float d = max / -16;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        uint32_t qh = 0;
        for (int j = 0; j < LMD_QK5_0 / 2; j++) {
            const int q0 = min_i(31, (int)(x[j] * id + 16.5f));
            const int q1 = min_i(31, (int)(x[j + LMD_QK5_0 / 2] * id + 16.5f));
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint32_t)((q0 >> 4) & 1) << j;
            qh |= (uint32_t)((q1 >> 4) & 1) << (j + LMD_QK5_0 / 2);
        }
        memcpy(y[i].qh, &qh, 4);
    }
}

/* The 5-bit value of element j (0..31) of a Q5 block. */
static inline int q5_value(const uint8_t *qs, uint32_t qh, int j) {
    const int lo = j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4);
    return lo | (int)(((qh >> j) & 1) << 4);
}

void lmd_ref_dequantize_q5_0(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q5_0 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK5_0; i++, y += LMD_QK5_0) {
        const float d = H2F(x[i].d);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < LMD_QK5_0; j++) y[j] = (q5_value(x[i].qs, qh, j) - 16) * d;
    }
}

void lmd_ref_dot_q5_0(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q5_0 *x = vx;
    const lmd_block_q8_0 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK8_0; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < LMD_QK8_0; j++) sumi += (q5_value(x[i].qs, qh, j) - 16) * y[i].qs[j];
        sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)sumi;
    }
    *s = sumf;
}

/* ---- Q5_1: as Q4_1 with a 5th bit ---- */

void lmd_ref_quantize_q5_1(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q5_1 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK5_1; i++, x += LMD_QK5_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < LMD_QK5_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 31;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        y[i].m = F2H(min);
        uint32_t qh = 0;
        for (int j = 0; j < LMD_QK5_1 / 2; j++) {
            /* ggml does not clamp here: (max-min)*id + 0.5 stays below 32. */
            const int q0 = (uint8_t)((x[j] - min) * id + 0.5f);
            const int q1 = (uint8_t)((x[j + LMD_QK5_1 / 2] - min) * id + 0.5f);
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint32_t)((q0 >> 4) & 1) << j;
            qh |= (uint32_t)((q1 >> 4) & 1) << (j + LMD_QK5_1 / 2);
        }
        memcpy(y[i].qh, &qh, 4);
    }
}

void lmd_ref_dequantize_q5_1(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q5_1 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK5_1; i++, y += LMD_QK5_1) {
        const float d = H2F(x[i].d), m = H2F(x[i].m);
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        for (int j = 0; j < LMD_QK5_1; j++) y[j] = q5_value(x[i].qs, qh, j) * d + m;
    }
}

void lmd_ref_dot_q5_1(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q5_1 *x = vx;
    const lmd_block_q8_1 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK8_1; i++) {
        uint32_t qh;
        memcpy(&qh, x[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < LMD_QK8_1; j++) sumi += q5_value(x[i].qs, qh, j) * y[i].qs[j];
        sumf += (H2F(x[i].d) * H2F(y[i].d)) * (float)sumi + H2F(x[i].m) * H2F(y[i].s);
    }
    *s = sumf;
}

/* ---- Q8_0 and Q8_1: d = absmax / 127, round half away from zero ---- */

void lmd_ref_quantize_q8_0(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK8_0; i++, x += LMD_QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < LMD_QK8_0; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        for (int j = 0; j < LMD_QK8_0; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

void lmd_ref_dequantize_q8_0(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q8_0 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK8_0; i++, y += LMD_QK8_0) {
        const float d = H2F(x[i].d);
        for (int j = 0; j < LMD_QK8_0; j++) y[j] = x[i].qs[j] * d;
    }
}

void lmd_ref_dot_q8_0(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q8_0 *x = vx;
    const lmd_block_q8_0 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < LMD_QK8_0; j++) sumi += x[i].qs[j] * y[i].qs[j];
        sumf += (float)sumi * (H2F(x[i].d) * H2F(y[i].d));
    }
    *s = sumf;
}

void lmd_ref_quantize_q8_1(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / LMD_QK8_1; i++, x += LMD_QK8_1) {
        float amax = 0.0f;
        for (int j = 0; j < LMD_QK8_1; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = F2H(d);
        int sum = 0;
        for (int j = 0; j < LMD_QK8_1; j++) {
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = F2H((float)sum * d);
    }
}

void lmd_ref_dequantize_q8_1(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q8_1 *x = vx;
    for (int64_t i = 0; i < n / LMD_QK8_1; i++, y += LMD_QK8_1) {
        const float d = H2F(x[i].d);
        for (int j = 0; j < LMD_QK8_1; j++) y[j] = x[i].qs[j] * d;
    }
}
