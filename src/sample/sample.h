/* sample.h — picking the next token from logits, and knowing when to stop.
 *
 * A sampler (one per request) applies llama.cpp's sampler semantics in the order
 * penalties (repeat / presence / frequency over the last repeat_last_n tokens) -> top-k ->
 * top-p -> min-p -> typical-p -> temperature -> a draw from its own seeded generator. At
 * temperature <= 0 it is greedy: the argmax of the raw logits (ties: lowest id), no other stage,
 * so `--temperature 0` reproduces reference greedy generations. Everything it needs
 * is allocated at creation from n_vocab; a step allocates nothing. The same seed, history and
 * logits give the same token. Not thread-safe (one request, one sampler).
 *
 * The stop matcher holds back text that could be the start of a stop string, so a stop string
 * split across tokens is still caught and never printed. */
#ifndef LMD_SAMPLE_H
#define LMD_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct {
    float temperature;        /* 0.8; <= 0: greedy */
    int32_t top_k;            /* 40; <= 0: off */
    float top_p;              /* 0.9; >= 1: off */
    float min_p;              /* 0.0; <= 0: off */
    float typical_p;          /* 1.0; >= 1: off */
    int32_t repeat_last_n;    /* 64; 0: penalties off; -1: the whole context (n_ctx) */
    float repeat_penalty;     /* 1.1; 1: off */
    float presence_penalty;   /* 0 */
    float frequency_penalty;  /* 0 */
    int64_t seed;             /* -1 (any negative): a random seed */
    int32_t n_ctx;            /* context length, for repeat_last_n = -1 (default 4096) */
} lmd_sample_params;

/* Ollama's defaults (shown above). */
void lmd_sample_params_default(lmd_sample_params *p);

typedef struct lmd_sample lmd_sample;

lmd_status lmd_sample_new(const lmd_sample_params *p, int32_t n_vocab, lmd_sample **out, lmd_err *err);
void lmd_sample_free(lmd_sample *s);

/* Adds a token to the penalty history (prompt tokens too, as llama.cpp's server does). */
void lmd_sample_accept(lmd_sample *s, int32_t token);
/* Forgets the history; the generator keeps its state. */
void lmd_sample_reset(lmd_sample *s);

/* Picks the next token from n_vocab logits (not modified). Returns -1 only when every logit is
 * NaN or -inf. Does not accept the token (call lmd_sample_accept). */
int32_t lmd_sample_next(lmd_sample *s, const float *logits);

/* OpenAI-style log-probabilities of the raw logits (log-softmax, no sampler stages): returns the
 * log-probability of `token`, and fills the n_top (<= 20) most likely ids and their
 * log-probabilities, best first (ties: lowest id). n_top may be 0 (then the arrays may be NULL). */
float lmd_sample_logprobs(const float *logits, int32_t n_vocab, int32_t token, int n_top,
                          int32_t *top_ids, float *top_logprobs);

/* ---- stop strings ---- */
typedef struct lmd_sample_stop lmd_sample_stop;

/* Copies the stop strings (empty ones are ignored). At most 64 strings of up to 1024 bytes. */
lmd_status lmd_sample_stop_new(const char *const *stops, int n_stops, lmd_sample_stop **out, lmd_err *err);
void lmd_sample_stop_free(lmd_sample_stop *st);
/* Feeds generated text; writes the bytes that are safe to show to out and returns how many
 * (at most len + the bytes held so far; cap must be >= len + 1024). When a stop string is
 * complete, *stopped becomes true: the text before it is written, it and the rest are dropped.
 * After a stop, further pushes write nothing. */
size_t lmd_sample_stop_push(lmd_sample_stop *st, const char *text, size_t len, char *out, size_t cap,
                            bool *stopped);
/* End of generation without a stop: writes the held bytes. */
size_t lmd_sample_stop_flush(lmd_sample_stop *st, char *out, size_t cap);

#endif
