/* test_model_batch.c — batch invariance, thread-count invariance, chunked prefill, prefix
 * sharing (fork + copy on write) and KV block reuse, on the golden models' six prompts.
 *
 * Reference run: each prompt alone (one decode for the prompt, then greedy one token per
 * decode), calling thread only. Then the same prompts all in ONE batch, interleaved, with
 * greedy steps batching every sequence, on a 2-thread pool: the logits must be bit-identical
 * and the greedy tokens equal. Blocks must all be back on the free list after each run, and
 * no decode step may allocate memory. */
#include <jansson.h>

#include "model/model.h"
#include "tensor/pool.h"
#include "t.h"

/* Counting allocator: the decode step must not allocate (DESIGN.md, decision 6). glibc's
 * __libc_* entry points let this binary interpose malloc without dlsym. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static int counting;
static long n_allocs;
void *malloc(size_t n) {
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}

/* lmd_model_decode with allocations counted; the count must stay zero. */
static lmd_status decode_counted(lmd_model_ctx *c, const lmd_batch *b, lmd_err *err) {
    long before = n_allocs;
    __atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
    lmd_status st = lmd_model_decode(c, b, err);
    __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
    T_EQ_INT(n_allocs - before, 0);
    return st;
}

#define N_PROMPTS 6
#define N_GEN 8
#define MAX_TOK 256

typedef struct {
    int32_t ids[N_PROMPTS][MAX_TOK];
    int64_t n[N_PROMPTS];
    float *last[N_PROMPTS];           /* reference logits of the last prompt position */
    int32_t gen[N_PROMPTS][N_GEN];    /* reference greedy tokens */
} prompts;

static int32_t argmax(const float *x, int64_t n) {
    int64_t b = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[b]) b = i;
    return (int32_t)b;
}

static bool load_prompts(const char *stem, prompts *P) {
    char rel[256];
    snprintf(rel, sizeof rel, "golden/outputs/%s.json", stem);
    json_t *root = json_load_file(t_shared(rel), 0, NULL);
    if (!root) return false;
    json_t *ps = json_object_get(root, "prompts");
    for (int p = 0; p < N_PROMPTS; p++) {
        json_t *toks = json_object_get(json_array_get(ps, (size_t)p), "tokens");
        P->n[p] = (int64_t)json_array_size(toks);
        if (P->n[p] > MAX_TOK - N_GEN) P->n[p] = MAX_TOK - N_GEN;
        for (int64_t i = 0; i < P->n[p]; i++)
            P->ids[p][i] = (int32_t)json_integer_value(json_array_get(toks, (size_t)i));
    }
    json_decref(root);
    return true;
}

static void check_all_blocks_free(lmd_model_ctx *c) {
    lmd_kv *kv = lmd_model_ctx_kv(c);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), lmd_kv_n_blocks(kv));
}

/* Prompt p alone, in chunks of `chunk` tokens; records or compares last logits and greedy. */
static void run_alone(lmd_model_ctx *c, prompts *P, int p, int64_t chunk, bool record) {
    const int64_t nv = lmd_model_n_vocab(lmd_model_ctx_model(c));
    lmd_err err = { 0 };
    int32_t sid, pos[MAX_TOK], seq[MAX_TOK];
    T_CHECK(lmd_model_seq_add(c, &sid, &err) == LMD_OK);
    for (int64_t i = 0; i < P->n[p]; i++) {
        pos[i] = (int32_t)i;
        seq[i] = sid;
    }
    for (int64_t i0 = 0; i0 < P->n[p]; i0 += chunk) {
        int64_t n = P->n[p] - i0 < chunk ? P->n[p] - i0 : chunk;
        lmd_batch b = { .n_tokens = n, .token = P->ids[p] + i0, .pos = pos + i0, .seq = seq };
        T_CHECK(decode_counted(c, &b, &err) == LMD_OK);
    }
    const float *lg = lmd_model_logits(c, 0);
    if (record) {
        P->last[p] = malloc((size_t)nv * sizeof(float));
        memcpy(P->last[p], lg, (size_t)nv * sizeof(float));
    } else {
        T_CHECK(memcmp(P->last[p], lg, (size_t)nv * sizeof(float)) == 0);
    }
    for (int k = 0; k < N_GEN; k++) {
        int32_t t = argmax(lg, nv), ps = (int32_t)(P->n[p] + k);
        if (record) P->gen[p][k] = t;
        else T_EQ_INT(t, P->gen[p][k]);
        lmd_batch b = { .n_tokens = 1, .token = &t, .pos = &ps, .seq = &sid };
        T_CHECK(lmd_model_decode(c, &b, &err) == LMD_OK);
        lg = lmd_model_logits(c, 0);
    }
    lmd_model_seq_free(c, sid);
}

/* All prompts in one batch, entries interleaved round-robin, then batched greedy steps. */
static void run_together(lmd_model_ctx *c, prompts *P) {
    const int64_t nv = lmd_model_n_vocab(lmd_model_ctx_model(c));
    lmd_err err = { 0 };
    int32_t sid[N_PROMPTS], tok[N_PROMPTS * MAX_TOK], pos[N_PROMPTS * MAX_TOK],
        seq[N_PROMPTS * MAX_TOK];
    int64_t n = 0;
    for (int p = 0; p < N_PROMPTS; p++) T_CHECK(lmd_model_seq_add(c, &sid[p], &err) == LMD_OK);
    for (int64_t i = 0; i < MAX_TOK; i++)
        for (int p = 0; p < N_PROMPTS; p++)
            if (i < P->n[p]) {
                tok[n] = P->ids[p][i];
                pos[n] = (int32_t)i;
                seq[n++] = sid[p];
            }
    lmd_batch b = { .n_tokens = n, .token = tok, .pos = pos, .seq = seq };
    if (decode_counted(c, &b, &err) != LMD_OK) {
        T_FAILF("batched decode: %s", err.msg);
        return;
    }
    T_EQ_INT(lmd_model_n_outputs(c), N_PROMPTS);
    int32_t next[N_PROMPTS];
    for (int64_t e = 0; e < n; e++) {
        int64_t o = lmd_model_output_of(c, e);
        if (o < 0) continue;
        int p = 0;
        while (sid[p] != seq[e]) p++;
        T_EQ_INT(pos[e], P->n[p] - 1);
        const float *lg = lmd_model_logits(c, o);
        T_CHECK(memcmp(P->last[p], lg, (size_t)nv * sizeof(float)) == 0);
        next[p] = argmax(lg, nv);
    }
    for (int k = 0; k < N_GEN; k++) {
        for (int p = 0; p < N_PROMPTS; p++) {
            T_EQ_INT(next[p], P->gen[p][k]);
            tok[p] = next[p];
            pos[p] = (int32_t)(P->n[p] + k);
            seq[p] = sid[p];
        }
        lmd_batch bg = { .n_tokens = N_PROMPTS, .token = tok, .pos = pos, .seq = seq };
        T_CHECK(decode_counted(c, &bg, &err) == LMD_OK);
        for (int p = 0; p < N_PROMPTS; p++) next[p] = argmax(lmd_model_logits(c, p), nv);
    }
    for (int p = 0; p < N_PROMPTS; p++) lmd_model_seq_free(c, sid[p]);
}

/* A fork of prompt 1 continued with another token must equal that token fed fresh. */
static void run_fork(lmd_model_ctx *c, prompts *P) {
    const int64_t nv = lmd_model_n_vocab(lmd_model_ctx_model(c));
    lmd_err err = { 0 };
    const int p = 1;
    int32_t a, f, pos[MAX_TOK], seq[MAX_TOK];
    T_CHECK(lmd_model_seq_add(c, &a, &err) == LMD_OK);
    for (int64_t i = 0; i < P->n[p]; i++) {
        pos[i] = (int32_t)i;
        seq[i] = a;
    }
    lmd_batch b = { .n_tokens = P->n[p], .token = P->ids[p], .pos = pos, .seq = seq };
    T_CHECK(lmd_model_decode(c, &b, &err) == LMD_OK);
    lmd_kv *kv = lmd_model_ctx_kv(c);
    int64_t used = lmd_kv_n_blocks(kv) - lmd_kv_n_free_blocks(kv);
    T_CHECK(lmd_model_seq_fork(c, a, &f, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_n_blocks(kv) - lmd_kv_n_free_blocks(kv), used);  /* shared, not copied */
    /* a continues with its greedy token, the fork with another one, in one batch */
    int32_t t2[2] = { P->gen[p][0], (P->gen[p][0] + 1) % (int32_t)nv };
    int32_t p2[2] = { (int32_t)P->n[p], (int32_t)P->n[p] };
    int32_t s2[2] = { a, f };
    lmd_batch b2 = { .n_tokens = 2, .token = t2, .pos = p2, .seq = s2 };
    T_CHECK(lmd_model_decode(c, &b2, &err) == LMD_OK);
    float *la = malloc((size_t)nv * sizeof(float)), *lf = malloc((size_t)nv * sizeof(float));
    memcpy(la, lmd_model_logits(c, 0), (size_t)nv * sizeof(float));
    memcpy(lf, lmd_model_logits(c, 1), (size_t)nv * sizeof(float));
    lmd_model_seq_free(c, a);
    lmd_model_seq_free(c, f);
    /* fresh: prompt + the fork's token in one sequence */
    int32_t ids[MAX_TOK];
    memcpy(ids, P->ids[p], (size_t)P->n[p] * sizeof(int32_t));
    ids[P->n[p]] = t2[1];
    int32_t s;
    T_CHECK(lmd_model_seq_add(c, &s, &err) == LMD_OK);
    for (int64_t i = 0; i <= P->n[p]; i++) {
        pos[i] = (int32_t)i;
        seq[i] = s;
    }
    lmd_batch b3 = { .n_tokens = P->n[p] + 1, .token = ids, .pos = pos, .seq = seq };
    T_CHECK(lmd_model_decode(c, &b3, &err) == LMD_OK);
    T_CHECK(memcmp(lf, lmd_model_logits(c, 0), (size_t)nv * sizeof(float)) == 0);
    /* and the original continued as it would have alone */
    T_EQ_INT(argmax(la, nv), P->gen[p][1]);
    lmd_model_seq_free(c, s);
    free(la);
    free(lf);
}

static void batch_invariance(const char *model_rel, const char *stem) {
    prompts *P = calloc(1, sizeof *P);
    T_CHECK(load_prompts(stem, P));
    lmd_err err = { 0 };
    lmd_model *m = NULL;
    lmd_model_ctx *c = NULL;
    lmd_pool *pool = NULL;
    if (lmd_model_load(t_shared(model_rel), NULL, &m, &err) != LMD_OK) {
        T_FAILF("%s: %s", model_rel, err.msg);
        free(P);
        return;
    }
    /* KV in F16 (the default) here: invariance must hold for it too */
    lmd_model_ctx_params cp = { .n_ctx = MAX_TOK, .n_seq_max = N_PROMPTS,
                                .n_batch_max = N_PROMPTS * MAX_TOK };
    T_CHECK(lmd_model_ctx_create(m, &cp, &c, &err) == LMD_OK);
    T_CHECK(lmd_pool_create(2, &pool, &err) == LMD_OK);
    for (int p = 0; p < N_PROMPTS; p++) run_alone(c, P, p, MAX_TOK, true);
    check_all_blocks_free(c);
    lmd_model_ctx_set_pool(c, pool);
    run_together(c, P);
    check_all_blocks_free(c);
    /* chunked prefill (7 tokens per decode) gives the same logits */
    for (int p = 0; p < N_PROMPTS; p++) run_alone(c, P, p, 7, false);
    check_all_blocks_free(c);
    run_fork(c, P);
    check_all_blocks_free(c);
    for (int p = 0; p < N_PROMPTS; p++) free(P->last[p]);
    lmd_model_ctx_free(c);
    lmd_pool_free(pool);
    lmd_model_free(m);
    free(P);
}

T_TEST(batch_invariance_llama_f32) {
    batch_invariance("golden/models/llama-F32.gguf", "llama-F32");
}
T_TEST(batch_invariance_qwen2_q8_0) {
    batch_invariance("golden/models/qwen2-Q8_0.gguf", "qwen2-Q8_0");
}
T_TEST(batch_invariance_qwen3_q4_k_m) {
    batch_invariance("golden/models/qwen3-Q4_K_M.gguf", "qwen3-Q4_K_M");
}
T_TEST(batch_invariance_gemma3_f32_sliding_window) {
    batch_invariance("golden/models/gemma3-F32.gguf", "gemma3-F32");
}
