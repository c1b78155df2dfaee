/* sampling.h — the server's per-request token sampler: repetition/presence/frequency
 * penalties, temperature, top-k, top-p, min-p, seeded RNG; greedy at temperature 0. It keeps
 * its own scratch (allocated once per request) so the engine step allocates nothing. Also
 * computes log-probabilities of the raw distribution for OpenAI's logprobs. */
#ifndef LMD_SERVER_SAMPLING_H
#define LMD_SERVER_SAMPLING_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    float temperature;        /* <= 0: greedy */
    int32_t top_k;            /* <= 0: off */
    float top_p;              /* >= 1: off */
    float min_p;              /* <= 0: off */
    float repeat_penalty;     /* 1: off */
    int32_t repeat_last_n;    /* window of the penalties; -1 = whole context, 0 = off */
    float presence_penalty, frequency_penalty;
    int64_t seed;             /* < 0: random */
} lmd_sampling_params;

typedef struct {
    lmd_sampling_params p;
    int32_t n_vocab;
    uint64_t rng;
    int32_t *idx;      /* (n_vocab) scratch */
    float *prob;       /* (n_vocab) scratch */
    int32_t *counts_tok;   /* (n_vocab) penalty counts */
} lmd_sampler;

/* Allocates the scratch for n_vocab; false when out of memory. */
bool lmd_sampler_init(lmd_sampler *s, const lmd_sampling_params *p, int32_t n_vocab);
void lmd_sampler_free(lmd_sampler *s);
/* Picks a token from logits (modified in place); history = the sequence so far. */
int32_t lmd_sampler_sample(lmd_sampler *s, float *logits, const int32_t *history,
                           int64_t n_history);
/* Log-probability of token `tok` under softmax(logits), and the n_top most likely tokens
 * (ids and logprobs, best first; lowest id on ties). n_top <= 20. */
float lmd_logprobs(const float *logits, int32_t n_vocab, int32_t tok, int n_top,
                   int32_t *top_ids, float *top_lp);

#endif
