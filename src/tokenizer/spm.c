/* spm.c — SentencePiece BPE as llama.cpp runs it: start from UTF-8 characters, repeatedly merge
 * the adjacent pair whose concatenation is the token with the highest score (ties: leftmost),
 * using a heap of candidate pairs; pieces that are not tokens fall back to byte tokens. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"
#include "tokenizer/unicode.h"

typedef struct {
    int64_t prev, next;
    size_t start, n;
} sym;

typedef struct {
    float score;
    int64_t left, right;
    size_t size;
} bigram;

/* Heap order: higher score first, then lower left index. */
static bool before(const bigram *a, const bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct {
    bigram *h;
    int64_t n, cap;
    bool oom;
} heap;

/* Grows on demand: the number of live candidates is far below its bound (3 per character). */
static void heap_push(heap *q, bigram b) {
    if (q->n == q->cap) {
        int64_t cap = q->cap * 2 + 64;
        bigram *nh = realloc(q->h, (size_t)cap * sizeof *nh);
        if (!nh) {
            q->oom = true;
            return;
        }
        q->h = nh;
        q->cap = cap;
    }
    bigram *h = q->h;
    int64_t i = q->n++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!before(&b, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = b;
}

static bigram heap_pop(heap *q) {
    bigram *h = q->h;
    int64_t *n = &q->n;
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

static void try_add(const lmd_vocab *v, const char *text, sym *s, int64_t l, int64_t r, heap *q) {
    if (l < 0 || r < 0) return;
    int32_t id = lmd_vocab_find(v, text + s[l].start, s[l].n + s[r].n);
    if (id < 0) return;
    heap_push(q, (bigram){ v->score[id], l, r, s[l].n + s[r].n });
}

static lmd_status spm_encode_span(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out);

static bool is_ws_mark(const char *p) { return memcmp(p, "\xe2\x96\x81", 3) == 0; }

/* True when no token has U+2581 right after a character that is not U+2581: then no token can
 * span a point where a word starts, merges never cross it, and the words can be encoded one by
 * one with the same result as the whole text at once (and far less heap traffic). */
bool lmd_spm_words_independent(const lmd_vocab *v) {
    for (int32_t id = 0; id < v->n; id++) {
        const char *t = v->arena + v->off[id];
        for (size_t k = 3; k + 3 <= v->len[id]; k++)
            if (is_ws_mark(t + k) && !is_ws_mark(t + k - 3)) return false;
    }
    return true;
}

lmd_status lmd_spm_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out) {
    if (!v->spm_split) return spm_encode_span(v, text, len, out);
    /* Cut where a U+2581 character follows a character that is not U+2581, walking the same
     * character boundaries (lead-byte lengths) the merge step uses. */
    size_t start = 0;
    bool prev_mark = false;
    for (size_t off = 0; off < len;) {
        size_t cl = lmd_utf8_len((uint8_t)text[off]);
        if (cl > len - off) cl = len - off;
        bool mark = cl == 3 && is_ws_mark(text + off);
        if (mark && off > 0 && !prev_mark) {
            lmd_status st = spm_encode_span(v, text + start, off - start, out);
            if (st != LMD_OK) return st;
            start = off;
        }
        prev_mark = mark;
        off += cl;
    }
    return spm_encode_span(v, text + start, len - start, out);
}

static lmd_status spm_encode_span(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out) {
    if (len == 0) return LMD_OK;
    sym *s = malloc(len * sizeof *s);
    heap q = { 0 };
    if (!s) return LMD_E_NOMEM;
    int64_t n = 0;
    for (size_t off = 0; off < len;) {
        size_t cl = lmd_utf8_len((uint8_t)text[off]);
        if (cl > len - off) cl = len - off;
        s[n] = (sym){ n - 1, off + cl == len ? -1 : n + 1, off, cl };
        off += cl;
        n++;
    }
    for (int64_t i = 1; i < n; i++) try_add(v, text, s, i - 1, i, &q);
    while (q.n > 0 && !q.oom) {
        bigram b = heap_pop(&q);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;  /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s[r->next].prev = b.left;
        try_add(v, text, s, l->prev, b.left, &q);
        try_add(v, text, s, b.left, l->next, &q);
    }
    if (q.oom) {
        free(s);
        free(q.h);
        return LMD_E_NOMEM;
    }
    for (int64_t i = 0; i != -1; i = s[i].next) {
        int32_t id = lmd_vocab_find(v, text + s[i].start, s[i].n);
        if (id >= 0) {
            lmd_ids_push(out, id);
            continue;
        }
        /* Not a token: its bytes as byte tokens (llama.cpp throws when a byte token is
         * missing; lmd uses the unknown token, or drops the byte when there is none). */
        for (size_t k = 0; k < s[i].n; k++) {
            int32_t bid = v->byte_id[(uint8_t)text[s[i].start + k]];
            if (bid < 0) bid = v->unk;
            if (bid >= 0) lmd_ids_push(out, bid);
        }
    }
    free(s);
    free(q.h);
    return out->oom ? LMD_E_NOMEM : LMD_OK;
}
