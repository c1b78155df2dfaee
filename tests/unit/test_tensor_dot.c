/* test_tensor_dot.c — dot products: the reference vec_dot of every weight type agrees with
 * dequantize-then-dot, and every SIMD path this CPU runs agrees with the reference on random
 * blocks, odd sizes (single blocks, tails) and special values. Tolerances: integer sums are
 * exact, so differences come only from the float reduction order; we allow
 * 2e-5 * sum(|w_i * x_i|) (about 100 f32 ulps of the largest partial sum). */
#include "t.h"
#include "tensor_test_util.h"

#include "tensor/tensor_int.h"

static const char *paths[] = { "avx2", "avx512", "neon" };

/* dot of two dequantized rows in double, and the sum of |products| (the error scale). */
static void float_dot(const lmd_type_traits *wt, const void *w, const lmd_type_traits *at,
                      const void *a, int64_t n, double *dot, double *mag) {
    float *fw = malloc((size_t)n * sizeof *fw), *fa = malloc((size_t)n * sizeof *fa);
    wt->dequantize_row(w, fw, n);
    at->dequantize_row(a, fa, n);
    double d = 0, m = 0;
    for (int64_t i = 0; i < n; i++) {
        d += (double)fw[i] * fa[i];
        m += fabs((double)fw[i] * fa[i]);
    }
    *dot = d;
    *mag = m;
    free(fw);
    free(fa);
}

T_TEST(tensor_reference_dot_matches_dequantized_float_dot) {
    for (size_t k = 0; k < TT_N_WEIGHT_TYPES; k++) {
        const lmd_type_traits *wt = lmd_type_traits_ref(tt_weight_types[k]);
        const lmd_type_traits *at = lmd_type_traits_ref(wt->vec_dot_type);
        for (int64_t nb = 1; nb <= 9; nb += 4) {
            const int64_t n = nb * 256;
            void *w = malloc((size_t)nb * 256 * 4), *a = malloc((size_t)nb * 256 * 4);
            float *x = malloc((size_t)n * sizeof *x);
            tt_random_blocks(tt_weight_types[k], w, n);
            for (int64_t i = 0; i < n; i++) x[i] = tt_gauss();
            at->quantize_row(x, a, n);
            float s = NAN;
            wt->vec_dot(n, &s, w, a);
            double want, mag;
            float_dot(wt, w, at, a, n, &want, &mag);
            /* Q4_1/Q5_1 use the activation block's fp16-rounded d*sum for the min term
             * (as ggml), a relative error up to 2^-11 of that term: allow 1e-3. */
            const double rel = wt->vec_dot_type == LMD_TYPE_Q8_1 ? 1e-3 : 2e-5;
            if (!(fabs(s - want) <= rel * mag + 1e-30))
                T_FAILF("%s n=%lld: dot %.9g, dequantized %.9g (scale %g)", wt->name,
                        (long long)n, s, want, mag);
            free(w);
            free(a);
            free(x);
        }
    }
}

/* Compares one path's kernels with the reference for type t on n elements. */
static void compare_path(const char *path, const lmd_type_traits *pt, lmd_type t, int64_t n,
                         int mode) {
    const lmd_type_traits *wt = lmd_type_traits_ref(t);
    const lmd_type_traits *at = lmd_type_traits_ref(wt->vec_dot_type);
    const lmd_type_traits *pw = &pt[t], *pa = &pt[wt->vec_dot_type];
    const size_t wbytes = (size_t)(n / wt->block_elems) * wt->block_bytes;
    const size_t abytes = (size_t)(n / at->block_elems) * at->block_bytes;
    uint8_t *w = malloc(wbytes + 1), *a = malloc(abytes + 1), *a2 = malloc(abytes + 1);
    float *x = malloc((size_t)n * sizeof *x), *y1 = malloc((size_t)n * 4), *y2 = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) {
        x[i] = mode == 0 ? tt_gauss()
             : mode == 1 ? 0.0f
             : mode == 2 ? (tt_unit() < 0.5f ? -1e-39f : 3e-40f)   /* f32 denormals */
                         : (i % 2 ? 6e4f : -6e4f);                  /* near fp16 max */
    }
    tt_random_blocks(t, w, n);
    if (mode == 3 && t == LMD_TYPE_F16)
        for (int64_t i = 0; i < n; i++) ((uint16_t *)w)[i] = (uint16_t)(0x7BFF | ((i & 1) << 15));
    /* Activation conversion: must be bit-identical (it decides what every path sees). */
    at->quantize_row(x, a, n);
    pa->quantize_row(x, a2, n);
    if (memcmp(a, a2, abytes) != 0)
        T_FAILF("%s %s: activation quantize_row differs from reference (n=%lld mode %d)", path,
                at->name, (long long)n, mode);
    /* Dequantization: exact. */
    wt->dequantize_row(w, y1, n);
    pw->dequantize_row(w, y2, n);
    if (memcmp(y1, y2, (size_t)n * 4) != 0)
        T_FAILF("%s %s: dequantize_row differs from reference (n=%lld)", path, wt->name,
                (long long)n);
    float s_ref = NAN, s_path = NAN;
    wt->vec_dot(n, &s_ref, w, a);
    pw->vec_dot(n, &s_path, w, a);
    double want, mag;
    float_dot(wt, w, at, a, n, &want, &mag);
    const bool both_inf = isinf(s_ref) && s_ref == s_path;
    if (!both_inf && !(fabs((double)s_path - s_ref) <= 2e-5 * mag + 1e-37))
        T_FAILF("%s %s n=%lld mode %d: %.9g vs reference %.9g (scale %g)", path, wt->name,
                (long long)n, mode, s_path, s_ref, mag);
    free(w);
    free(a);
    free(a2);
    free(x);
    free(y1);
    free(y2);
}

T_TEST(tensor_simd_paths_match_reference_on_random_odd_and_special_inputs) {
    static lmd_type_traits table[LMD_TYPE_COUNT];
    int n_paths = 0;
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        if (!lmd_kernels_build_table(paths[p], table)) continue;
        n_paths++;
        for (size_t k = 0; k < TT_N_WEIGHT_TYPES; k++) {
            const lmd_type t = tt_weight_types[k];
            const int64_t be = lmd_type_traits_ref(t)->block_elems;
            /* Block counts: one, a few (tails of unrolled loops), many. */
            static const int64_t counts[] = { 1, 2, 3, 5, 7, 8, 9, 16, 17, 33, 64 };
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                int64_t n = counts[c] * (be == 1 ? 37 : be);
                if (be == 1 && c == 0) n = 1;
                compare_path(paths[p], table, t, n, 0);
            }
            for (int mode = 1; mode <= 3; mode++) compare_path(paths[p], table, t, 8 * (be == 1 ? 64 : be), mode);
        }
    }
    if (n_paths == 0) T_SKIP("no SIMD path on this CPU/build");
}

/* vec_dot_n must give, for every activation row, the very bits vec_dot gives (matmul relies
 * on it for batch invariance). */
T_TEST(tensor_multi_row_dots_are_bit_identical_to_single_dots) {
    static lmd_type_traits table[LMD_TYPE_COUNT];
    static const char *all[] = { "scalar", "avx2", "avx512", "neon" };
    int n_kernels = 0;
    for (size_t p = 0; p < sizeof all / sizeof all[0]; p++) {
        if (!lmd_kernels_build_table(all[p], table)) continue;
        for (size_t k = 0; k < TT_N_WEIGHT_TYPES; k++) {
            const lmd_type t = tt_weight_types[k];
            const lmd_type_traits *tr = &table[t], *at = &table[tr->vec_dot_type];
            if (!tr->vec_dot_n) continue;
            n_kernels++;
            const int64_t n = 5 * (tr->block_elems == 1 ? 67 : tr->block_elems);
            const size_t astride = (size_t)(n / at->block_elems) * at->block_bytes + 8;
            uint8_t *w = malloc((size_t)n * 4), *a = malloc(astride * LMD_VEC_DOT_MAX_NY);
            float *x = malloc((size_t)n * sizeof *x);
            tt_random_blocks(t, w, n);
            for (int r = 0; r < LMD_VEC_DOT_MAX_NY; r++) {
                for (int64_t i = 0; i < n; i++) x[i] = tt_gauss();
                at->quantize_row(x, a + r * astride, n);
            }
            for (int ny = 1; ny <= LMD_VEC_DOT_MAX_NY; ny++) {
                float multi[2 * LMD_VEC_DOT_MAX_NY];
                tr->vec_dot_n(n, multi, 2, w, a, astride, ny);
                for (int r = 0; r < ny; r++) {
                    float single;
                    tr->vec_dot(n, &single, w, a + r * astride);
                    if (memcmp(&single, &multi[2 * r], sizeof single) != 0)
                        T_FAILF("%s %s n_y=%d row %d: %.9g vs single %.9g", all[p], tr->name, ny,
                                r, multi[2 * r], single);
                }
            }
            free(w);
            free(a);
            free(x);
        }
    }
    if (n_kernels == 0) T_SKIP("no multi-row kernels on this CPU/build");
}

T_TEST(tensor_kernel_table_builder_refuses_unknown_paths) {
    static lmd_type_traits table[LMD_TYPE_COUNT];
    T_CHECK(!lmd_kernels_build_table("sse9", table));
    T_CHECK(lmd_kernels_build_table("scalar", table));
    T_CHECK(table[LMD_TYPE_Q4_K].vec_dot == lmd_type_traits_ref(LMD_TYPE_Q4_K)->vec_dot);
#if defined(__x86_64__)
    T_CHECK(!lmd_kernels_build_table("neon", table));
#else
    T_CHECK(!lmd_kernels_build_table("avx2", table));
#endif
}
