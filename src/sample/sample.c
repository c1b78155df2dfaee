/* sample.c — the per-request sampler object: history ring and counts for the penalties, the
 * seeded generator (xoshiro256**, state in the object), the chain of stages, and OpenAI-style
 * log-probabilities. All scratch is sized from n_vocab at creation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sample/sample_int.h"

struct lmd_sample {
    lmd_sample_params p;
    int32_t n_vocab;
    lmd_cand *cand, *tmp;   /* (n_vocab) */
    int32_t *count;         /* (n_vocab) occurrences in the window */
    uint32_t *stamp;        /* (n_vocab) penalties applied once per token per step */
    uint32_t mark;
    int32_t *ring;          /* (window) last tokens */
    int64_t window, n_ring, head;
    uint64_t rng[4];
};

void lmd_sample_params_default(lmd_sample_params *p) {
    *p = (lmd_sample_params){ .temperature = 0.8f, .top_k = 40, .top_p = 0.9f, .min_p = 0.0f,
                              .typical_p = 1.0f, .repeat_last_n = 64, .repeat_penalty = 1.1f,
                              .presence_penalty = 0.0f, .frequency_penalty = 0.0f, .seed = -1,
                              .n_ctx = 4096 };
}

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(uint64_t *s) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static double next_unit(uint64_t *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; }

lmd_status lmd_sample_new(const lmd_sample_params *p, int32_t n_vocab, lmd_sample **out, lmd_err *err) {
    *out = NULL;
    if (n_vocab <= 0) return lmd_err_set(err, LMD_E_INVALID, "sampler: n_vocab %d", n_vocab);
    if (isnan(p->temperature) || isnan(p->top_p) || isnan(p->min_p) || isnan(p->typical_p) ||
        isnan(p->repeat_penalty) || isnan(p->presence_penalty) || isnan(p->frequency_penalty))
        return lmd_err_set(err, LMD_E_INVALID, "sampler: a sampling option is NaN");
    if (p->repeat_last_n < -1)
        return lmd_err_set(err, LMD_E_INVALID, "sampler: repeat_last_n %d (want -1, 0 or more)", p->repeat_last_n);
    lmd_sample *s = calloc(1, sizeof *s);
    if (!s) return lmd_err_set(err, LMD_E_NOMEM, "sampler: out of memory");
    s->p = *p;
    s->n_vocab = n_vocab;
    s->window = p->repeat_last_n < 0 ? (p->n_ctx > 0 ? p->n_ctx : 4096) : p->repeat_last_n;
    s->cand = malloc((size_t)n_vocab * sizeof *s->cand);
    s->tmp = malloc((size_t)n_vocab * sizeof *s->tmp);
    s->count = calloc((size_t)n_vocab, sizeof *s->count);
    s->stamp = calloc((size_t)n_vocab, sizeof *s->stamp);
    s->ring = malloc((size_t)(s->window > 0 ? s->window : 1) * sizeof *s->ring);
    if (!s->cand || !s->tmp || !s->count || !s->stamp || !s->ring) {
        lmd_sample_free(s);
        return lmd_err_set(err, LMD_E_NOMEM, "sampler: out of memory for %d tokens", n_vocab);
    }
    uint64_t seed = (uint64_t)p->seed;
    if (p->seed < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
        uint64_t r;
        if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r) seed ^= r;
    }
    for (int i = 0; i < 4; i++) s->rng[i] = splitmix(&seed);
    *out = s;
    return LMD_OK;
}

void lmd_sample_free(lmd_sample *s) {
    if (!s) return;
    free(s->cand);
    free(s->tmp);
    free(s->count);
    free(s->stamp);
    free(s->ring);
    free(s);
}

void lmd_sample_accept(lmd_sample *s, int32_t token) {
    if (s->window <= 0 || token < 0 || token >= s->n_vocab) return;
    if (s->n_ring == s->window) {  /* drop the oldest */
        int32_t old = s->ring[s->head];
        s->count[old]--;
        s->ring[s->head] = token;
        s->head = (s->head + 1) % s->window;
    } else {
        s->ring[(s->head + s->n_ring) % s->window] = token;
        s->n_ring++;
    }
    s->count[token]++;
}

void lmd_sample_reset(lmd_sample *s) {
    for (int64_t i = 0; i < s->n_ring; i++) s->count[s->ring[(s->head + i) % s->window]] = 0;
    s->n_ring = 0;
    s->head = 0;
}

int32_t lmd_sample_next(lmd_sample *s, const float *logits) {
    lmd_cands a = { s->cand, s->n_vocab, false };
    for (int32_t i = 0; i < s->n_vocab; i++) {
        float l = logits[i];
        s->cand[i] = (lmd_cand){ i, isnan(l) ? -INFINITY : l, 0, 0, 0 };
    }
    if (s->p.temperature <= 0.0f) return lmd_stage_greedy(&a);
    if (++s->mark == 0) {  /* the stamp counter wrapped: start over */
        memset(s->stamp, 0, (size_t)s->n_vocab * sizeof *s->stamp);
        s->mark = 1;
    }
    /* the ring is contiguous from head (wrapping): two spans */
    int64_t first = s->n_ring < s->window - s->head ? s->n_ring : s->window - s->head;
    lmd_stage_penalties(&a, s->count, s->ring + s->head, first, s->stamp, s->mark, s->p.repeat_penalty,
                        s->p.frequency_penalty, s->p.presence_penalty);
    lmd_stage_penalties(&a, s->count, s->ring, s->n_ring - first, s->stamp, s->mark, s->p.repeat_penalty,
                        s->p.frequency_penalty, s->p.presence_penalty);
    lmd_stage_top_k(&a, s->p.top_k);
    lmd_stage_top_p(&a, s->p.top_p);
    lmd_stage_min_p(&a, s->p.min_p);
    lmd_stage_typical(&a, s->p.typical_p, s->tmp);
    lmd_stage_temperature(&a, s->p.temperature);
    return lmd_stage_draw(&a, next_unit(s->rng));
}

float lmd_sample_logprobs(const float *logits, int32_t n_vocab, int32_t token, int n_top,
                          int32_t *top_ids, float *top_logprobs) {
    float mx = -INFINITY;
    for (int32_t i = 0; i < n_vocab; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0;
    for (int32_t i = 0; i < n_vocab; i++) sum += exp((double)logits[i] - mx);
    double lse = mx + log(sum);
    if (n_top > 20) n_top = 20;
    if (n_top > n_vocab) n_top = n_vocab;
    int have = 0;
    for (int32_t i = 0; i < n_vocab && n_top > 0; i++) {
        float l = logits[i];
        if (isnan(l)) continue;
        /* insertion into the small best-first list (strictly greater: lower id wins ties) */
        int at = have;
        while (at > 0 && l > logits[top_ids[at - 1]]) at--;
        if (at >= n_top) continue;
        int last = have < n_top ? have : n_top - 1;
        for (int k = last; k > at; k--) top_ids[k] = top_ids[k - 1];
        top_ids[at] = i;
        if (have < n_top) have++;
    }
    for (int k = 0; k < have; k++) top_logprobs[k] = (float)(logits[top_ids[k]] - lse);
    for (int k = have; k < n_top; k++) {
        top_ids[k] = -1;
        top_logprobs[k] = -INFINITY;
    }
    if (token < 0 || token >= n_vocab) return -INFINITY;
    return (float)(logits[token] - lse);
}
