/* goprint.c — how Go writes values: fmt's %v (and the printf verbs Ollama's templates
 * use: v s q d f e g t x X c with flags, width and precision), Sprint's spacing rule,
 * strconv's shortest float formatting, and encoding/json.Marshal with its HTML escaping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl_int.h"
#include "util/str.h"

/* ---- floats ---- */

/* Shortest decimal digits that read back as f (f finite, > 0): f = 0.DIGITS x 10^dp. */
static void shortest_digits(double f, char *digits, int *nd, int *dp) {
    char tmp[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, f);
        if (strtod(tmp, NULL) == f) break;
    }
    /* tmp = d[.ddd]e±XX */
    int k = 0;
    const char *s = tmp;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[k++] = *s;
    int exp10 = atoi(s + 1);
    while (k > 1 && digits[k - 1] == '0') k--;
    digits[k] = 0;
    *nd = k;
    *dp = exp10 + 1;
}

static void put_e(go_buf *b, const char *d, int nd, int dp, int prec /* -1 = all digits */) {
    go_buf_putc(b, d[0]);
    int frac = prec < 0 ? nd - 1 : prec;
    if (frac > 0) {
        go_buf_putc(b, '.');
        for (int i = 1; i <= frac; i++) go_buf_putc(b, i < nd ? d[i] : '0');
    }
    int e = dp - 1;
    go_buf_printf(b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

static void put_f(go_buf *b, const char *d, int nd, int dp, int frac) {
    if (dp <= 0) go_buf_putc(b, '0');
    else
        for (int i = 0; i < dp; i++) go_buf_putc(b, i < nd ? d[i] : '0');
    if (frac > 0) {
        go_buf_putc(b, '.');
        for (int i = 0; i < frac; i++) {
            int idx = dp + i;
            go_buf_putc(b, idx >= 0 && idx < nd ? d[idx] : '0');
        }
    }
}

void go_format_float(go_buf *b, double f, char fmtc) {
    if (isnan(f)) { go_buf_puts(b, "NaN"); return; }
    if (isinf(f)) { go_buf_puts(b, f > 0 ? "+Inf" : "-Inf"); return; }
    if (signbit(f)) { go_buf_putc(b, '-'); f = -f; }
    char d[40];
    int nd, dp;
    if (f == 0) { d[0] = '0'; d[1] = 0; nd = 1; dp = 1; }
    else shortest_digits(f, d, &nd, &dp);
    if (fmtc == 'g') {
        /* strconv's shortest %g decides with precision 6: %e below 1e-4 or from 1e6 up */
        int exp = dp - 1;
        fmtc = (f != 0 && (exp < -4 || exp >= 6)) ? 'e' : 'f';
    }
    if (fmtc == 'e') put_e(b, d, nd, dp, -1);
    else put_f(b, d, nd, dp, nd - dp > 0 ? nd - dp : 0);
}

/* fmt's %v of a float64: strconv 'g' shortest. */
static void fmt_float_v(go_buf *b, double f) { go_format_float(b, f, 'g'); }

/* %e / %f / %g with an explicit precision: C's printf agrees with Go for these. */
static void fmt_float_prec(go_buf *b, double f, char verb, int prec) {
    if (isnan(f)) { go_buf_puts(b, "NaN"); return; }
    if (isinf(f)) { go_buf_puts(b, f > 0 ? "+Inf" : "-Inf"); return; }
    char spec[16];
    snprintf(spec, sizeof spec, "%%.%d%c", prec, verb);
    go_buf_printf(b, spec, f);
}

/* ---- %v ---- */

void go_fmt_v(go_buf *b, go_val v, int depth) {
    if (v.str) { go_buf_puts(b, v.str); return; }
    switch ((go_kind)v.kind) {
    case GV_INVALID: case GV_NILIFACE: case GV_NIL: go_buf_puts(b, "<nil>"); return;
    case GV_BOOL: go_buf_puts(b, v.u.b ? "true" : "false"); return;
    case GV_INT: go_buf_printf(b, "%lld", (long long)v.u.i); return;
    case GV_FLOAT: fmt_float_v(b, v.u.f); return;
    case GV_STRING: go_buf_put(b, v.u.s.p, v.u.s.n); return;
    case GV_SLICE:
        go_buf_putc(b, '[');
        for (size_t i = 0; !v.is_nil && i < v.u.a->n; i++) {
            if (i) go_buf_putc(b, ' ');
            go_fmt_v(b, v.u.a->items[i], depth + 1);
        }
        go_buf_putc(b, ']');
        return;
    case GV_MAP:
        go_buf_puts(b, "map[");
        for (size_t i = 0; !v.is_nil && i < v.u.a->n; i++) {
            if (i) go_buf_putc(b, ' ');
            go_buf_puts(b, v.u.a->keys[i]);
            go_buf_putc(b, ':');
            go_fmt_v(b, v.u.a->items[i], depth + 1);
        }
        go_buf_putc(b, ']');
        return;
    case GV_STRUCT:
        if (v.is_ptr && depth > 0) { go_buf_puts(b, "0xc000000000"); return; } /* an address */
        if (v.is_ptr) go_buf_putc(b, '&');
        go_buf_putc(b, '{');
        for (size_t i = 0; i < v.u.a->n; i++) {
            if (i) go_buf_putc(b, ' ');
            go_fmt_v(b, v.u.a->items[i], depth + 1);
        }
        go_buf_putc(b, '}');
        return;
    }
}

static bool is_string_kind(go_val v) { return v.kind == GV_STRING; }

void go_sprint(go_buf *b, const go_val *args, int n) {
    for (int i = 0; i < n; i++) {
        if (i > 0 && !is_string_kind(args[i]) && !is_string_kind(args[i - 1])) go_buf_putc(b, ' ');
        go_fmt_v(b, args[i], 0);
    }
}

void go_sprintln(go_buf *b, const go_val *args, int n) {
    for (int i = 0; i < n; i++) {
        if (i > 0) go_buf_putc(b, ' ');
        go_fmt_v(b, args[i], 0);
    }
    go_buf_putc(b, '\n');
}

/* ---- printf ---- */

typedef struct {
    bool minus, plus, zero, space, sharp;
    int width, prec; /* -1 = absent */
} fmt_flags;

static void pad(go_buf *out, const char *s, size_t n, const fmt_flags *f, bool numeric) {
    /* width counts runes */
    size_t runes = 0;
    for (size_t i = 0; i < n; i++) runes += ((unsigned char)s[i] & 0xC0) != 0x80;
    size_t w = f->width > 0 ? (size_t)f->width : 0;
    if (runes >= w) { go_buf_put(out, s, n); return; }
    size_t fill = w - runes;
    if (f->minus) {
        go_buf_put(out, s, n);
        for (size_t i = 0; i < fill; i++) go_buf_putc(out, ' ');
        return;
    }
    if (f->zero && numeric) {
        size_t sign = n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ');
        go_buf_put(out, s, sign);
        for (size_t i = 0; i < fill; i++) go_buf_putc(out, '0');
        go_buf_put(out, s + sign, n - sign);
        return;
    }
    for (size_t i = 0; i < fill; i++) go_buf_putc(out, f->zero ? '0' : ' ');
    go_buf_put(out, s, n);
}

static void quote_string(go_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    go_buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '"': go_buf_puts(b, "\\\""); break;
            case '\\': go_buf_puts(b, "\\\\"); break;
            case '\a': go_buf_puts(b, "\\a"); break;
            case '\b': go_buf_puts(b, "\\b"); break;
            case '\f': go_buf_puts(b, "\\f"); break;
            case '\n': go_buf_puts(b, "\\n"); break;
            case '\r': go_buf_puts(b, "\\r"); break;
            case '\t': go_buf_puts(b, "\\t"); break;
            case '\v': go_buf_puts(b, "\\v"); break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
                    go_buf_put(b, e, 4);
                } else {
                    go_buf_putc(b, (char)c);
                }
            }
            i++;
            continue;
        }
        size_t w = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (w == 1 || i + w > n || !lmd_utf8_valid(s + i, w)) {
            char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
            go_buf_put(b, e, 4);
            i++;
            continue;
        }
        go_buf_put(b, s + i, w);
        i += w;
    }
    go_buf_putc(b, '"');
}

static void bad_verb(go_buf *b, char verb, go_val v) {
    go_buf_printf(b, "%%!%c(", verb);
    if (v.kind == GV_INVALID) { go_buf_puts(b, "<nil>)"); return; }
    go_buf_puts(b, go_type_name(v));
    go_buf_putc(b, '=');
    go_fmt_v(b, v, 0);
    go_buf_putc(b, ')');
}

static void fmt_one(go_buf *out, go_val v, char verb, const fmt_flags *f, int depth);

static void fmt_composite(go_buf *out, go_val v, char verb, const fmt_flags *f, int depth) {
    fmt_flags inner = *f;
    if (v.kind == GV_MAP) go_buf_puts(out, "map[");
    else go_buf_putc(out, v.kind == GV_STRUCT ? '{' : '[');
    for (size_t i = 0; !v.is_nil && i < v.u.a->n; i++) {
        if (i) go_buf_putc(out, ' ');
        if (v.kind == GV_MAP) {
            fmt_one(out, go_str(v.u.a->keys[i], strlen(v.u.a->keys[i])), verb, &inner, depth + 1);
            go_buf_putc(out, ':');
        }
        fmt_one(out, v.u.a->items[i], verb, &inner, depth + 1);
    }
    go_buf_putc(out, v.kind == GV_STRUCT ? '}' : ']');
}

static void fmt_one(go_buf *out, go_val v, char verb, const fmt_flags *f, int depth) {
    go_buf tmp = { .max_bytes = out->max_bytes };
    bool numeric = false;
    if (v.str && (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X'))
        v = go_str(v.str, strlen(v.str));
    switch (verb) {
    case 'v':
        if (v.kind == GV_SLICE || v.kind == GV_MAP || (v.kind == GV_STRUCT && !(v.is_ptr && depth > 0))) {
            if (v.kind == GV_STRUCT && v.is_ptr) go_buf_putc(&tmp, '&');
            fmt_composite(&tmp, v, verb, f, depth);
        } else {
            numeric = v.kind == GV_INT || v.kind == GV_FLOAT;
            if (v.kind == GV_FLOAT && f->prec >= 0) fmt_float_prec(&tmp, v.u.f, 'g', f->prec);
            else if (v.kind == GV_STRING && f->prec >= 0) {
                size_t n = 0;
                int runes = 0;
                while (n < v.u.s.n && runes < f->prec) {
                    n++;
                    while (n < v.u.s.n && ((unsigned char)v.u.s.p[n] & 0xC0) == 0x80) n++;
                    runes++;
                }
                go_buf_put(&tmp, v.u.s.p, n);
            } else if (v.kind == GV_INT && f->plus) go_buf_printf(&tmp, "%+lld", (long long)v.u.i);
            else go_fmt_v(&tmp, v, depth);
        }
        break;
    case 's':
        if (v.kind == GV_STRING) {
            size_t n = v.u.s.n;
            if (f->prec >= 0) {
                size_t k = 0;
                int runes = 0;
                while (k < n && runes < f->prec) {
                    k++;
                    while (k < n && ((unsigned char)v.u.s.p[k] & 0xC0) == 0x80) k++;
                    runes++;
                }
                n = k;
            }
            go_buf_put(&tmp, v.u.s.p, n);
        } else if (v.kind == GV_SLICE || v.kind == GV_MAP || v.kind == GV_STRUCT) {
            fmt_composite(&tmp, v, verb, f, depth);
        } else {
            bad_verb(&tmp, verb, v);
        }
        break;
    case 'q':
        if (v.kind == GV_STRING) quote_string(&tmp, v.u.s.p, v.u.s.n);
        else if (v.kind == GV_INT) {
            char c[8];
            size_t n = 0;
            int64_t r = v.u.i;
            if (r >= 0 && r < 0x80) { c[0] = (char)r; n = 1; }
            go_buf_putc(&tmp, '\'');
            if (n == 1 && r >= 0x20 && r != 0x7f && r != '\'' && r != '\\') go_buf_put(&tmp, c, 1);
            else if (r == '\'') go_buf_puts(&tmp, "\\'");
            else go_buf_printf(&tmp, "\\x%02x", (unsigned)(r & 0xff));
            go_buf_putc(&tmp, '\'');
        } else if (v.kind == GV_SLICE || v.kind == GV_MAP || v.kind == GV_STRUCT) {
            fmt_composite(&tmp, v, verb, f, depth);
        } else {
            bad_verb(&tmp, verb, v);
        }
        break;
    case 'd':
        numeric = true;
        if (v.kind == GV_INT) go_buf_printf(&tmp, f->plus ? "%+lld" : "%lld", (long long)v.u.i);
        else if (v.kind == GV_SLICE || v.kind == GV_MAP || v.kind == GV_STRUCT)
            fmt_composite(&tmp, v, verb, f, depth);
        else bad_verb(&tmp, verb, v);
        break;
    case 'x':
    case 'X':
        numeric = v.kind == GV_INT;
        if (v.kind == GV_INT) {
            if (v.u.i < 0) go_buf_printf(&tmp, verb == 'x' ? "-%llx" : "-%llX", (unsigned long long)(-(v.u.i + 1)) + 1ull);
            else go_buf_printf(&tmp, verb == 'x' ? "%llx" : "%llX", (unsigned long long)v.u.i);
        } else if (v.kind == GV_STRING) {
            for (size_t i = 0; i < v.u.s.n; i++)
                go_buf_printf(&tmp, verb == 'x' ? "%02x" : "%02X", (unsigned char)v.u.s.p[i]);
        } else bad_verb(&tmp, verb, v);
        break;
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
        numeric = true;
        if (v.kind == GV_FLOAT) {
            char lv = (char)(verb == 'F' ? 'f' : verb);
            if (f->prec < 0 && (lv == 'g' || lv == 'G')) {
                if (f->plus && !signbit(v.u.f)) go_buf_putc(&tmp, '+');
                fmt_float_v(&tmp, v.u.f);
            } else {
                if (f->plus && !signbit(v.u.f)) go_buf_putc(&tmp, '+');
                fmt_float_prec(&tmp, v.u.f, lv, f->prec < 0 ? 6 : f->prec);
            }
        } else bad_verb(&tmp, verb, v);
        break;
    case 't':
        if (v.kind == GV_BOOL) go_buf_puts(&tmp, v.u.b ? "true" : "false");
        else bad_verb(&tmp, verb, v);
        break;
    case 'c':
        if (v.kind == GV_INT) {
            int64_t r = v.u.i;
            char c[4];
            unsigned ur = (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) ? 0xFFFD : (unsigned)r;
            size_t n;
            if (ur < 0x80) { c[0] = (char)ur; n = 1; }
            else if (ur < 0x800) { c[0] = (char)(0xC0 | (ur >> 6)); c[1] = (char)(0x80 | (ur & 0x3F)); n = 2; }
            else if (ur < 0x10000) {
                c[0] = (char)(0xE0 | (ur >> 12)); c[1] = (char)(0x80 | ((ur >> 6) & 0x3F));
                c[2] = (char)(0x80 | (ur & 0x3F)); n = 3;
            } else {
                c[0] = (char)(0xF0 | (ur >> 18)); c[1] = (char)(0x80 | ((ur >> 12) & 0x3F));
                c[2] = (char)(0x80 | ((ur >> 6) & 0x3F)); c[3] = (char)(0x80 | (ur & 0x3F)); n = 4;
            }
            go_buf_put(&tmp, c, n);
        } else bad_verb(&tmp, verb, v);
        break;
    default:
        bad_verb(&tmp, verb, v);
    }
    if (tmp.failed) out->failed = true;
    pad(out, tmp.p ? tmp.p : "", tmp.len, f, numeric);
    free(tmp.p);
}

void go_sprintf(go_buf *b, const char *fmt, size_t n, const go_val *args, int n_args) {
    int argi = 0;
    for (size_t i = 0; i < n;) {
        if (fmt[i] != '%') {
            size_t j = i;
            while (j < n && fmt[j] != '%') j++;
            go_buf_put(b, fmt + i, j - i);
            i = j;
            continue;
        }
        i++;
        fmt_flags f = { .width = -1, .prec = -1 };
        for (; i < n; i++) {
            char c = fmt[i];
            if (c == '-') { f.minus = true; f.zero = false; }
            else if (c == '+') f.plus = true;
            else if (c == '0') f.zero = !f.minus;
            else if (c == ' ') f.space = true;
            else if (c == '#') f.sharp = true;
            else break;
        }
        if (i < n && fmt[i] == '*') {
            i++;
            if (argi < n_args && args[argi].kind == GV_INT) {
                f.width = (int)args[argi++].u.i;
                if (f.width < 0) { f.minus = true; f.width = -f.width; }
                if (f.width > 1000000) f.width = 1000000;
            } else {
                go_buf_puts(b, "%!(BADWIDTH)");
                if (argi < n_args) argi++;
            }
        } else {
            while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
                f.width = (f.width < 0 ? 0 : f.width) * 10 + (fmt[i] - '0');
                if (f.width > 1000000) f.width = 1000000;
                i++;
            }
        }
        if (i < n && fmt[i] == '.') {
            i++;
            f.prec = 0;
            if (i < n && fmt[i] == '*') {
                i++;
                if (argi < n_args && args[argi].kind == GV_INT) {
                    f.prec = (int)args[argi++].u.i;
                    if (f.prec < 0) f.prec = -1;
                    if (f.prec > 1000000) f.prec = 1000000;
                } else {
                    go_buf_puts(b, "%!(BADPREC)");
                    if (argi < n_args) argi++;
                }
            } else {
                while (i < n && fmt[i] >= '0' && fmt[i] <= '9') {
                    f.prec = f.prec * 10 + (fmt[i] - '0');
                    if (f.prec > 1000000) f.prec = 1000000;
                    i++;
                }
            }
        }
        if (i >= n) { go_buf_puts(b, "%!(NOVERB)"); break; }
        char verb = fmt[i++];
        if (verb == '%') { go_buf_putc(b, '%'); continue; }
        if (argi >= n_args) { go_buf_printf(b, "%%!%c(MISSING)", verb); continue; }
        fmt_one(b, args[argi++], verb, &f, 0);
    }
    if (argi < n_args) {
        go_buf_puts(b, "%!(EXTRA ");
        for (int k = argi; k < n_args; k++) {
            if (k > argi) go_buf_puts(b, ", ");
            if (args[k].kind == GV_INVALID || args[k].kind == GV_NILIFACE) { go_buf_puts(b, "<nil>"); continue; }
            go_buf_puts(b, go_type_name(args[k]));
            go_buf_putc(b, '=');
            go_fmt_v(b, args[k], 0);
        }
        go_buf_putc(b, ')');
    }
}

/* ---- encoding/json ---- */

static void go_json_str(go_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    go_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') { i++; continue; }
            go_buf_put(b, s + start, i - start);
            switch (c) {
            case '"': go_buf_puts(b, "\\\""); break;
            case '\\': go_buf_puts(b, "\\\\"); break;
            case '\n': go_buf_puts(b, "\\n"); break;
            case '\r': go_buf_puts(b, "\\r"); break;
            case '\t': go_buf_puts(b, "\\t"); break;
            default: {
                char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                go_buf_put(b, e, 6);
            }
            }
            start = ++i;
            continue;
        }
        size_t w = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (w == 1 || i + w > n || !lmd_utf8_valid(s + i, w)) {
            go_buf_put(b, s + start, i - start);
            go_buf_puts(b, "\\ufffd");
            start = ++i;
            continue;
        }
        if (w == 3 && c == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            go_buf_put(b, s + start, i - start);
            go_buf_puts(b, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            start = i + 3;
        }
        i += w;
    }
    go_buf_put(b, s + start, n - start);
    go_buf_putc(b, '"');
}

static bool json_float(go_buf *b, double f) {
    if (isnan(f) || isinf(f)) return false;
    double a = fabs(f);
    char fmtc = (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f';
    go_buf tmp = { .max_bytes = 64 };
    go_format_float(&tmp, f, fmtc);
    if (!tmp.p) return false;
    size_t n = tmp.len;
    if (fmtc == 'e' && n >= 4 && tmp.p[n - 4] == 'e' && tmp.p[n - 3] == '-' && tmp.p[n - 2] == '0') {
        tmp.p[n - 2] = tmp.p[n - 1];
        n--;
    }
    go_buf_put(b, tmp.p, n);
    free(tmp.p);
    return true;
}

bool go_json_marshal_json(go_buf *b, const json_t *j, bool sort_keys) {
    switch (json_typeof(j)) {
    case JSON_NULL: go_buf_puts(b, "null"); return true;
    case JSON_TRUE: go_buf_puts(b, "true"); return true;
    case JSON_FALSE: go_buf_puts(b, "false"); return true;
    case JSON_INTEGER: go_buf_printf(b, "%lld", (long long)json_integer_value(j)); return true;
    case JSON_REAL: return json_float(b, json_real_value(j));
    case JSON_STRING: go_json_str(b, json_string_value(j), json_string_length(j)); return true;
    case JSON_ARRAY:
        go_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i) go_buf_putc(b, ',');
            if (!go_json_marshal_json(b, json_array_get(j, i), sort_keys)) return false;
        }
        go_buf_putc(b, ']');
        return true;
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (!keys) { b->failed = true; return false; }
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v) keys[k++] = key;
        if (sort_keys) {
            for (size_t x = 1; x < n; x++)
                for (size_t y = x; y > 0 && strcmp(keys[y - 1], keys[y]) > 0; y--) {
                    const char *t = keys[y]; keys[y] = keys[y - 1]; keys[y - 1] = t;
                }
        }
        go_buf_putc(b, '{');
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            if (i) go_buf_putc(b, ',');
            go_json_str(b, keys[i], strlen(keys[i]));
            go_buf_putc(b, ':');
            ok = go_json_marshal_json(b, json_object_get(j, keys[i]), sort_keys);
        }
        free(keys);
        go_buf_putc(b, '}');
        return ok;
    }
    }
    return false;
}

static bool is_empty_value(go_val v) {
    switch ((go_kind)v.kind) {
    case GV_INVALID: case GV_NILIFACE: case GV_NIL: return true;
    case GV_BOOL: return !v.u.b;
    case GV_INT: return v.u.i == 0;
    case GV_FLOAT: return v.u.f == 0;
    case GV_STRING: return v.u.s.n == 0;
    case GV_SLICE: case GV_MAP: return v.is_nil || v.u.a->n == 0;
    case GV_STRUCT: return false;
    }
    return false;
}

bool go_json_marshal(go_buf *b, go_val v) {
    if (v.mj) return go_json_marshal_json(b, v.mj, false);
    /* api.PropertyType marshals one type as a bare string */
    if (v.kind == GV_SLICE && !v.is_nil && v.u.a->n == 1 && v.tname &&
        strcmp(v.tname, "api.PropertyType") == 0)
        return go_json_marshal(b, v.u.a->items[0]);
    switch ((go_kind)v.kind) {
    case GV_INVALID: case GV_NILIFACE: case GV_NIL: go_buf_puts(b, "null"); return true;
    case GV_BOOL: go_buf_puts(b, v.u.b ? "true" : "false"); return true;
    case GV_INT: go_buf_printf(b, "%lld", (long long)v.u.i); return true;
    case GV_FLOAT: return json_float(b, v.u.f);
    case GV_STRING: go_json_str(b, v.u.s.p, v.u.s.n); return true;
    case GV_SLICE:
        if (v.is_nil) { go_buf_puts(b, "null"); return true; }
        go_buf_putc(b, '[');
        for (size_t i = 0; i < v.u.a->n; i++) {
            if (i) go_buf_putc(b, ',');
            if (!go_json_marshal(b, v.u.a->items[i])) return false;
        }
        go_buf_putc(b, ']');
        return true;
    case GV_MAP:
        if (v.is_nil) { go_buf_puts(b, "null"); return true; }
        go_buf_putc(b, '{');
        for (size_t i = 0; i < v.u.a->n; i++) {
            if (i) go_buf_putc(b, ',');
            go_json_str(b, v.u.a->keys[i], strlen(v.u.a->keys[i]));
            go_buf_putc(b, ':');
            if (!go_json_marshal(b, v.u.a->items[i])) return false;
        }
        go_buf_putc(b, '}');
        return true;
    case GV_STRUCT: {
        go_buf_putc(b, '{');
        bool first = true;
        for (size_t i = 0; i < v.u.a->n; i++) {
            const char *name = v.u.a->json_names ? v.u.a->json_names[i] : v.u.a->keys[i];
            if (strcmp(name, "-") == 0) continue;
            if (v.u.a->omitempty && v.u.a->omitempty[i] && is_empty_value(v.u.a->items[i])) continue;
            if (!first) go_buf_putc(b, ',');
            first = false;
            go_json_str(b, name, strlen(name));
            go_buf_putc(b, ':');
            if (!go_json_marshal(b, v.u.a->items[i])) return false;
        }
        go_buf_putc(b, '}');
        return true;
    }
    }
    return false;
}
