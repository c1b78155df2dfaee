/* sampling.c — penalties, temperature, top-k/top-p/min-p and a seeded RNG (splitmix64), in
 * llama.cpp's order: penalties, top-k, top-p, min-p, temperature, draw. */
#include "server/sampling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool lmd_sampler_init(lmd_sampler *s, const lmd_sampling_params *p, int32_t n_vocab) {
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->n_vocab = n_vocab;
    if (p->seed >= 0) {
        s->rng = (uint64_t)p->seed;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)s;
    }
    s->idx = malloc((size_t)n_vocab * sizeof *s->idx);
    s->prob = malloc((size_t)n_vocab * sizeof *s->prob);
    s->counts_tok = calloc((size_t)n_vocab, sizeof *s->counts_tok);
    if (!s->idx || !s->prob || !s->counts_tok) {
        lmd_sampler_free(s);
        return false;
    }
    return true;
}

void lmd_sampler_free(lmd_sampler *s) {
    free(s->idx);
    free(s->prob);
    free(s->counts_tok);
    s->idx = NULL;
    s->prob = NULL;
    s->counts_tok = NULL;
}

static int32_t argmax(const float *lg, int32_t n) {
    int32_t best = 0;
    for (int32_t v = 1; v < n; v++)
        if (lg[v] > lg[best]) best = v;
    return best;
}

static void apply_penalties(lmd_sampler *s, float *lg, const int32_t *hist, int64_t n_hist) {
    const lmd_sampling_params *p = &s->p;
    if (p->repeat_last_n == 0) return;
    if (p->repeat_penalty == 1.0f && p->presence_penalty == 0.0f && p->frequency_penalty == 0.0f)
        return;
    int64_t from = p->repeat_last_n < 0 || p->repeat_last_n > n_hist ? 0
                                                                      : n_hist - p->repeat_last_n;
    for (int64_t i = from; i < n_hist; i++)
        if (hist[i] >= 0 && hist[i] < s->n_vocab) s->counts_tok[hist[i]]++;
    for (int64_t i = from; i < n_hist; i++) {
        int32_t t = hist[i];
        if (t < 0 || t >= s->n_vocab || s->counts_tok[t] == 0) continue;
        int32_t c = s->counts_tok[t];
        s->counts_tok[t] = 0;   /* each token once */
        if (lg[t] <= 0) lg[t] *= p->repeat_penalty;
        else lg[t] /= p->repeat_penalty;
        lg[t] -= (float)c * p->frequency_penalty + p->presence_penalty;
    }
}

static int cmp_desc(const void *a, const void *b, void *ctx) {
    const float *lg = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (lg[x] > lg[y]) return -1;
    if (lg[x] < lg[y]) return 1;
    return x < y ? -1 : x > y;
}

int32_t lmd_sampler_sample(lmd_sampler *s, float *lg, const int32_t *hist, int64_t n_hist) {
    const lmd_sampling_params *p = &s->p;
    int32_t n = s->n_vocab;
    apply_penalties(s, lg, hist, n_hist);
    if (p->temperature <= 0.0f) return argmax(lg, n);
    /* Candidates sorted by logit (ties: lowest id first, so results are reproducible). */
    for (int32_t v = 0; v < n; v++) s->idx[v] = v;
    int32_t k = p->top_k > 0 && p->top_k < n ? p->top_k : n;
    qsort_r(s->idx, (size_t)n, sizeof *s->idx, cmp_desc, lg);
    float maxl = lg[s->idx[0]];
    double sum = 0;
    for (int32_t i = 0; i < k; i++) {
        s->prob[i] = expf((lg[s->idx[i]] - maxl) / 1.0f);
        sum += s->prob[i];
    }
    /* top-p over the top-k (probabilities before temperature, as llama.cpp's chain). */
    if (p->top_p < 1.0f) {
        double cum = 0;
        for (int32_t i = 0; i < k; i++) {
            cum += s->prob[i] / sum;
            if (cum >= p->top_p) {
                k = i + 1;
                break;
            }
        }
    }
    if (p->min_p > 0.0f) {
        float thr = p->min_p * s->prob[0];
        int32_t kk = 1;
        while (kk < k && s->prob[kk] >= thr) kk++;
        k = kk;
    }
    sum = 0;
    for (int32_t i = 0; i < k; i++) {
        s->prob[i] = expf((lg[s->idx[i]] - maxl) / p->temperature);
        sum += s->prob[i];
    }
    double r = (double)(splitmix(&s->rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
    double acc = 0;
    for (int32_t i = 0; i < k; i++) {
        acc += s->prob[i];
        if (r < acc) return s->idx[i];
    }
    return s->idx[k - 1];
}

float lmd_logprobs(const float *lg, int32_t n, int32_t tok, int n_top, int32_t *top_ids,
                   float *top_lp) {
    float maxl = lg[argmax(lg, n)];
    double sum = 0;
    for (int32_t v = 0; v < n; v++) sum += exp((double)(lg[v] - maxl));
    double lse = (double)maxl + log(sum);
    if (n_top > 20) n_top = 20;
    int filled = 0;
    for (int32_t v = 0; v < n && n_top > 0; v++) {
        /* insertion into a small sorted list */
        if (filled == n_top && lg[v] <= lg[top_ids[filled - 1]]) continue;
        int i = filled < n_top ? filled++ : filled - 1;
        while (i > 0 && lg[top_ids[i - 1]] < lg[v]) {
            top_ids[i] = top_ids[i - 1];
            i--;
        }
        top_ids[i] = v;
    }
    for (int i = 0; i < filled; i++) top_lp[i] = (float)((double)lg[top_ids[i]] - lse);
    return (float)((double)lg[tok] - lse);
}
