/* test_engine_blocks.c — block reference counts, the prefix-cache hash table (insert, find,
 * backward-shift delete under heavy churn) and LRU eviction order. */
#include "t.h"

#include "engine/blocks.h"

static lmd_block_hash hash_of(int i) {
    lmd_block_hash seed, h;
    lmd_block_hash_seed("m", &seed);
    int32_t t = i;
    lmd_block_hash_next(&seed, &t, 1, &h);
    return h;
}

T_TEST(blocks_alloc_release_and_cache_roundtrip) {
    lmd_blocks b;
    T_EQ_INT(lmd_blocks_init(&b, 4, NULL), LMD_OK);
    int32_t ids[4];
    for (int i = 0; i < 4; i++) ids[i] = lmd_blocks_alloc(&b);
    T_EQ_INT(lmd_blocks_alloc(&b), -1);
    lmd_block_hash h = hash_of(1);
    lmd_blocks_publish(&b, ids[0], &h);
    lmd_blocks_release(&b, ids[0]);
    T_EQ_INT(b.n_lru, 1);
    T_EQ_INT(lmd_blocks_available(&b), 1);
    T_EQ_INT(lmd_blocks_lookup(&b, &h), ids[0]);
    T_EQ_INT(b.n_lru, 0);
    T_EQ_INT(b.ref[ids[0]], 1);
    lmd_blocks_release(&b, ids[0]);
    lmd_blocks_release(&b, ids[1]);   /* not published: free list */
    T_EQ_INT(b.n_free, 1);
    /* Free blocks go first, then the LRU one is evicted. */
    T_EQ_INT(lmd_blocks_alloc(&b), ids[1]);
    T_EQ_INT(lmd_blocks_alloc(&b), ids[0]);
    T_EQ_INT(b.n_evictions, 1);
    T_CHECK(!lmd_blocks_contains(&b, &h));
    lmd_blocks_destroy(&b);
}

T_TEST(blocks_hash_table_survives_churn) {
    enum { N = 200 };
    lmd_blocks b;
    T_EQ_INT(lmd_blocks_init(&b, N, NULL), LMD_OK);
    /* Publish N blocks, release all, then evict by allocating in rounds while republishing
     * under new hashes; every remaining hash must stay findable. */
    for (int round = 0; round < 5; round++) {
        int32_t ids[N];
        for (int i = 0; i < N; i++) ids[i] = lmd_blocks_alloc(&b);
        for (int i = 0; i < N; i++) {
            lmd_block_hash h = hash_of(round * N + i);
            lmd_blocks_publish(&b, ids[i], &h);
        }
        for (int i = 0; i < N; i++) lmd_blocks_release(&b, ids[i]);
        for (int i = 0; i < N; i++) {
            lmd_block_hash h = hash_of(round * N + i);
            T_CHECK(lmd_blocks_contains(&b, &h));
        }
        if (round > 0) {
            lmd_block_hash old = hash_of((round - 1) * N);
            T_CHECK(!lmd_blocks_contains(&b, &old));
        }
    }
    lmd_blocks_destroy(&b);
}

T_TEST(blocks_prefix_hash_depends_on_every_earlier_token) {
    lmd_block_hash seed, a, b2, c;
    lmd_block_hash_seed("m", &seed);
    int32_t t1[16] = { 1, 2, 3 }, t2[16] = { 1, 2, 4 };
    lmd_block_hash_next(&seed, t1, 16, &a);
    lmd_block_hash_next(&seed, t2, 16, &b2);
    T_CHECK(memcmp(a.b, b2.b, 32) != 0);
    lmd_block_hash_next(&a, t1, 16, &c);
    lmd_block_hash d;
    lmd_block_hash_next(&b2, t1, 16, &d);
    T_CHECK(memcmp(c.b, d.b, 32) != 0);   /* same block, different prefix */
}
