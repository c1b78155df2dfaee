/* quant_kquantize.c — reference quantizers for Q2_K, Q3_K, Q4_K, Q5_K and Q6_K, with the
 * same search for scales (and mins) as ggml's *_ref quantizers without an importance matrix,
 * in the same float arithmetic order, so that quantizing an F32 model gives the bytes
 * llama-quantize would write. Each sub-block gets a scale (and min) fitted by a small
 * search; the sub-block scales are then themselves quantized against one fp16 per block,
 * and the values are re-quantized with the scales that were actually stored. */
#include "tensor/tensor_int.h"

#define H2F lmd_fp16_to_f32
#define F2H lmd_f32_to_fp16
#define GROUP_MAX_EPS 1e-15f

static inline int max_i(int a, int b) { return a > b ? a : b; }
static inline int min_i(int a, int b) { return a < b ? a : b; }

/* Symmetric scale for n values in [-nmax, nmax-1], weighted by x^2, trying 18 nearby scales
 * (ggml's make_qx_quants with rmse_type 1 and no importance weights). L gets l + nmax. */
static float make_qx_quants(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); max = x[i]; }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; i++) L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        const int l = max_i(-nmax, min_i(nmax - 1, lmd_nearest_int(iscale * x[i])));
        L[i] = (int8_t)(l + nmax);
        const float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            const int l = max_i(-nmax, min_i(nmax - 1, lmd_nearest_int(iscale * x[i])));
            const float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++) {
                const int l = lmd_nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + max_i(-nmax, min_i(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* Symmetric 3-bit-style scale refined by coordinate descent on each value (ggml's
 * make_q3_quants with do_rmse). L gets l + nmax. */
static float make_q3_quants(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); max = x[i]; }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; i++) L[i] = 0;
        return 0.f;
    }
    const float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        const int l = max_i(-nmax, min_i(nmax - 1, lmd_nearest_int(iscale * x[i])));
        L[i] = (int8_t)l;
        const float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (int itry = 0; itry < 5; itry++) {
        int n_changed = 0;
        for (int i = 0; i < n; i++) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * L[i] * L[i];
                int new_l = lmd_nearest_int(x[i] * sl2 / slx);
                new_l = max_i(-nmax, min_i(nmax - 1, new_l));
                if (new_l != L[i]) {
                    slx += w * x[i] * new_l;
                    sl2 += w * new_l * new_l;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)new_l;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed++;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Asymmetric scale and min for values in [0, nmax]: least squares (or least absolute
 * deviation) over nstep+1 candidate scales (ggml's make_qkx2_quants). *the_min gets -min. */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights,
                              uint8_t *L, float *the_min, uint8_t *Laux, float rmin,
                              float rdelta, int nstep, bool use_mad) {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; i++) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        const int l = lmd_nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)max_i(0, min_i(nmax, l));
        float diff = scale * L[i] + min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        best_error += weights[i] * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            const int l = max_i(0, min_i(nmax, lmd_nearest_int(iscale * (x[i] - min))));
            Laux[i] = (uint8_t)l;
            const float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = use_mad ? fabsf(diff) : diff * diff;
                cur_error += weights[i] * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; i++) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

/* Packs 256 2-bit values four to a byte: byte l of each 32-byte group holds elements
 * l, l+32, l+64, l+96 of its 128-element half. */
static void pack_2bit(const uint8_t *L, uint8_t *qs) {
    for (int j = 0; j < LMD_QK_K; j += 128) {
        for (int l = 0; l < 32; l++) {
            qs[j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                      (L[j + l + 96] << 6));
        }
    }
}

void lmd_ref_quantize_q2_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q2_K *y = vy;
    uint8_t L[LMD_QK_K], Laux[16];
    float weights[16], mins[16], scales[16];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = fabsf(x[16 * j + l]);
            scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux,
                                         -0.5f, 0.1f, 15, true);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            const float iscale = 15.f / max_scale;
            for (int j = 0; j < 16; j++) y[i].scales[j] = (uint8_t)lmd_nearest_int(iscale * scales[j]);
            y[i].d = F2H(max_scale / 15.f);
        } else {
            for (int j = 0; j < 16; j++) y[i].scales[j] = 0;
            y[i].d = F2H(0.f);
        }
        if (max_min > 0) {
            const float iscale = 15.f / max_min;
            for (int j = 0; j < 16; j++) {
                y[i].scales[j] |= (uint8_t)(lmd_nearest_int(iscale * mins[j]) << 4);
            }
            y[i].dmin = F2H(max_min / 15.f);
        } else {
            y[i].dmin = F2H(0.f);
        }
        for (int j = 0; j < 16; j++) {
            const float d = H2F(y[i].d) * (y[i].scales[j] & 0xF);
            if (!d) continue;
            const float dm = H2F(y[i].dmin) * (y[i].scales[j] >> 4);
            for (int l = 0; l < 16; l++) {
                const int q = lmd_nearest_int((x[16 * j + l] + dm) / d);
                L[16 * j + l] = (uint8_t)max_i(0, min_i(3, q));
            }
        }
        pack_2bit(L, y[i].qs);
    }
}

void lmd_ref_quantize_q3_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q3_K *y = vy;
    int8_t L[LMD_QK_K];
    float scales[16];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        float max_scale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > amax) { amax = fabsf(scales[j]); max_scale = scales[j]; }
        }
        memset(y[i].scales, 0, 12);
        if (max_scale) {
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < 16; j++) {
                int l = (int8_t)lmd_nearest_int(iscale * scales[j]);
                l = max_i(-32, min_i(31, l)) + 32;
                if (j < 8) y[i].scales[j] = (uint8_t)(l & 0xF);
                else y[i].scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
                y[i].scales[j % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
            }
            y[i].d = F2H(1 / iscale);
        } else {
            y[i].d = F2H(0.f);
        }
        for (int j = 0; j < 16; j++) {
            const int lo = j < 8 ? y[i].scales[j] & 0xF : y[i].scales[j - 8] >> 4;
            const int sc = (lo | (((y[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
            const float d = H2F(y[i].d) * sc;
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                const int q = max_i(-4, min_i(3, lmd_nearest_int(x[16 * j + l] / d)));
                L[16 * j + l] = (int8_t)(q + 4);
            }
        }
        /* High bits: bit b of hmask[m] belongs to element 32*b + m. */
        memset(y[i].hmask, 0, sizeof y[i].hmask);
        uint8_t low[LMD_QK_K];
        for (int j = 0; j < LMD_QK_K; j++) {
            int v = L[j];
            if (v > 3) {
                y[i].hmask[j % 32] |= (uint8_t)(1u << (j / 32));
                v -= 4;
            }
            low[j] = (uint8_t)v;
        }
        pack_2bit(low, y[i].qs);
    }
}

/* Stores the 8 6-bit scales and mins of Q4_K/Q5_K in their 12-byte packing. */
static void pack_scales_k4(const uint8_t ls[8], const uint8_t lm[8], uint8_t s[12]) {
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            s[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            s[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

static inline void scale_min_k4(int j, const uint8_t *q, int *d, int *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* Common part of Q4_K and Q5_K: fit, store d/dmin/scales, re-quantize into L (0..nmax). */
static void quantize_k45_block(const float *x, int nmax, float rmin, float rdelta, int nstep,
                               uint16_t *d_out, uint16_t *dmin_out, uint8_t scales_out[12],
                               uint8_t L[LMD_QK_K]) {
    uint8_t Laux[32];
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        const float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux,
                                     rmin, rdelta, nstep, false);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        ls[j] = (uint8_t)lmd_nearest_int(inv_scale * scales[j]);
        lm[j] = (uint8_t)lmd_nearest_int(inv_min * mins[j]);
        if (ls[j] > 63) ls[j] = 63;
        if (lm[j] > 63) lm[j] = 63;
    }
    pack_scales_k4(ls, lm, scales_out);
    *d_out = F2H(max_scale / 63.f);
    *dmin_out = F2H(max_min / 63.f);
    for (int j = 0; j < 8; j++) {
        int sc, m;
        scale_min_k4(j, scales_out, &sc, &m);
        const float d = H2F(*d_out) * sc;
        if (!d) continue;
        const float dm = H2F(*dmin_out) * m;
        for (int l = 0; l < 32; l++) {
            const int q = lmd_nearest_int((x[32 * j + l] + dm) / d);
            L[32 * j + l] = (uint8_t)max_i(0, min_i(nmax, q));
        }
    }
}

void lmd_ref_quantize_q4_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q4_K *y = vy;
    uint8_t L[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        quantize_k45_block(x, 15, -1.f, 0.1f, 20, &y[i].d, &y[i].dmin, y[i].scales, L);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                y[i].qs[c * 32 + l] = (uint8_t)(L[c * 64 + l] | (L[c * 64 + l + 32] << 4));
            }
        }
    }
}

void lmd_ref_quantize_q5_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q5_K *y = vy;
    uint8_t L[LMD_QK_K];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        quantize_k45_block(x, 31, -0.5f, 0.1f, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int l1 = L[c * 64 + l], l2 = L[c * 64 + l + 32];
                if (l1 > 15) { l1 -= 16; y[i].qh[l] |= (uint8_t)(1u << (2 * c)); }
                if (l2 > 15) { l2 -= 16; y[i].qh[l] |= (uint8_t)(2u << (2 * c)); }
                y[i].qs[c * 32 + l] = (uint8_t)(l1 | (l2 << 4));
            }
        }
    }
}

void lmd_ref_quantize_q6_K(const float *restrict x, void *restrict vy, int64_t n) {
    lmd_block_q6_K *y = vy;
    int8_t L[LMD_QK_K];
    float scales[16];
    for (int64_t i = 0; i < n / LMD_QK_K; i++, x += LMD_QK_K) {
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < 16; ib++) {
            scales[ib] = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
            if (fabsf(scales[ib]) > max_abs_scale) {
                max_abs_scale = fabsf(scales[ib]);
                max_scale = scales[ib];
            }
        }
        if (max_abs_scale < GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -128.f / max_scale;
        y[i].d = F2H(1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            y[i].scales[ib] = (int8_t)min_i(127, lmd_nearest_int(iscale * scales[ib]));
        }
        for (int j = 0; j < 16; j++) {
            const float d = H2F(y[i].d) * y[i].scales[j];
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                const int q = max_i(-32, min_i(31, lmd_nearest_int(x[16 * j + l] / d)));
                L[16 * j + l] = (int8_t)(q + 32);
            }
        }
        for (int c = 0; c < 2; c++) {
            uint8_t *ql = y[i].ql + 64 * c, *qh = y[i].qh + 32 * c;
            const int8_t *Lc = L + 128 * c;
            for (int l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((Lc[l] & 0xF) | ((Lc[l + 64] & 0xF) << 4));
                ql[l + 32] = (uint8_t)((Lc[l + 32] & 0xF) | ((Lc[l + 96] & 0xF) << 4));
                qh[l] = (uint8_t)((Lc[l] >> 4) | ((Lc[l + 32] >> 4) << 2) | ((Lc[l + 64] >> 4) << 4) |
                                  ((Lc[l + 96] >> 4) << 6));
            }
        }
    }
}
