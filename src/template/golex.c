/* golex.c — the Go text/template lexer: text, {{ }} with trim markers, comments and the
 * words inside actions, following text/template/parse/lex.go rule for rule (trim markers
 * need a space next to the dash; a comment must fill its whole action). */
#include "template/golex.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SPACE_CHARS " \t\r\n"

typedef struct {
    const char *name, *src;
    size_t len, pos, start;
    int paren_depth;
    go_toks *out;
    lmd_err *err;
} lexer;

void go_line_col(const char *src, size_t pos, int *line, int *col) {
    int l = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos; i++)
        if (src[i] == '\n') { l++; line_start = i + 1; }
    *line = l;
    *col = (int)(pos - line_start) + 1;
}

static lmd_status lex_fail(lexer *lx, size_t at, const char *what) {
    int line, col;
    go_line_col(lx->src, at, &line, &col);
    return lmd_err_set(lx->err, LMD_E_FORMAT, "template %s:%d:%d: %s", lx->name, line, col, what);
}

static bool emit(lexer *lx, go_tok_type t) {
    if (lx->out->n == lx->out->cap) {
        size_t nc = lx->out->cap ? lx->out->cap * 2 : 64;
        go_tok *nt = realloc(lx->out->toks, nc * sizeof *nt);
        if (!nt) return false;
        lx->out->toks = nt;
        lx->out->cap = nc;
    }
    lx->out->toks[lx->out->n++] = (go_tok){ t, lx->start, lx->pos - lx->start };
    lx->start = lx->pos;
    return true;
}

static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
/* Go accepts Unicode letters and digits; bytes of multi-byte UTF-8 are taken as letters. */
static bool is_alnum(int c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c >= 0x80;
}
static int peekc(lexer *lx) { return lx->pos < lx->len ? (unsigned char)lx->src[lx->pos] : -1; }
static bool has_prefix(lexer *lx, size_t at, const char *p) {
    size_t n = strlen(p);
    return at <= lx->len && lx->len - at >= n && memcmp(lx->src + at, p, n) == 0;
}
static bool left_trim_marker(lexer *lx, size_t at) {
    return lx->len - at >= 2 && lx->src[at] == '-' && is_space((unsigned char)lx->src[at + 1]);
}
static bool right_trim_marker(lexer *lx, size_t at) {
    return lx->len - at >= 2 && is_space((unsigned char)lx->src[at]) && lx->src[at + 1] == '-';
}
/* At "}}" or " -}}"? */
static bool at_right_delim(lexer *lx, bool *trim) {
    *trim = false;
    if (right_trim_marker(lx, lx->pos) && has_prefix(lx, lx->pos + 2, "}}")) {
        *trim = true;
        return true;
    }
    return has_prefix(lx, lx->pos, "}}");
}
static bool at_terminator(lexer *lx) {
    int r = peekc(lx);
    if (r < 0 || is_space(r)) return true;
    if (r == '.' || r == ',' || r == '|' || r == ':' || r == ')' || r == '(') return true;
    return has_prefix(lx, lx->pos, "}}");
}
static void skip_left_spaces(lexer *lx) {
    while (lx->pos < lx->len && is_space((unsigned char)lx->src[lx->pos])) lx->pos++;
}

static const struct { const char *w; go_tok_type t; } keywords[] = {
    { "block", GT_BLOCK }, { "break", GT_BREAK }, { "continue", GT_CONTINUE },
    { "define", GT_DEFINE }, { "else", GT_ELSE }, { "end", GT_END }, { "if", GT_IF },
    { "nil", GT_NIL }, { "range", GT_RANGE }, { "template", GT_TEMPLATE }, { "with", GT_WITH },
};

static bool scan_number(lexer *lx) {
    const char *digits = "0123456789_";
    if (peekc(lx) == '+' || peekc(lx) == '-') lx->pos++;
    if (peekc(lx) == '0') {
        lx->pos++;
        int c = peekc(lx);
        if (c == 'x' || c == 'X') { lx->pos++; digits = "0123456789abcdefABCDEF_"; }
        else if (c == 'o' || c == 'O') { lx->pos++; digits = "01234567_"; }
        else if (c == 'b' || c == 'B') { lx->pos++; digits = "01_"; }
    }
    size_t nd = strlen(digits);
    while (peekc(lx) >= 0 && strchr(digits, peekc(lx))) lx->pos++;
    if (peekc(lx) == '.') {
        lx->pos++;
        while (peekc(lx) >= 0 && strchr(digits, peekc(lx))) lx->pos++;
    }
    if (nd == 11 && (peekc(lx) == 'e' || peekc(lx) == 'E')) {
        lx->pos++;
        if (peekc(lx) == '+' || peekc(lx) == '-') lx->pos++;
        while (peekc(lx) >= 0 && strchr("0123456789_", peekc(lx))) lx->pos++;
    }
    if (nd == 23 && (peekc(lx) == 'p' || peekc(lx) == 'P')) {
        lx->pos++;
        if (peekc(lx) == '+' || peekc(lx) == '-') lx->pos++;
        while (peekc(lx) >= 0 && strchr("0123456789_", peekc(lx))) lx->pos++;
    }
    if (peekc(lx) == 'i') lx->pos++;
    if (peekc(lx) >= 0 && is_alnum(peekc(lx))) { lx->pos++; return false; }
    return true;
}

/* Scans a "..." or '...' body after its opening quote; false when unterminated. */
static bool scan_quoted(lexer *lx, int quote) {
    for (;;) {
        int c = peekc(lx);
        if (c == '\\') {
            lx->pos++;
            c = peekc(lx);
            if (c < 0 || c == '\n') return false;
            lx->pos++;
            continue;
        }
        if (c < 0 || c == '\n') return false;
        lx->pos++;
        if (c == quote) return true;
    }
}

/* Scans the inside of one action, up to and including its right delimiter. */
static lmd_status lex_action(lexer *lx) {
    for (;;) {
        bool trim;
        if (at_right_delim(lx, &trim)) {
            if (lx->paren_depth != 0) return lex_fail(lx, lx->pos, "unclosed left paren");
            if (trim) { lx->pos += 2; lx->start = lx->pos; }
            lx->pos += 2;
            if (!emit(lx, GT_RDELIM)) goto nomem;
            if (trim) { skip_left_spaces(lx); lx->start = lx->pos; }
            return LMD_OK;
        }
        int r = peekc(lx);
        if (r < 0) return lex_fail(lx, lx->pos, "unclosed action");
        size_t at = lx->pos;
        if (is_space(r)) {
            int n_spaces = 0;
            while (peekc(lx) >= 0 && is_space(peekc(lx))) { lx->pos++; n_spaces++; }
            /* A " -}}" after spaces: its space belongs to the delimiter. */
            if (right_trim_marker(lx, lx->pos - 1) && has_prefix(lx, lx->pos + 1, "}}")) {
                lx->pos--;
                if (n_spaces == 1) continue;
            }
            if (!emit(lx, GT_SPACE)) goto nomem;
            continue;
        }
        lx->pos++;
        go_tok_type t;
        switch (r) {
        case '=': t = GT_ASSIGN; break;
        case ':':
            if (peekc(lx) != '=') return lex_fail(lx, at, "expected :=");
            lx->pos++;
            t = GT_DECLARE;
            break;
        case '|': t = GT_PIPE; break;
        case '(': t = GT_LPAREN; lx->paren_depth++; break;
        case ')':
            t = GT_RPAREN;
            if (--lx->paren_depth < 0) return lex_fail(lx, at, "unexpected right paren");
            break;
        case '"':
            if (!scan_quoted(lx, '"')) return lex_fail(lx, at, "unterminated quoted string");
            t = GT_STRING;
            break;
        case '`':
            for (;;) {
                int c = peekc(lx);
                if (c < 0) return lex_fail(lx, at, "unterminated raw quoted string");
                lx->pos++;
                if (c == '`') break;
            }
            t = GT_RAWSTRING;
            break;
        case '\'':
            if (!scan_quoted(lx, '\'')) return lex_fail(lx, at, "unterminated character constant");
            t = GT_CHARCONST;
            break;
        case '$':
        case '.':
            if (r == '.' && peekc(lx) >= '0' && peekc(lx) <= '9') goto number;
            if (at_terminator(lx)) { t = r == '$' ? GT_VAR : GT_DOT; break; }
            while (peekc(lx) >= 0 && is_alnum(peekc(lx))) lx->pos++;
            if (!at_terminator(lx)) return lex_fail(lx, lx->pos, "bad character in identifier");
            t = r == '$' ? GT_VAR : GT_FIELD;
            break;
        default:
            if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
            number:
                lx->pos = at;
                if (!scan_number(lx)) return lex_fail(lx, at, "bad number syntax");
                if (peekc(lx) == '+' || peekc(lx) == '-')
                    return lex_fail(lx, at, "complex numbers are not supported");
                t = GT_NUMBER;
                break;
            }
            if (is_alnum(r)) {
                while (peekc(lx) >= 0 && is_alnum(peekc(lx))) lx->pos++;
                if (!at_terminator(lx)) return lex_fail(lx, lx->pos, "bad character in identifier");
                size_t n = lx->pos - at;
                t = GT_IDENT;
                for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
                    if (strlen(keywords[k].w) == n && memcmp(keywords[k].w, lx->src + at, n) == 0)
                        t = keywords[k].t;
                if ((n == 4 && memcmp(lx->src + at, "true", 4) == 0) ||
                    (n == 5 && memcmp(lx->src + at, "false", 5) == 0))
                    t = GT_BOOL;
                break;
            }
            if (r < 0x80 && r > 0x20 && r != 0x7f) { t = GT_CHAR; break; }
            return lex_fail(lx, at, "unrecognized character in action");
        }
        if (!emit(lx, t)) goto nomem;
    }
nomem:
    return lmd_err_set(lx->err, LMD_E_NOMEM, "template %s: out of memory", lx->name);
}

lmd_status go_lex(const char *name, const char *src, size_t len, go_toks *toks, lmd_err *err) {
    lexer lx = { .name = name, .src = src, .len = len, .out = toks, .err = err };
    lmd_status st;
    for (;;) {
        const char *hit = NULL;
        for (size_t i = lx.pos; i + 1 < len; i++)
            if (src[i] == '{' && src[i + 1] == '{') { hit = src + i; break; }
        if (!hit) {
            lx.pos = len;
            if (lx.pos > lx.start && !emit(&lx, GT_TEXT)) goto nomem;
            if (!emit(&lx, GT_EOF)) goto nomem;
            return LMD_OK;
        }
        size_t d = (size_t)(hit - src);
        size_t text_end = d;
        bool ltrim = left_trim_marker(&lx, d + 2);
        if (ltrim)
            while (text_end > lx.start && strchr(SPACE_CHARS, src[text_end - 1])) text_end--;
        lx.pos = text_end;
        if (lx.pos > lx.start && !emit(&lx, GT_TEXT)) goto nomem;
        lx.pos = d + 2 + (ltrim ? 2 : 0);
        lx.start = d;
        if (has_prefix(&lx, lx.pos, "/*")) {
            const char *end = NULL;
            for (size_t i = lx.pos + 2; i + 1 < len; i++)
                if (src[i] == '*' && src[i + 1] == '/') { end = src + i; break; }
            if (!end) return lex_fail(&lx, d, "unclosed comment");
            lx.pos = (size_t)(end - src) + 2;
            bool trim;
            if (!at_right_delim(&lx, &trim))
                return lex_fail(&lx, d, "comment ends before closing delimiter");
            lx.pos += trim ? 4 : 2;
            if (trim) skip_left_spaces(&lx);
            lx.start = lx.pos;
            continue;
        }
        size_t after = lx.pos;
        lx.pos = d + 2;
        if (!emit(&lx, GT_LDELIM)) goto nomem;
        lx.pos = lx.start = after;
        lx.paren_depth = 0;
        if ((st = lex_action(&lx)) != LMD_OK) return st;
    }
nomem:
    return lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", name);
}

const char *go_tok_name(go_tok_type t) {
    switch (t) {
    case GT_EOF: return "EOF";
    case GT_TEXT: return "text";
    case GT_LDELIM: return "\"{{\"";
    case GT_RDELIM: return "\"}}\"";
    case GT_SPACE: return "space";
    case GT_IDENT: return "identifier";
    case GT_FIELD: return "field";
    case GT_VAR: return "variable";
    case GT_DOT: return "\".\"";
    case GT_STRING: case GT_RAWSTRING: return "string";
    case GT_CHARCONST: return "character constant";
    case GT_NUMBER: return "number";
    case GT_BOOL: return "bool";
    case GT_PIPE: return "\"|\"";
    case GT_LPAREN: return "\"(\"";
    case GT_RPAREN: return "\")\"";
    case GT_DECLARE: return "\":=\"";
    case GT_ASSIGN: return "\"=\"";
    case GT_CHAR: return "character";
    case GT_BLOCK: return "<block>";
    case GT_BREAK: return "<break>";
    case GT_CONTINUE: return "<continue>";
    case GT_DEFINE: return "<define>";
    case GT_ELSE: return "<else>";
    case GT_END: return "<end>";
    case GT_IF: return "<if>";
    case GT_NIL: return "nil";
    case GT_RANGE: return "<range>";
    case GT_TEMPLATE: return "<template>";
    case GT_WITH: return "<with>";
    }
    return "token";
}
