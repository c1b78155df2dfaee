/* prompt.c — turning a request into prompt text as Ollama does: the model's Go template
 * (template layer, or a request's "template") rendered with Ollama's values (messages with
 * the model's system prompt first unless the request has one; for /api/generate a system
 * and a user message); without a template layer, the GGUF's Jinja chat template with
 * add_generation_prompt; with neither, "{{ .Prompt }}". Raw requests bypass this. */
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"
#include "template/gotmpl.h"
#include "template/jinja.h"

static char *render(const lmd_srv_model *sm, const lmd_gotmpl *override, json_t *messages,
                    lmd_err *err) {
    char *out = NULL;
    size_t len = 0;
    lmd_status st;
    if (!override && !sm->gotmpl && sm->jinja) {
        json_t *ctx = json_pack("{s:O,s:b,s:s,s:s}", "messages", messages,
                                "add_generation_prompt", 1, "bos_token",
                                sm->bos_text ? sm->bos_text : "", "eos_token",
                                sm->eos_text ? sm->eos_text : "");
        st = lmd_jinja_render(sm->jinja, ctx, &out, &len, err);
        json_decref(ctx);
    } else {
        const lmd_gotmpl *t = override ? override : sm->gotmpl;
        lmd_gotmpl *dflt = NULL;
        if (!t) {
            st = lmd_gotmpl_parse("{{ .Prompt }}", 13, "default", NULL, &dflt, err);
            if (st != LMD_OK) return NULL;
            t = dflt;
        }
        json_t *values = json_pack("{s:O}", "messages", messages);
        st = lmd_gotmpl_render_ollama(t, values, &out, &len, err);
        json_decref(values);
        lmd_gotmpl_free(dflt);
    }
    return st == LMD_OK ? out : NULL;
}

char *lmd_render_generate(const lmd_srv_model *sm, const char *template_override,
                          const char *system, const char *prompt, lmd_err *err) {
    lmd_gotmpl *over = NULL;
    if (template_override && *template_override &&
        lmd_gotmpl_parse(template_override, strlen(template_override), "template", NULL, &over,
                         err) != LMD_OK)
        return NULL;
    const char *sys = system ? system : sm->system;
    json_t *msgs = json_array();
    if (sys && *sys) json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", sys));
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", prompt));
    char *out = render(sm, over, msgs, err);
    json_decref(msgs);
    lmd_gotmpl_free(over);
    return out;
}

char *lmd_render_chat(const lmd_srv_model *sm, const json_t *messages, lmd_err *err) {
    json_t *msgs = json_array();
    const json_t *first = json_array_get(messages, 0);
    const char *role0 = first ? json_string_value(json_object_get(first, "role")) : NULL;
    if (sm->system && *sm->system && !(role0 && !strcmp(role0, "system")))
        json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", sm->system));
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        /* only what templates read: role and content */
        const json_t *content = json_object_get(m, "content");
        json_array_append_new(msgs, json_pack("{s:O,s:s}", "role", json_object_get(m, "role"),
                                              "content", json_is_string(content)
                                                             ? json_string_value(content)
                                                             : ""));
    }
    char *out = render(sm, NULL, msgs, err);
    json_decref(msgs);
    return out;
}
