/* test_dequant.c — the tensor formats against llama.cpp's files. For every quantized model in
 * ../shared/golden/models (made by llama-quantize of commit 0253fb21 from the <arch>-F32.gguf
 * beside it, no importance matrix), each tensor:
 *   1. dequantized with our reference agrees with the F32 original within the error its type
 *      is known for (relative RMS error bounds below; measured values in the comments);
 *   2. our reference quantizer applied to the F32 original gives the very bytes
 *      llama-quantize wrote (ggml's *_ref quantizers reproduced bit for bit), so it stays
 *      within the same bounds by construction.
 * Tiny random-weight models: n_embd 256, n_ff 512, vocab 1000. */
#include <dirent.h>

#include "gguf/gguf.h"
#include "t.h"
#include "tensor/tensor.h"

/* Relative RMS error (||deq - f32|| / ||f32||) each type is known for on normal-ish weights:
 * ~1.2x the worst tensor measured here (q8_0 .0055, q6_K .018, q5_K .036, q5_1 .038,
 * q5_0 .043, q4_K .072, q4_1 .079, q4_0 .087, q3_K .153, q2_K .30, f16 .0002, bf16 .0016)
 * — the same bounds as the unit test on Gaussian data. */
static double bound_of(lmd_type t) {
    switch (t) {
    case LMD_TYPE_F32: return 0;
    case LMD_TYPE_F16: return 3e-4;
    case LMD_TYPE_BF16: return 2e-3;
    case LMD_TYPE_Q8_0: return 0.0065;
    case LMD_TYPE_Q6_K: return 0.022;
    case LMD_TYPE_Q5_K: return 0.044;
    case LMD_TYPE_Q5_1: return 0.046;
    case LMD_TYPE_Q5_0: return 0.052;
    case LMD_TYPE_Q4_K: return 0.086;
    case LMD_TYPE_Q4_1: return 0.094;
    case LMD_TYPE_Q4_0: return 0.104;
    case LMD_TYPE_Q3_K: return 0.183;
    case LMD_TYPE_Q2_K: return 0.36;
    default: return -1;
    }
}

static double worst_rel[LMD_TYPE_COUNT];
static int n_checked[LMD_TYPE_COUNT];

static void check_model(const char *quant_path, const char *f32_path) {
    lmd_gguf *q = NULL, *f = NULL;
    lmd_err err = { 0 };
    if (lmd_gguf_open(quant_path, NULL, &q, &err) != LMD_OK ||
        lmd_gguf_open(f32_path, NULL, &f, &err) != LMD_OK) {
        T_FAILF("%s", err.msg);
        lmd_gguf_close(q);
        return;
    }
    for (int64_t i = 0; i < lmd_gguf_n_tensors(q); i++) {
        const lmd_gguf_tensor *tq = lmd_gguf_tensor_at(q, i);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)tq->name.len, tq->name.ptr);
        const lmd_gguf_tensor *tf = lmd_gguf_find_tensor(f, name);
        if (!tf || tf->type != LMD_TYPE_F32) {
            T_FAILF("%s: tensor %s has no F32 original", quant_path, name);
            continue;
        }
        const lmd_type_traits *tr = lmd_type_traits_ref(tq->type);
        if (!tr || bound_of(tq->type) < 0) {
            T_FAILF("%s: tensor %s of type %d has no reference", quant_path, name, tq->type);
            continue;
        }
        const int64_t n = tf->ne[0] * tf->ne[1] * tf->ne[2] * tf->ne[3];
        const float *orig = tf->data;
        float *deq = malloc((size_t)n * sizeof *deq);
        tr->dequantize_row(tq->data, deq, n);
        double se = 0, sx = 0;
        for (int64_t k = 0; k < n; k++) {
            se += ((double)deq[k] - orig[k]) * ((double)deq[k] - orig[k]);
            sx += (double)orig[k] * orig[k];
        }
        const double rel = sx > 0 ? sqrt(se / sx) : sqrt(se);
        if (rel > worst_rel[tq->type]) worst_rel[tq->type] = rel;
        n_checked[tq->type]++;
        if (!(rel <= bound_of(tq->type)))
            T_FAILF("%s: %s (%s) relative RMS error %.5f > %g", quant_path, name, tr->name, rel,
                    bound_of(tq->type));
        /* Our quantizer on the original: byte-identical to llama-quantize's output. Rows are
         * quantized independently, so one call over the whole tensor is the same. */
        uint8_t *mine = malloc(tq->n_bytes + 1);
        tr->quantize_row(orig, mine, n);
        if (memcmp(mine, tq->data, tq->n_bytes) != 0) {
            size_t at = 0;
            while (at < tq->n_bytes && mine[at] == ((const uint8_t *)tq->data)[at]) at++;
            T_FAILF("%s: %s (%s): our quantizer differs from llama-quantize at byte %zu of %zu",
                    quant_path, name, tr->name, at, tq->n_bytes);
        }
        free(mine);
        free(deq);
    }
    lmd_gguf_close(q);
    lmd_gguf_close(f);
}

T_TEST(dequant_golden_models_agree_with_f32_and_our_quantizer_reproduces_them) {
    const char *dir_path = t_shared("golden/models");
    DIR *dir = opendir(dir_path);
    if (!dir) T_SKIP("no ../shared/golden/models");
    struct dirent *de;
    int n_models = 0;
    while ((de = readdir(dir)) != NULL) {
        const char *dash = strrchr(de->d_name, '-');
        size_t len = strlen(de->d_name);
        if (!dash || len < 6 || strcmp(de->d_name + len - 5, ".gguf") != 0) continue;
        if (strcmp(dash, "-F32.gguf") == 0) continue;
        char q_path[4096], f_path[4096];
        snprintf(q_path, sizeof q_path, "%s/%s", dir_path, de->d_name);
        snprintf(f_path, sizeof f_path, "%s/%.*s-F32.gguf", dir_path, (int)(dash - de->d_name),
                 de->d_name);
        check_model(q_path, f_path);
        n_models++;
    }
    closedir(dir);
    T_CHECK(n_models >= 18);
    /* Every weight type of the foundation issue was seen in some file. */
    static const lmd_type want[] = { LMD_TYPE_F16,  LMD_TYPE_BF16, LMD_TYPE_Q8_0, LMD_TYPE_Q4_0,
                                     LMD_TYPE_Q4_1, LMD_TYPE_Q5_0, LMD_TYPE_Q5_1, LMD_TYPE_Q2_K,
                                     LMD_TYPE_Q3_K, LMD_TYPE_Q4_K, LMD_TYPE_Q5_K, LMD_TYPE_Q6_K };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        if (getenv("T_VERBOSE"))
            fprintf(stderr, "  %-5s %3d tensors, worst rel rms %.5f\n",
                    lmd_type_traits_ref(want[k])->name, n_checked[want[k]], worst_rel[want[k]]);
        if (n_checked[want[k]] == 0) T_FAILF("no tensor of type %s checked", lmd_type_traits_ref(want[k])->name);
    }
}
