/* run_sample.c — the sampler `lmd run` uses until the shared sampler (src/sample/) is
 * published: greedy (plain argmax) at temperature 0, else repeat penalty (last repeat_last_n tokens,
 * llama.cpp's rule), top-k, top-p, min-p, temperature, then a draw from a seeded xorshift
 * generator (same seed, same prompt, same options: same output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/run_int.h"

lmd_status run_sampler_init(run_sampler *sp, int64_t n_vocab, int64_t seed, lmd_err *err) {
    memset(sp, 0, sizeof *sp);
    sp->n_vocab = n_vocab;
    sp->probs = malloc((size_t)n_vocab * sizeof *sp->probs);
    sp->idx = malloc((size_t)n_vocab * sizeof *sp->idx);
    if (!sp->probs || !sp->idx) {
        run_sampler_free(sp);
        return lmd_err_set(err, LMD_E_NOMEM, "sampler: out of memory for %lld tokens", (long long)n_vocab);
    }
    uint64_t s = seed >= 0 ? (uint64_t)seed : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    sp->rng = s * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    if (!sp->rng) sp->rng = 1;
    return LMD_OK;
}

void run_sampler_free(run_sampler *sp) {
    free(sp->probs);
    free(sp->idx);
    sp->probs = NULL;
    sp->idx = NULL;
}

static double next_unit(run_sampler *sp) {
    uint64_t x = sp->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sp->rng = x;
    return (double)(x >> 11) / 9007199254740992.0;
}

static int32_t argmax(const float *l, int64_t n) {
    int32_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (l[i] > l[best]) best = (int32_t)i;
    return best;
}

static const float *cmp_base;
static int by_logit_desc(const void *a, const void *b) {
    float x = cmp_base[*(const int32_t *)a], y = cmp_base[*(const int32_t *)b];
    if (x != y) return x < y ? 1 : -1;
    return *(const int32_t *)a - *(const int32_t *)b;
}

int32_t run_sample(run_sampler *sp, const run_opts *o, float *logits, const int32_t *history,
                   int64_t n_history) {
    int64_t n = sp->n_vocab;
    if (o->temperature <= 0) return argmax(logits, n);   /* greedy: no penalties, as the issue says */
    if (o->repeat_penalty != 1.0 && o->repeat_last_n != 0) {
        int64_t from = o->repeat_last_n < 0 || o->repeat_last_n > n_history ? 0 : n_history - o->repeat_last_n;
        for (int64_t i = from; i < n_history; i++) {
            int32_t t = history[i];
            if (t < 0 || t >= n) continue;
            bool seen = false; /* penalize each token once */
            for (int64_t j = from; j < i && !seen; j++) seen = history[j] == t;
            if (seen) continue;
            logits[t] = logits[t] > 0 ? logits[t] / (float)o->repeat_penalty : logits[t] * (float)o->repeat_penalty;
        }
    }
    for (int64_t i = 0; i < n; i++) sp->idx[i] = (int32_t)i;
    cmp_base = logits;
    qsort(sp->idx, (size_t)n, sizeof *sp->idx, by_logit_desc);
    int64_t k = o->top_k > 0 && o->top_k < n ? o->top_k : n;
    double maxl = logits[sp->idx[0]], sum = 0;
    for (int64_t i = 0; i < k; i++) {
        sp->probs[i] = (float)exp((logits[sp->idx[i]] - maxl));
        sum += sp->probs[i];
    }
    if (o->top_p < 1.0) {
        double acc = 0;
        for (int64_t i = 0; i < k; i++) {
            acc += sp->probs[i] / sum;
            if (acc >= o->top_p) { k = i + 1; break; }
        }
    }
    if (o->min_p > 0) {
        int64_t keep = 1;
        while (keep < k && sp->probs[keep] >= o->min_p * sp->probs[0]) keep++;
        k = keep;
    }
    sum = 0;
    for (int64_t i = 0; i < k; i++) {
        sp->probs[i] = (float)exp((logits[sp->idx[i]] - maxl) / o->temperature);
        sum += sp->probs[i];
    }
    double r = next_unit(sp) * sum;
    for (int64_t i = 0; i < k; i++) {
        r -= sp->probs[i];
        if (r <= 0) return sp->idx[i];
    }
    return sp->idx[k - 1];
}
