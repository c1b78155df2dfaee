/* chat.c — chat templates: where they come from (GGUF key, Jinja text, ChatML fallback, a
 * plugged-in renderer) and turning messages into the prompt. */
#include <stdlib.h>
#include <string.h>

#include "chat/chat.h"
#include "template/jinja.h"

/* llama.cpp's ChatML, used when a GGUF carries no tokenizer.chat_template. */
static const char CHATML[] =
    "{%- for message in messages -%}\n"
    "  {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "  {{- '<|im_start|>assistant\\n' -}}\n"
    "{%- endif -%}";

struct lmd_chat_template {
    lmd_chat_kind kind;
    lmd_jinja *jinja;
    lmd_chat_render_fn fn;
    void *ctx;
    void (*free_ctx)(void *);
    char *source;
    char *bos, *eos;
};

void lmd_chat_template_free(lmd_chat_template *t) {
    if (!t) return;
    lmd_jinja_free(t->jinja);
    if (t->free_ctx) t->free_ctx(t->ctx);
    free(t->source);
    free(t->bos);
    free(t->eos);
    free(t);
}

static char *dup_n(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) {
        if (n) memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

static lmd_status make_jinja(lmd_chat_kind kind, const char *src, size_t len, const char *bos,
                             size_t bos_n, const char *eos, size_t eos_n, lmd_chat_template **out,
                             lmd_err *err) {
    *out = NULL;
    lmd_chat_template *t = calloc(1, sizeof *t);
    if (!t) return lmd_err_set(err, LMD_E_NOMEM, "chat template: out of memory");
    t->kind = kind;
    t->source = dup_n(src, len);
    t->bos = dup_n(bos ? bos : "", bos ? bos_n : 0);
    t->eos = dup_n(eos ? eos : "", eos ? eos_n : 0);
    if (!t->source || !t->bos || !t->eos) {
        lmd_chat_template_free(t);
        return lmd_err_set(err, LMD_E_NOMEM, "chat template: out of memory");
    }
    lmd_status st = lmd_jinja_parse(src, len, NULL, &t->jinja, err);
    if (st != LMD_OK) {
        lmd_chat_template_free(t);
        return st;
    }
    *out = t;
    return LMD_OK;
}

lmd_status lmd_chat_template_from_jinja(const char *src, size_t len, const char *bos_text,
                                        const char *eos_text, lmd_chat_template **out,
                                        lmd_err *err) {
    return make_jinja(LMD_CHAT_JINJA, src, len, bos_text, bos_text ? strlen(bos_text) : 0,
                      eos_text, eos_text ? strlen(eos_text) : 0, out, err);
}

lmd_status lmd_chat_template_chatml(lmd_chat_template **out, lmd_err *err) {
    return make_jinja(LMD_CHAT_CHATML, CHATML, sizeof CHATML - 1, NULL, 0, NULL, 0, out, err);
}

/* Text of the token whose id is stored under key, or an empty view. */
static lmd_str token_text(const lmd_gguf *g, const char *key) {
    uint64_t id;
    const lmd_gguf_value *toks = NULL;
    if (lmd_gguf_get_uint(g, key, &id, NULL) != LMD_OK) return (lmd_str){ "", 0 };
    if (lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &toks, NULL) != LMD_OK ||
        !toks->arr.strs || id >= toks->arr.n)
        return (lmd_str){ "", 0 };
    return toks->arr.strs[id];
}

lmd_status lmd_chat_template_from_gguf(const lmd_gguf *g, lmd_chat_template **out, lmd_err *err) {
    lmd_str bos = token_text(g, "tokenizer.ggml.bos_token_id");
    lmd_str eos = token_text(g, "tokenizer.ggml.eos_token_id");
    lmd_str src;
    lmd_status st = lmd_gguf_get_str(g, "tokenizer.chat_template", &src, NULL);
    if (st != LMD_OK) /* absent or not a string: llama.cpp falls back to ChatML */
        return make_jinja(LMD_CHAT_CHATML, CHATML, sizeof CHATML - 1, bos.ptr, bos.len, eos.ptr,
                          eos.len, out, err);
    st = make_jinja(LMD_CHAT_JINJA, src.ptr, src.len, bos.ptr, bos.len, eos.ptr, eos.len, out, err);
    if (st != LMD_OK && err && !strstr(err->msg, "tokenizer.chat_template")) {
        /* Say where the template came from: prefix the message once. */
        char msg[LMD_ERR_MSG_BYTES * 4];
        snprintf(msg, sizeof msg, "%s: tokenizer.chat_template: %s", lmd_gguf_path(g), err->msg);
        memcpy(err->msg, msg, LMD_ERR_MSG_BYTES - 1);
        err->msg[LMD_ERR_MSG_BYTES - 1] = 0;
    }
    return st;
}

lmd_status lmd_chat_template_from_renderer(lmd_chat_render_fn fn, void *ctx,
                                           void (*free_ctx)(void *), const char *source,
                                           lmd_chat_template **out, lmd_err *err) {
    *out = NULL;
    lmd_chat_template *t = calloc(1, sizeof *t);
    if (!t) {
        if (free_ctx) free_ctx(ctx);
        return lmd_err_set(err, LMD_E_NOMEM, "chat template: out of memory");
    }
    t->kind = LMD_CHAT_CUSTOM;
    t->fn = fn;
    t->ctx = ctx;
    t->free_ctx = free_ctx;
    t->source = dup_n(source ? source : "", source ? strlen(source) : 0);
    t->bos = dup_n("", 0);
    t->eos = dup_n("", 0);
    if (!t->source || !t->bos || !t->eos) {
        lmd_chat_template_free(t);
        return lmd_err_set(err, LMD_E_NOMEM, "chat template: out of memory");
    }
    *out = t;
    return LMD_OK;
}

lmd_chat_kind lmd_chat_template_kind(const lmd_chat_template *t) { return t->kind; }
const char *lmd_chat_template_source(const lmd_chat_template *t) { return t->source; }
const char *lmd_chat_template_bos(const lmd_chat_template *t) { return t->bos; }
const char *lmd_chat_template_eos(const lmd_chat_template *t) { return t->eos; }

/* The variables HF passes: messages (system first when asked), tools (None when absent),
 * add_generation_prompt, bos_token, eos_token, then extras (which may override nothing
 * above but messages/tools). */
static lmd_status build_vars(const lmd_chat_template *t, const lmd_chat_input *in, json_t **out,
                             lmd_err *err) {
    *out = NULL;
    if (!in->messages || !json_is_array(in->messages))
        return lmd_err_set(err, LMD_E_INVALID, "chat: messages must be an array");
    size_t i;
    json_t *m;
    json_array_foreach(in->messages, i, m) {
        if (!json_is_object(m) || !json_is_string(json_object_get(m, "role")))
            return lmd_err_set(err, LMD_E_INVALID, "chat: message %zu has no string 'role'", i);
    }
    if (in->tools && !json_is_array(in->tools) && !json_is_null(in->tools))
        return lmd_err_set(err, LMD_E_INVALID, "chat: tools must be an array");
    if (in->extra && !json_is_object(in->extra))
        return lmd_err_set(err, LMD_E_INVALID, "chat: extra template variables must be an object");
    json_t *vars = json_object(), *msgs = json_array();
    if (!vars || !msgs) goto nomem;
    if (in->extra && json_object_update(vars, (json_t *)in->extra) != 0) goto nomem;
    json_t *first = json_array_get(in->messages, 0);
    const char *first_role = first ? json_string_value(json_object_get(first, "role")) : NULL;
    if (in->system && (!first_role || strcmp(first_role, "system") != 0)) {
        json_t *sys = json_pack("{s:s, s:s}", "role", "system", "content", in->system);
        if (!sys || json_array_append_new(msgs, sys) != 0) goto nomem;
    }
    json_array_foreach(in->messages, i, m) {
        if (json_array_append(msgs, m) != 0) goto nomem;
    }
    if (json_object_set_new(vars, "messages", msgs) != 0) { msgs = NULL; goto nomem; }
    msgs = NULL;
    if (json_object_set_new(vars, "tools", in->tools ? json_incref((json_t *)in->tools) : json_null()) ||
        json_object_set_new(vars, "add_generation_prompt", json_boolean(in->add_generation_prompt)) ||
        json_object_set_new(vars, "bos_token", json_string(t->bos)) ||
        json_object_set_new(vars, "eos_token", json_string(t->eos)))
        goto nomem;
    /* HF passes documents=None too (RAG templates test it); extras may set it. */
    if (!json_object_get(vars, "documents") && json_object_set_new(vars, "documents", json_null()))
        goto nomem;
    *out = vars;
    return LMD_OK;
nomem:
    json_decref(msgs);
    json_decref(vars);
    return lmd_err_set(err, LMD_E_NOMEM, "chat: out of memory building template variables");
}

lmd_status lmd_chat_apply(const lmd_chat_template *t, const lmd_chat_input *in, char **out,
                          size_t *out_len, lmd_err *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    json_t *vars;
    lmd_status st = build_vars(t, in, &vars, err);
    if (st != LMD_OK) return st;
    char *text = NULL;
    size_t n = 0;
    if (t->jinja) st = lmd_jinja_render(t->jinja, vars, &text, &n, err);
    else st = t->fn(t->ctx, vars, &text, &n, err);
    json_decref(vars);
    if (st != LMD_OK) return st;
    size_t bos_n = strlen(t->bos);
    if (in->strip_bos && bos_n && n >= bos_n && !memcmp(text, t->bos, bos_n)) {
        memmove(text, text + bos_n, n - bos_n + 1);
        n -= bos_n;
    }
    *out = text;
    if (out_len) *out_len = n;
    return LMD_OK;
}
