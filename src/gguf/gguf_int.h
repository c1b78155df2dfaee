/* gguf_int.h — the reader's internal state, shared by read.c (parsing, validation), query.c
 * (lookups, typed getters) and write.c (copying values out of a reader). Not for other modules. */
#ifndef LMD_GGUF_INT_H
#define LMD_GGUF_INT_H

#include "gguf/gguf.h"

#define LMD_GGUF_MAGIC 0x46554747u          /* "GGUF" read as a little-endian u32 */
#define LMD_GGUF_DEFAULT_ALIGNMENT 32
#define LMD_GGUF_MAX_ALIGNMENT (1u << 20)   /* sane bound: more only wastes padding */
#define LMD_GGUF_MAX_KEY_BYTES 65535        /* GGUF spec: keys are at most 2^16-1 bytes */
#define LMD_GGUF_MAX_NAME_BYTES 63          /* ggml's GGML_MAX_NAME - 1: llama.cpp rejects more */

typedef struct {
    lmd_str key;
    lmd_gguf_value val;
    size_t key_offset;  /* absolute offset of the key's length field */
    size_t type_offset; /* absolute offset of the value's type field */
    size_t end_offset;  /* one past the value's last byte: [type_offset, end) is the raw value */
} lmd_gguf_kv;

/* Open-addressing index from a name to (position + 1); 0 marks an empty slot. */
typedef struct {
    uint32_t *slots;
    size_t cap; /* power of two, at least twice the entries */
} lmd_gguf_index;

struct lmd_gguf {
    char *path;              /* owned copy of the file name (or the memory buffer's name) */
    const uint8_t *base;     /* the bytes: our mapping, or the caller's buffer */
    size_t len;
    void *map;               /* non-NULL when we own an mmap of map_len bytes */
    size_t map_len;
    uint32_t version;
    size_t alignment;
    size_t data_offset;
    lmd_gguf_limits lim;
    int64_t n_kv;
    lmd_gguf_kv *kv;
    int64_t n_tensors;
    lmd_gguf_tensor *tensors;
    lmd_gguf_index kv_index, tensor_index;
};

/* Size in bytes of a fixed-size value type; 0 for STRING, ARRAY and unknown ids. */
size_t lmd_gguf_scalar_bytes(uint32_t type);

/* Hashes a name (FNV-1a). */
uint64_t lmd_gguf_hash(lmd_str s);

/* Position of a key / tensor name, or -1 (hash lookup). */
int64_t lmd_gguf_kv_find(const lmd_gguf *g, lmd_str key);
int64_t lmd_gguf_tensor_find(const lmd_gguf *g, lmd_str name);

/* Raw bytes of value idx as stored in the file: type field through the value's last byte. */
const uint8_t *lmd_gguf_kv_raw(const lmd_gguf *g, int64_t idx, size_t *len);

/* Writes a printable, bounded rendering of an untrusted name into buf (for error messages). */
const char *lmd_gguf_printable(lmd_str s, char *buf, size_t cap);

#endif
