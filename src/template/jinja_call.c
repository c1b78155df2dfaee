/* jinja_call.c — callables: the globals HF's environment has (range, namespace, dict,
 * raise_exception, strftime_now) and the str / dict methods templates call. Mutating
 * methods (list.append, dict.update, ...) do not exist here, as in HF's immutable sandbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/jinja_int.h"
#include "template/jinja_str.h"

enum {
    F_RANGE, F_NAMESPACE, F_DICT, F_RAISE, F_STRFTIME, F_CYCLE,
    M_STRIP, M_LSTRIP, M_RSTRIP, M_SPLIT, M_RSPLIT, M_STARTSWITH, M_ENDSWITH, M_REPLACE,
    M_UPPER, M_LOWER, M_TITLE, M_CAPITALIZE, M_FIND, M_COUNT, M_JOIN, M_SPLITLINES,
    M_GET, M_ITEMS, M_KEYS, M_VALUES,
};

static const struct { const char *name; int id; } STR_METHODS[] = {
    { "strip", M_STRIP }, { "lstrip", M_LSTRIP }, { "rstrip", M_RSTRIP }, { "split", M_SPLIT },
    { "startswith", M_STARTSWITH }, { "endswith", M_ENDSWITH }, { "replace", M_REPLACE },
    { "upper", M_UPPER }, { "lower", M_LOWER }, { "title", M_TITLE }, { "capitalize", M_CAPITALIZE },
    { "find", M_FIND }, { "count", M_COUNT }, { "join", M_JOIN }, { "splitlines", M_SPLITLINES },
    { "rsplit", M_RSPLIT },
}, DICT_METHODS[] = {
    { "get", M_GET }, { "items", M_ITEMS }, { "keys", M_KEYS }, { "values", M_VALUES },
};

static jv *func(jx_ctx *c, int id, jv *self, const char *name) {
    jv *f = jv_new(c, JV_FUNC);
    if (f) {
        f->u.fn.id = id;
        f->u.fn.self = self;
        f->u.fn.name = name;
    }
    return f;
}

void jx_add_globals(jx_ctx *c, jx_scope *root) {
    static const struct { const char *name; int id; } g[] = {
        { "range", F_RANGE }, { "namespace", F_NAMESPACE }, { "dict", F_DICT },
        { "raise_exception", F_RAISE }, { "strftime_now", F_STRFTIME },
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        jv *f = func(c, g[i].id, NULL, g[i].name);
        if (f) jx_scope_set(c, root, g[i].name, strlen(g[i].name), f);
    }
}

jv *jx_loop_cycle(jx_ctx *c, int64_t index0) {
    jv *i = jv_int(c, index0);
    return i ? func(c, F_CYCLE, i, "cycle") : NULL;
}

/* Python's printf-style `fmt % args` for the conversions templates use: %s %r %d %i %f %%
 * (with optional width and precision for numbers). Others are LMD_E_UNSUPPORTED. */
jv *jx_percent_format(jx_ctx *c, const jv *fmt, jv **args, size_t n_args, const jx_node *at) {
    jx_buf b = { .max = c->lim->max_output_bytes };
    size_t used = 0;
    bool ok = true;
    const char *p = fmt->u.s.p, *end = p + fmt->u.s.n;
    while (ok && p < end) {
        const char *pct = memchr(p, '%', (size_t)(end - p));
        if (!pct) { ok = jx_buf_put(c, &b, p, (size_t)(end - p)); break; }
        ok = jx_buf_put(c, &b, p, (size_t)(pct - p));
        const char *q = pct + 1;
        char spec[32] = "%";
        size_t k = 1;
        while (q < end && k < 20 && strchr("-+ 0#.0123456789", *q)) spec[k++] = *q++;
        if (q >= end) { jx_fail(c, at, LMD_E_INVALID, "incomplete format"); ok = false; break; }
        char conv = *q++;
        if (conv == '%') { ok = ok && jx_buf_putc(c, &b, '%'); p = q; continue; }
        if (used >= n_args) { jx_fail(c, at, LMD_E_INVALID, "not enough arguments for format string"); ok = false; break; }
        jv *a = args[used++];
        char tmp[128];
        if (conv == 's' && k == 1) ok = ok && jv_str_append(c, &b, a);
        else if (conv == 'r' && k == 1) ok = ok && jv_repr_append(c, &b, a);
        else if ((conv == 'd' || conv == 'i') && (a->k == JV_INT || a->k == JV_BOOL || a->k == JV_FLOAT)) {
            long long v = a->k == JV_FLOAT ? (long long)a->u.f : a->k == JV_BOOL ? a->u.b : a->u.i;
            spec[k++] = 'l'; spec[k++] = 'l'; spec[k++] = 'd'; spec[k] = 0;
            snprintf(tmp, sizeof tmp, spec, v);
            ok = ok && jx_buf_puts(c, &b, tmp);
        } else if (conv == 'f' && (a->k == JV_INT || a->k == JV_BOOL || a->k == JV_FLOAT)) {
            double v = a->k == JV_FLOAT ? a->u.f : (double)(a->k == JV_BOOL ? a->u.b : a->u.i);
            spec[k++] = 'f'; spec[k] = 0;
            snprintf(tmp, sizeof tmp, spec, v);
            ok = ok && jx_buf_puts(c, &b, tmp);
        } else {
            jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: format conversion '%%%c' for %s", conv, jv_type_name(a));
            ok = false;
        }
        p = q;
    }
    if (ok && used < n_args) { jx_fail(c, at, LMD_E_INVALID, "not all arguments converted during string formatting"); ok = false; }
    jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
    free(b.p);
    return r;
}

jv *jx_method(jx_ctx *c, const jv *self, const char *name, size_t n) {
    if (self->k == JV_STR) {
        for (size_t i = 0; i < sizeof STR_METHODS / sizeof STR_METHODS[0]; i++)
            if (strlen(STR_METHODS[i].name) == n && !memcmp(STR_METHODS[i].name, name, n))
                return func(c, STR_METHODS[i].id, (jv *)self, STR_METHODS[i].name);
    } else if (self->k == JV_DICT) {
        for (size_t i = 0; i < sizeof DICT_METHODS / sizeof DICT_METHODS[0]; i++)
            if (strlen(DICT_METHODS[i].name) == n && !memcmp(DICT_METHODS[i].name, name, n))
                return func(c, DICT_METHODS[i].id, (jv *)self, DICT_METHODS[i].name);
    }
    return NULL;
}

static bool int_arg(jx_ctx *c, jv *v, int64_t *out, const jx_node *at) {
    if (v->k == JV_INT || v->k == JV_BOOL) {
        *out = v->k == JV_BOOL ? v->u.b : v->u.i;
        return true;
    }
    jx_fail(c, at, LMD_E_INVALID, "'%s' object cannot be interpreted as an integer", jv_type_name(v));
    return false;
}

static jv *str_arg(jx_ctx *c, jv *v, const char *fn, const jx_node *at) {
    if (v && v->k == JV_STR) return v;
    return jx_fail(c, at, LMD_E_INVALID, "%s: argument must be str, not %s", fn,
                   v ? jv_type_name(v) : "nothing");
}

/* The sandbox caps range() at 100000 items; so do we. */
static jv *range(jx_ctx *c, jx_args *a, const jx_node *at) {
    int64_t start = 0, stop, step = 1;
    if (a->n_args < 1 || a->n_args > 3) return jx_fail(c, at, LMD_E_INVALID, "range expects 1 to 3 arguments");
    if (a->n_args == 1) {
        if (!int_arg(c, a->args[0], &stop, at)) return NULL;
    } else if (!int_arg(c, a->args[0], &start, at) || !int_arg(c, a->args[1], &stop, at) ||
               (a->n_args == 3 && !int_arg(c, a->args[2], &step, at))) {
        return NULL;
    }
    if (step == 0) return jx_fail(c, at, LMD_E_INVALID, "range() arg 3 must not be zero");
    double count = step > 0 ? ((double)stop - (double)start) / (double)step
                            : ((double)start - (double)stop) / (double)-step;
    if (count > 100000) return jx_fail(c, at, LMD_E_LIMIT, "range too big, maximum size for range is 100000");
    jv *l = jv_list(c, count > 0 ? (size_t)count + 1 : 0);
    for (int64_t i = start; l && (step > 0 ? i < stop : i > stop); i += step) {
        jv *x = jv_int(c, i);
        if (!x || !jv_list_push(c, l, x)) return NULL;
    }
    return l;
}

static jv *kw_dict(jx_ctx *c, jx_args *a, jv_kind kind, const jx_node *at) {
    jv *d = jv_dict(c, a->n_kw);
    if (!d) return NULL;
    d->k = kind;
    for (size_t i = 0; i < a->n_args; i++) {
        jv *x = a->args[i];
        if (x->k != JV_DICT) return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: positional argument of type %s", jv_type_name(x));
        for (size_t k = 0; k < x->u.d.n; k++)
            if (!jv_dict_set(c, d, x->u.d.key[k], x->u.d.val[k])) return NULL;
    }
    for (size_t i = 0; i < a->n_kw; i++) {
        jv *key = jv_str_ref(c, a->kw[i], a->kw_n[i]);
        if (!key || !jv_dict_set(c, d, key, a->kw_val[i])) return NULL;
    }
    return d;
}

static jv *strftime_now(jx_ctx *c, jx_args *a, const jx_node *at) {
    jv *fmt = a->n_args ? str_arg(c, a->args[0], "strftime_now", at) : NULL;
    if (!fmt) return a->n_args ? NULL : jx_fail(c, at, LMD_E_INVALID, "strftime_now needs a format");
    char f[256], out[512];
    if (fmt->u.s.n >= sizeof f) return jx_fail(c, at, LMD_E_LIMIT, "strftime_now: format too long");
    memcpy(f, fmt->u.s.p, fmt->u.s.n);
    f[fmt->u.s.n] = 0;
    time_t now = c->lim->now_epoch_s ? (time_t)c->lim->now_epoch_s : time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t n = f[0] ? strftime(out, sizeof out, f, &tm) : 0;
    return jv_str(c, out, n);
}

static jv *dict_view(jx_ctx *c, const jv *d, int which) {
    jv *l = jv_list(c, d->u.d.n);
    for (size_t i = 0; l && i < d->u.d.n; i++) {
        jv *x;
        if (which == 2) {
            x = jv_list(c, 2);
            if (!x) return NULL;
            x->is_tuple = true;
            jv_list_push(c, x, d->u.d.key[i]);
            jv_list_push(c, x, d->u.d.val[i]);
        } else {
            x = which == 0 ? d->u.d.key[i] : d->u.d.val[i];
        }
        if (!jv_list_push(c, l, x)) return NULL;
    }
    return l;
}

jv *jx_call_func(jx_ctx *c, const jv *fn, jx_args *a, const jx_node *at) {
    jv *self = fn->u.fn.self;
    jv *a0 = a->n_args > 0 ? a->args[0] : NULL, *a1 = a->n_args > 1 ? a->args[1] : NULL;
    int64_t k;
    switch (fn->u.fn.id) {
    case F_RANGE: return range(c, a, at);
    case F_NAMESPACE: return kw_dict(c, a, JV_NS, at);
    case F_DICT: return kw_dict(c, a, JV_DICT, at);
    case F_RAISE: {
        jv *msg = a0 ? jv_to_str(c, a0) : NULL;
        return jx_fail(c, at, LMD_E_INVALID, "raise_exception: %.*s", msg ? (int)msg->u.s.n : 0,
                       msg ? msg->u.s.p : "");
    }
    case F_STRFTIME: return strftime_now(c, a, at);
    case F_CYCLE:
        if (!a->n_args) return jx_fail(c, at, LMD_E_INVALID, "no items for cycling given");
        return a->args[self->u.i % (int64_t)a->n_args];
    case M_STRIP: case M_LSTRIP: case M_RSTRIP:
        if (a0 && a0->k != JV_NONE && !str_arg(c, a0, fn->u.fn.name, at)) return NULL;
        return jx_str_strip(c, self, a0 && a0->k == JV_STR ? a0 : NULL, fn->u.fn.id != M_RSTRIP,
                            fn->u.fn.id != M_LSTRIP);
    case M_SPLIT: case M_RSPLIT: {
        jv *sep = jx_arg(a, 0, "sep"), *mx = jx_arg(a, 1, "maxsplit");
        k = -1;
        if (mx && !int_arg(c, mx, &k, at)) return NULL;
        if (fn->u.fn.id == M_RSPLIT && k >= 0)
            return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: rsplit with maxsplit");
        return jx_str_split(c, self, sep, k, at);
    }
    case M_STARTSWITH: case M_ENDSWITH: {
        if (!a0) return jx_fail(c, at, LMD_E_INVALID, "%s needs an argument", fn->u.fn.name);
        bool end = fn->u.fn.id == M_ENDSWITH, r = false;
        if (a0->k == JV_LIST && a0->is_tuple) {
            for (size_t i = 0; i < a0->u.l.n && !r; i++) {
                if (!str_arg(c, a0->u.l.v[i], fn->u.fn.name, at)) return NULL;
                r = jx_str_affix(self, a0->u.l.v[i], end);
            }
        } else {
            if (!str_arg(c, a0, fn->u.fn.name, at)) return NULL;
            r = jx_str_affix(self, a0, end);
        }
        return jv_bool(r);
    }
    case M_REPLACE:
        k = -1;
        if (!str_arg(c, a0, "replace", at) || !str_arg(c, a1, "replace", at)) return NULL;
        if (a->n_args > 2 && !int_arg(c, a->args[2], &k, at)) return NULL;
        return jx_str_replace(c, self, a0, a1, k);
    case M_UPPER: return jx_str_case(c, self, 'u');
    case M_LOWER: return jx_str_case(c, self, 'l');
    case M_TITLE: return jx_str_case(c, self, 't');
    case M_CAPITALIZE: return jx_str_case(c, self, 'c');
    case M_FIND: return str_arg(c, a0, "find", at) ? jv_int(c, jx_str_find(self, a0)) : NULL;
    case M_COUNT: return str_arg(c, a0, "count", at) ? jv_int(c, jx_str_count(self, a0)) : NULL;
    case M_SPLITLINES: return jx_str_splitlines(c, self);
    case M_JOIN: {
        jv *items = a0 ? jx_iter_list(c, a0, at) : NULL;
        if (!items) return a0 ? NULL : jx_fail(c, at, LMD_E_INVALID, "join needs an argument");
        jx_buf b = { .max = c->lim->max_output_bytes };
        bool ok = true;
        for (size_t i = 0; ok && i < items->u.l.n; i++) {
            if (items->u.l.v[i]->k != JV_STR) {
                jx_fail(c, at, LMD_E_INVALID, "sequence item %zu: expected str instance, %s found", i,
                        jv_type_name(items->u.l.v[i]));
                ok = false;
                break;
            }
            if (i) ok = jx_buf_put(c, &b, self->u.s.p, self->u.s.n);
            ok = ok && jv_str_append(c, &b, items->u.l.v[i]);
        }
        jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
        free(b.p);
        return r;
    }
    case M_GET: {
        if (!a0) return jx_fail(c, at, LMD_E_INVALID, "get expected at least 1 argument");
        jv *v = jv_dict_get_v(self, a0);
        return v ? v : a1 ? a1 : &jx_none;
    }
    case M_ITEMS: return dict_view(c, self, 2);
    case M_KEYS: return dict_view(c, self, 0);
    case M_VALUES: return dict_view(c, self, 1);
    }
    return jx_fail(c, at, LMD_E_INTERNAL, "unknown function id %d", fn->u.fn.id);
}
