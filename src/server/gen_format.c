/* gen_format.c — the JSON shapes of generation output: Ollama's /api/generate and /api/chat
 * lines (durations in nanoseconds, done_reason, plus lmd's prompt_cached_count) and OpenAI's
 * chat.completion(.chunk) / text_completion objects (usage with
 * prompt_tokens_details.cached_tokens). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/gen.h"
#include "util/str.h"

void lmd_rfc3339_now(char *buf, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char head[32];
    strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%09ldZ", head, ts.tv_nsec);
}

json_t *lmd_json_text(const char *s, size_t len) {
    json_t *j = json_stringn(s, len);
    if (j) return j;
    /* not valid UTF-8: replace each bad byte with U+FFFD */
    char *buf = malloc(len * 3 + 1);
    if (!buf) return json_string("");
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                            : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n && i + n <= len && lmd_utf8_valid(s + i, n)) {
            memcpy(buf + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn(buf, o);
    free(buf);
    return j ? j : json_string("");
}

const char *lmd_finish_reason(lmd_engine_finish r, bool openai) {
    switch (r) {
    case LMD_FINISH_STOP: return "stop";
    case LMD_FINISH_LENGTH: return "length";
    case LMD_FINISH_CANCELLED: return openai ? "stop" : "cancelled";
    case LMD_FINISH_ERROR: return "error";
    }
    return "stop";
}

static bool is_openai(const lmd_job *j) { return j->kind >= LMD_JOB_OAI_CHAT; }

static json_t *oai_head(lmd_job *j, const char *object) {
    return json_pack("{s:s,s:s,s:I,s:s,s:s}", "id", j->id, "object", object, "created",
                     (json_int_t)j->created_unix, "model", j->model_name, "system_fingerprint",
                     "fp_lmd");
}

static json_t *completion_logprobs(json_t *entries) {
    /* legacy completions shape from chat-shaped entries */
    json_t *tokens = json_array(), *lps = json_array(), *tops = json_array(), *offs = json_array();
    size_t i, off = 0;
    json_t *e;
    json_array_foreach(entries, i, e) {
        const char *t = json_string_value(json_object_get(e, "token"));
        json_array_append(tokens, json_object_get(e, "token"));
        json_array_append(lps, json_object_get(e, "logprob"));
        json_t *m = json_object();
        size_t k;
        json_t *te;
        json_array_foreach(json_object_get(e, "top_logprobs"), k, te)
            json_object_set(m, json_string_value(json_object_get(te, "token")),
                            json_object_get(te, "logprob"));
        json_array_append_new(tops, m);
        json_array_append_new(offs, json_integer((json_int_t)off));
        off += t ? strlen(t) : 0;
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "tokens", tokens, "token_logprobs", lps,
                     "top_logprobs", tops, "text_offset", offs);
}

static json_t *logprobs_of(lmd_job *j, lmd_choice *ch) {
    if (!j->want_logprobs) return json_null();
    json_t *entries = ch->logprobs ? json_deep_copy(ch->logprobs) : json_array();
    if (j->kind == LMD_JOB_OAI_COMPLETION) {
        json_t *r = completion_logprobs(entries);
        json_decref(entries);
        return r;
    }
    return json_pack("{s:o}", "content", entries);
}

json_t *lmd_fmt_chunk(lmd_job *j, lmd_choice *ch, const char *text, size_t len) {
    char ts[64];
    switch (j->kind) {
    case LMD_JOB_GENERATE:
        lmd_rfc3339_now(ts, sizeof ts);
        return json_pack("{s:s,s:s,s:o,s:b}", "model", j->model_name, "created_at", ts,
                         "response", lmd_json_text(text, len), "done", 0);
    case LMD_JOB_CHAT:
        lmd_rfc3339_now(ts, sizeof ts);
        return json_pack("{s:s,s:s,s:{s:s,s:o},s:b}", "model", j->model_name, "created_at", ts,
                         "message", "role", "assistant", "content", lmd_json_text(text, len),
                         "done", 0);
    case LMD_JOB_OAI_CHAT: {
        json_t *o = oai_head(j, "chat.completion.chunk");
        json_object_set_new(o, "choices",
                            json_pack("[{s:i,s:{s:s,s:o},s:o,s:n}]", "index", ch->index, "delta",
                                      "role", "assistant", "content", lmd_json_text(text, len),
                                      "logprobs", logprobs_of(j, ch), "finish_reason"));
        return o;
    }
    case LMD_JOB_OAI_COMPLETION: {
        json_t *o = oai_head(j, "text_completion");
        json_object_set_new(o, "choices",
                            json_pack("[{s:o,s:i,s:o,s:n}]", "text", lmd_json_text(text, len),
                                      "index", ch->index, "logprobs", logprobs_of(j, ch),
                                      "finish_reason"));
        return o;
    }
    }
    return NULL;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Ollama's final fields, added to o. */
static void ollama_stats(lmd_job *j, lmd_choice *ch, json_t *o) {
    const lmd_engine_result *r = &ch->res;
    json_object_set_new(o, "done_reason", json_string(lmd_finish_reason(r->reason, false)));
    if (j->kind == LMD_JOB_GENERATE && j->want_context) {
        json_t *ctx = json_array();
        for (int64_t i = 0; i < j->n_prompt; i++) json_array_append_new(ctx, json_integer(j->prompt[i]));
        for (int64_t i = 0; i < ch->n_tokens; i++) json_array_append_new(ctx, json_integer(ch->tokens[i]));
        json_object_set_new(o, "context", ctx);
    }
    json_object_set_new(o, "total_duration", json_integer(now_ns() - j->t_start_ns + j->load_ns));
    json_object_set_new(o, "load_duration", json_integer(j->load_ns));
    json_object_set_new(o, "prompt_eval_count", json_integer(r->n_prompt));
    json_object_set_new(o, "prompt_eval_duration", json_integer(r->queue_ns + r->prompt_ns));
    json_object_set_new(o, "eval_count", json_integer(r->n_generated));
    json_object_set_new(o, "eval_duration", json_integer(r->eval_ns));
    /* lmd: prompt tokens served from the prefix cache */
    json_object_set_new(o, "prompt_cached_count", json_integer(r->n_cached));
}

json_t *lmd_fmt_final_chunk(lmd_job *j, lmd_choice *ch) {
    char ts[64];
    lmd_rfc3339_now(ts, sizeof ts);
    json_t *o = NULL;
    switch (j->kind) {
    case LMD_JOB_GENERATE:
        o = json_pack("{s:s,s:s,s:s,s:b}", "model", j->model_name, "created_at", ts, "response",
                      "", "done", 1);
        ollama_stats(j, ch, o);
        return o;
    case LMD_JOB_CHAT:
        o = json_pack("{s:s,s:s,s:{s:s,s:s},s:b}", "model", j->model_name, "created_at", ts,
                      "message", "role", "assistant", "content", "", "done", 1);
        ollama_stats(j, ch, o);
        return o;
    case LMD_JOB_OAI_CHAT:
        o = oai_head(j, "chat.completion.chunk");
        json_object_set_new(o, "choices",
                            json_pack("[{s:i,s:{},s:n,s:s}]", "index", ch->index, "delta",
                                      "logprobs", "finish_reason",
                                      lmd_finish_reason(ch->res.reason, true)));
        return o;
    case LMD_JOB_OAI_COMPLETION:
        o = oai_head(j, "text_completion");
        json_object_set_new(o, "choices",
                            json_pack("[{s:s,s:i,s:n,s:s}]", "text", "", "index", ch->index,
                                      "logprobs", "finish_reason",
                                      lmd_finish_reason(ch->res.reason, true)));
        return o;
    }
    return NULL;
}

static json_t *usage(lmd_job *j) {
    int64_t completion = 0, cached = 0;
    for (int i = 0; i < j->n_choices; i++) {
        completion += j->choices[i].res.n_generated;
        if (j->choices[i].res.n_cached > cached) cached = j->choices[i].res.n_cached;
    }
    return json_pack("{s:I,s:I,s:I,s:{s:I}}", "prompt_tokens", (json_int_t)j->n_prompt,
                     "completion_tokens", (json_int_t)completion, "total_tokens",
                     (json_int_t)(j->n_prompt + completion), "prompt_tokens_details",
                     "cached_tokens", (json_int_t)cached);
}

json_t *lmd_fmt_usage_chunk(lmd_job *j) {
    if (!is_openai(j) || !j->include_usage) return NULL;
    json_t *o = oai_head(j, j->kind == LMD_JOB_OAI_CHAT ? "chat.completion.chunk"
                                                       : "text_completion");
    json_object_set_new(o, "choices", json_array());
    json_object_set_new(o, "usage", usage(j));
    return o;
}

json_t *lmd_fmt_full(lmd_job *j) {
    char ts[64];
    lmd_rfc3339_now(ts, sizeof ts);
    lmd_choice *c0 = &j->choices[0];
    json_t *o = NULL;
    switch (j->kind) {
    case LMD_JOB_GENERATE:
        o = json_pack("{s:s,s:s,s:o,s:b}", "model", j->model_name, "created_at", ts, "response",
                      lmd_json_text(c0->text ? c0->text : "", c0->len), "done", 1);
        ollama_stats(j, c0, o);
        return o;
    case LMD_JOB_CHAT:
        o = json_pack("{s:s,s:s,s:{s:s,s:o},s:b}", "model", j->model_name, "created_at", ts,
                      "message", "role", "assistant", "content",
                      lmd_json_text(c0->text ? c0->text : "", c0->len), "done", 1);
        ollama_stats(j, c0, o);
        return o;
    case LMD_JOB_OAI_CHAT:
    case LMD_JOB_OAI_COMPLETION: {
        bool chat = j->kind == LMD_JOB_OAI_CHAT;
        o = oai_head(j, chat ? "chat.completion" : "text_completion");
        json_t *choices = json_array();
        for (int i = 0; i < j->n_choices; i++) {
            lmd_choice *ch = &j->choices[i];
            json_t *text = lmd_json_text(ch->text ? ch->text : "", ch->len);
            json_t *c = chat ? json_pack("{s:i,s:{s:s,s:o}}", "index", i, "message", "role",
                                         "assistant", "content", text)
                             : json_pack("{s:o,s:i}", "text", text, "index", i);
            json_object_set_new(c, "logprobs", logprobs_of(j, ch));
            json_object_set_new(c, "finish_reason",
                                json_string(lmd_finish_reason(ch->res.reason, true)));
            json_array_append_new(choices, c);
        }
        json_object_set_new(o, "choices", choices);
        json_object_set_new(o, "usage", usage(j));
        return o;
    }
    }
    return NULL;
}
