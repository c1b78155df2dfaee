/* job.c — a generation request in flight: submits its choices to the engine, turns sampled
 * tokens into text (UTF-8 hold-back, stop strings, logprobs), and hands output to the
 * connection: streamed lines through a suspended/resumed content reader, or one body when
 * everything is done. The job is freed when both the connection and the engine are done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/gen.h"
#include "util/log.h"

static void job_unref(lmd_job *j) {
    pthread_mutex_lock(&j->mu);
    int left = --j->refs;
    pthread_mutex_unlock(&j->mu);
    if (left > 0) return;
    for (int i = 0; i < LMD_MAX_CHOICES; i++) {   /* also choices never submitted */
        lmd_choice *ch = &j->choices[i];
        lmd_sampler_free(&ch->sampler);
        free(ch->raw);
        free(ch->text);
        free(ch->tokens);
        json_decref(ch->logprobs);
    }
    lmd_gen_opts_free(&j->opts);
    free(j->prompt);
    free(j->out);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* ---- output buffer (mu held) ---- */

static void out_append(lmd_job *j, const char *s, size_t n) {
    if (j->conn_gone) return;
    if (j->out_len + n + 1 > j->out_cap) {
        size_t cap = j->out_cap ? j->out_cap : 4096;
        while (cap < j->out_len + n + 1) cap *= 2;
        char *nb = realloc(j->out, cap);
        if (!nb) return;   /* dropped: the client sees a short stream, the log says why */
        j->out = nb;
        j->out_cap = cap;
    }
    memcpy(j->out + j->out_len, s, n);
    j->out_len += n;
    j->out[j->out_len] = '\0';
}

static void out_json(lmd_job *j, json_t *o) {
    if (!o) return;
    size_t n = 0;
    char *s = lmd_json_dump(o, &n);
    json_decref(o);
    if (!s) return;
    bool sse = j->kind == LMD_JOB_OAI_CHAT || j->kind == LMD_JOB_OAI_COMPLETION;
    if (sse) out_append(j, "data: ", 6);
    out_append(j, s, n);
    out_append(j, sse ? "\n\n" : "\n", sse ? 2 : 1);
    free(s);
}

static void wake(lmd_job *j) {
    if (j->suspended && j->mc) {
        j->suspended = false;
        pthread_mutex_lock(&j->srv->mu);
        j->srv->n_suspended--;
        pthread_mutex_unlock(&j->srv->mu);
        MHD_resume_connection(j->mc);
    }
}

/* ---- text ---- */

static void text_append(lmd_choice *ch, const char *s, size_t n) {
    if (ch->len + n + 1 > ch->cap) {
        size_t cap = ch->cap ? ch->cap : 256;
        while (cap < ch->len + n + 1) cap *= 2;
        char *nb = realloc(ch->text, cap);
        if (!nb) return;
        ch->text = nb;
        ch->cap = cap;
    }
    memcpy(ch->text + ch->len, s, n);
    ch->len += n;
    ch->text[ch->len] = '\0';
}

/* Length of the longest UTF-8 prefix of s[0,n) made of complete characters. */
static size_t utf8_complete(const char *s, size_t n) {
    size_t i = n;
    for (int back = 0; back < 4 && i > 0; back++) {
        unsigned char c = (unsigned char)s[i - 1];
        if (c < 0x80) return n;
        if ((c & 0xC0) == 0xC0) {   /* lead byte at i-1 */
            size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            return (n - (i - 1) >= need) ? n : i - 1;
        }
        i--;
    }
    return n;
}

/* Emits text[emitted, upto) as a chunk (stream) — for non-stream it just advances. */
static void emit_text(lmd_job *j, lmd_choice *ch, size_t upto) {
    if (upto <= ch->emitted) {
        if (!j->stream || !ch->logprobs || json_array_size(ch->logprobs) == 0) return;
    }
    if (j->stream) {
        json_t *o = lmd_fmt_chunk(j, ch, ch->text + ch->emitted, upto - ch->emitted);
        pthread_mutex_lock(&j->mu);
        out_json(j, o);
        wake(j);
        pthread_mutex_unlock(&j->mu);
        if (ch->logprobs) json_array_clear(ch->logprobs);
    }
    ch->emitted = upto;
}

/* Finds a stop string in the text; returns its offset or -1. Also computes how much of the
 * text is safe to emit (no suffix that could start a stop string). */
static long find_stop(const lmd_job *j, const lmd_choice *ch, size_t *safe) {
    const lmd_gen_opts *o = &j->opts;
    size_t from = 0, longest = 0;
    for (int i = 0; i < o->n_stops; i++)
        if (strlen(o->stops[i]) > longest) longest = strlen(o->stops[i]);
    if (ch->emitted > longest) from = ch->emitted - longest;
    long best = -1;
    for (int i = 0; i < o->n_stops; i++) {
        const char *p = strstr(ch->text + from, o->stops[i]);
        if (p && (best < 0 || p - ch->text < best)) best = p - ch->text;
    }
    *safe = ch->len;
    for (int i = 0; i < o->n_stops; i++) {
        size_t sl = strlen(o->stops[i]);
        for (size_t k = sl - 1; k > 0; k--) {   /* suffix of text == prefix of stop */
            if (k > ch->len) continue;
            if (!memcmp(ch->text + ch->len - k, o->stops[i], k)) {
                if (ch->len - k < *safe) *safe = ch->len - k;
                break;
            }
        }
    }
    return best;
}

static int32_t job_sample(void *ctx, float *logits, int32_t n_vocab, const int32_t *hist,
                          int64_t n_hist) {
    lmd_choice *ch = ctx;
    lmd_job *j = ch->job;
    if (!j->want_logprobs || !ch->raw) return lmd_sampler_sample(&ch->sampler, logits, hist, n_hist);
    /* logprobs of the model's own distribution, before penalties and temperature */
    memcpy(ch->raw, logits, (size_t)n_vocab * sizeof *ch->raw);
    int n_top = j->top_logprobs < 20 ? j->top_logprobs : 20;
    int32_t tok = lmd_sampler_sample(&ch->sampler, logits, hist, n_hist);
    ch->lp = lmd_logprobs(ch->raw, n_vocab, tok, n_top, ch->top_ids, ch->top_lp);
    return tok;
}

static void add_logprob_entry(lmd_job *j, lmd_choice *ch, int32_t tok) {
    if (!ch->logprobs) ch->logprobs = json_array();
    char piece[256];
    int64_t n = j->sm->piece(j->sm->vocab, tok, piece, sizeof piece);
    if (n < 0) n = 0;
    if (n > (int64_t)sizeof piece) n = sizeof piece;
    json_t *bytes = json_array();
    for (int64_t i = 0; i < n; i++) json_array_append_new(bytes, json_integer((unsigned char)piece[i]));
    json_t *tops = json_array();
    int n_top = j->top_logprobs < 20 ? j->top_logprobs : 20;
    for (int i = 0; i < n_top; i++) {
        char tp[256];
        int64_t tn = j->sm->piece(j->sm->vocab, ch->top_ids[i], tp, sizeof tp);
        if (tn < 0) tn = 0;
        if (tn > (int64_t)sizeof tp) tn = sizeof tp;
        json_t *tb = json_array();
        for (int64_t k = 0; k < tn; k++) json_array_append_new(tb, json_integer((unsigned char)tp[k]));
        json_array_append_new(tops, json_pack("{s:o,s:f,s:o}", "token", lmd_json_text(tp, (size_t)tn),
                                              "logprob", (double)ch->top_lp[i], "bytes", tb));
    }
    json_array_append_new(ch->logprobs,
                          json_pack("{s:o,s:f,s:o,s:o}", "token", lmd_json_text(piece, (size_t)n),
                                    "logprob", (double)ch->lp, "bytes", bytes, "top_logprobs", tops));
}

static int job_on_token(void *user, int32_t tok, const float *logits, int32_t n_vocab) {
    lmd_choice *ch = user;
    lmd_job *j = ch->job;
    if (ch->n_tokens < ch->cap_tokens) ch->tokens[ch->n_tokens++] = tok;
    if (j->sm->is_eog(j->sm->vocab, tok)) return 1;
    if (j->want_logprobs) add_logprob_entry(j, ch, tok);
    char piece[256];
    int64_t n = j->sm->piece(j->sm->vocab, tok, piece, sizeof piece);
    if (n < 0) n = 0;
    if (n > (int64_t)sizeof piece) n = sizeof piece;
    /* hold back an incomplete UTF-8 character until its last byte arrives */
    char buf[sizeof piece + 8];
    memcpy(buf, ch->hold, (size_t)ch->n_hold);
    memcpy(buf + ch->n_hold, piece, (size_t)n);
    size_t total = (size_t)ch->n_hold + (size_t)n;
    size_t ok = utf8_complete(buf, total);
    if (total - ok > sizeof ch->hold) ok = total;   /* garbage: pass it on */
    ch->n_hold = (int)(total - ok);
    memcpy(ch->hold, buf + ok, (size_t)ch->n_hold);
    text_append(ch, buf, ok);
    size_t safe;
    long stop_at = j->opts.n_stops ? find_stop(j, ch, &safe) : -1;
    if (!j->opts.n_stops) safe = ch->len;
    if (stop_at >= 0) {
        ch->len = (size_t)stop_at;
        ch->text[ch->len] = '\0';
        ch->n_hold = 0;
        emit_text(j, ch, ch->len);
        return 1;
    }
    emit_text(j, ch, safe);
    return 0;
}

static void job_on_done(void *user, const lmd_engine_result *res) {
    lmd_choice *ch = user;
    lmd_job *j = ch->job;
    ch->res = *res;
    if (ch->n_hold && res->reason != LMD_FINISH_STOP) {
        text_append(ch, ch->hold, (size_t)ch->n_hold);
        ch->n_hold = 0;
    }
    if (res->reason != LMD_FINISH_ERROR && res->reason != LMD_FINISH_CANCELLED)
        emit_text(j, ch, ch->len);
    ch->done = true;
    pthread_mutex_lock(&j->mu);
    j->n_done++;
    bool all = j->n_done == j->n_choices;
    pthread_mutex_unlock(&j->mu);
    if (j->stream && res->reason != LMD_FINISH_ERROR) {
        json_t *fin = lmd_fmt_final_chunk(j, ch);
        pthread_mutex_lock(&j->mu);
        out_json(j, fin);
        pthread_mutex_unlock(&j->mu);
    }
    if (all) {
        /* error in any choice: a final error line (stream) or an error reply */
        const lmd_engine_result *err = NULL;
        for (int i = 0; i < j->n_choices; i++)
            if (j->choices[i].res.reason == LMD_FINISH_ERROR) err = &j->choices[i].res;
        pthread_mutex_lock(&j->mu);
        if (j->stream) {
            if (err) {
                out_json(j, lmd_error_json(j->kind >= LMD_JOB_OAI_CHAT ? LMD_API_OPENAI
                                                                         : LMD_API_OLLAMA,
                                           lmd_http_status(err->status), err->msg));
            } else {
                json_t *u = lmd_fmt_usage_chunk(j);
                out_json(j, u);
            }
            if (j->kind >= LMD_JOB_OAI_CHAT) out_append(j, "data: [DONE]\n\n", 14);
        } else if (err) {
            json_t *e = lmd_error_json(j->kind >= LMD_JOB_OAI_CHAT ? LMD_API_OPENAI
                                                                     : LMD_API_OLLAMA,
                                       lmd_http_status(err->status), err->msg);
            j->status = lmd_http_status(err->status);
            out_json(j, e);
        } else {
            j->status = 200;
            pthread_mutex_unlock(&j->mu);
            json_t *full = lmd_fmt_full(j);
            pthread_mutex_lock(&j->mu);
            size_t n = 0;
            char *s = full ? lmd_json_dump(full, &n) : NULL;
            json_decref(full);
            if (s) out_append(j, s, n);
            free(s);
        }
        j->finished = true;
        wake(j);
        pthread_mutex_unlock(&j->mu);
        lmd_models_release(j->srv->models, j->inst, j->keep_alive_ms);
    }
    job_unref(j);
}

/* ---- the connection side ---- */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    lmd_job *j = cls;
    pthread_mutex_lock(&j->mu);
    if (j->out_off < j->out_len) {
        size_t n = j->out_len - j->out_off;
        if (n > max) n = max;
        memcpy(buf, j->out + j->out_off, n);
        j->out_off += n;
        if (j->out_off == j->out_len) j->out_off = j->out_len = 0;
        pthread_mutex_unlock(&j->mu);
        return (ssize_t)n;
    }
    if (j->finished) {
        pthread_mutex_unlock(&j->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    /* Nothing yet: park the connection until the engine has more (wake resumes it). */
    j->suspended = true;
    pthread_mutex_lock(&j->srv->mu);
    j->srv->n_suspended++;
    pthread_mutex_unlock(&j->srv->mu);
    MHD_suspend_connection(j->mc);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

static void conn_gone(lmd_job *j) {
    pthread_mutex_lock(&j->mu);
    j->conn_gone = true;
    j->mc = NULL;
    for (int i = 0; i < j->n_choices; i++) atomic_store(&j->choices[i].cancel, true);
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
}

static void stream_free(void *cls) { conn_gone(cls); }

static void nonstream_close(lmd_conn *c) {
    lmd_job *j = c->async;
    c->async = NULL;
    if (j) conn_gone(j);
}

static enum MHD_Result nonstream_reply(lmd_conn *c) {
    lmd_job *j = c->async;
    pthread_mutex_lock(&j->mu);
    char *body = j->out;
    size_t len = j->out_len;
    unsigned status = j->status ? j->status : 500;
    j->out = NULL;
    j->out_len = j->out_cap = 0;
    pthread_mutex_unlock(&j->mu);
    if (!body) return lmd_reply_error(c, 500, NULL, NULL, "out of memory building the reply");
    return lmd_reply_raw(c, status, "application/json; charset=utf-8", body, len);
}

lmd_job *lmd_job_new(lmd_conn *c, lmd_job_kind kind, lmd_model_inst *inst, const char *model,
                     int32_t *prompt, int64_t n_prompt, lmd_gen_opts *opts, int n_choices) {
    lmd_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    pthread_mutex_init(&j->mu, NULL);
    j->kind = kind;
    j->srv = c->srv;
    j->inst = inst;
    j->sm = inst->payload;
    snprintf(j->model_name, sizeof j->model_name, "%s", model);
    j->prompt = prompt;
    j->n_prompt = n_prompt;
    j->opts = *opts;
    memset(opts, 0, sizeof *opts);
    j->n_choices = n_choices;
    j->created_unix = (int64_t)time(NULL);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    j->t_start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    unsigned long long r = ((unsigned long long)ts.tv_nsec * 2654435761ull) ^ (uintptr_t)j;
    snprintf(j->id, sizeof j->id, "%s-%09llu", kind == LMD_JOB_OAI_CHAT ? "chatcmpl" : "cmpl",
             r % 1000000000ull);
    j->keep_alive_ms = lmd_models_default_keep_alive_ms(c->srv->models);
    return j;
}

enum MHD_Result lmd_job_start(lmd_conn *c, lmd_job *j) {
    int64_t ctx_tokens = j->opts.num_ctx > 0 ? j->opts.num_ctx : lmd_engine_n_ctx(j->inst->engine);
    for (int i = 0; i < j->n_choices; i++) {
        lmd_choice *ch = &j->choices[i];
        ch->job = j;
        ch->index = i;
        lmd_sampling_params sp = j->opts.sp;
        if (sp.seed >= 0) sp.seed += i;   /* n choices with one seed still differ */
        ch->cap_tokens = ctx_tokens;
        ch->tokens = malloc((size_t)ctx_tokens * sizeof *ch->tokens);
        if (j->want_logprobs) ch->raw = malloc((size_t)j->sm->n_vocab * sizeof *ch->raw);
        if (!lmd_sampler_init(&ch->sampler, &sp, j->sm->n_vocab) || !ch->tokens ||
            (j->want_logprobs && !ch->raw)) {
            lmd_models_release(c->srv->models, j->inst, j->keep_alive_ms);
            j->refs = 1;
            job_unref(j);
            return lmd_reply_error(c, 500, NULL, NULL, "out of memory");
        }
    }
    /* refs: one for the connection, one per choice in the engine */
    j->refs = 1 + j->n_choices;
    pthread_mutex_lock(&j->mu);
    j->mc = c->mc;
    int submitted = 0;
    lmd_err err = { 0 };
    lmd_status st = LMD_OK;
    for (int i = 0; i < j->n_choices; i++) {
        lmd_choice *ch = &j->choices[i];
        lmd_engine_req r = {
            .prompt = j->prompt, .n_prompt = j->n_prompt, .max_new_tokens = j->opts.num_predict,
            .n_ctx = j->opts.num_ctx, .sample = job_sample, .sample_ctx = ch,
            .on_token = job_on_token, .on_done = job_on_done, .user = ch, .cancel = &ch->cancel,
        };
        st = lmd_engine_submit(j->inst->engine, &r, &err);
        if (st != LMD_OK) break;
        submitted++;
    }
    if (st != LMD_OK) {
        /* Nothing was sent yet: cancel what went in and answer with the error. The engine
         * still calls on_done for the submitted ones (they release their refs). */
        j->refs -= j->n_choices - submitted;
        j->n_choices = submitted;   /* the engine reports only those */
        for (int i = 0; i < submitted; i++) atomic_store(&j->choices[i].cancel, true);
        j->conn_gone = true;
        j->mc = NULL;
        pthread_mutex_unlock(&j->mu);
        if (submitted == 0) lmd_models_release(c->srv->models, j->inst, j->keep_alive_ms);
        job_unref(j);
        unsigned status = lmd_http_status(st);
        return lmd_reply_error(c, status, NULL, NULL, "%s", err.msg);
    }
    if (j->stream) {
        pthread_mutex_unlock(&j->mu);
        struct MHD_Response *resp =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, j,
                                              stream_free);
        if (!resp) {
            conn_gone(j);
            return MHD_NO;
        }
        bool sse = j->kind >= LMD_JOB_OAI_CHAT;
        MHD_add_response_header(resp, "Content-Type",
                                sse ? "text/event-stream" : "application/x-ndjson");
        if (sse) MHD_add_response_header(resp, "Cache-Control", "no-cache");
        enum MHD_Result r = MHD_queue_response(c->mc, 200, resp);
        MHD_destroy_response(resp);
        return r;
    }
    c->async = j;
    c->on_close = nonstream_close;
    if (j->finished) {
        pthread_mutex_unlock(&j->mu);
        return nonstream_reply(c);
    }
    j->suspended = true;
    pthread_mutex_lock(&c->srv->mu);
    c->srv->n_suspended++;
    pthread_mutex_unlock(&c->srv->mu);
    c->on_resume = nonstream_reply;
    MHD_suspend_connection(c->mc);
    pthread_mutex_unlock(&j->mu);
    return MHD_YES;
}
