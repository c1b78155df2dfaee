/* kernels_avx512.c — AVX-512 path: the x86 kernels with VNNI byte dot products (bit-identical
 * to the AVX2 ones, fewer instructions). Built with the AVX-512 F/BW/VL/DQ/VNNI/BF16 flags;
 * only called after CPUID says the CPU has all of them. */
#define LMD_X86_VNNI 1
#define X86_NAME(f) avx512_##f
#include "tensor/kernels_x86.h"


/* ---- 512-bit float kernels (F32, F16, BF16): 16 lanes; BF16 uses vdpbf16ps, which
 * multiplies bf16 pairs and accumulates in f32 (inputs and outputs flush denormals to zero,
 * within the stated tolerance of the reference). Tails use masked loads (zeros add nothing). */

ALWAYS_INLINE __m512 load16(const void *p, int64_t i, __mmask16 m, int kind) {
    if (kind == 0) return _mm512_maskz_loadu_ps(m, (const float *)p + i);
    const __m256i h = _mm256_maskz_loadu_epi16(m, (const uint16_t *)p + i);
    if (kind == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

ALWAYS_INLINE void dot_float512(int64_t n, float *s, size_t s_stride, const void *vx,
                                const void *vy, size_t y_stride, int ny, int kind) {
    __m512 acc[MAX_NY][2];
    for (int j = 0; j < ny; j++) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
    int64_t i = 0;
    if (kind == 2) {
        /* 32 bf16 per vdpbf16ps. */
        for (; i + 32 <= n; i += 32) {
            const __m512bh xv = (__m512bh)_mm512_loadu_si512((const uint16_t *)vx + i);
            for (int j = 0; j < ny; j++) {
                const uint16_t *y = (const uint16_t *)((const uint8_t *)vy + (size_t)j * y_stride);
                acc[j][0] = _mm512_dpbf16_ps(acc[j][0], xv, (__m512bh)_mm512_loadu_si512(y + i));
            }
        }
    } else {
        for (; i + 32 <= n; i += 32) {
            const __m512 x0 = load16(vx, i, 0xFFFF, kind), x1 = load16(vx, i + 16, 0xFFFF, kind);
            for (int j = 0; j < ny; j++) {
                const void *y = (const uint8_t *)vy + (size_t)j * y_stride;
                acc[j][0] = _mm512_fmadd_ps(x0, load16(y, i, 0xFFFF, kind), acc[j][0]);
                acc[j][1] = _mm512_fmadd_ps(x1, load16(y, i + 16, 0xFFFF, kind), acc[j][1]);
            }
        }
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        const __m512 xv = load16(vx, i, m, kind);
        for (int j = 0; j < ny; j++) {
            const void *y = (const uint8_t *)vy + (size_t)j * y_stride;
            acc[j][1] = _mm512_fmadd_ps(xv, load16(y, i, m, kind), acc[j][1]);
        }
    }
    for (int j = 0; j < ny; j++) s[j * s_stride] = _mm512_reduce_add_ps(_mm512_add_ps(acc[j][0], acc[j][1]));
}

DEFINE_KERNELS(f32_512, dot_float512(n, s, s_stride, vx, vy, y_stride, ny, 0))
DEFINE_KERNELS(f16_512, dot_float512(n, s, s_stride, vx, vy, y_stride, ny, 1))
DEFINE_KERNELS(bf16_512, dot_float512(n, s, s_stride, vx, vy, y_stride, ny, 2))

void lmd_kernels_fill_avx512(lmd_type_traits *t) {
    avx512_fill(t);
    SET_KERNELS(F32, f32_512);
    SET_KERNELS(F16, f16_512);
    SET_KERNELS(BF16, bf16_512);
}
