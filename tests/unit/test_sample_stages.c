/* test_sample_stages.c — each sampler stage against hand-computed expectations (llama.cpp's
 * semantics), greedy ties, determinism of the seeded chain, log-probabilities, and the
 * stop-string matcher holding back split stop strings. */
#include <math.h>

#include "t.h"
#include "sample/sample_int.h"

static lmd_cands make(lmd_cand *buf, const float *l, int n) {
    for (int i = 0; i < n; i++) buf[i] = (lmd_cand){ i, l[i], 0, 0, 0 };
    return (lmd_cands){ buf, n, false };
}

T_TEST(partial_sort_orders_best_first_ties_by_id) {
    lmd_cand b[64];
    float l[64];
    for (int i = 0; i < 64; i++) l[i] = (float)((i * 37) % 11);
    for (int m = 1; m <= 64; m += 7) {
        lmd_cands a = make(b, l, 64);
        lmd_cands_partial_sort(&a, m);
        for (int i = 1; i < m; i++)
            T_CHECK(b[i - 1].logit > b[i].logit || (b[i - 1].logit == b[i].logit && b[i - 1].id < b[i].id));
        for (int i = m; i < 64; i++)  /* the rest is not better than the m-th */
            T_CHECK(b[i].logit < b[m - 1].logit || (b[i].logit == b[m - 1].logit && b[i].id > b[m - 1].id));
    }
}

T_TEST(penalties_follow_llama_cpp) {
    lmd_cand b[4];
    float l[4] = { 2.0f, -1.0f, 0.5f, 3.0f };
    lmd_cands a = make(b, l, 4);
    int32_t count[4] = { 2, 1, 0, 0 }, recent[3] = { 0, 1, 0 };
    uint32_t stamp[4] = { 0 };
    lmd_stage_penalties(&a, count, recent, 3, stamp, 1, 2.0f, 0.5f, 0.25f);
    T_NEAR(b[0].logit, 2.0f / 2 - 2 * 0.5f - 0.25f, 1e-6);  /* positive: divided */
    T_NEAR(b[1].logit, -1.0f * 2 - 0.5f - 0.25f, 1e-6);     /* negative: multiplied */
    T_NEAR(b[2].logit, 0.5f, 1e-6);
    T_NEAR(b[3].logit, 3.0f, 1e-6);
}

T_TEST(top_k_top_p_min_p_typical) {
    lmd_cand b[5], tmp[5];
    float l[5] = { 1.0f, 3.0f, 2.0f, 0.0f, 3.0f };
    lmd_cands a = make(b, l, 5);
    lmd_stage_top_k(&a, 3);
    T_EQ_INT(a.n, 3);
    T_EQ_INT(b[0].id, 1);  /* tie 3.0: lower id first */
    T_EQ_INT(b[1].id, 4);
    T_EQ_INT(b[2].id, 2);

    /* probabilities of logits {ln 5, ln 3, ln 2}: 0.5, 0.3, 0.2 */
    float l2[3] = { logf(5), logf(3), logf(2) };
    a = make(b, l2, 3);
    lmd_stage_top_p(&a, 0.75f);
    T_EQ_INT(a.n, 2);  /* 0.5 + 0.3 >= 0.75 */
    a = make(b, l2, 3);
    lmd_stage_top_p(&a, 0.79f);
    T_EQ_INT(a.n, 2);
    a = make(b, l2, 3);
    lmd_stage_top_p(&a, 0.81f);
    T_EQ_INT(a.n, 3);
    a = make(b, l2, 3);
    lmd_stage_min_p(&a, 0.5f);  /* keep p >= 0.25: 0.5, 0.3 */
    T_EQ_INT(a.n, 2);
    a = make(b, l2, 3);
    lmd_stage_min_p(&a, 0.0f);
    T_EQ_INT(a.n, 3);

    /* typical: entropy of (0.5, 0.3, 0.2) = 1.0297; |-ln p - H|: 0.337, 0.174, 0.580 ->
     * order 0.3, 0.5, 0.2; cumulative 0.3 then 0.8 > 0.5 keeps two */
    a = make(b, l2, 3);
    lmd_stage_typical(&a, 0.5f, tmp);
    T_EQ_INT(a.n, 2);
    T_EQ_INT(b[0].id, 1);
    T_EQ_INT(b[1].id, 0);
    a = make(b, l2, 3);
    lmd_stage_typical(&a, 1.0f, tmp);
    T_EQ_INT(a.n, 3);
}

T_TEST(temperature_and_draw) {
    lmd_cand b[4];
    float l[3] = { 0.0f, logf(3), 0.0f };  /* weights 1, 3, 1 */
    lmd_cands a = make(b, l, 3);
    T_EQ_INT(lmd_stage_draw(&a, 0.0), 0);
    T_EQ_INT(lmd_stage_draw(&a, 0.19), 0);
    T_EQ_INT(lmd_stage_draw(&a, 0.21), 1);
    T_EQ_INT(lmd_stage_draw(&a, 0.79), 1);
    T_EQ_INT(lmd_stage_draw(&a, 0.81), 2);
    T_EQ_INT(lmd_stage_draw(&a, 0.999999), 2);
    lmd_stage_temperature(&a, 0.5f);
    T_NEAR(b[1].logit, 2 * logf(3), 1e-6);
    float g[4] = { 1.0f, 5.0f, NAN, 5.0f };
    a = make(b, g, 4);
    T_EQ_INT(lmd_stage_greedy(&a), 1);
    float ninf[2] = { -INFINITY, NAN };
    a = make(b, ninf, 2);
    T_EQ_INT(lmd_stage_greedy(&a), -1);
}

static int32_t run(const lmd_sample_params *p, int steps, int32_t *out) {
    enum { V = 500 };
    static float logits[V];
    lmd_sample *s = NULL;
    lmd_err err = { 0 };
    if (lmd_sample_new(p, V, &s, &err) != LMD_OK) return -1;
    uint64_t x = 12345;
    for (int k = 0; k < steps; k++) {
        for (int i = 0; i < V; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            logits[i] = (float)((x >> 40) % 1000) / 250.0f;
        }
        out[k] = lmd_sample_next(s, logits);
        lmd_sample_accept(s, out[k]);
    }
    lmd_sample_free(s);
    return 0;
}

T_TEST(seeded_chain_is_deterministic_and_seed_matters) {
    lmd_sample_params p;
    lmd_sample_params_default(&p);
    p.seed = 42;
    p.top_k = 0;
    p.top_p = 0.95f;
    p.min_p = 0.01f;
    p.typical_p = 0.9f;
    p.temperature = 1.5f;
    int32_t a[64], b[64], c[64];
    T_EQ_INT(run(&p, 64, a), 0);
    T_EQ_INT(run(&p, 64, b), 0);
    T_CHECK(memcmp(a, b, sizeof a) == 0);
    p.seed = 43;
    T_EQ_INT(run(&p, 64, c), 0);
    T_CHECK(memcmp(a, c, sizeof a) != 0);
    /* greedy: temperature 0, no penalties = argmax */
    p.temperature = 0;
    p.repeat_penalty = 1.0f;
    T_EQ_INT(run(&p, 8, c), 0);
    for (int k = 0; k < 8; k++) T_CHECK(c[k] >= 0 && c[k] < 500);
}

T_TEST(repeat_penalty_window_forgets_old_tokens) {
    lmd_sample_params p;
    lmd_sample_params_default(&p);
    p.temperature = 1.0f;
    p.top_k = 1;  /* deterministic: the best token after the penalties */
    p.repeat_penalty = 100.0f;
    p.repeat_last_n = 2;
    lmd_sample *s = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_sample_new(&p, 3, &s, &err), LMD_OK);
    float l[3] = { 3.0f, 2.0f, 1.0f };
    T_EQ_INT(lmd_sample_next(s, l), 0);
    lmd_sample_accept(s, 0);
    T_EQ_INT(lmd_sample_next(s, l), 1);  /* 0 penalised */
    lmd_sample_accept(s, 1);
    T_EQ_INT(lmd_sample_next(s, l), 2);  /* 0 and 1 penalised */
    lmd_sample_accept(s, 2);             /* window now {1, 2}: 0 is free again */
    T_EQ_INT(lmd_sample_next(s, l), 0);
    lmd_sample_reset(s);
    T_EQ_INT(lmd_sample_next(s, l), 0);
    lmd_sample_free(s);
    /* greedy (temperature 0) ignores the penalties: plain argmax */
    p.temperature = 0;
    T_EQ_INT(lmd_sample_new(&p, 3, &s, &err), LMD_OK);
    lmd_sample_accept(s, 0);
    T_EQ_INT(lmd_sample_next(s, l), 0);
    lmd_sample_free(s);
}

T_TEST(logprobs_are_log_softmax_of_raw_logits) {
    float l[5] = { 1.0f, 3.0f, 2.0f, 3.0f, -1.0f };
    int32_t ids[3];
    float lp[3];
    float z = logf(expf(1) + 2 * expf(3) + expf(2) + expf(-1));
    T_NEAR(lmd_sample_logprobs(l, 5, 2, 3, ids, lp), 2.0f - z, 1e-5);
    T_EQ_INT(ids[0], 1);
    T_EQ_INT(ids[1], 3);
    T_EQ_INT(ids[2], 2);
    T_NEAR(lp[0], 3.0f - z, 1e-5);
    T_NEAR(lp[2], 2.0f - z, 1e-5);
    T_CHECK(isinf(lmd_sample_logprobs(l, 5, 7, 0, NULL, NULL)));
}

static void feed(lmd_sample_stop *st, const char *const *pieces, int n, char *out, size_t *ol, bool *stopped) {
    for (int i = 0; i < n && !*stopped; i++) *ol += lmd_sample_stop_push(st, pieces[i], strlen(pieces[i]), out + *ol, 4096, stopped);
}

T_TEST(stop_strings_split_across_tokens_are_never_printed) {
    const char *stops[] = { "</answer>", "STOP" };
    lmd_sample_stop *st = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_sample_stop_new(stops, 2, &st, &err), LMD_OK);
    char out[8192];
    size_t ol = 0;
    bool stopped = false;
    const char *p1[] = { "The answer is 4", "</an", "swer> and more" };
    size_t before = 0;
    ol += lmd_sample_stop_push(st, p1[0], strlen(p1[0]), out, 4096, &stopped);
    before = ol;
    ol += lmd_sample_stop_push(st, p1[1], strlen(p1[1]), out + ol, 4096, &stopped);
    T_EQ_INT(ol, before);  /* "</an" is held back */
    T_CHECK(!stopped);
    ol += lmd_sample_stop_push(st, p1[2], strlen(p1[2]), out + ol, 4096, &stopped);
    T_CHECK(stopped);
    out[ol] = 0;
    T_EQ_STR(out, "The answer is 4");
    lmd_sample_stop_free(st);

    /* a held prefix that turns out not to be a stop is released */
    T_EQ_INT(lmd_sample_stop_new(stops, 2, &st, &err), LMD_OK);
    ol = 0;
    stopped = false;
    const char *p2[] = { "ST", "O", "RY time", "</a" };
    feed(st, p2, 4, out, &ol, &stopped);
    T_CHECK(!stopped);
    ol += lmd_sample_stop_flush(st, out + ol, 4096);
    out[ol] = 0;
    T_EQ_STR(out, "STORY time</a");
    lmd_sample_stop_free(st);

    /* stop string inside one piece, and earliest of two wins */
    T_EQ_INT(lmd_sample_stop_new(stops, 2, &st, &err), LMD_OK);
    ol = 0;
    stopped = false;
    const char *p3[] = { "abc STOP def </answer>" };
    feed(st, p3, 1, out, &ol, &stopped);
    out[ol] = 0;
    T_CHECK(stopped);
    T_EQ_STR(out, "abc ");
    lmd_sample_stop_free(st);

    const char *bad[65];
    for (int i = 0; i < 65; i++) bad[i] = "x";
    T_EQ_INT(lmd_sample_stop_new(bad, 65, &st, &err), LMD_E_LIMIT);
}
