/* traits.c — the type traits table (geometry, quantize/dequantize/dot, vec_dot_type) and the
 * choice of kernel path. lmd_kernels_init reads CPUID (or the aarch64 hwcaps) and
 * LMD_KERNELS once, copies the scalar reference table and lets the chosen SIMD path
 * override the entries it implements; after that the table is read-only (the only mutable
 * global of the library, written before any worker thread starts). */
#include <stdlib.h>

#include "tensor/tensor_int.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#define REF_ROW(T, t, name_, elems, bytes, vdt)                                           \
    [LMD_TYPE_##T] = {                                                                    \
        .name = name_, .block_elems = elems, .block_bytes = bytes, .is_quantized = elems > 1, \
        .quantize_row = lmd_ref_quantize_##t, .dequantize_row = lmd_ref_dequantize_##t,   \
        .vec_dot = lmd_ref_dot_##t, .vec_dot_type = LMD_TYPE_##vdt,                        \
    }

static const lmd_type_traits ref_table[LMD_TYPE_COUNT] = {
    REF_ROW(F32, f32, "f32", 1, 4, F32),
    REF_ROW(F16, f16, "f16", 1, 2, F16),
    REF_ROW(BF16, bf16, "bf16", 1, 2, BF16),
    REF_ROW(Q4_0, q4_0, "q4_0", LMD_QK4_0, sizeof(lmd_block_q4_0), Q8_0),
    REF_ROW(Q4_1, q4_1, "q4_1", LMD_QK4_1, sizeof(lmd_block_q4_1), Q8_1),
    REF_ROW(Q5_0, q5_0, "q5_0", LMD_QK5_0, sizeof(lmd_block_q5_0), Q8_0),
    REF_ROW(Q5_1, q5_1, "q5_1", LMD_QK5_1, sizeof(lmd_block_q5_1), Q8_1),
    REF_ROW(Q8_0, q8_0, "q8_0", LMD_QK8_0, sizeof(lmd_block_q8_0), Q8_0),
    REF_ROW(Q2_K, q2_K, "q2_K", LMD_QK_K, sizeof(lmd_block_q2_K), Q8_K),
    REF_ROW(Q3_K, q3_K, "q3_K", LMD_QK_K, sizeof(lmd_block_q3_K), Q8_K),
    REF_ROW(Q4_K, q4_K, "q4_K", LMD_QK_K, sizeof(lmd_block_q4_K), Q8_K),
    REF_ROW(Q5_K, q5_K, "q5_K", LMD_QK_K, sizeof(lmd_block_q5_K), Q8_K),
    REF_ROW(Q6_K, q6_K, "q6_K", LMD_QK_K, sizeof(lmd_block_q6_K), Q8_K),
    /* Activation formats: no dot of their own. */
    [LMD_TYPE_Q8_1] = { .name = "q8_1", .block_elems = LMD_QK8_1,
                        .block_bytes = sizeof(lmd_block_q8_1), .is_quantized = true,
                        .quantize_row = lmd_ref_quantize_q8_1,
                        .dequantize_row = lmd_ref_dequantize_q8_1,
                        .vec_dot_type = LMD_TYPE_Q8_1 },
    [LMD_TYPE_Q8_K] = { .name = "q8_K", .block_elems = LMD_QK_K,
                        .block_bytes = sizeof(lmd_block_q8_K), .is_quantized = true,
                        .quantize_row = lmd_ref_quantize_q8_K,
                        .dequantize_row = lmd_ref_dequantize_q8_K,
                        .vec_dot_type = LMD_TYPE_Q8_K },
};

static lmd_type_traits table[LMD_TYPE_COUNT];
static const char *chosen_path = "scalar";
static bool initialized;

typedef struct {
    bool avx2;     /* AVX2 + FMA + F16C, OS saves YMM */
    bool avx512;   /* F, BW, VL, DQ, VNNI, BF16, OS saves ZMM */
    bool neon;
} cpu_features;

static cpu_features detect_cpu(void) {
    cpu_features f = { 0 };
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool fma = c & (1u << 12), osxsave = c & (1u << 27), f16c = c & (1u << 29);
    if (!osxsave) return f;
    /* XCR0: the OS must save the vector registers we use. */
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    const bool ymm_os = (xlo & 0x6) == 0x6, zmm_os = (xlo & 0xE6) == 0xE6;
    if (__get_cpuid_max(0, NULL) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = b & (1u << 5);
    const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30);
    const bool avx512vl = b & (1u << 31), vnni = c & (1u << 11);
    __cpuid_count(7, 1, a, b, c, d);
    const bool bf16 = a & (1u << 5);
    f.avx2 = ymm_os && avx2 && fma && f16c;
    f.avx512 = f.avx2 && zmm_os && avx512f && avx512dq && avx512bw && avx512vl && vnni && bf16;
#elif defined(__aarch64__)
    f.neon = true;   /* Advanced SIMD is part of the aarch64 base */
#endif
    return f;
}

static bool path_available(const char *path, cpu_features f) {
    if (strcmp(path, "scalar") == 0) return true;
#if defined(__x86_64__)
    if (strcmp(path, "avx2") == 0) return f.avx2;
    if (strcmp(path, "avx512") == 0) return f.avx512;
#elif defined(__aarch64__)
    if (strcmp(path, "neon") == 0) return f.neon;
#endif
    (void)f;
    return false;
}

bool lmd_kernels_build_table(const char *path, lmd_type_traits out[LMD_TYPE_COUNT]) {
    if (!path_available(path, detect_cpu())) return false;
    memcpy(out, ref_table, sizeof ref_table);
#if defined(__x86_64__)
    if (strcmp(path, "avx2") == 0) lmd_kernels_fill_avx2(out);
    if (strcmp(path, "avx512") == 0) {
        /* AVX-512 builds on the AVX2 kernels for the types it has no kernel of its own. */
        lmd_kernels_fill_avx2(out);
        lmd_kernels_fill_avx512(out);
    }
#elif defined(__aarch64__)
    if (strcmp(path, "neon") == 0) lmd_kernels_fill_neon(out);
#endif
    return true;
}

lmd_status lmd_kernels_choose(const char *want, const char **path_out, lmd_err *err) {
    const cpu_features f = detect_cpu();
    static const char *const names[] = { "scalar", "avx2", "avx512", "neon" };
    if (want && *want) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (strcmp(want, names[i]) != 0) continue;
            if (!path_available(names[i], f))
                return lmd_err_set(err, LMD_E_UNSUPPORTED,
                                   "LMD_KERNELS=%s: this CPU or build cannot run that path", want);
            *path_out = names[i];
            return LMD_OK;
        }
        return lmd_err_set(err, LMD_E_INVALID,
                           "LMD_KERNELS=%s: expected scalar, avx2, avx512 or neon", want);
    }
    *path_out = f.avx512 ? names[2] : f.avx2 ? names[1] : f.neon ? names[3] : names[0];
    return LMD_OK;
}

lmd_status lmd_kernels_init(lmd_err *err) {
    if (initialized) return LMD_OK;
    const char *path = NULL;
    lmd_status st = lmd_kernels_choose(getenv("LMD_KERNELS"), &path, err);
    if (st != LMD_OK) return st;
    if (!lmd_kernels_build_table(path, table))
        return lmd_err_set(err, LMD_E_INTERNAL, "kernel path %s vanished", path);
    chosen_path = path;
    initialized = true;
    return LMD_OK;
}

const char *lmd_kernels_path(void) {
    return chosen_path;
}

const lmd_type_traits *lmd_type_traits_of(lmd_type t) {
    if ((unsigned)t >= LMD_TYPE_COUNT) return NULL;
    if (!initialized) return ref_table[t].name ? &ref_table[t] : NULL;
    return table[t].name ? &table[t] : NULL;
}

const lmd_type_traits *lmd_type_traits_ref(lmd_type t) {
    if ((unsigned)t >= LMD_TYPE_COUNT) return NULL;
    return ref_table[t].name ? &ref_table[t] : NULL;
}
