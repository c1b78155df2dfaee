/* eval.c — `lmd eval`: run token ids through a model in one batch and print the top logits of
 * every position (and optionally a greedy continuation) as JSON. The hook for comparing lmd
 * with llama.cpp's golden data; its flags and output format are fixed (DEVELOPERS.md).
 *
 *   lmd eval --model FILE --tokens "ID ID ..." [--top N] [--greedy N] [--logits-out F]
 *            [--kv-type f32|f16] [--threads N] [--ctx N]
 * prints {"top": [[[id, logit], ...] for each position], "greedy": [ids]}. The KV cache is
 * F32 unless --kv-type f16 (llama.cpp's golden runs use F32). --logits-out writes the last
 * position's logits as raw little-endian float32. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/model.h"
#include "tensor/pool.h"

#define USAGE                                                                                \
    "lmd eval --model FILE --tokens \"ID ID ...\" [--top N] [--greedy N] [--logits-out F] " \
    "[--kv-type f32|f16] [--threads N] [--ctx N]"

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* Parses whitespace-separated ids into a malloc'd array. */
static int parse_ids(const char *s, int32_t **ids, int64_t *n) {
    int64_t cap = 16, len = 0;
    int32_t *a = malloc((size_t)cap * sizeof *a);
    if (!a) return -1;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || end == p || v < INT32_MIN || v > INT32_MAX ||
            (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != ',')) {
            free(a);
            return -2;
        }
        if (len == cap) {
            int32_t *na = realloc(a, (size_t)cap * 2 * sizeof *a);
            if (!na) {
                free(a);
                return -1;
            }
            a = na;
            cap *= 2;
        }
        a[len++] = (int32_t)v;
        p = end;
    }
    *ids = a;
    *n = len;
    return 0;
}

/* Index of the largest logit, ties to the lowest id (llama.cpp's golden argmax). */
static int32_t argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return (int32_t)best;
}

/* Prints the top k of x as [[id, logit], ...]: logit descending, ties by lower id. */
static void print_top(const float *x, int64_t n, int64_t k, int32_t *idx) {
    if (k > n) k = n;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        /* insertion into the sorted prefix idx[0..m) of at most k entries */
        int64_t j = m < k ? m : k;
        if (j == k && !(x[i] > x[idx[k - 1]])) continue;
        if (j == k) j = k - 1;
        while (j > 0 && x[i] > x[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = (int32_t)i;
        if (m < k) m++;
    }
    fputc('[', stdout);
    for (int64_t i = 0; i < m; i++)
        printf("%s[%d, %.9g]", i ? ", " : "", (int)idx[i], (double)x[idx[i]]);
    fputc(']', stdout);
}

int lmd_cmd_eval(int argc, char **argv) {
    const char *model = NULL, *tokens = NULL, *logits_out = NULL, *kv_type = "f32";
    int64_t top = 10, greedy = 0, threads = 0, n_ctx = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--tokens")) tokens = v;
        else if (!strcmp(a, "--logits-out")) logits_out = v;
        else if (!strcmp(a, "--kv-type")) kv_type = v;
        else if (!strcmp(a, "--top")) ok = ok && parse_i64(v, 0, 1 << 30, &top);
        else if (!strcmp(a, "--greedy")) ok = ok && parse_i64(v, 0, 1 << 30, &greedy);
        else if (!strcmp(a, "--threads")) ok = ok && parse_i64(v, 0, 1024, &threads);
        else if (!strcmp(a, "--ctx")) ok = ok && parse_i64(v, 0, INT32_MAX, &n_ctx);
        else return lmd_cli_usage("eval", USAGE);
        if (!ok) return lmd_cli_usage("eval", USAGE);
        i++;
    }
    if (!model || !tokens) return lmd_cli_usage("eval", USAGE);
    if (strcmp(kv_type, "f32") && strcmp(kv_type, "f16")) return lmd_cli_usage("eval", USAGE);

    lmd_err err = { 0 };
    int32_t *ids = NULL, *gen = NULL, *idx = NULL;
    int64_t n = 0;
    int rc = parse_ids(tokens, &ids, &n);
    if (rc == -1) {
        fprintf(stderr, "lmd eval: out of memory\n");
        return 1;
    }
    if (rc == -2 || n == 0) {
        fprintf(stderr, "lmd eval: --tokens must be one or more integer token ids\n");
        return 2;
    }
    lmd_model *m = NULL;
    lmd_model_ctx *c = NULL;
    lmd_pool *pool = NULL;
    int32_t *pos = NULL, *seqs = NULL;
    int8_t *want = NULL;
    rc = 1;
    if (lmd_model_load(model, NULL, &m, &err)) goto fail;
    if (n_ctx == 0) n_ctx = lmd_model_n_ctx_train(m);
    if (n + greedy > n_ctx) {
        fprintf(stderr, "lmd eval: context overflow: %lld tokens + %lld to generate exceed the "
                "context of %lld (--ctx)\n", (long long)n, (long long)greedy, (long long)n_ctx);
        rc = 2;
        goto done;
    }
    const int64_t n_vocab = lmd_model_n_vocab(m);
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= n_vocab) {
            fprintf(stderr, "lmd eval: token id %d (position %lld) out of range 0..%lld\n",
                    (int)ids[i], (long long)i, (long long)n_vocab - 1);
            rc = 2;
            goto done;
        }
    }
    if (lmd_pool_create((int)threads, &pool, &err)) goto fail;
    lmd_model_ctx_params cp = { .n_ctx = n_ctx, .n_seq_max = 1, .n_batch_max = n,
                                .n_outputs_max = n, .kv_f32 = !strcmp(kv_type, "f32"),
                                .pool = pool };
    if (lmd_model_ctx_create(m, &cp, &c, &err)) goto fail;
    pos = malloc((size_t)n * sizeof *pos);
    seqs = malloc((size_t)n * sizeof *seqs);
    want = malloc((size_t)n);
    gen = malloc((size_t)(greedy > 0 ? greedy : 1) * sizeof *gen);
    idx = malloc((size_t)(top > 0 ? top : 1) * sizeof *idx);
    if (!pos || !seqs || !want || !gen || !idx) {
        fprintf(stderr, "lmd eval: out of memory\n");
        goto done;
    }
    int32_t seq;
    if (lmd_model_seq_add(c, &seq, &err)) goto fail;
    for (int64_t i = 0; i < n; i++) {
        pos[i] = (int32_t)i;
        seqs[i] = seq;
        want[i] = 1;
    }
    lmd_batch b = { .n_tokens = n, .token = ids, .pos = pos, .seq = seqs, .logits = want };
    if (lmd_model_decode(c, &b, &err)) goto fail;

    if (logits_out) {
        FILE *f = fopen(logits_out, "wb");
        if (!f || fwrite(lmd_model_logits(c, n - 1), sizeof(float), (size_t)n_vocab, f) !=
                      (size_t)n_vocab) {
            fprintf(stderr, "lmd eval: cannot write %s: %s\n", logits_out, strerror(errno));
            if (f) fclose(f);
            goto done;
        }
        if (fclose(f)) {
            fprintf(stderr, "lmd eval: cannot write %s: %s\n", logits_out, strerror(errno));
            goto done;
        }
    }
    printf("{\"top\": [");
    for (int64_t i = 0; i < n; i++) {
        if (i) printf(", ");
        print_top(lmd_model_logits(c, i), n_vocab, top, idx);
    }
    printf("], \"greedy\": [");
    /* greedy: argmax of the last logits; stop at end-of-generation (not printed), else feed
     * the token back as a batch of one */
    const lmd_vocab *vocab = lmd_model_vocab(m);
    const float *last = lmd_model_logits(c, n - 1);
    int64_t n_gen = 0;
    for (int64_t k = 0; k < greedy; k++) {
        int32_t t = argmax(last, n_vocab);
        if (vocab && lmd_vocab_is_eog(vocab, t)) break;
        gen[n_gen++] = t;
        printf("%s%d", k ? ", " : "", (int)t);
        if (k + 1 == greedy) break;
        int32_t p = (int32_t)(n + k);
        lmd_batch b1 = { .n_tokens = 1, .token = &t, .pos = &p, .seq = &seq };
        if (lmd_model_decode(c, &b1, &err)) {
            printf("]}\n");
            goto fail;
        }
        last = lmd_model_logits(c, 0);
    }
    printf("]}\n");
    rc = 0;
    goto done;
fail:
    rc = lmd_cli_fail("eval", &err);
done:
    fflush(stdout);
    free(ids);
    free(gen);
    free(idx);
    free(pos);
    free(seqs);
    free(want);
    lmd_model_ctx_free(c);
    lmd_pool_free(pool);
    lmd_model_free(m);
    return rc;
}
