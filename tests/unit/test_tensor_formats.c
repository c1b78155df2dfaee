/* test_tensor_formats.c — block layouts, fp16/bf16 conversions, and the reference quantizers:
 * sizes, round trips, and quantize-then-dequantize error bounds per type. */
#include "t.h"

#include <stddef.h>

#include "tensor/blocks.h"
#include "tensor/tensor.h"
#include "tensor/tensor_int.h"

/* Deterministic pseudo-random numbers (xorshift) and Gaussian samples (Box-Muller). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd_u32(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static float rnd_unit(void) { return (rnd_u32() + 0.5f) / 4294967296.0f; }
static float rnd_gauss(void) {
    return sqrtf(-2.0f * logf(rnd_unit())) * cosf(6.2831853f * rnd_unit());
}

T_TEST(tensor_block_sizes_match_gguf) {
    T_EQ_INT(sizeof(lmd_block_q4_0), 18);
    T_EQ_INT(sizeof(lmd_block_q4_1), 20);
    T_EQ_INT(sizeof(lmd_block_q5_0), 22);
    T_EQ_INT(sizeof(lmd_block_q5_1), 24);
    T_EQ_INT(sizeof(lmd_block_q8_0), 34);
    T_EQ_INT(sizeof(lmd_block_q8_1), 36);
    T_EQ_INT(sizeof(lmd_block_q2_K), 84);
    T_EQ_INT(sizeof(lmd_block_q3_K), 110);
    T_EQ_INT(sizeof(lmd_block_q4_K), 144);
    T_EQ_INT(sizeof(lmd_block_q5_K), 176);
    T_EQ_INT(sizeof(lmd_block_q6_K), 210);
    T_EQ_INT(sizeof(lmd_block_q8_K), 292);
    /* Field offsets GGUF readers rely on. */
    T_EQ_INT(offsetof(lmd_block_q2_K, d), 80);
    T_EQ_INT(offsetof(lmd_block_q3_K, d), 108);
    T_EQ_INT(offsetof(lmd_block_q5_K, qs), 48);
    T_EQ_INT(offsetof(lmd_block_q6_K, d), 208);
    T_EQ_INT(offsetof(lmd_block_q8_K, bsums), 260);
}

T_TEST(tensor_traits_table_has_geometry_of_every_supported_type) {
    static const struct { lmd_type t; int64_t elems; size_t bytes; lmd_type vdt; } want[] = {
        { LMD_TYPE_F32, 1, 4, LMD_TYPE_F32 },       { LMD_TYPE_F16, 1, 2, LMD_TYPE_F16 },
        { LMD_TYPE_BF16, 1, 2, LMD_TYPE_BF16 },     { LMD_TYPE_Q4_0, 32, 18, LMD_TYPE_Q8_0 },
        { LMD_TYPE_Q4_1, 32, 20, LMD_TYPE_Q8_1 },   { LMD_TYPE_Q5_0, 32, 22, LMD_TYPE_Q8_0 },
        { LMD_TYPE_Q5_1, 32, 24, LMD_TYPE_Q8_1 },   { LMD_TYPE_Q8_0, 32, 34, LMD_TYPE_Q8_0 },
        { LMD_TYPE_Q2_K, 256, 84, LMD_TYPE_Q8_K },  { LMD_TYPE_Q3_K, 256, 110, LMD_TYPE_Q8_K },
        { LMD_TYPE_Q4_K, 256, 144, LMD_TYPE_Q8_K }, { LMD_TYPE_Q5_K, 256, 176, LMD_TYPE_Q8_K },
        { LMD_TYPE_Q6_K, 256, 210, LMD_TYPE_Q8_K },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const lmd_type_traits *tr = lmd_type_traits_ref(want[i].t);
        T_CHECK(tr != NULL);
        if (!tr) continue;
        T_EQ_INT(tr->block_elems, want[i].elems);
        T_EQ_INT(tr->block_bytes, want[i].bytes);
        T_EQ_INT(tr->vec_dot_type, want[i].vdt);
        T_CHECK(tr->quantize_row && tr->dequantize_row && tr->vec_dot);
    }
    T_CHECK(lmd_type_traits_ref(LMD_TYPE_IQ2_XXS) == NULL);
    T_CHECK(lmd_type_traits_ref((lmd_type)999) == NULL);
}

/* An independent fp32 -> fp16 conversion with integer arithmetic (round to nearest even),
 * to check ggml's float trick against. NaN is ggml's 0x7E00 with the sign. */
static uint16_t fp16_by_integers(float f) {
    uint32_t w;
    memcpy(&w, &f, 4);
    const uint16_t sign = (uint16_t)((w >> 16) & 0x8000);
    const uint32_t aw = w & 0x7fffffff;
    if (aw > 0x7f800000) return sign | 0x7E00;
    if (aw >= 0x477ff000) return sign | 0x7C00;            /* >= 65520 rounds to Inf */
    int exp = (int)(aw >> 23) - 127;
    uint32_t mant = (aw & 0x7fffff) | (aw >= 0x00800000 ? 0x800000 : 0);
    if (aw < 0x00800000) exp = -126;
    /* Value = mant * 2^(exp-23); half has 10 fraction bits, min exponent -14. */
    int shift = exp >= -14 ? 13 : 13 + (-14 - exp);
    if (shift > 31) return sign;
    uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    if (exp >= -14) return sign | (uint16_t)((((uint32_t)(exp + 15)) << 10) + (q - 0x400));
    return sign | (uint16_t)q;                           /* subnormal (q may carry to normal) */
}

T_TEST(tensor_fp16_conversion_matches_round_to_nearest_even) {
    /* Every half converts to a float and back to itself (NaNs to ggml's canonical NaN). */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = lmd_fp16_to_f32((uint16_t)h);
        const uint16_t back = lmd_f32_to_fp16(f);
        const bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF);
        const uint16_t want = is_nan ? (uint16_t)((h & 0x8000) | 0x7E00) : (uint16_t)h;
        if (back != want && bad++ < 5) T_FAILF("half %04x -> %g -> %04x", h, f, back);
    }
    T_EQ_INT(bad, 0);
    /* Every 97th float bit pattern (covers all exponents, ties, subnormals, Inf, NaN). */
    bad = 0;
    for (uint64_t w = 0; w <= 0xffffffffull; w += 97) {
        float f;
        uint32_t w32 = (uint32_t)w;
        memcpy(&f, &w32, 4);
        const uint16_t a = lmd_f32_to_fp16(f), b = fp16_by_integers(f);
        if (a != b && bad++ < 5) T_FAILF("float %08x: %04x, expected %04x", w32, a, b);
    }
    T_EQ_INT(bad, 0);
    T_EQ_INT(lmd_f32_to_fp16(65504.f), 0x7BFF);
    T_EQ_INT(lmd_f32_to_fp16(65520.f), 0x7C00);
    T_EQ_INT(lmd_f32_to_fp16(-INFINITY), 0xFC00);
    T_EQ_INT(lmd_f32_to_fp16(0x1p-24f), 0x0001);
    T_EQ_INT(lmd_f32_to_fp16(0x1p-25f), 0x0000);          /* tie rounds to even (zero) */
    T_EQ_INT(lmd_f32_to_fp16(0x1.8p-24f), 0x0002);        /* tie rounds to even (two) */
    T_EQ_INT(lmd_f32_to_fp16(1.0f + 0x1p-11f), 0x3C00);   /* tie to even, down */
    T_EQ_INT(lmd_f32_to_fp16(1.0f + 0x3p-11f), 0x3C02);   /* tie to even, up */
    T_EQ_INT(lmd_f32_to_fp16(-NAN), 0xFE00);
    T_CHECK(lmd_fp16_to_f32(0x0001) == 0x1p-24f);
    T_CHECK(isinf(lmd_fp16_to_f32(0x7C00)));
}

T_TEST(tensor_bf16_conversion_rounds_to_nearest_even_and_quiets_nan) {
    T_EQ_INT(lmd_f32_to_bf16(1.0f), 0x3F80);
    T_EQ_INT(lmd_f32_to_bf16(1.0f + 0x1p-8f), 0x3F80);    /* tie, even stays */
    T_EQ_INT(lmd_f32_to_bf16(1.0f + 0x3p-8f), 0x3F82);    /* tie, odd rounds up */
    T_EQ_INT(lmd_f32_to_bf16(1.0f + 0x1.8p-8f), 0x3F81);  /* above the tie */
    T_EQ_INT(lmd_f32_to_bf16(INFINITY), 0x7F80);
    uint32_t snan = 0x7F800001;
    float fs;
    memcpy(&fs, &snan, 4);
    T_EQ_INT(lmd_f32_to_bf16(fs), 0x7FC0);
    for (uint32_t h = 0; h < 65536; h++) {
        const bool is_nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F);
        if (is_nan) continue;
        if (lmd_f32_to_bf16(lmd_bf16_to_f32((uint16_t)h)) != h) {
            T_FAILF("bf16 %04x does not round-trip", h);
            break;
        }
    }
}

/* Quantize-then-dequantize of N(0,1) data: relative RMS error (error RMS / signal RMS) and
 * the worst single-element error in units of the data's standard deviation. The bounds are
 * what each format is known for, about 1.2x what ggml's reference quantizers reach on this
 * data (measured rel rms: f16 0.0002, bf16 0.0016, q8_0 0.0054, q6_K 0.018, q5_K 0.036,
 * q5_1 0.038, q5_0 0.043, q4_K 0.071, q4_1 0.078, q4_0 0.086, q3_K 0.152, q2_K 0.298 — the
 * textbook step/sqrt(12) with step = block range / levels). */
static const struct {
    lmd_type t;
    double rel_rms, max_abs;
} bounds[] = {
    { LMD_TYPE_F16, 3e-4, 2e-3 },   { LMD_TYPE_BF16, 2e-3, 1e-2 }, { LMD_TYPE_Q8_0, 0.0065, 0.02 },
    { LMD_TYPE_Q6_K, 0.022, 0.08 }, { LMD_TYPE_Q5_K, 0.044, 0.14 }, { LMD_TYPE_Q5_1, 0.046, 0.14 },
    { LMD_TYPE_Q5_0, 0.052, 0.2 },  { LMD_TYPE_Q4_K, 0.086, 0.28 }, { LMD_TYPE_Q4_1, 0.094, 0.28 },
    { LMD_TYPE_Q4_0, 0.104, 0.45 }, { LMD_TYPE_Q3_K, 0.183, 0.6 },  { LMD_TYPE_Q2_K, 0.36, 1.4 },
};

T_TEST(tensor_quantize_dequantize_error_within_known_bounds) {
    enum { N = 256 * 64 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    uint8_t *q = malloc(N * 4);
    for (int i = 0; i < N; i++) x[i] = rnd_gauss();
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
        const lmd_type_traits *tr = lmd_type_traits_ref(bounds[k].t);
        tr->quantize_row(x, q, N);
        tr->dequantize_row(q, y, N);
        double se = 0, sx = 0, mx = 0;
        for (int i = 0; i < N; i++) {
            const double e = (double)y[i] - x[i];
            se += e * e;
            sx += (double)x[i] * x[i];
            if (fabs(e) > mx) mx = fabs(e);
        }
        const double rel = sqrt(se / sx);
        if (getenv("T_VERBOSE")) fprintf(stderr, "  %s: rel rms %.5f max %.4f\n", tr->name, rel, mx);
        if (!(rel <= bounds[k].rel_rms && mx <= bounds[k].max_abs))
            T_FAILF("%s: rel rms %.5f (bound %g), max abs %.4f (bound %g)", tr->name, rel,
                    bounds[k].rel_rms, mx, bounds[k].max_abs);
        /* Quantizing the dequantized values again is nearly a fixed point: the second round
         * trip moves values by at most a quarter of the first one's error (K-quants search
         * their scales again, so they need not land on the same grid). */
        float *y2 = malloc(N * sizeof *y2);
        tr->quantize_row(y, q, N);
        tr->dequantize_row(q, y2, N);
        double se2 = 0;
        for (int i = 0; i < N; i++) se2 += ((double)y2[i] - y[i]) * ((double)y2[i] - y[i]);
        if (!(sqrt(se2 / sx) <= 0.25 * rel + 1e-7))
            T_FAILF("%s: second round trip error %.5f vs first %.5f", tr->name, sqrt(se2 / sx), rel);
        free(y2);
    }
    free(x);
    free(y);
    free(q);
}

T_TEST(tensor_quantize_handles_zero_constant_and_extreme_blocks) {
    enum { N = 256 };
    float x[N], y[N];
    uint8_t q[N * 4];
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
        const lmd_type_traits *tr = lmd_type_traits_ref(bounds[k].t);
        /* All zeros: exact zeros back. */
        memset(x, 0, sizeof x);
        tr->quantize_row(x, q, N);
        tr->dequantize_row(q, y, N);
        int nonzero = 0;
        for (int i = 0; i < N; i++) nonzero += y[i] != 0.0f;
        if (nonzero) T_FAILF("%s: zeros come back with %d nonzero", tr->name, nonzero);
        /* One spike among zeros and a constant block: finite, spike sign kept. */
        x[17] = -1000.0f;
        tr->quantize_row(x, q, N);
        tr->dequantize_row(q, y, N);
        int bad = 0;
        for (int i = 0; i < N; i++) bad += !isfinite(y[i]);
        if (bad || !(y[17] < -500.0f)) T_FAILF("%s: spike gives %g", tr->name, y[17]);
        for (int i = 0; i < N; i++) x[i] = 0.125f;
        tr->quantize_row(x, q, N);
        tr->dequantize_row(q, y, N);
        for (int i = 0; i < N; i++) bad += !(fabsf(y[i] - 0.125f) <= 0.0625f);
        if (bad) T_FAILF("%s: constant 0.125 comes back as %g", tr->name, y[0]);
    }
}

T_TEST(tensor_lmd_kernels_values_are_checked) {
    const char *path = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_kernels_choose("scalar", &path, &err), LMD_OK);
    T_EQ_STR(path, "scalar");
    T_EQ_INT(lmd_kernels_choose("sse9", &path, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "sse9") != NULL);
    lmd_err_clear(&err);
#if defined(__x86_64__)
    T_EQ_INT(lmd_kernels_choose("neon", &path, &err), LMD_E_UNSUPPORTED);
#else
    T_EQ_INT(lmd_kernels_choose("avx2", &path, &err), LMD_E_UNSUPPORTED);
#endif
    T_CHECK(strstr(err.msg, "cannot run") != NULL);
    /* Unset picks the best path the CPU runs, and that path can be built. */
    static lmd_type_traits table[LMD_TYPE_COUNT];
    T_EQ_INT(lmd_kernels_choose(NULL, &path, NULL), LMD_OK);
    T_CHECK(lmd_kernels_build_table(path, table));
#if defined(__aarch64__)
    T_EQ_STR(path, "neon");
#endif
}

T_TEST(tensor_kernels_init_honours_lmd_kernels) {
    /* The process-wide choice is made once; here we check the path names and that an
     * impossible path is refused by the table builder the init uses. */
    lmd_err err = { 0 };
    T_EQ_INT(lmd_kernels_init(&err), LMD_OK);
    const char *p = lmd_kernels_path();
    T_CHECK(strcmp(p, "scalar") == 0 || strcmp(p, "avx2") == 0 || strcmp(p, "avx512") == 0 ||
            strcmp(p, "neon") == 0);
    for (int t = 0; t < LMD_TYPE_COUNT; t++) {
        const lmd_type_traits *a = lmd_type_traits_of((lmd_type)t), *b = lmd_type_traits_ref((lmd_type)t);
        T_CHECK((a == NULL) == (b == NULL));
        if (a && b) T_EQ_INT(a->block_bytes, b->block_bytes);
    }
}
