/* test_kv_cache.c — the paged KV cache: block allocation, free list reuse, reference counts
 * with fork and copy on write, truncation, exhaustion and bad arguments. */
#include "kv/kv.h"
#include "t.h"

static lmd_kv *make(int64_t n_ctx, int64_t n_seq, int64_t n_blocks, lmd_type type) {
    lmd_kv *kv = NULL;
    lmd_kv_params p = { .n_layer = 2, .n_embd_k = 8, .n_embd_v = 4, .n_ctx = n_ctx,
                        .n_seq_max = n_seq, .n_blocks = n_blocks, .type = type };
    lmd_err err = { 0 };
    T_CHECK(lmd_kv_create(&p, &kv, &err) == LMD_OK);
    return kv;
}

T_TEST(kv_default_block_count_and_rounding) {
    lmd_kv *kv = make(33, 3, 0, LMD_TYPE_F16);
    /* 33 tokens need 3 blocks per sequence; the context is rounded up to whole blocks */
    T_EQ_INT(lmd_kv_n_blocks(kv), 9);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 9);
    T_EQ_INT(lmd_kv_params_of(kv)->n_ctx, 48);
    T_EQ_INT(lmd_kv_bytes(kv), 9 * 16 * (8 + 4) * 2 * 2);
    lmd_kv_free(kv);
}

T_TEST(kv_grow_allocates_blocks_and_free_returns_them) {
    lmd_kv *kv = make(64, 2, 6, LMD_TYPE_F32);
    lmd_err err = { 0 };
    int32_t a, b;
    T_CHECK(lmd_kv_seq_add(kv, &a, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_add(kv, &b, &err) == LMD_OK);
    T_CHECK(a != b);
    T_EQ_INT(lmd_kv_seq_len(kv, a), 0);
    T_EQ_INT(lmd_kv_blocks_needed(kv, a, 17), 2);
    T_CHECK(lmd_kv_seq_grow(kv, a, 17, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_seq_len(kv, a), 17);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 4);
    int64_t nb;
    const int32_t *t = lmd_kv_seq_blocks(kv, a, &nb);
    T_EQ_INT(nb, 2);
    T_EQ_INT(lmd_kv_block_refs(kv, t[0]), 1);
    /* growing within the last block takes nothing */
    T_EQ_INT(lmd_kv_blocks_needed(kv, a, 32), 0);
    T_CHECK(lmd_kv_seq_grow(kv, a, 32, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 4);
    /* writes land in the slot of the position: block table[pos / 16], slot pos % 16 */
    float *k = lmd_kv_k(kv, 1, a, 20);
    T_CHECK((char *)k == (char *)lmd_kv_block_k(kv, 1, t[1]) + 4 * 8 * sizeof(float));
    int32_t first = t[0], second = t[1];
    lmd_kv_seq_free(kv, a);
    T_CHECK(!lmd_kv_seq_alive(kv, a));
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 6);
    T_EQ_INT(lmd_kv_block_refs(kv, first), 0);
    /* the freed blocks are reused, in the same order, by the next sequence */
    int32_t c;
    T_CHECK(lmd_kv_seq_add(kv, &c, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_grow(kv, c, 20, &err) == LMD_OK);
    t = lmd_kv_seq_blocks(kv, c, &nb);
    T_EQ_INT(t[0], first);
    T_EQ_INT(t[1], second);
    lmd_kv_free(kv);
}

T_TEST(kv_exhaustion_changes_nothing) {
    lmd_kv *kv = make(64, 2, 3, LMD_TYPE_F16);
    lmd_err err = { 0 };
    int32_t a, b;
    T_CHECK(lmd_kv_seq_add(kv, &a, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_add(kv, &b, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_grow(kv, a, 40, &err) == LMD_OK);  /* 3 blocks: pool empty */
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 0);
    T_EQ_INT(lmd_kv_seq_grow(kv, b, 1, &err), LMD_E_LIMIT);
    T_CHECK(strstr(err.msg, "out of cache blocks") != NULL);
    T_EQ_INT(lmd_kv_seq_len(kv, b), 0);
    /* past the context */
    lmd_err e2 = { 0 };
    T_EQ_INT(lmd_kv_seq_grow(kv, a, 65, &e2), LMD_E_LIMIT);
    T_EQ_INT(lmd_kv_seq_len(kv, a), 40);
    /* no third sequence */
    int32_t c;
    lmd_err e3 = { 0 };
    T_EQ_INT(lmd_kv_seq_add(kv, &c, &e3), LMD_E_LIMIT);
    /* shrinking is not growing */
    lmd_err e4 = { 0 };
    T_EQ_INT(lmd_kv_seq_grow(kv, a, 10, &e4), LMD_E_INVALID);
    lmd_kv_free(kv);
}

T_TEST(kv_fork_shares_blocks_and_copies_on_write) {
    lmd_kv *kv = make(64, 3, 8, LMD_TYPE_F32);
    lmd_err err = { 0 };
    int32_t a, b;
    T_CHECK(lmd_kv_seq_add(kv, &a, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_grow(kv, a, 20, &err) == LMD_OK);
    for (int64_t p = 0; p < 20; p++) {
        float *k = lmd_kv_k(kv, 0, a, p), *v = lmd_kv_v(kv, 1, a, p);
        for (int i = 0; i < 8; i++) k[i] = (float)(p * 100 + i);
        for (int i = 0; i < 4; i++) v[i] = (float)(-p * 100 - i);
    }
    T_CHECK(lmd_kv_seq_fork(kv, a, &b, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_seq_len(kv, b), 20);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 6);  /* fork took nothing */
    int64_t na, nb;
    const int32_t *ta = lmd_kv_seq_blocks(kv, a, &na);
    const int32_t *tb = lmd_kv_seq_blocks(kv, b, &nb);
    T_EQ_INT(tb[0], ta[0]);
    T_EQ_INT(tb[1], ta[1]);
    T_EQ_INT(lmd_kv_block_refs(kv, ta[0]), 2);
    T_EQ_INT(lmd_kv_block_refs(kv, ta[1]), 2);
    /* b writes at position 20, inside the shared second block: it gets its own copy */
    T_EQ_INT(lmd_kv_blocks_needed(kv, b, 21), 1);
    T_CHECK(lmd_kv_seq_grow(kv, b, 21, &err) == LMD_OK);
    tb = lmd_kv_seq_blocks(kv, b, &nb);
    ta = lmd_kv_seq_blocks(kv, a, &na);
    T_EQ_INT(tb[0], ta[0]);
    T_CHECK(tb[1] != ta[1]);
    T_EQ_INT(lmd_kv_block_refs(kv, ta[0]), 2);
    T_EQ_INT(lmd_kv_block_refs(kv, ta[1]), 1);
    T_EQ_INT(lmd_kv_block_refs(kv, tb[1]), 1);
    /* the copy holds the shared tokens of every layer */
    T_EQ_INT(*(float *)lmd_kv_k(kv, 0, b, 19), 1900);
    T_EQ_INT(((float *)lmd_kv_v(kv, 1, b, 17))[3], -1703);
    /* writing into b's copy leaves a alone */
    ((float *)lmd_kv_k(kv, 0, b, 18))[0] = 7;
    T_EQ_INT(*(float *)lmd_kv_k(kv, 0, a, 18), 1800);
    /* a, now sole owner of its second block, grows without copying */
    T_EQ_INT(lmd_kv_blocks_needed(kv, a, 22), 0);
    /* freeing a keeps the shared first block alive for b */
    lmd_kv_seq_free(kv, a);
    T_EQ_INT(lmd_kv_block_refs(kv, tb[0]), 1);
    T_EQ_INT(*(float *)lmd_kv_k(kv, 0, b, 3), 300);
    lmd_kv_seq_free(kv, b);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 8);
    lmd_kv_free(kv);
}

T_TEST(kv_truncate_releases_whole_blocks) {
    lmd_kv *kv = make(64, 1, 4, LMD_TYPE_F16);
    lmd_err err = { 0 };
    int32_t a;
    T_CHECK(lmd_kv_seq_add(kv, &a, &err) == LMD_OK);
    T_CHECK(lmd_kv_seq_grow(kv, a, 50, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 0);
    T_CHECK(lmd_kv_seq_truncate(kv, a, 17, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_seq_len(kv, a), 17);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 2);
    T_CHECK(lmd_kv_seq_truncate(kv, a, 0, &err) == LMD_OK);
    T_EQ_INT(lmd_kv_n_free_blocks(kv), 4);
    lmd_err e2 = { 0 };
    T_EQ_INT(lmd_kv_seq_truncate(kv, a, 1, &e2), LMD_E_INVALID);
    lmd_kv_free(kv);
}

T_TEST(kv_rejects_bad_parameters) {
    lmd_kv *kv = NULL;
    lmd_err err = { 0 };
    lmd_kv_params p = { .n_layer = 1, .n_embd_k = 4, .n_embd_v = 4, .n_ctx = 0, .n_seq_max = 1 };
    T_EQ_INT(lmd_kv_create(&p, &kv, &err), LMD_E_INVALID);
    T_CHECK(kv == NULL);
    lmd_err e2 = { 0 };
    p.n_ctx = 16;
    p.type = LMD_TYPE_Q8_0;
    T_EQ_INT(lmd_kv_create(&p, &kv, &e2), LMD_E_INVALID);
    lmd_err e3 = { 0 };
    p.type = LMD_TYPE_F32;
    p.n_embd_k = INT64_MAX / 4;
    p.n_layer = 1000;
    T_CHECK(lmd_kv_create(&p, &kv, &e3) != LMD_OK);
    T_CHECK(kv == NULL);
    /* operations on dead sequences */
    kv = make(16, 1, 0, LMD_TYPE_F32);
    int32_t d;
    lmd_err e4 = { 0 };
    T_EQ_INT(lmd_kv_seq_fork(kv, 0, &d, &e4), LMD_E_INVALID);
    T_EQ_INT(lmd_kv_seq_len(kv, 5), -1);
    T_EQ_INT(lmd_kv_blocks_needed(kv, -1, 3), -1);
    lmd_kv_seq_free(kv, 7);  /* no-op */
    lmd_kv_free(kv);
}
