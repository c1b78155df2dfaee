/* jinja_str.c — Python str operations the templates use (strip, split, replace, case, find,
 * startswith), shared by the filters and the string methods. Case mapping is ASCII-only;
 * whitespace is Python's (ASCII plus the Unicode spaces str.isspace() accepts). */
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"
#include "template/jinja_str.h"

/* Decodes the code point at p[i] (assumes valid UTF-8, clamps at n); *len gets its bytes. */
static uint32_t cp_at(const char *p, size_t n, size_t i, size_t *len) {
    unsigned char ch = (unsigned char)p[i];
    size_t l = ch < 0x80 ? 1 : ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
    if (l > n - i) l = n - i;
    uint32_t cp = l == 1 ? ch : (uint32_t)(ch & (l == 4 ? 0x07 : l == 3 ? 0x0F : 0x1F));
    for (size_t k = 1; k < l; k++) cp = (cp << 6) | ((unsigned char)p[i + k] & 0x3F);
    *len = l;
    return cp;
}

static bool py_space(uint32_t cp) {
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool in_chars(uint32_t cp, const jv *chars) {
    if (!chars) return py_space(cp);
    for (size_t i = 0; i < chars->u.s.n;) {
        size_t l;
        if (cp_at(chars->u.s.p, chars->u.s.n, i, &l) == cp) return true;
        i += l;
    }
    return false;
}

jv *jx_str_strip(jx_ctx *c, const jv *s, const jv *chars, bool left, bool right) {
    size_t a = 0, b = s->u.s.n, l;
    if (chars && chars->k != JV_STR) chars = NULL;
    while (left && a < b && in_chars(cp_at(s->u.s.p, b, a, &l), chars)) a += l;
    while (right && b > a) {
        size_t st = b - 1;
        while (st > a && ((unsigned char)s->u.s.p[st] & 0xC0) == 0x80) st--;
        if (!in_chars(cp_at(s->u.s.p, b, st, &l), chars)) break;
        b = st;
    }
    return jv_str_ref(c, s->u.s.p + a, b - a);
}

jv *jx_str_split(jx_ctx *c, const jv *s, const jv *sep, int64_t maxsplit, const jx_node *at) {
    jv *out = jv_list(c, 0);
    if (!out) return NULL;
    const char *p = s->u.s.p;
    size_t n = s->u.s.n, i = 0, l;
    if (!sep || sep->k == JV_NONE) {
        for (;;) {
            while (i < n && py_space(cp_at(p, n, i, &l))) i += l;
            if (i >= n) break;
            size_t st = i;
            if (maxsplit >= 0 && (int64_t)out->u.l.n >= maxsplit) {
                size_t e = n;
                while (e > st) { /* Python keeps trailing text but drops trailing whitespace */
                    size_t q = e - 1;
                    while (q > st && ((unsigned char)p[q] & 0xC0) == 0x80) q--;
                    if (!py_space(cp_at(p, n, q, &l))) break;
                    e = q;
                }
                jv *w = jv_str_ref(c, p + st, e - st);
                if (!w || !jv_list_push(c, out, w)) return NULL;
                break;
            }
            while (i < n && !py_space(cp_at(p, n, i, &l))) i += l;
            jv *w = jv_str_ref(c, p + st, i - st);
            if (!w || !jv_list_push(c, out, w)) return NULL;
        }
        return out;
    }
    if (sep->k != JV_STR) return jx_fail(c, at, LMD_E_INVALID, "must be str or None, not %s", jv_type_name(sep));
    if (sep->u.s.n == 0) return jx_fail(c, at, LMD_E_INVALID, "empty separator");
    size_t st = 0;
    for (;;) {
        const char *hit = (maxsplit < 0 || (int64_t)out->u.l.n < maxsplit)
                              ? memmem(p + st, n - st, sep->u.s.p, sep->u.s.n) : NULL;
        size_t e = hit ? (size_t)(hit - p) : n;
        jv *w = jv_str_ref(c, p + st, e - st);
        if (!w || !jv_list_push(c, out, w)) return NULL;
        if (!hit) break;
        st = e + sep->u.s.n;
    }
    return out;
}

jv *jx_str_replace(jx_ctx *c, const jv *s, const jv *old, const jv *new_, int64_t count) {
    jx_buf b = { .max = c->lim->max_output_bytes };
    const char *p = s->u.s.p;
    size_t n = s->u.s.n, i = 0;
    int64_t done = 0;
    bool ok = true;
    if (old->u.s.n == 0) {
        /* Python inserts new before every character and at the end. */
        while (ok && (count < 0 || done < count) && i <= n) {
            ok = jx_buf_put(c, &b, new_->u.s.p, new_->u.s.n);
            done++;
            if (i == n) { i++; break; }
            size_t l = 1;
            while (i + l < n && ((unsigned char)p[i + l] & 0xC0) == 0x80) l++;
            ok = ok && jx_buf_put(c, &b, p + i, l);
            i += l;
        }
        if (ok && i < n) ok = jx_buf_put(c, &b, p + i, n - i);
    } else {
        while (ok) {
            const char *hit = (count < 0 || done < count) ? memmem(p + i, n - i, old->u.s.p, old->u.s.n) : NULL;
            if (!hit) { ok = jx_buf_put(c, &b, p + i, n - i); break; }
            size_t e = (size_t)(hit - p);
            ok = jx_buf_put(c, &b, p + i, e - i) && jx_buf_put(c, &b, new_->u.s.p, new_->u.s.n);
            i = e + old->u.s.n;
            done++;
        }
    }
    jv *r = ok ? jv_str(c, b.p ? b.p : "", b.n) : NULL;
    free(b.p);
    return r;
}

/* mode: 'u' upper, 'l' lower, 'c' capitalize, 't' title (jinja's do_title word rule). */
jv *jx_str_case(jx_ctx *c, const jv *s, char mode) {
    char *o = jx_arena_alloc(&c->arena, s->u.s.n + 1);
    if (!o) return jx_fail(c, NULL, LMD_E_LIMIT, "render memory exceeded");
    bool word_start = true;
    for (size_t i = 0; i < s->u.s.n; i++) {
        char ch = s->u.s.p[i];
        bool up;
        if (mode == 'u') up = true;
        else if (mode == 'l') up = false;
        else if (mode == 'c') up = i == 0;
        else {
            bool sep = ch == '-' || ch == '(' || ch == '{' || ch == '[' || ch == '<' || ch == ' ' ||
                       (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x1F);
            up = word_start;
            word_start = sep;
        }
        if (up && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        else if (!up && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        o[i] = ch;
    }
    return jv_str_ref(c, o, s->u.s.n);
}

bool jx_str_affix(const jv *s, const jv *fix, bool at_end) {
    if (fix->k != JV_STR || fix->u.s.n > s->u.s.n) return false;
    const char *p = at_end ? s->u.s.p + s->u.s.n - fix->u.s.n : s->u.s.p;
    return fix->u.s.n == 0 || !memcmp(p, fix->u.s.p, fix->u.s.n);
}

int64_t jx_str_find(const jv *s, const jv *sub) {
    const char *hit = sub->u.s.n == 0 ? s->u.s.p : memmem(s->u.s.p, s->u.s.n, sub->u.s.p, sub->u.s.n);
    if (!hit) return -1;
    return (int64_t)jx_utf8_count(s->u.s.p, (size_t)(hit - s->u.s.p));
}

int64_t jx_str_count(const jv *s, const jv *sub) {
    if (sub->u.s.n == 0) return (int64_t)jx_utf8_count(s->u.s.p, s->u.s.n) + 1;
    int64_t k = 0;
    size_t i = 0;
    const char *hit;
    while ((hit = memmem(s->u.s.p + i, s->u.s.n - i, sub->u.s.p, sub->u.s.n))) {
        k++;
        i = (size_t)(hit - s->u.s.p) + sub->u.s.n;
    }
    return k;
}

/* str.splitlines() boundaries: \n \r \r\n \v \f \x1c-\x1e \x85 U+2028 U+2029. */
jv *jx_str_splitlines(jx_ctx *c, const jv *s) {
    jv *out = jv_list(c, 0);
    const char *p = s->u.s.p;
    size_t n = s->u.s.n, st = 0, i = 0, l;
    while (out && i < n) {
        uint32_t cp = cp_at(p, n, i, &l);
        bool brk = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
                   cp == 0x85 || cp == 0x2028 || cp == 0x2029;
        if (!brk) { i += l; continue; }
        jv *w = jv_str_ref(c, p + st, i - st);
        if (!w || !jv_list_push(c, out, w)) return NULL;
        i += l;
        if (cp == '\r' && i < n && p[i] == '\n') i++;
        st = i;
    }
    if (out && st < n) {
        jv *w = jv_str_ref(c, p + st, n - st);
        if (!w || !jv_list_push(c, out, w)) return NULL;
    }
    return out;
}
