/* write.c — builds GGUF v3 files: metadata in insertion order, tensor infos, then each
 * tensor's data padded to the alignment, the layout gguf-py and llama.cpp write (so a file
 * read and re-written with every key and tensor copied comes out byte-identical). Values are
 * kept serialized as they will appear in the file; tensor data is borrowed until the write.
 * Files are written to a temporary name in the same folder, fsynced, then renamed, so a
 * reader sees the old file or the new one, never a partial one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf_int.h"
#include "util/ovf.h"

typedef struct {
    char *key;      /* owned, key_len bytes (+ NUL for printing; keys may hold any byte) */
    size_t key_len;
    uint8_t *raw;   /* owned: type field + value, exactly as in the file */
    size_t raw_len;
} wkv;

typedef struct {
    char *name;
    lmd_type type;
    int n_dims;
    int64_t ne[4];
    const void *data; /* borrowed */
    size_t n_bytes;
    lmd_gguf_fill_fn fill; /* or data produced at write time */
    void *fill_ctx;
    size_t row_bytes;
} wtensor;

#define FILL_CHUNK_BYTES ((size_t)8 << 20) /* rows produced per fill call, about */

struct lmd_gguf_writer {
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
};

/* A growable byte buffer for the serialized values and the metadata block. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n) {
    if (b->oom) return;
    size_t need;
    if (lmd_add_size(b->len, n, &need)) { b->oom = true; return; }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) {
            if (lmd_mul_size(cap, 2, &cap)) { b->oom = true; return; }
        }
        uint8_t *np = realloc(b->p, cap);
        if (!np) { b->oom = true; return; }
        b->p = np;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len = need;
}

static void put_le(wbuf *b, uint64_t v, size_t n) {
    uint8_t x[8];
    for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, n);
}

static void put_str(wbuf *b, const char *s, size_t n) {
    put_le(b, n, 8);
    put(b, s, n);
}

lmd_gguf_writer *lmd_gguf_writer_new(void) { return calloc(1, sizeof(lmd_gguf_writer)); }

void lmd_gguf_writer_free(lmd_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].raw);
    }
    for (size_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->kv);
    free(w->t);
    free(w);
}

/* Stores key = raw value (takes ownership of raw on success and on failure). */
static lmd_status set_raw(lmd_gguf_writer *w, const char *key, size_t key_len, uint8_t *raw,
                          size_t raw_len, lmd_err *err) {
    char kbuf[96];
    lmd_str k = { key, key_len };
    if (key_len > LMD_GGUF_MAX_KEY_BYTES) {
        free(raw);
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: key '%s' is %zu bytes, limit %d",
                           lmd_gguf_printable(k, kbuf, sizeof kbuf), key_len,
                           LMD_GGUF_MAX_KEY_BYTES);
    }
    if (lmd_str_eq_c(k, "general.alignment")) {
        uint32_t type = 0, a = 0;
        if (raw_len == 8) {
            type = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
                   (uint32_t)raw[3] << 24;
            a = (uint32_t)raw[4] | (uint32_t)raw[5] << 8 | (uint32_t)raw[6] << 16 |
                (uint32_t)raw[7] << 24;
        }
        if (type != LMD_GGUF_UINT32 || a == 0 || (a & (a - 1)) || a > LMD_GGUF_MAX_ALIGNMENT) {
            free(raw);
            return lmd_err_set(err, LMD_E_INVALID, "gguf writer: general.alignment must be a "
                               "UINT32 power of two in [1, %u]", LMD_GGUF_MAX_ALIGNMENT);
        }
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (w->kv[i].key_len == key_len && memcmp(w->kv[i].key, key, key_len) == 0) {
            free(w->kv[i].raw);
            w->kv[i].raw = raw;
            w->kv[i].raw_len = raw_len;
            return LMD_OK;
        }
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 32;
        wkv *nk = realloc(w->kv, cap * sizeof *nk);
        if (!nk) { free(raw); return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory"); }
        w->kv = nk;
        w->cap_kv = cap;
    }
    char *kcopy = malloc(key_len + 1);
    if (!kcopy) { free(raw); return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory"); }
    memcpy(kcopy, key, key_len);
    kcopy[key_len] = '\0';
    w->kv[w->n_kv++] = (wkv){ kcopy, key_len, raw, raw_len };
    return LMD_OK;
}

static lmd_status set_buf(lmd_gguf_writer *w, const char *key, wbuf *b, lmd_err *err) {
    if (b->oom) {
        free(b->p);
        return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory for key '%s'", key);
    }
    return set_raw(w, key, strlen(key), b->p, b->len, err);
}

static lmd_status set_scalar(lmd_gguf_writer *w, const char *key, lmd_gguf_type t, uint64_t bits,
                             lmd_err *err) {
    wbuf b = { 0 };
    put_le(&b, (uint64_t)t, 4);
    put_le(&b, bits, lmd_gguf_scalar_bytes(t));
    return set_buf(w, key, &b, err);
}

lmd_status lmd_gguf_set_u32(lmd_gguf_writer *w, const char *key, uint32_t v, lmd_err *err) {
    return set_scalar(w, key, LMD_GGUF_UINT32, v, err);
}

lmd_status lmd_gguf_set_i32(lmd_gguf_writer *w, const char *key, int32_t v, lmd_err *err) {
    return set_scalar(w, key, LMD_GGUF_INT32, (uint32_t)v, err);
}

lmd_status lmd_gguf_set_u64(lmd_gguf_writer *w, const char *key, uint64_t v, lmd_err *err) {
    return set_scalar(w, key, LMD_GGUF_UINT64, v, err);
}

lmd_status lmd_gguf_set_f32(lmd_gguf_writer *w, const char *key, float v, lmd_err *err) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return set_scalar(w, key, LMD_GGUF_FLOAT32, bits, err);
}

lmd_status lmd_gguf_set_bool(lmd_gguf_writer *w, const char *key, bool v, lmd_err *err) {
    return set_scalar(w, key, LMD_GGUF_BOOL, v ? 1 : 0, err);
}

lmd_status lmd_gguf_set_str(lmd_gguf_writer *w, const char *key, lmd_str v, lmd_err *err) {
    wbuf b = { 0 };
    put_le(&b, LMD_GGUF_STRING, 4);
    put_str(&b, v.ptr, v.len);
    return set_buf(w, key, &b, err);
}

lmd_status lmd_gguf_set_arr(lmd_gguf_writer *w, const char *key, lmd_gguf_type elem_type,
                            const void *data, uint64_t n, lmd_err *err) {
    size_t eb = lmd_gguf_scalar_bytes(elem_type), bytes;
    if (!eb)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: key '%s': set_arr takes numeric or "
                           "bool elements, not %s", key, lmd_gguf_type_name(elem_type));
    if (n > SIZE_MAX || lmd_mul_size((size_t)n, eb, &bytes))
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: key '%s': %" PRIu64 " elements "
                           "overflow", key, n);
    if (elem_type == LMD_GGUF_BOOL)
        for (size_t i = 0; i < (size_t)n; i++)
            if (((const uint8_t *)data)[i] > 1)
                return lmd_err_set(err, LMD_E_INVALID, "gguf writer: key '%s': bool element "
                                   "%zu is not 0 or 1", key, i);
    wbuf b = { 0 };
    put_le(&b, LMD_GGUF_ARRAY, 4);
    put_le(&b, (uint64_t)elem_type, 4);
    put_le(&b, n, 8);
    put(&b, data, bytes);
    return set_buf(w, key, &b, err);
}

lmd_status lmd_gguf_set_arr_str(lmd_gguf_writer *w, const char *key, const lmd_str *strs,
                                uint64_t n, lmd_err *err) {
    wbuf b = { 0 };
    put_le(&b, LMD_GGUF_ARRAY, 4);
    put_le(&b, LMD_GGUF_STRING, 4);
    put_le(&b, n, 8);
    for (uint64_t i = 0; i < n; i++) put_str(&b, strs[i].ptr, strs[i].len);
    return set_buf(w, key, &b, err);
}

lmd_status lmd_gguf_copy_kv(lmd_gguf_writer *w, const lmd_gguf *src, int64_t idx, lmd_err *err) {
    size_t len = 0;
    const uint8_t *raw = lmd_gguf_kv_raw(src, idx, &len);
    if (!raw)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: key index %" PRId64 " out of range "
                           "for %s", idx, lmd_gguf_path(src));
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
    memcpy(copy, raw, len);
    lmd_str key = lmd_gguf_kv_key(src, idx);
    return set_raw(w, key.ptr, key.len, copy, len, err);
}

static lmd_status add_tensor(lmd_gguf_writer *w, const char *name, lmd_type type, int n_dims,
                             const int64_t ne[4], const void *data, lmd_gguf_fill_fn fill,
                             void *fill_ctx, lmd_err *err) {
    size_t name_len = strlen(name);
    if (name_len == 0 || name_len > LMD_GGUF_MAX_NAME_BYTES)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor name '%.80s' has %zu bytes, "
                           "expected 1..%d", name, name_len, LMD_GGUF_MAX_NAME_BYTES);
    const lmd_type_geometry *geo = lmd_type_geometry_of((uint32_t)type);
    if (!geo)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': unknown type %d", name,
                           (int)type);
    if (n_dims < 1 || n_dims > 4)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': n_dims %d, expected "
                           "1..4", name, n_dims);
    int64_t n_elems = 1;
    wtensor t = { .type = type, .n_dims = n_dims, .data = data, .ne = { 1, 1, 1, 1 },
                  .fill = fill, .fill_ctx = fill_ctx };
    for (int d = 0; d < n_dims; d++) {
        if (ne[d] <= 0 || lmd_mul_i64(n_elems, ne[d], &n_elems))
            return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': bad dimension %d "
                               "(%" PRId64 ")", name, d, ne[d]);
        t.ne[d] = ne[d];
    }
    if (ne[0] % geo->block_elems != 0)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': ne[0] %" PRId64 " is "
                           "not a multiple of %s's block of %" PRId64, name, ne[0],
                           lmd_type_name(type), geo->block_elems);
    if (lmd_mul_size((size_t)(n_elems / geo->block_elems), geo->block_bytes, &t.n_bytes))
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': size overflows", name);
    if (!data && !fill)
        return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': no data", name);
    t.row_bytes = lmd_type_row_bytes(type, ne[0]);
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return lmd_err_set(err, LMD_E_INVALID, "gguf writer: duplicate tensor '%s'", name);
    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? w->cap_t * 2 : 64;
        wtensor *nt = realloc(w->t, cap * sizeof *nt);
        if (!nt) return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
        w->t = nt;
        w->cap_t = cap;
    }
    if (!(t.name = strdup(name))) return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
    w->t[w->n_t++] = t;
    return LMD_OK;
}

lmd_status lmd_gguf_add_tensor(lmd_gguf_writer *w, const char *name, lmd_type type, int n_dims,
                               const int64_t ne[4], const void *data, lmd_err *err) {
    return add_tensor(w, name, type, n_dims, ne, data, NULL, NULL, err);
}

lmd_status lmd_gguf_add_tensor_fill(lmd_gguf_writer *w, const char *name, lmd_type type,
                                    int n_dims, const int64_t ne[4], lmd_gguf_fill_fn fill,
                                    void *ctx, lmd_err *err) {
    if (!fill) return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor '%s': no fill", name);
    return add_tensor(w, name, type, n_dims, ne, NULL, fill, ctx, err);
}

/* Rows per fill call for tensor t: whole rows, about FILL_CHUNK_BYTES, at least one. */
static int64_t chunk_rows(const wtensor *t) {
    int64_t n = (int64_t)(FILL_CHUNK_BYTES / t->row_bytes);
    return n < 1 ? 1 : n;
}

/* Produces tensor t's data chunk by chunk, handing each to emit(); dst is scratch of at least
 * chunk_rows(t) * row_bytes bytes. */
static lmd_status fill_tensor(const wtensor *t, uint8_t *dst,
                              lmd_status (*emit)(void *, const void *, size_t, lmd_err *),
                              void *emit_ctx, lmd_err *err) {
    int64_t n_rows = (int64_t)(t->n_bytes / t->row_bytes), step = chunk_rows(t);
    for (int64_t r = 0; r < n_rows; r += step) {
        int64_t k = n_rows - r < step ? n_rows - r : step;
        lmd_status st = t->fill(t->fill_ctx, dst, r, k, err);
        if (!st) st = emit(emit_ctx, dst, (size_t)k * t->row_bytes, err);
        if (st) {
            if (err && !err->msg[0]) lmd_err_set(err, st, "gguf writer: tensor '%s': fill failed", t->name);
            return st;
        }
    }
    return LMD_OK;
}

static size_t writer_alignment(const lmd_gguf_writer *w) {
    for (size_t i = 0; i < w->n_kv; i++)
        if (lmd_str_eq_c((lmd_str){ w->kv[i].key, w->kv[i].key_len }, "general.alignment"))
            return (size_t)w->kv[i].raw[4] | (size_t)w->kv[i].raw[5] << 8 |
                   (size_t)w->kv[i].raw[6] << 16 | (size_t)w->kv[i].raw[7] << 24;
    return LMD_GGUF_DEFAULT_ALIGNMENT;
}

/* Serializes header, metadata and tensor infos (with the padding that follows them when there
 * are tensors) into *meta; tensor i's data goes at meta->len + offsets[i]. */
static lmd_status build_meta(const lmd_gguf_writer *w, wbuf *meta, uint64_t *offsets,
                             lmd_err *err) {
    size_t align = writer_alignment(w);
    put_le(meta, LMD_GGUF_MAGIC, 4);
    put_le(meta, 3, 4);
    put_le(meta, w->n_t, 8);
    put_le(meta, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(meta, w->kv[i].key, w->kv[i].key_len);
        put(meta, w->kv[i].raw, w->kv[i].raw_len);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        put_str(meta, t->name, strlen(t->name));
        put_le(meta, (uint64_t)t->n_dims, 4);
        for (int d = 0; d < t->n_dims; d++) put_le(meta, (uint64_t)t->ne[d], 8);
        put_le(meta, (uint64_t)t->type, 4);
        put_le(meta, off, 8);
        offsets[i] = off;
        uint64_t padded = ((uint64_t)t->n_bytes + align - 1) / align * align;
        if (lmd_add_u64(off, padded, &off))
            return lmd_err_set(err, LMD_E_INVALID, "gguf writer: tensor data overflows");
    }
    /* gguf-py pads the metadata only when tensor data follows; llama.cpp's reader accepts
     * both. Matching gguf-py keeps vocab-only files byte-identical on a round trip. */
    static const uint8_t zeros[64] = { 0 };
    while (w->n_t && meta->len % align) put(meta, zeros, 1);
    if (meta->oom) return lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
    return LMD_OK;
}

static lmd_status emit_mem(void *ctx, const void *p, size_t n, lmd_err *err) {
    wbuf *b = ctx;
    put(b, p, n);
    return b->oom ? lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory") : LMD_OK;
}

lmd_status lmd_gguf_writer_to_memory(lmd_gguf_writer *w, uint8_t **out, size_t *len,
                                     lmd_err *err) {
    *out = NULL;
    *len = 0;
    uint64_t *offsets = calloc(w->n_t ? w->n_t : 1, sizeof *offsets);
    wbuf b = { 0 };
    lmd_status st = offsets ? build_meta(w, &b, offsets, err)
                            : lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
    size_t align = writer_alignment(w);
    static const uint8_t zeros[64] = { 0 };
    for (size_t i = 0; !st && i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        if (t->fill) {
            uint8_t *scratch = malloc((size_t)chunk_rows(t) * t->row_bytes);
            st = scratch ? fill_tensor(t, scratch, emit_mem, &b, err)
                         : lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
            free(scratch);
        } else {
            put(&b, t->data, t->n_bytes);
        }
        while (b.len % align && !b.oom) put(&b, zeros, 1);
    }
    free(offsets);
    if (!st && b.oom) st = lmd_err_set(err, LMD_E_NOMEM, "gguf writer: out of memory");
    if (st) {
        free(b.p);
        return st;
    }
    *out = b.p;
    *len = b.len;
    return LMD_OK;
}

static lmd_status write_all(int fd, const void *p, size_t n, const char *tmp, lmd_err *err) {
    const uint8_t *q = p;
    while (n) {
        ssize_t k = write(fd, q, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return lmd_err_set(err, LMD_E_IO, "%s: write failed: %s", tmp,
                               k < 0 ? strerror(errno) : "no progress");
        q += k;
        n -= (size_t)k;
    }
    return LMD_OK;
}

static lmd_status write_padding(int fd, size_t n, const char *tmp, lmd_err *err) {
    static const uint8_t zeros[4096] = { 0 };
    while (n) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        lmd_status st = write_all(fd, zeros, k, tmp, err);
        if (st) return st;
        n -= k;
    }
    return LMD_OK;
}

typedef struct {
    int fd;
    const char *tmp;
} emit_fd_ctx;

static lmd_status emit_fd(void *ctx, const void *p, size_t n, lmd_err *err) {
    emit_fd_ctx *e = ctx;
    return write_all(e->fd, p, n, e->tmp, err);
}

/* fsyncs the folder holding path so the rename itself is durable. */
static void sync_dir(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

lmd_status lmd_gguf_writer_write(lmd_gguf_writer *w, const char *path, lmd_err *err) {
    size_t align = writer_alignment(w);
    uint64_t *offsets = calloc(w->n_t ? w->n_t : 1, sizeof *offsets);
    wbuf meta = { 0 };
    char *tmp = NULL;
    int fd = -1;
    lmd_status st;
    if (!offsets) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if ((st = build_meta(w, &meta, offsets, err))) goto done;
    size_t plen = strlen(path);
    tmp = malloc(plen + 16);
    if (!tmp) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: cannot create temporary file: %s", path,
                         strerror(errno));
        free(tmp);
        tmp = NULL;
        goto done;
    }
    (void)fchmod(fd, 0644);
    if ((st = write_all(fd, meta.p, meta.len, tmp, err))) goto done;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        size_t n = t->n_bytes;
        if (t->fill) {
            uint8_t *scratch = malloc((size_t)chunk_rows(t) * t->row_bytes);
            emit_fd_ctx ec = { fd, tmp };
            st = scratch ? fill_tensor(t, scratch, emit_fd, &ec, err)
                         : lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
            free(scratch);
            if (st) goto done;
        } else if ((st = write_all(fd, t->data, n, tmp, err))) {
            goto done;
        }
        if ((st = write_padding(fd, (align - n % align) % align, tmp, err))) goto done;
    }
    if (fsync(fd) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = lmd_err_set(err, LMD_E_IO, "%s: close failed: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: cannot rename %s into place: %s", path, tmp,
                         strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
    sync_dir(path);
    st = LMD_OK;
done:
    if (fd >= 0) close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(meta.p);
    free(offsets);
    return st;
}
