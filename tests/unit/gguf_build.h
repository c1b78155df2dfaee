/* gguf_build.h — builds small GGUF files in memory for the reader's tests and the fuzz corpus.
 *
 * gb_model() writes a valid v3 file with every scalar type, string/number/nested arrays,
 * tokenizer arrays and two tensors (F32 and Q8_0), recording the offsets of the fields the
 * corrupt-input tests patch. Flags swap in specific defects that cannot be made by patching
 * bytes (a wrong-typed array changes the layout after it). Test-only code. */
#ifndef LMD_TESTS_GGUF_BUILD_H
#define LMD_TESTS_GGUF_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *p;
    size_t len, cap;
} gb_buf;

static void gb_raw(gb_buf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void gb_u8(gb_buf *b, uint8_t v) { gb_raw(b, &v, 1); }
static void gb_u32(gb_buf *b, uint32_t v) {
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    gb_raw(b, x, 4);
}
static void gb_u64(gb_buf *b, uint64_t v) {
    gb_u32(b, (uint32_t)v);
    gb_u32(b, (uint32_t)(v >> 32));
}
static void gb_f32(gb_buf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    gb_u32(b, u);
}
static void gb_str(gb_buf *b, const char *s) {
    gb_u64(b, strlen(s));
    gb_raw(b, s, strlen(s));
}
static void gb_key(gb_buf *b, const char *k, uint32_t type) {
    gb_str(b, k);
    gb_u32(b, type);
}
static void gb_put32(gb_buf *b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; i++) b->p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}
static void gb_put64(gb_buf *b, size_t at, uint64_t v) {
    for (int i = 0; i < 8; i++) b->p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

enum {
    GB_DUP_KEY = 1 << 0,          /* general.name twice */
    GB_DUP_TENSOR = 1 << 1,       /* second tensor named like the first */
    GB_TOKENS_INT32 = 1 << 2,     /* tokenizer.ggml.tokens as ARRAY of INT32 */
    GB_SCORES_INT32 = 1 << 3,     /* tokenizer.ggml.scores as ARRAY of INT32 */
    GB_TYPES_UINT8 = 1 << 4,      /* tokenizer.ggml.token_type as ARRAY of UINT8 */
    GB_MERGES_SCALAR = 1 << 5,    /* tokenizer.ggml.merges as a STRING, not an array */
    GB_ALIGN_U64 = 1 << 6,        /* general.alignment as UINT64 */
    GB_DEEP_NEST = 1 << 7,        /* an array nested 9 deep */
    GB_V2 = 1 << 8,               /* version 2 */
};

typedef struct {
    size_t version, n_tensors, n_kv;   /* header fields */
    size_t align_value;                /* general.alignment's u32 */
    size_t bool_value;                 /* some.bool's byte */
    size_t tokens_count;               /* tokenizer.ggml.tokens element count (u64) */
    size_t tokens_str0_len;            /* length of its first string */
    size_t kv_type_u8;                 /* type field of the some.u8 key */
    size_t nested_elem_type;           /* element type field of some.nested */
    size_t t0_name_len, t0_ndims, t0_ne0, t0_ne1, t0_type, t0_offset;
    size_t t1_ndims, t1_ne0, t1_type, t1_offset;
    size_t data;                       /* data section */
} gb_offsets;

/* 3 tokens, vocab arrays, every scalar type, a nested array; tensors:
 * w (F32, 4 x 2, 32 bytes at 0) and q (Q8_0, 32 x 1, 34 bytes at 32). */
static gb_buf gb_model(unsigned flags, gb_offsets *o) {
    gb_buf b = { 0 };
    gb_offsets dummy;
    if (!o) o = &dummy;
    memset(o, 0, sizeof *o);
    gb_u32(&b, 0x46554747u);
    o->version = b.len;
    gb_u32(&b, flags & GB_V2 ? 2 : 3);
    o->n_tensors = b.len;
    gb_u64(&b, 2);
    o->n_kv = b.len;
    gb_u64(&b, 0); /* patched below */
    uint64_t n_kv = 0;

    gb_key(&b, "general.architecture", 8); gb_str(&b, "llama"); n_kv++;
    gb_key(&b, "general.alignment", flags & GB_ALIGN_U64 ? 10 : 4);
    o->align_value = b.len;
    if (flags & GB_ALIGN_U64) gb_u64(&b, 32); else gb_u32(&b, 32);
    n_kv++;
    gb_key(&b, "general.name", 8); gb_str(&b, "tiny"); n_kv++;
    if (flags & GB_DUP_KEY) { gb_key(&b, "general.name", 8); gb_str(&b, "again"); n_kv++; }
    o->kv_type_u8 = b.len + 8 + strlen("some.u8");
    gb_key(&b, "some.u8", 0); gb_u8(&b, 200); n_kv++;
    gb_key(&b, "some.i8", 1); gb_u8(&b, 0xfe); n_kv++;            /* -2 */
    gb_key(&b, "some.u16", 2); gb_u8(&b, 0x34); gb_u8(&b, 0x12); n_kv++;
    gb_key(&b, "some.i16", 3); gb_u8(&b, 0xff); gb_u8(&b, 0xff); n_kv++;  /* -1 */
    gb_key(&b, "some.u32", 4); gb_u32(&b, 4000000000u); n_kv++;
    gb_key(&b, "some.i32", 5); gb_u32(&b, (uint32_t)-7); n_kv++;
    gb_key(&b, "some.f32", 6); gb_f32(&b, 0.5f); n_kv++;
    gb_key(&b, "some.bool", 7); o->bool_value = b.len; gb_u8(&b, 1); n_kv++;
    gb_key(&b, "some.u64", 10); gb_u64(&b, UINT64_MAX); n_kv++;
    gb_key(&b, "some.i64", 11); gb_u64(&b, (uint64_t)INT64_MIN); n_kv++;
    gb_key(&b, "some.f64", 12); { double d = -1.25; uint64_t u; memcpy(&u, &d, 8); gb_u64(&b, u); } n_kv++;
    gb_key(&b, "some.empty", 8); gb_str(&b, ""); n_kv++;

    gb_key(&b, "tokenizer.ggml.tokens", 9);
    if (flags & GB_TOKENS_INT32) {
        gb_u32(&b, 5); gb_u64(&b, 3); gb_u32(&b, 1); gb_u32(&b, 2); gb_u32(&b, 3);
    } else {
        gb_u32(&b, 8);
        o->tokens_count = b.len;
        gb_u64(&b, 3);
        o->tokens_str0_len = b.len;
        gb_str(&b, "<s>"); gb_str(&b, "a"); gb_str(&b, "\xe2\x96\x81" "b");
    }
    n_kv++;
    gb_key(&b, "tokenizer.ggml.scores", 9);
    if (flags & GB_SCORES_INT32) { gb_u32(&b, 5); gb_u64(&b, 3); gb_u32(&b, 0); gb_u32(&b, 1); gb_u32(&b, 2); }
    else { gb_u32(&b, 6); gb_u64(&b, 3); gb_f32(&b, 0); gb_f32(&b, -1); gb_f32(&b, -2.5f); }
    n_kv++;
    gb_key(&b, "tokenizer.ggml.token_type", 9);
    if (flags & GB_TYPES_UINT8) { gb_u32(&b, 0); gb_u64(&b, 3); gb_u8(&b, 3); gb_u8(&b, 1); gb_u8(&b, 1); }
    else { gb_u32(&b, 5); gb_u64(&b, 3); gb_u32(&b, 3); gb_u32(&b, 1); gb_u32(&b, 1); }
    n_kv++;
    if (flags & GB_MERGES_SCALAR) { gb_key(&b, "tokenizer.ggml.merges", 8); gb_str(&b, "a b"); }
    else { gb_key(&b, "tokenizer.ggml.merges", 9); gb_u32(&b, 8); gb_u64(&b, 1); gb_str(&b, "a b"); }
    n_kv++;
    /* [[1, 2], [3]] of INT32, then an array of bools */
    gb_key(&b, "some.nested", 9);
    o->nested_elem_type = b.len;
    gb_u32(&b, 9); gb_u64(&b, 2);
    gb_u32(&b, 5); gb_u64(&b, 2); gb_u32(&b, 1); gb_u32(&b, 2);
    gb_u32(&b, 5); gb_u64(&b, 1); gb_u32(&b, 3);
    n_kv++;
    gb_key(&b, "some.bools", 9); gb_u32(&b, 7); gb_u64(&b, 2); gb_u8(&b, 0); gb_u8(&b, 1); n_kv++;
    if (flags & GB_DEEP_NEST) {
        gb_key(&b, "some.deep", 9);
        for (int d = 0; d < 9; d++) { gb_u32(&b, 9); gb_u64(&b, 1); }
        gb_u32(&b, 5); gb_u64(&b, 0);
        n_kv++;
    }
    gb_put64(&b, o->n_kv, n_kv);

    /* tensor infos */
    o->t0_name_len = b.len;
    gb_str(&b, "w");
    o->t0_ndims = b.len; gb_u32(&b, 2);
    o->t0_ne0 = b.len; gb_u64(&b, 4);
    o->t0_ne1 = b.len; gb_u64(&b, 2);
    o->t0_type = b.len; gb_u32(&b, 0);
    o->t0_offset = b.len; gb_u64(&b, 0);
    gb_str(&b, flags & GB_DUP_TENSOR ? "w" : "q");
    o->t1_ndims = b.len; gb_u32(&b, 1);
    o->t1_ne0 = b.len; gb_u64(&b, 32);
    o->t1_type = b.len; gb_u32(&b, 8);
    o->t1_offset = b.len; gb_u64(&b, 32);
    while (b.len % 32) gb_u8(&b, 0);
    o->data = b.len;
    for (int i = 0; i < 8; i++) gb_f32(&b, (float)i);
    /* Q8_0 block: fp16 scale 1.0 then 32 int8 */
    gb_u8(&b, 0x00); gb_u8(&b, 0x3c);
    for (int i = 0; i < 32; i++) gb_u8(&b, (uint8_t)i);
    /* No trailing padding: every truncation then cuts something the reader needs. */
    return b;
}

#endif
