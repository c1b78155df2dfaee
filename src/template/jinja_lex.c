/* jinja_lex.c — template text into tokens, applying Jinja2's whitespace control exactly as
 * jinja2's lexer does in HF's environment: `{%-`/`-%}` strip all whitespace on that side,
 * trim_blocks drops the first newline after a block or comment tag, lstrip_blocks drops the
 * spaces and tabs between a line start and a block or comment tag (`{%+` keeps them). */
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

typedef struct {
    lmd_jinja *t;
    const char *s;
    size_t n;
    jx_toks *out;
    lmd_err *err;
    size_t loc_off;     /* cache for line/column of increasing offsets */
    int loc_line, loc_col;
} lexer;

static void locate(lexer *L, size_t off, int *line, int *col) {
    if (off < L->loc_off) {
        L->loc_off = 0;
        L->loc_line = 1;
        L->loc_col = 1;
    }
    for (; L->loc_off < off && L->loc_off < L->n; L->loc_off++) {
        if (L->s[L->loc_off] == '\n') {
            L->loc_line++;
            L->loc_col = 1;
        } else if (((unsigned char)L->s[L->loc_off] & 0xC0) != 0x80) {
            L->loc_col++;
        }
    }
    *line = L->loc_line;
    *col = L->loc_col;
}

static lmd_status lex_fail(lexer *L, size_t off, lmd_status st, const char *what) {
    int line, col;
    locate(L, off, &line, &col);
    return lmd_err_set(L->err, st, "template:%d:%d: %s", line, col, what);
}

static lmd_status push(lexer *L, jx_tok_kind k, size_t off, const char *p, size_t n, jx_tok **tk) {
    jx_toks *o = L->out;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        jx_tok *v = realloc(o->v, cap * sizeof *v);
        if (!v) return lmd_err_set(L->err, LMD_E_NOMEM, "template: out of memory lexing");
        o->v = v;
        o->cap = cap;
    }
    jx_tok *x = &o->v[o->n++];
    memset(x, 0, sizeof *x);
    x->k = k;
    x->p = p;
    x->n = n;
    locate(L, off, &x->line, &x->col);
    if (tk) *tk = x;
    return LMD_OK;
}

static bool is_ws(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool put_utf8(char *o, size_t *k, uint32_t cp) {
    if (cp < 0x80) o[(*k)++] = (char)cp;
    else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp <= 0x10FFFF) {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        return false;
    }
    return true;
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* A string literal at s[*pos] (the quote); decodes Python escapes into the template arena. */
static lmd_status lex_string(lexer *L, size_t *pos) {
    size_t start = *pos, i = start + 1;
    char q = L->s[start];
    while (i < L->n && L->s[i] != q) i += (L->s[i] == '\\' && i + 1 < L->n) ? 2 : 1;
    if (i >= L->n) return lex_fail(L, start, LMD_E_FORMAT, "unterminated string literal");
    size_t body = start + 1, body_n = i - body;
    char *o = jx_arena_alloc(&L->t->arena, body_n + 1);
    if (!o) return lmd_err_set(L->err, LMD_E_LIMIT, "template: memory cap reached lexing");
    size_t k = 0;
    for (size_t j = body; j < i; j++) {
        char ch = L->s[j];
        if (ch != '\\') {
            o[k++] = ch;
            continue;
        }
        char e = L->s[++j];
        int nhex = 0;
        switch (e) {
        case '\n': break;
        case '\\': o[k++] = '\\'; break;
        case '\'': o[k++] = '\''; break;
        case '"': o[k++] = '"'; break;
        case 'a': o[k++] = '\a'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'v': o[k++] = '\v'; break;
        case 'x': nhex = 2; break;
        case 'u': nhex = 4; break;
        case 'U': nhex = 8; break;
        case 'N': return lex_fail(L, j - 1, LMD_E_UNSUPPORTED, "unsupported: \\N{...} escape");
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = 0;
                int d = 0;
                for (; d < 3 && j < i && L->s[j] >= '0' && L->s[j] <= '7'; d++, j++)
                    cp = cp * 8 + (uint32_t)(L->s[j] - '0');
                j--;
                put_utf8(o, &k, cp);
            } else {
                o[k++] = '\\';
                j--; /* unknown escape: kept as written, as Python does */
            }
        }
        if (nhex) {
            uint32_t cp = 0;
            for (int d = 0; d < nhex; d++) {
                int h = j + 1 + (size_t)d < i ? hexval(L->s[j + 1 + (size_t)d]) : -1;
                if (h < 0) return lex_fail(L, j - 1, LMD_E_FORMAT, "truncated \\x/\\u escape");
                cp = cp * 16 + (uint32_t)h;
            }
            j += (size_t)nhex;
            /* The escape may expand beyond its own length only for \x (2 → 2 bytes max) and \u
             * (6 → 3), \U (10 → 4): the buffer of body_n bytes is always enough. */
            if (!put_utf8(o, &k, cp)) return lex_fail(L, j, LMD_E_FORMAT, "invalid code point escape");
        }
    }
    o[k] = 0;
    *pos = i + 1;
    return push(L, TK_STR, start, o, k, NULL);
}

static lmd_status lex_number(lexer *L, size_t *pos) {
    size_t start = *pos, i = start;
    char buf[64];
    size_t k = 0;
    bool is_float = false;
#define DIGITS()                                                                           \
    while (i < L->n && ((L->s[i] >= '0' && L->s[i] <= '9') ||                              \
                        (L->s[i] == '_' && i + 1 < L->n && L->s[i + 1] >= '0' &&           \
                         L->s[i + 1] <= '9'))) {                                           \
        if (L->s[i] != '_' && k < sizeof buf - 1) buf[k++] = L->s[i];                      \
        i++;                                                                               \
    }
    DIGITS();
    if (i + 1 < L->n && L->s[i] == '.' && L->s[i + 1] >= '0' && L->s[i + 1] <= '9') {
        is_float = true;
        buf[k++] = '.';
        i++;
        DIGITS();
    }
    if (i < L->n && (L->s[i] == 'e' || L->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < L->n && (L->s[j] == '+' || L->s[j] == '-')) j++;
        if (j < L->n && L->s[j] >= '0' && L->s[j] <= '9') {
            is_float = true;
            for (; i < j; i++) if (k < sizeof buf - 1) buf[k++] = L->s[i];
            DIGITS();
        }
    }
#undef DIGITS
    buf[k] = 0;
    if (k >= sizeof buf - 1) return lex_fail(L, start, LMD_E_LIMIT, "number literal too long");
    jx_tok *tk;
    lmd_status st = push(L, is_float ? TK_FLOAT : TK_INT, start, L->s + start, i - start, &tk);
    if (st != LMD_OK) return st;
    if (is_float) {
        tk->f = strtod(buf, NULL);
    } else {
        size_t nd = strspn(buf, "0");
        if (k - nd > 19 || (k - nd == 19 && strcmp(buf + nd, "9223372036854775807") > 0))
            return lex_fail(L, start, LMD_E_UNSUPPORTED, "unsupported: integer literal beyond 64 bits");
        tk->i = (int64_t)strtoull(buf, NULL, 10);
    }
    *pos = i;
    return LMD_OK;
}

static const char *const ops2[] = { "**", "//", "==", "!=", ">=", "<=" };
static const char ops1[] = "+-/*%~[](){}><=.:|,;";

/* Lexes the inside of {{ }} or {% %} from *pos up to and including its end tag. */
static lmd_status lex_tag(lexer *L, size_t *pos, bool is_block, bool *strip_after, bool *trim_nl) {
    int depth = 0;
    size_t i = *pos;
    const char *end = is_block ? "%}" : "}}";
    for (;;) {
        while (i < L->n && is_ws(L->s[i])) i++;
        if (i >= L->n) return lex_fail(L, i, LMD_E_FORMAT, is_block ? "missing '%}'" : "missing '}}'");
        const char *p = L->s + i;
        size_t left = L->n - i;
        if (depth == 0) {
            bool minus = left >= 3 && p[0] == '-' && !memcmp(p + 1, end, 2);
            bool plus = is_block && left >= 3 && p[0] == '+' && !memcmp(p + 1, end, 2);
            if (minus || plus || (left >= 2 && !memcmp(p, end, 2))) {
                lmd_status st = push(L, is_block ? TK_BLOCK_END : TK_VAR_END, i, p, 2, NULL);
                if (st != LMD_OK) return st;
                *strip_after = minus;
                *trim_nl = is_block && !minus && !plus;
                *pos = i + (minus || plus ? 3 : 2);
                return LMD_OK;
            }
        }
        char ch = *p;
        lmd_status st;
        if (ch == '\'' || ch == '"') {
            st = lex_string(L, &i);
        } else if (ch >= '0' && ch <= '9') {
            st = lex_number(L, &i);
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_') {
            size_t j = i;
            while (j < L->n && ((L->s[j] >= 'a' && L->s[j] <= 'z') || (L->s[j] >= 'A' && L->s[j] <= 'Z') ||
                                (L->s[j] >= '0' && L->s[j] <= '9') || L->s[j] == '_'))
                j++;
            st = push(L, TK_NAME, i, p, j - i, NULL);
            i = j;
        } else {
            size_t len = 0;
            for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
                if (left >= 2 && !memcmp(p, ops2[k], 2)) len = 2;
            if (!len && strchr(ops1, ch) && ch) len = 1;
            if (!len) return lex_fail(L, i, LMD_E_FORMAT, "unexpected character");
            if (len == 1 && (ch == '(' || ch == '[' || ch == '{')) {
                if (++depth > L->t->lim.max_depth)
                    return lex_fail(L, i, LMD_E_LIMIT, "brackets nested too deep");
            }
            if (len == 1 && (ch == ')' || ch == ']' || ch == '}')) {
                if (depth == 0) return lex_fail(L, i, LMD_E_FORMAT, "unbalanced closing bracket");
                depth--;
            }
            st = push(L, TK_OP, i, p, len, NULL);
            i += len;
        }
        if (st != LMD_OK) return st;
    }
}

static size_t find_tag(const char *s, size_t n, size_t from) {
    for (size_t i = from; i + 1 < n; i++) {
        if (s[i] != '{') continue;
        char c2 = s[i + 1];
        if (c2 == '{' || c2 == '%' || c2 == '#') return i;
    }
    return n;
}

/* jinja2's raw rule: {%(-|+)? ws raw ws (-%} | %}) — anything else is an ordinary tag. */
static bool is_raw_tag(const char *s, size_t n, size_t at) {
    size_t i = at + 2;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    while (i < n && is_ws(s[i])) i++;
    if (n - i < 3 || memcmp(s + i, "raw", 3)) return false;
    i += 3;
    while (i < n && is_ws(s[i])) i++;
    if (i < n && s[i] == '-') i++;
    return n - i >= 2 && !memcmp(s + i, "%}", 2);
}

/* End of the text before a tag at ts whose sign (after "{%" / "{#" / "{{") is `sign`: `-`
 * strips all whitespace, lstrip_blocks strips spaces/tabs back to a line start (block and
 * comment tags only; `+` keeps them). */
static size_t text_end_before(const lexer *L, size_t pos, size_t ts, char kind, char sign) {
    size_t text_end = ts;
    if (sign == '-') {
        while (text_end > pos && is_ws(L->s[text_end - 1])) text_end--;
    } else if (sign != '+' && kind != '{') {
        size_t l = text_end;
        while (l > pos && L->s[l - 1] != '\n') l--;
        bool line_starting = pos == 0 || L->s[pos - 1] == '\n';
        bool all_ws = l < text_end;
        for (size_t k = l; k < text_end && all_ws; k++) all_ws = is_ws(L->s[k]);
        if ((l > pos || line_starting) && all_ws) text_end = l;
    }
    return text_end;
}

/* {% raw %}...{% endraw %} starting at ts: the body is text, taken as written. */
static lmd_status lex_raw(lexer *L, size_t ts, size_t *pos_out, bool *strip_after, bool *trim_nl) {
    size_t i = ts + 2;
    if (L->s[i] == '-' || L->s[i] == '+') i++;
    while (i < L->n && is_ws(L->s[i])) i++;
    i += 3; /* raw */
    while (i < L->n && is_ws(L->s[i])) i++;
    bool begin_minus = i < L->n && L->s[i] == '-';
    if (begin_minus) i++;
    if (L->n - i < 2 || memcmp(L->s + i, "%}", 2)) return lex_fail(L, i, LMD_E_FORMAT, "syntax error: expected '%}' after raw");
    i += 2;
    if (begin_minus) while (i < L->n && is_ws(L->s[i])) i++;
    size_t body = i;
    for (size_t e = body; e + 1 < L->n; e++) {
        if (L->s[e] != '{' || L->s[e + 1] != '%') continue;
        size_t j = e + 2;
        char sign = (j < L->n && (L->s[j] == '-' || L->s[j] == '+')) ? L->s[j++] : 0;
        while (j < L->n && is_ws(L->s[j])) j++;
        if (L->n - j < 6 || memcmp(L->s + j, "endraw", 6)) continue;
        j += 6;
        while (j < L->n && is_ws(L->s[j])) j++;
        char end_sign = (j < L->n && (L->s[j] == '-' || L->s[j] == '+')) ? L->s[j++] : 0;
        if (L->n - j < 2 || memcmp(L->s + j, "%}", 2)) continue;
        size_t text_end = text_end_before(L, body, e, '%', sign);
        if (text_end > body) {
            lmd_status st = push(L, TK_TEXT, body, L->s + body, text_end - body, NULL);
            if (st != LMD_OK) return st;
        }
        *pos_out = j + 2;
        *strip_after = end_sign == '-';
        *trim_nl = end_sign == 0;
        return LMD_OK;
    }
    return lex_fail(L, ts, LMD_E_FORMAT, "syntax error: missing end of raw directive");
}

lmd_status jx_lex(lmd_jinja *t, jx_toks *out, lmd_err *err) {
    lexer L = { .t = t, .s = t->src, .n = t->src_n, .out = out, .err = err, .loc_line = 1, .loc_col = 1 };
    size_t pos = 0;
    lmd_status st;
    while (pos < L.n) {
        size_t ts = find_tag(L.s, L.n, pos);
        size_t text_end = ts;
        if (ts < L.n)
            text_end = text_end_before(&L, pos, ts, L.s[ts + 1], ts + 2 < L.n ? L.s[ts + 2] : 0);
        if (text_end > pos && (st = push(&L, TK_TEXT, pos, L.s + pos, text_end - pos, NULL)) != LMD_OK)
            return st;
        if (ts >= L.n) break;
        char kind = L.s[ts + 1];
        size_t i = ts + 2;
        if (i < L.n && (L.s[i] == '-' || (L.s[i] == '+' && kind != '{'))) i++;
        bool strip_after = false, trim_nl = false;
        if (kind == '#') {
            size_t e = i;
            while (e + 1 < L.n && !(L.s[e] == '#' && L.s[e + 1] == '}')) e++;
            if (e + 1 >= L.n) return lex_fail(&L, ts, LMD_E_FORMAT, "missing end of comment tag");
            char before = e > i ? L.s[e - 1] : 0;
            strip_after = before == '-';
            trim_nl = before != '-' && before != '+';
            pos = e + 2;
        } else if (kind == '%' && is_raw_tag(L.s, L.n, ts)) {
            if ((st = lex_raw(&L, ts, &pos, &strip_after, &trim_nl)) != LMD_OK) return st;
        } else {
            bool is_block = kind == '%';
            if ((st = push(&L, is_block ? TK_BLOCK_BEGIN : TK_VAR_BEGIN, ts, L.s + ts, 2, NULL)) != LMD_OK)
                return st;
            pos = i;
            if ((st = lex_tag(&L, &pos, is_block, &strip_after, &trim_nl)) != LMD_OK) return st;
        }
        if (strip_after) {
            while (pos < L.n && is_ws(L.s[pos])) pos++;
        } else if (trim_nl && pos < L.n && L.s[pos] == '\n') {
            pos++;
        }
    }
    return push(&L, TK_EOF, L.n, L.s + L.n, 0, NULL);
}
