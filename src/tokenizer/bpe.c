/* bpe.c — byte-level BPE as llama.cpp runs it: the pre-tokenizer splits the text into
 * byte-encoded words; in each word, the adjacent pair with the lowest merge rank (ties:
 * leftmost) is merged until none is left, from a heap of candidate pairs (not the quadratic
 * rescan); pieces that are not tokens fall back to single-byte tokens where they exist. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"
#include "tokenizer/unicode.h"

typedef struct {
    int64_t prev, next;
    size_t start, n;
    int32_t id;
} sym;

typedef struct {
    int32_t rank;
    int64_t left, right;
    size_t size;
} bigram;

static bool before(const bigram *a, const bigram *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(bigram *h, int64_t *n, bigram b) {
    int64_t i = (*n)++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!before(&b, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = b;
}

static bigram heap_pop(bigram *h, int64_t *n) {
    bigram top = h[0], last = h[--*n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && before(&h[c + 1], &h[c])) c++;
        if (!before(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0) h[i] = last;
    return top;
}

typedef struct {
    const lmd_vocab *v;
    lmd_ids *out;
    sym *s;
    bigram *h;
    size_t cap;  /* bytes the scratch arrays are sized for */
} bpe_ctx;

static void try_add(bpe_ctx *c, int64_t l, int64_t r, int64_t *nh) {
    if (l < 0 || r < 0) return;
    int32_t rank = lmd_vocab_merge_rank(c->v, c->s[l].id, c->s[r].id);
    if (rank < 0) return;
    heap_push(c->h, nh, (bigram){ rank, l, r, c->s[l].n + c->s[r].n });
}

static lmd_status bpe_word(void *ctx, const char *w, size_t len) {
    bpe_ctx *c = ctx;
    const lmd_vocab *v = c->v;
    if (v->ignore_merges) {
        int32_t id = lmd_vocab_find(v, w, len);
        if (id >= 0) {
            lmd_ids_push(c->out, id);
            return c->out->oom ? LMD_E_NOMEM : LMD_OK;
        }
    }
    if (len > c->cap) {
        size_t cap = len * 2;
        sym *ns = realloc(c->s, cap * sizeof *ns);
        if (!ns) return LMD_E_NOMEM;
        c->s = ns;
        bigram *nb = realloc(c->h, (3 * cap + 4) * sizeof *nb);
        if (!nb) return LMD_E_NOMEM;
        c->h = nb;
        c->cap = cap;
    }
    sym *s = c->s;
    int64_t n = 0, nh = 0;
    for (size_t off = 0; off < len;) {
        size_t cl = lmd_utf8_len((uint8_t)w[off]);
        if (cl > len - off) cl = len - off;
        s[n] = (sym){ n - 1, off + cl == len ? -1 : n + 1, off, cl, lmd_vocab_find(v, w + off, cl) };
        off += cl;
        n++;
    }
    for (int64_t i = 1; i < n; i++) try_add(c, i - 1, i, &nh);
    while (nh > 0) {
        bigram b = heap_pop(c->h, &nh);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;  /* stale */
        l->n += r->n;
        l->id = v->mres[b.rank];
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s[r->next].prev = b.left;
        try_add(c, l->prev, b.left, &nh);
        try_add(c, b.left, l->next, &nh);
    }
    for (int64_t i = 0; i < n; i++) {
        if (s[i].n == 0) continue;
        if (s[i].id >= 0) {
            lmd_ids_push(c->out, s[i].id);
            continue;
        }
        for (size_t k = 0; k < s[i].n; k++) {
            int32_t bid = v->byte_id[(uint8_t)w[s[i].start + k]];
            if (bid >= 0) lmd_ids_push(c->out, bid);
        }
    }
    return c->out->oom ? LMD_E_NOMEM : LMD_OK;
}

lmd_status lmd_bpe_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out,
                          lmd_err *err) {
    bpe_ctx c = { v, out, NULL, NULL, 0 };
    lmd_status st = lmd_pretok_split(v->pre, text, len, 1, bpe_word, &c, err);
    free(c.s);
    free(c.h);
    if (st == LMD_E_NOMEM) return lmd_err_set(err, st, "tokenizer: out of memory");
    return st;
}
