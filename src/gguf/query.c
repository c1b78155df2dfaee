/* query.c — read-only access to an opened GGUF: container facts, metadata lookups with typed
 * getters (which say what they expected and what they found), array elements and tensors. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "gguf/gguf_int.h"

uint32_t lmd_gguf_version(const lmd_gguf *g) { return g->version; }
size_t lmd_gguf_alignment(const lmd_gguf *g) { return g->alignment; }
size_t lmd_gguf_data_offset(const lmd_gguf *g) { return g->data_offset; }
size_t lmd_gguf_file_bytes(const lmd_gguf *g) { return g->len; }
const char *lmd_gguf_path(const lmd_gguf *g) { return g->path; }
int64_t lmd_gguf_n_kv(const lmd_gguf *g) { return g->n_kv; }
int64_t lmd_gguf_n_tensors(const lmd_gguf *g) { return g->n_tensors; }

lmd_str lmd_gguf_kv_key(const lmd_gguf *g, int64_t idx) {
    if (idx < 0 || idx >= g->n_kv) return (lmd_str){ "", 0 };
    return g->kv[idx].key;
}

const lmd_gguf_value *lmd_gguf_kv_value(const lmd_gguf *g, int64_t idx) {
    if (idx < 0 || idx >= g->n_kv) return NULL;
    return &g->kv[idx].val;
}

const uint8_t *lmd_gguf_kv_raw(const lmd_gguf *g, int64_t idx, size_t *len) {
    if (idx < 0 || idx >= g->n_kv) return NULL;
    *len = g->kv[idx].end_offset - g->kv[idx].type_offset;
    return g->base + g->kv[idx].type_offset;
}

const lmd_gguf_value *lmd_gguf_get(const lmd_gguf *g, const char *key) {
    int64_t idx = lmd_gguf_kv_find(g, lmd_str_c(key));
    return idx < 0 ? NULL : &g->kv[idx].val;
}

const lmd_gguf_tensor *lmd_gguf_tensor_at(const lmd_gguf *g, int64_t idx) {
    if (idx < 0 || idx >= g->n_tensors) return NULL;
    return &g->tensors[idx];
}

const lmd_gguf_tensor *lmd_gguf_find_tensor(const lmd_gguf *g, const char *name) {
    int64_t idx = lmd_gguf_tensor_find(g, lmd_str_c(name));
    return idx < 0 ? NULL : &g->tensors[idx];
}

const char *lmd_gguf_type_name(lmd_gguf_type t) {
    switch (t) {
    case LMD_GGUF_UINT8: return "UINT8";
    case LMD_GGUF_INT8: return "INT8";
    case LMD_GGUF_UINT16: return "UINT16";
    case LMD_GGUF_INT16: return "INT16";
    case LMD_GGUF_UINT32: return "UINT32";
    case LMD_GGUF_INT32: return "INT32";
    case LMD_GGUF_FLOAT32: return "FLOAT32";
    case LMD_GGUF_BOOL: return "BOOL";
    case LMD_GGUF_STRING: return "STRING";
    case LMD_GGUF_ARRAY: return "ARRAY";
    case LMD_GGUF_UINT64: return "UINT64";
    case LMD_GGUF_INT64: return "INT64";
    case LMD_GGUF_FLOAT64: return "FLOAT64";
    }
    return "?";
}

static bool is_unsigned(lmd_gguf_type t) {
    return t == LMD_GGUF_UINT8 || t == LMD_GGUF_UINT16 || t == LMD_GGUF_UINT32 ||
           t == LMD_GGUF_UINT64;
}

static bool is_signed(lmd_gguf_type t) {
    return t == LMD_GGUF_INT8 || t == LMD_GGUF_INT16 || t == LMD_GGUF_INT32 ||
           t == LMD_GGUF_INT64;
}

static bool is_float(lmd_gguf_type t) { return t == LMD_GGUF_FLOAT32 || t == LMD_GGUF_FLOAT64; }

/* Finds key; absent is NOT_FOUND, present with a type `ok` rejects is FORMAT. */
static lmd_status lookup(const lmd_gguf *g, const char *key, bool (*ok)(lmd_gguf_type),
                         const char *expected, const lmd_gguf_value **out, lmd_err *err) {
    const lmd_gguf_value *v = lmd_gguf_get(g, key);
    if (!v) return lmd_err_set(err, LMD_E_NOT_FOUND, "%s: no key '%s'", g->path, key);
    if (!ok(v->type))
        return lmd_err_set(err, LMD_E_FORMAT, "%s: key '%s' has type %s, expected %s", g->path,
                           key, lmd_gguf_type_name(v->type), expected);
    *out = v;
    return LMD_OK;
}

static bool any_int(lmd_gguf_type t) { return is_unsigned(t) || is_signed(t); }
static bool any_num(lmd_gguf_type t) { return any_int(t) || is_float(t); }
static bool is_bool(lmd_gguf_type t) { return t == LMD_GGUF_BOOL; }
static bool is_str(lmd_gguf_type t) { return t == LMD_GGUF_STRING; }
static bool is_arr(lmd_gguf_type t) { return t == LMD_GGUF_ARRAY; }

lmd_status lmd_gguf_get_uint(const lmd_gguf *g, const char *key, uint64_t *out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, any_int, "an integer", &v, err);
    if (st) return st;
    if (is_signed(v->type) && v->i < 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: key '%s' is %" PRId64 ", expected >= 0",
                           g->path, key, v->i);
    *out = is_signed(v->type) ? (uint64_t)v->i : v->u;
    return LMD_OK;
}

lmd_status lmd_gguf_get_int(const lmd_gguf *g, const char *key, int64_t *out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, any_int, "an integer", &v, err);
    if (st) return st;
    if (is_unsigned(v->type) && v->u > (uint64_t)INT64_MAX)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: key '%s' is %" PRIu64 ", does not fit int64",
                           g->path, key, v->u);
    *out = is_unsigned(v->type) ? (int64_t)v->u : v->i;
    return LMD_OK;
}

lmd_status lmd_gguf_get_float(const lmd_gguf *g, const char *key, double *out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, any_num, "a number", &v, err);
    if (st) return st;
    *out = is_float(v->type) ? v->f : is_signed(v->type) ? (double)v->i : (double)v->u;
    return LMD_OK;
}

lmd_status lmd_gguf_get_bool(const lmd_gguf *g, const char *key, bool *out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, is_bool, "BOOL", &v, err);
    if (st) return st;
    *out = v->u != 0;
    return LMD_OK;
}

lmd_status lmd_gguf_get_str(const lmd_gguf *g, const char *key, lmd_str *out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, is_str, "STRING", &v, err);
    if (st) return st;
    *out = v->s;
    return LMD_OK;
}

lmd_status lmd_gguf_get_arr(const lmd_gguf *g, const char *key, lmd_gguf_type elem_type,
                            const lmd_gguf_value **out, lmd_err *err) {
    const lmd_gguf_value *v;
    lmd_status st = lookup(g, key, is_arr, "ARRAY", &v, err);
    if (st) return st;
    if (v->arr.type != elem_type)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: key '%s' is an ARRAY of %s, expected %s",
                           g->path, key, lmd_gguf_type_name(v->arr.type),
                           lmd_gguf_type_name(elem_type));
    *out = v;
    return LMD_OK;
}

static uint64_t load_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

/* Decodes element idx of a numeric array; *is_f says whether *f or *i holds it. */
static void arr_elem(const lmd_gguf_value *a, uint64_t idx, int64_t *i, double *f, bool *is_f) {
    *i = 0;
    *f = 0;
    *is_f = false;
    if (!a || a->type != LMD_GGUF_ARRAY || !a->arr.raw || idx >= a->arr.n) return;
    size_t w = lmd_gguf_scalar_bytes(a->arr.type);
    uint64_t u = load_le(a->arr.raw + idx * w, w);
    switch (a->arr.type) {
    case LMD_GGUF_INT8: *i = (int8_t)u; break;
    case LMD_GGUF_INT16: *i = (int16_t)u; break;
    case LMD_GGUF_INT32: *i = (int32_t)u; break;
    case LMD_GGUF_INT64: *i = (int64_t)u; break;
    case LMD_GGUF_FLOAT32: {
        uint32_t u32 = (uint32_t)u;
        float x;
        memcpy(&x, &u32, sizeof x);
        *f = x;
        *is_f = true;
        break;
    }
    case LMD_GGUF_FLOAT64: memcpy(f, &u, sizeof *f); *is_f = true; break;
    default: *i = (int64_t)u; break; /* unsigned and bool */
    }
}

int64_t lmd_gguf_arr_int(const lmd_gguf_value *arr, uint64_t idx) {
    int64_t i;
    double f;
    bool is_f;
    arr_elem(arr, idx, &i, &f, &is_f);
    if (!is_f) return i;
    if (!(f > -9.2e18 && f < 9.2e18)) return 0; /* NaN or out of range: no UB cast */
    return (int64_t)f;
}

double lmd_gguf_arr_float(const lmd_gguf_value *arr, uint64_t idx) {
    int64_t i;
    double f;
    bool is_f;
    arr_elem(arr, idx, &i, &f, &is_f);
    if (is_f) return f;
    if (arr->arr.type == LMD_GGUF_UINT64) return (double)(uint64_t)i;
    return (double)i;
}
