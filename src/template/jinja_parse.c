/* jinja_parse.c — tokens into a tree, following jinja2's parser (same precedence, same
 * statement forms). Node fields per kind:
 *   BODY kids · TEXT name · OUTPUT a · IF a=cond b=body c=else · FOR a=target b=iter c=body
 *   d=else e=filter · SET a=target b=value · SET_BLOCK a=target b=body c=filters ·
 *   MACRO name, kw=params, kids2=defaults, b=body · FILTER_BLOCK b=body c=filters ·
 *   CONST val · NAME name · ATTR a, name · ITEM a, b · SLICE a, b:c:d · CALL a, kids, kw/kids2 ·
 *   FILTER/TEST a, name, kids, kw/kids2 (TEST op=1: negated) · BINOP op a b · NEG/POS/NOT a ·
 *   AND/OR a b · COND a=cond b=then c=else · LIST/TUPLE kids · DICT kids=keys kids2=values ·
 *   COMPARE a, kids, ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

typedef struct {
    lmd_jinja *t;
    const jx_toks *toks;
    size_t i;
    lmd_err *err;
    int depth;
} parser;

typedef struct {
    jx_node **v;
    const char **names;
    size_t *names_n;
    jx_node **v2;
    size_t n, cap;
} nvec;

static const jx_tok *cur(parser *P) { return &P->toks->v[P->i]; }
static const jx_tok *peek(parser *P, size_t k) {
    size_t j = P->i + k;
    return &P->toks->v[j < P->toks->n ? j : P->toks->n - 1];
}
static void next(parser *P) { if (P->i + 1 < P->toks->n) P->i++; }

static bool tok_is(const jx_tok *t, jx_tok_kind k, const char *s) {
    if (t->k != k) return false;
    if (!s) return true;
    size_t n = strlen(s);
    return t->n == n && !memcmp(t->p, s, n);
}
static bool is_op(parser *P, const char *s) { return tok_is(cur(P), TK_OP, s); }
static bool is_name(parser *P, const char *s) { return tok_is(cur(P), TK_NAME, s); }

static const char *tok_desc(const jx_tok *t, char *buf, size_t cap) {
    switch (t->k) {
    case TK_EOF: return "end of template";
    case TK_VAR_END: return "'}}'";
    case TK_BLOCK_END: return "'%}'";
    case TK_TEXT: return "text";
    case TK_STR: return "a string";
    default: snprintf(buf, cap, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p); return buf;
    }
}

static void *fail_at(parser *P, const jx_tok *t, lmd_status st, const char *fmt, const char *a) {
    char msg[200];
    snprintf(msg, sizeof msg, fmt, a);
    lmd_err_set(P->err, st, "template:%d:%d: %s", t->line, t->col, msg);
    return NULL;
}

static void *expected(parser *P, const char *what) {
    char buf[64], msg[160];
    snprintf(msg, sizeof msg, "syntax error: expected %s, found %%s", what);
    return fail_at(P, cur(P), LMD_E_FORMAT, msg, tok_desc(cur(P), buf, sizeof buf));
}

static jx_node *node(parser *P, jx_node_kind k, const jx_tok *at) {
    jx_node *n = jx_arena_alloc(&P->t->arena, sizeof *n);
    if (!n) {
        lmd_err_set(P->err, LMD_E_LIMIT, "template: memory cap reached parsing");
        return NULL;
    }
    n->k = k;
    n->line = at->line;
    n->col = at->col;
    return n;
}

static bool nv_push(parser *P, nvec *v, jx_node *x, const char *name, size_t name_n, jx_node *x2) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        jx_node **a = realloc(v->v, cap * sizeof *a), **b;
        if (a) v->v = a;
        b = realloc(v->v2, cap * sizeof *b);
        if (b) v->v2 = b;
        const char **c = realloc(v->names, cap * sizeof *c);
        if (c) v->names = c;
        size_t *d = realloc(v->names_n, cap * sizeof *d);
        if (d) v->names_n = d;
        if (!a || !b || !c || !d) {
            lmd_err_set(P->err, LMD_E_NOMEM, "template: out of memory parsing");
            return false;
        }
        v->cap = cap;
    }
    v->v[v->n] = x;
    v->v2[v->n] = x2;
    v->names[v->n] = name;
    v->names_n[v->n] = name_n;
    v->n++;
    return true;
}

static void nv_free(nvec *v) {
    free(v->v);
    free(v->v2);
    free(v->names);
    free(v->names_n);
}

/* Moves a vector into the arena: kids (and kids2 / names when asked). */
static bool nv_take(parser *P, nvec *v, jx_node ***kids, jx_node ***kids2, const char ***names,
                    size_t **names_n) {
    size_t n = v->n ? v->n : 1;
    jx_node **a = jx_arena_alloc(&P->t->arena, n * sizeof *a);
    jx_node **b = kids2 ? jx_arena_alloc(&P->t->arena, n * sizeof *b) : NULL;
    const char **c = names ? jx_arena_alloc(&P->t->arena, n * sizeof *c) : NULL;
    size_t *d = names_n ? jx_arena_alloc(&P->t->arena, n * sizeof *d) : NULL;
    if (!a || (kids2 && !b) || (names && !c) || (names_n && !d)) {
        nv_free(v);
        lmd_err_set(P->err, LMD_E_LIMIT, "template: memory cap reached parsing");
        return false;
    }
    if (v->n) {
        memcpy(a, v->v, v->n * sizeof *a);
        if (b) memcpy(b, v->v2, v->n * sizeof *b);
        if (c) memcpy(c, v->names, v->n * sizeof *c);
        if (d) memcpy(d, v->names_n, v->n * sizeof *d);
    }
    if (kids) *kids = a;
    if (kids2) *kids2 = b;
    if (names) *names = c;
    if (names_n) *names_n = d;
    nv_free(v);
    return true;
}

static jx_node *parse_expression(parser *P, bool with_condexpr);
static jx_node *parse_tuple(parser *P, bool simplified, bool with_condexpr, const char *extra_end,
                            bool explicit_parens);
static jx_node *parse_unary(parser *P, bool with_filter);
static jx_node *parse_primary(parser *P);
static jx_node *parse_postfix(parser *P, jx_node *n);
static jx_node *parse_filter_expr(parser *P, jx_node *n);

static bool enter(parser *P) {
    if (++P->depth > P->t->lim.max_depth) {
        fail_at(P, cur(P), LMD_E_LIMIT, "nesting deeper than %s levels", "max_depth");
        return false;
    }
    return true;
}

/* Call arguments after '(' up to ')': positional into n->kids, keywords into n->kw/kids2. */
static bool parse_call_args(parser *P, jx_node *n) {
    next(P); /* ( */
    nvec args = { 0 }, kws = { 0 };
    bool ok = true;
    while (ok && !is_op(P, ")")) {
        if (args.n + kws.n) {
            if (!is_op(P, ",")) { expected(P, "',' or ')'"); ok = false; break; }
            next(P);
            if (is_op(P, ")")) break;
        }
        if (is_op(P, "*") || is_op(P, "**")) {
            fail_at(P, cur(P), LMD_E_UNSUPPORTED, "unsupported: %s argument unpacking", "*args/**kwargs");
            ok = false;
            break;
        }
        if (cur(P)->k == TK_NAME && tok_is(peek(P, 1), TK_OP, "=")) {
            const jx_tok *name = cur(P);
            next(P);
            next(P);
            jx_node *v = parse_expression(P, true);
            ok = v && nv_push(P, &kws, NULL, name->p, name->n, v);
        } else {
            if (kws.n) { fail_at(P, cur(P), LMD_E_FORMAT, "syntax error: %s", "positional argument after keyword argument"); ok = false; break; }
            jx_node *v = parse_expression(P, true);
            ok = v && nv_push(P, &args, v, NULL, 0, NULL);
        }
    }
    if (!ok) {
        nv_free(&args);
        nv_free(&kws);
        return false;
    }
    next(P); /* ) */
    n->n_kids = args.n;
    n->n_kw = kws.n;
    if (!nv_take(P, &args, &n->kids, NULL, NULL, NULL)) { nv_free(&kws); return false; }
    jx_node **dummy;
    return nv_take(P, &kws, &dummy, &n->kids2, &n->kw, &n->kw_n);
}

/* A filter or test name: NAME ('.' NAME)*. */
static bool parse_dotted_name(parser *P, jx_node *n) {
    if (cur(P)->k != TK_NAME) { expected(P, "a filter or test name"); return false; }
    const jx_tok *first = cur(P);
    size_t end = (size_t)(first->p - P->t->src) + first->n;
    next(P);
    while (is_op(P, ".") && peek(P, 1)->k == TK_NAME) {
        next(P);
        end = (size_t)(cur(P)->p - P->t->src) + cur(P)->n;
        next(P);
    }
    n->name = first->p;
    n->name_n = end - (size_t)(first->p - P->t->src);
    return true;
}

static jx_node *parse_filter(parser *P, jx_node *in) {
    jx_node *f = node(P, N_FILTER, cur(P));
    if (!f || !parse_dotted_name(P, f)) return NULL;
    f->a = in;
    if (!jx_has_filter(f->name, f->name_n)) {
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", (int)(f->name_n > 60 ? 60 : f->name_n), f->name);
        return fail_at(P, &P->toks->v[P->i - 1], LMD_E_UNSUPPORTED, "unsupported: no filter named '%s'", nm);
    }
    if (is_op(P, "(") && !parse_call_args(P, f)) return NULL;
    return f;
}

static jx_node *parse_test(parser *P, jx_node *in) {
    const jx_tok *at = cur(P);
    next(P); /* is */
    bool negated = false;
    if (is_name(P, "not")) { negated = true; next(P); }
    jx_node *t = node(P, N_TEST, at);
    if (!t || !parse_dotted_name(P, t)) return NULL;
    t->a = in;
    t->op = negated;
    if (!jx_has_test(t->name, t->name_n)) {
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", (int)(t->name_n > 60 ? 60 : t->name_n), t->name);
        return fail_at(P, at, LMD_E_UNSUPPORTED, "unsupported: no test named '%s'", nm);
    }
    const jx_tok *c = cur(P);
    if (is_op(P, "(")) {
        if (!parse_call_args(P, t)) return NULL;
    } else if ((c->k == TK_NAME || c->k == TK_STR || c->k == TK_INT || c->k == TK_FLOAT ||
                tok_is(c, TK_OP, "[") || tok_is(c, TK_OP, "{")) &&
               !tok_is(c, TK_NAME, "else") && !tok_is(c, TK_NAME, "or") && !tok_is(c, TK_NAME, "and")) {
        if (tok_is(c, TK_NAME, "is")) return expected(P, "a test argument");
        jx_node *arg = parse_primary(P);
        if (arg) arg = parse_postfix(P, arg);
        if (!arg) return NULL;
        t->kids = jx_arena_alloc(&P->t->arena, sizeof *t->kids);
        if (!t->kids) return NULL;
        t->kids[0] = arg;
        t->n_kids = 1;
    }
    return t;
}

static jx_node *parse_filter_expr(parser *P, jx_node *n) {
    for (;;) {
        if (is_op(P, "|")) {
            next(P);
            n = parse_filter(P, n);
        } else if (is_name(P, "is")) {
            n = parse_test(P, n);
        } else if (is_op(P, "(")) {
            jx_node *c = node(P, N_CALL, cur(P));
            if (c) c->a = n;
            n = c && parse_call_args(P, c) ? c : NULL;
        } else {
            return n;
        }
        if (!n) return NULL;
    }
}

static jx_node *parse_subscribed(parser *P) {
    const jx_tok *at = cur(P);
    jx_node *parts[3] = { 0 };
    int k = 0;
    if (!is_op(P, ":")) {
        parts[0] = parse_expression(P, true);
        if (!parts[0]) return NULL;
        if (!is_op(P, ":")) return parts[0];
    }
    jx_node *s = node(P, N_SLICE, at);
    if (!s) return NULL;
    k = 1;
    while (is_op(P, ":") && k < 3) {
        next(P);
        if (!is_op(P, "]") && !is_op(P, ",") && !is_op(P, ":")) {
            parts[k] = parse_expression(P, true);
            if (!parts[k]) return NULL;
        }
        k++;
    }
    s->b = parts[0];
    s->c = parts[1];
    s->d = parts[2];
    return s;
}

static jx_node *parse_postfix(parser *P, jx_node *n) {
    for (;;) {
        const jx_tok *at = cur(P);
        if (is_op(P, ".")) {
            next(P);
            if (cur(P)->k == TK_NAME) {
                jx_node *a = node(P, N_ATTR, at);
                if (!a) return NULL;
                a->a = n;
                a->name = cur(P)->p;
                a->name_n = cur(P)->n;
                next(P);
                n = a;
            } else if (cur(P)->k == TK_INT) {
                jx_node *a = node(P, N_ITEM, at), *k = node(P, N_CONST, at);
                if (!a || !k) return NULL;
                k->val = jx_arena_alloc(&P->t->arena, sizeof(jv));
                if (!k->val) return NULL;
                k->val->k = JV_INT;
                k->val->u.i = cur(P)->i;
                next(P);
                a->a = n;
                a->b = k;
                n = a;
            } else {
                return expected(P, "an attribute name");
            }
        } else if (is_op(P, "[")) {
            next(P);
            jx_node *sub = parse_subscribed(P);
            if (!sub) return NULL;
            if (is_op(P, ",")) return fail_at(P, cur(P), LMD_E_UNSUPPORTED, "unsupported: %s", "tuple subscript");
            if (!is_op(P, "]")) return expected(P, "']'");
            next(P);
            if (sub->k == N_SLICE) {
                sub->a = n;
                n = sub;
            } else {
                jx_node *it = node(P, N_ITEM, at);
                if (!it) return NULL;
                it->a = n;
                it->b = sub;
                n = it;
            }
        } else if (is_op(P, "(")) {
            jx_node *c = node(P, N_CALL, at);
            if (!c) return NULL;
            c->a = n;
            if (!parse_call_args(P, c)) return NULL;
            n = c;
        } else {
            return n;
        }
    }
}

static jx_node *const_node(parser *P, const jx_tok *at, jv_kind k) {
    jx_node *n = node(P, N_CONST, at);
    if (!n) return NULL;
    n->val = jx_arena_alloc(&P->t->arena, sizeof(jv));
    if (!n->val) return NULL;
    n->val->k = k;
    return n;
}

/* [a, b] or {k: v} after the opening bracket. */
static jx_node *parse_collection(parser *P, bool is_dict) {
    const jx_tok *at = cur(P);
    next(P);
    jx_node *n = node(P, is_dict ? N_DICT : N_LIST, at);
    nvec v = { 0 };
    const char *close = is_dict ? "}" : "]";
    if (!n) return NULL;
    while (!is_op(P, close)) {
        if (v.n) {
            if (!is_op(P, ",")) { nv_free(&v); return expected(P, is_dict ? "',' or '}'" : "',' or ']'"); }
            next(P);
            if (is_op(P, close)) break;
        }
        jx_node *k = parse_expression(P, true), *val = NULL;
        if (k && is_dict) {
            if (!is_op(P, ":")) { nv_free(&v); return expected(P, "':'"); }
            next(P);
            val = parse_expression(P, true);
            if (!val) k = NULL;
        }
        if (!k || !nv_push(P, &v, k, NULL, 0, val)) { nv_free(&v); return NULL; }
    }
    next(P);
    n->n_kids = v.n;
    if (!nv_take(P, &v, &n->kids, is_dict ? &n->kids2 : NULL, NULL, NULL)) return NULL;
    return n;
}

static jx_node *parse_primary(parser *P) {
    const jx_tok *t = cur(P);
    jx_node *n;
    switch (t->k) {
    case TK_NAME:
        if (tok_is(t, TK_NAME, "true") || tok_is(t, TK_NAME, "True") ||
            tok_is(t, TK_NAME, "false") || tok_is(t, TK_NAME, "False")) {
            n = const_node(P, t, JV_BOOL);
            if (n) n->val->u.b = t->p[0] == 't' || t->p[0] == 'T';
        } else if (tok_is(t, TK_NAME, "none") || tok_is(t, TK_NAME, "None")) {
            n = const_node(P, t, JV_NONE);
        } else {
            n = node(P, N_NAME, t);
            if (n) { n->name = t->p; n->name_n = t->n; }
        }
        next(P);
        return n;
    case TK_STR: {
        /* Adjacent string literals concatenate, as in Python. */
        size_t total = 0, j = P->i;
        while (P->toks->v[j].k == TK_STR) total += P->toks->v[j++].n;
        n = const_node(P, t, JV_STR);
        char *buf = jx_arena_alloc(&P->t->arena, total + 1);
        if (!n || !buf) return NULL;
        size_t k = 0;
        while (cur(P)->k == TK_STR) {
            memcpy(buf + k, cur(P)->p, cur(P)->n);
            k += cur(P)->n;
            next(P);
        }
        n->val->u.s.p = buf;
        n->val->u.s.n = total;
        return n;
    }
    case TK_INT:
        n = const_node(P, t, JV_INT);
        if (n) n->val->u.i = t->i;
        next(P);
        return n;
    case TK_FLOAT:
        n = const_node(P, t, JV_FLOAT);
        if (n) n->val->u.f = t->f;
        next(P);
        return n;
    case TK_OP:
        if (is_op(P, "(")) {
            next(P);
            n = parse_tuple(P, false, true, NULL, true);
            if (!n) return NULL;
            if (!is_op(P, ")")) return expected(P, "')'");
            next(P);
            return n;
        }
        if (is_op(P, "[")) return parse_collection(P, false);
        if (is_op(P, "{")) return parse_collection(P, true);
        /* fall through */
    default:
        return expected(P, "an expression");
    }
}

static jx_node *parse_unary(parser *P, bool with_filter) {
    if (!enter(P)) return NULL;
    const jx_tok *at = cur(P);
    jx_node *n;
    if (is_op(P, "-") || is_op(P, "+")) {
        bool neg = is_op(P, "-");
        next(P);
        jx_node *x = parse_unary(P, false);
        n = x ? node(P, neg ? N_NEG : N_POS, at) : NULL;
        if (n) n->a = x;
    } else {
        n = parse_primary(P);
    }
    if (n) n = parse_postfix(P, n);
    if (n && with_filter) n = parse_filter_expr(P, n);
    P->depth--;
    return n;
}

static jx_node *binop(parser *P, const jx_tok *at, int op, jx_node *a, jx_node *b) {
    if (!a || !b) return NULL;
    jx_node *n = node(P, N_BINOP, at);
    if (!n) return NULL;
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

static jx_node *parse_pow(parser *P) {
    jx_node *l = parse_unary(P, true);
    while (l && is_op(P, "**")) {
        const jx_tok *at = cur(P);
        next(P);
        l = binop(P, at, OP_POW, l, parse_unary(P, true));
    }
    return l;
}

static jx_node *parse_math2(parser *P) {
    jx_node *l = parse_pow(P);
    for (;;) {
        int op = is_op(P, "*") ? OP_MUL : is_op(P, "/") ? OP_DIV : is_op(P, "//") ? OP_FLOORDIV
               : is_op(P, "%") ? OP_MOD : -1;
        if (!l || op < 0) return l;
        const jx_tok *at = cur(P);
        next(P);
        l = binop(P, at, op, l, parse_pow(P));
    }
}

static jx_node *parse_concat(parser *P) {
    jx_node *l = parse_math2(P);
    while (l && is_op(P, "~")) {
        const jx_tok *at = cur(P);
        next(P);
        l = binop(P, at, OP_CONCAT, l, parse_math2(P));
    }
    return l;
}

static jx_node *parse_math1(parser *P) {
    jx_node *l = parse_concat(P);
    for (;;) {
        int op = is_op(P, "+") ? OP_ADD : is_op(P, "-") ? OP_SUB : -1;
        if (!l || op < 0) return l;
        const jx_tok *at = cur(P);
        next(P);
        l = binop(P, at, op, l, parse_concat(P));
    }
}

static jx_node *parse_compare(parser *P) {
    const jx_tok *at = cur(P);
    jx_node *first = parse_math1(P);
    if (!first) return NULL;
    nvec v = { 0 };
    int ops[64];
    for (;;) {
        int op = is_op(P, "==") ? OP_EQ : is_op(P, "!=") ? OP_NE : is_op(P, "<") ? OP_LT
               : is_op(P, "<=") ? OP_LE : is_op(P, ">") ? OP_GT : is_op(P, ">=") ? OP_GE
               : is_name(P, "in") ? OP_IN : -1;
        if (op < 0 && is_name(P, "not") && tok_is(peek(P, 1), TK_NAME, "in")) {
            op = OP_NOTIN;
            next(P);
        }
        if (op < 0) break;
        if (v.n >= 64) { nv_free(&v); return fail_at(P, cur(P), LMD_E_LIMIT, "%s", "comparison chain too long"); }
        next(P);
        jx_node *r = parse_math1(P);
        if (!r || !nv_push(P, &v, r, NULL, 0, NULL)) { nv_free(&v); return NULL; }
        ops[v.n - 1] = op;
    }
    if (v.n == 0) { nv_free(&v); return first; }
    jx_node *n = node(P, N_COMPARE, at);
    if (!n) { nv_free(&v); return NULL; }
    n->a = first;
    n->n_kids = v.n;
    n->ops = jx_arena_alloc(&P->t->arena, v.n * sizeof(int));
    if (!n->ops) { nv_free(&v); return NULL; }
    memcpy(n->ops, ops, v.n * sizeof(int));
    return nv_take(P, &v, &n->kids, NULL, NULL, NULL) ? n : NULL;
}

static jx_node *parse_not(parser *P) {
    if (is_name(P, "not")) {
        const jx_tok *at = cur(P);
        next(P);
        if (!enter(P)) return NULL;
        jx_node *x = parse_not(P);
        P->depth--;
        jx_node *n = x ? node(P, N_NOT, at) : NULL;
        if (n) n->a = x;
        return n;
    }
    return parse_compare(P);
}

static jx_node *parse_and(parser *P) {
    jx_node *l = parse_not(P);
    while (l && is_name(P, "and")) {
        const jx_tok *at = cur(P);
        next(P);
        jx_node *r = parse_not(P), *n = r ? node(P, N_AND, at) : NULL;
        if (!n) return NULL;
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static jx_node *parse_or(parser *P) {
    jx_node *l = parse_and(P);
    while (l && is_name(P, "or")) {
        const jx_tok *at = cur(P);
        next(P);
        jx_node *r = parse_and(P), *n = r ? node(P, N_OR, at) : NULL;
        if (!n) return NULL;
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static jx_node *parse_condexpr(parser *P) {
    jx_node *e1 = parse_or(P);
    while (e1 && is_name(P, "if")) {
        const jx_tok *at = cur(P);
        next(P);
        jx_node *cond = parse_or(P), *e3 = NULL;
        if (!cond) return NULL;
        if (is_name(P, "else")) {
            next(P);
            if (!enter(P)) return NULL;
            e3 = parse_condexpr(P);
            P->depth--;
            if (!e3) return NULL;
        }
        jx_node *n = node(P, N_COND, at);
        if (!n) return NULL;
        n->a = cond;
        n->b = e1;
        n->c = e3;
        e1 = n;
    }
    return e1;
}

static jx_node *parse_expression(parser *P, bool with_condexpr) {
    if (!enter(P)) return NULL;
    jx_node *n = with_condexpr ? parse_condexpr(P) : parse_or(P);
    P->depth--;
    return n;
}

static bool tuple_end(parser *P, const char *extra_end) {
    const jx_tok *t = cur(P);
    return t->k == TK_VAR_END || t->k == TK_BLOCK_END || t->k == TK_EOF || tok_is(t, TK_OP, ")") ||
           (extra_end && tok_is(t, TK_NAME, extra_end));
}

static jx_node *parse_tuple(parser *P, bool simplified, bool with_condexpr, const char *extra_end,
                            bool explicit_parens) {
    const jx_tok *at = cur(P);
    nvec v = { 0 };
    bool is_tuple = false;
    for (;;) {
        if (v.n) {
            if (!is_op(P, ",")) { nv_free(&v); return expected(P, "','"); }
            next(P);
        }
        if (tuple_end(P, extra_end)) break;
        jx_node *x = simplified ? parse_primary(P) : parse_expression(P, with_condexpr);
        if (!x || !nv_push(P, &v, x, NULL, 0, NULL)) { nv_free(&v); return NULL; }
        if (is_op(P, ",")) is_tuple = true;
        else break;
    }
    if (!is_tuple) {
        if (v.n) {
            jx_node *x = v.v[0];
            nv_free(&v);
            return x;
        }
        if (!explicit_parens) { nv_free(&v); return expected(P, "an expression"); }
    }
    jx_node *n = node(P, N_TUPLE, at);
    if (!n) { nv_free(&v); return NULL; }
    n->n_kids = v.n;
    return nv_take(P, &v, &n->kids, NULL, NULL, NULL) ? n : NULL;
}

/* ---- statements ---- */

static jx_node *parse_body(parser *P, const char *const *stops, const jx_tok **stop);

static bool expect_block_end(parser *P) {
    if (cur(P)->k != TK_BLOCK_END) { expected(P, "'%}'"); return false; }
    next(P);
    return true;
}

static jx_node *parse_assign_target(parser *P, const char *extra_end, bool with_ns) {
    const jx_tok *at = cur(P);
    if (with_ns && at->k == TK_NAME && tok_is(peek(P, 1), TK_OP, ".")) {
        jx_node *obj = node(P, N_NAME, at), *a = node(P, N_ATTR, at);
        if (!obj || !a) return NULL;
        obj->name = at->p;
        obj->name_n = at->n;
        next(P);
        next(P);
        if (cur(P)->k != TK_NAME) return expected(P, "an attribute name");
        a->a = obj;
        a->name = cur(P)->p;
        a->name_n = cur(P)->n;
        next(P);
        return a;
    }
    jx_node *t = parse_tuple(P, true, true, extra_end, false);
    if (!t) return NULL;
    if (t->k == N_NAME) return t;
    if (t->k == N_TUPLE) {
        for (size_t i = 0; i < t->n_kids; i++)
            if (t->kids[i]->k != N_NAME) break;
            else if (i + 1 == t->n_kids) return t;
    }
    return fail_at(P, at, LMD_E_FORMAT, "syntax error: %s", "cannot assign to this expression");
}

static const char *const STOP_ENDSET[] = { "endset", NULL };
static const char *const STOP_ENDMACRO[] = { "endmacro", NULL };
static const char *const STOP_ENDFILTER[] = { "endfilter", NULL };
static const char *const STOP_ENDGEN[] = { "endgeneration", NULL };
static const char *const STOP_FOR[] = { "endfor", "else", NULL };
static const char *const STOP_ENDFOR[] = { "endfor", NULL };
static const char *const STOP_IF[] = { "elif", "else", "endif", NULL };
static const char *const STOP_ENDIF[] = { "endif", NULL };

/* Parses a filter chain `name(args)|name2...` whose innermost input is NULL (the body). */
static jx_node *parse_filter_chain(parser *P) {
    jx_node *f = parse_filter(P, NULL);
    while (f && is_op(P, "|")) {
        next(P);
        f = parse_filter(P, f);
    }
    return f;
}

static jx_node *parse_if(parser *P, const jx_tok *at) {
    jx_node *n = node(P, N_IF, at);
    if (!n) return NULL;
    n->a = parse_tuple(P, false, false, NULL, false);
    if (!n->a || !expect_block_end(P)) return NULL;
    const jx_tok *stop;
    n->b = parse_body(P, STOP_IF, &stop);
    if (!n->b) return NULL;
    if (tok_is(stop, TK_NAME, "elif")) {
        n->c = parse_if(P, stop);   /* an elif is an if in the else branch; it eats endif */
        return n->c ? n : NULL;
    }
    if (tok_is(stop, TK_NAME, "else")) {
        if (!expect_block_end(P)) return NULL;
        n->c = parse_body(P, STOP_ENDIF, &stop);
        if (!n->c) return NULL;
    }
    return expect_block_end(P) ? n : NULL;
}

static jx_node *parse_statement(parser *P) {
    const jx_tok *kw = cur(P);
    if (kw->k != TK_NAME) return expected(P, "a statement name");
    next(P);
    jx_node *n = NULL;
    const jx_tok *stop;
    if (tok_is(kw, TK_NAME, "if")) return parse_if(P, kw);
    if (tok_is(kw, TK_NAME, "for")) {
        n = node(P, N_FOR, kw);
        if (!n || !(n->a = parse_assign_target(P, "in", false))) return NULL;
        if (!is_name(P, "in")) return expected(P, "'in'");
        next(P);
        if (!(n->b = parse_tuple(P, false, false, "recursive", false))) return NULL;
        if (is_name(P, "if")) {
            next(P);
            if (!(n->e = parse_expression(P, true))) return NULL;
        }
        if (is_name(P, "recursive"))
            return fail_at(P, cur(P), LMD_E_UNSUPPORTED, "unsupported: %s", "recursive for loop");
        if (!expect_block_end(P) || !(n->c = parse_body(P, STOP_FOR, &stop))) return NULL;
        if (tok_is(stop, TK_NAME, "else")) {
            if (!expect_block_end(P) || !(n->d = parse_body(P, STOP_ENDFOR, &stop))) return NULL;
        }
        return expect_block_end(P) ? n : NULL;
    }
    if (tok_is(kw, TK_NAME, "set")) {
        jx_node *target = parse_assign_target(P, NULL, true);
        if (!target) return NULL;
        if (is_op(P, "=")) {
            next(P);
            n = node(P, N_SET, kw);
            if (!n || !(n->b = parse_tuple(P, false, true, NULL, false))) return NULL;
            n->a = target;
            return expect_block_end(P) ? n : NULL;
        }
        if (target->k != N_NAME)
            return fail_at(P, kw, LMD_E_UNSUPPORTED, "unsupported: %s", "block set of a tuple or attribute");
        n = node(P, N_SET_BLOCK, kw);
        if (!n) return NULL;
        n->a = target;
        if (is_op(P, "|")) {
            next(P);
            if (!(n->c = parse_filter_chain(P))) return NULL;
        }
        if (!expect_block_end(P) || !(n->b = parse_body(P, STOP_ENDSET, &stop))) return NULL;
        return expect_block_end(P) ? n : NULL;
    }
    if (tok_is(kw, TK_NAME, "macro")) {
        n = node(P, N_MACRO, kw);
        if (!n) return NULL;
        if (cur(P)->k != TK_NAME) return expected(P, "a macro name");
        n->name = cur(P)->p;
        n->name_n = cur(P)->n;
        next(P);
        if (!is_op(P, "(")) return expected(P, "'('");
        next(P);
        nvec params = { 0 };
        bool has_default = false;
        while (!is_op(P, ")")) {
            if (params.n) {
                if (!is_op(P, ",")) { nv_free(&params); return expected(P, "',' or ')'"); }
                next(P);
            }
            if (cur(P)->k != TK_NAME) { nv_free(&params); return expected(P, "a parameter name"); }
            const jx_tok *pn = cur(P);
            next(P);
            jx_node *def = NULL;
            if (is_op(P, "=")) {
                next(P);
                if (!(def = parse_expression(P, true))) { nv_free(&params); return NULL; }
                has_default = true;
            } else if (has_default) {
                nv_free(&params);
                return fail_at(P, pn, LMD_E_FORMAT, "syntax error: %s", "non-default argument follows default argument");
            }
            if (!nv_push(P, &params, NULL, pn->p, pn->n, def)) { nv_free(&params); return NULL; }
        }
        next(P);
        n->n_kw = params.n;
        jx_node **dummy;
        if (!nv_take(P, &params, &dummy, &n->kids2, &n->kw, &n->kw_n)) return NULL;
        if (!expect_block_end(P) || !(n->b = parse_body(P, STOP_ENDMACRO, &stop))) return NULL;
        return expect_block_end(P) ? n : NULL;
    }
    if (tok_is(kw, TK_NAME, "filter")) {
        n = node(P, N_FILTER_BLOCK, kw);
        if (!n || !(n->c = parse_filter_chain(P))) return NULL;
        if (!expect_block_end(P) || !(n->b = parse_body(P, STOP_ENDFILTER, &stop))) return NULL;
        return expect_block_end(P) ? n : NULL;
    }
    if (tok_is(kw, TK_NAME, "generation")) {
        /* HF's AssistantTracker tag: renders its body unchanged. */
        if (!expect_block_end(P) || !(n = parse_body(P, STOP_ENDGEN, &stop))) return NULL;
        return expect_block_end(P) ? n : NULL;
    }
    if (tok_is(kw, TK_NAME, "break") || tok_is(kw, TK_NAME, "continue")) {
        n = node(P, kw->p[0] == 'b' ? N_BREAK : N_CONTINUE, kw);
        return n && expect_block_end(P) ? n : NULL;
    }
    static const char *const unsupported[] = { "call", "extends", "include", "import", "from",
        "block", "with", "autoescape", "do", "raw", "trans", NULL };
    char nm[48];
    snprintf(nm, sizeof nm, "%.*s", (int)(kw->n > 40 ? 40 : kw->n), kw->p);
    for (int i = 0; unsupported[i]; i++)
        if (tok_is(kw, TK_NAME, unsupported[i]))
            return fail_at(P, kw, LMD_E_UNSUPPORTED, "unsupported: {%% %s %%} statement", nm);
    return fail_at(P, kw, LMD_E_FORMAT, "syntax error: unknown statement '%s'", nm);
}

/* Statements until a block whose first name is in stops (then *stop is that name token and
 * the parser is past it) or the end of the template (only when stops is NULL). */
static jx_node *parse_body(parser *P, const char *const *stops, const jx_tok **stop) {
    const jx_tok *at = cur(P);
    if (!enter(P)) return NULL;
    nvec v = { 0 };
    jx_node *body = node(P, N_BODY, at);
    if (!body) return NULL;
    for (;;) {
        const jx_tok *t = cur(P);
        jx_node *x = NULL;
        if (t->k == TK_EOF) {
            if (stops) {
                nv_free(&v);
                char msg[80];
                snprintf(msg, sizeof msg, "syntax error: unexpected end of template, expected '%s'", stops[0]);
                return fail_at(P, t, LMD_E_FORMAT, "%s", msg);
            }
            break;
        }
        if (t->k == TK_TEXT) {
            x = node(P, N_TEXT, t);
            if (x) { x->name = t->p; x->name_n = t->n; }
            next(P);
        } else if (t->k == TK_VAR_BEGIN) {
            next(P);
            x = node(P, N_OUTPUT, t);
            if (x && (x->a = parse_tuple(P, false, true, NULL, false))) {
                if (cur(P)->k != TK_VAR_END) x = expected(P, "'}}'");
                else next(P);
            } else {
                x = NULL;
            }
        } else if (t->k == TK_BLOCK_BEGIN) {
            const jx_tok *name = peek(P, 1);
            bool is_stop = false;
            for (size_t k = 0; stops && stops[k]; k++) is_stop |= tok_is(name, TK_NAME, stops[k]);
            if (is_stop) {
                next(P);
                next(P);
                *stop = name;
                break;
            }
            static const char *const enders[] = { "endif", "endfor", "endset", "endmacro",
                "endfilter", "elif", "else", "endgeneration", NULL };
            for (size_t k = 0; enders[k]; k++)
                if (tok_is(name, TK_NAME, enders[k])) {
                    nv_free(&v);
                    char msg[120];
                    snprintf(msg, sizeof msg, "syntax error: unexpected '%s'%s%s", enders[k],
                             stops ? ", expected '" : "", stops ? stops[0] : "");
                    if (stops) strncat(msg, "'", sizeof msg - strlen(msg) - 1);
                    return fail_at(P, name, LMD_E_FORMAT, "%s", msg);
                }
            next(P);
            x = parse_statement(P);
        } else {
            x = expected(P, "text or a tag");
        }
        if (!x || !nv_push(P, &v, x, NULL, 0, NULL)) { nv_free(&v); return NULL; }
    }
    P->depth--;
    body->n_kids = v.n;
    return nv_take(P, &v, &body->kids, NULL, NULL, NULL) ? body : NULL;
}

lmd_status jx_parse(lmd_jinja *t, const jx_toks *toks, lmd_err *err) {
    parser P = { .t = t, .toks = toks, .err = err };
    t->root = parse_body(&P, NULL, NULL);
    if (!t->root) return err && err->status ? err->status : LMD_E_FORMAT;
    return LMD_OK;
}
