/* bench.c — `lmd bench`: prompt-processing, generation and batched-generation speed of a model,
 * measured the way llama-bench measures (pp: one batch of P tokens into an empty context;
 * tg: N single-token decodes from an empty context), plus B sequences decoding together.
 * Each test runs -r times after one warm-up; the median is reported with the spread. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "model/model.h"
#include "tensor/pool.h"
#include "tensor/tensor.h"

static const char *usage =
    "lmd bench --model FILE [-p 512] [-n 128] [-t THREADS] [-b BATCH] [-r REPS] [--json]";

typedef struct {
    double median, min, max;
} stats;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static stats summarize(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    stats s = { .min = v[0], .max = v[n - 1] };
    s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return s;
}

/* Random token ids, fixed seed: the speed of a dense model does not depend on the ids. */
static void fill_tokens(int32_t *ids, int64_t n, int64_t n_vocab, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        ids[i] = (int32_t)((seed >> 33) % (uint64_t)n_vocab);
    }
}

typedef struct {
    lmd_model_ctx *ctx;
    int64_t n_vocab;
    int32_t *tok, *pos, *seq;   /* (cap) scratch for batches */
    int64_t cap;
} bench_state;

/* Frees every sequence so the next run starts from an empty cache. */
static void clear_seqs(bench_state *b, const int32_t *seqs, int n) {
    for (int i = 0; i < n; i++) lmd_model_seq_free(b->ctx, seqs[i]);
}

/* pp: P tokens of one sequence in one decode; returns tokens/s. */
static lmd_status run_pp(bench_state *b, int64_t P, double *tps, lmd_err *err) {
    int32_t s;
    lmd_status st = lmd_model_seq_add(b->ctx, &s, err);
    if (st) return st;
    fill_tokens(b->tok, P, b->n_vocab, 1234);
    for (int64_t i = 0; i < P; i++) { b->pos[i] = (int32_t)i; b->seq[i] = s; }
    double t0 = now_s();
    st = lmd_model_decode(b->ctx, &(lmd_batch){ .n_tokens = P, .token = b->tok, .pos = b->pos,
                                                .seq = b->seq }, err);
    double t1 = now_s();
    clear_seqs(b, &s, 1);
    *tps = (double)P / (t1 - t0);
    return st;
}

/* tg: N decodes of one token each from an empty context; returns tokens/s. */
static lmd_status run_tg(bench_state *b, int64_t N, double *tps, lmd_err *err) {
    int32_t s;
    lmd_status st = lmd_model_seq_add(b->ctx, &s, err);
    if (st) return st;
    fill_tokens(b->tok, N, b->n_vocab, 99);
    double t0 = now_s();
    for (int64_t i = 0; i < N && !st; i++) {
        int32_t pos = (int32_t)i;
        st = lmd_model_decode(b->ctx, &(lmd_batch){ .n_tokens = 1, .token = &b->tok[i],
                                                    .pos = &pos, .seq = &s }, err);
    }
    double t1 = now_s();
    clear_seqs(b, &s, 1);
    *tps = (double)N / (t1 - t0);
    return st;
}

/* batched: B sequences, each first given a short untimed prompt, then N steps that decode one
 * token of every sequence together; returns generated tokens/s over all sequences. */
static lmd_status run_batched(bench_state *b, int B, int64_t N, double *tps, lmd_err *err) {
    enum { PROMPT = 16 };
    int32_t seqs[256];
    int n_alive = 0;
    lmd_status st = LMD_OK;
    for (int i = 0; i < B && !st; i++) {
        st = lmd_model_seq_add(b->ctx, &seqs[i], err);
        if (!st) n_alive++;
    }
    for (int i = 0; i < B && !st; i++) {
        fill_tokens(b->tok, PROMPT, b->n_vocab, 7 + (uint64_t)i);
        for (int64_t k = 0; k < PROMPT; k++) { b->pos[k] = (int32_t)k; b->seq[k] = seqs[i]; }
        st = lmd_model_decode(b->ctx, &(lmd_batch){ .n_tokens = PROMPT, .token = b->tok,
                                                    .pos = b->pos, .seq = b->seq }, err);
    }
    double t0 = now_s();
    for (int64_t step = 0; step < N && !st; step++) {
        fill_tokens(b->tok, B, b->n_vocab, 1000 + (uint64_t)step);
        for (int i = 0; i < B; i++) { b->pos[i] = (int32_t)(PROMPT + step); b->seq[i] = seqs[i]; }
        st = lmd_model_decode(b->ctx, &(lmd_batch){ .n_tokens = B, .token = b->tok,
                                                    .pos = b->pos, .seq = b->seq }, err);
    }
    double t1 = now_s();
    clear_seqs(b, seqs, n_alive);
    *tps = (double)B * (double)N / (t1 - t0);
    return st;
}

typedef lmd_status (*bench_fn)(bench_state *, int64_t, int, double *, lmd_err *);

static lmd_status repeat(bench_state *b, int which, int64_t n, int B, int reps, stats *out,
                         lmd_err *err) {
    double v[64];
    lmd_status st = LMD_OK;
    for (int r = -1; r < reps && !st; r++) {   /* r = -1: warm-up, not counted */
        double tps = 0;
        if (which == 0) st = run_pp(b, n, &tps, err);
        else if (which == 1) st = run_tg(b, n, &tps, err);
        else st = run_batched(b, B, n, &tps, err);
        if (r >= 0) v[r] = tps;
    }
    if (!st) *out = summarize(v, reps);
    return st;
}

static void print_row(const char *model_desc, double size_gib, int threads, const char *test,
                      const stats *s) {
    printf("| %-24s | %8.2f GiB | %7d | %12s | %9.2f (%.2f .. %.2f) |\n", model_desc, size_gib,
           threads, test, s->median, s->min, s->max);
}

int lmd_cmd_bench(int argc, char **argv) {
    const char *path = NULL;
    long P = 512, N = 128, threads = 0, B = 8, reps = 5;
    int json = 0;
    static const struct option opts[] = {
        { "model", required_argument, 0, 'm' }, { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },        { 0, 0, 0, 0 },
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:p:n:t:b:r:h", opts, NULL)) != -1) {
        char *end = NULL;
        long v = 0;
        if (optarg && c != 'm') {
            v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || v > 1000000)
                return lmd_cli_usage("bench", usage);
        }
        switch (c) {
        case 'm': path = optarg; break;
        case 'p': P = v; break;
        case 'n': N = v; break;
        case 't': threads = v; break;
        case 'b': B = v; break;
        case 'r': reps = v; break;
        case 'j': json = 1; break;
        case 'h': printf("usage: %s\n", usage); return 0;
        default: return lmd_cli_usage("bench", usage);
        }
    }
    if (!path || optind != argc || reps < 1 || reps > 64 || B > 256 || threads > 1024)
        return lmd_cli_usage("bench", usage);

    lmd_err err = { 0 };
    lmd_model *m = NULL;
    lmd_model_ctx *ctx = NULL;
    lmd_pool *pool = NULL;
    bench_state b = { 0 };
    int rc = 1;
    if (lmd_kernels_init(&err) || lmd_pool_create((int)threads, &pool, &err) ||
        lmd_model_load(path, &(lmd_model_params){ .no_vocab = true }, &m, &err))
        goto fail;
    int64_t batch_seqs = B > 0 ? B : 1;
    int64_t need_ctx = P > N + 16 ? P : N + 16;
    if (need_ctx < 16) need_ctx = 16;
    int64_t cap = P > batch_seqs * 16 ? P : batch_seqs * 16;
    if (cap < N) cap = N;
    if (lmd_model_ctx_create(m, &(lmd_model_ctx_params){ .n_ctx = need_ctx,
                                                          .n_seq_max = batch_seqs,
                                                          .n_batch_max = cap,
                                                          .n_outputs_max = batch_seqs,
                                                          .pool = pool }, &ctx, &err))
        goto fail;
    b = (bench_state){ .ctx = ctx, .n_vocab = lmd_model_n_vocab(m), .cap = cap };
    b.tok = calloc((size_t)cap, sizeof(int32_t));
    b.pos = calloc((size_t)cap, sizeof(int32_t));
    b.seq = calloc((size_t)cap, sizeof(int32_t));
    if (!b.tok || !b.pos || !b.seq) {
        lmd_err_set(&err, LMD_E_NOMEM, "out of memory");
        goto fail;
    }
    int nthreads = lmd_pool_n_threads(pool);
    stats pp = { 0 }, tg = { 0 }, bt = { 0 };
    if (P > 0 && repeat(&b, 0, P, 0, (int)reps, &pp, &err)) goto fail;
    if (N > 0 && repeat(&b, 1, N, 0, (int)reps, &tg, &err)) goto fail;
    if (N > 0 && B > 0 && repeat(&b, 2, N, (int)B, (int)reps, &bt, &err)) goto fail;

    if (json) {
        json_t *o = json_pack("{s:s, s:i}", "model", path, "threads", nthreads);
        if (P > 0) json_object_set_new(o, "pp", json_pack("{s:I, s:f}", "tokens", (json_int_t)P,
                                                          "tokens_per_s", pp.median));
        if (N > 0) json_object_set_new(o, "tg", json_pack("{s:I, s:f}", "tokens", (json_int_t)N,
                                                          "tokens_per_s", tg.median));
        if (N > 0 && B > 0)
            json_object_set_new(o, "batched", json_pack("{s:I, s:f}", "batch", (json_int_t)B,
                                                        "tokens_per_s", bt.median));
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        char desc[64];
        snprintf(desc, sizeof desc, "%s %s", lmd_model_arch(m), lmd_model_type_name(m));
        double gib = (double)lmd_model_weight_bytes(m) / (1024.0 * 1024.0 * 1024.0);
        printf("kernels: %s, %d runs each (median, min .. max tokens/s)\n\n", lmd_kernels_path(),
               (int)reps);
        printf("| %-24s | %12s | %7s | %12s | %30s |\n", "model", "size", "threads", "test",
               "t/s");
        char name[32];
        if (P > 0) { snprintf(name, sizeof name, "pp%ld", P); print_row(desc, gib, nthreads, name, &pp); }
        if (N > 0) { snprintf(name, sizeof name, "tg%ld", N); print_row(desc, gib, nthreads, name, &tg); }
        if (N > 0 && B > 0) {
            snprintf(name, sizeof name, "tg%ld x%ld", N, B);
            print_row(desc, gib, nthreads, name, &bt);
        }
    }
    rc = 0;
fail:
    if (rc) rc = lmd_cli_fail("bench", &err);
    free(b.tok);
    free(b.pos);
    free(b.seq);
    lmd_model_ctx_free(ctx);
    lmd_model_free(m);
    lmd_pool_free(pool);
    return rc;
}
