/* gotmpl.c — the public face of the Go-template interpreter (gotmpl.h): parse with caps,
 * render over JSON data, and render the way Ollama's Template.Execute does — choosing its
 * path, appending {{ .Response }} where Ollama's Parse would, and cutting the tree after
 * .Response for the last turn of the legacy path (Ollama's deleteNode). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "template/gotmpl_int.h"

static const lmd_gotmpl_limits default_limits = {
    .max_source_bytes = (size_t)1 << 20,
    .max_output_bytes = (size_t)16 << 20,
    .max_depth = 100,
    .max_steps = 10000000,
};

lmd_status lmd_gotmpl_parse(const char *src, size_t len, const char *name,
                            const lmd_gotmpl_limits *lim, lmd_gotmpl **out, lmd_err *err) {
    *out = NULL;
    lmd_gotmpl_limits l = lim ? *lim : default_limits;
    if (!l.max_source_bytes) l.max_source_bytes = default_limits.max_source_bytes;
    if (!l.max_output_bytes) l.max_output_bytes = default_limits.max_output_bytes;
    if (l.max_depth <= 0) l.max_depth = default_limits.max_depth;
    if (l.max_steps <= 0) l.max_steps = default_limits.max_steps;
    if (!name) name = "template";
    if (len > l.max_source_bytes)
        return lmd_err_set(err, LMD_E_LIMIT, "template %s: %zu bytes, limit %zu", name, len,
                           l.max_source_bytes);
    if (!src && len) return lmd_err_set(err, LMD_E_INVALID, "template %s: no source", name);
    lmd_gotmpl *t = calloc(1, sizeof *t);
    if (!t) return lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", name);
    t->lim = l;
    /* the parse tree may point into the source, so it is copied into the arena */
    char *copy = go_strndup(&t->arena, src ? src : "", len);
    t->name = go_strndup(&t->arena, name, strlen(name));
    lmd_status st;
    if (!copy || !t->name) {
        st = lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", name);
        goto fail;
    }
    if ((st = go_parse(t, copy, len, err)) != LMD_OK) goto fail;
    *out = t;
    return LMD_OK;
fail:
    lmd_gotmpl_free(t);
    return st;
}

void lmd_gotmpl_free(lmd_gotmpl *t) {
    if (!t) return;
    go_arena_free(&t->arena);
    free(t);
}

/* Ollama's Identifiers(): fields and variables reachable through actions, branches,
 * template calls and pipelines (not through chains or function names). */
static bool uses_node(const go_node *n, const char *ident) {
    if (!n) return false;
    switch (n->kind) {
    case GN_LIST:
        for (int i = 0; i < n->n_kids; i++)
            if (uses_node(n->kids[i], ident)) return true;
        return false;
    case GN_ACTION: case GN_TEMPLATE: return uses_node(n->node, ident);
    case GN_IF: case GN_RANGE: case GN_WITH:
        return uses_node(n->pipe, ident) || uses_node(n->list, ident) || uses_node(n->else_list, ident);
    case GN_PIPE:
        for (int i = 0; i < n->n_kids; i++)
            for (int k = 0; k < n->kids[i]->n_kids; k++)
                if (uses_node(n->kids[i]->kids[k], ident)) return true;
        return false;
    case GN_FIELD: case GN_VAR:
        for (int i = 0; i < n->n_idents; i++)
            if (strcasecmp(n->idents[i], ident) == 0) return true;
        return false;
    default: return false;
    }
}

bool lmd_gotmpl_uses(const lmd_gotmpl *t, const char *ident) {
    if (!t || !ident) return false;
    if (uses_node(t->root, ident)) return true;
    for (int i = 0; i < t->n_defs; i++)
        if (uses_node(t->defs[i].root, ident)) return true;
    return false;
}

static lmd_status finish(go_buf *b, lmd_status st, char **out, size_t *out_len, lmd_err *err,
                         const lmd_gotmpl *t) {
    if (st == LMD_OK && b->failed)
        st = lmd_err_set(err, b->over_cap ? LMD_E_LIMIT : LMD_E_NOMEM,
                         "template %s: output over %zu bytes or out of memory", t->name, b->max_bytes);
    if (st != LMD_OK) { free(b->p); return st; }
    if (!b->p) {
        b->p = malloc(1);
        if (!b->p) return lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", t->name);
        b->p[0] = 0;
    }
    *out = b->p;
    if (out_len) *out_len = b->len;
    return LMD_OK;
}

lmd_status lmd_gotmpl_render_json(const lmd_gotmpl *t, const json_t *data, char **out,
                                  size_t *out_len, lmd_err *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    lmd_err local;
    if (!err) err = &local;
    lmd_err_clear(err);
    go_arena a = { .cap_bytes = t->lim.max_output_bytes * 4 + ((size_t)64 << 20) };
    go_buf b = { .max_bytes = t->lim.max_output_bytes };
    go_val dot;
    lmd_status st = go_from_json(&a, data, 0, &dot, err);
    if (st == LMD_OK) st = go_exec(t, NULL, &a, dot, &b, err);
    go_arena_free(&a);
    return finish(&b, st, out, out_len, err, t);
}

/* ---- Ollama ---- */

static go_node *new_node(go_arena *a, go_node_kind k) {
    go_node *n = go_alloc(a, sizeof *n);
    if (n) n->kind = k;
    return n;
}

/* The root list with {{ .Response }} appended (Ollama's Parse touch-up). */
static const go_node *with_response(go_arena *a, const go_node *root) {
    go_node *field = new_node(a, GN_FIELD), *cmd = new_node(a, GN_CMD), *pipe = new_node(a, GN_PIPE);
    go_node *act = new_node(a, GN_ACTION), *list = new_node(a, GN_LIST);
    const char **ids = go_alloc(a, sizeof *ids);
    go_node **cmd_kids = go_alloc(a, sizeof *cmd_kids), **pipe_kids = go_alloc(a, sizeof *pipe_kids);
    go_node **kids = go_alloc(a, (size_t)(root->n_kids + 1) * sizeof *kids);
    if (!field || !cmd || !pipe || !act || !list || !ids || !cmd_kids || !pipe_kids || !kids)
        return NULL;
    ids[0] = "Response";
    field->idents = ids;
    field->n_idents = 1;
    cmd_kids[0] = field;
    cmd->kids = cmd_kids;
    cmd->n_kids = 1;
    pipe_kids[0] = cmd;
    pipe->kids = pipe_kids;
    pipe->n_kids = 1;
    act->node = pipe;
    if (root->n_kids) memcpy(kids, root->kids, (size_t)root->n_kids * sizeof *kids);
    kids[root->n_kids] = act;
    *list = *root;
    list->kids = kids;
    list->n_kids = root->n_kids + 1;
    return list;
}

/* Ollama's deleteNode: keep everything up to the first .Response field, drop all after. */
typedef struct { go_arena *a; bool cut, nomem; } cutter;

static bool cut_pred(cutter *c, const go_node *n) {
    if (n->kind == GN_FIELD)
        for (int i = 0; i < n->n_idents; i++)
            if (strcmp(n->idents[i], "Response") == 0) { c->cut = true; return false; }
    return c->cut;
}

static go_node *cut_walk(cutter *c, const go_node *n) {
    if (cut_pred(c, n)) return NULL;
    go_node *m;
    switch (n->kind) {
    case GN_LIST: {
        if (!(m = new_node(c->a, GN_LIST))) { c->nomem = true; return NULL; }
        *m = *n;
        m->kids = go_alloc(c->a, (size_t)(n->n_kids ? n->n_kids : 1) * sizeof *m->kids);
        if (!m->kids) { c->nomem = true; return NULL; }
        m->n_kids = 0;
        for (int i = 0; i < n->n_kids; i++) {
            go_node *k = cut_walk(c, n->kids[i]);
            if (c->nomem) return NULL;
            if (k) m->kids[m->n_kids++] = k;
        }
        return m;
    }
    case GN_IF: case GN_WITH: case GN_RANGE:
        if (!(m = new_node(c->a, n->kind))) { c->nomem = true; return NULL; }
        *m = *n;
        /* Ollama walks the branch lists, not the condition; an else list after the cut
         * is dropped (Ollama would fail on it). */
        m->list = cut_walk(c, n->list);
        if (c->nomem) return NULL;
        if (!m->list) { m->list = new_node(c->a, GN_LIST); if (!m->list) { c->nomem = true; return NULL; } }
        m->else_list = n->else_list ? cut_walk(c, n->else_list) : NULL;
        if (c->nomem) return NULL;
        return m;
    case GN_ACTION: {
        go_node *p = cut_walk(c, n->node);
        if (c->nomem || !p) return NULL;
        if (!(m = new_node(c->a, GN_ACTION))) { c->nomem = true; return NULL; }
        *m = *n;
        m->node = p;
        return m;
    }
    case GN_PIPE: {
        if (!(m = new_node(c->a, GN_PIPE))) { c->nomem = true; return NULL; }
        *m = *n;
        m->kids = go_alloc(c->a, (size_t)(n->n_kids ? n->n_kids : 1) * sizeof *m->kids);
        if (!m->kids) { c->nomem = true; return NULL; }
        m->n_kids = 0;
        for (int i = 0; i < n->n_kids; i++) {
            const go_node *cmd = n->kids[i];
            go_node *nc = new_node(c->a, GN_CMD);
            go_node **args = go_alloc(c->a, (size_t)cmd->n_kids * sizeof *args);
            if (!nc || !args) { c->nomem = true; return NULL; }
            *nc = *cmd;
            nc->kids = args;
            nc->n_kids = 0;
            for (int k = 0; k < cmd->n_kids; k++) {
                go_node *arg = cut_walk(c, cmd->kids[k]);
                if (c->nomem) return NULL;
                if (arg) args[nc->n_kids++] = arg;
            }
            if (nc->n_kids == 0) return NULL;
            m->kids[m->n_kids++] = nc;
        }
        if (m->n_kids == 0) return NULL;
        return m;
    }
    default:
        return (go_node *)n;
    }
}

static go_val legacy_map(go_arena *a, const go_ollama_values *v, go_val system, go_val prompt,
                         go_val response) {
    static const char *keys[] = { "System", "Prompt", "Response", "Think", "ThinkLevel",
                                  "IsThinkSet" };
    go_val vals[6] = { system, prompt, response, go_bool(v->think),
                       go_str(v->think_level, v->think_level_len), go_bool(v->is_think_set) };
    return go_make_map(a, 6, keys, vals);
}

lmd_status lmd_gotmpl_render_ollama(const lmd_gotmpl *t, const json_t *values, char **out,
                                    size_t *out_len, lmd_err *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    lmd_err local;
    if (!err) err = &local;
    lmd_err_clear(err);
    go_arena a = { .cap_bytes = t->lim.max_output_bytes * 4 + ((size_t)64 << 20) };
    go_buf b = { .max_bytes = t->lim.max_output_bytes };
    go_ollama_values v;
    lmd_status st = go_ollama_build(&a, values, &v, err);
    if (st != LMD_OK) goto done;
    bool uses_messages = lmd_gotmpl_uses(t, "messages");
    const go_node *root = t->root;
    if (!uses_messages && !lmd_gotmpl_uses(t, "response")) {
        if (!(root = with_response(&a, t->root))) {
            st = lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", t->name);
            goto done;
        }
    }
    if (v.prompt_len && v.suffix_len) {
        static const char *keys[] = { "Prompt", "Suffix", "Response", "Think", "ThinkLevel",
                                      "IsThinkSet" };
        go_val vals[6] = { go_str(v.prompt, v.prompt_len), go_str(v.suffix, v.suffix_len),
                           go_str("", 0), go_bool(v.think), go_str(v.think_level, v.think_level_len),
                           go_bool(v.is_think_set) };
        st = go_exec(t, root, &a, go_make_map(&a, 6, keys, vals), &b, err);
        goto done;
    }
    if (uses_messages) {
        st = go_exec(t, root, &a, v.messages_data, &b, err);
        goto done;
    }
    /* legacy: one execution per turn, the last one cut after .Response */
    go_val empty = go_str("", 0), system = empty, prompt = empty, response = empty;
    for (size_t i = 0; i < v.n_msgs; i++) {
        go_val content = go_str(v.contents[i], v.content_lens[i]);
        bool run = false;
        if (strcmp(v.roles[i], "system") == 0) run = prompt.u.s.n || response.u.s.n;
        else if (strcmp(v.roles[i], "user") == 0) run = response.u.s.n > 0;
        if (run) {
            st = go_exec(t, root, &a, legacy_map(&a, &v, system, prompt, response), &b, err);
            if (st != LMD_OK) goto done;
            system = prompt = response = empty;
        }
        if (strcmp(v.roles[i], "system") == 0) system = content;
        else if (strcmp(v.roles[i], "user") == 0) prompt = content;
        else if (strcmp(v.roles[i], "assistant") == 0) response = content;
    }
    cutter c = { .a = &a };
    go_node *cut = cut_walk(&c, root);
    if (c.nomem) {
        st = lmd_err_set(err, LMD_E_NOMEM, "template %s: out of memory", t->name);
        goto done;
    }
    if (cut) st = go_exec(t, cut, &a, legacy_map(&a, &v, system, prompt, response), &b, err);
done:
    go_arena_free(&a);
    return finish(&b, st, out, out_len, err, t);
}
