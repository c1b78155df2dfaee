/* kv.h — the paged KV cache: fixed 16-token blocks from one pool per model.
 *
 * Every sequence has a block table (logical block i -> physical block id); a token at
 * position p of a sequence lives in slot p % 16 of block table[p / 16]. Blocks come from a
 * free list and carry reference counts, so sequences can share a prefix (lmd_kv_seq_fork);
 * writing into a shared, partially filled block copies it first (copy on write). All memory
 * (K/V storage, block tables, free list) is allocated once by lmd_kv_create; nothing here
 * allocates afterwards. Not thread-safe: the engine thread that owns the model context calls
 * it between decode steps. Prefix hashing (reusing blocks across requests) is not done yet.
 *
 * Storage layout, per layer: K is (n_blocks, 16, n_embd_k) and V is (n_blocks, 16, n_embd_v),
 * elements of type F32 or F16, where n_embd_k = n_kv_head * head_dim_k. */
#ifndef LMD_KV_H
#define LMD_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/types.h"
#include "util/err.h"

#define LMD_KV_BLOCK_TOKENS 16

typedef struct lmd_kv lmd_kv;

typedef struct {
    int64_t n_layer;    /* layers that store K/V */
    int64_t n_embd_k;   /* K elements per token per layer (n_kv_head * head_dim_k) */
    int64_t n_embd_v;   /* V elements per token per layer */
    int64_t n_ctx;      /* max tokens of one sequence (rounded up to whole blocks) */
    int64_t n_seq_max;  /* max sequences alive at once */
    int64_t n_blocks;   /* blocks in the pool; 0 = n_seq_max * ceil(n_ctx / 16) */
    lmd_type type;      /* LMD_TYPE_F16 or LMD_TYPE_F32 (0 = F32, the enum's zero) */
} lmd_kv_params;

/* ---- lifecycle ---- */

/* Allocates the pool. LMD_E_INVALID for a bad parameter, LMD_E_NOMEM / LMD_E_LIMIT when the
 * sizes overflow or cannot be allocated. */
lmd_status lmd_kv_create(const lmd_kv_params *p, lmd_kv **out, lmd_err *err);
void lmd_kv_free(lmd_kv *kv);  /* accepts NULL */

/* ---- queries ---- */
const lmd_kv_params *lmd_kv_params_of(const lmd_kv *kv);  /* with defaults filled in */
int64_t lmd_kv_n_blocks(const lmd_kv *kv);
int64_t lmd_kv_n_free_blocks(const lmd_kv *kv);
size_t lmd_kv_bytes(const lmd_kv *kv);                     /* K + V storage */
int32_t lmd_kv_block_refs(const lmd_kv *kv, int32_t block); /* 0 = free; -1 bad id */

/* Sequences are ids 0..n_seq_max-1. */
bool lmd_kv_seq_alive(const lmd_kv *kv, int32_t seq);
int64_t lmd_kv_seq_len(const lmd_kv *kv, int32_t seq);     /* tokens stored; -1 if not alive */
/* The block table of a sequence (valid until the next call that changes the sequence);
 * *n = blocks in it. NULL when the sequence is not alive. */
const int32_t *lmd_kv_seq_blocks(const lmd_kv *kv, int32_t seq, int64_t *n);

/* ---- sequence operations ---- */

/* A new empty sequence; LMD_E_LIMIT when n_seq_max are alive. */
lmd_status lmd_kv_seq_add(lmd_kv *kv, int32_t *seq, lmd_err *err);
/* Drops a sequence and its block references (blocks whose count reaches 0 go back to the
 * free list). No-op for a sequence that is not alive. */
void lmd_kv_seq_free(lmd_kv *kv, int32_t seq);
/* A new sequence sharing all of src's blocks (reference counts +1); takes no new block. */
lmd_status lmd_kv_seq_fork(lmd_kv *kv, int32_t src, int32_t *dst, lmd_err *err);
/* Shortens a sequence to n tokens (n <= len), releasing whole blocks past the end. */
lmd_status lmd_kv_seq_truncate(lmd_kv *kv, int32_t seq, int64_t n, lmd_err *err);

/* Blocks that growing seq to new_len tokens would take from the free list (new blocks plus a
 * copy of a shared last block). -1 when seq is not alive or new_len exceeds n_ctx. */
int64_t lmd_kv_blocks_needed(const lmd_kv *kv, int32_t seq, int64_t new_len);
/* Makes room for new_len tokens: allocates blocks, copies a shared partially filled last
 * block (copy on write), and sets the length to new_len. The slots past the old length are
 * then the caller's to fill (lmd_kv_k / lmd_kv_v). LMD_E_LIMIT (nothing changed) when the
 * pool lacks blocks or new_len exceeds n_ctx; LMD_E_INVALID for a dead sequence or a
 * new_len below the current length. */
lmd_status lmd_kv_seq_grow(lmd_kv *kv, int32_t seq, int64_t new_len, lmd_err *err);

/* ---- data access (the forward pass) ---- */

/* Start of the K (V) data of physical block `block` in layer `layer`: 16 rows of n_embd_k
 * (n_embd_v) elements of the cache type, row r = slot r. */
void *lmd_kv_block_k(const lmd_kv *kv, int64_t layer, int32_t block);
void *lmd_kv_block_v(const lmd_kv *kv, int64_t layer, int32_t block);
/* K (V) row of the token at position pos of seq in layer (pos < seq length). */
void *lmd_kv_k(const lmd_kv *kv, int64_t layer, int32_t seq, int64_t pos);
void *lmd_kv_v(const lmd_kv *kv, int64_t layer, int32_t seq, int64_t pos);

#endif
