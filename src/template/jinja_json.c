/* jinja_json.c — JSON into interpreter values (the render context), and values out as JSON the
 * way HF's tojson filter writes them: json.dumps(x, ensure_ascii=False, indent=..,
 * separators=.., sort_keys=..). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

jv *jx_from_json(jx_ctx *c, const json_t *j, int depth) {
    if (depth > c->lim->max_depth)
        return jx_fail(c, NULL, LMD_E_LIMIT, "context JSON nested deeper than %d",
                       c->lim->max_depth);
    switch (json_typeof(j)) {
    case JSON_NULL: return &jx_none;
    case JSON_TRUE: return &jx_true;
    case JSON_FALSE: return &jx_false;
    case JSON_INTEGER: return jv_int(c, (int64_t)json_integer_value(j));
    case JSON_REAL: return jv_float(c, json_real_value(j));
    case JSON_STRING: return jv_str_ref(c, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        jv *l = jv_list(c, json_array_size(j));
        if (!l) return NULL;
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x) {
            jv *v = jx_from_json(c, x, depth + 1);
            if (!v || !jv_list_push(c, l, v)) return NULL;
        }
        return l;
    }
    case JSON_OBJECT: {
        jv *d = jv_dict(c, json_object_size(j));
        if (!d) return NULL;
        const char *k;
        json_t *x;
        /* jansson keeps insertion order, as Python dicts do. */
        json_object_foreach((json_t *)j, k, x) {
            jv *key = jv_str_ref(c, k, strlen(k));
            jv *v = key ? jx_from_json(c, x, depth + 1) : NULL;
            if (!v || !jv_dict_set(c, d, key, v)) return NULL;
        }
        return d;
    }
    }
    return jx_fail(c, NULL, LMD_E_INTERNAL, "unknown JSON type");
}

static bool json_str(jx_ctx *c, jx_buf *b, const char *p, size_t n) {
    if (!jx_buf_putc(c, b, '"')) return false;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        const char *e = NULL;
        char tmp[8];
        if (ch == '"') e = "\\\"";
        else if (ch == '\\') e = "\\\\";
        else if (ch == '\n') e = "\\n";
        else if (ch == '\r') e = "\\r";
        else if (ch == '\t') e = "\\t";
        else if (ch == '\b') e = "\\b";
        else if (ch == '\f') e = "\\f";
        else if (ch < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", ch);
            e = tmp;
        }
        if (!e) continue;
        if (!jx_buf_put(c, b, p + run, i - run) || !jx_buf_puts(c, b, e)) return false;
        run = i + 1;
    }
    return jx_buf_put(c, b, p + run, n - run) && jx_buf_putc(c, b, '"');
}

static bool json_num(jx_ctx *c, jx_buf *b, const jv *v) {
    char tmp[64];
    if (v->k == JV_INT) snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
    else if (v->u.f != v->u.f) snprintf(tmp, sizeof tmp, "NaN");
    else if (isinf(v->u.f)) snprintf(tmp, sizeof tmp, v->u.f < 0 ? "-Infinity" : "Infinity");
    else jx_float_repr(v->u.f, tmp, sizeof tmp);
    return jx_buf_puts(c, b, tmp);
}

typedef struct {
    int indent;
    bool sort_keys;
    const char *item_sep, *key_sep;
    const jx_node *at;
} dump_opts;

static bool newline_indent(jx_ctx *c, jx_buf *b, const dump_opts *o, int level) {
    if (!jx_buf_putc(c, b, '\n')) return false;
    for (int i = 0; i < o->indent * level; i++)
        if (!jx_buf_putc(c, b, ' ')) return false;
    return true;
}

/* A dict key as json.dumps converts it (str stays, numbers/bools/None become text). */
static bool key_text(jx_ctx *c, jx_buf *b, const jv *k, const dump_opts *o) {
    if (k->k == JV_STR) return json_str(c, b, k->u.s.p, k->u.s.n);
    jx_buf t = { .max = 64 };
    bool ok;
    if (k->k == JV_BOOL) ok = jx_buf_puts(c, &t, k->u.b ? "true" : "false");
    else if (k->k == JV_NONE) ok = jx_buf_puts(c, &t, "null");
    else if (k->k == JV_INT || k->k == JV_FLOAT) ok = json_num(c, &t, k);
    else {
        jx_fail(c, o->at, LMD_E_INVALID, "tojson: keys must be str, int, float, bool or None, "
                "not %s", jv_type_name(k));
        return false;
    }
    ok = ok && json_str(c, b, t.p, t.n);
    free(t.p);
    return ok;
}

static bool dump(jx_ctx *c, jx_buf *b, const jv *v, const dump_opts *o, int level);

static int cmp_keys(const jv *a, const jv *b) {
    int r = 0;
    jv_compare(a, b, &r);
    return r;
}

static bool dump_dict(jx_ctx *c, jx_buf *b, const jv *v, const dump_opts *o, int level) {
    size_t n = v->u.d.n;
    if (n == 0) return jx_buf_puts(c, b, "{}");
    size_t *order = jx_arena_alloc(&c->arena, n * sizeof *order);
    if (!order) return jx_fail(c, o->at, LMD_E_LIMIT, "render memory exceeded"), false;
    for (size_t i = 0; i < n; i++) order[i] = i;
    if (o->sort_keys) /* insertion sort: stable, and dicts in templates are small */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && cmp_keys(v->u.d.key[order[j - 1]], v->u.d.key[order[j]]) > 0; j--) {
                size_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
    if (!jx_buf_putc(c, b, '{')) return false;
    for (size_t i = 0; i < n; i++) {
        if (i && !jx_buf_puts(c, b, o->item_sep)) return false;
        if (o->indent >= 0 && !newline_indent(c, b, o, level + 1)) return false;
        if (!key_text(c, b, v->u.d.key[order[i]], o) || !jx_buf_puts(c, b, o->key_sep) ||
            !dump(c, b, v->u.d.val[order[i]], o, level + 1))
            return false;
    }
    if (o->indent >= 0 && !newline_indent(c, b, o, level)) return false;
    return jx_buf_putc(c, b, '}');
}

static bool dump(jx_ctx *c, jx_buf *b, const jv *v, const dump_opts *o, int level) {
    if (level > c->lim->max_depth) {
        jx_fail(c, o->at, LMD_E_LIMIT, "tojson: value nested deeper than %d", c->lim->max_depth);
        return false;
    }
    switch (v->k) {
    case JV_NONE: return jx_buf_puts(c, b, "null");
    case JV_BOOL: return jx_buf_puts(c, b, v->u.b ? "true" : "false");
    case JV_INT: case JV_FLOAT: return json_num(c, b, v);
    case JV_STR: return json_str(c, b, v->u.s.p, v->u.s.n);
    case JV_LIST:
        if (v->u.l.n == 0) return jx_buf_puts(c, b, "[]");
        if (!jx_buf_putc(c, b, '[')) return false;
        for (size_t i = 0; i < v->u.l.n; i++) {
            if (i && !jx_buf_puts(c, b, o->item_sep)) return false;
            if (o->indent >= 0 && !newline_indent(c, b, o, level + 1)) return false;
            if (!dump(c, b, v->u.l.v[i], o, level + 1)) return false;
        }
        if (o->indent >= 0 && !newline_indent(c, b, o, level)) return false;
        return jx_buf_putc(c, b, ']');
    case JV_DICT: return dump_dict(c, b, v, o, level);
    default:
        jx_fail(c, o->at, LMD_E_INVALID, "tojson: Object of type %s is not JSON serializable",
                jv_type_name(v));
        return false;
    }
}

bool jx_tojson(jx_ctx *c, jx_buf *b, const jv *v, int indent, bool sort_keys,
               const char *item_sep, const char *key_sep, const jx_node *at) {
    dump_opts o = { .indent = indent, .sort_keys = sort_keys, .at = at };
    o.item_sep = item_sep ? item_sep : indent >= 0 ? "," : ", ";
    o.key_sep = key_sep ? key_sep : ": ";
    return dump(c, b, v, &o, 0);
}
