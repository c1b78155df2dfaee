/* run_int.h — pieces of `lmd run` (run.c: arguments and the interactive loop; run_gen.c: the
 * model session and generation; run_sample.c: the token sampler used until sample/ lands). */
#ifndef LMD_CLI_RUN_INT_H
#define LMD_CLI_RUN_INT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* Generation options; Ollama's names and defaults. */
typedef struct {
    double temperature;     /* 0.8; 0 = greedy */
    int64_t top_k;          /* 40; <= 0 = off */
    double top_p;           /* 0.9; >= 1 = off */
    double min_p;           /* 0.0 */
    double repeat_penalty;  /* 1.1 (1 = off) */
    int64_t repeat_last_n;  /* 64 */
    int64_t seed;           /* -1 = from the clock */
    int64_t num_predict;    /* -1 = until end of generation or context */
    int64_t num_ctx;        /* 2048 (clamped to the model's training context) */
    int64_t num_thread;     /* 0 = all cores */
} run_opts;

void run_opts_default(run_opts *o);
/* Sets one option by Ollama's parameter name; LMD_E_INVALID naming it on a bad name/value. */
lmd_status run_opts_set(run_opts *o, const char *name, const char *value, lmd_err *err);
/* Prints the non-default parameters as /show parameters does. */
void run_opts_print(const run_opts *o);

typedef struct run_session run_session;

typedef struct {
    int64_t prompt_tokens, eval_tokens;
    int64_t load_ns, prompt_ns, eval_ns, total_ns;
} run_stats;

/* Loads the model (missing file or not a GGUF: LMD_E_INVALID/FORMAT, exit 2). */
lmd_status run_session_open(const char *path, const run_opts *o, run_session **out, lmd_err *err);
void run_session_close(run_session *s);
/* Renders messages through the model's chat template (or, raw, uses the text of the last
 * message as is), generates, streaming text to stdout. The assistant's text is returned in
 * *reply (malloc'd) when reply is not NULL. stop: set from a signal handler to end early. */
lmd_status run_generate(run_session *s, const run_opts *o, const json_t *messages, bool raw,
                        atomic_bool *stop, char **reply, run_stats *st, lmd_err *err);
/* /show info and /show template. */
void run_show_info(run_session *s);
void run_show_template(run_session *s);
/* Resets the KV cache (/clear). */
void run_session_clear(run_session *s);

/* ---- sampler (stopgap until src/sample/ exists) ---- */
typedef struct {
    uint64_t rng;
    float *probs;
    int32_t *idx;
    int64_t n_vocab;
} run_sampler;

lmd_status run_sampler_init(run_sampler *sp, int64_t n_vocab, int64_t seed, lmd_err *err);
void run_sampler_free(run_sampler *sp);
/* Picks a token from logits (modified) with o's chain; history for the repeat penalty. */
int32_t run_sample(run_sampler *sp, const run_opts *o, float *logits, const int32_t *history,
                   int64_t n_history);

#endif
