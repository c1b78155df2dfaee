/* jinja_filters.c — the filters and tests (`x|name(...)`, `x is name ...`) of the subset,
 * with jinja2 3.1's semantics and HF's tojson. A filter or test not listed here is rejected
 * when the template is parsed (LMD_E_UNSUPPORTED naming it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"
#include "template/jinja_str.h"

jv *jx_arg(const jx_args *a, size_t pos, const char *name) {
    if (pos < a->n_args) return a->args[pos];
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; name && i < a->n_kw; i++)
        if (a->kw_n[i] == n && !memcmp(a->kw[i], name, n)) return a->kw_val[i];
    return NULL;
}

static bool arg_int(jx_ctx *c, const jx_args *a, size_t pos, const char *name, int64_t dflt,
                    int64_t *out, const jx_node *at) {
    jv *v = jx_arg(a, pos, name);
    if (!v || v->k == JV_NONE) { *out = dflt; return true; }
    if (v->k == JV_INT || v->k == JV_BOOL) { *out = v->k == JV_BOOL ? v->u.b : v->u.i; return true; }
    jx_fail(c, at, LMD_E_INVALID, "argument '%s' must be an integer, not %s", name, jv_type_name(v));
    return false;
}

static bool arg_bool(const jx_args *a, size_t pos, const char *name, bool dflt) {
    jv *v = jx_arg(a, pos, name);
    return v ? jv_truthy(v) : dflt;
}

static jv *need_str(jx_ctx *c, jv *v) { return jv_to_str(c, v); }

/* Lowercases strings for case-insensitive comparisons (jinja's ignore_case). */
static jv *fold(jx_ctx *c, jv *v, bool case_sensitive) {
    return !case_sensitive && v->k == JV_STR ? jx_str_case(c, v, 'l') : v;
}

/* Follows a dotted attribute path like jinja's make_attrgetter (item first, then attribute;
 * integer parts index lists). */
static jv *attr_path(jx_ctx *c, jv *v, const jv *path, const jx_node *at) {
    if (path->k == JV_INT) return jx_getitem(c, v, path, at);
    if (path->k != JV_STR) return jx_fail(c, at, LMD_E_INVALID, "attribute must be a string");
    const char *p = path->u.s.p, *end = p + path->u.s.n;
    while (v) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
        bool digits = n > 0;
        for (size_t i = 0; i < n; i++) digits &= p[i] >= '0' && p[i] <= '9';
        jv *key = digits ? jv_int(c, strtoll(p, NULL, 10)) : jv_str_ref(c, p, n);
        v = key ? jx_getitem(c, v, key, at) : NULL;
        if (!dot) break;
        p = dot + 1;
    }
    return v;
}

/* Stable merge sort of list items by key; fails (with error set) on unorderable keys. */
static bool sort_items(jx_ctx *c, jv **items, jv **keys, size_t n, bool reverse, const jx_node *at) {
    if (n < 2) return true;
    jv **ti = jx_arena_alloc(&c->arena, n * sizeof *ti), **tk = jx_arena_alloc(&c->arena, n * sizeof *tk);
    if (!ti || !tk) return jx_fail(c, at, LMD_E_LIMIT, "render memory exceeded"), false;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                int r;
                if (!jv_compare(keys[j], keys[i], &r)) {
                    jx_fail(c, at, LMD_E_INVALID, "'<' not supported between instances of '%s' and '%s'",
                            jv_type_name(keys[j]), jv_type_name(keys[i]));
                    return false;
                }
                bool take_right = reverse ? r > 0 : r < 0;
                if (take_right) { ti[k] = items[j]; tk[k++] = keys[j++]; }
                else { ti[k] = items[i]; tk[k++] = keys[i++]; }
            }
            while (i < mid) { ti[k] = items[i]; tk[k++] = keys[i++]; }
            while (j < hi) { ti[k] = items[j]; tk[k++] = keys[j++]; }
        }
        memcpy(items, ti, n * sizeof *ti);
        memcpy(keys, tk, n * sizeof *tk);
    }
    return true;
}

static jv *items_of(jx_ctx *c, jv *v, const jx_node *at) {
    if (v->k == JV_UNDEF) return jv_list(c, 0);
    if (v->k != JV_DICT) return jx_fail(c, at, LMD_E_INVALID, "can only get item pairs from a mapping, not %s", jv_type_name(v));
    jv *l = jv_list(c, v->u.d.n);
    for (size_t i = 0; l && i < v->u.d.n; i++) {
        jv *t = jv_list(c, 2);
        if (!t) return NULL;
        t->is_tuple = true;
        jv_list_push(c, t, v->u.d.key[i]);
        jv_list_push(c, t, v->u.d.val[i]);
        if (!jv_list_push(c, l, t)) return NULL;
    }
    return l;
}

static jv *length_of(jx_ctx *c, jv *v, const jx_node *at) {
    switch (v->k) {
    case JV_STR: return jv_int(c, (int64_t)jx_utf8_count(v->u.s.p, v->u.s.n));
    case JV_LIST: return jv_int(c, (int64_t)v->u.l.n);
    case JV_DICT: case JV_NS: return jv_int(c, (int64_t)v->u.d.n);
    case JV_UNDEF: return jv_int(c, 0);
    default: return jx_fail(c, at, LMD_E_INVALID, "object of type '%s' has no len()", jv_type_name(v));
    }
}

/* select/reject/selectattr/rejectattr: keep items whose test result equals `want`. */
static jv *select_items(jx_ctx *c, jx_scope *s, jv *v, jx_args *a, bool by_attr, bool want,
                        const jx_node *at) {
    /* jinja's select_or_reject starts with `if value:`, so None gives nothing. */
    jv *items = jv_truthy(v) ? jx_iter_list(c, v, at) : jv_list(c, 0);
    if (!items) return NULL;
    size_t first = by_attr ? 1 : 0;
    jv *attr = by_attr ? jx_arg(a, 0, NULL) : NULL;
    if (by_attr && !attr) return jx_fail(c, at, LMD_E_INVALID, "missing parameter for attribute name");
    jv *test = jx_arg(a, first, NULL);
    if (test && test->k != JV_STR) return jx_fail(c, at, LMD_E_INVALID, "test name must be a string");
    jx_args ta = { .args = a->args + (a->n_args > first + 1 ? first + 1 : a->n_args),
                   .n_args = a->n_args > first + 1 ? a->n_args - first - 1 : 0 };
    jv *out = jv_list(c, 0);
    for (size_t i = 0; out && i < items->u.l.n; i++) {
        jv *x = items->u.l.v[i];
        if (attr && !(x = attr_path(c, x, attr, at))) return NULL;
        bool r;
        if (test) {
            if (!jx_apply_test(c, s, test->u.s.p, test->u.s.n, x, &ta, at, &r)) return NULL;
        } else {
            r = jv_truthy(x);
        }
        if (r == want && !jv_list_push(c, out, items->u.l.v[i])) return NULL;
    }
    return out;
}

static jv *map_items(jx_ctx *c, jx_scope *s, jv *v, jx_args *a, const jx_node *at) {
    jv *items = jv_truthy(v) ? jx_iter_list(c, v, at) : jv_list(c, 0);  /* `if value:` */
    if (!items) return NULL;
    jv *attr = jx_arg(a, 99, "attribute"), *dflt = jx_arg(a, 99, "default");
    jv *fname = attr ? NULL : jx_arg(a, 0, NULL);
    if (!attr && (!fname || fname->k != JV_STR))
        return jx_fail(c, at, LMD_E_INVALID, "map needs a filter name or attribute=");
    if (fname && !jx_has_filter(fname->u.s.p, fname->u.s.n))
        return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: no filter named '%.*s'",
                       (int)fname->u.s.n, fname->u.s.p);
    jx_args fa = { .args = a->n_args > 1 ? a->args + 1 : a->args, .n_args = a->n_args > 1 ? a->n_args - 1 : 0 };
    jv *out = jv_list(c, items->u.l.n);
    for (size_t i = 0; out && i < items->u.l.n; i++) {
        jv *x = items->u.l.v[i];
        x = attr ? attr_path(c, x, attr, at) : jx_apply_filter(c, s, fname->u.s.p, fname->u.s.n, x, &fa, at);
        if (!x) return NULL;
        if (attr && dflt && x->k == JV_UNDEF) x = dflt;
        if (!jv_list_push(c, out, x)) return NULL;
    }
    return out;
}

static jv *indent(jx_ctx *c, jv *v, jx_args *a, const jx_node *at) {
    jv *s = need_str(c, v), *w = jx_arg(a, 0, "width");
    if (!s) return NULL;
    bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
    jx_buf pad = { .max = 4096 }, b = { .max = c->lim->max_output_bytes };
    jv *r = NULL;
    bool ok = true;
    if (w && w->k == JV_STR) ok = jx_buf_put(c, &pad, w->u.s.p, w->u.s.n);
    else {
        int64_t n;
        if (!arg_int(c, a, 0, "width", 4, &n, at)) return NULL;
        for (int64_t i = 0; ok && i < n && i < 4000; i++) ok = jx_buf_putc(c, &pad, ' ');
    }
    jv *text = ok ? jx_buf_put(c, &b, s->u.s.p, s->u.s.n) && jx_buf_putc(c, &b, '\n') ? jv_str(c, b.p, b.n) : NULL : NULL;
    b.n = 0;
    jv *lines = text ? jx_str_splitlines(c, text) : NULL;
    if (lines) {
        if (first) ok = jx_buf_put(c, &b, pad.p, pad.n);
        for (size_t i = 0; ok && i < lines->u.l.n; i++) {
            jv *ln = lines->u.l.v[i];
            if (i) {
                ok = jx_buf_putc(c, &b, '\n');
                if (ok && (blank || ln->u.s.n)) ok = jx_buf_put(c, &b, pad.p, pad.n);
            }
            ok = ok && jx_buf_put(c, &b, ln->u.s.p, ln->u.s.n);
        }
        if (ok) r = jv_str(c, b.p ? b.p : "", b.n);
    }
    free(pad.p);
    free(b.p);
    return r;
}

static jv *to_int(jx_ctx *c, jv *v, jx_args *a) {
    jv *dflt = jx_arg(a, 0, "default");
    if (v->k == JV_INT) return v;
    if (v->k == JV_BOOL) return jv_int(c, v->u.b);
    if (v->k == JV_FLOAT && isfinite(v->u.f) && fabs(v->u.f) < 9.2e18) return jv_int(c, (int64_t)v->u.f);
    if (v->k == JV_STR) {
        char buf[64];
        jv *t = jx_str_strip(c, v, NULL, true, true);
        if (t && t->u.s.n > 0 && t->u.s.n < sizeof buf) {
            size_t k = 0;
            for (size_t i = 0; i < t->u.s.n; i++)
                if (t->u.s.p[i] != '_') buf[k++] = t->u.s.p[i];
            buf[k] = 0;
            char *end;
            long long x = strtoll(buf, &end, 10);
            if (*end == 0 && end != buf) return jv_int(c, x);
            double f = strtod(buf, &end);
            if (*end == 0 && end != buf && isfinite(f) && fabs(f) < 9.2e18) return jv_int(c, (int64_t)f);
        }
    }
    return dflt ? dflt : jv_int(c, 0);
}

static jv *to_float(jx_ctx *c, jv *v, jx_args *a) {
    jv *dflt = jx_arg(a, 0, "default");
    if (v->k == JV_FLOAT) return v;
    if (v->k == JV_INT || v->k == JV_BOOL) return jv_float(c, (double)(v->k == JV_BOOL ? v->u.b : v->u.i));
    if (v->k == JV_STR) {
        char buf[64];
        jv *t = jx_str_strip(c, v, NULL, true, true);
        if (t && t->u.s.n > 0 && t->u.s.n < sizeof buf) {
            memcpy(buf, t->u.s.p, t->u.s.n);
            buf[t->u.s.n] = 0;
            char *end;
            double f = strtod(buf, &end);
            if (*end == 0) return jv_float(c, f);
        }
    }
    return dflt ? dflt : jv_float(c, 0.0);
}

static jv *round_num(jx_ctx *c, jv *v, jx_args *a, const jx_node *at) {
    int64_t prec;
    if (!arg_int(c, a, 0, "precision", 0, &prec, at)) return NULL;
    jv *method = jx_arg(a, 1, "method");
    if (v->k == JV_INT || v->k == JV_BOOL) {
        if (!method) return v->k == JV_BOOL ? jv_int(c, v->u.b) : v;
        v = jv_float(c, (double)(v->k == JV_BOOL ? v->u.b : v->u.i));
        if (!v) return NULL;
    }
    if (v->k != JV_FLOAT) return jx_fail(c, at, LMD_E_INVALID, "round: not a number (%s)", jv_type_name(v));
    if (prec < -300 || prec > 300) return jx_fail(c, at, LMD_E_INVALID, "round: precision out of range");
    double x = v->u.f, scale = pow(10.0, (double)prec);
    if (method && method->k == JV_STR && (lmd_str_eq_c((lmd_str){ method->u.s.p, method->u.s.n }, "floor") ||
                                          lmd_str_eq_c((lmd_str){ method->u.s.p, method->u.s.n }, "ceil"))) {
        bool fl = method->u.s.p[0] == 'f';
        return jv_float(c, (fl ? floor(x * scale) : ceil(x * scale)) / scale);
    }
    if (!isfinite(x) || prec < 0) return jv_float(c, prec < 0 ? nearbyint(x * scale) / scale : x);
    /* Python's round(): correctly rounded decimal, ties to even — printf does exactly that. */
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", (int)prec, x);
    return jv_float(c, strtod(buf, NULL));
}

static jv *minmax(jx_ctx *c, jv *v, jx_args *a, bool is_max, const jx_node *at) {
    jv *items = jx_iter_list(c, v, at);
    if (!items) return NULL;
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    jv *attr = jx_arg(a, 1, "attribute"), *best = NULL, *best_key = NULL;
    for (size_t i = 0; i < items->u.l.n; i++) {
        jv *k = attr ? attr_path(c, items->u.l.v[i], attr, at) : items->u.l.v[i];
        if (!k || !(k = fold(c, k, cs))) return NULL;
        int r = 0;
        if (best && !jv_compare(k, best_key, &r))
            return jx_fail(c, at, LMD_E_INVALID, "cannot compare %s and %s", jv_type_name(k), jv_type_name(best_key));
        if (!best || (is_max ? r > 0 : r < 0)) { best = items->u.l.v[i]; best_key = k; }
    }
    return best ? best : &jx_undef;
}

jv *jx_mark_safe(jx_ctx *c, jv *v) {
    jv *s = jv_to_str(c, v), *r = s ? jv_str_ref(c, s->u.s.p, s->u.s.n) : NULL;
    if (r) r->is_safe = true;
    return r;
}

jv *jx_html_escape(jx_ctx *c, jv *v) {
    if (v->k == JV_STR && v->is_safe) return v;
    jv *s = need_str(c, v);
    if (!s) return NULL;
    jx_buf b = { .max = c->lim->max_output_bytes };
    bool ok = true;
    for (size_t i = 0; ok && i < s->u.s.n; i++) {
        char ch = s->u.s.p[i];
        const char *e = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;"
                      : ch == '"' ? "&#34;" : ch == '\'' ? "&#39;" : NULL;
        ok = e ? jx_buf_puts(c, &b, e) : jx_buf_putc(c, &b, ch);
    }
    jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
    if (r) r->is_safe = true;
    free(b.p);
    return r;
}

/* Filters on a safe string keep it safe (Markup methods return Markup). */
static jv *keep_safe(jv *in, jv *out) {
    if (out && out != in && out->k == JV_STR && in->k == JV_STR && in->is_safe) out->is_safe = true;
    return out;
}

static jv *tojson(jx_ctx *c, jv *v, jx_args *a, const jx_node *at) {
    int64_t ind = -1;
    jv *iv = jx_arg(a, 1, "indent");
    if (iv && iv->k != JV_NONE) {
        if (iv->k != JV_INT) return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: tojson indent of type %s", jv_type_name(iv));
        ind = iv->u.i < 0 ? 0 : iv->u.i > 64 ? 64 : iv->u.i;
    }
    if (arg_bool(a, 0, "ensure_ascii", false))
        return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: tojson(ensure_ascii=True)");
    jv *sep = jx_arg(a, 2, "separators");
    const char *isep = NULL, *ksep = NULL;
    if (sep && sep->k != JV_NONE) {
        if (sep->k != JV_LIST || sep->u.l.n != 2 || sep->u.l.v[0]->k != JV_STR || sep->u.l.v[1]->k != JV_STR)
            return jx_fail(c, at, LMD_E_INVALID, "tojson: separators must be a pair of strings");
        char *x = jx_arena_alloc(&c->arena, sep->u.l.v[0]->u.s.n + 1), *y = jx_arena_alloc(&c->arena, sep->u.l.v[1]->u.s.n + 1);
        if (!x || !y) return jx_fail(c, at, LMD_E_LIMIT, "render memory exceeded");
        memcpy(x, sep->u.l.v[0]->u.s.p, sep->u.l.v[0]->u.s.n);
        memcpy(y, sep->u.l.v[1]->u.s.p, sep->u.l.v[1]->u.s.n);
        isep = x;
        ksep = y;
    }
    jx_buf b = { .max = c->lim->max_output_bytes };
    jv *r = NULL;
    if (jx_tojson(c, &b, v, (int)ind, arg_bool(a, 3, "sort_keys", false), isep, ksep, at))
        r = jv_str(c, b.p ? b.p : "", b.n);
    free(b.p);
    return r;
}

static const char *const FILTERS[] = {
    "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first",
    "float", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
    "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
    "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", NULL,
};

static int find_name(const char *const *table, const char *name, size_t n) {
    for (int i = 0; table[i]; i++)
        if (strlen(table[i]) == n && !memcmp(table[i], name, n)) return i;
    return -1;
}

bool jx_has_filter(const char *name, size_t n) { return find_name(FILTERS, name, n) >= 0; }

#define IS(s) (n == sizeof(s) - 1 && !memcmp(name, s, n))

jv *jx_apply_filter(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v, jx_args *a,
                    const jx_node *at) {
    if (IS("safe")) return jx_mark_safe(c, v);
    if (IS("default") || IS("d")) {
        jv *dflt = jx_arg(a, 0, "default_value");
        bool boolean = arg_bool(a, 1, "boolean", false);
        if (v->k == JV_UNDEF || (boolean && !jv_truthy(v))) return dflt ? dflt : jv_str_ref(c, "", 0);
        return v;
    }
    if (IS("length") || IS("count")) return length_of(c, v, at);
    if (IS("string")) return need_str(c, v);
    if (IS("tojson")) return tojson(c, v, a, at);
    if (IS("items")) return items_of(c, v, at);
    if (IS("list")) {
        jv *items = jx_iter_list(c, v, at), *l = items ? jv_list(c, items->u.l.n) : NULL;
        for (size_t i = 0; l && i < items->u.l.n; i++) jv_list_push(c, l, items->u.l.v[i]);
        return l;
    }
    if (IS("trim")) {
        jv *str = need_str(c, v), *chars = jx_arg(a, 0, "chars");
        return str ? keep_safe(v, jx_str_strip(c, str, chars && chars->k == JV_STR ? chars : NULL, true, true)) : NULL;
    }
    if (IS("upper") || IS("lower") || IS("capitalize") || IS("title")) {
        jv *str = need_str(c, v);
        return str ? keep_safe(v, jx_str_case(c, str, IS("upper") ? 'u' : IS("lower") ? 'l' : IS("title") ? 't' : 'c')) : NULL;
    }
    if (IS("replace")) {
        jv *str = need_str(c, v), *old = jx_arg(a, 0, "old"), *new_ = jx_arg(a, 1, "new");
        int64_t count;
        if (!str || !arg_int(c, a, 2, "count", -1, &count, at)) return NULL;
        if (!old || !new_) return jx_fail(c, at, LMD_E_INVALID, "replace needs old and new");
        old = need_str(c, old);
        new_ = old ? need_str(c, new_) : NULL;
        return new_ ? jx_str_replace(c, str, old, new_, count) : NULL;
    }
    if (IS("join")) {
        jv *items = jx_iter_list(c, v, at), *sep = jx_arg(a, 0, "d"), *attr = jx_arg(a, 1, "attribute");
        if (!items) return NULL;
        if (sep && !(sep = need_str(c, sep))) return NULL;
        jx_buf b = { .max = c->lim->max_output_bytes };
        bool ok = true;
        for (size_t i = 0; ok && i < items->u.l.n; i++) {
            jv *x = attr ? attr_path(c, items->u.l.v[i], attr, at) : items->u.l.v[i];
            if (i && sep) ok = jx_buf_put(c, &b, sep->u.s.p, sep->u.s.n);
            ok = ok && x && jv_str_append(c, &b, x);
        }
        jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
        free(b.p);
        return r;
    }
    if (IS("first") || IS("last")) {
        jv *items = jx_iter_list(c, v, at);
        if (!items) return NULL;
        if (!items->u.l.n) return &jx_undef;
        return items->u.l.v[IS("first") ? 0 : items->u.l.n - 1];
    }
    if (IS("reverse")) {
        if (v->k == JV_STR) {
            jv *l = jx_iter_list(c, v, at);
            jx_buf b = { .max = c->lim->max_output_bytes };
            bool ok = l != NULL;
            for (size_t i = l ? l->u.l.n : 0; ok && i-- > 0;) ok = jv_str_append(c, &b, l->u.l.v[i]);
            jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
            free(b.p);
            return r;
        }
        jv *items = jx_iter_list(c, v, at), *l = items ? jv_list(c, items->u.l.n) : NULL;
        for (size_t i = items ? items->u.l.n : 0; l && i-- > 0;) jv_list_push(c, l, items->u.l.v[i]);
        return l;
    }
    if (IS("sort") || IS("dictsort") || IS("unique")) {
        bool dict = IS("dictsort");
        jv *items = dict ? items_of(c, v, at) : jx_iter_list(c, v, at);
        if (!items) return NULL;
        bool reverse = IS("sort") ? arg_bool(a, 0, "reverse", false) : dict ? arg_bool(a, 2, "reverse", false) : false;
        bool cs = arg_bool(a, IS("sort") ? 1 : 0, "case_sensitive", false);
        jv *attr = jx_arg(a, IS("sort") ? 2 : 1, "attribute"), *by = dict ? jx_arg(a, 1, "by") : NULL;
        size_t k = items->u.l.n;
        jv **iv = jx_arena_alloc(&c->arena, (k + 1) * sizeof *iv), **kv = jx_arena_alloc(&c->arena, (k + 1) * sizeof *kv);
        if (!iv || !kv) return jx_fail(c, at, LMD_E_LIMIT, "render memory exceeded");
        int which = by && by->k == JV_STR && by->u.s.n == 5 && !memcmp(by->u.s.p, "value", 5);
        for (size_t i = 0; i < k; i++) {
            iv[i] = items->u.l.v[i];
            jv *key = dict ? iv[i]->u.l.v[which] : attr ? attr_path(c, iv[i], attr, at) : iv[i];
            if (!key || !(kv[i] = fold(c, key, cs))) return NULL;
        }
        jv *out = jv_list(c, k);
        if (!out) return NULL;
        if (IS("unique")) {
            for (size_t i = 0; i < k; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++) seen = jv_equal(kv[j], kv[i]);
                if (!seen && !jv_list_push(c, out, iv[i])) return NULL;
            }
            return out;
        }
        if (!sort_items(c, iv, kv, k, reverse, at)) return NULL;
        for (size_t i = 0; i < k; i++) jv_list_push(c, out, iv[i]);
        return out;
    }
    if (IS("select") || IS("reject")) return select_items(c, s, v, a, false, IS("select"), at);
    if (IS("selectattr") || IS("rejectattr")) return select_items(c, s, v, a, true, IS("selectattr"), at);
    if (IS("map")) return map_items(c, s, v, a, at);
    if (IS("indent")) return indent(c, v, a, at);
    if (IS("int")) return to_int(c, v, a);
    if (IS("float")) return to_float(c, v, a);
    if (IS("round")) return round_num(c, v, a, at);
    if (IS("abs")) {
        if (v->k == JV_INT) return v->u.i == INT64_MIN ? jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: integer beyond 64 bits") : jv_int(c, v->u.i < 0 ? -v->u.i : v->u.i);
        if (v->k == JV_BOOL) return jv_int(c, v->u.b);
        if (v->k == JV_FLOAT) return jv_float(c, fabs(v->u.f));
        return jx_fail(c, at, LMD_E_INVALID, "bad operand type for abs(): '%s'", jv_type_name(v));
    }
    if (IS("min") || IS("max")) return minmax(c, v, a, IS("max"), at);
    if (IS("sum")) {
        jv *items = jx_iter_list(c, v, at), *attr = jx_arg(a, 0, "attribute"), *acc = jx_arg(a, 1, "start");
        if (!items) return NULL;
        if (!acc) acc = jv_int(c, 0);
        for (size_t i = 0; acc && i < items->u.l.n; i++) {
            jv *x = attr ? attr_path(c, items->u.l.v[i], attr, at) : items->u.l.v[i];
            jx_node fake = { .k = N_BINOP, .op = OP_ADD, .line = at->line, .col = at->col };
            jx_node ca = { .k = N_CONST, .val = acc }, cb = { .k = N_CONST, .val = x };
            fake.a = &ca;
            fake.b = &cb;
            acc = x ? jx_eval(c, s, &fake) : NULL;
        }
        return acc;
    }
    if (IS("escape") || IS("e")) return jx_html_escape(c, v);
    if (IS("format")) {
        jv *f = need_str(c, v);
        if (!f) return NULL;
        if (a->n_kw) return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: format with keyword arguments");
        return jx_percent_format(c, f, a->args, a->n_args, at);
    }
    if (IS("attr")) {
        jv *nm = jx_arg(a, 0, "name");
        if (!nm || nm->k != JV_STR) return jx_fail(c, at, LMD_E_INVALID, "attr needs a name");
        return v->k == JV_UNDEF ? &jx_undef : jx_getattr(c, v, nm->u.s.p, nm->u.s.n, at);
    }
    return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: no filter named '%.*s'", (int)n, name);
}

/* ---- tests ---- */

static const char *const TESTS[] = {
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false",
    "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower",
    "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "true",
    "undefined", "upper", "==", "!=", "<", "<=", ">", ">=", NULL,
};

bool jx_has_test(const char *name, size_t n) { return find_name(TESTS, name, n) >= 0; }

bool jx_apply_test(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v, jx_args *a,
                   const jx_node *at, bool *out) {
    (void)s;
    jv *arg = jx_arg(a, 0, NULL);
    if (IS("defined")) { *out = v->k != JV_UNDEF; return true; }
    if (IS("undefined")) { *out = v->k == JV_UNDEF; return true; }
    if (IS("none")) { *out = v->k == JV_NONE; return true; }
    if (IS("string")) { *out = v->k == JV_STR; return true; }
    if (IS("number")) { *out = v->k == JV_INT || v->k == JV_FLOAT || v->k == JV_BOOL; return true; }
    if (IS("integer")) { *out = v->k == JV_INT; return true; }
    if (IS("float")) { *out = v->k == JV_FLOAT; return true; }
    if (IS("boolean")) { *out = v->k == JV_BOOL; return true; }
    if (IS("true")) { *out = v->k == JV_BOOL && v->u.b; return true; }
    if (IS("false")) { *out = v->k == JV_BOOL && !v->u.b; return true; }
    if (IS("mapping")) { *out = v->k == JV_DICT; return true; }
    if (IS("iterable")) { *out = v->k == JV_STR || v->k == JV_LIST || v->k == JV_DICT || v->k == JV_UNDEF; return true; }
    if (IS("sequence")) { *out = v->k == JV_STR || v->k == JV_LIST || v->k == JV_DICT || v->k == JV_UNDEF; return true; }
    if (IS("callable")) { *out = v->k == JV_MACRO || v->k == JV_FUNC; return true; }
    if (IS("escaped")) { *out = false; return true; }
    if (IS("lower") || IS("upper")) {
        jv *str = need_str(c, v), *conv = str ? jx_str_case(c, str, IS("lower") ? 'l' : 'u') : NULL;
        if (!conv) return false;
        bool cased = false;
        for (size_t i = 0; i < str->u.s.n; i++) {
            char ch = str->u.s.p[i];
            cased |= (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        }
        *out = cased && jv_equal(conv, str);
        return true;
    }
    if (IS("odd") || IS("even") || IS("divisibleby")) {
        if (v->k != JV_INT && v->k != JV_BOOL) {
            jx_fail(c, at, LMD_E_INVALID, "test '%.*s' needs an integer, not %s", (int)n, name, jv_type_name(v));
            return false;
        }
        int64_t x = v->k == JV_BOOL ? v->u.b : v->u.i, d = 2;
        if (IS("divisibleby")) {
            if (!arg || (arg->k != JV_INT && arg->k != JV_BOOL)) {
                jx_fail(c, at, LMD_E_INVALID, "divisibleby needs an integer argument");
                return false;
            }
            d = arg->k == JV_BOOL ? arg->u.b : arg->u.i;
            if (d == 0) { jx_fail(c, at, LMD_E_INVALID, "integer division or modulo by zero"); return false; }
        }
        int64_t r = d == -1 ? 0 : x % d;
        *out = IS("odd") ? r != 0 : r == 0;
        return true;
    }
    if (!arg) {
        jx_fail(c, at, LMD_E_INVALID, "test '%.*s' needs an argument", (int)n, name);
        return false;
    }
    if (IS("eq") || IS("equalto") || IS("==")) { *out = jv_equal(v, arg); return true; }
    if (IS("ne") || IS("!=")) { *out = !jv_equal(v, arg); return true; }
    if (IS("sameas")) {
        *out = v == arg || (v->k <= JV_BOOL && arg->k == v->k && (v->k != JV_BOOL || v->u.b == arg->u.b));
        return true;
    }
    if (IS("in")) {
        jx_node fake = { .k = N_COMPARE, .line = at->line, .col = at->col };
        jx_node ca = { .k = N_CONST, .val = v }, cb = { .k = N_CONST, .val = arg }, *kids[1] = { &cb };
        int ops[1] = { OP_IN };
        fake.a = &ca;
        fake.kids = kids;
        fake.n_kids = 1;
        fake.ops = ops;
        jv *r = jx_eval(c, s, &fake);
        if (!r) return false;
        *out = r->u.b;
        return true;
    }
    int op = IS("lt") || IS("lessthan") || IS("<") ? OP_LT : IS("le") || IS("<=") ? OP_LE
           : IS("gt") || IS("greaterthan") || IS(">") ? OP_GT : OP_GE;
    int r;
    if (!jv_compare(v, arg, &r)) {
        jx_fail(c, at, LMD_E_INVALID, "cannot compare %s and %s", jv_type_name(v), jv_type_name(arg));
        return false;
    }
    *out = r != 2 && (op == OP_LT ? r < 0 : op == OP_LE ? r <= 0 : op == OP_GT ? r > 0 : r >= 0);
    return true;
}
