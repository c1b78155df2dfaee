/* read.c — opens a GGUF v2/v3 file (mmap or a caller's buffer) and validates all of it before
 * handing it out: header, every metadata value (recursively for arrays), the keys whose type
 * the format fixes, tensor infos (name, dims, type, size) and that every tensor's data lies
 * aligned inside the file. Every byte is read through lmd_rd; every size is checked with
 * overflow-safe arithmetic and against what is left of the file before anything is allocated. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf_int.h"
#include "util/ovf.h"
#include "util/rd.h"

/* Parsing state: the object being built, the cursor, and the context named in errors. */
typedef struct {
    lmd_gguf *g;
    lmd_rd r;
    char what[384]; /* "path" or "path: key 'k'" — becomes r.what while reading a value */
} parser;

/* Keys whose value type the format (or llama.cpp) fixes; a different type is a corrupt file,
 * and catching it here saves every consumer from re-checking. */
static const struct {
    const char *key;
    lmd_gguf_type type;
    lmd_gguf_type elem; /* for arrays */
} typed_keys[] = {
    { "general.alignment", LMD_GGUF_UINT32, 0 },
    { "tokenizer.ggml.tokens", LMD_GGUF_ARRAY, LMD_GGUF_STRING },
    { "tokenizer.ggml.scores", LMD_GGUF_ARRAY, LMD_GGUF_FLOAT32 },
    { "tokenizer.ggml.token_type", LMD_GGUF_ARRAY, LMD_GGUF_INT32 },
    { "tokenizer.ggml.merges", LMD_GGUF_ARRAY, LMD_GGUF_STRING },
};

size_t lmd_gguf_scalar_bytes(uint32_t type) {
    switch (type) {
    case LMD_GGUF_UINT8: case LMD_GGUF_INT8: case LMD_GGUF_BOOL: return 1;
    case LMD_GGUF_UINT16: case LMD_GGUF_INT16: return 2;
    case LMD_GGUF_UINT32: case LMD_GGUF_INT32: case LMD_GGUF_FLOAT32: return 4;
    case LMD_GGUF_UINT64: case LMD_GGUF_INT64: case LMD_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

uint64_t lmd_gguf_hash(lmd_str s) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++) h = (h ^ (uint8_t)s.ptr[i]) * 1099511628211ull;
    return h;
}

const char *lmd_gguf_printable(lmd_str s, char *buf, size_t cap) {
    size_t o = 0, i = 0;
    for (; i < s.len && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        buf[o++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    if (i < s.len && o + 4 <= cap) { memcpy(buf + o, "...", 3); o += 3; }
    buf[o] = '\0';
    return buf;
}

/* ---- name index (duplicate detection and O(1) lookups) ---- */

static lmd_status index_init(lmd_gguf_index *ix, int64_t n, lmd_err *err, const char *path) {
    size_t cap = 8;
    while (cap < (size_t)n * 2) cap <<= 1;
    ix->slots = calloc(cap, sizeof *ix->slots);
    if (!ix->slots) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory for name index", path);
    ix->cap = cap;
    return LMD_OK;
}

/* Returns the position of name in the index (as stored), or -1; *slot_out gets the slot where
 * it is or would go. names(i) is the name of entry i. */
static int64_t index_find(const lmd_gguf_index *ix, lmd_str name, const void *items, size_t stride,
                          size_t name_off, size_t *slot_out) {
    size_t mask = ix->cap - 1, s = (size_t)lmd_gguf_hash(name) & mask;
    for (;; s = (s + 1) & mask) {
        uint32_t v = ix->slots[s];
        if (!v) break;
        const lmd_str *cand = (const lmd_str *)((const char *)items + (size_t)(v - 1) * stride +
                                                name_off);
        if (lmd_str_eq(*cand, name)) {
            if (slot_out) *slot_out = s;
            return (int64_t)v - 1;
        }
    }
    if (slot_out) *slot_out = s;
    return -1;
}

int64_t lmd_gguf_kv_find(const lmd_gguf *g, lmd_str key) {
    if (!g || !g->kv_index.slots) return -1;
    return index_find(&g->kv_index, key, g->kv, sizeof *g->kv, offsetof(lmd_gguf_kv, key), NULL);
}

int64_t lmd_gguf_tensor_find(const lmd_gguf *g, lmd_str name) {
    if (!g || !g->tensor_index.slots) return -1;
    return index_find(&g->tensor_index, name, g->tensors, sizeof *g->tensors,
                      offsetof(lmd_gguf_tensor, name), NULL);
}

/* ---- values ---- */

static void free_value(lmd_gguf_value *v) {
    if (v->type != LMD_GGUF_ARRAY) return;
    free((void *)v->arr.strs);
    if (v->arr.items) {
        lmd_gguf_value *items = (lmd_gguf_value *)v->arr.items;
        for (uint64_t i = 0; i < v->arr.n; i++) free_value(&items[i]);
        free(items);
    }
    v->arr.strs = NULL;
    v->arr.items = NULL;
}

static lmd_status read_scalar(parser *p, lmd_gguf_type type, lmd_gguf_value *v, lmd_err *err) {
    lmd_rd *r = &p->r;
    lmd_status st = LMD_OK;
    size_t at = r->pos;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    switch (type) {
    case LMD_GGUF_UINT8: st = lmd_rd_u8(r, &u8, err); v->u = u8; break;
    case LMD_GGUF_INT8: st = lmd_rd_u8(r, &u8, err); v->i = (int8_t)u8; break;
    case LMD_GGUF_UINT16: st = lmd_rd_u16(r, &u16, err); v->u = u16; break;
    case LMD_GGUF_INT16: st = lmd_rd_u16(r, &u16, err); v->i = (int16_t)u16; break;
    case LMD_GGUF_UINT32: st = lmd_rd_u32(r, &u32, err); v->u = u32; break;
    case LMD_GGUF_INT32: st = lmd_rd_u32(r, &u32, err); v->i = (int32_t)u32; break;
    case LMD_GGUF_UINT64: st = lmd_rd_u64(r, &u64, err); v->u = u64; break;
    case LMD_GGUF_INT64: st = lmd_rd_u64(r, &u64, err); v->i = (int64_t)u64; break;
    case LMD_GGUF_FLOAT32: {
        float f;
        st = lmd_rd_u32(r, &u32, err);
        memcpy(&f, &u32, sizeof f);
        v->f = f;
        break;
    }
    case LMD_GGUF_FLOAT64: st = lmd_rd_u64(r, &u64, err); memcpy(&v->f, &u64, sizeof v->f); break;
    case LMD_GGUF_BOOL:
        st = lmd_rd_u8(r, &u8, err);
        if (!st && u8 > 1)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: bool at offset %zu is %u, expected 0 or 1",
                               p->what, at, u8);
        v->u = u8;
        break;
    case LMD_GGUF_STRING:
        st = lmd_rd_str(r, 8, (size_t)p->g->lim.max_string_bytes, &v->s, err);
        break;
    default:
        return lmd_err_set(err, LMD_E_INTERNAL, "%s: read_scalar got type %d", p->what, type);
    }
    v->type = type;
    return st;
}

static lmd_status read_value(parser *p, lmd_gguf_type type, lmd_gguf_value *v, int depth,
                             lmd_err *err);

/* Reads an array body (element type, count, elements) at the cursor into v. */
static lmd_status read_array(parser *p, lmd_gguf_value *v, int depth, lmd_err *err) {
    lmd_rd *r = &p->r;
    const lmd_gguf_limits *lim = &p->g->lim;
    size_t at = r->pos;
    uint32_t et;
    uint64_t n;
    lmd_status st;
    v->type = LMD_GGUF_ARRAY;
    if ((st = lmd_rd_u32(r, &et, err)) || (st = lmd_rd_u64(r, &n, err))) return st;
    if (et > LMD_GGUF_FLOAT64)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: array at offset %zu has unknown element type %"
                           PRIu32, p->what, at, et);
    if (et == LMD_GGUF_ARRAY && depth + 1 >= lim->max_array_depth)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: array at offset %zu nests deeper than %d",
                           p->what, at, lim->max_array_depth);
    if (n > lim->max_array_len)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: array at offset %zu claims %" PRIu64
                           " elements (limit %" PRIu64 ")", p->what, at, n, lim->max_array_len);
    /* Each element takes at least min_bytes in the file: check the count against what is left
     * before allocating anything for it. */
    size_t elem_bytes = lmd_gguf_scalar_bytes(et);
    size_t min_bytes = elem_bytes ? elem_bytes : et == LMD_GGUF_STRING ? 8 : 12;
    size_t left = r->len - r->pos, need;
    if (lmd_mul_size((size_t)n, min_bytes, &need) || need > left)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: array at offset %zu claims %" PRIu64
                           " elements of %s, more than the %zu bytes left", p->what, at, n,
                           lmd_gguf_type_name((lmd_gguf_type)et), left);
    v->arr.type = (lmd_gguf_type)et;
    if (elem_bytes) {
        const uint8_t *raw;
        if ((st = lmd_rd_bytes(r, need, &raw, err))) return st;
        if (et == LMD_GGUF_BOOL) {
            for (uint64_t i = 0; i < n; i++)
                if (raw[i] > 1)
                    return lmd_err_set(err, LMD_E_FORMAT, "%s: bool at offset %zu is %u, "
                                       "expected 0 or 1", p->what, (size_t)(raw + i - r->base),
                                       raw[i]);
        }
        v->arr.raw = raw;
        v->arr.n = n;
        return LMD_OK;
    }
    if (et == LMD_GGUF_STRING) {
        lmd_str *strs = calloc(n ? (size_t)n : 1, sizeof *strs);
        if (!strs) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory for %" PRIu64
                                      " strings", p->what, n);
        v->arr.strs = strs;
        v->arr.n = n;
        for (uint64_t i = 0; i < n; i++)
            if ((st = lmd_rd_str(r, 8, (size_t)lim->max_string_bytes, &strs[i], err))) return st;
        return LMD_OK;
    }
    lmd_gguf_value *items = calloc(n ? (size_t)n : 1, sizeof *items);
    if (!items) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory for %" PRIu64
                                   " nested arrays", p->what, n);
    v->arr.items = items;
    v->arr.n = n;
    for (uint64_t i = 0; i < n; i++)
        if ((st = read_value(p, LMD_GGUF_ARRAY, &items[i], depth + 1, err))) return st;
    return LMD_OK;
}

static lmd_status read_value(parser *p, lmd_gguf_type type, lmd_gguf_value *v, int depth,
                             lmd_err *err) {
    if (type == LMD_GGUF_ARRAY) return read_array(p, v, depth, err);
    return read_scalar(p, type, v, err);
}

/* ---- sections ---- */

static lmd_status read_header(parser *p, uint64_t *n_tensors, uint64_t *n_kv, lmd_err *err) {
    lmd_rd *r = &p->r;
    uint32_t magic, version;
    lmd_status st;
    if ((st = lmd_rd_u32(r, &magic, err))) return st;
    if (magic != LMD_GGUF_MAGIC)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: bad magic 0x%08" PRIx32 " at offset 0, expected "
                           "\"GGUF\" (not a GGUF file)", p->what, magic);
    if ((st = lmd_rd_u32(r, &version, err))) return st;
    if (version == 1)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: GGUF version 1 at offset 4 is not supported "
                           "(only 2 and 3)", p->what);
    if ((version & 0xffff) == 0 && version != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: GGUF version 0x%08" PRIx32 " at offset 4 looks "
                           "big-endian, which is not supported", p->what, version);
    if (version != 2 && version != 3)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: GGUF version %" PRIu32 " at offset 4 is not "
                           "supported (only 2 and 3)", p->what, version);
    p->g->version = version;
    if ((st = lmd_rd_u64(r, n_tensors, err)) || (st = lmd_rd_u64(r, n_kv, err))) return st;
    /* Smallest possible entries: a key-value pair is a key length (8), a type (4) and one byte;
     * a tensor info is a name length (8), n_dims (4), one dim (8), a type (4), an offset (8). */
    size_t left = r->len - r->pos;
    if (*n_kv > p->g->lim.max_kv || *n_kv > left / 13)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: header at offset 16 claims %" PRIu64 " metadata "
                           "keys (limit %" PRIu64 ", %zu bytes left)", p->what, *n_kv,
                           p->g->lim.max_kv, left);
    if (*n_tensors > p->g->lim.max_tensors || *n_tensors > left / 32)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: header at offset 8 claims %" PRIu64 " tensors "
                           "(limit %" PRIu64 ", %zu bytes left)", p->what, *n_tensors,
                           p->g->lim.max_tensors, left);
    return LMD_OK;
}

static lmd_status read_kvs(parser *p, uint64_t n_kv, lmd_err *err) {
    lmd_gguf *g = p->g;
    lmd_rd *r = &p->r;
    lmd_status st;
    char kbuf[96];
    g->kv = calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
    if (!g->kv) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory for %" PRIu64 " keys",
                                   g->path, n_kv);
    if ((st = index_init(&g->kv_index, (int64_t)n_kv, err, g->path))) return st;
    for (uint64_t i = 0; i < n_kv; i++) {
        lmd_gguf_kv *kv = &g->kv[i];
        kv->key_offset = r->pos;
        r->what = g->path;
        if ((st = lmd_rd_str(r, 8, LMD_GGUF_MAX_KEY_BYTES, &kv->key, err))) return st;
        lmd_gguf_printable(kv->key, kbuf, sizeof kbuf);
        size_t slot;
        int64_t prev = index_find(&g->kv_index, kv->key, g->kv, sizeof *g->kv,
                                  offsetof(lmd_gguf_kv, key), &slot);
        if (prev >= 0)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: duplicate key '%s' at offset %zu (first at "
                               "offset %zu)", g->path, kbuf, kv->key_offset,
                               g->kv[prev].key_offset);
        g->kv_index.slots[slot] = (uint32_t)i + 1;
        g->n_kv = (int64_t)i + 1; /* from here on close() frees this entry's value */
        snprintf(p->what, sizeof p->what, "%s: key '%s'", g->path, kbuf);
        r->what = p->what;
        kv->type_offset = r->pos;
        uint32_t type;
        if ((st = lmd_rd_u32(r, &type, err))) return st;
        if (type > LMD_GGUF_FLOAT64)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: unknown value type %" PRIu32 " at offset %zu",
                               p->what, type, kv->type_offset);
        if ((st = read_value(p, (lmd_gguf_type)type, &kv->val, 0, err))) return st;
        kv->end_offset = r->pos;
    }
    r->what = g->path;
    return LMD_OK;
}

/* Checks the keys whose type is fixed, then takes general.alignment. */
static lmd_status check_typed_keys(parser *p, lmd_err *err) {
    lmd_gguf *g = p->g;
    for (size_t k = 0; k < sizeof typed_keys / sizeof typed_keys[0]; k++) {
        int64_t idx = lmd_gguf_kv_find(g, lmd_str_c(typed_keys[k].key));
        if (idx < 0) continue;
        const lmd_gguf_kv *kv = &g->kv[idx];
        bool ok = kv->val.type == typed_keys[k].type &&
                  (typed_keys[k].type != LMD_GGUF_ARRAY || kv->val.arr.type == typed_keys[k].elem);
        if (ok) continue;
        char want[48], found[48];
        if (typed_keys[k].type == LMD_GGUF_ARRAY)
            snprintf(want, sizeof want, "ARRAY of %s", lmd_gguf_type_name(typed_keys[k].elem));
        else
            snprintf(want, sizeof want, "%s", lmd_gguf_type_name(typed_keys[k].type));
        if (kv->val.type == LMD_GGUF_ARRAY)
            snprintf(found, sizeof found, "ARRAY of %s", lmd_gguf_type_name(kv->val.arr.type));
        else
            snprintf(found, sizeof found, "%s", lmd_gguf_type_name(kv->val.type));
        return lmd_err_set(err, LMD_E_FORMAT, "%s: key '%s' at offset %zu has type %s, expected %s",
                           g->path, typed_keys[k].key, kv->key_offset, found, want);
    }
    g->alignment = LMD_GGUF_DEFAULT_ALIGNMENT;
    int64_t idx = lmd_gguf_kv_find(g, lmd_str_c("general.alignment"));
    if (idx >= 0) {
        uint64_t a = g->kv[idx].val.u;
        if (a == 0 || (a & (a - 1)) != 0 || a > LMD_GGUF_MAX_ALIGNMENT)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: general.alignment at offset %zu is %" PRIu64
                               ", expected a power of two in [1, %u]", g->path,
                               g->kv[idx].type_offset, a, LMD_GGUF_MAX_ALIGNMENT);
        g->alignment = (size_t)a;
    }
    return LMD_OK;
}

/* Reads one tensor info at the cursor into t (data pointer is set later). */
static lmd_status read_tensor_info(parser *p, int64_t i, lmd_gguf_tensor *t, size_t *info_at,
                                   lmd_err *err) {
    lmd_gguf *g = p->g;
    lmd_rd *r = &p->r;
    lmd_status st;
    char nbuf[96];
    size_t at = r->pos;
    *info_at = at;
    if ((st = lmd_rd_str(r, 8, (size_t)g->lim.max_string_bytes, &t->name, err))) return st;
    lmd_gguf_printable(t->name, nbuf, sizeof nbuf);
    if (t->name.len > LMD_GGUF_MAX_NAME_BYTES || t->name.len == 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %" PRId64 " at offset %zu: name '%s' has "
                           "%zu bytes, expected 1..%d", g->path, i, at, nbuf, t->name.len,
                           LMD_GGUF_MAX_NAME_BYTES);
    size_t slot;
    int64_t prev = index_find(&g->tensor_index, t->name, g->tensors, sizeof *g->tensors,
                              offsetof(lmd_gguf_tensor, name), &slot);
    if (prev >= 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %" PRId64 " at offset %zu: duplicate "
                           "name '%s' (also tensor %" PRId64 ")", g->path, i, at, nbuf, prev);
    g->tensor_index.slots[slot] = (uint32_t)i + 1;
    snprintf(p->what, sizeof p->what, "%s: tensor '%s'", g->path, nbuf);
    r->what = p->what;
    uint32_t n_dims, type_id;
    size_t dims_at = r->pos;
    if ((st = lmd_rd_u32(r, &n_dims, err))) return st;
    if (n_dims < 1 || n_dims > 4)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: n_dims %" PRIu32 " at offset %zu, expected 1..4",
                           p->what, n_dims, dims_at);
    t->n_dims = (int)n_dims;
    int64_t n_elems = 1;
    for (int d = 0; d < 4; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims) continue;
        uint64_t ne;
        size_t ne_at = r->pos;
        if ((st = lmd_rd_u64(r, &ne, err))) return st;
        if (ne == 0 || ne > (uint64_t)INT64_MAX)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: dimension %d at offset %zu is %" PRIu64
                               ", expected 1..2^63-1", p->what, d, ne_at, ne);
        t->ne[d] = (int64_t)ne;
        if (lmd_mul_i64(n_elems, t->ne[d], &n_elems))
            return lmd_err_set(err, LMD_E_FORMAT, "%s: element count overflows at dimension %d "
                               "(offset %zu)", p->what, d, ne_at);
    }
    size_t type_at = r->pos;
    if ((st = lmd_rd_u32(r, &type_id, err))) return st;
    const lmd_type_geometry *geo = lmd_type_geometry_of(type_id);
    if (!geo)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: unknown tensor type %" PRIu32 " at offset %zu",
                           p->what, type_id, type_at);
    t->type = (lmd_type)type_id;
    if (t->ne[0] % geo->block_elems != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: type %s needs rows of a multiple of %" PRId64
                           " elements, ne[0] is %" PRId64 " (offset %zu)", p->what,
                           lmd_type_name(t->type), geo->block_elems, t->ne[0], dims_at + 4);
    if (lmd_mul_size((size_t)(n_elems / geo->block_elems), geo->block_bytes, &t->n_bytes))
        return lmd_err_set(err, LMD_E_FORMAT, "%s: byte size of %" PRId64 " elements of %s "
                           "overflows (offset %zu)", p->what, n_elems, lmd_type_name(t->type),
                           dims_at);
    size_t off_at = r->pos;
    if ((st = lmd_rd_u64(r, &t->offset, err))) return st;
    if (t->offset % g->alignment != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: data offset %" PRIu64 " at offset %zu is not a "
                           "multiple of the alignment %zu", p->what, t->offset, off_at,
                           g->alignment);
    r->what = g->path;
    return LMD_OK;
}

static lmd_status read_tensors(parser *p, uint64_t n_tensors, lmd_err *err) {
    lmd_gguf *g = p->g;
    lmd_status st;
    size_t *info_at = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *info_at);
    g->tensors = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *g->tensors);
    if (!info_at || !g->tensors) {
        free(info_at);
        return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory for %" PRIu64 " tensors", g->path,
                           n_tensors);
    }
    if ((st = index_init(&g->tensor_index, (int64_t)n_tensors, err, g->path))) goto done;
    for (uint64_t i = 0; i < n_tensors; i++) {
        g->n_tensors = (int64_t)i + 1;
        if ((st = read_tensor_info(p, (int64_t)i, &g->tensors[i], &info_at[i], err))) goto done;
    }
    /* The data section starts at the next multiple of the alignment after the infos. Files
     * without tensors may end before it (gguf-py writes no padding then). */
    size_t pos = p->r.pos, data;
    if (lmd_add_size(pos, g->alignment - 1, &data)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: data offset overflows", g->path);
        goto done;
    }
    g->data_offset = data & ~(g->alignment - 1);
    for (uint64_t i = 0; i < n_tensors; i++) {
        lmd_gguf_tensor *t = &g->tensors[i];
        char nbuf[96];
        size_t start, end;
        if (lmd_add_size(g->data_offset, (size_t)t->offset, &start) ||
            lmd_add_size(start, t->n_bytes, &end) || end > g->len) {
            st = lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s' (info at offset %zu): data [%zu + %"
                             PRIu64 ", +%zu) ends past file size %zu", g->path,
                             lmd_gguf_printable(t->name, nbuf, sizeof nbuf), info_at[i],
                             g->data_offset, t->offset, t->n_bytes, g->len);
            goto done;
        }
        t->data = g->base + start;
    }
    st = LMD_OK;
done:
    free(info_at);
    return st;
}

/* ---- open / close ---- */

static lmd_status parse(lmd_gguf *g, const lmd_gguf_limits *lim, lmd_err *err) {
    parser p = { .g = g };
    g->lim = (lmd_gguf_limits){
        .max_kv = lim && lim->max_kv ? lim->max_kv : 1u << 20,
        .max_tensors = lim && lim->max_tensors ? lim->max_tensors : 1u << 20,
        .max_string_bytes = lim && lim->max_string_bytes ? lim->max_string_bytes : 1u << 26,
        .max_array_len = lim && lim->max_array_len ? lim->max_array_len : 1u << 26,
        .max_array_depth = lim && lim->max_array_depth ? lim->max_array_depth : 8,
    };
    /* The name index stores positions in 32 bits. */
    if (g->lim.max_kv > UINT32_MAX - 1) g->lim.max_kv = UINT32_MAX - 1;
    if (g->lim.max_tensors > UINT32_MAX - 1) g->lim.max_tensors = UINT32_MAX - 1;
    if (g->lim.max_string_bytes > SIZE_MAX) g->lim.max_string_bytes = SIZE_MAX;
    snprintf(p.what, sizeof p.what, "%s", g->path);
    p.r = (lmd_rd){ .base = g->base, .len = g->len, .pos = 0, .what = g->path };
    uint64_t n_tensors, n_kv;
    lmd_status st;
    if ((st = read_header(&p, &n_tensors, &n_kv, err))) return st;
    if ((st = read_kvs(&p, n_kv, err))) return st;
    if ((st = check_typed_keys(&p, err))) return st;
    return read_tensors(&p, n_tensors, err);
}

static lmd_status open_common(lmd_gguf *g, const lmd_gguf_limits *lim, lmd_gguf **out,
                              lmd_err *err) {
    lmd_status st = parse(g, lim, err);
    if (st) {
        lmd_gguf_close(g);
        return st;
    }
    *out = g;
    return LMD_OK;
}

lmd_status lmd_gguf_open_memory(const void *data, size_t len, const char *name,
                                const lmd_gguf_limits *lim, lmd_gguf **out, lmd_err *err) {
    *out = NULL;
    if (!name) name = "<memory>";
    lmd_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(name))) {
        free(g);
        return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", name);
    }
    g->base = data;
    g->len = data ? len : 0;
    return open_common(g, lim, out, err);
}

lmd_status lmd_gguf_open(const char *path, const lmd_gguf_limits *lim, lmd_gguf **out,
                         lmd_err *err) {
    *out = NULL;
    lmd_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        lmd_gguf_close(g);
        return lmd_err_set(err, e == ENOENT ? LMD_E_NOT_FOUND : LMD_E_IO, "%s: cannot open: %s",
                           path, strerror(e));
    }
    struct stat sb;
    lmd_status st = LMD_OK;
    if (fstat(fd, &sb) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        st = lmd_err_set(err, LMD_E_INVALID, "%s: not a regular file", path);
    } else if (sb.st_size == 0) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: empty file (need 24 bytes at offset 0)", path);
    } else {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            st = lmd_err_set(err, LMD_E_IO, "%s: cannot mmap %lld bytes: %s", path,
                             (long long)sb.st_size, strerror(errno));
        } else {
            g->map = m;
            g->map_len = (size_t)sb.st_size;
            g->base = m;
            g->len = (size_t)sb.st_size;
        }
    }
    close(fd);
    if (st) {
        lmd_gguf_close(g);
        return st;
    }
    return open_common(g, lim, out, err);
}

void lmd_gguf_close(lmd_gguf *g) {
    if (!g) return;
    for (int64_t i = 0; i < g->n_kv; i++) free_value(&g->kv[i].val);
    free(g->kv);
    free(g->tensors);
    free(g->kv_index.slots);
    free(g->tensor_index.slots);
    if (g->map) munmap(g->map, g->map_len);
    free(g->path);
    free(g);
}
