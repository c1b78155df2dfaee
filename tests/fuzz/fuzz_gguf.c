/* fuzz_gguf.c — libFuzzer target for the GGUF reader: any byte string must either open (and
 * then every value, array element and tensor byte it hands out must be readable) or fail
 * with an error message; never crash, hang, leak or read out of bounds. An accepted file is
 * also copied through the writer: the copy must open with the same keys and tensors, and
 * copying the copy must give the same bytes. Run with scripts/fuzz.sh (make fuzz). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

static volatile uint64_t sink;

static void touch_value(const lmd_gguf_value *v) {
    switch (v->type) {
    case LMD_GGUF_STRING:
        for (size_t i = 0; i < v->s.len; i++) sink += (uint8_t)v->s.ptr[i];
        break;
    case LMD_GGUF_ARRAY:
        for (uint64_t i = 0; i < v->arr.n; i++) {
            if (v->arr.strs) sink += v->arr.strs[i].len ? (uint8_t)v->arr.strs[i].ptr[v->arr.strs[i].len - 1] : 0;
            else if (v->arr.items) touch_value(&v->arr.items[i]);
            else sink += (uint64_t)lmd_gguf_arr_int(v, i) + (uint64_t)(lmd_gguf_arr_float(v, i) != 0);
        }
        break;
    default: sink += v->u; break;
    }
}

/* Copies every key and tensor into a writer; 0 when a name cannot be a C string. */
static int copy_out(const lmd_gguf *g, uint8_t **out, size_t *len) {
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    lmd_err err = { 0 };
    int ok = w != NULL;
    for (int64_t i = 0; ok && i < lmd_gguf_n_kv(g); i++)
        if (lmd_gguf_copy_kv(w, g, i, &err) != LMD_OK) abort();
    for (int64_t i = 0; ok && i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        char name[64];
        memcpy(name, t->name.ptr, t->name.len);
        name[t->name.len] = '\0';
        if (memchr(name, '\0', t->name.len)) { ok = 0; break; }
        if (lmd_gguf_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, &err)) abort();
    }
    if (ok && lmd_gguf_writer_to_memory(w, out, len, &err) != LMD_OK) abort();
    lmd_gguf_writer_free(w);
    return ok;
}

static void check_round_trip(const lmd_gguf *g) {
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    if (!copy_out(g, &a, &alen)) return;
    lmd_gguf *g2 = NULL;
    lmd_err err = { 0 };
    if (lmd_gguf_open_memory(a, alen, "copy.gguf", NULL, &g2, &err) != LMD_OK) abort();
    if (lmd_gguf_n_kv(g2) != lmd_gguf_n_kv(g) || lmd_gguf_n_tensors(g2) != lmd_gguf_n_tensors(g))
        abort();
    for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *x = lmd_gguf_tensor_at(g, i), *y = lmd_gguf_tensor_at(g2, i);
        if (x->n_bytes != y->n_bytes || memcmp(x->data, y->data, x->n_bytes)) abort();
    }
    if (!copy_out(g2, &b, &blen) || alen != blen || memcmp(a, b, alen)) abort();
    lmd_gguf_close(g2);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    lmd_gguf_limits lim = { .max_array_len = 1 << 16, .max_string_bytes = 1 << 16 };
    if (lmd_gguf_open_memory(data, size, "fuzz.gguf", &lim, &g, &err) != LMD_OK) {
        if (!err.msg[0]) abort(); /* every failure must say why */
        return 0;
    }
    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        lmd_str k = lmd_gguf_kv_key(g, i);
        sink += k.len;
        touch_value(lmd_gguf_kv_value(g, i));
    }
    for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        if (t->n_bytes) sink += ((const uint8_t *)t->data)[0] + ((const uint8_t *)t->data)[t->n_bytes - 1];
        char name[64];
        memcpy(name, t->name.ptr, t->name.len);
        name[t->name.len] = '\0';
        if (!memchr(name, '\0', t->name.len) && lmd_gguf_find_tensor(g, name) != t) abort();
    }
    check_round_trip(g);
    lmd_gguf_close(g);
    return 0;
}
