/* blocks.h — the engine's KV block accounting and prefix cache (engine-internal).
 *
 * Blocks are ids 0..n_blocks-1 of the model's KV pool. Each has a reference count; a block
 * whose content is a full, computed block can be published under its prefix hash. Released
 * blocks go to the free list, or, when published, to an LRU list from which they can be
 * found again (cache hit) or evicted for reuse (oldest first). No allocation after init. */
#ifndef LMD_ENGINE_BLOCKS_H
#define LMD_ENGINE_BLOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define LMD_HASH_BYTES 32

typedef struct {
    uint8_t b[LMD_HASH_BYTES];
} lmd_block_hash;

typedef struct {
    int64_t n_blocks;
    int32_t *ref;             /* (n_blocks) reference counts */
    bool *is_published;       /* (n_blocks) */
    lmd_block_hash *hash;     /* (n_blocks) valid when published */
    int32_t *next, *prev;     /* (n_blocks) links: free list (next only) or LRU list */
    int32_t free_head;
    int64_t n_free;
    int32_t lru_head, lru_tail;   /* head = least recently used */
    int64_t n_lru;
    int32_t *table;           /* open addressing: block id or -1 */
    uint64_t table_mask;
    uint64_t n_hits, n_evictions;
} lmd_blocks;

lmd_status lmd_blocks_init(lmd_blocks *b, int64_t n_blocks, lmd_err *err);
void lmd_blocks_destroy(lmd_blocks *b);

/* Blocks that can be handed out now: free plus evictable cached ones. */
static inline int64_t lmd_blocks_available(const lmd_blocks *b) { return b->n_free + b->n_lru; }

/* Takes a block (ref 1): a free one, else evicts the least recently used cached one.
 * Returns -1 when none. */
int32_t lmd_blocks_alloc(lmd_blocks *b);
/* Finds a published block by hash and takes a reference to it; -1 when not cached. */
int32_t lmd_blocks_lookup(lmd_blocks *b, const lmd_block_hash *h);
/* True when a block with this hash is cached (no reference taken). */
bool lmd_blocks_contains(const lmd_blocks *b, const lmd_block_hash *h);
/* Publishes a full, computed block under h (no-op when h is already cached or the block is
 * already published). */
void lmd_blocks_publish(lmd_blocks *b, int32_t id, const lmd_block_hash *h);
/* Drops one reference; at zero the block becomes free or (published) most recently used. */
void lmd_blocks_release(lmd_blocks *b, int32_t id);

/* Chained prefix hash: out = SHA-256(prev || tokens as little-endian int32), where prev is
 * the previous block's hash, or for the first block SHA-256 of the model key. */
void lmd_block_hash_seed(const char *model_key, lmd_block_hash *out);
void lmd_block_hash_next(const lmd_block_hash *prev, const int32_t *tokens, int64_t n,
                         lmd_block_hash *out);

#endif
