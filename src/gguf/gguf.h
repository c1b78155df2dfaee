/* gguf.h — read (mmap) and write GGUF v2/v3 files.
 *
 * lmd_gguf_open maps a file and validates ALL of it before returning: header, every metadata
 * value (scalars, strings, arrays incl. arrays of strings and nested arrays), tensor infos,
 * alignment, and that every tensor's data lies inside the file. Everything returned (values,
 * string views, tensor data pointers) points into the mapping and is valid until
 * lmd_gguf_close. The writer builds a file in memory-light streaming fashion and writes it
 * atomically. This module knows the container, not what the keys mean. */
#ifndef LMD_GGUF_H
#define LMD_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/types.h"
#include "util/err.h"
#include "util/str.h"

/* Metadata value types, as stored in the file. */
typedef enum {
    LMD_GGUF_UINT8 = 0,
    LMD_GGUF_INT8 = 1,
    LMD_GGUF_UINT16 = 2,
    LMD_GGUF_INT16 = 3,
    LMD_GGUF_UINT32 = 4,
    LMD_GGUF_INT32 = 5,
    LMD_GGUF_FLOAT32 = 6,
    LMD_GGUF_BOOL = 7,
    LMD_GGUF_STRING = 8,
    LMD_GGUF_ARRAY = 9,
    LMD_GGUF_UINT64 = 10,
    LMD_GGUF_INT64 = 11,
    LMD_GGUF_FLOAT64 = 12,
} lmd_gguf_type;

typedef struct lmd_gguf_value lmd_gguf_value;
struct lmd_gguf_value {
    lmd_gguf_type type;
    union {
        uint64_t u;         /* UINT8, UINT16, UINT32, UINT64, BOOL (0 or 1) */
        int64_t i;          /* INT8, INT16, INT32, INT64 */
        double f;           /* FLOAT32 (widened), FLOAT64 */
        lmd_str s;          /* STRING */
        struct {
            lmd_gguf_type type;           /* element type */
            uint64_t n;                   /* element count */
            const uint8_t *raw;           /* numeric/bool elements, packed LE in the file
                                             (may be unaligned: read with the accessors) */
            const lmd_str *strs;          /* STRING elements: n views, else NULL */
            const lmd_gguf_value *items;  /* ARRAY elements: n nested values, else NULL */
        } arr;
    };
};

typedef struct {
    lmd_str name;
    lmd_type type;
    int n_dims;          /* 1..4 */
    int64_t ne[4];       /* ne[0] is the contiguous dimension; unused dims are 1 */
    uint64_t offset;     /* relative to the data section */
    size_t n_bytes;
    const void *data;    /* into the mapping */
} lmd_gguf_tensor;

/* Caps applied while reading; a zero field means the default (shown). */
typedef struct {
    uint64_t max_kv;            /* 1 << 20 */
    uint64_t max_tensors;       /* 1 << 20 */
    uint64_t max_string_bytes;  /* 1 << 26 (64 MiB: chat templates, merges are each small) */
    uint64_t max_array_len;     /* 1 << 26 */
    int max_array_depth;        /* 8 */
} lmd_gguf_limits;

typedef struct lmd_gguf lmd_gguf;

/* Maps and validates a GGUF file. On success *out owns the mapping (free with
 * lmd_gguf_close); on failure *out is NULL and err names file, field and offset.
 * lim may be NULL (defaults). */
lmd_status lmd_gguf_open(const char *path, const lmd_gguf_limits *lim, lmd_gguf **out,
                         lmd_err *err);
/* Same, over a caller-owned buffer (fuzzing, tests); the buffer must outlive the result. */
lmd_status lmd_gguf_open_memory(const void *data, size_t len, const char *name,
                                const lmd_gguf_limits *lim, lmd_gguf **out, lmd_err *err);
/* Unmaps and frees; accepts NULL and half-built objects. */
void lmd_gguf_close(lmd_gguf *g);

/* Container facts. */
uint32_t lmd_gguf_version(const lmd_gguf *g);
size_t lmd_gguf_alignment(const lmd_gguf *g);
size_t lmd_gguf_data_offset(const lmd_gguf *g);  /* absolute offset of the tensor data */
size_t lmd_gguf_file_bytes(const lmd_gguf *g);
const char *lmd_gguf_path(const lmd_gguf *g);

/* Metadata, in file order. */
int64_t lmd_gguf_n_kv(const lmd_gguf *g);
lmd_str lmd_gguf_kv_key(const lmd_gguf *g, int64_t idx);
const lmd_gguf_value *lmd_gguf_kv_value(const lmd_gguf *g, int64_t idx);
/* Value of a key, or NULL when absent. */
const lmd_gguf_value *lmd_gguf_get(const lmd_gguf *g, const char *key);

/* Typed getters. Absent key: LMD_E_NOT_FOUND. Present with an incompatible type, or a value
 * that does not fit: LMD_E_FORMAT naming key, expected and found type. Any integer type is
 * accepted for the integer getters (negative values rejected by get_uint); float getters
 * accept float and integer types. */
lmd_status lmd_gguf_get_uint(const lmd_gguf *g, const char *key, uint64_t *out, lmd_err *err);
lmd_status lmd_gguf_get_int(const lmd_gguf *g, const char *key, int64_t *out, lmd_err *err);
lmd_status lmd_gguf_get_float(const lmd_gguf *g, const char *key, double *out, lmd_err *err);
lmd_status lmd_gguf_get_bool(const lmd_gguf *g, const char *key, bool *out, lmd_err *err);
lmd_status lmd_gguf_get_str(const lmd_gguf *g, const char *key, lmd_str *out, lmd_err *err);
/* Array of the given element type (LMD_E_FORMAT when the element type differs). */
lmd_status lmd_gguf_get_arr(const lmd_gguf *g, const char *key, lmd_gguf_type elem_type,
                            const lmd_gguf_value **out, lmd_err *err);

/* Element accessors for numeric arrays (any integer / float element type). */
int64_t lmd_gguf_arr_int(const lmd_gguf_value *arr, uint64_t idx);
double lmd_gguf_arr_float(const lmd_gguf_value *arr, uint64_t idx);

/* Tensors, in file order. */
int64_t lmd_gguf_n_tensors(const lmd_gguf *g);
const lmd_gguf_tensor *lmd_gguf_tensor_at(const lmd_gguf *g, int64_t idx);
/* Tensor by name, or NULL. */
const lmd_gguf_tensor *lmd_gguf_find_tensor(const lmd_gguf *g, const char *name);

const char *lmd_gguf_type_name(lmd_gguf_type t);  /* "UINT32", "STRING", ... */

/* ---- Writer ----
 * Usage: w = lmd_gguf_writer_new(); set_* keys; add_tensor(...) for each; write(path).
 * Keys keep insertion order; setting an existing key replaces its value in place. Tensor data
 * is borrowed until write returns. The file is written to a temporary name, fsynced, renamed. */
typedef struct lmd_gguf_writer lmd_gguf_writer;

lmd_gguf_writer *lmd_gguf_writer_new(void);
void lmd_gguf_writer_free(lmd_gguf_writer *w);
lmd_status lmd_gguf_set_u32(lmd_gguf_writer *w, const char *key, uint32_t v, lmd_err *err);
lmd_status lmd_gguf_set_i32(lmd_gguf_writer *w, const char *key, int32_t v, lmd_err *err);
lmd_status lmd_gguf_set_u64(lmd_gguf_writer *w, const char *key, uint64_t v, lmd_err *err);
lmd_status lmd_gguf_set_f32(lmd_gguf_writer *w, const char *key, float v, lmd_err *err);
lmd_status lmd_gguf_set_bool(lmd_gguf_writer *w, const char *key, bool v, lmd_err *err);
lmd_status lmd_gguf_set_str(lmd_gguf_writer *w, const char *key, lmd_str v, lmd_err *err);
/* Array of numbers/bools: n elements of elem_type packed little-endian in data (copied). */
lmd_status lmd_gguf_set_arr(lmd_gguf_writer *w, const char *key, lmd_gguf_type elem_type,
                            const void *data, uint64_t n, lmd_err *err);
lmd_status lmd_gguf_set_arr_str(lmd_gguf_writer *w, const char *key, const lmd_str *strs,
                                uint64_t n, lmd_err *err);
/* Copies key `key` (any type, nested arrays too) from a reader. */
lmd_status lmd_gguf_copy_kv(lmd_gguf_writer *w, const lmd_gguf *src, int64_t idx, lmd_err *err);
/* Adds a tensor; data (n_bytes = row_bytes * rows) is borrowed until write returns. */
lmd_status lmd_gguf_add_tensor(lmd_gguf_writer *w, const char *name, lmd_type type, int n_dims,
                               const int64_t ne[4], const void *data, lmd_err *err);
/* Produces rows [row0, row0 + n_rows) of a tensor's data into dst (n_rows whole rows of
 * ne[0] elements; rows are counted over ne[1] * ne[2] * ne[3]). Called during the write, in
 * row order, in chunks of a few MiB; a failure aborts the write (no file is left). */
typedef lmd_status (*lmd_gguf_fill_fn)(void *ctx, void *dst, int64_t row0, int64_t n_rows,
                                       lmd_err *err);
/* Adds a tensor whose data is produced by fill(ctx, ...) at write time, so a file larger than
 * memory can be written (quantize, genmodel). ctx is borrowed until write returns. */
lmd_status lmd_gguf_add_tensor_fill(lmd_gguf_writer *w, const char *name, lmd_type type,
                                    int n_dims, const int64_t ne[4], lmd_gguf_fill_fn fill,
                                    void *ctx, lmd_err *err);
lmd_status lmd_gguf_writer_write(lmd_gguf_writer *w, const char *path, lmd_err *err);
/* The same bytes as writer_write, into a new heap buffer (*out, *len; free with free()). */
lmd_status lmd_gguf_writer_to_memory(lmd_gguf_writer *w, uint8_t **out, size_t *len,
                                     lmd_err *err);

#endif
