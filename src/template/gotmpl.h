/* gotmpl.h — a Go text/template subset interpreter for Ollama's prompt templates.
 *
 * Parses a template once, renders it many times, byte-identical to Go's text/template
 * (option missingkey=zero, as Ollama sets it) for the language Ollama's templates use:
 * actions with trim markers, comments, pipelines, variables, if/else if/with/range (with
 * break/continue), define/template/block, the builtins and/or/not/eq/ne/lt/le/gt/ge/len/
 * index/slice/print/printf/println and Ollama's json, currentDate, yesterdayDate,
 * toTypeScriptType. html, js, urlquery and call are rejected at parse time as unsupported.
 * It does not touch files or the network; every size, depth and step count is capped.
 * A parsed template is read-only: several threads may render it at once. */
#ifndef LMD_TEMPLATE_GOTMPL_H
#define LMD_TEMPLATE_GOTMPL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct lmd_gotmpl lmd_gotmpl;

/* Caps; zero fields take the defaults shown. */
typedef struct {
    size_t max_source_bytes; /* template text; default 1 MiB */
    size_t max_output_bytes; /* rendered text; default 16 MiB */
    int max_depth;           /* nesting of blocks, parentheses and template calls; default 100 */
    int64_t max_steps;       /* evaluated nodes per render (stops runaway loops); default 10M */
} lmd_gotmpl_limits;

/* Parses template text (need not be NUL-terminated). `name` (may be NULL) names the template
 * in error messages, which carry line:col. On success *out owns the template (free with
 * lmd_gotmpl_free); the source is copied, so src may be freed afterwards. */
lmd_status lmd_gotmpl_parse(const char *src, size_t len, const char *name,
                            const lmd_gotmpl_limits *lim, lmd_gotmpl **out, lmd_err *err);

/* Frees a template; NULL is fine. */
void lmd_gotmpl_free(lmd_gotmpl *t);

/* True when the template mentions the field or variable name `ident` anywhere (compared
 * case-insensitively, as Ollama's Template.Vars does), e.g. "messages", "response". */
bool lmd_gotmpl_uses(const lmd_gotmpl *t, const char *ident);

/* Renders with `data` as Go would see the same JSON decoded by encoding/json into `any`
 * (objects are map[string]any, numbers float64). On success *out is a NUL-terminated heap
 * string the caller frees, *out_len its length (may be NULL). On failure *out is NULL and
 * err names template, line:col and what went wrong. */
lmd_status lmd_gotmpl_render_json(const lmd_gotmpl *t, const json_t *data, char **out,
                                  size_t *out_len, lmd_err *err);

/* Renders as Ollama's Template.Execute does with its Values. `values` is an object:
 *   "messages": [api.Message JSON: role, content, thinking, images, tool_calls, tool_name,
 *                tool_call_id], "tools": [api.Tool JSON], "prompt", "suffix": strings,
 *   "think", "is_think_set": booleans, "think_level": string — all optional.
 * Consecutive messages of one role are merged and system messages gathered into .System;
 * templates without .Messages are run turn by turn (Ollama's legacy path), and a template
 * that mentions neither .Messages nor .Response gets {{ .Response }} appended. Ownership as
 * lmd_gotmpl_render_json. Bad values (wrong JSON types) fail with LMD_E_INVALID. */
lmd_status lmd_gotmpl_render_ollama(const lmd_gotmpl *t, const json_t *values, char **out,
                                    size_t *out_len, lmd_err *err);

#endif
