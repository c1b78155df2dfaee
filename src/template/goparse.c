/* goparse.c — builds the parse tree from golex tokens the way text/template/parse does:
 * actions, if/else if/range/with (else, break/continue), define/template/block, pipelines
 * with declarations, commands, operands with field chains, constants. Like Go it rejects
 * undefined variables and unknown functions at parse time. Nesting is capped by max_depth. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/golex.h"
#include "template/gotmpl_int.h"

typedef struct {
    struct lmd_gotmpl *t;
    const char *src;
    go_tok *toks;
    size_t n_toks, i;
    const char **vars;
    int n_vars, cap_vars;
    int range_depth, depth;
    lmd_err *err;
    lmd_status st;
} parser;

#define FAIL_IF(cond) do { if (cond) return NULL; } while (0)

static void *perr(parser *p, size_t pos, lmd_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void *perr(parser *p, size_t pos, lmd_status st, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    go_line_col(p->src, pos, &line, &col);
    if (p->st == LMD_OK) p->st = st;
    lmd_err_set(p->err, st, "template %s:%d:%d: %s", p->t->name, line, col, msg);
    return NULL;
}
static void *nomem(parser *p) {
    if (p->st == LMD_OK) p->st = LMD_E_NOMEM;
    lmd_err_set(p->err, LMD_E_NOMEM, "template %s: out of memory", p->t->name);
    return NULL;
}

static go_tok *peek(parser *p) { return &p->toks[p->i]; }
static go_tok *next(parser *p) {
    go_tok *t = &p->toks[p->i];
    if (t->type != GT_EOF) p->i++;
    return t;
}
static go_tok *peek_nonspace(parser *p) {
    while (p->toks[p->i].type == GT_SPACE) p->i++;
    return &p->toks[p->i];
}
static go_tok *next_nonspace(parser *p) { peek_nonspace(p); return next(p); }

static go_node *new_node(parser *p, go_node_kind k, size_t pos) {
    go_node *n = go_alloc(&p->t->arena, sizeof *n);
    if (!n) return nomem(p);
    n->kind = k;
    go_line_col(p->src, pos, &n->line, &n->col);
    return n;
}
static bool append_kid(parser *p, go_node *parent, go_node *kid) {
    /* Arena arrays grow by doubling into a fresh block (at each power of two); old blocks
     * stay until the arena is freed. */
    int n = parent->n_kids;
    if ((n & (n - 1)) == 0) {
        int cap = n ? n * 2 : 1;
        go_node **nk = go_alloc(&p->t->arena, (size_t)cap * sizeof *nk);
        if (!nk) { nomem(p); return false; }
        if (n) memcpy(nk, parent->kids, (size_t)n * sizeof *nk);
        parent->kids = nk;
    }
    parent->kids[parent->n_kids++] = kid;
    return true;
}

static bool push_var(parser *p, const char *name) {
    if (p->n_vars == p->cap_vars) {
        int nc = p->cap_vars ? p->cap_vars * 2 : 16;
        const char **nv = realloc(p->vars, (size_t)nc * sizeof *nv);
        if (!nv) { nomem(p); return false; }
        p->vars = nv;
        p->cap_vars = nc;
    }
    p->vars[p->n_vars++] = name;
    return true;
}

static const char *tok_str(parser *p, go_tok *t) {
    const char *s = go_strndup(&p->t->arena, p->src + t->pos, t->len);
    if (!s) nomem(p);
    return s;
}

/* One identifier: the lexer cuts ".A.B" into one token per field, operand() joins them. */
static bool one_ident(parser *p, const char *s, size_t n, go_node *node) {
    node->idents = go_alloc(&p->t->arena, sizeof *node->idents);
    const char *id = node->idents ? go_strndup(&p->t->arena, s, n) : NULL;
    if (!id) { nomem(p); return false; }
    node->idents[0] = id;
    node->n_idents = 1;
    return true;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
static size_t put_utf8(char *o, uint32_t r) {
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
    if (r < 0x80) { o[0] = (char)r; return 1; }
    if (r < 0x800) { o[0] = (char)(0xC0 | (r >> 6)); o[1] = (char)(0x80 | (r & 0x3F)); return 2; }
    if (r < 0x10000) {
        o[0] = (char)(0xE0 | (r >> 12)); o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (r >> 18)); o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((r >> 6) & 0x3F)); o[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

/* strconv.Unquote of a "..." or '...' body; for chars *rune_out gets the value. */
static bool unquote(parser *p, const char *s, size_t n, char quote, char **out, size_t *out_len,
                    uint32_t *rune_out) {
    char *o = go_alloc(&p->t->arena, n * 4 + 1);
    if (!o) { nomem(p); return false; }
    size_t k = 0;
    int n_runes = 0;
    uint32_t last = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)quote) return false;
        if (c != '\\') {
            /* decode one UTF-8 rune for the char-constant value */
            uint32_t r = c;
            size_t w = 1;
            if (c >= 0xC0 && c < 0xE0 && i + 1 < n) { r = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3F); w = 2; }
            else if (c >= 0xE0 && c < 0xF0 && i + 2 < n) {
                r = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3F); w = 3;
            } else if (c >= 0xF0 && i + 3 < n) {
                r = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6)
                    | (s[i + 3] & 0x3F);
                w = 4;
            }
            memcpy(o + k, s + i, w);
            k += w;
            i += w;
            last = r;
            n_runes++;
            continue;
        }
        if (++i >= n) return false;
        c = (unsigned char)s[i++];
        uint32_t r;
        int nd = 0;
        bool byte_esc = false;
        switch (c) {
        case 'a': r = 7; break;
        case 'b': r = 8; break;
        case 'f': r = 12; break;
        case 'n': r = 10; break;
        case 'r': r = 13; break;
        case 't': r = 9; break;
        case 'v': r = 11; break;
        case '\\': r = '\\'; break;
        case '\'': case '"':
            if (c != (unsigned char)quote) return false;
            r = c;
            break;
        case 'x': nd = 2; byte_esc = true; break;
        case 'u': nd = 4; break;
        case 'U': nd = 8; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            if (i + 2 > n) return false;
            r = (uint32_t)(c - '0');
            for (int d = 0; d < 2; d++) {
                int v = s[i] - '0';
                if (v < 0 || v > 7) return false;
                r = r * 8 + (uint32_t)v;
                i++;
            }
            if (r > 255) return false;
            byte_esc = true;
            break;
        }
        default: return false;
        }
        if (nd) {
            if (i + (size_t)nd > n) return false;
            r = 0;
            for (int d = 0; d < nd; d++) {
                int v = hexval((unsigned char)s[i++]);
                if (v < 0) return false;
                r = r * 16 + (uint32_t)v;
            }
            if (!byte_esc && (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))) return false;
        }
        if (byte_esc && quote == '"') o[k++] = (char)r;
        else k += put_utf8(o + k, r);
        last = r;
        n_runes++;
    }
    if (quote == '\'' && n_runes != 1) return false;
    o[k] = 0;
    *out = o;
    *out_len = k;
    if (rune_out) *rune_out = last;
    return true;
}

static go_node *parse_number(parser *p, go_tok *tok) {
    go_node *n = new_node(p, GN_NUMBER, tok->pos);
    FAIL_IF(!n);
    const char *s = p->src + tok->pos;
    size_t len = tok->len;
    if (tok->type == GT_CHARCONST) {
        char *o;
        size_t ol;
        uint32_t r;
        if (!unquote(p, s + 1, len - 2, '\'', &o, &ol, &r))
            return perr(p, tok->pos, LMD_E_FORMAT, "malformed character constant: %.*s",
                        (int)len, s);
        n->num_i = r;
        return n;
    }
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i < len && k < sizeof buf - 1; i++)
        if (s[i] != '_') buf[k++] = s[i];
    buf[k] = 0;
    if (len >= sizeof buf) return perr(p, tok->pos, LMD_E_FORMAT, "number too long");
    if (buf[k - 1] == 'i') return perr(p, tok->pos, LMD_E_UNSUPPORTED, "complex numbers are not supported");
    const char *d = buf + (buf[0] == '+' || buf[0] == '-');
    bool hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
    bool is_hex_int = buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X') && !strpbrk(buf, "pP");
    bool floaty = strpbrk(buf, ".eEpP") != NULL && !(hex && !strpbrk(buf, "pP"));
    (void)is_hex_int;
    if (floaty) {
        char *end;
        errno = 0;
        double f = strtod(buf, &end);
        if (*end || (errno == ERANGE && isinf(f)))
            return perr(p, tok->pos, LMD_E_FORMAT, "illegal number syntax: %.*s", (int)len, s);
        n->num_is_float = true;
        n->num_f = f;
        return n;
    }
    int base = 10;
    const char *digits = d;
    if (d[0] == '0' && d[1]) {
        if (d[1] == 'x' || d[1] == 'X') { base = 16; digits = d + 2; }
        else if (d[1] == 'o' || d[1] == 'O') { base = 8; digits = d + 2; }
        else if (d[1] == 'b' || d[1] == 'B') { base = 2; digits = d + 2; }
        else { base = 8; digits = d + 1; }
    }
    if (!*digits) return perr(p, tok->pos, LMD_E_FORMAT, "illegal number syntax: %.*s", (int)len, s);
    char *end;
    errno = 0;
    unsigned long long u = strtoull(digits, &end, base);
    if (*end || digits[0] == '-' || digits[0] == '+')
        return perr(p, tok->pos, LMD_E_FORMAT, "illegal number syntax: %.*s", (int)len, s);
    bool neg = buf[0] == '-';
    if (errno == ERANGE || (!neg && u > (unsigned long long)INT64_MAX) ||
        (neg && u > (unsigned long long)INT64_MAX + 1ull))
        return perr(p, tok->pos, LMD_E_FORMAT, "%.*s overflows int", (int)len, s);
    n->num_i = neg ? (int64_t)(0 - u) : (int64_t)u;
    return n;
}

static go_node *pipeline(parser *p, const char *context, go_tok_type end);

static go_node *term(parser *p) {
    go_tok *tok = next_nonspace(p);
    go_node *n;
    switch (tok->type) {
    case GT_IDENT: {
        const char *s = p->src + tok->pos;
        if (!go_find_builtin(s, tok->len)) {
            if (go_is_unsupported_builtin(s, tok->len))
                return perr(p, tok->pos, LMD_E_UNSUPPORTED, "function \"%.*s\" is not supported",
                            (int)tok->len, s);
            return perr(p, tok->pos, LMD_E_FORMAT, "function \"%.*s\" not defined",
                        (int)tok->len, s);
        }
        FAIL_IF(!(n = new_node(p, GN_IDENT, tok->pos)));
        FAIL_IF(!(n->text = tok_str(p, tok)));
        n->text_len = tok->len;
        return n;
    }
    case GT_DOT: return new_node(p, GN_DOT, tok->pos);
    case GT_NIL: return new_node(p, GN_NIL, tok->pos);
    case GT_VAR: {
        const char *s = p->src + tok->pos;
        size_t nlen = tok->len;
        bool found = false;
        for (int i = p->n_vars - 1; i >= 0 && !found; i--)
            found = strlen(p->vars[i]) == nlen && memcmp(p->vars[i], s, nlen) == 0;
        if (!found)
            return perr(p, tok->pos, LMD_E_FORMAT, "undefined variable \"%.*s\"", (int)nlen, s);
        FAIL_IF(!(n = new_node(p, GN_VAR, tok->pos)));
        if (!one_ident(p, s, nlen, n)) return NULL;
        return n;
    }
    case GT_FIELD:
        FAIL_IF(!(n = new_node(p, GN_FIELD, tok->pos)));
        if (!one_ident(p, p->src + tok->pos + 1, tok->len - 1, n)) return NULL;
        return n;
    case GT_BOOL:
        FAIL_IF(!(n = new_node(p, GN_BOOL, tok->pos)));
        n->b = tok->len == 4;
        return n;
    case GT_CHARCONST:
    case GT_NUMBER: return parse_number(p, tok);
    case GT_LPAREN:
        if (++p->depth > p->t->lim.max_depth)
            return perr(p, tok->pos, LMD_E_LIMIT, "nesting deeper than %d", p->t->lim.max_depth);
        n = pipeline(p, "parenthesized pipeline", GT_RPAREN);
        p->depth--;
        return n;
    case GT_STRING:
    case GT_RAWSTRING: {
        FAIL_IF(!(n = new_node(p, GN_STRING, tok->pos)));
        const char *s = p->src + tok->pos;
        if (tok->type == GT_RAWSTRING) {
            char *o = go_alloc(&p->t->arena, tok->len);
            FAIL_IF(!o && nomem(p) == NULL);
            size_t k = 0;
            for (size_t i = 1; i + 1 < tok->len; i++)
                if (s[i] != '\r') o[k++] = s[i];
            o[k] = 0;
            n->text = o;
            n->text_len = k;
        } else {
            char *o;
            size_t ol;
            if (!unquote(p, s + 1, tok->len - 2, '"', &o, &ol, NULL)) {
                if (p->st != LMD_OK) return NULL;
                return perr(p, tok->pos, LMD_E_FORMAT, "invalid syntax in string %.*s",
                            (int)(tok->len > 40 ? 40 : tok->len), s);
            }
            n->text = o;
            n->text_len = ol;
        }
        return n;
    }
    default:
        p->i = (size_t)(tok - p->toks);
        return NULL;
    }
}

static go_node *operand(parser *p) {
    go_node *node = term(p);
    if (!node) return NULL;
    if (peek(p)->type != GT_FIELD) return node;
    go_node *chain = new_node(p, GN_CHAIN, peek(p)->pos);
    FAIL_IF(!chain);
    /* collect fields */
    size_t start = p->i;
    int count = 0;
    while (peek(p)->type == GT_FIELD) { next(p); count++; }
    const char **ids = go_alloc(&p->t->arena, (size_t)count * sizeof *ids);
    FAIL_IF(!ids && nomem(p) == NULL);
    for (int k = 0; k < count; k++) {
        go_tok *t = &p->toks[start + (size_t)k];
        FAIL_IF(!(ids[k] = go_strndup(&p->t->arena, p->src + t->pos + 1, t->len - 1)) &&
                nomem(p) == NULL);
    }
    switch (node->kind) {
    case GN_FIELD:
    case GN_VAR: {
        const char **all = go_alloc(&p->t->arena, (size_t)(node->n_idents + count) * sizeof *all);
        FAIL_IF(!all && nomem(p) == NULL);
        memcpy(all, node->idents, (size_t)node->n_idents * sizeof *all);
        memcpy(all + node->n_idents, ids, (size_t)count * sizeof *all);
        node->idents = all;
        node->n_idents += count;
        return node;
    }
    case GN_BOOL: case GN_STRING: case GN_NUMBER: case GN_NIL: case GN_DOT:
        return perr(p, p->toks[start].pos, LMD_E_FORMAT, "unexpected . after term");
    default:
        chain->node = node;
        chain->idents = ids;
        chain->n_idents = count;
        return chain;
    }
}

static go_node *command(parser *p) {
    go_node *cmd = new_node(p, GN_CMD, peek_nonspace(p)->pos);
    FAIL_IF(!cmd);
    for (;;) {
        peek_nonspace(p);
        go_node *op = operand(p);
        if (p->st != LMD_OK) return NULL;
        if (op && !append_kid(p, cmd, op)) return NULL;
        go_tok *tok = next(p);
        if (tok->type == GT_SPACE) continue;
        if (tok->type == GT_RDELIM || tok->type == GT_RPAREN) { p->i--; break; }
        if (tok->type == GT_PIPE) break;
        return perr(p, tok->pos, LMD_E_FORMAT, "unexpected %s in operand", go_tok_name(tok->type));
    }
    if (cmd->n_kids == 0) return perr(p, peek(p)->pos, LMD_E_FORMAT, "empty command");
    return cmd;
}

static go_node *pipeline(parser *p, const char *context, go_tok_type end) {
    go_tok *first = peek_nonspace(p);
    go_node *pipe = new_node(p, GN_PIPE, first->pos);
    FAIL_IF(!pipe);
    int n_decl_cap = 0;
decls:
    if (peek_nonspace(p)->type == GT_VAR) {
        go_tok *v = next(p);
        size_t after_var = p->i;
        go_tok *nx = peek_nonspace(p);
        bool comma = nx->type == GT_CHAR && p->src[nx->pos] == ',';
        if (nx->type == GT_ASSIGN || nx->type == GT_DECLARE || comma) {
            next(p);
            if (!comma) pipe->is_assign = nx->type == GT_ASSIGN;
            if (memchr(p->src + v->pos, '.', v->len))
                return perr(p, v->pos, LMD_E_FORMAT, "cannot declare or assign to a field of %s",
                            "a variable");
            if (pipe->n_decl == n_decl_cap) {
                const char **nd = go_alloc(&p->t->arena, 2 * sizeof *nd);
                FAIL_IF(!nd && nomem(p) == NULL);
                if (pipe->n_decl) nd[0] = pipe->decl[0];
                pipe->decl = nd;
                n_decl_cap = 2;
            }
            const char *name = tok_str(p, v);
            FAIL_IF(!name);
            pipe->decl[pipe->n_decl++] = name;
            if (!push_var(p, name)) return NULL;
            if (comma) {
                if (strcmp(context, "range") == 0 && pipe->n_decl < 2) {
                    go_tok_type t = peek_nonspace(p)->type;
                    if (t == GT_VAR || t == GT_RDELIM || t == GT_RPAREN) goto decls;
                    return perr(p, nx->pos, LMD_E_FORMAT, "range can only initialize variables");
                }
                return perr(p, nx->pos, LMD_E_FORMAT, "too many declarations in %s", context);
            }
        } else {
            p->i = (size_t)(v - p->toks);
            (void)after_var;
        }
    }
    for (;;) {
        go_tok *tok = next_nonspace(p);
        if (tok->type == end) {
            if (pipe->n_kids == 0)
                return perr(p, tok->pos, LMD_E_FORMAT, "missing value for %s", context);
            for (int k = 1; k < pipe->n_kids; k++) {
                go_node_kind fk = pipe->kids[k]->kids[0]->kind;
                if (fk == GN_BOOL || fk == GN_DOT || fk == GN_NIL || fk == GN_NUMBER ||
                    fk == GN_STRING)
                    return perr(p, tok->pos, LMD_E_FORMAT,
                                "non executable command in pipeline stage %d", k + 1);
            }
            return pipe;
        }
        switch (tok->type) {
        case GT_BOOL: case GT_CHARCONST: case GT_DOT: case GT_FIELD: case GT_IDENT:
        case GT_NUMBER: case GT_NIL: case GT_RAWSTRING: case GT_STRING: case GT_VAR:
        case GT_LPAREN: {
            p->i = (size_t)(tok - p->toks);
            go_node *cmd = command(p);
            if (!cmd || !append_kid(p, pipe, cmd)) return NULL;
            break;
        }
        default:
            return perr(p, tok->pos, LMD_E_FORMAT, "unexpected %s in %s", go_tok_name(tok->type),
                        context);
        }
    }
}

/* Marker nodes returned by text_or_action for {{end}} and {{else}}. */
static go_node end_marker, else_marker;

static go_node *text_or_action(parser *p);

/* Parses items until {{end}} or {{else}}; *stop gets the marker (or NULL on error). */
static go_node *item_list(parser *p, go_node **stop) {
    go_node *list = new_node(p, GN_LIST, peek_nonspace(p)->pos);
    FAIL_IF(!list);
    *stop = NULL;
    while (peek_nonspace(p)->type != GT_EOF) {
        go_node *n = text_or_action(p);
        if (!n) return NULL;
        if (n == &end_marker || n == &else_marker) { *stop = n; return list; }
        if (!append_kid(p, list, n)) return NULL;
    }
    return perr(p, peek(p)->pos, LMD_E_FORMAT, "unexpected EOF");
}

static go_node *control(parser *p, go_node_kind kind, const char *context, size_t pos) {
    if (++p->depth > p->t->lim.max_depth)
        return perr(p, pos, LMD_E_LIMIT, "nesting deeper than %d", p->t->lim.max_depth);
    int saved_vars = p->n_vars;
    go_node *n = new_node(p, kind, pos);
    FAIL_IF(!n);
    if (!(n->pipe = pipeline(p, context, GT_RDELIM))) return NULL;
    if (kind == GN_RANGE) p->range_depth++;
    go_node *stop;
    if (!(n->list = item_list(p, &stop))) return NULL;
    if (kind == GN_RANGE) p->range_depth--;
    if (stop == &else_marker) {
        if (kind == GN_IF && peek(p)->type == GT_IF) {
            size_t at = next(p)->pos;
            go_node *inner = control(p, GN_IF, "if", at);
            if (!inner) return NULL;
            FAIL_IF(!(n->else_list = new_node(p, GN_LIST, at)));
            if (!append_kid(p, n->else_list, inner)) return NULL;
        } else {
            if (!(n->else_list = item_list(p, &stop))) return NULL;
            if (stop != &end_marker)
                return perr(p, peek(p)->pos, LMD_E_FORMAT, "expected end; found {{else}}");
        }
    }
    p->n_vars = saved_vars;
    p->depth--;
    return n;
}

static bool add_define(parser *p, const char *name, go_node *root, size_t pos) {
    for (int k = 0; k < p->t->n_defs; k++)
        if (strcmp(p->t->defs[k].name, name) == 0) {
            if (p->t->defs[k].root->n_kids == 0) { p->t->defs[k].root = root; return true; }
            if (root->n_kids == 0) return true;
            perr(p, pos, LMD_E_FORMAT, "multiple definition of template \"%s\"", name);
            return false;
        }
    int n = p->t->n_defs;
    if ((n & (n - 1)) == 0) {
        go_define *nd = go_alloc(&p->t->arena, (size_t)(n ? n * 2 : 4) * sizeof *nd);
        if (!nd) { nomem(p); return false; }
        if (n) memcpy(nd, p->t->defs, (size_t)n * sizeof *nd);
        p->t->defs = nd;
    }
    p->t->defs[p->t->n_defs++] = (go_define){ name, root };
    return true;
}

static const char *template_name(parser *p, const char *context) {
    go_tok *tok = next_nonspace(p);
    if (tok->type != GT_STRING && tok->type != GT_RAWSTRING)
        return perr(p, tok->pos, LMD_E_FORMAT, "unexpected %s in %s clause",
                    go_tok_name(tok->type), context);
    p->i--;
    go_node *s = term(p);
    return s ? s->text : NULL;
}

/* Body of a define or block: fresh variable scope with only $. */
static go_node *definition_body(parser *p) {
    const char **saved = p->vars;
    int saved_n = p->n_vars, saved_cap = p->cap_vars, saved_range = p->range_depth;
    p->vars = NULL;
    p->n_vars = p->cap_vars = 0;
    p->range_depth = 0;
    go_node *stop = NULL, *list = NULL;
    if (push_var(p, "$")) list = item_list(p, &stop);
    free(p->vars);
    p->vars = saved;
    p->n_vars = saved_n;
    p->cap_vars = saved_cap;
    p->range_depth = saved_range;
    if (list && stop != &end_marker)
        return perr(p, peek(p)->pos, LMD_E_FORMAT, "unexpected {{else}} in definition");
    return list;
}

static go_node *expect_rdelim(parser *p, const char *context) {
    go_tok *tok = next_nonspace(p);
    if (tok->type != GT_RDELIM)
        return perr(p, tok->pos, LMD_E_FORMAT, "unexpected %s in %s", go_tok_name(tok->type),
                    context);
    return &end_marker; /* any non-NULL */
}

static go_node *action(parser *p) {
    go_tok *tok = next_nonspace(p);
    size_t pos = tok->pos;
    switch (tok->type) {
    case GT_BLOCK: {
        const char *name = template_name(p, "block");
        FAIL_IF(!name);
        go_node *n = new_node(p, GN_TEMPLATE, pos);
        FAIL_IF(!n);
        n->text = name;
        FAIL_IF(!(n->node = pipeline(p, "block", GT_RDELIM)));
        go_node *body = definition_body(p);
        FAIL_IF(!body);
        if (!add_define(p, name, body, pos)) return NULL;
        return n;
    }
    case GT_BREAK:
    case GT_CONTINUE: {
        bool brk = tok->type == GT_BREAK;
        FAIL_IF(!expect_rdelim(p, brk ? "{{break}}" : "{{continue}}"));
        if (p->range_depth == 0)
            return perr(p, pos, LMD_E_FORMAT, "{{%s}} outside {{range}}", brk ? "break" : "continue");
        return new_node(p, brk ? GN_BREAK : GN_CONTINUE, pos);
    }
    case GT_ELSE:
        if (peek_nonspace(p)->type == GT_IF) return &else_marker; /* leaves "if" pending */
        FAIL_IF(!expect_rdelim(p, "else"));
        return &else_marker;
    case GT_END:
        FAIL_IF(!expect_rdelim(p, "end"));
        return &end_marker;
    case GT_IF: return control(p, GN_IF, "if", pos);
    case GT_RANGE: return control(p, GN_RANGE, "range", pos);
    case GT_WITH: return control(p, GN_WITH, "with", pos);
    case GT_TEMPLATE: {
        const char *name = template_name(p, "template");
        FAIL_IF(!name);
        go_node *n = new_node(p, GN_TEMPLATE, pos);
        FAIL_IF(!n);
        n->text = name;
        if (peek_nonspace(p)->type != GT_RDELIM) {
            FAIL_IF(!(n->node = pipeline(p, "template", GT_RDELIM)));
        } else {
            next(p);
        }
        return n;
    }
    case GT_DEFINE:
        return perr(p, pos, LMD_E_FORMAT, "{{define}} is only allowed at the top level");
    default: {
        p->i = (size_t)(tok - p->toks);
        go_node *n = new_node(p, GN_ACTION, pos);
        FAIL_IF(!n);
        FAIL_IF(!(n->node = pipeline(p, "command", GT_RDELIM)));
        return n;
    }
    }
}

static go_node *text_or_action(parser *p) {
    go_tok *tok = next_nonspace(p);
    if (tok->type == GT_TEXT) {
        go_node *n = new_node(p, GN_TEXT, tok->pos);
        FAIL_IF(!n);
        n->text = p->src + tok->pos;
        n->text_len = tok->len;
        return n;
    }
    if (tok->type == GT_LDELIM) return action(p);
    return perr(p, tok->pos, LMD_E_FORMAT, "unexpected %s in input", go_tok_name(tok->type));
}

lmd_status go_parse(struct lmd_gotmpl *t, const char *src, size_t len, lmd_err *err) {
    go_toks toks = { 0 };
    lmd_status st = go_lex(t->name, src, len, &toks, err);
    if (st != LMD_OK) { free(toks.toks); return st; }
    parser p = { .t = t, .src = src, .toks = toks.toks, .n_toks = toks.n, .err = err };
    go_node *root = NULL;
    if (!push_var(&p, "$")) goto done;
    if (!(root = new_node(&p, GN_LIST, 0))) goto done;
    while (peek(&p)->type != GT_EOF) {
        if (peek(&p)->type == GT_LDELIM) {
            size_t save = p.i;
            next(&p);
            go_tok *d = next_nonspace(&p);
            if (d->type == GT_DEFINE) {
                const char *name = template_name(&p, "define");
                if (!name || !expect_rdelim(&p, "define")) goto done;
                go_node *body = definition_body(&p);
                if (!body || !add_define(&p, name, body, d->pos)) goto done;
                continue;
            }
            p.i = save;
        }
        go_node *n = text_or_action(&p);
        if (!n) goto done;
        if (n == &end_marker || n == &else_marker) {
            perr(&p, p.toks[p.i ? p.i - 1 : 0].pos, LMD_E_FORMAT, "unexpected {{%s}}",
                 n == &end_marker ? "end" : "else");
            goto done;
        }
        if (!append_kid(&p, root, n)) goto done;
    }
    t->root = root;
done:
    free(p.vars);
    free(toks.toks);
    return p.st;
}
