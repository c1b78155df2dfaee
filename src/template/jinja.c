/* jinja.c — the public entry points: parse (normalize, lex, parse) and render (context JSON
 * into the root scope, run the tree, hand back the text). */
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

static void fill_limits(lmd_jinja_limits *l, const lmd_jinja_limits *in) {
    if (in) *l = *in;
    if (!l->max_source_bytes) l->max_source_bytes = LMD_JINJA_DEFAULT_MAX_SOURCE_BYTES;
    if (l->max_depth <= 0) l->max_depth = LMD_JINJA_DEFAULT_MAX_DEPTH;
    if (!l->max_output_bytes) l->max_output_bytes = LMD_JINJA_DEFAULT_MAX_OUTPUT_BYTES;
    if (!l->max_memory_bytes) l->max_memory_bytes = LMD_JINJA_DEFAULT_MAX_MEMORY_BYTES;
    if (!l->max_loop_iterations) l->max_loop_iterations = LMD_JINJA_DEFAULT_MAX_LOOP_ITERATIONS;
}

void lmd_jinja_free(lmd_jinja *t) {
    if (!t) return;
    jx_arena_free(&t->arena);
    free(t->src);
    free(t);
}

lmd_status lmd_jinja_parse(const char *src, size_t len, const lmd_jinja_limits *lim,
                           lmd_jinja **out, lmd_err *err) {
    *out = NULL;
    lmd_jinja *t = calloc(1, sizeof *t);
    if (!t) return lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
    fill_limits(&t->lim, lim);
    lmd_status st;
    jx_toks toks = { 0 };
    if (len > t->lim.max_source_bytes) {
        st = lmd_err_set(err, LMD_E_LIMIT, "template: %zu bytes exceeds the limit of %zu", len,
                         t->lim.max_source_bytes);
        goto fail;
    }
    if (!lmd_utf8_valid(src, len) || memchr(src, 0, len)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "template: not valid UTF-8 text");
        goto fail;
    }
    t->arena.cap_bytes = t->lim.max_memory_bytes;
    /* jinja2 turns \r\n and \r into \n and drops one trailing newline (keep_trailing_newline
     * is off in HF's environment). */
    t->src = malloc(len + 1);
    if (!t->src) {
        st = lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
        goto fail;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            t->src[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            t->src[n++] = src[i];
        }
    }
    if (n && t->src[n - 1] == '\n') n--;
    t->src[n] = 0;
    t->src_n = n;
    if ((st = jx_lex(t, &toks, err)) != LMD_OK) goto fail;
    if ((st = jx_parse(t, &toks, err)) != LMD_OK) goto fail;
    free(toks.v);
    *out = t;
    return LMD_OK;
fail:
    free(toks.v);
    lmd_jinja_free(t);
    return st;
}

lmd_status lmd_jinja_render(const lmd_jinja *t, const json_t *ctx, char **out, size_t *out_len,
                            lmd_err *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    if (ctx && !json_is_object(ctx))
        return lmd_err_set(err, LMD_E_INVALID, "template context must be a JSON object");
    lmd_err local;
    lmd_err_clear(&local);
    jx_ctx c = { .err = err ? err : &local, .lim = &t->lim };
    c.arena.cap_bytes = t->lim.max_memory_bytes;
    jx_buf b = { .max = t->lim.max_output_bytes };
    lmd_status st = LMD_OK;
    jx_scope *root = jx_scope_new(&c, NULL);
    c.root = root;
    if (!root) goto done;
    jx_add_globals(&c, root);
    if (ctx) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)ctx, k, x) {
            jv *v = jx_from_json(&c, x, 1);
            if (!v || !jx_scope_set(&c, root, k, strlen(k), v)) goto done;
        }
    }
    st = jx_exec(&c, root, t->root, &b);
done:
    if (c.err->status != LMD_OK) st = c.err->status;
    else if (st == LMD_OK && !root) st = LMD_E_NOMEM;
    if (st == LMD_OK) {
        if (!b.p && !(b.p = calloc(1, 1))) st = lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
    }
    jx_arena_free(&c.arena);
    if (st != LMD_OK) {
        free(b.p);
        return st;
    }
    *out = b.p;
    if (out_len) *out_len = b.n;
    return LMD_OK;
}
