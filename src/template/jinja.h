/* jinja.h — a Jinja2 subset interpreter for the chat templates carried by GGUF files and HF
 * tokenizer configs (tokenizer.chat_template).
 *
 * It renders byte for byte what python3-jinja2 renders in the environment Hugging Face's
 * apply_chat_template uses: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
 * extensions=[loopcontrols]) with the globals raise_exception and strftime_now and HF's tojson.
 * Anything outside the subset (extends, include, import, call blocks, recursive loops, ...) is
 * an LMD_E_UNSUPPORTED error naming the feature, line and column; syntax errors name line and
 * column. Nesting depth, output size, loop iterations and memory are capped (hostile input).
 * It does no tokenization and knows nothing about models: chat/ builds the context. */
#ifndef LMD_TEMPLATE_JINJA_H
#define LMD_TEMPLATE_JINJA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct lmd_jinja lmd_jinja;

/* Caps for one template; zero fields take the defaults below. */
typedef struct {
    size_t max_source_bytes;     /* default 1 MiB */
    int max_depth;               /* nesting of blocks, expressions and macro calls; default 64 */
    size_t max_output_bytes;     /* default 16 MiB */
    size_t max_memory_bytes;     /* per render (values, scopes, strings); default 256 MiB */
    uint64_t max_loop_iterations; /* total over one render; default 1,000,000 */
    int64_t now_epoch_s;         /* time strftime_now() reports; 0 = the real clock */
} lmd_jinja_limits;

#define LMD_JINJA_DEFAULT_MAX_SOURCE_BYTES ((size_t)1 << 20)
#define LMD_JINJA_DEFAULT_MAX_DEPTH 64
#define LMD_JINJA_DEFAULT_MAX_OUTPUT_BYTES ((size_t)16 << 20)
#define LMD_JINJA_DEFAULT_MAX_MEMORY_BYTES ((size_t)256 << 20)
#define LMD_JINJA_DEFAULT_MAX_LOOP_ITERATIONS 1000000u

/* Parses template text (src, len bytes, need not be NUL-terminated; must be UTF-8). On success
 * *out owns the parsed template (free with lmd_jinja_free); src is copied, not borrowed. On
 * failure *out is NULL and err says "template:LINE:COL: ..." (FORMAT for syntax errors,
 * UNSUPPORTED for features outside the subset, LIMIT for caps). lim may be NULL. */
lmd_status lmd_jinja_parse(const char *src, size_t len, const lmd_jinja_limits *lim,
                           lmd_jinja **out, lmd_err *err);

/* Frees a template from lmd_jinja_parse; NULL is fine. */
void lmd_jinja_free(lmd_jinja *t);

/* Renders with the variables of ctx (a JSON object: messages, tools, add_generation_prompt,
 * bos_token, eos_token, any extra kwargs; JSON null is Python None). On success *out is a new
 * NUL-terminated heap string of *out_len bytes (free with free()). The template may be rendered
 * many times and from several threads at once (it is not modified). raise_exception(msg) in
 * the template fails with LMD_E_INVALID and msg; caps fail with LMD_E_LIMIT. */
lmd_status lmd_jinja_render(const lmd_jinja *t, const json_t *ctx, char **out, size_t *out_len,
                            lmd_err *err);

#endif
