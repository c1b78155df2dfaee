/* test_model_errors.c — hostile model files and bad batches: a clear error naming the
 * culprit, and nothing changed. Uses stories260K (tiny) and byte-patched copies of it. */
#include <stdint.h>
#include <unistd.h>

#include "model/model.h"
#include "t.h"

#define STORIES "models/stories260K/stories260K.gguf"

/* Copy of the model with `find` (bytes) replaced by `repl` (same length) at its first
 * occurrence, or with `patch` applied to the bytes right after it; returns a temp path. */
static char *patched_copy(const char *find, size_t flen, const char *repl,
                          void (*patch)(uint8_t *after)) {
    size_t len;
    char *buf = t_read_file(t_shared(STORIES), &len);
    if (!buf) return NULL;
    char *hit = memmem(buf, len, find, flen);
    if (!hit) {
        free(buf);
        return NULL;
    }
    if (repl) memcpy(hit, repl, flen);
    if (patch) patch((uint8_t *)hit + flen);
    char *path = strdup("/tmp/lmd_test_model_XXXXXX");
    int fd = mkstemp(path);
    bool ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len;
    if (fd >= 0) close(fd);
    free(buf);
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

/* Tensor info after the name: u32 n_dims, u64 ne[n_dims]: swap ne0 and ne1. */
static void swap_ne(uint8_t *after) {
    uint64_t a, b;
    memcpy(&a, after + 4, 8);
    memcpy(&b, after + 12, 8);
    memcpy(after + 4, &b, 8);
    memcpy(after + 12, &a, 8);
}

T_TEST(model_load_missing_file_fails_naming_it) {
    lmd_model *m = (lmd_model *)1;
    lmd_err err = { 0 };
    T_CHECK(lmd_model_load("/nonexistent/x.gguf", NULL, &m, &err) != LMD_OK);
    T_CHECK(strstr(err.msg, "/nonexistent/x.gguf") != NULL);
    T_CHECK(m == NULL);
}

T_TEST(model_load_names_missing_tensor) {
    const char *name = "blk.1.attn_q.weight";
    char *path = patched_copy(name, strlen(name), "blk.1.attn_Q.weight", NULL);
    T_CHECK(path != NULL);
    if (!path) return;
    lmd_model *m = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_model_load(path, NULL, &m, &err), LMD_E_FORMAT);
    T_CHECK(m == NULL);
    T_CHECK(strstr(err.msg, "missing tensor 'blk.1.attn_q.weight'") != NULL);
    T_CHECK(strstr(err.msg, "[64, 64]") != NULL);
    unlink(path);
    free(path);
}

T_TEST(model_load_names_wrong_shape) {
    const char *name = "blk.0.attn_k.weight";
    char *path = patched_copy(name, strlen(name), NULL, swap_ne);
    T_CHECK(path != NULL);
    if (!path) return;
    lmd_model *m = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_model_load(path, NULL, &m, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "'blk.0.attn_k.weight': shape [32, 64], expected [64, 32]") != NULL);
    unlink(path);
    free(path);
}

T_TEST(model_load_rejects_unknown_architecture) {
    /* the value of general.architecture: u64 length 5, "llama" */
    const char find[] = "general.architecture\x08\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00llama";
    const char repl[] = "general.architecture\x08\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00" "bloom";
    char *path = patched_copy(find, sizeof find - 1, repl, NULL);
    T_CHECK(path != NULL);
    if (!path) return;
    lmd_model *m = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_model_load(path, NULL, &m, &err), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(err.msg, "'bloom'") != NULL);
    unlink(path);
    free(path);
}

T_TEST(model_hparams_of_stories260K) {
    lmd_model *m = NULL;
    lmd_err err = { 0 };
    T_CHECK(lmd_model_load(t_shared(STORIES), NULL, &m, &err) == LMD_OK);
    if (!m) return;
    const lmd_model_hparams *hp = lmd_model_hparams_of(m);
    T_EQ_STR(lmd_model_arch(m), "llama");
    T_EQ_INT(hp->n_vocab, 512);
    T_EQ_INT(hp->n_embd, 64);
    T_EQ_INT(hp->n_layer, 5);
    T_EQ_INT(hp->n_head, 8);
    T_EQ_INT(hp->n_head_kv, 4);
    T_EQ_INT(hp->head_dim_k, 8);
    T_EQ_INT(hp->n_ctx_train, 128);
    T_CHECK(!hp->tied_output);
    T_CHECK(lmd_model_vocab(m) != NULL);
    T_EQ_STR(lmd_model_type_name(m), "F32");
    lmd_model_free(m);
}

T_TEST(model_decode_rejects_bad_batches_without_changing_anything) {
    lmd_model *m = NULL;
    lmd_model_ctx *c = NULL;
    lmd_err err = { 0 };
    T_CHECK(lmd_model_load(t_shared(STORIES), NULL, &m, &err) == LMD_OK);
    if (!m) return;
    lmd_model_ctx_params cp = { .n_ctx = 32, .n_seq_max = 2, .n_batch_max = 40, .n_blocks = 2,
                                .kv_f32 = true };
    T_CHECK(lmd_model_ctx_create(m, &cp, &c, &err) == LMD_OK);
    int32_t s0, s1;
    T_CHECK(lmd_model_seq_add(c, &s0, &err) == LMD_OK);
    T_CHECK(lmd_model_seq_add(c, &s1, &err) == LMD_OK);
    int32_t tok[40], pos[40], seq[40];
    for (int i = 0; i < 40; i++) {
        tok[i] = 1 + i;
        pos[i] = i;
        seq[i] = s0;
    }
    lmd_batch b = { .n_tokens = 4, .token = tok, .pos = pos, .seq = seq };
    /* a good batch to start from */
    T_CHECK(lmd_model_decode(c, &b, &err) == LMD_OK);
    T_EQ_INT(lmd_model_seq_len(c, s0), 4);
    float ref[512];
    memcpy(ref, lmd_model_logits(c, 0), sizeof ref);

    /* token out of range */
    int32_t bad_tok = 512, p4 = 4;
    lmd_batch b1 = { .n_tokens = 1, .token = &bad_tok, .pos = &p4, .seq = &s0 };
    lmd_err e1 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b1, &e1), LMD_E_INVALID);
    T_CHECK(strstr(e1.msg, "token id 512") != NULL);
    T_EQ_INT(lmd_model_seq_len(c, s0), 4);
    T_EQ_INT(lmd_model_n_outputs(c), 0);
    /* a gap in positions */
    int32_t p6 = 6, t5 = 5;
    lmd_batch b2 = { .n_tokens = 1, .token = &t5, .pos = &p6, .seq = &s0 };
    lmd_err e2 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b2, &e2), LMD_E_INVALID);
    T_CHECK(strstr(e2.msg, "expected 4") != NULL);
    /* a sequence that does not exist */
    int32_t dead = 7;
    lmd_batch b3 = { .n_tokens = 1, .token = &t5, .pos = &p4, .seq = &dead };
    lmd_err e3 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b3, &e3), LMD_E_INVALID);
    /* context overflow: 4 + 29 > 32 */
    for (int i = 0; i < 29; i++) pos[i] = 4 + i;
    lmd_batch b4 = { .n_tokens = 29, .token = tok, .pos = pos, .seq = seq };
    lmd_err e4 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b4, &e4), LMD_E_LIMIT);
    T_CHECK(strstr(e4.msg, "context full") != NULL);
    T_EQ_INT(lmd_model_seq_len(c, s0), 4);
    /* out of blocks: s0 holds 1 of 2; s1 wants 2 */
    for (int i = 0; i < 20; i++) {
        pos[i] = i;
        seq[i] = s1;
    }
    lmd_batch b5 = { .n_tokens = 20, .token = tok, .pos = pos, .seq = seq };
    lmd_err e5 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b5, &e5), LMD_E_LIMIT);
    T_CHECK(strstr(e5.msg, "out of KV cache blocks") != NULL);
    T_EQ_INT(lmd_model_seq_len(c, s1), 0);
    T_EQ_INT(lmd_kv_n_free_blocks(lmd_model_ctx_kv(c)), 1);
    /* more logits rows than the context allows (n_outputs_max = n_seq_max = 2) */
    int8_t all[3] = { 1, 1, 1 };
    lmd_batch b6 = { .n_tokens = 3, .token = tok, .pos = pos, .seq = seq, .logits = all };
    lmd_err e6 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b6, &e6), LMD_E_INVALID);
    T_EQ_INT(lmd_model_seq_len(c, s1), 0);
    /* empty batch */
    lmd_batch b7 = { .n_tokens = 0, .token = tok, .pos = pos, .seq = seq };
    lmd_err e7 = { 0 };
    T_EQ_INT(lmd_model_decode(c, &b7, &e7), LMD_E_INVALID);

    /* after all that, s1 computes exactly what s0 did */
    lmd_batch b8 = { .n_tokens = 4, .token = tok, .pos = pos, .seq = seq };
    T_CHECK(lmd_model_decode(c, &b8, &err) == LMD_OK);
    T_CHECK(memcmp(ref, lmd_model_logits(c, 0), sizeof ref) == 0);
    T_EQ_INT(lmd_model_output_of(c, 3), 0);
    T_EQ_INT(lmd_model_output_of(c, 2), -1);
    lmd_model_ctx_free(c);
    lmd_model_free(m);
}
