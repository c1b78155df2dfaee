/* kernels_neon.c — arm64 Advanced SIMD kernels for every weight type (baseline ARMv8-A NEON,
 * so they run on every aarch64 CPU; no dotprod variant yet). Byte products are widened with vmull_s8 and pair-added into int32 lanes, so
 * every block's integer sum is exact; each block then adds d_w * d_a * sum to one float
 * accumulator per output (the scalar reference keeps eight lanes for K-quants: only the float
 * order differs). Q8_0 activations never hold -128, so |products| <= 16256 fit int16. */
#include <arm_neon.h>

#include "tensor/tensor_int.h"

#define H2F lmd_fp16_to_f32

/* acc + sum over 16 byte pairs of a*b, as 4 int32 lanes. */
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

static void neon_dot_q4_0(int64_t n, float *restrict s, const void *restrict vx,
                          const void *restrict vy) {
    const lmd_block_q4_0 *x = vx;
    const lmd_block_q8_0 *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int8x16_t s8 = vdupq_n_s8(8);
    float sumf = 0;
    for (int64_t i = 0; i < n / 32; i++) {
        const uint8x16_t b = vld1q_u8(x[i].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b, m4)), s8);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b, 4)), s8);
        int32x4_t acc = dot16(vdupq_n_s32(0), lo, vld1q_s8(y[i].qs));
        acc = dot16(acc, hi, vld1q_s8(y[i].qs + 16));
        sumf += (float)vaddvq_s32(acc) * (H2F(x[i].d) * H2F(y[i].d));
    }
    *s = sumf;
}

static void neon_dot_q8_0(int64_t n, float *restrict s, const void *restrict vx,
                          const void *restrict vy) {
    const lmd_block_q8_0 *x = vx;
    const lmd_block_q8_0 *y = vy;
    float sumf = 0;
    for (int64_t i = 0; i < n / 32; i++) {
        int32x4_t acc = dot16(vdupq_n_s32(0), vld1q_s8(x[i].qs), vld1q_s8(y[i].qs));
        acc = dot16(acc, vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
        sumf += (float)vaddvq_s32(acc) * (H2F(x[i].d) * H2F(y[i].d));
    }
    *s = sumf;
}

static inline void scales_mins_k4(const uint8_t *q, int sc[8], int mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
        mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
}

/* Q4_K (has_hi false) and Q5_K: per 64 elements, 32 low nibbles then 32 high nibbles. */
static inline float dot_q45_K(int64_t n, const void *vx, size_t wbytes, const lmd_block_q8_K *y,
                              bool is_q5) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), one = vdupq_n_u8(1);
    float sumf = 0, summ = 0;
    const uint8_t *xb = vx;
    for (int64_t i = 0; i < n / LMD_QK_K; i++, xb += wbytes) {
        const lmd_block_q4_K *h = (const lmd_block_q4_K *)xb;
        const uint8_t *qs = is_q5 ? ((const lmd_block_q5_K *)xb)->qs : h->qs;
        const uint8_t *qh = is_q5 ? ((const lmd_block_q5_K *)xb)->qh : NULL;
        int sc[8], mn[8];
        scales_mins_k4(h->scales, sc, mn);
        int summs = 0;
        for (int k = 0; k < 16; k++) summs += y[i].bsums[k] * mn[k / 2];
        int sumi = 0;
        for (int c = 0; c < 4; c++) {
            int32x4_t a0 = vdupq_n_s32(0), a1 = vdupq_n_s32(0);
            for (int half = 0; half < 2; half++) {
                const uint8x16_t b = vld1q_u8(qs + 32 * c + 16 * half);
                uint8x16_t lo = vandq_u8(b, m4), hi = vshrq_n_u8(b, 4);
                if (is_q5) {
                    const uint8x16_t hb = vld1q_u8(qh + 16 * half);
                    lo = vorrq_u8(lo, vshlq_n_u8(vandq_u8(vshlq_u8(hb, vdupq_n_s8((int8_t)(-2 * c))), one), 4));
                    hi = vorrq_u8(hi, vshlq_n_u8(vandq_u8(vshlq_u8(hb, vdupq_n_s8((int8_t)(-2 * c - 1))), one), 4));
                }
                a0 = dot16(a0, vreinterpretq_s8_u8(lo), vld1q_s8(y[i].qs + 64 * c + 16 * half));
                a1 = dot16(a1, vreinterpretq_s8_u8(hi), vld1q_s8(y[i].qs + 64 * c + 32 + 16 * half));
            }
            sumi += sc[2 * c] * vaddvq_s32(a0) + sc[2 * c + 1] * vaddvq_s32(a1);
        }
        sumf += (H2F(h->d) * y[i].d) * (float)sumi;
        summ += (H2F(h->dmin) * y[i].d) * (float)summs;
    }
    return sumf - summ;
}

static void neon_dot_q4_K(int64_t n, float *restrict s, const void *restrict vx,
                          const void *restrict vy) {
    *s = dot_q45_K(n, vx, sizeof(lmd_block_q4_K), vy, false);
}

static void neon_dot_q5_K(int64_t n, float *restrict s, const void *restrict vx,
                          const void *restrict vy) {
    *s = dot_q45_K(n, vx, sizeof(lmd_block_q5_K), vy, true);
}

static void neon_dot_q6_K(int64_t n, float *restrict s, const void *restrict vx,
                          const void *restrict vy) {
    const lmd_block_q6_K *x = vx;
    const lmd_block_q8_K *y = vy;
    const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(3);
    const int8x16_t m32 = vdupq_n_s8(32);
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        int sumi = 0;
        for (int c = 0; c < 2; c++) {
            for (int half = 0; half < 2; half++) {
                const uint8x16_t l0 = vld1q_u8(x[i].ql + 64 * c + 16 * half);
                const uint8x16_t l1 = vld1q_u8(x[i].ql + 64 * c + 32 + 16 * half);
                const uint8x16_t hh = vld1q_u8(x[i].qh + 32 * c + 16 * half);
                const uint8x16_t lo[4] = { vandq_u8(l0, m4), vandq_u8(l1, m4), vshrq_n_u8(l0, 4),
                                           vshrq_n_u8(l1, 4) };
                const uint8x16_t hi[4] = { vandq_u8(hh, m3), vandq_u8(vshrq_n_u8(hh, 2), m3),
                                           vandq_u8(vshrq_n_u8(hh, 4), m3), vshrq_n_u8(hh, 6) };
                for (int k = 0; k < 4; k++) {
                    /* elements 128c + 32k + 16half .. +15: one 16-element sub-block */
                    const int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo[k], vshlq_n_u8(hi[k], 4))), m32);
                    const int e = 128 * c + 32 * k + 16 * half;
                    sumi += x[i].scales[e / 16] * vaddvq_s32(dot16(vdupq_n_s32(0), q, vld1q_s8(y[i].qs + e)));
                }
            }
        }
        sumf += (H2F(x[i].d) * y[i].d) * (float)sumi;
    }
    *s = sumf;
}

/* byte k of the result = 0xFF when bit k of `bits` is set (16 bits). */
static inline uint8x16_t bits16_to_mask(uint32_t bits) {
    static const uint8_t sel_bytes[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
    const uint8x16_t v = vcombine_u8(vdup_n_u8((uint8_t)(bits & 0xFF)), vdup_n_u8((uint8_t)((bits >> 8) & 0xFF)));
    return vtstq_u8(v, vld1q_u8(sel_bytes));
}

/* Q5_0 (signed, minus 16), Q4_1 and Q5_1 (unsigned, plus the min term). */
static inline float dot32_other(int64_t n, const void *vx, const void *vy, int kind) {
    const uint8x16_t m4 = vdupq_n_u8(0x0F), b4 = vdupq_n_u8(0x10);
    float sumf = 0;
    for (int64_t i = 0; i < n / 32; i++) {
        const uint8_t *qs;
        uint32_t qh = 0;
        float dx, mx = 0;
        if (kind == 0) {
            const lmd_block_q5_0 *b = (const lmd_block_q5_0 *)vx + i;
            qs = b->qs; dx = H2F(b->d); memcpy(&qh, b->qh, 4);
        } else if (kind == 1) {
            const lmd_block_q4_1 *b = (const lmd_block_q4_1 *)vx + i;
            qs = b->qs; dx = H2F(b->d); mx = H2F(b->m);
        } else {
            const lmd_block_q5_1 *b = (const lmd_block_q5_1 *)vx + i;
            qs = b->qs; dx = H2F(b->d); mx = H2F(b->m); memcpy(&qh, b->qh, 4);
        }
        const uint8x16_t raw = vld1q_u8(qs);
        uint8x16_t lo = vandq_u8(raw, m4), hi = vshrq_n_u8(raw, 4);
        if (kind != 1) {
            lo = vorrq_u8(lo, vandq_u8(bits16_to_mask(qh & 0xFFFF), b4));
            hi = vorrq_u8(hi, vandq_u8(bits16_to_mask(qh >> 16), b4));
        }
        int8x16_t slo = vreinterpretq_s8_u8(lo), shi = vreinterpretq_s8_u8(hi);
        if (kind == 0) {
            slo = vsubq_s8(slo, vdupq_n_s8(16));
            shi = vsubq_s8(shi, vdupq_n_s8(16));
        }
        if (kind == 0) {
            const lmd_block_q8_0 *y = (const lmd_block_q8_0 *)vy + i;
            int32x4_t acc = dot16(vdupq_n_s32(0), slo, vld1q_s8(y->qs));
            acc = dot16(acc, shi, vld1q_s8(y->qs + 16));
            sumf += (dx * H2F(y->d)) * (float)vaddvq_s32(acc);
        } else {
            const lmd_block_q8_1 *y = (const lmd_block_q8_1 *)vy + i;
            int32x4_t acc = dot16(vdupq_n_s32(0), slo, vld1q_s8(y->qs));
            acc = dot16(acc, shi, vld1q_s8(y->qs + 16));
            sumf += (dx * H2F(y->d)) * (float)vaddvq_s32(acc) + mx * H2F(y->s);
        }
    }
    return sumf;
}

static void neon_dot_q5_0(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot32_other(n, x, y, 0);
}
static void neon_dot_q4_1(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot32_other(n, x, y, 1);
}
static void neon_dot_q5_1(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot32_other(n, x, y, 2);
}

/* Q2_K (values 0..3, 4-bit scale and min per 16) and Q3_K (values -4..3, 6-bit signed scale
 * per 16): element 128c + 32j + 16h + l comes from byte 32c + 16h + l, bits 2j..2j+1. */
static inline float dot_q23_K(int64_t n, const void *vx, const lmd_block_q8_K *y, bool is_q3) {
    const uint8x16_t m3 = vdupq_n_u8(3), one = vdupq_n_u8(1);
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        const uint8_t *qs;
        int sc[16];
        float dall = 0, dmin = 0;
        int summs = 0;
        const lmd_block_q3_K *b3 = (const lmd_block_q3_K *)vx + i;
        const lmd_block_q2_K *b2 = (const lmd_block_q2_K *)vx + i;
        if (is_q3) {
            qs = b3->qs;
            for (int k = 0; k < 16; k++) {
                const int lo = k < 8 ? (b3->scales[k] & 0xF) : (b3->scales[k - 8] >> 4);
                const int hi = (b3->scales[8 + k % 4] >> (2 * (k / 4))) & 3;
                sc[k] = (lo | (hi << 4)) - 32;
            }
        } else {
            qs = b2->qs;
            for (int k = 0; k < 16; k++) {
                sc[k] = b2->scales[k] & 0xF;
                summs += y[i].bsums[k] * (b2->scales[k] >> 4);
            }
            dall = y[i].d * H2F(b2->d);
            dmin = y[i].d * H2F(b2->dmin);
        }
        int isum = 0;
        for (int c = 0; c < 2; c++) {
            for (int h = 0; h < 2; h++) {
                const uint8x16_t b = vld1q_u8(qs + 32 * c + 16 * h);
                const uint8x16_t hm = is_q3 ? vld1q_u8(b3->hmask + 16 * h) : vdupq_n_u8(0);
                for (int j = 0; j < 4; j++) {
                    uint8x16_t v = vandq_u8(vshlq_u8(b, vdupq_n_s8((int8_t)(-2 * j))), m3);
                    int8x16_t q = vreinterpretq_s8_u8(v);
                    if (is_q3) {
                        const uint8x16_t hb = vandq_u8(vshlq_u8(hm, vdupq_n_s8((int8_t)(-(4 * c + j)))), one);
                        q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(v, vshlq_n_u8(hb, 2))), vdupq_n_s8(4));
                    }
                    const int e = 128 * c + 32 * j + 16 * h;
                    isum += sc[e / 16] * vaddvq_s32(dot16(vdupq_n_s32(0), q, vld1q_s8(y[i].qs + e)));
                }
            }
        }
        if (is_q3) sumf += (H2F(b3->d) * y[i].d) * (float)isum;
        else sumf += dall * (float)isum - dmin * (float)summs;
    }
    return sumf;
}

static void neon_dot_q2_K(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot_q23_K(n, x, y, false);
}
static void neon_dot_q3_K(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot_q23_K(n, x, y, true);
}

/* Float types: kind 0 F32, 1 F16, 2 BF16; 16 elements per step in 4 accumulators. */
static inline float32x4_t load4(const void *p, int64_t i, int kind) {
    if (kind == 0) return vld1q_f32((const float *)p + i);
    const uint16x4_t h = vld1_u16((const uint16_t *)p + i);
    if (kind == 1) return vcvt_f32_f16(vreinterpret_f16_u16(h));
    return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
}

static inline float load1(const void *p, int64_t i, int kind) {
    if (kind == 0) return ((const float *)p)[i];
    if (kind == 1) return lmd_fp16_to_f32(((const uint16_t *)p)[i]);
    return lmd_bf16_to_f32(((const uint16_t *)p)[i]);
}

static inline float dot_float(int64_t n, const void *x, const void *y, int kind) {
    float32x4_t acc[4] = { vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0) };
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++) acc[k] = vfmaq_f32(acc[k], load4(x, i + 4 * k, kind), load4(y, i + 4 * k, kind));
    for (; i + 4 <= n; i += 4) acc[0] = vfmaq_f32(acc[0], load4(x, i, kind), load4(y, i, kind));
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
    for (; i < n; i++) sum += load1(x, i, kind) * load1(y, i, kind);
    return sum;
}

static void neon_dot_f32(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot_float(n, x, y, 0);
}
static void neon_dot_f16(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot_float(n, x, y, 1);
}
static void neon_dot_bf16(int64_t n, float *restrict s, const void *restrict x, const void *restrict y) {
    *s = dot_float(n, x, y, 2);
}

void lmd_kernels_fill_neon(lmd_type_traits *t) {
    t[LMD_TYPE_Q4_0].vec_dot = neon_dot_q4_0;
    t[LMD_TYPE_Q8_0].vec_dot = neon_dot_q8_0;
    t[LMD_TYPE_Q5_0].vec_dot = neon_dot_q5_0;
    t[LMD_TYPE_Q4_1].vec_dot = neon_dot_q4_1;
    t[LMD_TYPE_Q5_1].vec_dot = neon_dot_q5_1;
    t[LMD_TYPE_Q2_K].vec_dot = neon_dot_q2_K;
    t[LMD_TYPE_Q3_K].vec_dot = neon_dot_q3_K;
    t[LMD_TYPE_Q4_K].vec_dot = neon_dot_q4_K;
    t[LMD_TYPE_Q5_K].vec_dot = neon_dot_q5_K;
    t[LMD_TYPE_Q6_K].vec_dot = neon_dot_q6_K;
    t[LMD_TYPE_F32].vec_dot = neon_dot_f32;
    t[LMD_TYPE_F16].vec_dot = neon_dot_f16;
    t[LMD_TYPE_BF16].vec_dot = neon_dot_bf16;
}
