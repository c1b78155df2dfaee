/* goexec.c — walks a parsed Go template over values, as text/template's exec.go does:
 * pipelines (each command's result feeds the next as its last argument), field chains on
 * maps and structs with missingkey=zero, variables with Go's scoping ($ is the data;
 * control structures pop what they declared), if/with/range with else, break/continue,
 * template calls with a fresh scope, and Go's rules for printing an action's value. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl_int.h"

typedef struct { const char *name; go_val v; } go_var;

struct go_state {
    const struct lmd_gotmpl *t;
    go_arena *a;
    go_buf *out;
    go_var *vars;
    int n_vars, cap_vars;
    int base; /* first variable visible in the current template call */
    int depth;
    int64_t steps;
};

enum { W_OK, W_BREAK, W_CONTINUE, W_ERR };

go_arena *go_state_arena(go_state *s) { return s->a; }

lmd_status go_errorf(go_state *s, const go_node *at, lmd_err *err, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lmd_err_set(err, LMD_E_INVALID, "template %s:%d:%d: executing: %s", s->t->name,
                       at ? at->line : 0, at ? at->col : 0, msg);
}

static lmd_status step(go_state *s, const go_node *at, lmd_err *err) {
    if (++s->steps > s->t->lim.max_steps)
        return lmd_err_set(err, LMD_E_LIMIT, "template %s:%d:%d: more than %lld evaluation steps",
                           s->t->name, at->line, at->col, (long long)s->t->lim.max_steps);
    if (s->out->failed) {
        if (s->out->over_cap)
            return lmd_err_set(err, LMD_E_LIMIT, "template %s: output over %zu bytes", s->t->name,
                               s->out->max_bytes);
        return lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", s->t->name);
    }
    return LMD_OK;
}

static lmd_status push_var(go_state *s, const char *name, go_val v, lmd_err *err) {
    if (s->n_vars == s->cap_vars) {
        int nc = s->cap_vars ? s->cap_vars * 2 : 16;
        go_var *nv = realloc(s->vars, (size_t)nc * sizeof *nv);
        if (!nv) return lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", s->t->name);
        s->vars = nv;
        s->cap_vars = nc;
    }
    s->vars[s->n_vars++] = (go_var){ name, v };
    return LMD_OK;
}

static go_var *find_var(go_state *s, const char *name) {
    for (int i = s->n_vars - 1; i >= s->base; i--)
        if (strcmp(s->vars[i].name, name) == 0) return &s->vars[i];
    return NULL;
}

/* Go's pipeline "dig": a nil interface{} result becomes no value. */
static go_val dig(go_val v) {
    if (v.kind == GV_NILIFACE) return go_invalid();
    return v;
}

static lmd_status eval_pipeline(go_state *s, go_val dot, const go_node *pipe, go_val *out,
                                lmd_err *err);
static lmd_status eval_command(go_state *s, go_val dot, const go_node *cmd, const go_val *final,
                               go_val *out, lmd_err *err);

static const char *kind_desc(go_val v) { return go_type_name(v); }

/* One field step on receiver (Go's evalField). `has_args`: arguments or a final value. */
static lmd_status eval_field(go_state *s, const go_node *at, const char *name, bool has_args,
                             go_val recv, go_val *out, lmd_err *err) {
    switch ((go_kind)recv.kind) {
    case GV_INVALID: *out = go_invalid(); return LMD_OK;
    case GV_NILIFACE:
        return go_errorf(s, at, err, "nil pointer evaluating interface {}.%s", name);
    case GV_NIL:
        return go_errorf(s, at, err, "nil pointer evaluating %s.%s", kind_desc(recv), name);
    default: break;
    }
    if (recv.str && strcmp(name, "String") == 0) {
        if (has_args) return go_errorf(s, at, err, "wrong number of args for String: want 0");
        *out = go_str(recv.str, strlen(recv.str));
        return LMD_OK;
    }
    if (recv.kind == GV_STRUCT && recv.tname && strcmp(recv.tname, "api.ToolProperty") == 0 &&
        strcmp(name, "ToTypeScriptType") == 0) {
        if (has_args) return go_errorf(s, at, err, "wrong number of args for ToTypeScriptType: want 0");
        return go_call_ts_method(s, at, recv, out, err);
    }
    if (recv.kind == GV_STRUCT) {
        for (size_t i = 0; i < recv.u.a->n; i++)
            if (strcmp(recv.u.a->keys[i], name) == 0) {
                if (has_args)
                    return go_errorf(s, at, err, "%s has arguments but cannot be invoked as function",
                                     name);
                *out = recv.u.a->items[i];
                return LMD_OK;
            }
    } else if (recv.kind == GV_MAP) {
        if (has_args) return go_errorf(s, at, err, "%s is not a method but has arguments", name);
        size_t lo = 0, hi = recv.is_nil ? 0 : recv.u.a->n;
        while (lo < hi) { /* keys are sorted */
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(recv.u.a->keys[mid], name);
            if (c == 0) { *out = recv.u.a->items[mid]; return LMD_OK; }
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        *out = recv.u.a->zero;
        return LMD_OK;
    }
    return go_errorf(s, at, err, "can't evaluate field %s in type %s", name, kind_desc(recv));
}

static lmd_status eval_field_chain(go_state *s, const go_node *at, go_val recv,
                                   const char *const *idents, int n, bool has_args, go_val *out,
                                   lmd_err *err) {
    lmd_status st;
    for (int i = 0; i < n; i++) {
        if ((st = eval_field(s, at, idents[i], i == n - 1 && has_args, recv, &recv, err)) != LMD_OK)
            return st;
    }
    *out = recv;
    return LMD_OK;
}

/* Rejects arguments given to something that is not a function. */
static lmd_status not_a_function(go_state *s, const go_node *cmd, const go_val *final, lmd_err *err) {
    if ((cmd && cmd->n_kids > 1) || final)
        return go_errorf(s, cmd, err, "can't give argument to non-function");
    return LMD_OK;
}

static go_val ideal_constant(const go_node *n) {
    return n->num_is_float ? go_float(n->num_f) : go_int(n->num_i);
}

/* Evaluates an argument node for a parameter of kind 'r' (reflect.Value), 'a' (any) or
 * 's' (string), applying Go's validateType rules. */
static lmd_status eval_arg(go_state *s, go_val dot, const go_node *n, char kind, go_val *out,
                           lmd_err *err) {
    lmd_status st = LMD_OK;
    go_val v;
    switch (n->kind) {
    case GN_DOT: v = dot; break;
    case GN_NIL:
        /* nil fits an interface{} and a reflect.Value (as the zero Value), not a string */
        if (kind == 'a') { *out = (go_val){ .kind = GV_NILIFACE }; return LMD_OK; }
        if (kind == 'r') { *out = go_invalid(); return LMD_OK; }
        return go_errorf(s, n, err, "cannot assign nil to string");
    case GN_FIELD:
        st = eval_field_chain(s, n, dot, n->idents, n->n_idents, false, &v, err);
        break;
    case GN_VAR: {
        go_var *var = find_var(s, n->idents[0]);
        if (!var) return go_errorf(s, n, err, "undefined variable: %s", n->idents[0]);
        v = var->v;
        if (n->n_idents > 1)
            st = eval_field_chain(s, n, v, n->idents + 1, n->n_idents - 1, false, &v, err);
        break;
    }
    case GN_PIPE: st = eval_pipeline(s, dot, n, &v, err); break;
    case GN_IDENT: {
        go_node cmd = { .kind = GN_CMD, .line = n->line, .col = n->col, .kids = (go_node **)&n,
                        .n_kids = 1 };
        st = eval_command(s, dot, &cmd, NULL, &v, err);
        break;
    }
    case GN_CHAIN: {
        go_node cmd = { .kind = GN_CMD, .line = n->line, .col = n->col, .kids = (go_node **)&n,
                        .n_kids = 1 };
        st = eval_command(s, dot, &cmd, NULL, &v, err);
        break;
    }
    case GN_BOOL:
        if (kind == 's') return go_errorf(s, n, err, "expected string; found %s", n->b ? "true" : "false");
        *out = go_bool(n->b);
        return LMD_OK;
    case GN_NUMBER:
        if (kind == 's') return go_errorf(s, n, err, "expected string; found a number");
        *out = ideal_constant(n);
        return LMD_OK;
    case GN_STRING:
        *out = go_str(n->text, n->text_len);
        return LMD_OK;
    default:
        return go_errorf(s, n, err, "can't handle argument");
    }
    if (st != LMD_OK) return st;
    /* validateType: no value becomes nil for interface{}, the zero Value for reflect.Value */
    if (v.kind == GV_INVALID) {
        if (kind == 'a') { *out = (go_val){ .kind = GV_NILIFACE }; return LMD_OK; }
        if (kind == 'r') { *out = v; return LMD_OK; }
        return go_errorf(s, n, err, "invalid value; expected string");
    }
    if (kind == 's' && v.kind != GV_STRING)
        return go_errorf(s, n, err, "wrong type for value; expected string; got %s", kind_desc(v));
    *out = v;
    return LMD_OK;
}

/* Validates the final (piped-in) value for a parameter kind. */
static lmd_status validate_final(go_state *s, const go_node *at, go_val v, char kind, go_val *out,
                                 lmd_err *err) {
    if (v.kind == GV_INVALID) {
        if (kind == 'a') { *out = (go_val){ .kind = GV_NILIFACE }; return LMD_OK; }
        if (kind == 'r') { *out = v; return LMD_OK; }
        return go_errorf(s, at, err, "invalid value; expected string");
    }
    if (kind == 's' && v.kind != GV_STRING)
        return go_errorf(s, at, err, "wrong type for value; expected string; got %s", kind_desc(v));
    *out = v;
    return LMD_OK;
}

#define MAX_ARGS 64

static lmd_status eval_function(go_state *s, go_val dot, const go_node *cmd, const go_val *final,
                                go_val *out, lmd_err *err) {
    const go_node *id = cmd->kids[0];
    const go_builtin *fn = go_find_builtin(id->text, id->text_len);
    if (!fn) return go_errorf(s, id, err, "\"%s\" is not a defined function", id->text);
    int n_args = cmd->n_kids - 1 + (final ? 1 : 0);
    int n_fixed = (int)strlen(fn->sig);
    if (fn->variadic ? n_args < n_fixed : n_args != n_fixed)
        return go_errorf(s, id, err, "wrong number of args for %s: want %s%d got %d", id->text,
                         fn->variadic ? "at least " : "", n_fixed, n_args);
    if (n_args > MAX_ARGS) return go_errorf(s, id, err, "too many arguments to %s", id->text);
    lmd_status st;
    bool is_and = strcmp(id->text, "and") == 0, is_or = strcmp(id->text, "or") == 0;
    if (is_and || is_or) {
        /* short-circuit: the first argument that settles the answer is the result */
        go_val v = go_invalid();
        for (int i = 1; i < cmd->n_kids; i++) {
            if ((st = eval_arg(s, dot, cmd->kids[i], 'r', &v, err)) != LMD_OK) return st;
            if (go_truth(v) == is_or) { *out = v; return LMD_OK; }
        }
        if (final && (st = validate_final(s, id, *final, 'r', &v, err)) != LMD_OK) return st;
        *out = v;
        return LMD_OK;
    }
    go_val args[MAX_ARGS];
    for (int i = 1; i < cmd->n_kids; i++) {
        char kind = i - 1 < n_fixed ? fn->sig[i - 1] : fn->variadic;
        if ((st = eval_arg(s, dot, cmd->kids[i], kind, &args[i - 1], err)) != LMD_OK) return st;
    }
    if (final) {
        int i = cmd->n_kids - 1;
        char kind = i < n_fixed ? fn->sig[i] : fn->variadic;
        if ((st = validate_final(s, id, *final, kind, &args[i], err)) != LMD_OK) return st;
    }
    return fn->fn(s, id, args, n_args, out, err);
}

static lmd_status eval_command(go_state *s, go_val dot, const go_node *cmd, const go_val *final,
                               go_val *out, lmd_err *err) {
    const go_node *first = cmd->kids[0];
    bool has_args = cmd->n_kids > 1 || final;
    lmd_status st;
    if ((st = step(s, first, err)) != LMD_OK) return st;
    switch (first->kind) {
    case GN_FIELD:
        return eval_field_chain(s, first, dot, first->idents, first->n_idents, has_args, out, err);
    case GN_CHAIN: {
        if (first->node->kind == GN_NIL)
            return go_errorf(s, first, err, "indirection through explicit nil");
        go_val base;
        if ((st = eval_arg(s, dot, first->node, 'a', &base, err)) != LMD_OK) return st;
        return eval_field_chain(s, first, base, first->idents, first->n_idents, has_args, out, err);
    }
    case GN_IDENT: return eval_function(s, dot, cmd, final, out, err);
    case GN_PIPE:
        if ((st = not_a_function(s, cmd, final, err)) != LMD_OK) return st;
        return eval_pipeline(s, dot, first, out, err);
    case GN_VAR: {
        go_var *var = find_var(s, first->idents[0]);
        if (!var) return go_errorf(s, first, err, "undefined variable: %s", first->idents[0]);
        if (first->n_idents == 1) {
            if ((st = not_a_function(s, cmd, final, err)) != LMD_OK) return st;
            *out = var->v;
            return LMD_OK;
        }
        return eval_field_chain(s, first, var->v, first->idents + 1, first->n_idents - 1, has_args,
                                out, err);
    }
    default: break;
    }
    if ((st = not_a_function(s, cmd, final, err)) != LMD_OK) return st;
    switch (first->kind) {
    case GN_BOOL: *out = go_bool(first->b); return LMD_OK;
    case GN_DOT: *out = dot; return LMD_OK;
    case GN_NIL: return go_errorf(s, first, err, "nil is not a command");
    case GN_NUMBER: *out = ideal_constant(first); return LMD_OK;
    case GN_STRING: *out = go_str(first->text, first->text_len); return LMD_OK;
    default: return go_errorf(s, first, err, "can't evaluate command");
    }
}

static lmd_status eval_pipeline(go_state *s, go_val dot, const go_node *pipe, go_val *out,
                                lmd_err *err) {
    go_val v = go_invalid();
    if (!pipe) { *out = v; return LMD_OK; }
    lmd_status st;
    for (int i = 0; i < pipe->n_kids; i++) {
        go_val prev = v;
        if ((st = eval_command(s, dot, pipe->kids[i], i ? &prev : NULL, &v, err)) != LMD_OK)
            return st;
        v = dig(v);
    }
    for (int i = 0; i < pipe->n_decl; i++) {
        if (pipe->is_assign) {
            go_var *var = find_var(s, pipe->decl[i]);
            if (!var) return go_errorf(s, pipe, err, "undefined variable: %s", pipe->decl[i]);
            var->v = v;
        } else if ((st = push_var(s, pipe->decl[i], v, err)) != LMD_OK) {
            return st;
        }
    }
    *out = v;
    return LMD_OK;
}

/* Prints an action's value as Go's printValue does. */
static void print_value(go_state *s, go_val v) {
    if (v.kind == GV_INVALID) { go_buf_puts(s->out, "<no value>"); return; }
    if (v.kind == GV_STRUCT && v.is_ptr) v.is_ptr = false; /* the pointer is followed */
    go_fmt_v(s->out, v, 0);
}

static int walk(go_state *s, go_val dot, const go_node *n, lmd_err *err);

static int walk_list(go_state *s, go_val dot, const go_node *list, lmd_err *err) {
    for (int i = 0; list && i < list->n_kids; i++) {
        int r = walk(s, dot, list->kids[i], err);
        if (r != W_OK) return r;
    }
    return W_OK;
}

static int walk_range(go_state *s, go_val dot, const go_node *n, lmd_err *err) {
    int mark = s->n_vars;
    go_val v;
    if (eval_pipeline(s, dot, n->pipe, &v, err) != LMD_OK) return W_ERR;
    int body_mark = s->n_vars;
    int nd = n->pipe->n_decl;
    int r = W_OK;
    bool ran = false;
    if (v.kind == GV_SLICE || v.kind == GV_MAP) {
        size_t count = v.is_nil ? 0 : v.u.a->n;
        for (size_t i = 0; i < count; i++) {
            ran = true;
            /* each iteration is a step, so nested loops with empty bodies are capped too */
            if (step(s, n, err) != LMD_OK) return W_ERR;
            go_val elem = v.u.a->items[i];
            go_val idx = v.kind == GV_MAP ? go_str(v.u.a->keys[i], strlen(v.u.a->keys[i]))
                                          : go_int((int64_t)i);
            if (nd > 0) s->vars[body_mark - 1].v = elem;
            if (nd > 1) s->vars[body_mark - 2].v = idx;
            r = walk_list(s, elem, n->list, err);
            s->n_vars = body_mark;
            if (r == W_ERR) return W_ERR;
            if (r == W_BREAK) break;
            r = W_OK;
        }
        if (ran) { s->n_vars = mark; return W_OK; }
    } else if (v.kind != GV_INVALID) {
        go_buf tmp = { .max_bytes = 200 };
        go_fmt_v(&tmp, v, 0);
        go_errorf(s, n, err, "range can't iterate over %s", tmp.p ? tmp.p : "value");
        free(tmp.p);
        return W_ERR;
    }
    if (n->else_list) r = walk_list(s, dot, n->else_list, err);
    s->n_vars = mark;
    return r;
}

static int walk_template(go_state *s, go_val dot, const go_node *n, lmd_err *err) {
    const go_node *root = NULL;
    for (int i = 0; i < s->t->n_defs; i++)
        if (strcmp(s->t->defs[i].name, n->text) == 0) root = s->t->defs[i].root;
    if (!root) { go_errorf(s, n, err, "no such template \"%s\"", n->text); return W_ERR; }
    if (s->depth >= s->t->lim.max_depth) {
        lmd_err_set(err, LMD_E_LIMIT, "template %s:%d:%d: template calls nested deeper than %d",
                    s->t->name, n->line, n->col, s->t->lim.max_depth);
        return W_ERR;
    }
    go_val v = go_invalid();
    if (n->node && eval_pipeline(s, dot, n->node, &v, err) != LMD_OK) return W_ERR;
    /* No dynamic scoping: the callee sees only its own $, so lookups stop at `base`. */
    int saved_base = s->base, saved_n = s->n_vars;
    s->base = s->n_vars;
    if (push_var(s, "$", v, err) != LMD_OK) return W_ERR;
    s->depth++;
    int r = walk_list(s, v, root, err);
    s->depth--;
    s->n_vars = saved_n;
    s->base = saved_base;
    return r == W_ERR ? W_ERR : W_OK;
}

static int walk(go_state *s, go_val dot, const go_node *n, lmd_err *err) {
    if (step(s, n, err) != LMD_OK) return W_ERR;
    switch (n->kind) {
    case GN_TEXT: go_buf_put(s->out, n->text, n->text_len); return W_OK;
    case GN_ACTION: {
        go_val v;
        if (eval_pipeline(s, dot, n->node, &v, err) != LMD_OK) return W_ERR;
        if (n->node->n_decl == 0) print_value(s, v);
        return W_OK;
    }
    case GN_IF:
    case GN_WITH: {
        int mark = s->n_vars;
        go_val v;
        if (eval_pipeline(s, dot, n->pipe, &v, err) != LMD_OK) return W_ERR;
        int r = W_OK;
        if (go_truth(v)) r = walk_list(s, n->kind == GN_WITH ? v : dot, n->list, err);
        else if (n->else_list) r = walk_list(s, dot, n->else_list, err);
        s->n_vars = mark;
        return r;
    }
    case GN_RANGE: return walk_range(s, dot, n, err);
    case GN_TEMPLATE: return walk_template(s, dot, n, err);
    case GN_BREAK: return W_BREAK;
    case GN_CONTINUE: return W_CONTINUE;
    case GN_LIST: return walk_list(s, dot, n, err);
    default:
        go_errorf(s, n, err, "unknown node");
        return W_ERR;
    }
}

lmd_status go_exec(const struct lmd_gotmpl *t, const go_node *root, go_arena *a, go_val data,
                   go_buf *b, lmd_err *err) {
    go_state s = { .t = t, .a = a, .out = b };
    lmd_status st = push_var(&s, "$", data, err);
    if (st == LMD_OK) {
        int r = walk_list(&s, data, root ? root : t->root, err);
        if (r == W_ERR) st = err && err->status != LMD_OK ? err->status : LMD_E_INVALID;
        else st = step(&s, root ? root : t->root, err);
    }
    free(s.vars);
    return st;
}
