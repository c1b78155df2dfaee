/* jinja_eval.c — walks the tree: statements write to an output buffer, expressions make
 * values. Scoping follows jinja2: each for-loop iteration and each macro call gets a fresh
 * scope (a `set` there does not leak out; that is what namespace() is for); if/else does not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

jx_scope *jx_scope_new(jx_ctx *c, jx_scope *parent) {
    jx_scope *s = jx_arena_alloc(&c->arena, sizeof *s);
    if (!s) {
        jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeds %zu bytes", c->arena.cap_bytes);
        return NULL;
    }
    s->parent = parent;
    return s;
}

bool jx_scope_set(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v) {
    for (size_t i = 0; i < s->n; i++)
        if (s->name_n[i] == n && !memcmp(s->name[i], name, n)) {
            s->val[i] = v;
            return true;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **a = jx_arena_alloc(&c->arena, cap * sizeof *a);
        size_t *b = jx_arena_alloc(&c->arena, cap * sizeof *b);
        jv **d = jx_arena_alloc(&c->arena, cap * sizeof *d);
        if (!a || !b || !d) {
            jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeds %zu bytes", c->arena.cap_bytes);
            return false;
        }
        if (s->n) {
            memcpy(a, s->name, s->n * sizeof *a);
            memcpy(b, s->name_n, s->n * sizeof *b);
            memcpy(d, s->val, s->n * sizeof *d);
        }
        s->name = a;
        s->name_n = b;
        s->val = d;
        s->cap = cap;
    }
    s->name[s->n] = name;
    s->name_n[s->n] = n;
    s->val[s->n++] = v;
    return true;
}

jv *jx_scope_get(const jx_scope *s, const char *name, size_t n) {
    for (; s; s = s->parent)
        for (size_t i = s->n; i-- > 0;)
            if (s->name_n[i] == n && !memcmp(s->name[i], name, n)) return s->val[i];
    return NULL;
}

static jv *undefined(jx_ctx *c, const char *name, size_t n) {
    jv *u = jv_new(c, JV_UNDEF);
    if (!u) return NULL;
    char *p = jx_arena_alloc(&c->arena, n + 1);
    if (p) memcpy(p, name, n);
    u->u.undef_name = p ? p : "?";
    return u;
}

static jv *undefined_error(jx_ctx *c, const jv *u, const jx_node *at) {
    return jx_fail(c, at, LMD_E_INVALID, "'%s' is undefined",
                   u->u.undef_name ? u->u.undef_name : "value");
}

jv *jx_iter_list(jx_ctx *c, const jv *v, const jx_node *at) {
    switch (v->k) {
    case JV_LIST: return (jv *)v;
    case JV_UNDEF: return jv_list(c, 0);
    case JV_DICT: case JV_NS: {
        jv *l = jv_list(c, v->u.d.n);
        for (size_t i = 0; l && i < v->u.d.n; i++)
            if (!jv_list_push(c, l, v->u.d.key[i])) return NULL;
        return l;
    }
    case JV_STR: {
        jv *l = jv_list(c, v->u.s.n);
        for (size_t i = 0; l && i < v->u.s.n;) {
            size_t j = i + 1;
            while (j < v->u.s.n && ((unsigned char)v->u.s.p[j] & 0xC0) == 0x80) j++;
            jv *ch = jv_str_ref(c, v->u.s.p + i, j - i);
            if (!ch || !jv_list_push(c, l, ch)) return NULL;
            i = j;
        }
        return l;
    }
    default:
        return jx_fail(c, at, LMD_E_INVALID, "'%s' object is not iterable", jv_type_name(v));
    }
}

jv *jx_getattr(jx_ctx *c, const jv *obj, const char *name, size_t n, const jx_node *at) {
    switch (obj->k) {
    case JV_UNDEF: return undefined_error(c, obj, at);
    case JV_DICT: {
        jv *m = jx_method(c, obj, name, n);
        if (m) return m;
        jv *v = jv_dict_get(obj, name, n);
        return v ? v : undefined(c, name, n);
    }
    case JV_NS: {
        jv *v = jv_dict_get(obj, name, n);
        return v ? v : undefined(c, name, n);
    }
    case JV_STR: case JV_LIST: {
        jv *m = jx_method(c, obj, name, n);
        return m ? m : undefined(c, name, n);
    }
    default: return undefined(c, name, n);
    }
}

jv *jx_getitem(jx_ctx *c, const jv *obj, const jv *key, const jx_node *at) {
    if (obj->k == JV_UNDEF) return undefined_error(c, obj, at);
    if (obj->k == JV_DICT) {
        jv *v = jv_dict_get_v(obj, key);
        if (v) return v;
    } else if ((obj->k == JV_LIST || obj->k == JV_STR) && (key->k == JV_INT || key->k == JV_BOOL)) {
        int64_t i = key->k == JV_BOOL ? key->u.b : key->u.i;
        int64_t len = obj->k == JV_LIST ? (int64_t)obj->u.l.n : (int64_t)jx_utf8_count(obj->u.s.p, obj->u.s.n);
        if (i < 0) i += len;
        if (i < 0 || i >= len) return undefined(c, "index", 5);
        if (obj->k == JV_LIST) return obj->u.l.v[i];
        size_t a = jx_utf8_offset(obj->u.s.p, obj->u.s.n, (size_t)i);
        size_t b = jx_utf8_offset(obj->u.s.p, obj->u.s.n, (size_t)i + 1);
        return jv_str_ref(c, obj->u.s.p + a, b - a);
    }
    if (key->k == JV_STR) {
        if (obj->k == JV_DICT) return undefined(c, key->u.s.p, key->u.s.n);
        return jx_getattr(c, obj, key->u.s.p, key->u.s.n, at);
    }
    return undefined(c, "item", 4);
}

static bool slice_bound(jx_ctx *c, jx_scope *s, const jx_node *e, bool *given, int64_t *out) {
    *given = false;
    if (!e) return true;
    jv *v = jx_eval(c, s, e);
    if (!v) return false;
    if (v->k == JV_NONE) return true;
    if (v->k != JV_INT && v->k != JV_BOOL) {
        jx_fail(c, e, LMD_E_INVALID, "slice indices must be integers or None");
        return false;
    }
    *given = true;
    *out = v->k == JV_BOOL ? v->u.b : v->u.i;
    return true;
}

/* Python's slice.indices + iteration, over lists and (by code point) strings. */
static jv *eval_slice(jx_ctx *c, jx_scope *s, const jx_node *e) {
    jv *obj = jx_eval(c, s, e->a);
    if (!obj) return NULL;
    bool hs, he, hst;
    int64_t start = 0, stop = 0, step = 1;
    if (!slice_bound(c, s, e->b, &hs, &start) || !slice_bound(c, s, e->c, &he, &stop) ||
        !slice_bound(c, s, e->d, &hst, &step))
        return NULL;
    if (!hst) step = 1;
    if (step == 0) return jx_fail(c, e, LMD_E_INVALID, "slice step cannot be zero");
    if (obj->k == JV_UNDEF) return undefined_error(c, obj, e);
    if (obj->k != JV_LIST && obj->k != JV_STR)
        return jx_fail(c, e, LMD_E_INVALID, "'%s' object is not subscriptable", jv_type_name(obj));
    int64_t len = obj->k == JV_LIST ? (int64_t)obj->u.l.n : (int64_t)jx_utf8_count(obj->u.s.p, obj->u.s.n);
    if (!hs) start = step < 0 ? len - 1 : 0;
    else if (start < 0) { start += len; if (start < 0) start = step < 0 ? -1 : 0; }
    else if (start >= len) start = step < 0 ? len - 1 : len;
    if (!he) stop = step < 0 ? -1 : len;
    else if (stop < 0) { stop += len; if (stop < 0) stop = step < 0 ? -1 : 0; }
    else if (stop >= len) stop = step < 0 ? len - 1 : len;
    if (obj->k == JV_LIST) {
        jv *l = jv_list(c, 0);
        if (!l) return NULL;
        l->is_tuple = obj->is_tuple;
        for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
            if (!jv_list_push(c, l, obj->u.l.v[i])) return NULL;
        return l;
    }
    /* Strings: byte offsets of every code point first, so reversal stays linear. */
    size_t *off = jx_arena_alloc(&c->arena, ((size_t)len + 1) * sizeof *off);
    char *out = jx_arena_alloc(&c->arena, obj->u.s.n + 1);
    if (!off || !out) return jx_fail(c, e, LMD_E_LIMIT, "render memory exceeded");
    size_t k = 0;
    for (size_t i = 0; i < obj->u.s.n; i++)
        if (((unsigned char)obj->u.s.p[i] & 0xC0) != 0x80) off[k++] = i;
    off[k] = obj->u.s.n;
    size_t n = 0;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        size_t a = off[i], b = off[i + 1];
        memcpy(out + n, obj->u.s.p + a, b - a);
        n += b - a;
    }
    return jv_str_ref(c, out, n);
}

static bool contains(jx_ctx *c, const jv *container, const jv *item, const jx_node *at, bool *out) {
    switch (container->k) {
    case JV_STR:
        if (item->k != JV_STR) {
            jx_fail(c, at, LMD_E_INVALID, "'in <string>' requires string as left operand, not %s",
                    jv_type_name(item));
            return false;
        }
        *out = item->u.s.n == 0 || memmem(container->u.s.p, container->u.s.n, item->u.s.p, item->u.s.n);
        return true;
    case JV_LIST:
        *out = false;
        for (size_t i = 0; i < container->u.l.n && !*out; i++) *out = jv_equal(container->u.l.v[i], item);
        return true;
    case JV_DICT: case JV_NS:
        *out = jv_dict_get_v(container, item) != NULL;
        return true;
    case JV_UNDEF:
        *out = false;
        return true;
    default:
        jx_fail(c, at, LMD_E_INVALID, "argument of type '%s' is not iterable", jv_type_name(container));
        return false;
    }
}

static bool as_num(const jv *v, int64_t *i, double *f, bool *is_float) {
    if (v->k == JV_BOOL) { *i = v->u.b; *is_float = false; return true; }
    if (v->k == JV_INT) { *i = v->u.i; *is_float = false; return true; }
    if (v->k == JV_FLOAT) { *f = v->u.f; *is_float = true; return true; }
    return false;
}

static jv *repeat(jx_ctx *c, const jv *seq, int64_t times, const jx_node *at) {
    if (times < 0) times = 0;
    size_t unit = seq->k == JV_STR ? seq->u.s.n : seq->u.l.n;
    if (unit && (uint64_t)times > c->lim->max_output_bytes / unit)
        return jx_fail(c, at, LMD_E_LIMIT, "sequence repetition too large");
    if (seq->k == JV_STR) {
        char *p = jx_arena_alloc(&c->arena, unit * (size_t)times + 1);
        if (!p) return jx_fail(c, at, LMD_E_LIMIT, "render memory exceeded");
        for (int64_t k = 0; k < times; k++) memcpy(p + unit * (size_t)k, seq->u.s.p, unit);
        return jv_str_ref(c, p, unit * (size_t)times);
    }
    jv *l = jv_list(c, unit * (size_t)times);
    if (!l) return NULL;
    l->is_tuple = seq->is_tuple;
    for (int64_t k = 0; k < times; k++)
        for (size_t i = 0; i < unit; i++)
            if (!jv_list_push(c, l, seq->u.l.v[i])) return NULL;
    return l;
}

static jv *arith(jx_ctx *c, int op, const jv *a, const jv *b, const jx_node *at) {
    static const char *const names[] = { "+", "-", "*", "/", "//", "%", "**", "~" };
    if (a->k == JV_UNDEF) return undefined_error(c, a, at);
    if (b->k == JV_UNDEF) return undefined_error(c, b, at);
    int64_t x = 0, y = 0;
    double fx = 0, fy = 0;
    bool xf, yf;
    if (as_num(a, &x, &fx, &xf) && as_num(b, &y, &fy, &yf)) {
        bool fl = xf || yf || op == OP_DIV;
        if (op == OP_POW && !fl && y < 0) fl = true;
        if (fl) {
            if (!xf) fx = (double)x;
            if (!yf) fy = (double)y;
            double r;
            switch (op) {
            case OP_ADD: r = fx + fy; break;
            case OP_SUB: r = fx - fy; break;
            case OP_MUL: r = fx * fy; break;
            case OP_DIV:
                if (fy == 0) return jx_fail(c, at, LMD_E_INVALID, "division by zero");
                r = fx / fy;
                break;
            case OP_FLOORDIV:
                if (fy == 0) return jx_fail(c, at, LMD_E_INVALID, "float floor division by zero");
                r = floor(fx / fy);
                break;
            case OP_MOD:
                if (fy == 0) return jx_fail(c, at, LMD_E_INVALID, "float modulo");
                r = fmod(fx, fy);
                if (r != 0 && ((r < 0) != (fy < 0))) r += fy;
                break;
            default: r = pow(fx, fy); break;
            }
            return jv_float(c, r);
        }
        int64_t r = 0;
        bool ovf = false;
        switch (op) {
        case OP_ADD: ovf = __builtin_add_overflow(x, y, &r); break;
        case OP_SUB: ovf = __builtin_sub_overflow(x, y, &r); break;
        case OP_MUL: ovf = __builtin_mul_overflow(x, y, &r); break;
        case OP_FLOORDIV: case OP_MOD:
            if (y == 0) return jx_fail(c, at, LMD_E_INVALID, "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) { ovf = true; break; }
            r = op == OP_FLOORDIV ? x / y : x % y;
            if (op == OP_FLOORDIV && (x % y != 0) && ((x < 0) != (y < 0))) r--;
            if (op == OP_MOD && r != 0 && ((r < 0) != (y < 0))) r += y;
            break;
        default:
            r = 1;
            for (int64_t k = 0; k < y && !ovf; k++) ovf = __builtin_mul_overflow(r, x, &r);
            break;
        }
        if (ovf) return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: integer result beyond 64 bits");
        return jv_int(c, r);
    }
    if (op == OP_ADD && a->k == JV_STR && b->k == JV_STR && (a->is_safe || b->is_safe)) {
        /* Markup + str (or str + Markup): the plain side is HTML-escaped, the result is safe. */
        jv *ea = jx_html_escape(c, (jv *)a), *eb = ea ? jx_html_escape(c, (jv *)b) : NULL;
        if (!eb) return NULL;
        jv sx = *ea, sy = *eb;
        sx.is_safe = sy.is_safe = false;
        jv *r = arith(c, op, &sx, &sy, at);
        if (r) r->is_safe = true;
        return r;
    }
    if (op == OP_ADD && a->k == JV_STR && b->k == JV_STR) {
        char *p = jx_arena_alloc(&c->arena, a->u.s.n + b->u.s.n + 1);
        if (!p) return jx_fail(c, at, LMD_E_LIMIT, "render memory exceeds %zu bytes", c->arena.cap_bytes);
        memcpy(p, a->u.s.p, a->u.s.n);
        memcpy(p + a->u.s.n, b->u.s.p, b->u.s.n);
        return jv_str_ref(c, p, a->u.s.n + b->u.s.n);
    }
    if (op == OP_ADD && a->k == JV_LIST && b->k == JV_LIST && a->is_tuple == b->is_tuple) {
        jv *l = jv_list(c, a->u.l.n + b->u.l.n);
        if (!l) return NULL;
        l->is_tuple = a->is_tuple;
        for (size_t i = 0; i < a->u.l.n; i++) jv_list_push(c, l, a->u.l.v[i]);
        for (size_t i = 0; i < b->u.l.n; i++) jv_list_push(c, l, b->u.l.v[i]);
        return l;
    }
    if (op == OP_MUL && (a->k == JV_STR || a->k == JV_LIST) && (b->k == JV_INT || b->k == JV_BOOL))
        return repeat(c, a, b->k == JV_BOOL ? b->u.b : b->u.i, at);
    if (op == OP_MUL && (b->k == JV_STR || b->k == JV_LIST) && (a->k == JV_INT || a->k == JV_BOOL))
        return repeat(c, b, a->k == JV_BOOL ? a->u.b : a->u.i, at);
    if (op == OP_MOD && a->k == JV_STR) {
        if (b->k == JV_LIST && b->is_tuple) return jx_percent_format(c, a, b->u.l.v, b->u.l.n, at);
        if (b->k == JV_DICT) return jx_fail(c, at, LMD_E_UNSUPPORTED, "unsupported: %%-formatting with a mapping");
        jv *one = (jv *)b;
        return jx_percent_format(c, a, &one, 1, at);
    }
    return jx_fail(c, at, LMD_E_INVALID, "unsupported operand type(s) for %s: '%s' and '%s'",
                   names[op], jv_type_name(a), jv_type_name(b));
}

static jv *concat(jx_ctx *c, const jv *a, const jv *b) {
    jx_buf buf = { .max = c->lim->max_output_bytes };
    jv *r = NULL;
    if (jv_str_append(c, &buf, a) && jv_str_append(c, &buf, b)) r = jv_str(c, buf.p, buf.n);
    free(buf.p);
    return r;
}

static bool compare_op(jx_ctx *c, int op, const jv *a, const jv *b, const jx_node *at, bool *out) {
    if (op == OP_EQ) { *out = jv_equal(a, b); return true; }
    if (op == OP_NE) { *out = !jv_equal(a, b); return true; }
    if (op == OP_IN || op == OP_NOTIN) {
        if (!contains(c, b, a, at, out)) return false;
        if (op == OP_NOTIN) *out = !*out;
        return true;
    }
    int r;
    if (a->k == JV_UNDEF) return undefined_error(c, a, at), false;
    if (b->k == JV_UNDEF) return undefined_error(c, b, at), false;
    if (!jv_compare(a, b, &r)) {
        static const char *const sym[] = { [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=" };
        jx_fail(c, at, LMD_E_INVALID, "'%s' not supported between instances of '%s' and '%s'",
                sym[op], jv_type_name(a), jv_type_name(b));
        return false;
    }
    if (r == 2) { *out = false; return true; }  /* NaN */
    *out = op == OP_LT ? r < 0 : op == OP_LE ? r <= 0 : op == OP_GT ? r > 0 : r >= 0;
    return true;
}

static bool eval_args(jx_ctx *c, jx_scope *s, const jx_node *e, jx_args *a) {
    a->n_args = e->n_kids;
    a->n_kw = e->n_kw;
    a->kw = e->kw;
    a->kw_n = e->kw_n;
    a->args = jx_arena_alloc(&c->arena, (e->n_kids + 1) * sizeof(jv *));
    a->kw_val = jx_arena_alloc(&c->arena, (e->n_kw + 1) * sizeof(jv *));
    if (!a->args || !a->kw_val) return jx_fail(c, e, LMD_E_LIMIT, "render memory exceeded"), false;
    for (size_t i = 0; i < e->n_kids; i++)
        if (!(a->args[i] = jx_eval(c, s, e->kids[i]))) return false;
    for (size_t i = 0; i < e->n_kw; i++)
        if (!(a->kw_val[i] = jx_eval(c, s, e->kids2[i]))) return false;
    return true;
}

static jv *render_body(jx_ctx *c, jx_scope *s, const jx_node *body) {
    jx_buf b = { .max = c->lim->max_output_bytes };
    lmd_status st = jx_exec(c, s, body, &b);
    jv *r = st == LMD_OK ? jv_str(c, b.p, b.n) : NULL;
    free(b.p);
    return r;
}

jv *jx_call_macro(jx_ctx *c, const jv *m, jv **args, size_t n_args, const char **kw,
                  size_t *kw_n, jv **kw_val, size_t n_kw, const jx_node *at) {
    const jx_node *def = m->u.m.node;
    if (n_args > def->n_kw)
        return jx_fail(c, at, LMD_E_INVALID, "macro '%.*s' takes not more than %zu argument(s)",
                       (int)def->name_n, def->name, def->n_kw);
    jx_scope *s = jx_scope_new(c, m->u.m.closure);
    if (!s) return NULL;
    for (size_t k = 0; k < n_kw; k++) {
        size_t p = 0;
        while (p < def->n_kw && !(def->kw_n[p] == kw_n[k] && !memcmp(def->kw[p], kw[k], kw_n[k]))) p++;
        if (p == def->n_kw)
            return jx_fail(c, at, LMD_E_INVALID, "macro '%.*s' takes no keyword argument '%.*s'",
                           (int)def->name_n, def->name, (int)kw_n[k], kw[k]);
        if (p < n_args)
            return jx_fail(c, at, LMD_E_INVALID, "macro '%.*s' got multiple values for argument '%.*s'",
                           (int)def->name_n, def->name, (int)kw_n[k], kw[k]);
    }
    for (size_t p = 0; p < def->n_kw; p++) {
        jv *v = p < n_args ? args[p] : NULL;
        for (size_t k = 0; !v && k < n_kw; k++)
            if (def->kw_n[p] == kw_n[k] && !memcmp(def->kw[p], kw[k], kw_n[k])) v = kw_val[k];
        if (!v && def->kids2[p] && !(v = jx_eval(c, s, def->kids2[p]))) return NULL;
        if (!v && !(v = undefined(c, def->kw[p], def->kw_n[p]))) return NULL;
        if (!jx_scope_set(c, s, def->kw[p], def->kw_n[p], v)) return NULL;
    }
    if (++c->depth > c->lim->max_depth)
        return jx_fail(c, at, LMD_E_LIMIT, "macro calls nested deeper than %d", c->lim->max_depth);
    jv *r = render_body(c, s, def->b);
    c->depth--;
    return r;
}

static jv *eval_call(jx_ctx *c, jx_scope *s, const jx_node *e) {
    jv *fn = jx_eval(c, s, e->a);
    if (!fn) return NULL;
    jx_args a;
    if (!eval_args(c, s, e, &a)) return NULL;
    if (fn->k == JV_MACRO)
        return jx_call_macro(c, fn, a.args, a.n_args, a.kw, a.kw_n, a.kw_val, a.n_kw, e);
    if (fn->k == JV_FUNC) return jx_call_func(c, fn, &a, e);
    if (fn->k == JV_UNDEF) return undefined_error(c, fn, e);
    return jx_fail(c, e, LMD_E_INVALID, "'%s' object is not callable", jv_type_name(fn));
}

static jv *eval_inner(jx_ctx *c, jx_scope *s, const jx_node *e) {
    switch (e->k) {
    case N_CONST: return e->val;
    case N_NAME: {
        jv *v = jx_scope_get(s, e->name, e->name_n);
        return v ? v : undefined(c, e->name, e->name_n);
    }
    case N_ATTR: {
        jv *o = jx_eval(c, s, e->a);
        return o ? jx_getattr(c, o, e->name, e->name_n, e) : NULL;
    }
    case N_ITEM: {
        jv *o = jx_eval(c, s, e->a), *k = o ? jx_eval(c, s, e->b) : NULL;
        return k ? jx_getitem(c, o, k, e) : NULL;
    }
    case N_SLICE: return eval_slice(c, s, e);
    case N_CALL: return eval_call(c, s, e);
    case N_FILTER: {
        jv *in = e->a ? jx_eval(c, s, e->a) : c->block_input;
        jx_args a;
        if (!in || !eval_args(c, s, e, &a)) return NULL;
        return jx_apply_filter(c, s, e->name, e->name_n, in, &a, e);
    }
    case N_TEST: {
        jv *in = jx_eval(c, s, e->a);
        jx_args a;
        bool r;
        if (!in || !eval_args(c, s, e, &a) || !jx_apply_test(c, s, e->name, e->name_n, in, &a, e, &r))
            return NULL;
        return jv_bool(e->op ? !r : r);
    }
    case N_BINOP: {
        jv *a = jx_eval(c, s, e->a), *b = a ? jx_eval(c, s, e->b) : NULL;
        if (!b) return NULL;
        return e->op == OP_CONCAT ? concat(c, a, b) : arith(c, e->op, a, b, e);
    }
    case N_NEG: case N_POS: {
        jv *a = jx_eval(c, s, e->a);
        if (!a) return NULL;
        if (a->k == JV_INT || a->k == JV_BOOL) {
            int64_t i = a->k == JV_BOOL ? a->u.b : a->u.i;
            if (e->k == N_POS) return jv_int(c, i);
            if (i == INT64_MIN) return jx_fail(c, e, LMD_E_UNSUPPORTED, "unsupported: integer beyond 64 bits");
            return jv_int(c, -i);
        }
        if (a->k == JV_FLOAT) return jv_float(c, e->k == N_NEG ? -a->u.f : a->u.f);
        if (a->k == JV_UNDEF) return undefined_error(c, a, e);
        return jx_fail(c, e, LMD_E_INVALID, "bad operand type for unary %s: '%s'",
                       e->k == N_NEG ? "-" : "+", jv_type_name(a));
    }
    case N_NOT: {
        jv *a = jx_eval(c, s, e->a);
        return a ? jv_bool(!jv_truthy(a)) : NULL;
    }
    case N_AND: case N_OR: {
        jv *a = jx_eval(c, s, e->a);
        if (!a) return NULL;
        if (jv_truthy(a) == (e->k == N_OR)) return a;
        return jx_eval(c, s, e->b);
    }
    case N_COND: {
        jv *cond = jx_eval(c, s, e->a);
        if (!cond) return NULL;
        if (jv_truthy(cond)) return jx_eval(c, s, e->b);
        return e->c ? jx_eval(c, s, e->c) : undefined(c, "else", 4);
    }
    case N_LIST: case N_TUPLE: {
        jv *l = jv_list(c, e->n_kids);
        if (!l) return NULL;
        l->is_tuple = e->k == N_TUPLE;
        for (size_t i = 0; i < e->n_kids; i++) {
            jv *v = jx_eval(c, s, e->kids[i]);
            if (!v || !jv_list_push(c, l, v)) return NULL;
        }
        return l;
    }
    case N_DICT: {
        jv *d = jv_dict(c, e->n_kids);
        if (!d) return NULL;
        for (size_t i = 0; i < e->n_kids; i++) {
            jv *k = jx_eval(c, s, e->kids[i]), *v = k ? jx_eval(c, s, e->kids2[i]) : NULL;
            if (!v) return NULL;
            if (k->k == JV_LIST && !k->is_tuple) return jx_fail(c, e, LMD_E_INVALID, "unhashable type: 'list'");
            if (k->k == JV_DICT) return jx_fail(c, e, LMD_E_INVALID, "unhashable type: 'dict'");
            if (!jv_dict_set(c, d, k, v)) return NULL;
        }
        return d;
    }
    case N_COMPARE: {
        jv *left = jx_eval(c, s, e->a);
        if (!left) return NULL;
        for (size_t i = 0; i < e->n_kids; i++) {
            jv *right = jx_eval(c, s, e->kids[i]);
            bool r;
            if (!right || !compare_op(c, e->ops[i], left, right, e, &r)) return NULL;
            if (!r) return &jx_false;
            left = right;
        }
        return &jx_true;
    }
    default:
        return jx_fail(c, e, LMD_E_INTERNAL, "statement node %d used as an expression", (int)e->k);
    }
}

jv *jx_eval(jx_ctx *c, jx_scope *s, const jx_node *e) {
    if (++c->depth > c->lim->max_depth)
        return jx_fail(c, e, LMD_E_LIMIT, "expression nested deeper than %d", c->lim->max_depth);
    jv *v = eval_inner(c, s, e);
    c->depth--;
    return v;
}

/* Binds a for/set target (a name or a tuple of names) to v. */
static bool assign(jx_ctx *c, jx_scope *s, const jx_node *target, jv *v) {
    if (target->k == N_NAME) return jx_scope_set(c, s, target->name, target->name_n, v);
    jv *items = v->k == JV_LIST ? v : jx_iter_list(c, v, target);
    if (!items) return false;
    if (items->u.l.n != target->n_kids) {
        jx_fail(c, target, LMD_E_INVALID, "%s values to unpack (expected %zu, got %zu)",
                items->u.l.n > target->n_kids ? "too many" : "not enough", target->n_kids, items->u.l.n);
        return false;
    }
    for (size_t i = 0; i < target->n_kids; i++)
        if (!jx_scope_set(c, s, target->kids[i]->name, target->kids[i]->name_n, items->u.l.v[i]))
            return false;
    return true;
}

static lmd_status status_of(jx_ctx *c) {
    return c->err && c->err->status != LMD_OK ? c->err->status : LMD_E_INTERNAL;
}

static lmd_status exec_for(jx_ctx *c, jx_scope *s, const jx_node *st, jx_buf *out) {
    jv *seq = jx_eval(c, s, st->b);
    if (!seq) return status_of(c);
    jv *items = jx_iter_list(c, seq, st->b);
    if (!items) return status_of(c);
    if (st->e) { /* `for x in xs if cond`: filter first, so loop.length counts what is kept */
        jv *kept = jv_list(c, items->u.l.n);
        if (!kept) return status_of(c);
        for (size_t i = 0; i < items->u.l.n; i++) {
            jx_scope *fs = jx_scope_new(c, s);
            jv *cond;
            if (!fs || !assign(c, fs, st->a, items->u.l.v[i]) || !(cond = jx_eval(c, fs, st->e)))
                return status_of(c);
            if (jv_truthy(cond) && !jv_list_push(c, kept, items->u.l.v[i])) return status_of(c);
        }
        items = kept;
    }
    size_t n = items->u.l.n;
    if (n == 0 && st->d) return jx_exec(c, s, st->d, out);
    for (size_t i = 0; i < n; i++) {
        if (++c->loop_iterations > c->lim->max_loop_iterations) {
            jx_fail(c, st, LMD_E_LIMIT, "more than %llu loop iterations",
                    (unsigned long long)c->lim->max_loop_iterations);
            return LMD_E_LIMIT;
        }
        jx_scope *is = jx_scope_new(c, s);
        jv *loop = jv_dict(c, 12);
        if (!is || !loop || !assign(c, is, st->a, items->u.l.v[i])) return status_of(c);
        struct { const char *k; jv *v; } f[] = {
            { "index", jv_int(c, (int64_t)i + 1) }, { "index0", jv_int(c, (int64_t)i) },
            { "revindex", jv_int(c, (int64_t)(n - i)) }, { "revindex0", jv_int(c, (int64_t)(n - i - 1)) },
            { "first", jv_bool(i == 0) }, { "last", jv_bool(i + 1 == n) },
            { "length", jv_int(c, (int64_t)n) }, { "depth", jv_int(c, 1) }, { "depth0", jv_int(c, 0) },
            { "previtem", i > 0 ? items->u.l.v[i - 1] : NULL },
            { "nextitem", i + 1 < n ? items->u.l.v[i + 1] : NULL },
            { "cycle", jx_loop_cycle(c, (int64_t)i) },
        };
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
            if (!f[k].v) continue;
            jv *key = jv_str_ref(c, f[k].k, strlen(f[k].k));
            if (!key || !jv_dict_set(c, loop, key, f[k].v)) return status_of(c);
        }
        if (!jx_scope_set(c, is, "loop", 4, loop)) return status_of(c);
        lmd_status r = jx_exec(c, is, st->c, out);
        if (r != LMD_OK) return r;
        if (c->loop_ctl == 1) { c->loop_ctl = 0; break; }
        c->loop_ctl = 0;
    }
    return LMD_OK;
}

static lmd_status exec_set(jx_ctx *c, jx_scope *s, const jx_node *st) {
    jv *v = jx_eval(c, s, st->b);
    if (!v) return status_of(c);
    if (st->a->k == N_ATTR) {
        jv *obj = jx_scope_get(s, st->a->a->name, st->a->a->name_n);
        if (!obj || obj->k != JV_NS) {
            jx_fail(c, st, LMD_E_INVALID, "cannot assign attribute on non-namespace object");
            return LMD_E_INVALID;
        }
        jv *key = jv_str_ref(c, st->a->name, st->a->name_n);
        return key && jv_dict_set(c, obj, key, v) ? LMD_OK : status_of(c);
    }
    return assign(c, s, st->a, v) ? LMD_OK : status_of(c);
}

/* Renders body, then runs it through the filter chain (filter blocks, block sets). */
static jv *filtered_body(jx_ctx *c, jx_scope *s, const jx_node *body, const jx_node *filters) {
    jv *text = render_body(c, s, body);
    if (!text || !filters) return text;
    jv *saved = c->block_input;
    c->block_input = text;
    jv *r = jx_eval(c, s, filters);
    c->block_input = saved;
    return r;
}

lmd_status jx_exec(jx_ctx *c, jx_scope *s, const jx_node *st, jx_buf *out) {
    switch (st->k) {
    case N_BODY:
        for (size_t i = 0; i < st->n_kids; i++) {
            lmd_status r = jx_exec(c, s, st->kids[i], out);
            if (r != LMD_OK) return r;
            if (c->loop_ctl) return LMD_OK;
        }
        return LMD_OK;
    case N_TEXT: return jx_buf_put(c, out, st->name, st->name_n) ? LMD_OK : status_of(c);
    case N_OUTPUT: {
        jv *v = jx_eval(c, s, st->a);
        return v && jv_str_append(c, out, v) ? LMD_OK : status_of(c);
    }
    case N_IF: {
        jv *cond = jx_eval(c, s, st->a);
        if (!cond) return status_of(c);
        if (jv_truthy(cond)) return jx_exec(c, s, st->b, out);
        return st->c ? jx_exec(c, s, st->c, out) : LMD_OK;
    }
    case N_FOR: {
        if (++c->depth > c->lim->max_depth) {
            jx_fail(c, st, LMD_E_LIMIT, "blocks nested deeper than %d", c->lim->max_depth);
            return LMD_E_LIMIT;
        }
        lmd_status r = exec_for(c, s, st, out);
        c->depth--;
        return r;
    }
    case N_SET: return exec_set(c, s, st);
    case N_SET_BLOCK: {
        jv *v = filtered_body(c, s, st->b, st->c);
        return v && jx_scope_set(c, s, st->a->name, st->a->name_n, v) ? LMD_OK : status_of(c);
    }
    case N_MACRO: {
        jv *m = jv_new(c, JV_MACRO);
        if (!m) return status_of(c);
        m->u.m.node = st;
        m->u.m.closure = s;
        return jx_scope_set(c, s, st->name, st->name_n, m) ? LMD_OK : status_of(c);
    }
    case N_FILTER_BLOCK: {
        jv *v = filtered_body(c, s, st->b, st->c);
        return v && jv_str_append(c, out, v) ? LMD_OK : status_of(c);
    }
    case N_BREAK: c->loop_ctl = 1; return LMD_OK;
    case N_CONTINUE: c->loop_ctl = 2; return LMD_OK;
    default:
        jx_fail(c, st, LMD_E_INTERNAL, "expression node %d used as a statement", (int)st->k);
        return LMD_E_INTERNAL;
    }
}
