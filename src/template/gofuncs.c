/* gofuncs.c — the functions a template can call: text/template's builtins (and or not eq ne
 * lt le gt ge len index slice print printf println; and/or short-circuit in goexec.c) with
 * Go's comparison and indexing rules and error texts, plus the functions Ollama adds
 * (json, currentDate, yesterdayDate, toTypeScriptType). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/gotmpl_int.h"

/* indirectInterface: a nil interface{} is no value. */
static go_val unwrap(go_val v) { return v.kind == GV_NILIFACE ? go_invalid() : v; }

static char *buf_to_arena(go_state *s, go_buf *b, size_t *n) {
    char *p = go_strndup(go_state_arena(s), b->p ? b->p : "", b->len);
    *n = b->len;
    free(b->p);
    return p;
}

static lmd_status ret_buf(go_state *s, const go_node *at, go_buf *b, go_val *out, lmd_err *err) {
    if (b->failed) {
        free(b->p);
        return lmd_err_set(err, b->over_cap ? LMD_E_LIMIT : LMD_E_NOMEM,
                           "template: line %d: function result too large", at->line);
    }
    size_t n;
    char *p = buf_to_arena(s, b, &n);
    if (!p) return lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
    *out = go_str(p, n);
    return LMD_OK;
}

#define CALL_MAX_BYTES ((size_t)16 << 20)

static lmd_status fn_unused(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                            lmd_err *err) {
    (void)args; (void)n; (void)out;
    return go_errorf(s, at, err, "internal: and/or are evaluated by the executor");
}

static lmd_status fn_not(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                         lmd_err *err) {
    (void)s; (void)at; (void)n; (void)err;
    *out = go_bool(!go_truth(args[0]));
    return LMD_OK;
}

typedef enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING } basic_kind;
static basic_kind basic(go_val v) {
    switch ((go_kind)v.kind) {
    case GV_BOOL: return K_BOOL;
    case GV_INT: return K_INT;
    case GV_FLOAT: return K_FLOAT;
    case GV_STRING: return K_STRING;
    default: return K_INVALID;
    }
}
static bool is_nilish(go_val v) {
    return v.kind == GV_INVALID || v.kind == GV_NILIFACE || v.kind == GV_NIL ||
           ((v.kind == GV_SLICE || v.kind == GV_MAP) && v.is_nil);
}

static lmd_status eq_one(go_state *s, const go_node *at, go_val a, go_val b, bool *truth,
                         lmd_err *err) {
    a = unwrap(a);
    b = unwrap(b);
    basic_kind k1 = basic(a), k2 = basic(b);
    *truth = false;
    if (k1 != k2) {
        if (a.kind != GV_INVALID && b.kind != GV_INVALID)
            return go_errorf(s, at, err, "error calling eq: incompatible types for comparison");
        return LMD_OK;
    }
    switch (k1) {
    case K_BOOL: *truth = a.u.b == b.u.b; return LMD_OK;
    case K_INT: *truth = a.u.i == b.u.i; return LMD_OK;
    case K_FLOAT: *truth = a.u.f == b.u.f; return LMD_OK;
    case K_STRING:
        *truth = a.u.s.n == b.u.s.n && (a.u.s.n == 0 || memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0);
        return LMD_OK;
    case K_INVALID: break;
    }
    if (a.kind != b.kind && a.kind != GV_INVALID && b.kind != GV_INVALID)
        return go_errorf(s, at, err, "error calling eq: non-comparable types %s, %s",
                         go_type_name(a), go_type_name(b));
    if (is_nilish(a) || is_nilish(b)) { *truth = is_nilish(a) == is_nilish(b); return LMD_OK; }
    if (a.kind == GV_STRUCT && a.is_ptr) { *truth = a.u.a == b.u.a; return LMD_OK; }
    return go_errorf(s, at, err, "error calling eq: non-comparable type %s", go_type_name(b));
}

static lmd_status fn_eq(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                        lmd_err *err) {
    if (n < 2) return go_errorf(s, at, err, "error calling eq: missing argument for comparison");
    for (int i = 1; i < n; i++) {
        bool t;
        lmd_status st = eq_one(s, at, args[0], args[i], &t, err);
        if (st != LMD_OK) return st;
        if (t) { *out = go_bool(true); return LMD_OK; }
    }
    *out = go_bool(false);
    return LMD_OK;
}

static lmd_status fn_ne(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                        lmd_err *err) {
    (void)n;
    bool t;
    lmd_status st = eq_one(s, at, args[0], args[1], &t, err);
    if (st != LMD_OK) return st;
    *out = go_bool(!t);
    return LMD_OK;
}

/* lt as Go's: basic kinds only, same kind on both sides, bools not ordered. */
static lmd_status less(go_state *s, const go_node *at, const char *name, go_val a, go_val b,
                       bool *truth, lmd_err *err) {
    a = unwrap(a);
    b = unwrap(b);
    basic_kind k1 = basic(a), k2 = basic(b);
    if (k1 == K_INVALID || k2 == K_INVALID)
        return go_errorf(s, at, err, "error calling %s: invalid type for comparison", name);
    if (k1 != k2)
        return go_errorf(s, at, err, "error calling %s: incompatible types for comparison", name);
    switch (k1) {
    case K_BOOL: return go_errorf(s, at, err, "error calling %s: invalid type for comparison", name);
    case K_INT: *truth = a.u.i < b.u.i; break;
    case K_FLOAT: *truth = a.u.f < b.u.f; break;
    case K_STRING: {
        size_t m = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = m ? memcmp(a.u.s.p, b.u.s.p, m) : 0;
        *truth = c < 0 || (c == 0 && a.u.s.n < b.u.s.n);
        break;
    }
    default: break;
    }
    return LMD_OK;
}

static lmd_status fn_lt(go_state *s, const go_node *at, go_val *args, int n, go_val *out, lmd_err *err) {
    (void)n;
    bool t = false;
    lmd_status st = less(s, at, "lt", args[0], args[1], &t, err);
    *out = go_bool(t);
    return st;
}
static lmd_status fn_le(go_state *s, const go_node *at, go_val *args, int n, go_val *out, lmd_err *err) {
    (void)n;
    bool t = false, e = false;
    lmd_status st = less(s, at, "le", args[0], args[1], &t, err);
    if (st == LMD_OK && !t) st = eq_one(s, at, args[0], args[1], &e, err);
    *out = go_bool(t || e);
    return st;
}
static lmd_status fn_gt(go_state *s, const go_node *at, go_val *args, int n, go_val *out, lmd_err *err) {
    (void)n;
    bool t = false, e = false;
    lmd_status st = less(s, at, "gt", args[0], args[1], &t, err);
    if (st == LMD_OK && !t) st = eq_one(s, at, args[0], args[1], &e, err);
    *out = go_bool(!t && !e);
    return st;
}
static lmd_status fn_ge(go_state *s, const go_node *at, go_val *args, int n, go_val *out, lmd_err *err) {
    (void)n;
    bool t = false;
    lmd_status st = less(s, at, "ge", args[0], args[1], &t, err);
    *out = go_bool(!t);
    return st;
}

static lmd_status fn_len(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                         lmd_err *err) {
    (void)n;
    go_val v = args[0];
    switch ((go_kind)v.kind) {
    case GV_NILIFACE: case GV_NIL:
        return go_errorf(s, at, err, "error calling len: len of nil pointer");
    case GV_STRING: *out = go_int((int64_t)v.u.s.n); return LMD_OK;
    case GV_SLICE: case GV_MAP: *out = go_int(v.is_nil ? 0 : (int64_t)v.u.a->n); return LMD_OK;
    default:
        return go_errorf(s, at, err, "error calling len: len of type %s", go_type_name(v));
    }
}

static lmd_status index_arg(go_state *s, const go_node *at, const char *fn, go_val idx, size_t cap,
                            size_t *out, lmd_err *err) {
    idx = unwrap(idx);
    if (idx.kind == GV_INVALID)
        return go_errorf(s, at, err, "error calling %s: cannot index slice/array with nil", fn);
    if (idx.kind != GV_INT)
        return go_errorf(s, at, err, "error calling %s: cannot index slice/array with type %s", fn,
                         go_type_name(idx));
    if (idx.u.i < 0 || (uint64_t)idx.u.i > cap)
        return go_errorf(s, at, err, "error calling %s: index out of range: %lld", fn,
                         (long long)idx.u.i);
    *out = (size_t)idx.u.i;
    return LMD_OK;
}

static lmd_status fn_index(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                           lmd_err *err) {
    go_val item = unwrap(args[0]);
    if (item.kind == GV_INVALID) return go_errorf(s, at, err, "error calling index: index of untyped nil");
    lmd_status st;
    for (int i = 1; i < n; i++) {
        if (item.kind == GV_NILIFACE || item.kind == GV_NIL)
            return go_errorf(s, at, err, "error calling index: index of nil pointer");
        if (item.kind == GV_SLICE || item.kind == GV_STRING) {
            size_t len = item.kind == GV_STRING ? item.u.s.n : (item.is_nil ? 0 : item.u.a->n);
            size_t x;
            if ((st = index_arg(s, at, "index", args[i], len, &x, err)) != LMD_OK) return st;
            if (x >= len)
                return go_errorf(s, at, err, "error calling index: index out of range: %zu", x);
            item = item.kind == GV_STRING ? go_int((unsigned char)item.u.s.p[x]) : item.u.a->items[x];
        } else if (item.kind == GV_MAP) {
            go_val k = unwrap(args[i]);
            if (k.kind == GV_INVALID)
                return go_errorf(s, at, err, "error calling index: value is nil; should be of type string");
            if (k.kind != GV_STRING)
                return go_errorf(s, at, err, "error calling index: value has type %s; should be string",
                                 go_type_name(k));
            go_val found = item.u.a->zero;
            for (size_t j = 0; !item.is_nil && j < item.u.a->n; j++)
                if (strlen(item.u.a->keys[j]) == k.u.s.n && memcmp(item.u.a->keys[j], k.u.s.p, k.u.s.n) == 0) {
                    found = item.u.a->items[j];
                    break;
                }
            item = found;
        } else {
            return go_errorf(s, at, err, "error calling index: can't index item of type %s",
                             go_type_name(item));
        }
    }
    *out = item;
    return LMD_OK;
}

static lmd_status fn_slice(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                           lmd_err *err) {
    go_val item = unwrap(args[0]);
    if (item.kind == GV_INVALID) return go_errorf(s, at, err, "error calling slice: slice of untyped nil");
    int n_idx = n - 1;
    if (n_idx > 3) return go_errorf(s, at, err, "error calling slice: too many slice indexes: %d", n_idx);
    size_t cap;
    if (item.kind == GV_STRING) {
        if (n_idx == 3) return go_errorf(s, at, err, "error calling slice: cannot 3-index slice a string");
        cap = item.u.s.n;
    } else if (item.kind == GV_SLICE) {
        cap = item.is_nil ? 0 : item.u.a->n;
    } else {
        return go_errorf(s, at, err, "error calling slice: can't slice item of type %s", go_type_name(item));
    }
    size_t idx[3] = { 0, cap, cap };
    lmd_status st;
    for (int i = 0; i < n_idx; i++)
        if ((st = index_arg(s, at, "slice", args[i + 1], cap, &idx[i], err)) != LMD_OK) return st;
    if (idx[0] > idx[1])
        return go_errorf(s, at, err, "error calling slice: invalid slice index: %zu > %zu", idx[0], idx[1]);
    if (n_idx == 3 && idx[1] > idx[2])
        return go_errorf(s, at, err, "error calling slice: invalid slice index: %zu > %zu", idx[1], idx[2]);
    if (item.kind == GV_STRING) {
        *out = item;
        out->u.s.p = item.u.s.p + idx[0];
        out->u.s.n = idx[1] - idx[0];
        return LMD_OK;
    }
    go_agg *g = go_alloc(go_state_arena(s), sizeof *g);
    if (!g) return lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
    *g = *item.u.a;
    g->items = item.is_nil ? NULL : item.u.a->items + idx[0];
    g->n = idx[1] - idx[0];
    *out = item;
    out->is_nil = item.is_nil;
    out->u.a = g;
    if (item.str) {
        /* a re-sliced Stringer slice keeps its type, so String() (JSON) covers the part */
        go_val plain = *out;
        plain.str = NULL;
        go_buf b = { .max_bytes = CALL_MAX_BYTES };
        go_json_marshal(&b, plain);
        go_val sv;
        if ((st = ret_buf(s, at, &b, &sv, err)) != LMD_OK) return st;
        out->str = sv.u.s.p;
    }
    return LMD_OK;
}

static lmd_status fn_print(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                           lmd_err *err) {
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    go_sprint(&b, args, n);
    return ret_buf(s, at, &b, out, err);
}
static lmd_status fn_println(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                             lmd_err *err) {
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    go_sprintln(&b, args, n);
    return ret_buf(s, at, &b, out, err);
}
static lmd_status fn_printf(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                            lmd_err *err) {
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    go_sprintf(&b, args[0].u.s.p, args[0].u.s.n, args + 1, n - 1);
    return ret_buf(s, at, &b, out, err);
}

/* Ollama's json: json.Marshal with the error dropped (so "" when Go cannot marshal). */
static lmd_status fn_json(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                          lmd_err *err) {
    (void)n;
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    if (!go_json_marshal(&b, args[0]) && !b.failed) b.len = 0;
    return ret_buf(s, at, &b, out, err);
}

static lmd_status date_string(go_state *s, int days_back, go_val *out, lmd_err *err) {
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm)) return lmd_err_set(err, LMD_E_INTERNAL, "template: no local time");
    tm.tm_mday -= days_back;
    tm.tm_isdst = -1;
    if (days_back && mktime(&tm) == (time_t)-1)
        return lmd_err_set(err, LMD_E_INTERNAL, "template: date out of range");
    char d[32];
    snprintf(d, sizeof d, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    char *p = go_strndup(go_state_arena(s), d, strlen(d));
    if (!p) return lmd_err_set(err, LMD_E_NOMEM, "template: out of memory");
    *out = go_str(p, strlen(p));
    return LMD_OK;
}
static lmd_status fn_current_date(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                                  lmd_err *err) {
    (void)at; (void)args; (void)n;
    return date_string(s, 0, out, err);
}
static lmd_status fn_yesterday_date(go_state *s, const go_node *at, go_val *args, int n,
                                    go_val *out, lmd_err *err) {
    (void)at; (void)args; (void)n;
    return date_string(s, 1, out, err);
}

static const char *ts_type(const char *json_type, size_t n) {
    static const struct { const char *j, *ts; } map[] = {
        { "string", "string" }, { "number", "number" }, { "integer", "number" },
        { "boolean", "boolean" }, { "array", "any[]" }, { "object", "Record<string, any>" },
        { "null", "null" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].j) == n && memcmp(map[i].j, json_type, n) == 0) return map[i].ts;
    return "any";
}

/* api.ToolProperty.ToTypeScriptType over the struct built by goollama.c. */
void go_ts_of_property(go_buf *b, go_val p) {
    go_val any_of = p.u.a->items[0], type = p.u.a->items[1];
    if (any_of.kind == GV_SLICE && !any_of.is_nil && any_of.u.a->n > 0) {
        for (size_t i = 0; i < any_of.u.a->n; i++) {
            if (i) go_buf_puts(b, " | ");
            go_ts_of_property(b, any_of.u.a->items[i]);
        }
        return;
    }
    size_t nt = type.kind == GV_SLICE && !type.is_nil ? type.u.a->n : 0;
    if (nt == 0) { go_buf_puts(b, "any"); return; }
    for (size_t i = 0; i < nt; i++) {
        if (i) go_buf_puts(b, " | ");
        go_val t = type.u.a->items[i];
        go_buf_puts(b, ts_type(t.u.s.p, t.u.s.n));
    }
}

/* The method form, {{ $prop.ToTypeScriptType }}. */
lmd_status go_call_ts_method(go_state *s, const go_node *at, go_val prop, go_val *out, lmd_err *err) {
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    go_ts_of_property(&b, prop);
    return ret_buf(s, at, &b, out, err);
}

static lmd_status fn_to_ts_type(go_state *s, const go_node *at, go_val *args, int n, go_val *out,
                                lmd_err *err) {
    (void)n;
    go_val v = args[0];
    go_buf b = { .max_bytes = CALL_MAX_BYTES };
    if (v.kind == GV_STRUCT && v.tname && strcmp(v.tname, "api.ToolProperty") == 0)
        go_ts_of_property(&b, v);
    else go_buf_puts(&b, "any");
    return ret_buf(s, at, &b, out, err);
}

static const go_builtin builtins[] = {
    { "and", fn_unused, "r", 'r' },
    { "or", fn_unused, "r", 'r' },
    { "not", fn_not, "r", 0 },
    { "eq", fn_eq, "r", 'r' },
    { "ne", fn_ne, "rr", 0 },
    { "lt", fn_lt, "rr", 0 },
    { "le", fn_le, "rr", 0 },
    { "gt", fn_gt, "rr", 0 },
    { "ge", fn_ge, "rr", 0 },
    { "len", fn_len, "r", 0 },
    { "index", fn_index, "r", 'r' },
    { "slice", fn_slice, "r", 'r' },
    { "print", fn_print, "", 'a' },
    { "printf", fn_printf, "s", 'a' },
    { "println", fn_println, "", 'a' },
    { "json", fn_json, "a", 0 },
    { "currentDate", fn_current_date, "", 's' },
    { "yesterdayDate", fn_yesterday_date, "", 's' },
    { "toTypeScriptType", fn_to_ts_type, "a", 0 },
};

const go_builtin *go_find_builtin(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strlen(builtins[i].name) == len && memcmp(builtins[i].name, name, len) == 0)
            return &builtins[i];
    return NULL;
}

bool go_is_unsupported_builtin(const char *name, size_t len) {
    static const char *const names[] = { "html", "js", "urlquery", "call" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return true;
    return false;
}
