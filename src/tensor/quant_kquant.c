/* quant_kquant.c — scalar reference for the K-quant super-block formats (Q2_K..Q6_K):
 * dequantization and the dot products against Q8_K activations, plus the Q8_K quantizer.
 * The dots reproduce ggml's scalar (*_generic) arithmetic: per super-block the integer sums
 * are exact; the float part follows ggml's order (eight lane accumulators for Q3_K..Q6_K,
 * the min correction accumulated separately and added first), so logits carry over from
 * llama.cpp's scalar path. Quantizers of the weight types live in quant_kquantize.c. */
#include "tensor/tensor_int.h"

#define H2F lmd_fp16_to_f32

/* The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block. */
static inline void scale_min_k4(int j, const uint8_t *q, int *d, int *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* The 16 signed scales of a Q3_K block (6 bits each: low 4 in bytes 0..7, high 2 in 8..11). */
static inline void q3_scales(const uint8_t *s, int out[16]) {
    for (int j = 0; j < 16; j++) {
        const int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
        const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (lo | (hi << 4)) - 32;
    }
}

/* Element values (before scales) of one super-block, in element order. */
static void q2_values(const lmd_block_q2_K *b, int8_t a[LMD_QK_K]) {
    for (int e = 0; e < LMD_QK_K; e++) {
        const int chunk = e / 128, j = (e % 128) / 32, l = e % 32;
        a[e] = (int8_t)((b->qs[chunk * 32 + l] >> (2 * j)) & 3);
    }
}

static void q3_values(const lmd_block_q3_K *b, int8_t a[LMD_QK_K]) {
    for (int e = 0; e < LMD_QK_K; e++) {
        const int chunk = e / 128, j = (e % 128) / 32, l = e % 32;
        const int lo = (b->qs[chunk * 32 + l] >> (2 * j)) & 3;
        const int has_hi = (b->hmask[l] >> (chunk * 4 + j)) & 1;
        a[e] = (int8_t)(lo - (has_hi ? 0 : 4));
    }
}

static void q4_values(const lmd_block_q4_K *b, int8_t a[LMD_QK_K]) {
    for (int e = 0; e < LMD_QK_K; e++) {
        const int chunk = e / 64, hi = (e % 64) / 32, l = e % 32;
        const uint8_t q = b->qs[chunk * 32 + l];
        a[e] = (int8_t)(hi ? q >> 4 : q & 0xF);
    }
}

static void q5_values(const lmd_block_q5_K *b, int8_t a[LMD_QK_K]) {
    for (int e = 0; e < LMD_QK_K; e++) {
        const int chunk = e / 64, hi = (e % 64) / 32, l = e % 32;
        const uint8_t q = b->qs[chunk * 32 + l];
        const int bit = (b->qh[l] >> (chunk * 2 + hi)) & 1;
        a[e] = (int8_t)((hi ? q >> 4 : q & 0xF) + 16 * bit);
    }
}

static void q6_values(const lmd_block_q6_K *b, int8_t a[LMD_QK_K]) {
    for (int e = 0; e < LMD_QK_K; e++) {
        const int chunk = e / 128, quarter = (e % 128) / 32, l = e % 32;
        const uint8_t *ql = b->ql + chunk * 64, *qh = b->qh + chunk * 32;
        const int lo = quarter & 1 ? ql[l + 32] : ql[l];
        const int lo4 = quarter >= 2 ? lo >> 4 : lo & 0xF;
        const int hi2 = (qh[l] >> (2 * quarter)) & 3;
        a[e] = (int8_t)((lo4 | (hi2 << 4)) - 32);
    }
}

/* ---- dequantize ---- */

void lmd_ref_dequantize_q2_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q2_K *x = vx;
    int8_t a[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        const float d = H2F(x[i].d), min = H2F(x[i].dmin);
        q2_values(&x[i], a);
        for (int s = 0; s < 16; s++) {
            const float dl = d * (x[i].scales[s] & 0xF), ml = min * (x[i].scales[s] >> 4);
            for (int l = 0; l < 16; l++) y[s * 16 + l] = dl * a[s * 16 + l] - ml;
        }
    }
}

void lmd_ref_dequantize_q3_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q3_K *x = vx;
    int8_t a[LMD_QK_K];
    int sc[16];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        const float d = H2F(x[i].d);
        q3_values(&x[i], a);
        q3_scales(x[i].scales, sc);
        for (int s = 0; s < 16; s++) {
            const float dl = d * sc[s];
            for (int l = 0; l < 16; l++) y[s * 16 + l] = dl * a[s * 16 + l];
        }
    }
}

void lmd_ref_dequantize_q4_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q4_K *x = vx;
    int8_t a[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        const float d = H2F(x[i].d), min = H2F(x[i].dmin);
        q4_values(&x[i], a);
        for (int s = 0; s < 8; s++) {
            int sc, m;
            scale_min_k4(s, x[i].scales, &sc, &m);
            const float dl = d * sc, ml = min * m;
            for (int l = 0; l < 32; l++) y[s * 32 + l] = dl * a[s * 32 + l] - ml;
        }
    }
}

void lmd_ref_dequantize_q5_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q5_K *x = vx;
    int8_t a[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        const float d = H2F(x[i].d), min = H2F(x[i].dmin);
        q5_values(&x[i], a);
        for (int s = 0; s < 8; s++) {
            int sc, m;
            scale_min_k4(s, x[i].scales, &sc, &m);
            const float dl = d * sc, ml = min * m;
            for (int l = 0; l < 32; l++) y[s * 32 + l] = dl * a[s * 32 + l] - ml;
        }
    }
}

void lmd_ref_dequantize_q6_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q6_K *x = vx;
    int8_t a[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        const float d = H2F(x[i].d);
        q6_values(&x[i], a);
        for (int e = 0; e < LMD_QK_K; e++) y[e] = d * x[i].scales[e / 16] * a[e];
    }
}

/* ---- Q8_K activations: d = signed max / -127 (f32), bsums per 16 ---- */

void lmd_ref_quantize_q8_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q8_K *y = vy;
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < LMD_QK_K; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        }
        if (!amax) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < LMD_QK_K; j++) {
            const int v = lmd_nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int j = 0; j < LMD_QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[j * 16 + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void lmd_ref_dequantize_q8_K(const void *restrict vx, float *restrict y, int64_t n) {
    const lmd_block_q8_K *x = vx;
    for (int64_t i = 0; i < n / LMD_QK_K; i++, y += LMD_QK_K) {
        for (int j = 0; j < LMD_QK_K; j++) y[j] = x[i].d * x[i].qs[j];
    }
}

/* ---- dots ---- */

/* ggml's lane layout: lane l holds the scaled products of elements with index % 8 == l.
 * Integer sums are exact in any order, so only the per-lane grouping matters. */
static inline __attribute__((always_inline)) void lane_sums(const int8_t *a, const int8_t *q8,
                                                             const int *scale, int group,
                                                             int32_t lanes[8]) {
    for (int l = 0; l < 8; l++) lanes[l] = 0;
    for (int e = 0; e < LMD_QK_K; e++) lanes[e & 7] += scale[e / group] * (q8[e] * a[e]);
}

void lmd_ref_dot_q2_K(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q2_K *x = vx;
    const lmd_block_q8_K *y = vy;
    int8_t a[LMD_QK_K];
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        int summs = 0;
        for (int j = 0; j < 16; j++) summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        const float dall = y[i].d * H2F(x[i].d);
        const float dmin = y[i].d * H2F(x[i].dmin);
        q2_values(&x[i], a);
        int isum = 0;
        for (int e = 0; e < LMD_QK_K; e++) isum += (x[i].scales[e / 16] & 0xF) * (y[i].qs[e] * a[e]);
        sumf += dall * (float)isum - dmin * (float)summs;
    }
    *s = sumf;
}

void lmd_ref_dot_q3_K(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q3_K *x = vx;
    const lmd_block_q8_K *y = vy;
    int8_t a[LMD_QK_K];
    int sc[16];
    int32_t lanes[8];
    float sums[8] = { 0 };
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        q3_values(&x[i], a);
        q3_scales(x[i].scales, sc);
        lane_sums(a, y[i].qs, sc, 16, lanes);
        const float d = H2F(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lanes[l];
    }
    float sumf = 0;
    for (int l = 0; l < 8; l++) sumf += sums[l];
    *s = sumf;
}

/* Q4_K and Q5_K share everything but the element values. */
static float dot_q45_K(int64_t n, const void *vx, size_t block_bytes, const lmd_block_q8_K *y,
                       void (*values)(const void *, int8_t *)) {
    int8_t a[LMD_QK_K];
    int sc[8], mn[8];
    int32_t lanes[8];
    float sums[8] = { 0 };
    float sumf = 0;
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        const uint8_t *blk = (const uint8_t *)vx + (size_t)i * block_bytes;
        /* d, dmin and scales sit at the same offsets in both layouts. */
        const lmd_block_q4_K *head = (const lmd_block_q4_K *)blk;
        values(blk, a);
        for (int j = 0; j < 8; j++) scale_min_k4(j, head->scales, &sc[j], &mn[j]);
        int sumi = 0;
        for (int j = 0; j < 16; j++) sumi += y[i].bsums[j] * mn[j / 2];
        lane_sums(a, y[i].qs, sc, 32, lanes);
        const float d = H2F(head->d) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lanes[l];
        const float dmin = H2F(head->dmin) * y[i].d;
        sumf -= dmin * (float)sumi;
    }
    for (int l = 0; l < 8; l++) sumf += sums[l];
    return sumf;
}

static void q4_values_v(const void *b, int8_t *a) { q4_values(b, a); }
static void q5_values_v(const void *b, int8_t *a) { q5_values(b, a); }

void lmd_ref_dot_q4_K(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    *s = dot_q45_K(n, vx, sizeof(lmd_block_q4_K), vy, q4_values_v);
}

void lmd_ref_dot_q5_K(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    *s = dot_q45_K(n, vx, sizeof(lmd_block_q5_K), vy, q5_values_v);
}

void lmd_ref_dot_q6_K(int64_t n, float *restrict s, const void *restrict vx,
                      const void *restrict vy) {
    const lmd_block_q6_K *x = vx;
    const lmd_block_q8_K *y = vy;
    int8_t a[LMD_QK_K];
    int sc[16];
    int32_t lanes[8];
    float sums[8] = { 0 };
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        q6_values(&x[i], a);
        for (int j = 0; j < 16; j++) sc[j] = x[i].scales[j];
        lane_sums(a, y[i].qs, sc, 16, lanes);
        const float d = H2F(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lanes[l];
    }
    float sumf = 0;
    for (int l = 0; l < 8; l++) sumf += sums[l];
    *s = sumf;
}
