/* goollama.c — Ollama's side of template rendering: builds the Go values Ollama hands its
 * templates (template.Values: messages collated — same-role runs merged, system messages
 * gathered — and converted to templateMessage / templateTool structs whose JSON-printing
 * String methods templates rely on), and runs Template.Execute's three paths: prompt+suffix,
 * .Messages, and the legacy turn-by-turn path that cuts the tree after {{ .Response }}. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl_int.h"

typedef struct {
    go_arena *a;
    lmd_err *err;
    lmd_status st;
} builder;

static bool bfail(builder *b, lmd_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool bfail(builder *b, lmd_status st, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (b->st == LMD_OK) b->st = st;
    lmd_err_set(b->err, st, "template values: %s", msg);
    return false;
}
static bool bnomem(builder *b) { return bfail(b, LMD_E_NOMEM, "out of memory"); }

/* Reads an optional string member; absent or null gives "". */
static bool get_str(builder *b, const json_t *obj, const char *key, const char *where,
                    go_val *out) {
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) { *out = go_str("", 0); return true; }
    if (!json_is_string(v)) return bfail(b, LMD_E_INVALID, "%s.%s: expected a string", where, key);
    *out = go_str(json_string_value(v), json_string_length(v));
    return true;
}

static go_val make_struct(builder *b, const char *tname, size_t n, const char *const *names,
                          const char *const *json_names, const bool *omitempty, const go_val *items) {
    go_agg *g = go_alloc(b->a, sizeof *g);
    go_val *it = g ? go_alloc(b->a, n * sizeof *it) : NULL;
    if (!it) { bnomem(b); return go_invalid(); }
    memcpy(it, items, n * sizeof *it);
    g->n = n;
    g->items = it;
    g->keys = (const char **)names;
    g->json_names = (const char **)json_names;
    g->omitempty = omitempty;
    return (go_val){ .kind = GV_STRUCT, .tname = tname, .u.a = g };
}

static go_val make_slice(builder *b, const char *tname, size_t n, bool is_nil) {
    go_agg *g = go_alloc(b->a, sizeof *g);
    go_val *it = g ? go_alloc(b->a, (n ? n : 1) * sizeof *it) : NULL;
    if (!it) { bnomem(b); return go_invalid(); }
    g->n = n;
    g->items = it;
    return (go_val){ .kind = GV_SLICE, .tname = tname, .is_nil = is_nil, .u.a = g };
}

/* A Stringer whose String() is its own JSON (templateTools, templateTool, templateArgs...). */
static bool set_json_str(builder *b, go_val *v, const char *if_nil) {
    if (if_nil && v->is_nil) { v->str = if_nil; return true; }
    go_buf buf = { .max_bytes = (size_t)64 << 20 };
    go_json_marshal(&buf, *v);
    if (buf.failed) { free(buf.p); return bfail(b, LMD_E_LIMIT, "tool JSON too large"); }
    v->str = go_strndup(b->a, buf.p ? buf.p : "", buf.len);
    free(buf.p);
    return v->str ? true : bnomem(b);
}

static bool dyn(builder *b, const json_t *j, go_val *out) {
    if (!j) { *out = (go_val){ .kind = GV_NILIFACE }; return true; }
    lmd_status st = go_from_json(b->a, j, 1, out, b->err);
    if (st != LMD_OK) { b->st = st; return false; }
    if (out->kind == GV_INVALID) *out = (go_val){ .kind = GV_NILIFACE };
    return true;
}

static bool string_slice(builder *b, const json_t *j, const char *where, go_val *out) {
    if (!j || json_is_null(j)) { *out = make_slice(b, "[]string", 0, true); return b->st == LMD_OK; }
    if (!json_is_array(j)) return bfail(b, LMD_E_INVALID, "%s: expected an array of strings", where);
    *out = make_slice(b, "[]string", json_array_size(j), false);
    if (b->st != LMD_OK) return false;
    for (size_t i = 0; i < json_array_size(j); i++) {
        const json_t *e = json_array_get(j, i);
        if (!json_is_string(e)) return bfail(b, LMD_E_INVALID, "%s[%zu]: expected a string", where, i);
        out->u.a->items[i] = go_str(json_string_value(e), json_string_length(e));
    }
    return true;
}

/* ---- api.ToolProperty ---- */
static const char *const prop_names[] = { "AnyOf", "Type", "Items", "Description", "Enum",
                                          "Properties", "Required" };
static const char *const prop_json[] = { "anyOf", "type", "items", "description", "enum",
                                         "properties", "required" };
static const bool prop_omit[] = { true, true, true, true, true, true, true };

static bool tool_property(builder *b, const json_t *j, const char *where, int depth, go_val *out);

static bool property_type(builder *b, const json_t *j, const char *where, go_val *out) {
    go_val v;
    if (j && json_is_string(j)) {
        v = make_slice(b, "api.PropertyType", 1, false);
        if (b->st != LMD_OK) return false;
        v.u.a->items[0] = go_str(json_string_value(j), json_string_length(j));
    } else {
        if (!string_slice(b, j, where, &v)) return false;
        v.tname = "api.PropertyType";
    }
    /* PropertyType.String: "", the one type, or fmt's [a b] */
    if (v.is_nil || v.u.a->n == 0) v.str = "";
    else if (v.u.a->n == 1) v.str = v.u.a->items[0].u.s.p;
    else {
        go_buf buf = { .max_bytes = (size_t)1 << 20 };
        go_val plain = v;
        plain.tname = "[]string";
        go_fmt_v(&buf, plain, 0);
        v.str = go_strndup(b->a, buf.p ? buf.p : "", buf.len);
        free(buf.p);
        if (!v.str) return bnomem(b);
    }
    *out = v;
    return true;
}

/* *api.ToolPropertiesMap: an ordered map; nil pointer when absent. */
static bool properties_map(builder *b, const json_t *j, const char *where, int depth, go_val *out,
                           bool as_template_map) {
    if (!j || json_is_null(j)) {
        if (as_template_map) {
            *out = (go_val){ .kind = GV_MAP, .is_nil = true, .str = "{}",
                             .tname = "template.templateProperties" };
            go_agg *g = go_alloc(b->a, sizeof *g);
            if (!g) return bnomem(b);
            out->u.a = g;
        } else {
            *out = (go_val){ .kind = GV_NIL, .tname = "*api.ToolPropertiesMap" };
        }
        return true;
    }
    if (!json_is_object(j)) return bfail(b, LMD_E_INVALID, "%s: expected an object", where);
    size_t n = json_object_size(j);
    const char **keys = go_alloc(b->a, (n ? n : 1) * sizeof *keys);
    go_val *vals = go_alloc(b->a, (n ? n : 1) * sizeof *vals);
    if (!keys || !vals) return bnomem(b);
    const char *k;
    json_t *v;
    size_t i = 0;
    char sub[160];
    json_object_foreach((json_t *)j, k, v) {
        snprintf(sub, sizeof sub, "%s.%s", where, k);
        keys[i] = k;
        if (!tool_property(b, v, sub, depth + 1, &vals[i])) return false;
        i++;
    }
    if (as_template_map) {
        /* ToMap(): a plain Go map, so sorted keys for range, fmt and JSON */
        *out = go_make_map(b->a, n, keys, vals);
        if (out->kind != GV_MAP) return bnomem(b);
        out->tname = "template.templateProperties";
        go_val zero;
        if (!tool_property(b, NULL, where, depth + 1, &zero)) return false;
        out->u.a->zero = zero;
        return set_json_str(b, out, "{}");
    }
    /* insertion order kept: it marshals through the ordered map */
    *out = make_struct(b, "*api.ToolPropertiesMap", n, keys, keys, NULL, vals);
    out->is_ptr = true;
    return b->st == LMD_OK;
}

static bool tool_property(builder *b, const json_t *j, const char *where, int depth, go_val *out) {
    if (depth > 64) return bfail(b, LMD_E_LIMIT, "%s: nested deeper than 64", where);
    if (j && !json_is_object(j) && !json_is_null(j))
        return bfail(b, LMD_E_INVALID, "%s: expected an object", where);
    go_val f[7];
    char sub[160];
    const json_t *any_of = j ? json_object_get(j, "anyOf") : NULL;
    if (any_of && !json_is_null(any_of)) {
        if (!json_is_array(any_of)) return bfail(b, LMD_E_INVALID, "%s.anyOf: expected an array", where);
        f[0] = make_slice(b, "[]api.ToolProperty", json_array_size(any_of), false);
        if (b->st != LMD_OK) return false;
        for (size_t i = 0; i < json_array_size(any_of); i++) {
            snprintf(sub, sizeof sub, "%s.anyOf[%zu]", where, i);
            if (!tool_property(b, json_array_get(any_of, i), sub, depth + 1, &f[0].u.a->items[i]))
                return false;
        }
    } else {
        f[0] = make_slice(b, "[]api.ToolProperty", 0, true);
    }
    snprintf(sub, sizeof sub, "%s.type", where);
    if (!property_type(b, j ? json_object_get(j, "type") : NULL, sub, &f[1])) return false;
    if (!dyn(b, j ? json_object_get(j, "items") : NULL, &f[2])) return false;
    if (j) { if (!get_str(b, j, "description", where, &f[3])) return false; }
    else f[3] = go_str("", 0);
    const json_t *en = j ? json_object_get(j, "enum") : NULL;
    if (en && !json_is_null(en)) {
        if (!json_is_array(en)) return bfail(b, LMD_E_INVALID, "%s.enum: expected an array", where);
        if (!dyn(b, en, &f[4])) return false;
    } else {
        f[4] = make_slice(b, "[]interface {}", 0, true);
    }
    snprintf(sub, sizeof sub, "%s.properties", where);
    if (!properties_map(b, j ? json_object_get(j, "properties") : NULL, sub, depth, &f[5], false))
        return false;
    snprintf(sub, sizeof sub, "%s.required", where);
    if (!string_slice(b, j ? json_object_get(j, "required") : NULL, sub, &f[6])) return false;
    *out = make_struct(b, "api.ToolProperty", 7, prop_names, prop_json, prop_omit, f);
    return b->st == LMD_OK;
}

/* ---- tools ---- */
static const char *const tool_names[] = { "Type", "Items", "Function" };
static const char *const tool_json[] = { "type", "items", "function" };
static const bool tool_omit[] = { false, true, false };
static const char *const fn_names[] = { "Name", "Description", "Parameters" };
static const char *const fn_json[] = { "name", "description", "parameters" };
static const char *const par_names[] = { "Type", "Defs", "Items", "Required", "Properties" };
static const char *const par_json[] = { "type", "$defs", "items", "required", "properties" };
static const bool par_omit[] = { false, true, true, true, false };

static bool build_tool(builder *b, const json_t *t, size_t idx, go_val *out) {
    char where[64], sub[96];
    snprintf(where, sizeof where, "tools[%zu]", idx);
    if (!json_is_object(t)) return bfail(b, LMD_E_INVALID, "%s: expected an object", where);
    go_val tf[3], ff[3], pf[5];
    if (!get_str(b, t, "type", where, &tf[0])) return false;
    if (!dyn(b, json_object_get(t, "items"), &tf[1])) return false;
    const json_t *fn = json_object_get(t, "function");
    snprintf(sub, sizeof sub, "%s.function", where);
    if (fn && !json_is_null(fn) && !json_is_object(fn))
        return bfail(b, LMD_E_INVALID, "%s: expected an object", sub);
    json_t *empty = NULL;
    if (!fn || json_is_null(fn)) fn = empty = json_object();
    if (!fn) return bnomem(b);
    bool ok = get_str(b, fn, "name", sub, &ff[0]) && get_str(b, fn, "description", sub, &ff[1]);
    const json_t *par = ok ? json_object_get(fn, "parameters") : NULL;
    char psub[128];
    snprintf(psub, sizeof psub, "%s.parameters", sub);
    if (ok && par && !json_is_null(par) && !json_is_object(par))
        ok = bfail(b, LMD_E_INVALID, "%s: expected an object", psub);
    json_t *empty2 = NULL;
    if (ok && (!par || json_is_null(par))) { par = empty2 = json_object(); ok = par != NULL; }
    if (ok) ok = get_str(b, par, "type", psub, &pf[0]) &&
                 dyn(b, json_object_get(par, "$defs"), &pf[1]) &&
                 dyn(b, json_object_get(par, "items"), &pf[2]);
    if (ok) {
        char rsub[140];
        snprintf(rsub, sizeof rsub, "%s.required", psub);
        ok = string_slice(b, json_object_get(par, "required"), rsub, &pf[3]);
    }
    if (ok) {
        char rsub[140];
        snprintf(rsub, sizeof rsub, "%s.properties", psub);
        ok = properties_map(b, json_object_get(par, "properties"), rsub, 0, &pf[4], true);
    }
    /* The go_vals borrow strings from the JSON; `empty` objects hold none of them. */
    if (ok) {
        ff[2] = make_struct(b, "template.templateToolFunctionParameters", 5, par_names, par_json,
                            par_omit, pf);
        tf[2] = make_struct(b, "template.templateToolFunction", 3, fn_names, fn_json, NULL, ff);
        *out = make_struct(b, "template.templateTool", 3, tool_names, tool_json, tool_omit, tf);
        ok = b->st == LMD_OK && set_json_str(b, out, NULL);
    }
    json_decref(empty);
    json_decref(empty2);
    return ok;
}

/* ---- messages ---- */
static const char *const msg_names[] = { "Role", "Content", "Thinking", "Images", "ToolCalls",
                                         "ToolName", "ToolCallID" };
static const char *const tc_names[] = { "ID", "Function" };
static const char *const tcf_names[] = { "Index", "Name", "Arguments" };

static bool build_tool_calls(builder *b, const json_t *tcs, const char *where, go_val *out) {
    size_t n = tcs && json_is_array(tcs) ? json_array_size(tcs) : 0;
    if (tcs && !json_is_null(tcs) && !json_is_array(tcs))
        return bfail(b, LMD_E_INVALID, "%s.tool_calls: expected an array", where);
    /* var toolCalls []templateToolCall: nil unless something was appended */
    *out = make_slice(b, "[]template.templateToolCall", n, n == 0);
    if (b->st != LMD_OK) return false;
    for (size_t i = 0; i < n; i++) {
        char sub[128];
        snprintf(sub, sizeof sub, "%s.tool_calls[%zu]", where, i);
        const json_t *tc = json_array_get(tcs, i);
        if (!json_is_object(tc)) return bfail(b, LMD_E_INVALID, "%s: expected an object", sub);
        go_val c[2], f[3];
        if (!get_str(b, tc, "id", sub, &c[0])) return false;
        const json_t *fn = json_object_get(tc, "function");
        char fsub[150];
        snprintf(fsub, sizeof fsub, "%s.function", sub);
        if (fn && !json_is_null(fn) && !json_is_object(fn))
            return bfail(b, LMD_E_INVALID, "%s: expected an object", fsub);
        const json_t *idx = fn ? json_object_get(fn, "index") : NULL;
        if (idx && !json_is_null(idx) && !json_is_integer(idx))
            return bfail(b, LMD_E_INVALID, "%s.index: expected an integer", fsub);
        f[0] = go_int(idx && json_is_integer(idx) ? (int64_t)json_integer_value(idx) : 0);
        f[0].tname = "int";
        if (fn) { if (!get_str(b, fn, "name", fsub, &f[1])) return false; }
        else f[1] = go_str("", 0);
        const json_t *args = fn ? json_object_get(fn, "arguments") : NULL;
        if (args && !json_is_null(args) && !json_is_object(args))
            return bfail(b, LMD_E_INVALID, "%s.arguments: expected an object", fsub);
        if (args && json_is_object(args)) {
            if (!dyn(b, args, &f[2])) return false;
        } else {
            f[2] = (go_val){ .kind = GV_MAP, .is_nil = true };
            go_agg *g = go_alloc(b->a, sizeof *g);
            if (!g) return bnomem(b);
            g->zero = (go_val){ .kind = GV_NILIFACE };
            f[2].u.a = g;
        }
        f[2].tname = "template.templateArgs";
        if (!set_json_str(b, &f[2], "{}")) return false;
        c[1] = make_struct(b, "template.templateToolCallFunction", 3, tcf_names, NULL, NULL, f);
        out->u.a->items[i] = make_struct(b, "template.templateToolCall", 2, tc_names, NULL, NULL, c);
        if (b->st != LMD_OK) return false;
    }
    return true;
}

static bool build_message(builder *b, const json_t *m, size_t idx, const char *content,
                          size_t content_len, go_val *out) {
    char where[64];
    snprintf(where, sizeof where, "messages[%zu]", idx);
    go_val f[7];
    if (!get_str(b, m, "role", where, &f[0])) return false;
    /* api.Message.UnmarshalJSON lowercases the role */
    char *role = go_strndup(b->a, f[0].u.s.p, f[0].u.s.n);
    if (!role) return bnomem(b);
    for (size_t i = 0; i < f[0].u.s.n; i++) role[i] = (char)tolower((unsigned char)role[i]);
    f[0].u.s.p = role;
    f[1] = go_str(content, content_len);
    if (!get_str(b, m, "thinking", where, &f[2])) return false;
    char sub[96];
    snprintf(sub, sizeof sub, "%s.images", where);
    if (!string_slice(b, json_object_get(m, "images"), sub, &f[3])) return false;
    f[3].tname = "[]api.ImageData";
    if (!build_tool_calls(b, json_object_get(m, "tool_calls"), where, &f[4])) return false;
    if (!get_str(b, m, "tool_name", where, &f[5]) || !get_str(b, m, "tool_call_id", where, &f[6]))
        return false;
    *out = make_struct(b, "*template.templateMessage", 7, msg_names, NULL, NULL, f);
    out->is_ptr = true;
    return b->st == LMD_OK;
}

static const char *lower_role(builder *b, const json_t *m, size_t *n) {
    const json_t *r = json_object_get(m, "role");
    const char *s = r && json_is_string(r) ? json_string_value(r) : "";
    size_t len = r && json_is_string(r) ? json_string_length(r) : 0;
    char *o = go_strndup(b->a, s, len);
    if (!o) { bnomem(b); return NULL; }
    for (size_t i = 0; i < len; i++) o[i] = (char)tolower((unsigned char)o[i]);
    *n = len;
    return o;
}

static bool get_bool(builder *b, const json_t *v, const char *key, bool *out) {
    const json_t *j = json_object_get(v, key);
    if (!j || json_is_null(j)) { *out = false; return true; }
    if (!json_is_boolean(j)) return bfail(b, LMD_E_INVALID, "%s: expected a boolean", key);
    *out = json_is_true(j);
    return true;
}

lmd_status go_ollama_build(go_arena *a, const json_t *v, go_ollama_values *out, lmd_err *err) {
    builder b = { .a = a, .err = err };
    memset(out, 0, sizeof *out);
    if (v && !json_is_object(v) && !json_is_null(v))
        return lmd_err_set(err, LMD_E_INVALID, "template values: expected a JSON object");
    json_t *empty = NULL;
    if (!v || json_is_null(v)) v = empty = json_object();
    if (!v) return lmd_err_set(err, LMD_E_NOMEM, "template values: out of memory");
    go_val tmp;
    const json_t *msgs = json_object_get(v, "messages");
    const json_t *tools = json_object_get(v, "tools");
    size_t n = msgs && json_is_array(msgs) ? json_array_size(msgs) : 0;
    if (msgs && !json_is_null(msgs) && !json_is_array(msgs)) {
        bfail(&b, LMD_E_INVALID, "messages: expected an array");
        goto done;
    }
    if (!get_str(&b, v, "prompt", "values", &tmp)) goto done;
    out->prompt = tmp.u.s.p; out->prompt_len = tmp.u.s.n;
    if (!get_str(&b, v, "suffix", "values", &tmp)) goto done;
    out->suffix = tmp.u.s.p; out->suffix_len = tmp.u.s.n;
    if (!get_str(&b, v, "think_level", "values", &tmp)) goto done;
    out->think_level = tmp.u.s.p; out->think_level_len = tmp.u.s.n;
    if (!get_bool(&b, v, "think", &out->think) || !get_bool(&b, v, "is_think_set", &out->is_think_set))
        goto done;

    /* collate: merge runs of one role (tool messages stay apart), gather system text */
    out->roles = go_alloc(a, (n ? n : 1) * sizeof *out->roles);
    out->contents = go_alloc(a, (n ? n : 1) * sizeof *out->contents);
    out->content_lens = go_alloc(a, (n ? n : 1) * sizeof *out->content_lens);
    size_t *first_idx = go_alloc(a, (n ? n : 1) * sizeof *first_idx);
    if (!out->roles || !out->contents || !out->content_lens || !first_idx) { bnomem(&b); goto done; }
    go_buf sys = { .max_bytes = (size_t)256 << 20 };
    bool any_sys = false;
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(msgs, i);
        char where[48];
        snprintf(where, sizeof where, "messages[%zu]", i);
        if (!json_is_object(m)) { bfail(&b, LMD_E_INVALID, "%s: expected an object", where); break; }
        if (!get_str(&b, m, "role", where, &tmp) || !get_str(&b, m, "content", where, &tmp)) break;
        size_t rl;
        const char *role = lower_role(&b, m, &rl);
        if (!role) break;
        if (strcmp(role, "system") == 0) {
            if (any_sys) go_buf_put(&sys, "\n\n", 2);
            go_buf_put(&sys, tmp.u.s.p, tmp.u.s.n);
            any_sys = true;
        }
        size_t k = out->n_msgs;
        if (k > 0 && strcmp(out->roles[k - 1], role) == 0 && strcmp(role, "tool") != 0) {
            size_t ol = out->content_lens[k - 1];
            char *c = go_alloc(a, ol + 2 + tmp.u.s.n + 1);
            if (!c) { bnomem(&b); break; }
            memcpy(c, out->contents[k - 1], ol);
            memcpy(c + ol, "\n\n", 2);
            memcpy(c + ol + 2, tmp.u.s.p, tmp.u.s.n);
            out->contents[k - 1] = c;
            out->content_lens[k - 1] = ol + 2 + tmp.u.s.n;
        } else {
            out->roles[k] = role;
            out->contents[k] = tmp.u.s.p;
            out->content_lens[k] = tmp.u.s.n;
            first_idx[k] = i;
            out->n_msgs++;
        }
    }
    if (b.st != LMD_OK) { free(sys.p); goto done; }
    if (sys.failed) { free(sys.p); bfail(&b, LMD_E_LIMIT, "system messages too large"); goto done; }
    out->system = go_strndup(a, sys.p ? sys.p : "", sys.len);
    out->system_len = sys.len;
    free(sys.p);
    if (!out->system) { bnomem(&b); goto done; }

    go_val messages = make_slice(&b, "[]*template.templateMessage", out->n_msgs, msgs == NULL || json_is_null(msgs) || out->n_msgs == 0);
    if (b.st != LMD_OK) goto done;
    for (size_t k = 0; k < out->n_msgs; k++)
        if (!build_message(&b, json_array_get(msgs, first_idx[k]), first_idx[k], out->contents[k],
                           out->content_lens[k], &messages.u.a->items[k]))
            goto done;

    if (tools && !json_is_null(tools) && !json_is_array(tools)) {
        bfail(&b, LMD_E_INVALID, "tools: expected an array");
        goto done;
    }
    size_t nt = tools && json_is_array(tools) ? json_array_size(tools) : 0;
    out->tools = make_slice(&b, "template.templateTools", nt, !tools || json_is_null(tools));
    if (b.st != LMD_OK) goto done;
    for (size_t i = 0; i < nt; i++)
        if (!build_tool(&b, json_array_get(tools, i), i, &out->tools.u.a->items[i])) goto done;
    if (!set_json_str(&b, &out->tools, NULL)) goto done;

    static const char *keys[] = { "System", "Messages", "Tools", "Response", "Think",
                                  "ThinkLevel", "IsThinkSet" };
    go_val vals[7] = { go_str(out->system, out->system_len), messages, out->tools, go_str("", 0),
                       go_bool(out->think), go_str(out->think_level, out->think_level_len),
                       go_bool(out->is_think_set) };
    out->messages_data = go_make_map(a, 7, keys, vals);
    if (out->messages_data.kind != GV_MAP) bnomem(&b);
done:
    json_decref(empty);
    return b.st;
}
