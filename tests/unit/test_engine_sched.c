/* test_engine_sched.c — the scheduler against a fake model: admission, chunked prefill,
 * preemption, prefix cache hits and evictions, cancellation, the queue cap, and that batching
 * never changes a greedy result. The fake forward pass keeps (token, pos) in each KV slot and
 * derives the next token from every token it reads back through the block table, so a wrong
 * block table, a stale block or a bad cache hit changes the output or fails the step. */
#include "t.h"

#include <stdatomic.h>
#include <time.h>

#include "engine/blocks.h"
#include "engine/engine.h"

#define BT LMD_ENGINE_BLOCK_TOKENS
#define VOCAB 97

typedef struct {
    int64_t n_blocks;
    int32_t (*kv)[BT][2];   /* (n_blocks, BT, token|pos) */
    int64_t max_entries_seen;
    int64_t steps, decode_only_steps;
    int fail_next;
} fake_model;

static lmd_status fake_forward(void *ctx, const lmd_engine_batch *b, float *logits,
                               lmd_err *err) {
    fake_model *m = ctx;
    if (m->fail_next) {
        m->fail_next = 0;
        return lmd_err_set(err, LMD_E_INTERNAL, "fake: forward failed on purpose");
    }
    m->steps++;
    if (b->n_entries > m->max_entries_seen) m->max_entries_seen = b->n_entries;
    for (int64_t i = 0; i < b->n_entries; i++) {
        const lmd_engine_entry *en = &b->entries[i];
        const int32_t *table = b->block_tables[en->seq_idx];
        int64_t bi = en->pos / BT;
        if (bi >= b->n_blocks[en->seq_idx])
            return lmd_err_set(err, LMD_E_INTERNAL, "fake: pos %d has no block", en->pos);
        int32_t blk = table[bi];
        m->kv[blk][en->pos % BT][0] = en->token;
        m->kv[blk][en->pos % BT][1] = en->pos;
        if (en->logits_row < 0) continue;
        uint64_t h = 1469598103934665603ull;
        for (int32_t p = 0; p <= en->pos; p++) {
            int32_t blk2 = table[p / BT];
            if (m->kv[blk2][p % BT][1] != p)
                return lmd_err_set(err, LMD_E_INTERNAL, "fake: stale kv at pos %d", p);
            h = (h ^ (uint64_t)(m->kv[blk2][p % BT][0] + 7)) * 1099511628211ull;
        }
        float *row = logits + (size_t)en->logits_row * VOCAB;
        int32_t target = (int32_t)(h % (VOCAB - 1)) + 1;   /* never 0: 0 is our "EOG" */
        for (int v = 0; v < VOCAB; v++) row[v] = -(float)abs(v - target);
    }
    return LMD_OK;
}

typedef struct {
    int32_t out[512];
    int n_out;
    int done;
    lmd_engine_result res;
    atomic_bool cancel;
    int stop_after;   /* on_token returns stop after this many tokens (0 = never) */
} client;

static int on_token(void *user, int32_t tok, const float *lg, int32_t n_vocab) {
    client *c = user;
    if (c->n_out < 512) c->out[c->n_out++] = tok;
    return c->stop_after && c->n_out >= c->stop_after;
}

static void on_done(void *user, const lmd_engine_result *r) {
    client *c = user;
    c->done++;
    c->res = *r;
}

static fake_model *fake_new(int64_t n_blocks) {
    fake_model *m = calloc(1, sizeof *m);
    m->n_blocks = n_blocks;
    m->kv = calloc((size_t)n_blocks, sizeof *m->kv);
    for (int64_t b = 0; b < n_blocks; b++)
        for (int s = 0; s < BT; s++) m->kv[b][s][1] = -1;
    return m;
}

static void fake_free(fake_model *m) {
    free(m->kv);
    free(m);
}

static lmd_engine *engine_new(fake_model *m, lmd_engine_model *em, int64_t budget,
                              int max_seqs, int max_queue) {
    *em = (lmd_engine_model){ .ctx = m, .n_vocab = VOCAB, .n_blocks = m->n_blocks,
                              .forward = fake_forward };
    lmd_engine_opts o = { .max_batch_tokens = budget, .max_seqs = max_seqs,
                          .max_queue = max_queue, .model_key = "fake", .no_thread = true };
    lmd_engine *e = NULL;
    lmd_err err = { 0 };
    lmd_status st = lmd_engine_create(em, &o, &e, &err);
    if (st != LMD_OK) fprintf(stderr, "create: %s\n", err.msg);
    return e;
}

static void make_prompt(int32_t *p, int n, int salt) {
    for (int i = 0; i < n; i++) p[i] = 1 + (i * 7 + salt * 13) % (VOCAB - 1);
}

static lmd_status submit(lmd_engine *e, client *c, const int32_t *p, int n, int max_new) {
    lmd_engine_req r = { .prompt = p, .n_prompt = n, .max_new_tokens = max_new,
                         .on_token = on_token, .on_done = on_done, .user = c,
                         .cancel = &c->cancel };
    return lmd_engine_submit(e, &r, NULL);
}

static void run_until_idle(lmd_engine *e) {
    for (int i = 0; i < 100000 && lmd_engine_step(e) > 0; i++) {}
}

/* Output of one request run alone on a fresh engine with plenty of blocks. */
static void solo(const int32_t *p, int n, int max_new, client *out) {
    fake_model *m = fake_new(256);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    memset(out, 0, sizeof *out);
    submit(e, out, p, n, max_new);
    run_until_idle(e);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_greedy_output_is_the_same_alone_or_among_31_others_with_preemption) {
    enum { N = 32 };
    static int32_t prompts[N][80];
    static client alone[N], together[N];
    for (int i = 0; i < N; i++) {
        make_prompt(prompts[i], 10 + i * 2, i);
        solo(prompts[i], 10 + i * 2, 20 + i, &alone[i]);
        T_EQ_INT(alone[i].n_out, 20 + i);
    }
    /* 40 blocks for 32 sequences that each grow to 5+ blocks: admission waits and the
     * youngest get preempted as the others grow. Budget 24 forces chunked prefill. */
    fake_model *m = fake_new(40);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 24, 32, 64);
    for (int i = 0; i < N; i++) T_EQ_INT(submit(e, &together[i], prompts[i], 10 + i * 2, 20 + i), LMD_OK);
    run_until_idle(e);
    lmd_engine_stats st;
    lmd_engine_get_stats(e, &st);
    T_CHECK(st.n_preemptions > 0);
    T_CHECK(m->max_entries_seen <= 24);
    int64_t preempted = 0;
    for (int i = 0; i < N; i++) {
        T_EQ_INT(together[i].done, 1);
        T_EQ_INT(together[i].res.reason, LMD_FINISH_LENGTH);
        T_EQ_INT(together[i].n_out, alone[i].n_out);
        T_CHECK(!memcmp(together[i].out, alone[i].out, sizeof(int32_t) * (size_t)alone[i].n_out));
        preempted += together[i].res.n_preempted;
    }
    T_CHECK(preempted > 0);
    T_EQ_INT(st.n_used_blocks, 0);
    T_EQ_INT(st.n_running, 0);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_chunked_prefill_keeps_decoding_sequences_streaming) {
    fake_model *m = fake_new(64);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 8, 8, 8);
    int32_t p1[4], p2[100];
    make_prompt(p1, 4, 1);
    make_prompt(p2, 100, 2);
    client a = { 0 }, b = { 0 };
    submit(e, &a, p1, 4, 40);
    lmd_engine_step(e);   /* a: prefill, first token */
    T_EQ_INT(a.n_out, 1);
    submit(e, &b, p2, 100, 5);
    /* b's 100-token prompt takes 15 steps at 7 tokens a step; a gets a token every step. */
    for (int s = 0; s < 10; s++) {
        int before = a.n_out;
        T_CHECK(lmd_engine_step(e) <= 8);
        T_EQ_INT(a.n_out, before + 1);
    }
    T_EQ_INT(b.n_out, 0);
    run_until_idle(e);
    T_EQ_INT(b.n_out, 5);
    client b_alone;
    solo(p2, 100, 5, &b_alone);
    T_CHECK(!memcmp(b.out, b_alone.out, sizeof(int32_t) * 5));
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_admits_only_when_blocks_are_free) {
    fake_model *m = fake_new(4);   /* 64 tokens */
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[40];
    make_prompt(p, 40, 3);
    client a = { 0 }, b = { 0 };
    submit(e, &a, p, 40, 3);    /* 3 blocks */
    make_prompt(p, 40, 4);
    submit(e, &b, p, 40, 3);    /* needs 3 more: only 1 free */
    lmd_engine_step(e);
    lmd_engine_stats st;
    lmd_engine_get_stats(e, &st);
    T_EQ_INT(st.n_running, 1);
    T_EQ_INT(st.n_waiting, 1);
    T_EQ_INT(b.n_out, 0);
    run_until_idle(e);
    T_EQ_INT(a.done, 1);
    T_EQ_INT(b.done, 1);
    T_EQ_INT(b.n_out, 3);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_preempts_the_youngest_sequence_when_blocks_run_out) {
    fake_model *m = fake_new(6);   /* 96 tokens for two sequences that want 2 * 60 */
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p1[20], p2[20];
    make_prompt(p1, 20, 5);
    make_prompt(p2, 20, 6);
    client a = { 0 }, b = { 0 }, a1, b1;
    submit(e, &a, p1, 20, 40);
    submit(e, &b, p2, 20, 40);
    run_until_idle(e);
    T_EQ_INT(a.res.n_preempted, 0);
    T_CHECK(b.res.n_preempted > 0);
    solo(p1, 20, 40, &a1);
    solo(p2, 20, 40, &b1);
    T_EQ_INT(a.n_out, 40);
    T_EQ_INT(b.n_out, 40);
    T_CHECK(!memcmp(a.out, a1.out, sizeof(int32_t) * 40));
    T_CHECK(!memcmp(b.out, b1.out, sizeof(int32_t) * 40));
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_prefix_cache_reuses_full_blocks_of_a_shared_prefix) {
    fake_model *m = fake_new(32);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[60], q[60];
    make_prompt(p, 60, 7);
    memcpy(q, p, sizeof q);
    q[50] = (q[50] % 90) + 2;   /* differs from position 50 on: blocks 0..2 shared */
    client a = { 0 }, b = { 0 }, c = { 0 }, b1;
    submit(e, &a, p, 60, 4);
    run_until_idle(e);
    T_EQ_INT(a.res.n_cached, 0);
    submit(e, &b, q, 60, 4);
    run_until_idle(e);
    T_EQ_INT(b.res.n_cached, 48);
    solo(q, 60, 4, &b1);
    T_CHECK(!memcmp(b.out, b1.out, sizeof(int32_t) * 4));
    /* Exactly 48 tokens: the last block is recomputed (its last token's logits are needed). */
    submit(e, &c, p, 48, 2);
    run_until_idle(e);
    T_EQ_INT(c.res.n_cached, 32);
    /* A different model key shares nothing. */
    lmd_engine_opts o = { .max_batch_tokens = 512, .max_seqs = 8, .model_key = "other",
                          .no_thread = true };
    lmd_engine *e2 = NULL;
    T_EQ_INT(lmd_engine_create(&em, &o, &e2, NULL), LMD_OK);
    lmd_engine_free(e2);
    lmd_block_hash h1, h2;
    lmd_block_hash_seed("fake", &h1);
    lmd_block_hash_seed("other", &h2);
    T_CHECK(memcmp(h1.b, h2.b, sizeof h1.b) != 0);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_evicts_least_recently_used_unreferenced_cached_blocks) {
    fake_model *m = fake_new(8);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[64], q[64], r[96];
    make_prompt(p, 33, 8);
    make_prompt(q, 33, 9);
    client a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, f = { 0 };
    submit(e, &a, p, 33, 1);   /* 3 blocks, 2 full ones cached */
    run_until_idle(e);
    submit(e, &b, q, 33, 1);
    run_until_idle(e);
    lmd_engine_stats st;
    lmd_engine_get_stats(e, &st);
    T_EQ_INT(st.n_cached_blocks, 4);
    T_EQ_INT(st.n_evictions, 0);
    /* p's prefix is used again: now q's blocks are the least recently used. */
    submit(e, &c, p, 33, 1);
    run_until_idle(e);
    T_EQ_INT(c.res.n_cached, 32);
    /* 90 new tokens take 6 of the 8 blocks while 4 are free: evicts q's two blocks (least
     * recently used), keeps p's. */
    make_prompt(r, 90, 10);
    submit(e, &d, r, 90, 1);
    run_until_idle(e);
    lmd_engine_get_stats(e, &st);
    T_CHECK(st.n_evictions >= 2);
    submit(e, &f, p, 33, 1);
    run_until_idle(e);
    T_EQ_INT(f.res.n_cached, 32);
    client g = { 0 };
    submit(e, &g, q, 33, 1);
    run_until_idle(e);
    T_EQ_INT(g.res.n_cached, 0);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_cancellation_frees_blocks_at_the_next_step) {
    fake_model *m = fake_new(16);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[20];
    make_prompt(p, 20, 11);
    client a = { 0 };
    submit(e, &a, p, 20, -1);
    for (int i = 0; i < 5; i++) lmd_engine_step(e);
    lmd_engine_stats st;
    lmd_engine_get_stats(e, &st);
    T_CHECK(st.n_used_blocks >= 2);
    atomic_store(&a.cancel, true);
    lmd_engine_step(e);
    lmd_engine_get_stats(e, &st);
    T_EQ_INT(a.done, 1);
    T_EQ_INT(a.res.reason, LMD_FINISH_CANCELLED);
    T_EQ_INT(a.n_out, 5);
    T_EQ_INT(st.n_used_blocks, 0);
    T_EQ_INT(st.n_running, 0);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_queue_cap_refuses_with_limit) {
    fake_model *m = fake_new(16);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 2);
    int32_t p[4] = { 1, 2, 3, 4 };
    client a = { 0 }, b = { 0 }, c = { 0 };
    T_EQ_INT(submit(e, &a, p, 4, 1), LMD_OK);
    T_EQ_INT(submit(e, &b, p, 4, 1), LMD_OK);
    T_EQ_INT(submit(e, &c, p, 4, 1), LMD_E_LIMIT);
    run_until_idle(e);
    T_EQ_INT(a.done + b.done, 2);
    T_EQ_INT(c.done, 0);
    T_EQ_INT(submit(e, &c, p, 4, 1), LMD_OK);
    lmd_engine_free(e);   /* finishes c as cancelled */
    T_EQ_INT(c.done, 1);
    T_EQ_INT(c.res.reason, LMD_FINISH_CANCELLED);
    fake_free(m);
}

T_TEST(engine_stop_from_callback_and_context_limit_finish_requests) {
    fake_model *m = fake_new(4);   /* context 64 */
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[60];
    make_prompt(p, 60, 12);
    client a = { 0 }, b = { .stop_after = 2 };
    T_EQ_INT(submit(e, &a, p, 64, -1), LMD_E_INVALID);   /* no room left */
    submit(e, &a, p, 60, -1);
    run_until_idle(e);
    T_EQ_INT(a.res.reason, LMD_FINISH_LENGTH);
    T_EQ_INT(a.n_out, 4);
    submit(e, &b, p, 10, -1);
    run_until_idle(e);
    T_EQ_INT(b.res.reason, LMD_FINISH_STOP);
    T_EQ_INT(b.n_out, 2);
    T_EQ_INT(b.res.n_generated, 2);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_forward_failure_ends_the_batch_with_an_error) {
    fake_model *m = fake_new(16);
    lmd_engine_model em;
    lmd_engine *e = engine_new(m, &em, 512, 8, 8);
    int32_t p[4] = { 1, 2, 3, 4 };
    client a = { 0 };
    submit(e, &a, p, 4, 5);
    m->fail_next = 1;
    run_until_idle(e);
    T_EQ_INT(a.done, 1);
    T_EQ_INT(a.res.reason, LMD_FINISH_ERROR);
    T_CHECK(strstr(a.res.msg, "on purpose") != NULL);
    lmd_engine_stats st;
    lmd_engine_get_stats(e, &st);
    T_EQ_INT(st.n_used_blocks, 0);
    lmd_engine_free(e);
    fake_free(m);
}

T_TEST(engine_threaded_engine_serves_concurrent_submits) {
    fake_model *m = fake_new(64);
    lmd_engine_model em = { .ctx = m, .n_vocab = VOCAB, .n_blocks = 64, .forward = fake_forward };
    lmd_engine_opts o = { .max_batch_tokens = 64, .max_seqs = 8, .model_key = "fake" };
    lmd_engine *e = NULL;
    T_EQ_INT(lmd_engine_create(&em, &o, &e, NULL), LMD_OK);
    static client cs[8];
    int32_t p[8][12];
    for (int i = 0; i < 8; i++) {
        make_prompt(p[i], 12, 20 + i);
        T_EQ_INT(submit(e, &cs[i], p[i], 12, 6), LMD_OK);
    }
    for (int spin = 0; spin < 2000; spin++) {
        int done = 0;
        for (int i = 0; i < 8; i++) done += atomic_load((_Atomic int *)&cs[i].done) ? 1 : 0;
        if (done == 8) break;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    lmd_engine_free(e);
    for (int i = 0; i < 8; i++) {
        T_EQ_INT(cs[i].done, 1);
        client one;
        solo(p[i], 12, 6, &one);
        T_CHECK(!memcmp(cs[i].out, one.out, sizeof(int32_t) * 6));
    }
    fake_free(m);
}
