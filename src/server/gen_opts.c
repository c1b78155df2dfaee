/* gen_opts.c — generation options: Ollama's defaults, overridden by the model's params layer,
 * overridden by the request ("options" object, or OpenAI fields mapped into one); and
 * acquiring the model a request names, with Ollama's errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"
#include "store/store.h"

static void set_stops(lmd_jf *f, const json_t *v, lmd_gen_opts *o) {
    if (!v || json_is_null(v)) return;
    for (int i = 0; i < o->n_stops; i++) free(o->stops[i]);
    o->n_stops = 0;
    if (json_is_string(v)) {
        if (json_string_length(v)) o->stops[o->n_stops++] = strdup(json_string_value(v));
        return;
    }
    if (!json_is_array(v)) {
        lmd_jf_fail(f, "stop", "invalid value for field \"stop\": expected string or array of "
                               "strings");
        return;
    }
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) {
            lmd_jf_fail(f, "stop", "invalid value for field \"stop\": element %zu is not a string",
                        i);
            return;
        }
        if (o->n_stops == LMD_MAX_STOPS) {
            lmd_jf_fail(f, "stop", "too many stop sequences (at most %d)", LMD_MAX_STOPS);
            return;
        }
        if (json_string_length(s)) o->stops[o->n_stops++] = strdup(json_string_value(s));
    }
}

static void apply(lmd_jf *f, const json_t *src, lmd_gen_opts *o) {
    if (!src) return;
    lmd_sampling_params *p = &o->sp;
    p->temperature = (float)lmd_jf_num(f, src, "temperature", p->temperature);
    p->top_k = (int32_t)lmd_jf_int(f, src, "top_k", p->top_k);
    p->top_p = (float)lmd_jf_num(f, src, "top_p", p->top_p);
    p->min_p = (float)lmd_jf_num(f, src, "min_p", p->min_p);
    p->repeat_penalty = (float)lmd_jf_num(f, src, "repeat_penalty", p->repeat_penalty);
    p->repeat_last_n = (int32_t)lmd_jf_int(f, src, "repeat_last_n", p->repeat_last_n);
    p->presence_penalty = (float)lmd_jf_num(f, src, "presence_penalty", p->presence_penalty);
    p->frequency_penalty = (float)lmd_jf_num(f, src, "frequency_penalty", p->frequency_penalty);
    p->seed = lmd_jf_int(f, src, "seed", p->seed);
    o->num_predict = lmd_jf_int(f, src, "num_predict", o->num_predict);
    o->num_ctx = lmd_jf_int(f, src, "num_ctx", o->num_ctx);
    /* accepted and type-checked, not used by this engine */
    (void)lmd_jf_int(f, src, "num_keep", 0);
    (void)lmd_jf_num(f, src, "typical_p", 1);
    (void)lmd_jf_int(f, src, "num_batch", 0);
    (void)lmd_jf_int(f, src, "num_thread", 0);
    (void)lmd_jf_int(f, src, "num_gpu", 0);
    (void)lmd_jf_int(f, src, "mirostat", 0);
    if (!f->failed) set_stops(f, json_object_get(src, "stop"), o);
    if (f->failed) return;
    if (p->repeat_last_n < -1) lmd_jf_fail(f, "repeat_last_n", "repeat_last_n must be >= -1");
    if (p->temperature < 0) lmd_jf_fail(f, "temperature", "temperature must be >= 0");
    if (o->num_ctx < 0) lmd_jf_fail(f, "num_ctx", "num_ctx must be positive");
}

void lmd_gen_opts_parse(lmd_jf *f, const json_t *model_params, const json_t *options,
                        lmd_gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->sp = (lmd_sampling_params){ .temperature = 0.8f, .top_k = 40, .top_p = 0.9f,
                                   .min_p = 0.0f, .repeat_penalty = 1.1f, .repeat_last_n = 64,
                                   .seed = -1 };
    o->num_predict = -1;
    lmd_jf ignored = { 0 };
    apply(&ignored, model_params, o);   /* the model's own params are trusted defaults */
    apply(f, options, o);
    if (o->num_predict == -2) o->num_predict = -1;   /* "fill the context" */
}

void lmd_gen_opts_free(lmd_gen_opts *o) {
    for (int i = 0; i < o->n_stops; i++) free(o->stops[i]);
    o->n_stops = 0;
}

lmd_model_inst *lmd_gen_acquire(lmd_conn *c, const char *model, int64_t num_ctx,
                                bool *loaded_now, int64_t *load_ns, enum MHD_Result *result) {
    lmd_model_inst *inst = NULL;
    lmd_err err = { 0 };
    lmd_status st = lmd_models_acquire(c->srv->models, model, num_ctx, &inst, loaded_now, &err);
    if (st == LMD_OK) {
        if (load_ns) *load_ns = loaded_now && *loaded_now ? inst->load_ns : 0;
        return inst;
    }
    if (st == LMD_E_NOT_FOUND)
        *result = lmd_reply_error(c, 404, "model", "model_not_found",
                                  "model \"%s\" not found, try pulling it first", model);
    else
        *result = lmd_reply_error(c, lmd_http_status(st), "model", NULL, "%s", err.msg);
    return NULL;
}
