/* goarena.c — the two memory helpers of the Go-template interpreter: a bump arena freed
 * whole (parse trees live in the template's, values in one arena per render) and a
 * growable output buffer with a hard cap (over the cap it stops and remembers why). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl_int.h"

struct go_arena_block {
    go_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *go_alloc(go_arena *a, size_t bytes) {
    bytes = (bytes + 15) & ~(size_t)15;
    if (bytes == 0) bytes = 16;
    go_arena_block *b = a->head;
    if (!b || b->size - b->used < bytes) {
        size_t size = bytes > 65536 ? bytes : 65536;
        if (a->cap_bytes && (a->used_bytes + size > a->cap_bytes)) return NULL;
        b = malloc(sizeof *b + size);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = size;
        a->head = b;
        a->used_bytes += size;
    }
    void *p = b->data + b->used;
    b->used += bytes;
    memset(p, 0, bytes);
    return p;
}

char *go_strndup(go_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX) return NULL;
    char *d = go_alloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void go_arena_free(go_arena *a) {
    go_arena_block *b = a->head;
    while (b) {
        go_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

void go_buf_put(go_buf *b, const char *s, size_t n) {
    if (b->failed || n == 0) return;
    if (n > b->max_bytes || b->len > b->max_bytes - n) {
        b->failed = b->over_cap = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->failed = true; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void go_buf_puts(go_buf *b, const char *s) { go_buf_put(b, s, strlen(s)); }
void go_buf_putc(go_buf *b, char c) { go_buf_put(b, &c, 1); }

void go_buf_printf(go_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { go_buf_put(b, tmp, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    if (!big) { b->failed = true; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    go_buf_put(b, big, (size_t)n);
    free(big);
}
