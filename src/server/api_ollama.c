/* api_ollama.c — POST /api/generate and /api/chat: parse and check the request, load (or
 * unload) the model, build the prompt, tokenize, and start a job. An empty prompt only loads
 * the model; with keep_alive 0 it unloads it (Ollama's done_reason "load" / "unload"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"
#include "store/store.h"

/* Canonical manager key for a model name ("name:tag"); false (and a 400 sent) when invalid. */
bool lmd_model_key(lmd_conn *c, const char *model, char *key, size_t cap,
                   enum MHD_Result *result) {
    lmd_store_name n;
    lmd_err err = { 0 };
    if (lmd_store_name_parse(model, &n, &err) != LMD_OK) {
        *result = lmd_reply_error(c, 400, "model", NULL, "invalid model name \"%s\": %s", model,
                                  err.msg);
        return false;
    }
    lmd_store_name_display(&n, key, cap);
    return true;
}

static enum MHD_Result load_or_unload(lmd_conn *c, const char *model, const char *key,
                                      int64_t keep_alive_ms, bool chat) {
    enum MHD_Result res = MHD_NO;
    char ts[64];
    if (keep_alive_ms == 0) {
        lmd_err err = { 0 };
        if (lmd_models_expire(c->srv->models, key, &err) != LMD_OK) {
            /* not loaded: fine if the model exists, 404 if it does not */
            lmd_store *st = NULL;
            lmd_store_model *sm = NULL;
            lmd_status s = lmd_store_open(NULL, &st, &err);
            if (s == LMD_OK) s = lmd_store_resolve(st, model, &sm, &err);
            lmd_store_model_free(sm);
            lmd_store_close(st);
            if (s == LMD_E_NOT_FOUND)
                return lmd_reply_error(c, 404, "model", "model_not_found",
                                       "model \"%s\" not found", model);
        }
        lmd_rfc3339_now(ts, sizeof ts);
        json_t *o = chat ? json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:b}", "model", model,
                                     "created_at", ts, "message", "role", "assistant", "content",
                                     "", "done_reason", "unload", "done", 1)
                         : json_pack("{s:s,s:s,s:s,s:b,s:s}", "model", model, "created_at", ts,
                                     "response", "", "done", 1, "done_reason", "unload");
        return lmd_reply_json(c, 200, o);
    }
    bool loaded = false;
    int64_t load_ns = 0;
    lmd_model_inst *inst = lmd_gen_acquire(c, key, 0, &loaded, &load_ns, &res);
    if (!inst) return res;
    lmd_models_release(c->srv->models, inst, keep_alive_ms);
    lmd_rfc3339_now(ts, sizeof ts);
    json_t *o = chat ? json_pack("{s:s,s:s,s:{s:s,s:s},s:s,s:b}", "model", model, "created_at",
                                 ts, "message", "role", "assistant", "content", "",
                                 "done_reason", "load", "done", 1)
                     : json_pack("{s:s,s:s,s:s,s:b,s:s}", "model", model, "created_at", ts,
                                 "response", "", "done", 1, "done_reason", "load");
    return lmd_reply_json(c, 200, o);
}

/* Tokenizes prompt text and starts the job (shared by every generation endpoint). */
enum MHD_Result lmd_start_text_job(lmd_conn *c, lmd_job_kind kind, lmd_model_inst *inst,
                                   const char *model, const char *text, lmd_gen_opts *opts,
                                   int n_choices, bool stream, bool include_usage,
                                   int top_logprobs, bool want_logprobs, int64_t keep_alive_ms,
                                   int64_t load_ns) {
    lmd_srv_model *sm = inst->payload;
    int32_t *ids = NULL;
    int64_t n_ids = 0;
    lmd_err err = { 0 };
    lmd_status st = sm->tokenize(sm->vocab, text, strlen(text), true, true, &ids, &n_ids, &err);
    if (st != LMD_OK || n_ids <= 0) {
        free(ids);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        lmd_gen_opts_free(opts);
        return lmd_reply_error(c, 400, "prompt", NULL, "%s",
                               st != LMD_OK ? err.msg : "the prompt is empty after tokenizing");
    }
    int64_t n_ctx = lmd_engine_n_ctx(inst->engine);
    if (opts->num_ctx > 0 && opts->num_ctx < n_ctx) n_ctx = opts->num_ctx;
    if (n_ids >= n_ctx) {
        free(ids);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        lmd_gen_opts_free(opts);
        return lmd_reply_error(c, 400, "prompt", "context_length_exceeded",
                               "the prompt is %lld tokens, the context holds %lld",
                               (long long)n_ids, (long long)n_ctx);
    }
    lmd_job *j = lmd_job_new(c, kind, inst, model, ids, n_ids, opts, n_choices);
    if (!j) {
        free(ids);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        lmd_gen_opts_free(opts);
        return lmd_reply_error(c, 500, NULL, NULL, "out of memory");
    }
    j->stream = stream;
    j->include_usage = include_usage;
    j->want_logprobs = want_logprobs;
    j->top_logprobs = top_logprobs;
    j->keep_alive_ms = keep_alive_ms;
    j->load_ns = load_ns;
    j->want_context = kind == LMD_JOB_GENERATE;
    return lmd_job_start(c, j);
}

static enum MHD_Result generate_or_chat(lmd_conn *c, bool chat) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = lmd_jf_str(&f, req, "model", NULL);
    const char *prompt = chat ? NULL : lmd_jf_str(&f, req, "prompt", "");
    const char *system = chat ? NULL : lmd_jf_str(&f, req, "system", NULL);
    const char *tmpl = chat ? NULL : lmd_jf_str(&f, req, "template", NULL);
    int raw = chat ? 0 : lmd_jf_bool(&f, req, "raw", 0);
    int stream = lmd_jf_bool(&f, req, "stream", 1);
    const json_t *options = lmd_jf_obj(&f, req, "options");
    const json_t *messages = chat ? lmd_jf_arr(&f, req, "messages") : NULL;
    (void)lmd_jf_str(&f, req, "suffix", NULL);
    (void)lmd_jf_arr(&f, req, "images");
    (void)lmd_jf_arr(&f, req, "context");
    int64_t keep_alive_ms = lmd_jf_duration_ms(&f, req, "keep_alive",
                                               lmd_models_default_keep_alive_ms(c->srv->models));
    if (!f.failed && (!model || !*model)) lmd_jf_fail(&f, "model", "model is required");
    size_t i;
    json_t *m;
    if (!f.failed && messages) {
        json_array_foreach(messages, i, m) {
            const json_t *role = json_object_get(m, "role");
            const json_t *content = json_object_get(m, "content");
            if (!json_is_object(m) || !json_is_string(role)) {
                lmd_jf_fail(&f, "messages", "invalid value for field \"messages[%zu]\": needs "
                                            "a string \"role\"", i);
                break;
            }
            if (content && !json_is_null(content) && !json_is_string(content)) {
                lmd_jf_fail(&f, "messages", "invalid value for field \"messages[%zu].content\": "
                                            "expected string", i);
                break;
            }
            const char *r = json_string_value(role);
            if (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant") &&
                strcmp(r, "tool")) {
                lmd_jf_fail(&f, "messages", "invalid role \"%s\" in messages[%zu]", r, i);
                break;
            }
        }
    }
    lmd_gen_opts opts;
    if (f.failed) {
        res = lmd_reply_jf(c, &f);
        json_decref(req);
        return res;
    }
    char key[LMD_MODEL_NAME_BYTES], model_buf[LMD_MODEL_NAME_BYTES];
    snprintf(model_buf, sizeof model_buf, "%s", model);
    model = model_buf;   /* req is freed before the job starts */
    if (!lmd_model_key(c, model, key, sizeof key, &res)) {
        json_decref(req);
        return res;
    }
    bool empty = chat ? (!messages || json_array_size(messages) == 0) : (!prompt || !*prompt);
    if (empty) {
        res = load_or_unload(c, model, key, keep_alive_ms, chat);
        json_decref(req);
        return res;
    }
    bool loaded = false;
    int64_t load_ns = 0;
    int64_t num_ctx = options ? lmd_jf_int(&f, options, "num_ctx", 0) : 0;
    lmd_model_inst *inst = lmd_gen_acquire(c, key, num_ctx, &loaded, &load_ns, &res);
    if (!inst) {
        json_decref(req);
        return res;
    }
    lmd_srv_model *sm = inst->payload;
    lmd_gen_opts_parse(&f, sm->params, options, &opts);
    if (f.failed) {
        lmd_gen_opts_free(&opts);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        res = lmd_reply_jf(c, &f);
        json_decref(req);
        return res;
    }
    char *text = chat ? lmd_render_chat(sm, messages)
                      : raw ? strdup(prompt) : lmd_render_generate(sm, tmpl, system, prompt);
    json_decref(req);
    if (!text) {
        lmd_gen_opts_free(&opts);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        return lmd_reply_error(c, 500, NULL, NULL, "out of memory rendering the prompt");
    }
    res = lmd_start_text_job(c, chat ? LMD_JOB_CHAT : LMD_JOB_GENERATE, inst, model, text,
                             &opts, 1, stream, false, 0, false, keep_alive_ms, load_ns);
    free(text);
    return res;
}

enum MHD_Result lmd_h_generate(lmd_conn *c) { return generate_or_chat(c, false); }
enum MHD_Result lmd_h_chat(lmd_conn *c) { return generate_or_chat(c, true); }
