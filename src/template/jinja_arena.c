/* jinja_arena.c — the capped bump allocator behind one parse or one render, and the capped
 * growable output buffer. Everything a render builds is freed at once when it ends. */
#include <stdlib.h>
#include <string.h>

#include "template/jinja_int.h"

struct jx_chunk {
    jx_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

#define JX_CHUNK_BYTES ((size_t)64 << 10)

void *jx_arena_alloc(jx_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    jx_chunk *h = a->head;
    if (!h || h->size - h->used < n) {
        size_t size = n > JX_CHUNK_BYTES ? n : JX_CHUNK_BYTES;
        if (size > a->cap_bytes || a->used_bytes > a->cap_bytes - size) return NULL;
        h = malloc(sizeof *h + size);
        if (!h) return NULL;
        h->next = a->head;
        h->used = 0;
        h->size = size;
        a->head = h;
        a->used_bytes += size;
    }
    void *p = h->data + h->used;
    h->used += n;
    memset(p, 0, n);
    return p;
}

void jx_arena_free(jx_arena *a) {
    jx_chunk *h = a->head;
    while (h) {
        jx_chunk *next = h->next;
        free(h);
        h = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

/* Output buffers live on the heap (not the arena) so growing them does not leave copies. */
bool jx_buf_put(jx_ctx *c, jx_buf *b, const char *p, size_t n) {
    if (n == 0) return true;
    if (n > b->max || b->n > b->max - n) {
        jx_fail(c, NULL, LMD_E_LIMIT, "output exceeds %zu bytes", b->max);
        return false;
    }
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            jx_fail(c, NULL, LMD_E_NOMEM, "out of memory growing output to %zu bytes", cap);
            return false;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

bool jx_buf_putc(jx_ctx *c, jx_buf *b, char ch) { return jx_buf_put(c, b, &ch, 1); }

bool jx_buf_puts(jx_ctx *c, jx_buf *b, const char *s) { return jx_buf_put(c, b, s, strlen(s)); }
