/* kv.c — the paged KV cache: block pool, free list, reference counts, block tables.
 * See kv.h for the layout. Everything is allocated in lmd_kv_create; the operations only move
 * block ids between the free list and the block tables. */
#include "kv/kv.h"

#include <stdlib.h>
#include <string.h>

#include "util/ovf.h"

struct lmd_kv {
    lmd_kv_params p;
    size_t elt;              /* bytes per element (2 or 4) */
    size_t k_block_bytes;    /* 16 * n_embd_k * elt */
    size_t v_block_bytes;
    size_t k_layer_bytes;    /* n_blocks * k_block_bytes */
    size_t v_layer_bytes;
    uint8_t *k;              /* (n_layer, n_blocks, 16, n_embd_k) */
    uint8_t *v;              /* (n_layer, n_blocks, 16, n_embd_v) */
    int32_t *refs;           /* (n_blocks) reference counts, 0 = on the free list */
    int32_t *free_list;      /* stack of free block ids; top at n_free - 1 */
    int64_t n_free;
    int64_t max_blocks_per_seq;
    int32_t *tables;         /* (n_seq_max, max_blocks_per_seq) */
    int64_t *seq_len;        /* (n_seq_max) tokens stored; -1 = not alive */
};

static int64_t blocks_for(int64_t n_tokens) {
    return (n_tokens + LMD_KV_BLOCK_TOKENS - 1) / LMD_KV_BLOCK_TOKENS;
}

lmd_status lmd_kv_create(const lmd_kv_params *p, lmd_kv **out, lmd_err *err) {
    *out = NULL;
    if (!p || p->n_layer <= 0 || p->n_embd_k <= 0 || p->n_embd_v <= 0 || p->n_ctx <= 0 ||
        p->n_seq_max <= 0 || p->n_blocks < 0 || p->n_seq_max > INT32_MAX)
        return lmd_err_set(err, LMD_E_INVALID, "kv: bad parameters (layers, embd, ctx, seqs "
                                               "must be > 0)");
    if (p->type != LMD_TYPE_F32 && p->type != LMD_TYPE_F16)
        return lmd_err_set(err, LMD_E_INVALID, "kv: cache type %s not supported (f32, f16)",
                           lmd_type_name(p->type));
    lmd_kv *kv = calloc(1, sizeof *kv);
    if (!kv) return lmd_err_set(err, LMD_E_NOMEM, "kv: out of memory");
    kv->p = *p;
    kv->max_blocks_per_seq = blocks_for(p->n_ctx);
    kv->p.n_ctx = kv->max_blocks_per_seq * LMD_KV_BLOCK_TOKENS;
    if (kv->p.n_blocks == 0) {
        if (lmd_mul_i64(p->n_seq_max, kv->max_blocks_per_seq, &kv->p.n_blocks)) goto too_big;
    }
    if (kv->p.n_blocks > INT32_MAX) goto too_big;
    kv->elt = p->type == LMD_TYPE_F16 ? 2 : 4;
    size_t rows = LMD_KV_BLOCK_TOKENS, tmp;
    if (lmd_mul_size(rows * kv->elt, (size_t)p->n_embd_k, &kv->k_block_bytes) ||
        lmd_mul_size(rows * kv->elt, (size_t)p->n_embd_v, &kv->v_block_bytes) ||
        lmd_mul_size(kv->k_block_bytes, (size_t)kv->p.n_blocks, &kv->k_layer_bytes) ||
        lmd_mul_size(kv->v_block_bytes, (size_t)kv->p.n_blocks, &kv->v_layer_bytes) ||
        lmd_mul_size(kv->k_layer_bytes, (size_t)p->n_layer, &tmp) ||
        lmd_mul_size(kv->v_layer_bytes, (size_t)p->n_layer, &tmp))
        goto too_big;
    kv->k = calloc((size_t)p->n_layer, kv->k_layer_bytes);
    kv->v = calloc((size_t)p->n_layer, kv->v_layer_bytes);
    kv->refs = calloc((size_t)kv->p.n_blocks, sizeof *kv->refs);
    kv->free_list = malloc((size_t)kv->p.n_blocks * sizeof *kv->free_list);
    kv->tables = calloc((size_t)p->n_seq_max * (size_t)kv->max_blocks_per_seq,
                        sizeof *kv->tables);
    kv->seq_len = malloc((size_t)p->n_seq_max * sizeof *kv->seq_len);
    if (!kv->k || !kv->v || !kv->refs || !kv->free_list || !kv->tables || !kv->seq_len) {
        lmd_err_set(err, LMD_E_NOMEM, "kv: cannot allocate %lld blocks of %zu bytes",
                    (long long)kv->p.n_blocks, kv->k_block_bytes + kv->v_block_bytes);
        lmd_kv_free(kv);
        return LMD_E_NOMEM;
    }
    /* Lowest ids on top of the stack, so allocation order is deterministic and easy to test. */
    for (int64_t i = 0; i < kv->p.n_blocks; i++)
        kv->free_list[i] = (int32_t)(kv->p.n_blocks - 1 - i);
    kv->n_free = kv->p.n_blocks;
    for (int64_t s = 0; s < p->n_seq_max; s++) kv->seq_len[s] = -1;
    *out = kv;
    return LMD_OK;
too_big:
    free(kv);
    return lmd_err_set(err, LMD_E_LIMIT, "kv: cache size overflows (ctx %lld, seqs %lld, "
                       "blocks %lld)", (long long)p->n_ctx, (long long)p->n_seq_max,
                       (long long)p->n_blocks);
}

void lmd_kv_free(lmd_kv *kv) {
    if (!kv) return;
    free(kv->k);
    free(kv->v);
    free(kv->refs);
    free(kv->free_list);
    free(kv->tables);
    free(kv->seq_len);
    free(kv);
}

const lmd_kv_params *lmd_kv_params_of(const lmd_kv *kv) { return &kv->p; }
int64_t lmd_kv_n_blocks(const lmd_kv *kv) { return kv->p.n_blocks; }
int64_t lmd_kv_n_free_blocks(const lmd_kv *kv) { return kv->n_free; }
size_t lmd_kv_bytes(const lmd_kv *kv) {
    return (kv->k_layer_bytes + kv->v_layer_bytes) * (size_t)kv->p.n_layer;
}

int32_t lmd_kv_block_refs(const lmd_kv *kv, int32_t block) {
    if (block < 0 || block >= kv->p.n_blocks) return -1;
    return kv->refs[block];
}

bool lmd_kv_seq_alive(const lmd_kv *kv, int32_t seq) {
    return seq >= 0 && seq < kv->p.n_seq_max && kv->seq_len[seq] >= 0;
}

int64_t lmd_kv_seq_len(const lmd_kv *kv, int32_t seq) {
    return lmd_kv_seq_alive(kv, seq) ? kv->seq_len[seq] : -1;
}

static int32_t *table_of(const lmd_kv *kv, int32_t seq) {
    return kv->tables + (size_t)seq * (size_t)kv->max_blocks_per_seq;
}

const int32_t *lmd_kv_seq_blocks(const lmd_kv *kv, int32_t seq, int64_t *n) {
    if (!lmd_kv_seq_alive(kv, seq)) {
        if (n) *n = 0;
        return NULL;
    }
    if (n) *n = blocks_for(kv->seq_len[seq]);
    return table_of(kv, seq);
}

static int32_t find_free_seq(const lmd_kv *kv) {
    for (int64_t s = 0; s < kv->p.n_seq_max; s++)
        if (kv->seq_len[s] < 0) return (int32_t)s;
    return -1;
}

lmd_status lmd_kv_seq_add(lmd_kv *kv, int32_t *seq, lmd_err *err) {
    int32_t s = find_free_seq(kv);
    if (s < 0)
        return lmd_err_set(err, LMD_E_LIMIT, "kv: all %lld sequences in use",
                           (long long)kv->p.n_seq_max);
    kv->seq_len[s] = 0;
    *seq = s;
    return LMD_OK;
}

static void block_release(lmd_kv *kv, int32_t b) {
    if (LMD_NEVER(kv->refs[b] <= 0)) return;
    if (--kv->refs[b] == 0) kv->free_list[kv->n_free++] = b;
}

static int32_t block_take(lmd_kv *kv) {
    int32_t b = kv->free_list[--kv->n_free];
    kv->refs[b] = 1;
    return b;
}

void lmd_kv_seq_free(lmd_kv *kv, int32_t seq) {
    if (!kv || !lmd_kv_seq_alive(kv, seq)) return;
    int32_t *t = table_of(kv, seq);
    /* Released last block first, so a sequence grown again gets its blocks back in order. */
    for (int64_t i = blocks_for(kv->seq_len[seq]) - 1; i >= 0; i--) block_release(kv, t[i]);
    kv->seq_len[seq] = -1;
}

lmd_status lmd_kv_seq_fork(lmd_kv *kv, int32_t src, int32_t *dst, lmd_err *err) {
    if (!lmd_kv_seq_alive(kv, src))
        return lmd_err_set(err, LMD_E_INVALID, "kv: fork of sequence %d, which is not alive",
                           (int)src);
    int32_t s = find_free_seq(kv);
    if (s < 0)
        return lmd_err_set(err, LMD_E_LIMIT, "kv: all %lld sequences in use",
                           (long long)kv->p.n_seq_max);
    int64_t nb = blocks_for(kv->seq_len[src]);
    int32_t *ts = table_of(kv, src), *td = table_of(kv, s);
    for (int64_t i = 0; i < nb; i++) {
        td[i] = ts[i];
        kv->refs[ts[i]]++;
    }
    kv->seq_len[s] = kv->seq_len[src];
    *dst = s;
    return LMD_OK;
}

lmd_status lmd_kv_seq_truncate(lmd_kv *kv, int32_t seq, int64_t n, lmd_err *err) {
    if (!lmd_kv_seq_alive(kv, seq) || n < 0 || n > kv->seq_len[seq])
        return lmd_err_set(err, LMD_E_INVALID, "kv: cannot truncate sequence %d to %lld tokens",
                           (int)seq, (long long)n);
    int32_t *t = table_of(kv, seq);
    for (int64_t i = blocks_for(kv->seq_len[seq]) - 1; i >= blocks_for(n); i--)
        block_release(kv, t[i]);
    kv->seq_len[seq] = n;
    return LMD_OK;
}

int64_t lmd_kv_blocks_needed(const lmd_kv *kv, int32_t seq, int64_t new_len) {
    if (!lmd_kv_seq_alive(kv, seq) || new_len > kv->p.n_ctx) return -1;
    int64_t len = kv->seq_len[seq];
    if (new_len <= len) return 0;
    int64_t need = blocks_for(new_len) - blocks_for(len);
    /* A partially filled last block shared with another sequence gets copied before we write
     * into it. */
    if (len % LMD_KV_BLOCK_TOKENS != 0 && kv->refs[table_of(kv, seq)[len / LMD_KV_BLOCK_TOKENS]] > 1)
        need++;
    return need;
}

lmd_status lmd_kv_seq_grow(lmd_kv *kv, int32_t seq, int64_t new_len, lmd_err *err) {
    if (!lmd_kv_seq_alive(kv, seq) || new_len < kv->seq_len[seq])
        return lmd_err_set(err, LMD_E_INVALID, "kv: cannot grow sequence %d to %lld tokens",
                           (int)seq, (long long)new_len);
    if (new_len > kv->p.n_ctx)
        return lmd_err_set(err, LMD_E_LIMIT, "kv: sequence %d would hold %lld tokens, context "
                           "is %lld", (int)seq, (long long)new_len, (long long)kv->p.n_ctx);
    int64_t need = lmd_kv_blocks_needed(kv, seq, new_len);
    if (need > kv->n_free)
        return lmd_err_set(err, LMD_E_LIMIT, "kv: out of cache blocks (need %lld, %lld free of "
                           "%lld)", (long long)need, (long long)kv->n_free,
                           (long long)kv->p.n_blocks);
    int64_t len = kv->seq_len[seq];
    int32_t *t = table_of(kv, seq);
    int64_t last = len / LMD_KV_BLOCK_TOKENS;
    if (new_len > len && len % LMD_KV_BLOCK_TOKENS != 0 && kv->refs[t[last]] > 1) {
        int32_t old = t[last], nb = block_take(kv);
        for (int64_t l = 0; l < kv->p.n_layer; l++) {
            memcpy(lmd_kv_block_k(kv, l, nb), lmd_kv_block_k(kv, l, old), kv->k_block_bytes);
            memcpy(lmd_kv_block_v(kv, l, nb), lmd_kv_block_v(kv, l, old), kv->v_block_bytes);
        }
        block_release(kv, old);
        t[last] = nb;
    }
    for (int64_t i = blocks_for(len); i < blocks_for(new_len); i++) t[i] = block_take(kv);
    kv->seq_len[seq] = new_len;
    return LMD_OK;
}

void *lmd_kv_block_k(const lmd_kv *kv, int64_t layer, int32_t block) {
    return kv->k + (size_t)layer * kv->k_layer_bytes + (size_t)block * kv->k_block_bytes;
}

void *lmd_kv_block_v(const lmd_kv *kv, int64_t layer, int32_t block) {
    return kv->v + (size_t)layer * kv->v_layer_bytes + (size_t)block * kv->v_block_bytes;
}

void *lmd_kv_k(const lmd_kv *kv, int64_t layer, int32_t seq, int64_t pos) {
    int32_t b = table_of(kv, seq)[pos / LMD_KV_BLOCK_TOKENS];
    return (uint8_t *)lmd_kv_block_k(kv, layer, b) +
           (size_t)(pos % LMD_KV_BLOCK_TOKENS) * (size_t)kv->p.n_embd_k * kv->elt;
}

void *lmd_kv_v(const lmd_kv *kv, int64_t layer, int32_t seq, int64_t pos) {
    int32_t b = table_of(kv, seq)[pos / LMD_KV_BLOCK_TOKENS];
    return (uint8_t *)lmd_kv_block_v(kv, layer, b) +
           (size_t)(pos % LMD_KV_BLOCK_TOKENS) * (size_t)kv->p.n_embd_v * kv->elt;
}
