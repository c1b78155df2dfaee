/* kernels_x86.h — the x86 dot-product kernels, included by kernels_avx2.c (AVX2 + FMA + F16C)
 * and kernels_avx512.c (the same code with VNNI's vpdpbusd for the byte dot products; the
 * integer sums are exact either way, so both give bit-identical results). Not a header of
 * its own: each includer defines LMD_X86_VNNI (0/1) and a name prefix X86_NAME(f).
 *
 * Shape of every quantized kernel: per block, the weight block is decoded once into bytes,
 * then for each activation row j (1..4) the exact int32 lane sums are formed and folded in
 * with acc[j] = fma(d_w * d_a, lanes, acc[j]); the 8 lanes are summed at the end in a fixed
 * order. vec_dot is the n_y = 1 instance of the same code, so the multi-row kernel (used by
 * matmul to reuse decoded weights across tokens) is bit-identical to it for every output.
 * Relative to the scalar reference only the float order differs. */
#include <immintrin.h>

#include "tensor/tensor_int.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define MAX_NY LMD_VEC_DOT_MAX_NY

ALWAYS_INLINE float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Sum of u8 x s8 products in groups of 4 bytes -> 8 int32 lanes (no saturation possible for
 * our operands: |u| <= 128, |s| <= 127, so a pair stays below 32767). */
ALWAYS_INLINE __m256i dot_u8s8(__m256i u, __m256i s) {
#if LMD_X86_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

/* 16 bytes of nibbles -> 32 bytes: low nibbles (elements 0..15), then high nibbles (16..31). */
ALWAYS_INLINE __m256i unpack_nibbles16(const uint8_t *qs) {
    const __m128i t = _mm_loadu_si128((const __m128i *)qs);
    const __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

/* 32 bits -> 32 bytes, byte k = 0xFF when bit k is set. */
ALWAYS_INLINE __m256i bits_to_bytes(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i shuf = _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll,
                                            0x0303030303030303ll);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuf);
    const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, sel), sel);
}

#define ACT(T, j, i) ((const T *)((const uint8_t *)vy + (size_t)(j) * y_stride) + (i))

/* ---- Q4_0 / Q5_0 / Q8_0 against Q8_0 (signed weights: |w| x sign(a, w)) and
 * Q4_1 / Q5_1 against Q8_1 (unsigned weights plus a min term) ----
 * One accumulator per output, blocks in order (a second accumulator for odd blocks measured
 * no faster and would change the rounding the engine's golden tests were validated with);
 * the loop is unrolled by two so decoding the next block overlaps the current FMA. */

/* Decodes block i of a 32-element format into bytes (signed for kinds 0-2, unsigned for 3-4). */
ALWAYS_INLINE __m256i decode32(const uint8_t *xb, int kind, float *dx, float *mx) {
    switch (kind) {
    case 0: {
        const lmd_block_q4_0 *b = (const lmd_block_q4_0 *)xb;
        *dx = _cvtsh_ss(b->d);
        return _mm256_sub_epi8(unpack_nibbles16(b->qs), _mm256_set1_epi8(8));
    }
    case 1: {
        const lmd_block_q5_0 *b = (const lmd_block_q5_0 *)xb;
        *dx = _cvtsh_ss(b->d);
        const __m256i hi = _mm256_and_si256(bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
        return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles16(b->qs), hi), _mm256_set1_epi8(16));
    }
    case 2: {
        const lmd_block_q8_0 *b = (const lmd_block_q8_0 *)xb;
        *dx = _cvtsh_ss(b->d);
        return _mm256_loadu_si256((const __m256i *)b->qs);
    }
    case 3: {
        const lmd_block_q4_1 *b = (const lmd_block_q4_1 *)xb;
        *dx = _cvtsh_ss(b->d);
        *mx = _cvtsh_ss(b->m);
        return unpack_nibbles16(b->qs);
    }
    default: {
        const lmd_block_q5_1 *b = (const lmd_block_q5_1 *)xb;
        *dx = _cvtsh_ss(b->d);
        *mx = _cvtsh_ss(b->m);
        const __m256i hi = _mm256_and_si256(bits_to_bytes(b->qh), _mm256_set1_epi8(0x10));
        return _mm256_or_si256(unpack_nibbles16(b->qs), hi);
    }
    }
}

/* acc += d_w * d_a * (int lanes of block i against activation row j). */
ALWAYS_INLINE __m256 step32(__m256 acc, __m256i qx, float dx, float mx, const void *vy,
                            size_t y_stride, int j, int64_t i, int kind, float *accm) {
    if (kind <= 2) {
        const lmd_block_q8_0 *y = ACT(lmd_block_q8_0, j, i);
        const __m256i ax = _mm256_sign_epi8(qx, qx);
        const __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y->qs), qx);
        const __m256 d = _mm256_set1_ps(dx * _cvtsh_ss(y->d));
        return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_u8s8(ax, sy)), acc);
    }
    const lmd_block_q8_1 *y = ACT(lmd_block_q8_1, j, i);
    const __m256i qy = _mm256_loadu_si256((const __m256i *)y->qs);
    const __m256 d = _mm256_set1_ps(dx * _cvtsh_ss(y->d));
    *accm += mx * _cvtsh_ss(y->s);
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_u8s8(qx, qy)), acc);
}

ALWAYS_INLINE void dot32(int64_t n, float *s, size_t s_stride, const void *vx, size_t wbytes,
                         const void *vy, size_t y_stride, int ny, int kind) {
    __m256 acc[MAX_NY];
    float accm[MAX_NY];
    for (int j = 0; j < ny; j++) {
        acc[j] = _mm256_setzero_ps();
        accm[j] = 0;
    }
    const uint8_t *xb = vx;
    const int64_t nb = n / 32;
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        float dx0, dx1, mx0 = 0, mx1 = 0;
        const __m256i q0 = decode32(xb + (size_t)i * wbytes, kind, &dx0, &mx0);
        const __m256i q1 = decode32(xb + (size_t)(i + 1) * wbytes, kind, &dx1, &mx1);
        for (int j = 0; j < ny; j++) {
            acc[j] = step32(acc[j], q0, dx0, mx0, vy, y_stride, j, i, kind, &accm[j]);
            acc[j] = step32(acc[j], q1, dx1, mx1, vy, y_stride, j, i + 1, kind, &accm[j]);
        }
    }
    if (i < nb) {
        float dx0, mx0 = 0;
        const __m256i q0 = decode32(xb + (size_t)i * wbytes, kind, &dx0, &mx0);
        for (int j = 0; j < ny; j++)
            acc[j] = step32(acc[j], q0, dx0, mx0, vy, y_stride, j, i, kind, &accm[j]);
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = hsum256(acc[j]) + accm[j];
}

/* ---- K-quants against Q8_K ---- */

/* The 8 scales and 8 mins (6 bits) of a Q4_K/Q5_K block, unpacked with 32-bit operations:
 * bytes 0..3 hold scales 0..3 and mins 0..3 in their low 6 bits (top 2 bits are the high
 * bits of scales/mins 4..7), bytes 8..11 the low nibbles of scales/mins 4..7. */
ALWAYS_INLINE void scales_mins_k4(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    uint32_t u[3], a[2], b[2];
    memcpy(u, q, 12);
    a[0] = u[0] & 0x3f3f3f3fu;
    a[1] = (u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4);
    b[0] = u[1] & 0x3f3f3f3fu;
    b[1] = ((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4);
    memcpy(sc, a, 8);
    memcpy(mn, b, 8);
}

/* Q4_K (kind 0) and Q5_K (kind 1): 8 sub-blocks of 32 with 6-bit scale and min. */
ALWAYS_INLINE void dot_q45_K(int64_t n, float *s, size_t s_stride, const void *vx,
                             const void *vy, size_t y_stride, int ny, int kind) {
    __m256 acc[MAX_NY], accm[MAX_NY];
    for (int j = 0; j < ny; j++) acc[j] = accm[j] = _mm256_setzero_ps();
    const size_t wbytes = kind == 0 ? sizeof(lmd_block_q4_K) : sizeof(lmd_block_q5_K);
    const uint8_t *xb = vx;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < n / LMD_QK_K; i++, xb += wbytes) {
        const lmd_block_q4_K *h = (const lmd_block_q4_K *)xb;   /* d, dmin, scales shared */
        const float dx = _cvtsh_ss(h->d), dminx = _cvtsh_ss(h->dmin);
        uint8_t sc[8], mn[8];
        scales_mins_k4(h->scales, sc, mn);
        /* mins as 16 int16 (each twice: one per 16-element bsum) */
        const __m128i mn8 = _mm_loadl_epi64((const __m128i *)mn);
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mn8, mn8));
        const uint8_t *qs = kind == 0 ? h->qs : ((const lmd_block_q5_K *)xb)->qs;
        __m256i q[8];
        __m256i hb = _mm256_setzero_si256();
        if (kind == 1) hb = _mm256_loadu_si256((const __m256i *)((const lmd_block_q5_K *)xb)->qh);
        for (int c = 0; c < 4; c++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            q[2 * c] = _mm256_and_si256(b, m4);
            q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
            if (kind == 1) {
                const __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(hb, 2 * c), one);
                const __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(hb, 2 * c + 1), one);
                q[2 * c] = _mm256_or_si256(q[2 * c], _mm256_slli_epi16(h0, 4));
                q[2 * c + 1] = _mm256_or_si256(q[2 * c + 1], _mm256_slli_epi16(h1, 4));
            }
        }
        for (int j = 0; j < ny; j++) {
            const lmd_block_q8_K *y = ACT(lmd_block_q8_K, j, i);
            const __m256i summ = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y->bsums), mins16);
            __m256i sumi = _mm256_setzero_si256();
            for (int v = 0; v < 8; v++) {
                const __m256i p = _mm256_maddubs_epi16(q[v], _mm256_loadu_si256((const __m256i *)(y->qs + 32 * v)));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, _mm256_set1_epi16((short)sc[v])));
            }
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dx * y->d), _mm256_cvtepi32_ps(sumi), acc[j]);
            accm[j] = _mm256_fmadd_ps(_mm256_set1_ps(dminx * y->d), _mm256_cvtepi32_ps(summ), accm[j]);
        }
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = hsum256(acc[j]) - hsum256(accm[j]);
}

/* Q6_K: 16 sub-blocks of 16 with signed 8-bit scales; values -32..31. */
ALWAYS_INLINE void dot_q6_K(int64_t n, float *s, size_t s_stride, const void *vx,
                            const void *vy, size_t y_stride, int ny) {
    __m256 acc[MAX_NY];
    for (int j = 0; j < ny; j++) acc[j] = _mm256_setzero_ps();
    const lmd_block_q6_K *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3), m32 = _mm256_set1_epi8(32);
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        const float dx = _cvtsh_ss(x[i].d);
        __m256i q[8];   /* signed values, 32 per vector, element order */
        for (int c = 0; c < 2; c++) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * c));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x[i].ql + 64 * c + 32));
            const __m256i hh = _mm256_loadu_si256((const __m256i *)(x[i].qh + 32 * c));
            const __m256i lo[4] = { _mm256_and_si256(l0, m4), _mm256_and_si256(l1, m4),
                                    _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                    _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4) };
            for (int k = 0; k < 4; k++) {
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(hh, 2 * k), m3);
                q[4 * c + k] = _mm256_sub_epi8(_mm256_or_si256(lo[k], _mm256_slli_epi16(hi, 4)), m32);
            }
        }
        for (int j = 0; j < ny; j++) {
            const lmd_block_q8_K *y = ACT(lmd_block_q8_K, j, i);
            __m256i sumi = _mm256_setzero_si256();
            for (int v = 0; v < 8; v++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *)(y->qs + 32 * v));
                const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q[v], q[v]),
                                                       _mm256_sign_epi8(qy, q[v]));
                const __m256i scv = _mm256_set_m128i(_mm_set1_epi16(x[i].scales[2 * v + 1]),
                                                     _mm_set1_epi16(x[i].scales[2 * v]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scv));
            }
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dx * y->d), _mm256_cvtepi32_ps(sumi), acc[j]);
        }
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = hsum256(acc[j]);
}

/* Q2_K: 16 sub-blocks of 16, 4-bit scale (low nibble) and min (high nibble); values 0..3. */
ALWAYS_INLINE void dot_q2_K(int64_t n, float *s, size_t s_stride, const void *vx,
                            const void *vy, size_t y_stride, int ny) {
    __m256 acc[MAX_NY];
    float accm[MAX_NY];
    for (int j = 0; j < ny; j++) { acc[j] = _mm256_setzero_ps(); accm[j] = 0; }
    const lmd_block_q2_K *x = vx;
    const __m256i m3 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        const float dx = _cvtsh_ss(x[i].d), dminx = _cvtsh_ss(x[i].dmin);
        __m256i q[8], scv[8];
        for (int c = 0; c < 2; c++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * c));
            for (int k = 0; k < 4; k++) q[4 * c + k] = _mm256_and_si256(_mm256_srli_epi16(b, 2 * k), m3);
        }
        for (int v = 0; v < 8; v++)
            scv[v] = _mm256_set_m128i(_mm_set1_epi16(x[i].scales[2 * v + 1] & 0xF),
                                      _mm_set1_epi16(x[i].scales[2 * v] & 0xF));
        for (int j = 0; j < ny; j++) {
            const lmd_block_q8_K *y = ACT(lmd_block_q8_K, j, i);
            int summ = 0;
            for (int k = 0; k < 16; k++) summ += y->bsums[k] * (x[i].scales[k] >> 4);
            __m256i sumi = _mm256_setzero_si256();
            for (int v = 0; v < 8; v++) {
                const __m256i p = _mm256_maddubs_epi16(q[v], _mm256_loadu_si256((const __m256i *)(y->qs + 32 * v)));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scv[v]));
            }
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(y->d * dx), _mm256_cvtepi32_ps(sumi), acc[j]);
            accm[j] += (y->d * dminx) * (float)summ;
        }
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = hsum256(acc[j]) - accm[j];
}

/* Q3_K: 16 sub-blocks of 16 with signed 6-bit scales; values -4..3 (2 bits + high bit). */
ALWAYS_INLINE void dot_q3_K(int64_t n, float *s, size_t s_stride, const void *vx,
                            const void *vy, size_t y_stride, int ny) {
    __m256 acc[MAX_NY];
    for (int j = 0; j < ny; j++) acc[j] = _mm256_setzero_ps();
    const lmd_block_q3_K *x = vx;
    const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), four = _mm256_set1_epi8(4);
    for (int64_t i = 0; i < n / LMD_QK_K; i++) {
        const float dx = _cvtsh_ss(x[i].d);
        int sc[16];
        for (int k = 0; k < 16; k++) {
            const int lo = k < 8 ? (x[i].scales[k] & 0xF) : (x[i].scales[k - 8] >> 4);
            const int hi = (x[i].scales[8 + k % 4] >> (2 * (k / 4))) & 3;
            sc[k] = (lo | (hi << 4)) - 32;
        }
        const __m256i hm = _mm256_loadu_si256((const __m256i *)x[i].hmask);
        __m256i q[8];
        for (int c = 0; c < 2; c++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * c));
            for (int k = 0; k < 4; k++) {
                const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(b, 2 * k), m3);
                const __m256i h = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * c + k), one);
                q[4 * c + k] = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(h, 2)), four);
            }
        }
        for (int j = 0; j < ny; j++) {
            const lmd_block_q8_K *y = ACT(lmd_block_q8_K, j, i);
            __m256i sumi = _mm256_setzero_si256();
            for (int v = 0; v < 8; v++) {
                const __m256i qy = _mm256_loadu_si256((const __m256i *)(y->qs + 32 * v));
                const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q[v], q[v]),
                                                       _mm256_sign_epi8(qy, q[v]));
                const __m256i scv = _mm256_set_m128i(_mm_set1_epi16((short)sc[2 * v + 1]),
                                                     _mm_set1_epi16((short)sc[2 * v]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scv));
            }
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dx * y->d), _mm256_cvtepi32_ps(sumi), acc[j]);
        }
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = hsum256(acc[j]);
}

/* ---- F32 / F16 / BF16 (activations in the same type), 32 elements per step ---- */

ALWAYS_INLINE __m256 load8(const void *p, int64_t i, int kind) {
    if (kind == 0) return _mm256_loadu_ps((const float *)p + i);
    const __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    if (kind == 1) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

ALWAYS_INLINE float load1(const void *p, int64_t i, int kind) {
    if (kind == 0) return ((const float *)p)[i];
    if (kind == 1) return _cvtsh_ss(((const uint16_t *)p)[i]);
    return lmd_bf16_to_f32(((const uint16_t *)p)[i]);
}

ALWAYS_INLINE void dot_float(int64_t n, float *s, size_t s_stride, const void *vx,
                             const void *vy, size_t y_stride, int ny, int kind) {
    __m256 acc[MAX_NY][4];
    for (int j = 0; j < ny; j++)
        for (int k = 0; k < 4; k++) acc[j][k] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 xv[4];
        for (int k = 0; k < 4; k++) xv[k] = load8(vx, i + 8 * k, kind);
        for (int j = 0; j < ny; j++) {
            const void *y = (const uint8_t *)vy + (size_t)j * y_stride;
            for (int k = 0; k < 4; k++) acc[j][k] = _mm256_fmadd_ps(xv[k], load8(y, i + 8 * k, kind), acc[j][k]);
        }
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 xv = load8(vx, i, kind);
        for (int j = 0; j < ny; j++) {
            const void *y = (const uint8_t *)vy + (size_t)j * y_stride;
            acc[j][0] = _mm256_fmadd_ps(xv, load8(y, i, kind), acc[j][0]);
        }
    }
    for (int j = 0; j < ny; j++) {
        const void *y = (const uint8_t *)vy + (size_t)j * y_stride;
        const __m256 t = _mm256_add_ps(_mm256_add_ps(acc[j][0], acc[j][1]),
                                       _mm256_add_ps(acc[j][2], acc[j][3]));
        float sum = hsum256(t);
        for (int64_t k = i; k < n; k++) sum += load1(vx, k, kind) * load1(y, k, kind);
        s[j * s_stride] = sum;
    }
}

/* ---- the entry points: vec_dot (one row) and vec_dot_n (1..4 rows) per type ---- */

#define DEFINE_KERNELS(name, call)                                                          \
    static void X86_NAME(dot_##name)(int64_t n, float *restrict s, const void *restrict vx,  \
                                     const void *restrict vy) {                              \
        const size_t y_stride = 0;                                                          \
        const size_t s_stride = 1;                                                          \
        const int ny = 1;                                                                   \
        call;                                                                               \
    }                                                                                       \
    static void X86_NAME(dot_n_##name)(int64_t n, float *restrict s, size_t s_stride,        \
                                       const void *restrict vx, const void *restrict vy,    \
                                       size_t y_stride, int n_y) {                          \
        switch (n_y) {                                                                      \
        case 1: { const int ny = 1; call; break; }                                          \
        case 2: { const int ny = 2; call; break; }                                          \
        case 3: { const int ny = 3; call; break; }                                          \
        default: { const int ny = 4; call; break; }                                         \
        }                                                                                   \
    }

DEFINE_KERNELS(q4_0, dot32(n, s, s_stride, vx, sizeof(lmd_block_q4_0), vy, y_stride, ny, 0))
DEFINE_KERNELS(q5_0, dot32(n, s, s_stride, vx, sizeof(lmd_block_q5_0), vy, y_stride, ny, 1))
DEFINE_KERNELS(q8_0, dot32(n, s, s_stride, vx, sizeof(lmd_block_q8_0), vy, y_stride, ny, 2))
DEFINE_KERNELS(q4_1, dot32(n, s, s_stride, vx, sizeof(lmd_block_q4_1), vy, y_stride, ny, 3))
DEFINE_KERNELS(q5_1, dot32(n, s, s_stride, vx, sizeof(lmd_block_q5_1), vy, y_stride, ny, 4))
DEFINE_KERNELS(q4_K, dot_q45_K(n, s, s_stride, vx, vy, y_stride, ny, 0))
DEFINE_KERNELS(q5_K, dot_q45_K(n, s, s_stride, vx, vy, y_stride, ny, 1))
DEFINE_KERNELS(q6_K, dot_q6_K(n, s, s_stride, vx, vy, y_stride, ny))
DEFINE_KERNELS(q2_K, dot_q2_K(n, s, s_stride, vx, vy, y_stride, ny))
DEFINE_KERNELS(q3_K, dot_q3_K(n, s, s_stride, vx, vy, y_stride, ny))
DEFINE_KERNELS(f32, dot_float(n, s, s_stride, vx, vy, y_stride, ny, 0))
DEFINE_KERNELS(f16, dot_float(n, s, s_stride, vx, vy, y_stride, ny, 1))
DEFINE_KERNELS(bf16, dot_float(n, s, s_stride, vx, vy, y_stride, ny, 2))

#define SET_KERNELS(T, name)                                                                \
    do {                                                                                    \
        t[LMD_TYPE_##T].vec_dot = X86_NAME(dot_##name);                                     \
        t[LMD_TYPE_##T].vec_dot_n = X86_NAME(dot_n_##name);                                 \
    } while (0)

static void X86_NAME(fill)(lmd_type_traits *t) {
    SET_KERNELS(Q4_0, q4_0);
    SET_KERNELS(Q5_0, q5_0);
    SET_KERNELS(Q8_0, q8_0);
    SET_KERNELS(Q4_1, q4_1);
    SET_KERNELS(Q5_1, q5_1);
    SET_KERNELS(Q4_K, q4_K);
    SET_KERNELS(Q5_K, q5_K);
    SET_KERNELS(Q6_K, q6_K);
    SET_KERNELS(Q2_K, q2_K);
    SET_KERNELS(Q3_K, q3_K);
    SET_KERNELS(F32, f32);
    SET_KERNELS(F16, f16);
    SET_KERNELS(BF16, bf16);
}
