/* run_gen.c — the model side of `lmd run`: load a GGUF, keep one sequence in the KV cache
 * across turns (only the tokens past the common prefix are evaluated again), render the chat
 * template, generate with streaming output, and count Ollama-style statistics.
 * Built only when the model module (src/model/model.h) is present in the tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/run_int.h"

#if __has_include("model/model.h")
#include "chat/chat.h"
#include "model/model.h"
#include "tensor/pool.h"
#include "tokenizer/tokenizer.h"

struct run_session {
    char *path;
    lmd_model *model;
    lmd_model_ctx *ctx;
    lmd_pool *pool;
    lmd_chat_template *tmpl;
    int32_t seq;
    int32_t *cached;        /* tokens whose K/V are in the cache, in order */
    int64_t n_cached, cap_cached;
    int64_t n_ctx, n_batch;
    int64_t load_ns;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void run_session_close(run_session *s) {
    if (!s) return;
    lmd_chat_template_free(s->tmpl);
    lmd_model_ctx_free(s->ctx);
    lmd_model_free(s->model);
    lmd_pool_free(s->pool);
    free(s->cached);
    free(s->path);
    free(s);
}

lmd_status run_session_open(const char *path, const run_opts *o, run_session **out, lmd_err *err) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return lmd_err_set(err, LMD_E_INVALID, "%s: no such model file", path);
    int64_t t0 = now_ns();
    run_session *s = calloc(1, sizeof *s);
    if (!s) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    lmd_status st;
    s->path = strdup(path);
    if (!s->path) { st = lmd_err_set(err, LMD_E_NOMEM, "out of memory"); goto fail; }
    if ((st = lmd_model_load(path, NULL, &s->model, err)) != LMD_OK) goto fail;
    if (!lmd_model_vocab(s->model)) { st = lmd_err_set(err, LMD_E_FORMAT, "%s: no tokenizer", path); goto fail; }
    if ((st = lmd_chat_template_from_gguf(lmd_model_gguf(s->model), &s->tmpl, err)) != LMD_OK) goto fail;
    s->n_ctx = o->num_ctx > 0 ? o->num_ctx : 2048;
    if (lmd_model_n_ctx_train(s->model) > 0 && s->n_ctx > lmd_model_n_ctx_train(s->model))
        s->n_ctx = lmd_model_n_ctx_train(s->model);
    s->n_batch = s->n_ctx < 512 ? s->n_ctx : 512;
    if (o->num_thread != 1 && (st = lmd_pool_create((int)o->num_thread, &s->pool, err)) != LMD_OK) goto fail;
    lmd_model_ctx_params cp = { .n_ctx = s->n_ctx, .n_seq_max = 1, .n_batch_max = s->n_batch, .pool = s->pool };
    if ((st = lmd_model_ctx_create(s->model, &cp, &s->ctx, err)) != LMD_OK) goto fail;
    if ((st = lmd_model_seq_add(s->ctx, &s->seq, err)) != LMD_OK) goto fail;
    s->cap_cached = s->n_ctx;
    s->cached = malloc((size_t)s->cap_cached * sizeof *s->cached);
    if (!s->cached) { st = lmd_err_set(err, LMD_E_NOMEM, "out of memory"); goto fail; }
    s->load_ns = now_ns() - t0;
    *out = s;
    return LMD_OK;
fail:
    run_session_close(s);
    return st;
}

void run_session_clear(run_session *s) {
    lmd_model_seq_free(s->ctx, s->seq);
    s->n_cached = 0;
    lmd_model_seq_add(s->ctx, &s->seq, NULL);
}

/* Evaluates tokens[from, n) (appending to the cache); logits of the last one stay readable. */
static lmd_status eval_tokens(run_session *s, const int32_t *tokens, int64_t from, int64_t n,
                              lmd_err *err) {
    int32_t *pos = malloc((size_t)s->n_batch * sizeof *pos), *seq = malloc((size_t)s->n_batch * sizeof *seq);
    if (!pos || !seq) {
        free(pos);
        free(seq);
        return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    }
    lmd_status st = LMD_OK;
    for (int64_t i = from; i < n && st == LMD_OK; i += s->n_batch) {
        int64_t k = n - i < s->n_batch ? n - i : s->n_batch;
        for (int64_t j = 0; j < k; j++) {
            pos[j] = (int32_t)(i + j);
            seq[j] = s->seq;
        }
        lmd_batch b = { .n_tokens = k, .token = tokens + i, .pos = pos, .seq = seq };
        st = lmd_model_decode(s->ctx, &b, err);
        if (st == LMD_OK) {
            memcpy(s->cached + i, tokens + i, (size_t)k * sizeof *tokens);
            s->n_cached = i + k;
        }
    }
    free(pos);
    free(seq);
    return st;
}

/* Makes the cache hold exactly prompt[0, n) with fresh logits for the last token: keeps the
 * common prefix with what is cached, evaluates the rest. */
static lmd_status load_prompt(run_session *s, const int32_t *prompt, int64_t n, lmd_err *err) {
    int64_t keep = 0;
    while (keep < s->n_cached && keep < n && s->cached[keep] == prompt[keep]) keep++;
    if (keep == n) keep = n - 1;   /* at least one token must run to produce logits */
    if (keep < s->n_cached) {
        lmd_kv *kv = lmd_model_ctx_kv(s->ctx);
        if (keep == 0 || lmd_kv_seq_truncate(kv, s->seq, keep, NULL) != LMD_OK) {
            run_session_clear(s);
            keep = 0;
        }
        s->n_cached = keep;
    }
    return eval_tokens(s, prompt, keep, n, err);
}

static lmd_status build_prompt(run_session *s, const json_t *messages, bool raw, char **text,
                               lmd_err *err) {
    if (raw) {
        json_t *last = json_array_get(messages, json_array_size(messages) - 1);
        const char *c = json_string_value(json_object_get(last, "content"));
        *text = strdup(c ? c : "");
        return *text ? LMD_OK : lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    }
    const lmd_vocab *v = lmd_model_vocab(s->model);
    lmd_chat_input in = { .messages = messages, .add_generation_prompt = true,
                          .strip_bos = lmd_vocab_add_bos(v) };
    return lmd_chat_apply(s->tmpl, &in, text, NULL, err);
}

lmd_status run_generate(run_session *s, const run_opts *o, const json_t *messages, bool raw,
                        atomic_bool *stop, char **reply, run_stats *stt, lmd_err *err) {
    int64_t t0 = now_ns();
    memset(stt, 0, sizeof *stt);
    stt->load_ns = s->load_ns;
    s->load_ns = 0;
    if (reply) *reply = NULL;
    const lmd_vocab *v = lmd_model_vocab(s->model);
    char *text = NULL, *out = NULL;
    int32_t *ids = NULL, *hist = NULL;
    int64_t n_ids = 0, n_hist = 0, out_n = 0, out_cap = 0;
    run_sampler sp = { 0 };
    lmd_status st = build_prompt(s, messages, raw, &text, err);
    if (st == LMD_OK) st = lmd_tokenize(v, text, strlen(text), true, true, &ids, &n_ids, err);
    if (st == LMD_OK && n_ids == 0) st = lmd_err_set(err, LMD_E_INVALID, "empty prompt");
    if (st == LMD_OK && n_ids >= s->n_ctx)
        st = lmd_err_set(err, LMD_E_INVALID, "prompt of %lld tokens does not fit the context of %lld (num_ctx)",
                         (long long)n_ids, (long long)s->n_ctx);
    if (st == LMD_OK) st = run_sampler_init(&sp, lmd_model_n_vocab(s->model), o->seed, err);
    if (st == LMD_OK && !(hist = malloc((size_t)s->n_ctx * sizeof *hist)))
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    if (st != LMD_OK) goto done;
    memcpy(hist, ids, (size_t)n_ids * sizeof *ids);
    n_hist = n_ids;
    int64_t tp = now_ns();
    if ((st = load_prompt(s, ids, n_ids, err)) != LMD_OK) goto done;
    stt->prompt_tokens = n_ids;
    stt->prompt_ns = now_ns() - tp;
    int64_t te = now_ns();
    lmd_detok_stream ds;
    lmd_detok_stream_init(&ds, v);
    char piece[512];
    int64_t n_vocab = lmd_model_n_vocab(s->model);
    float *logits = malloc((size_t)n_vocab * sizeof *logits);
    bool started = raw;
    if (!logits) { st = lmd_err_set(err, LMD_E_NOMEM, "out of memory"); goto done; }
    for (int64_t n_gen = 0; o->num_predict < 0 || n_gen < o->num_predict; n_gen++) {
        if (stop && atomic_load(stop)) break;
        memcpy(logits, lmd_model_logits(s->ctx, lmd_model_n_outputs(s->ctx) - 1), (size_t)n_vocab * sizeof *logits);
        int32_t tok = run_sample(&sp, o, logits, hist, n_hist);
        if (lmd_vocab_is_eog(v, tok)) break;
        stt->eval_tokens++;
        size_t k = lmd_detok_stream_push(&ds, tok, piece, sizeof piece);
        if (k > sizeof piece) k = 0;
        char *p = piece;
        if (!raw && out_n == 0 && !started) {   /* a chat answer starts at its first non-space */
            while (k && (*p == ' ' || *p == '\n')) { p++; k--; }
            started = k > 0;
        }
        fwrite(p, 1, k, stdout);
        fflush(stdout);
        if (reply && k) {
            if (out_n + (int64_t)k + 1 > out_cap) {
                out_cap = (out_n + (int64_t)k + 1) * 2;
                char *q = realloc(out, (size_t)out_cap);
                if (!q) { st = lmd_err_set(err, LMD_E_NOMEM, "out of memory"); break; }
                out = q;
            }
            memcpy(out + out_n, p, k);
            out_n += (int64_t)k;
        }
        if (n_hist + 1 >= s->n_ctx) break;   /* context full */
        hist[n_hist++] = tok;
        if ((st = eval_tokens(s, hist, n_hist - 1, n_hist, err)) != LMD_OK) break;
    }
    size_t k = lmd_detok_stream_flush(&ds, piece, sizeof piece);
    if (k <= sizeof piece) fwrite(piece, 1, k, stdout);
    fflush(stdout);
    free(logits);
    stt->eval_ns = now_ns() - te;
done:
    stt->total_ns = now_ns() - t0 + stt->load_ns;
    if (reply && st == LMD_OK) {
        *reply = out ? out : strdup("");
        if (out) out[out_n] = 0;
        out = NULL;
    }
    free(out);
    run_sampler_free(&sp);
    free(hist);
    free(ids);
    free(text);
    return st;
}

void run_show_info(run_session *s) {
    const lmd_model_hparams *h = lmd_model_hparams_of(s->model);
    printf("  Model\n");
    printf("    %-20s %s\n", "architecture", lmd_model_arch(s->model));
    printf("    %-20s %lld\n", "parameters", (long long)lmd_model_n_params(s->model));
    printf("    %-20s %lld\n", "context length", (long long)h->n_ctx_train);
    printf("    %-20s %lld\n", "embedding length", (long long)h->n_embd);
    printf("    %-20s %s\n\n", "quantization", lmd_model_type_name(s->model));
}

void run_show_template(run_session *s) { printf("%s\n", lmd_chat_template_source(s->tmpl)); }

#else /* no model module in this build yet */
#include "gguf/gguf.h"

struct run_session { int unused; };

lmd_status run_session_open(const char *path, const run_opts *o, run_session **out, lmd_err *err) {
    (void)o;
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return lmd_err_set(err, LMD_E_INVALID, "%s: no such model file", path);
    lmd_gguf *g = NULL;   /* still tell a file that is not a GGUF apart (exit 2) */
    lmd_status st = lmd_gguf_open(path, NULL, &g, err);
    lmd_gguf_close(g);
    if (st != LMD_OK) return st;
    return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: this build has no model forward pass yet", path);
}
void run_session_close(run_session *s) { free(s); }
lmd_status run_generate(run_session *s, const run_opts *o, const json_t *messages, bool raw,
                        atomic_bool *stop, char **reply, run_stats *st, lmd_err *err) {
    (void)s; (void)o; (void)messages; (void)raw; (void)stop; (void)reply; (void)st;
    return lmd_err_set(err, LMD_E_UNSUPPORTED, "no model forward pass in this build");
}
void run_show_info(run_session *s) { (void)s; }
void run_show_template(run_session *s) { (void)s; }
void run_session_clear(run_session *s) { (void)s; }

#endif
