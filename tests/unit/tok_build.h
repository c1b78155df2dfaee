/* tok_build.h — builds metadata-only GGUF vocabularies in memory for the tokenizer tests
 * (valid ones and ones with one specific defect). Test-only code. */
#ifndef LMD_TESTS_TOK_BUILD_H
#define LMD_TESTS_TOK_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

typedef struct {
    uint8_t *p;
    size_t len, cap;
    uint64_t n_kv;
} tb_buf;

static inline void tb_raw(tb_buf *b, const void *s, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}
static inline void tb_u32(tb_buf *b, uint32_t v) { tb_raw(b, &v, 4); } /* little-endian hosts */
static inline void tb_u64(tb_buf *b, uint64_t v) { tb_raw(b, &v, 8); }
static inline void tb_s(tb_buf *b, const char *s) {
    tb_u64(b, strlen(s));
    tb_raw(b, s, strlen(s));
}
static inline void tb_begin(tb_buf *b) {
    memset(b, 0, sizeof *b);
    tb_raw(b, "GGUF", 4);
    tb_u32(b, 3);
    tb_u64(b, 0);  /* tensors */
    tb_u64(b, 0);  /* kv count, patched by tb_end */
}
static inline void tb_key(tb_buf *b, const char *k, uint32_t type) {
    tb_s(b, k);
    tb_u32(b, type);
    b->n_kv++;
}
static inline void tb_str(tb_buf *b, const char *k, const char *v) {
    tb_key(b, k, LMD_GGUF_STRING);
    tb_s(b, v);
}
static inline void tb_i32(tb_buf *b, const char *k, int32_t v) {
    tb_key(b, k, LMD_GGUF_INT32);
    tb_raw(b, &v, 4);
}
static inline void tb_u32k(tb_buf *b, const char *k, uint32_t v) {
    tb_key(b, k, LMD_GGUF_UINT32);
    tb_u32(b, v);
}
static inline void tb_bool(tb_buf *b, const char *k, int v) {
    tb_key(b, k, LMD_GGUF_BOOL);
    uint8_t x = (uint8_t)(v != 0);
    tb_raw(b, &x, 1);
}
static inline void tb_strs(tb_buf *b, const char *k, const char *const *v, size_t n) {
    tb_key(b, k, LMD_GGUF_ARRAY);
    tb_u32(b, LMD_GGUF_STRING);
    tb_u64(b, n);
    for (size_t i = 0; i < n; i++) tb_s(b, v[i]);
}
static inline void tb_f32s(tb_buf *b, const char *k, const float *v, size_t n) {
    tb_key(b, k, LMD_GGUF_ARRAY);
    tb_u32(b, LMD_GGUF_FLOAT32);
    tb_u64(b, n);
    tb_raw(b, v, n * 4);
}
static inline void tb_i32s(tb_buf *b, const char *k, const int32_t *v, size_t n) {
    tb_key(b, k, LMD_GGUF_ARRAY);
    tb_u32(b, LMD_GGUF_INT32);
    tb_u64(b, n);
    tb_raw(b, v, n * 4);
}
static inline void tb_end(tb_buf *b) {
    memcpy(b->p + 16, &b->n_kv, 8);
    while (b->len % 32) tb_raw(b, "", 1);  /* empty, aligned data section */
}

/* Loads a vocabulary from the built bytes; returns the status, *v set on success. */
static inline lmd_status tb_load(tb_buf *b, lmd_vocab **v, lmd_err *err) {
    lmd_gguf *g = NULL;
    *v = NULL;
    lmd_status st = lmd_gguf_open_memory(b->p, b->len, "test.gguf", NULL, &g, err);
    if (st == LMD_OK) st = lmd_vocab_load(g, v, err);
    lmd_gguf_close(g);
    return st;
}

#endif
