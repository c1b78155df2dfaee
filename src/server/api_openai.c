/* api_openai.c — POST /v1/chat/completions and /v1/completions: OpenAI's request fields
 * mapped onto generation options (max_tokens / max_completion_tokens, stop, seed,
 * temperature, top_p, penalties, logprobs, top_logprobs, n, stream_options.include_usage),
 * errors in OpenAI's shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"

/* Flattens OpenAI content (string, or array of {type:"text", text}) into a string message
 * list the prompt renderer takes. Returns NULL and fills f on bad input. */
static json_t *flatten_messages(lmd_jf *f, const json_t *messages) {
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const json_t *role = json_is_object(m) ? json_object_get(m, "role") : NULL;
        if (!json_is_string(role)) {
            lmd_jf_fail(f, "messages", "messages[%zu]: 'role' must be a string", i);
            break;
        }
        const char *r = json_string_value(role);
        if (strcmp(r, "system") && strcmp(r, "developer") && strcmp(r, "user") &&
            strcmp(r, "assistant") && strcmp(r, "tool")) {
            lmd_jf_fail(f, "messages", "messages[%zu]: invalid role '%s'", i, r);
            break;
        }
        const json_t *content = json_object_get(m, "content");
        char *text = NULL;
        if (!content || json_is_null(content)) {
            text = strdup("");
        } else if (json_is_string(content)) {
            text = strdup(json_string_value(content));
        } else if (json_is_array(content)) {
            size_t k, total = 0;
            json_t *part;
            json_array_foreach(content, k, part) {
                const char *t = json_string_value(json_object_get(part, "text"));
                const char *type = json_string_value(json_object_get(part, "type"));
                if (type && !strcmp(type, "text") && t) total += strlen(t) + 1;
            }
            text = calloc(1, total + 1);
            json_array_foreach(content, k, part) {
                const char *t = json_string_value(json_object_get(part, "text"));
                const char *type = json_string_value(json_object_get(part, "type"));
                if (text && type && !strcmp(type, "text") && t) {
                    if (*text) strcat(text, "\n");
                    strcat(text, t);
                }
            }
        } else {
            lmd_jf_fail(f, "messages", "messages[%zu]: 'content' must be a string or an array "
                                       "of content parts", i);
            break;
        }
        if (!text) break;
        json_array_append_new(out, json_pack("{s:s,s:s}", "role",
                                             !strcmp(r, "developer") ? "system" : r, "content",
                                             text));
        free(text);
    }
    if (f->failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static enum MHD_Result oai(lmd_conn *c, bool chat) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = lmd_jf_str(&f, req, "model", NULL);
    int stream = lmd_jf_bool(&f, req, "stream", 0);
    const json_t *so = lmd_jf_obj(&f, req, "stream_options");
    int include_usage = so ? lmd_jf_bool(&f, so, "include_usage", 0) : 0;
    int64_t max_tokens = lmd_jf_int(&f, req, "max_tokens", chat ? -1 : 16);
    max_tokens = lmd_jf_int(&f, req, "max_completion_tokens", max_tokens);
    int64_t n = lmd_jf_int(&f, req, "n", 1);
    int logprobs = 0;
    int64_t top_logprobs = 0;
    if (chat) {
        logprobs = lmd_jf_bool(&f, req, "logprobs", 0);
        top_logprobs = lmd_jf_int(&f, req, "top_logprobs", 0);
    } else {
        /* completions: "logprobs": N means the top N */
        int64_t lp = lmd_jf_int(&f, req, "logprobs", -1);
        logprobs = lp >= 0;
        top_logprobs = lp > 0 ? lp : 0;
    }
    const json_t *messages = chat ? lmd_jf_arr(&f, req, "messages") : NULL;
    const char *prompt = NULL;
    if (!chat) {
        const json_t *p = json_object_get(req, "prompt");
        if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0)))
            prompt = json_string_value(json_array_get(p, 0));
        else if (p && !json_is_null(p) && !json_is_string(p) && !f.failed)
            lmd_jf_fail(&f, "prompt", "invalid value for field \"prompt\": expected string");
        else
            prompt = lmd_jf_str(&f, req, "prompt", "");
    }
    /* mapped onto Ollama options so one parser checks them */
    json_t *opt = json_object();
    static const char *const pass[] = { "temperature", "top_p", "seed", "frequency_penalty",
                                        "presence_penalty", "stop" };
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        json_t *v = json_object_get(req, pass[i]);
        if (v && !json_is_null(v)) json_object_set(opt, pass[i], v);
    }
    if (!f.failed && (!model || !*model))
        lmd_jf_fail(&f, "model", "you must provide a model parameter");
    if (!f.failed && chat && (!messages || json_array_size(messages) == 0))
        lmd_jf_fail(&f, "messages", "'messages' must contain at least one message");
    if (!f.failed && (n < 1 || n > LMD_MAX_CHOICES))
        lmd_jf_fail(&f, "n", "'n' must be between 1 and %d", LMD_MAX_CHOICES);
    if (!f.failed && (top_logprobs < 0 || top_logprobs > 20))
        lmd_jf_fail(&f, "top_logprobs", "'top_logprobs' must be between 0 and 20");
    if (!f.failed && max_tokens == 0) lmd_jf_fail(&f, "max_tokens", "'max_tokens' must be >= 1");
    json_t *flat = !f.failed && chat ? flatten_messages(&f, messages) : NULL;
    if (f.failed) {
        json_decref(opt);
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    char key[LMD_MODEL_NAME_BYTES], model_buf[LMD_MODEL_NAME_BYTES];
    snprintf(model_buf, sizeof model_buf, "%s", model);
    if (!lmd_model_key(c, model_buf, key, sizeof key, &res)) {
        json_decref(flat);
        json_decref(opt);
        json_decref(req);
        return res;
    }
    int64_t keep_alive_ms = lmd_models_default_keep_alive_ms(c->srv->models);
    bool loaded = false;
    int64_t load_ns = 0;
    lmd_model_inst *inst = lmd_gen_acquire(c, key, 0, &loaded, &load_ns, &res);
    if (!inst) {
        json_decref(flat);
        json_decref(opt);
        json_decref(req);
        return res;
    }
    lmd_srv_model *sm = inst->payload;
    lmd_gen_opts opts;
    lmd_gen_opts_parse(&f, sm->params, opt, &opts);
    json_decref(opt);
    if (max_tokens > 0) opts.num_predict = max_tokens;
    char *text = NULL;
    if (!f.failed) text = chat ? lmd_render_chat(sm, flat) : strdup(prompt ? prompt : "");
    json_decref(flat);
    json_decref(req);
    if (f.failed || !text) {
        free(text);
        lmd_gen_opts_free(&opts);
        lmd_models_release(c->srv->models, inst, keep_alive_ms);
        if (f.failed) return lmd_reply_jf(c, &f);
        return lmd_reply_error(c, 500, NULL, NULL, "out of memory");
    }
    res = lmd_start_text_job(c, chat ? LMD_JOB_OAI_CHAT : LMD_JOB_OAI_COMPLETION, inst, model_buf,
                             text, &opts, (int)n, stream, include_usage, (int)top_logprobs,
                             logprobs, keep_alive_ms, load_ns);
    free(text);
    return res;
}

enum MHD_Result lmd_h_oai_chat(lmd_conn *c) { return oai(c, true); }
enum MHD_Result lmd_h_oai_completions(lmd_conn *c) { return oai(c, false); }
