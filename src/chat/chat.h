/* chat.h — messages (+ system prompt, tools) into a model's prompt text through its chat
 * template; shared by `lmd run` and the server.
 *
 * A template comes from a GGUF's tokenizer.chat_template (Jinja, rendered as HF's
 * apply_chat_template does), from Jinja text, or from any other renderer plugged in through
 * lmd_chat_template_from_renderer (the hook for Ollama's Go templates). A GGUF without a
 * template gets llama.cpp's fallback, ChatML. Not here: tokenizing, parsing model output. */
#ifndef LMD_CHAT_H
#define LMD_CHAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gguf/gguf.h"
#include "util/err.h"

typedef struct lmd_chat_template lmd_chat_template;

typedef enum {
    LMD_CHAT_JINJA = 1,    /* tokenizer.chat_template or Jinja text */
    LMD_CHAT_CHATML,       /* the fallback for a GGUF without a template (a Jinja ChatML) */
    LMD_CHAT_CUSTOM,       /* a renderer from lmd_chat_template_from_renderer */
} lmd_chat_kind;

/* What a template renders: the JSON variables HF passes (messages, tools,
 * add_generation_prompt, bos_token, eos_token, extra kwargs). A renderer returns a malloc'd
 * NUL-terminated prompt in *out (length *out_len). */
typedef lmd_status (*lmd_chat_render_fn)(void *ctx, const json_t *vars, char **out,
                                         size_t *out_len, lmd_err *err);

/* Template of a GGUF: tokenizer.chat_template when present, else ChatML (llama.cpp's
 * fallback); bos/eos token texts from the vocabulary. g is only read during the call.
 * A template that fails to parse is an error (FORMAT / UNSUPPORTED naming line:col). */
lmd_status lmd_chat_template_from_gguf(const lmd_gguf *g, lmd_chat_template **out, lmd_err *err);

/* Template from Jinja text (copied). bos/eos may be NULL (empty). */
lmd_status lmd_chat_template_from_jinja(const char *src, size_t len, const char *bos_text,
                                        const char *eos_text, lmd_chat_template **out,
                                        lmd_err *err);

/* The fallback ChatML template. */
lmd_status lmd_chat_template_chatml(lmd_chat_template **out, lmd_err *err);

/* A template rendered by fn (e.g. an Ollama Go template). Takes ownership of ctx: free_ctx
 * (may be NULL) is called on it by lmd_chat_template_free. source is the template text shown
 * by `/show template` (copied; may be NULL). */
lmd_status lmd_chat_template_from_renderer(lmd_chat_render_fn fn, void *ctx,
                                           void (*free_ctx)(void *), const char *source,
                                           lmd_chat_template **out, lmd_err *err);

void lmd_chat_template_free(lmd_chat_template *t);

lmd_chat_kind lmd_chat_template_kind(const lmd_chat_template *t);
/* The template text (the ChatML text for the fallback); valid until free. */
const char *lmd_chat_template_source(const lmd_chat_template *t);
const char *lmd_chat_template_bos(const lmd_chat_template *t);  /* "" when none */
const char *lmd_chat_template_eos(const lmd_chat_template *t);

typedef struct {
    const json_t *messages;      /* array of {"role", "content", ...} (OpenAI/Ollama shape) */
    const char *system;          /* when set and messages do not start with a system message,
                                    one is put first */
    const json_t *tools;         /* array, or NULL (the template sees None) */
    bool add_generation_prompt;
    const json_t *extra;         /* object of extra variables (enable_thinking, ...), or NULL */
    bool strip_bos;              /* drop a leading bos text (the tokenizer adds BOS itself),
                                    as llama.cpp does */
} lmd_chat_input;

/* Renders the prompt. *out is malloc'd and NUL-terminated (length *out_len); the caller
 * frees it. Bad messages (not an array, a message without role) are LMD_E_INVALID; a
 * template's raise_exception is LMD_E_INVALID with its message. */
lmd_status lmd_chat_apply(const lmd_chat_template *t, const lmd_chat_input *in, char **out,
                          size_t *out_len, lmd_err *err);

#endif
