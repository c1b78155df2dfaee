/* jinja_value.c — the interpreter's value model: construction, Python truthiness, equality
 * and ordering, and Python's str()/repr() (the text Jinja prints for lists, dicts, floats). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

jv jx_undef = { .k = JV_UNDEF };
jv jx_none = { .k = JV_NONE };
jv jx_true = { .k = JV_BOOL, .u.b = true };
jv jx_false = { .k = JV_BOOL, .u.b = false };

jv *jx_fail(jx_ctx *c, const jx_node *at, lmd_status st, const char *fmt, ...) {
    if (!c->err || c->err->status != LMD_OK) return NULL;
    char msg[LMD_ERR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at) lmd_err_set(c->err, st, "template:%d:%d: %s", at->line, at->col, msg);
    else lmd_err_set(c->err, st, "template: %s", msg);
    return NULL;
}

jv *jv_new(jx_ctx *c, jv_kind k) {
    jv *v = jx_arena_alloc(&c->arena, sizeof *v);
    if (!v) return jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeds %zu bytes",
                           c->arena.cap_bytes);
    v->k = k;
    return v;
}

jv *jv_int(jx_ctx *c, int64_t i) {
    jv *v = jv_new(c, JV_INT);
    if (v) v->u.i = i;
    return v;
}

jv *jv_float(jx_ctx *c, double f) {
    jv *v = jv_new(c, JV_FLOAT);
    if (v) v->u.f = f;
    return v;
}

jv *jv_bool(bool b) { return b ? &jx_true : &jx_false; }

jv *jv_str_ref(jx_ctx *c, const char *p, size_t n) {
    jv *v = jv_new(c, JV_STR);
    if (v) {
        v->u.s.p = p ? p : "";
        v->u.s.n = n;
    }
    return v;
}

jv *jv_str(jx_ctx *c, const char *p, size_t n) {
    char *q = jx_arena_alloc(&c->arena, n + 1);
    if (!q) return jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeds %zu bytes",
                           c->arena.cap_bytes);
    if (n) memcpy(q, p, n);
    return jv_str_ref(c, q, n);
}

jv *jv_list(jx_ctx *c, size_t cap) {
    jv *v = jv_new(c, JV_LIST);
    if (!v) return NULL;
    if (cap) {
        v->u.l.v = jx_arena_alloc(&c->arena, cap * sizeof(jv *));
        if (!v->u.l.v) return jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeded");
        v->u.l.cap = cap;
    }
    return v;
}

jv *jv_dict(jx_ctx *c, size_t cap) {
    jv *v = jv_new(c, JV_DICT);
    if (!v) return NULL;
    if (cap) {
        v->u.d.key = jx_arena_alloc(&c->arena, cap * sizeof(jv *));
        v->u.d.val = jx_arena_alloc(&c->arena, cap * sizeof(jv *));
        if (!v->u.d.key || !v->u.d.val) return jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeded");
        v->u.d.cap = cap;
    }
    return v;
}

static bool grow(jx_ctx *c, jv ***arr, size_t n, size_t *cap) {
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 8;
    jv **q = jx_arena_alloc(&c->arena, nc * sizeof(jv *));
    if (!q) {
        jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeds %zu bytes", c->arena.cap_bytes);
        return false;
    }
    if (n) memcpy(q, *arr, n * sizeof(jv *));
    *arr = q;
    *cap = nc;
    return true;
}

bool jv_list_push(jx_ctx *c, jv *l, jv *v) {
    if (!grow(c, &l->u.l.v, l->u.l.n, &l->u.l.cap)) return false;
    l->u.l.v[l->u.l.n++] = v;
    return true;
}

bool jv_dict_set(jx_ctx *c, jv *d, jv *key, jv *val) {
    for (size_t i = 0; i < d->u.d.n; i++)
        if (jv_equal(d->u.d.key[i], key)) {
            d->u.d.val[i] = val;
            return true;
        }
    size_t cap = d->u.d.cap;
    if (!grow(c, &d->u.d.key, d->u.d.n, &cap)) return false;
    size_t cap2 = d->u.d.cap;
    if (!grow(c, &d->u.d.val, d->u.d.n, &cap2)) return false;
    d->u.d.cap = cap;
    d->u.d.key[d->u.d.n] = key;
    d->u.d.val[d->u.d.n++] = val;
    return true;
}

jv *jv_dict_get(const jv *d, const char *key, size_t n) {
    for (size_t i = 0; i < d->u.d.n; i++) {
        const jv *k = d->u.d.key[i];
        if (k->k == JV_STR && k->u.s.n == n && (n == 0 || memcmp(k->u.s.p, key, n) == 0))
            return d->u.d.val[i];
    }
    return NULL;
}

jv *jv_dict_get_v(const jv *d, const jv *key) {
    for (size_t i = 0; i < d->u.d.n; i++)
        if (jv_equal(d->u.d.key[i], key)) return d->u.d.val[i];
    return NULL;
}

bool jv_truthy(const jv *v) {
    switch (v->k) {
    case JV_UNDEF: case JV_NONE: return false;
    case JV_BOOL: return v->u.b;
    case JV_INT: return v->u.i != 0;
    case JV_FLOAT: return v->u.f != 0.0;
    case JV_STR: return v->u.s.n != 0;
    case JV_LIST: return v->u.l.n != 0;
    case JV_DICT: return v->u.d.n != 0;
    case JV_NS: case JV_MACRO: case JV_FUNC: return true;
    }
    return false;
}

static bool is_num(const jv *v) { return v->k == JV_BOOL || v->k == JV_INT || v->k == JV_FLOAT; }

static int num_cmp(const jv *a, const jv *b) {
    if (a->k != JV_FLOAT && b->k != JV_FLOAT) {
        int64_t x = a->k == JV_BOOL ? a->u.b : a->u.i, y = b->k == JV_BOOL ? b->u.b : b->u.i;
        return x < y ? -1 : x > y;
    }
    double x = a->k == JV_FLOAT ? a->u.f : (double)(a->k == JV_BOOL ? a->u.b : a->u.i);
    double y = b->k == JV_FLOAT ? b->u.f : (double)(b->k == JV_BOOL ? b->u.b : b->u.i);
    if (x != x || y != y) return 2;  /* NaN: unordered, unequal */
    return x < y ? -1 : x > y;
}

bool jv_equal(const jv *a, const jv *b) {
    if (is_num(a) && is_num(b)) return num_cmp(a, b) == 0;
    if (a->k != b->k) return false;
    switch (a->k) {
    case JV_UNDEF: case JV_NONE: return true;
    case JV_STR:
        return a->u.s.n == b->u.s.n && (a->u.s.n == 0 || !memcmp(a->u.s.p, b->u.s.p, a->u.s.n));
    case JV_LIST:
        if (a->is_tuple != b->is_tuple || a->u.l.n != b->u.l.n) return false;
        for (size_t i = 0; i < a->u.l.n; i++)
            if (!jv_equal(a->u.l.v[i], b->u.l.v[i])) return false;
        return true;
    case JV_DICT:
        if (a->u.d.n != b->u.d.n) return false;
        for (size_t i = 0; i < a->u.d.n; i++) {
            const jv *o = jv_dict_get_v(b, a->u.d.key[i]);
            if (!o || !jv_equal(a->u.d.val[i], o)) return false;
        }
        return true;
    case JV_MACRO: return a->u.m.node == b->u.m.node;
    case JV_FUNC: return a->u.fn.id == b->u.fn.id && a->u.fn.self == b->u.fn.self;
    default: return a == b;
    }
}

bool jv_compare(const jv *a, const jv *b, int *out) {
    if (is_num(a) && is_num(b)) {
        int r = num_cmp(a, b);
        *out = r == 2 ? 2 : r;
        return true;
    }
    if (a->k == JV_STR && b->k == JV_STR) {
        size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
        int r = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
        if (r == 0) r = a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n;
        *out = r < 0 ? -1 : r > 0;
        return true;
    }
    if (a->k == JV_LIST && b->k == JV_LIST && a->is_tuple == b->is_tuple) {
        for (size_t i = 0; i < a->u.l.n && i < b->u.l.n; i++) {
            if (jv_equal(a->u.l.v[i], b->u.l.v[i])) continue;
            return jv_compare(a->u.l.v[i], b->u.l.v[i], out);
        }
        *out = a->u.l.n < b->u.l.n ? -1 : a->u.l.n > b->u.l.n;
        return true;
    }
    return false;
}

const char *jv_type_name(const jv *v) {
    switch (v->k) {
    case JV_UNDEF: return "Undefined";
    case JV_NONE: return "NoneType";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STR: return "str";
    case JV_LIST: return v->is_tuple ? "tuple" : "list";
    case JV_DICT: return "dict";
    case JV_NS: return "Namespace";
    case JV_MACRO: return "Macro";
    case JV_FUNC: return "function";
    }
    return "?";
}

size_t jx_utf8_count(const char *p, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)p[i] & 0xC0) != 0x80;
    return k;
}

size_t jx_utf8_offset(const char *p, size_t n, size_t idx) {
    size_t i = 0;
    while (i < n && idx > 0) {
        i++;
        while (i < n && ((unsigned char)p[i] & 0xC0) == 0x80) i++;
        idx--;
    }
    return i;
}

/* Python's repr(float): the shortest digits that round-trip, fixed notation for decimal
 * exponents in [-4, 16), scientific (two-digit exponent at least) otherwise. */
void jx_float_repr(double f, char *out, size_t cap) {
    if (f != f) { snprintf(out, cap, "nan"); return; }
    if (isinf(f)) { snprintf(out, cap, f < 0 ? "-inf" : "inf"); return; }
    char tmp[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, f);
        if (strtod(tmp, NULL) == f) break;
    }
    /* tmp = [-]d[.ddd]e[+-]XX */
    char digits[24];
    size_t nd = 0;
    const char *q = tmp;
    bool neg = *q == '-';
    if (neg) q++;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < sizeof digits - 1) digits[nd++] = *q;
    int e = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    char *o = out;
    size_t left = cap;
#define PUT(ch) do { if (left > 1) { *o++ = (ch); left--; } } while (0)
    if (neg) PUT('-');
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++) PUT((size_t)i < nd ? digits[i] : '0');
            PUT('.');
            if ((size_t)e + 1 < nd) for (size_t i = (size_t)e + 1; i < nd; i++) PUT(digits[i]);
            else PUT('0');
        } else {
            PUT('0');
            PUT('.');
            for (int i = 0; i < -e - 1; i++) PUT('0');
            for (size_t i = 0; i < nd; i++) PUT(digits[i]);
        }
    } else {
        PUT(digits[0]);
        if (nd > 1) {
            PUT('.');
            for (size_t i = 1; i < nd; i++) PUT(digits[i]);
        }
        PUT('e');
        PUT(e < 0 ? '-' : '+');
        int ae = e < 0 ? -e : e;
        char eb[16];
        snprintf(eb, sizeof eb, "%02d", ae % 1000);
        for (char *x = eb; *x; x++) PUT(*x);
    }
#undef PUT
    *o = 0;
}

/* Code points Python's str.isprintable() rejects (beyond ASCII controls): C1 controls,
 * non-ASCII spaces, format characters, line/paragraph separators, private use. */
static bool cp_unprintable(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x206F) || cp == 0x3000 ||
           (cp >= 0xD800 && cp <= 0xF8FF) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
           cp >= 0xF0000;
}

static bool repr_str(jx_ctx *c, jx_buf *b, const char *p, size_t n) {
    bool has_sq = memchr(p, '\'', n) != NULL, has_dq = memchr(p, '"', n) != NULL;
    char quote = has_sq && !has_dq ? '"' : '\'';
    if (!jx_buf_putc(c, b, quote)) return false;
    char esc[16];
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x80) {
            const char *e = NULL;
            if (ch == '\\') e = "\\\\";
            else if (ch == '\n') e = "\\n";
            else if (ch == '\r') e = "\\r";
            else if (ch == '\t') e = "\\t";
            else if (ch == (unsigned char)quote) e = quote == '\'' ? "\\'" : "\\\"";
            else if (ch < 0x20 || ch == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", ch);
                e = esc;
            }
            if (e ? !jx_buf_puts(c, b, e) : !jx_buf_putc(c, b, (char)ch)) return false;
            i++;
            continue;
        }
        size_t len = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
        if (len > n - i) len = n - i;
        uint32_t cp = ch & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F);
        for (size_t k = 1; k < len; k++) cp = (cp << 6) | ((unsigned char)p[i + k] & 0x3F);
        if (cp_unprintable(cp)) {
            if (cp < 0x100) snprintf(esc, sizeof esc, "\\x%02x", cp);
            else if (cp < 0x10000) snprintf(esc, sizeof esc, "\\u%04x", cp);
            else snprintf(esc, sizeof esc, "\\U%08x", cp);
            if (!jx_buf_puts(c, b, esc)) return false;
        } else if (!jx_buf_put(c, b, p + i, len)) {
            return false;
        }
        i += len;
    }
    return jx_buf_putc(c, b, quote);
}

static bool put_scalar(jx_ctx *c, jx_buf *b, const jv *v) {
    char tmp[64];
    switch (v->k) {
    case JV_NONE: return jx_buf_puts(c, b, "None");
    case JV_BOOL: return jx_buf_puts(c, b, v->u.b ? "True" : "False");
    case JV_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
        return jx_buf_puts(c, b, tmp);
    case JV_FLOAT:
        jx_float_repr(v->u.f, tmp, sizeof tmp);
        return jx_buf_puts(c, b, tmp);
    case JV_MACRO: return jx_buf_puts(c, b, "<Macro>");
    case JV_FUNC: return jx_buf_puts(c, b, "<built-in function>");
    default: return true;
    }
}

bool jv_repr_append(jx_ctx *c, jx_buf *b, const jv *v) {
    if (++c->depth > c->lim->max_depth) {
        jx_fail(c, NULL, LMD_E_LIMIT, "value nesting deeper than %d", c->lim->max_depth);
        return false;
    }
    bool ok = true;
    switch (v->k) {
    case JV_STR: ok = repr_str(c, b, v->u.s.p, v->u.s.n); break;
    case JV_UNDEF: ok = true; break;
    case JV_LIST:
        ok = jx_buf_putc(c, b, v->is_tuple ? '(' : '[');
        for (size_t i = 0; ok && i < v->u.l.n; i++) {
            if (i) ok = jx_buf_puts(c, b, ", ");
            ok = ok && jv_repr_append(c, b, v->u.l.v[i]);
        }
        if (ok && v->is_tuple && v->u.l.n == 1) ok = jx_buf_putc(c, b, ',');
        ok = ok && jx_buf_putc(c, b, v->is_tuple ? ')' : ']');
        break;
    case JV_NS:
        ok = jx_buf_puts(c, b, "<Namespace ");
        /* fall through */
    case JV_DICT:
        ok = ok && jx_buf_putc(c, b, '{');
        for (size_t i = 0; ok && i < v->u.d.n; i++) {
            if (i) ok = jx_buf_puts(c, b, ", ");
            ok = ok && jv_repr_append(c, b, v->u.d.key[i]) && jx_buf_puts(c, b, ": ") &&
                 jv_repr_append(c, b, v->u.d.val[i]);
        }
        ok = ok && jx_buf_putc(c, b, '}');
        if (v->k == JV_NS) ok = ok && jx_buf_putc(c, b, '>');
        break;
    default: ok = put_scalar(c, b, v); break;
    }
    c->depth--;
    return ok;
}

bool jv_str_append(jx_ctx *c, jx_buf *b, const jv *v) {
    if (v->k == JV_STR) return jx_buf_put(c, b, v->u.s.p, v->u.s.n);
    if (v->k == JV_UNDEF) return true;
    return jv_repr_append(c, b, v);
}

jv *jv_to_str(jx_ctx *c, const jv *v) {
    if (v->k == JV_STR) return (jv *)v;
    jx_buf b = { .max = c->lim->max_output_bytes };
    if (!jv_str_append(c, &b, v)) {
        free(b.p);
        return NULL;
    }
    jv *r = jv_str(c, b.p, b.n);
    free(b.p);
    return r;
}
