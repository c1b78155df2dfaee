/* blocks.c — KV block reference counts, free list, and the prefix cache (hash table of
 * published blocks plus an LRU list of the unreferenced ones). */
#include "engine/blocks.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

lmd_status lmd_blocks_init(lmd_blocks *b, int64_t n_blocks, lmd_err *err) {
    memset(b, 0, sizeof *b);
    if (n_blocks <= 0 || n_blocks > (int64_t)1 << 30)
        return lmd_err_set(err, LMD_E_INVALID, "kv blocks: count %lld out of range",
                           (long long)n_blocks);
    uint64_t cap = 16;
    while (cap < (uint64_t)n_blocks * 2) cap *= 2;
    b->n_blocks = n_blocks;
    b->ref = calloc((size_t)n_blocks, sizeof *b->ref);
    b->is_published = calloc((size_t)n_blocks, sizeof *b->is_published);
    b->hash = calloc((size_t)n_blocks, sizeof *b->hash);
    b->next = calloc((size_t)n_blocks, sizeof *b->next);
    b->prev = calloc((size_t)n_blocks, sizeof *b->prev);
    b->table = malloc((size_t)cap * sizeof *b->table);
    if (!b->ref || !b->is_published || !b->hash || !b->next || !b->prev || !b->table) {
        lmd_blocks_destroy(b);
        return lmd_err_set(err, LMD_E_NOMEM, "kv blocks: out of memory for %lld blocks",
                           (long long)n_blocks);
    }
    b->table_mask = cap - 1;
    for (uint64_t i = 0; i < cap; i++) b->table[i] = -1;
    /* Free list in id order so allocation is deterministic. */
    for (int64_t i = 0; i < n_blocks; i++) b->next[i] = i + 1 < n_blocks ? (int32_t)(i + 1) : -1;
    b->free_head = 0;
    b->n_free = n_blocks;
    b->lru_head = b->lru_tail = -1;
    return LMD_OK;
}

void lmd_blocks_destroy(lmd_blocks *b) {
    free(b->ref);
    free(b->is_published);
    free(b->hash);
    free(b->next);
    free(b->prev);
    free(b->table);
    memset(b, 0, sizeof *b);
}

static uint64_t slot_of(const lmd_blocks *b, const lmd_block_hash *h) {
    uint64_t x;
    memcpy(&x, h->b, sizeof x);
    return x & b->table_mask;
}

static int64_t table_find(const lmd_blocks *b, const lmd_block_hash *h) {
    for (uint64_t i = slot_of(b, h);; i = (i + 1) & b->table_mask) {
        int32_t id = b->table[i];
        if (id < 0) return -1;
        if (!memcmp(b->hash[id].b, h->b, LMD_HASH_BYTES)) return (int64_t)i;
    }
}

/* Linear probing with backward-shift deletion, so no tombstones pile up. */
static void table_remove(lmd_blocks *b, uint64_t i) {
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & b->table_mask;
        int32_t id = b->table[j];
        if (id < 0) break;
        uint64_t k = slot_of(b, &b->hash[id]);
        bool movable = (j > i) ? (k <= i || k > j) : (k <= i && k > j);
        if (movable) {
            b->table[i] = id;
            i = j;
        }
    }
    b->table[i] = -1;
}

static void lru_unlink(lmd_blocks *b, int32_t id) {
    if (b->prev[id] >= 0) b->next[b->prev[id]] = b->next[id];
    else b->lru_head = b->next[id];
    if (b->next[id] >= 0) b->prev[b->next[id]] = b->prev[id];
    else b->lru_tail = b->prev[id];
    b->n_lru--;
}

static void lru_push_tail(lmd_blocks *b, int32_t id) {
    b->next[id] = -1;
    b->prev[id] = b->lru_tail;
    if (b->lru_tail >= 0) b->next[b->lru_tail] = id;
    else b->lru_head = id;
    b->lru_tail = id;
    b->n_lru++;
}

int32_t lmd_blocks_alloc(lmd_blocks *b) {
    int32_t id;
    if (b->free_head >= 0) {
        id = b->free_head;
        b->free_head = b->next[id];
        b->n_free--;
    } else if (b->lru_head >= 0) {
        id = b->lru_head;
        lru_unlink(b, id);
        int64_t slot = table_find(b, &b->hash[id]);
        if (slot >= 0 && b->table[slot] == id) table_remove(b, (uint64_t)slot);
        b->is_published[id] = false;
        b->n_evictions++;
    } else {
        return -1;
    }
    b->ref[id] = 1;
    return id;
}

int32_t lmd_blocks_lookup(lmd_blocks *b, const lmd_block_hash *h) {
    int64_t slot = table_find(b, h);
    if (slot < 0) return -1;
    int32_t id = b->table[slot];
    if (b->ref[id] == 0) lru_unlink(b, id);
    b->ref[id]++;
    b->n_hits++;
    return id;
}

bool lmd_blocks_contains(const lmd_blocks *b, const lmd_block_hash *h) {
    return table_find(b, h) >= 0;
}

void lmd_blocks_publish(lmd_blocks *b, int32_t id, const lmd_block_hash *h) {
    if (b->is_published[id] || table_find(b, h) >= 0) return;
    b->hash[id] = *h;
    b->is_published[id] = true;
    uint64_t i = slot_of(b, h);
    while (b->table[i] >= 0) i = (i + 1) & b->table_mask;
    b->table[i] = id;
}

void lmd_blocks_release(lmd_blocks *b, int32_t id) {
    if (LMD_NEVER(id < 0 || id >= b->n_blocks || b->ref[id] <= 0)) return;
    if (--b->ref[id] > 0) return;
    if (b->is_published[id]) {
        lru_push_tail(b, id);
    } else {
        b->next[id] = b->free_head;
        b->free_head = id;
        b->n_free++;
    }
}

void lmd_block_hash_seed(const char *model_key, lmd_block_hash *out) {
    unsigned int n = 0;
    const char *k = model_key ? model_key : "";
    EVP_Digest(k, strlen(k), out->b, &n, EVP_sha256(), NULL);
}

void lmd_block_hash_next(const lmd_block_hash *prev, const int32_t *tokens, int64_t n,
                         lmd_block_hash *out) {
    uint8_t buf[LMD_HASH_BYTES + 4 * 64];
    memcpy(buf, prev->b, LMD_HASH_BYTES);
    size_t len = LMD_HASH_BYTES;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int64_t i = 0; i < n; i++) {
        uint32_t t = (uint32_t)tokens[i];
        buf[len++] = (uint8_t)t;
        buf[len++] = (uint8_t)(t >> 8);
        buf[len++] = (uint8_t)(t >> 16);
        buf[len++] = (uint8_t)(t >> 24);
        if (len == sizeof buf) {
            EVP_DigestUpdate(ctx, buf, len);
            len = 0;
        }
    }
    EVP_DigestUpdate(ctx, buf, len);
    unsigned int outn = 0;
    EVP_DigestFinal_ex(ctx, out->b, &outn);
    EVP_MD_CTX_free(ctx);
}
