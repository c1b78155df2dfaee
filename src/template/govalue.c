/* govalue.c — the values a Go template sees: JSON decoded as encoding/json decodes into
 * `any` (map[string]any with keys sorted as Go ranges them, []any, float64, string, bool,
 * nil), Go's truth rule, and Go type names for error messages. */
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl_int.h"

#define GO_JSON_MAX_DEPTH 200

static int cmp_key(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

typedef struct { const char *key; go_val val; } kv;
static int cmp_kv(const void *a, const void *b) {
    return strcmp(((const kv *)a)->key, ((const kv *)b)->key);
}

go_val go_make_map(go_arena *a, size_t n, const char **keys, const go_val *vals) {
    go_agg *g = go_alloc(a, sizeof *g);
    kv *tmp = n ? malloc(n * sizeof *tmp) : NULL;
    if (!g || (n && !tmp)) { free(tmp); return go_invalid(); }
    g->items = go_alloc(a, (n ? n : 1) * sizeof *g->items);
    g->keys = go_alloc(a, (n ? n : 1) * sizeof *g->keys);
    if (!g->items || !g->keys) { free(tmp); return go_invalid(); }
    for (size_t i = 0; i < n; i++) tmp[i] = (kv){ keys[i], vals[i] };
    if (n) qsort(tmp, n, sizeof *tmp, cmp_kv);
    for (size_t i = 0; i < n; i++) { g->keys[i] = tmp[i].key; g->items[i] = tmp[i].val; }
    free(tmp);
    g->n = n;
    g->zero = (go_val){ .kind = GV_NILIFACE };
    return (go_val){ .kind = GV_MAP, .tname = "map[string]interface {}", .u.a = g };
}

static lmd_status from_json(go_arena *a, const json_t *j, int depth, go_val *out, lmd_err *err) {
    if (depth > GO_JSON_MAX_DEPTH)
        return lmd_err_set(err, LMD_E_LIMIT, "template data: JSON nested deeper than %d",
                           GO_JSON_MAX_DEPTH);
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        go_agg *g = go_alloc(a, sizeof *g);
        if (!g) goto nomem;
        g->keys = go_alloc(a, (n ? n : 1) * sizeof *g->keys);
        g->items = go_alloc(a, (n ? n : 1) * sizeof *g->items);
        if (!g->keys || !g->items) goto nomem;
        const char *k;
        json_t *v;
        size_t i = 0;
        json_object_foreach((json_t *)j, k, v) g->keys[i++] = k;
        qsort(g->keys, n, sizeof *g->keys, cmp_key);
        for (i = 0; i < n; i++) {
            lmd_status st = from_json(a, json_object_get(j, g->keys[i]), depth + 1, &g->items[i], err);
            if (st != LMD_OK) return st;
        }
        g->n = n;
        g->zero = (go_val){ .kind = GV_NILIFACE };
        *out = (go_val){ .kind = GV_MAP, .tname = "map[string]interface {}", .u.a = g };
        return LMD_OK;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        go_agg *g = go_alloc(a, sizeof *g);
        if (!g) goto nomem;
        g->items = go_alloc(a, (n ? n : 1) * sizeof *g->items);
        if (!g->items) goto nomem;
        for (size_t i = 0; i < n; i++) {
            lmd_status st = from_json(a, json_array_get(j, i), depth + 1, &g->items[i], err);
            if (st != LMD_OK) return st;
        }
        g->n = n;
        *out = (go_val){ .kind = GV_SLICE, .tname = "[]interface {}", .u.a = g };
        return LMD_OK;
    }
    case JSON_STRING:
        *out = go_str(json_string_value(j), json_string_length(j));
        return LMD_OK;
    case JSON_INTEGER: *out = go_float((double)json_integer_value(j)); return LMD_OK;
    case JSON_REAL: *out = go_float(json_real_value(j)); return LMD_OK;
    case JSON_TRUE: *out = go_bool(true); return LMD_OK;
    case JSON_FALSE: *out = go_bool(false); return LMD_OK;
    case JSON_NULL: *out = (go_val){ .kind = GV_NILIFACE }; return LMD_OK;
    }
    return lmd_err_set(err, LMD_E_INTERNAL, "template data: unknown JSON type");
nomem:
    return lmd_err_set(err, LMD_E_NOMEM, "template data: out of memory");
}

lmd_status go_from_json(go_arena *a, const json_t *j, int depth, go_val *out, lmd_err *err) {
    if (!j || json_is_null(j)) { *out = go_invalid(); return LMD_OK; }
    return from_json(a, j, depth, out, err);
}

bool go_truth(go_val v) {
    switch ((go_kind)v.kind) {
    case GV_INVALID: case GV_NILIFACE: case GV_NIL: return false;
    case GV_BOOL: return v.u.b;
    case GV_INT: return v.u.i != 0;
    case GV_FLOAT: return v.u.f != 0;
    case GV_STRING: return v.u.s.n > 0;
    case GV_SLICE: case GV_MAP: return !v.is_nil && v.u.a->n > 0;
    case GV_STRUCT: return v.is_ptr ? true : true;
    }
    return false;
}

const char *go_type_name(go_val v) {
    if (v.tname) return v.tname;
    switch ((go_kind)v.kind) {
    case GV_INVALID: return "<nil>";
    case GV_NILIFACE: return "interface {}";
    case GV_NIL: return "pointer";
    case GV_BOOL: return "bool";
    case GV_INT: return "int";
    case GV_FLOAT: return "float64";
    case GV_STRING: return "string";
    case GV_SLICE: return "[]interface {}";
    case GV_MAP: return "map[string]interface {}";
    case GV_STRUCT: return "struct";
    }
    return "?";
}
