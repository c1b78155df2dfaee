/* engine.h — one engine per loaded model: a step loop doing continuous batching.
 *
 * Each step packs one batch: the next token of every decoding sequence, then prompt chunks of
 * prefilling sequences up to a token budget (chunked prefill), then newly admitted ones.
 * KV memory is counted in blocks of LMD_ENGINE_BLOCK_TOKENS; a request is admitted only when
 * its blocks are free; when blocks run out mid-generation the youngest running sequence is
 * preempted (blocks released, recomputed later). Full blocks are published in a prefix cache
 * keyed by SHA-256(model key, every token up to the block's end); unreferenced cached blocks
 * are evicted least recently used. The model is reached only through lmd_engine_model, so the
 * scheduler is tested with a fake forward pass. Not here: tokenizing, sampling policy, text.
 *
 * Threads: lmd_engine_submit and the stats query may be called from any thread; callbacks of
 * a request run on the engine thread (or the lmd_engine_step caller). */
#ifndef LMD_ENGINE_H
#define LMD_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define LMD_ENGINE_BLOCK_TOKENS 16

/* One token of a batch: which token, at which position, of which batch sequence. */
typedef struct {
    int32_t token;
    int32_t pos;
    int32_t seq_idx;      /* index into lmd_engine_batch.block_tables */
    int32_t logits_row;   /* row of the logits output, or -1 when not needed */
} lmd_engine_entry;

typedef struct {
    int64_t n_entries;
    const lmd_engine_entry *entries;   /* (n_entries); one sequence's entries are contiguous
                                          and in position order */
    int64_t n_seqs;
    const int32_t *const *block_tables; /* (n_seqs) block ids; position p of a sequence lives
                                          in block_tables[s][p / LMD_ENGINE_BLOCK_TOKENS] */
    const int64_t *n_blocks;           /* (n_seqs) */
    int64_t n_logits;                  /* rows the forward pass writes */
} lmd_engine_batch;

/* The model as the engine sees it. forward writes K/V of every entry into its block slot,
 * attends each entry to positions [0, pos] of its sequence and writes logits rows
 * (n_logits, n_vocab). It must be batch-invariant: a row's values may not depend on what
 * else is in the batch. */
typedef struct {
    void *ctx;
    int32_t n_vocab;
    int64_t n_blocks;                  /* KV pool size in blocks */
    lmd_status (*forward)(void *ctx, const lmd_engine_batch *batch, float *logits,
                          lmd_err *err);
} lmd_engine_model;

typedef struct {
    int64_t max_batch_tokens;   /* token budget of a step (0 = 512) */
    int max_seqs;               /* running sequences at most (0 = 64) */
    int max_queue;              /* waiting requests at most (0 = 512); beyond: LMD_E_LIMIT */
    int64_t n_ctx;              /* largest context of a sequence (0 = n_blocks * block) */
    const char *model_key;      /* identity folded into prefix hashes (digest or path) */
    bool no_thread;             /* tests: no engine thread, the caller runs lmd_engine_step */
} lmd_engine_opts;

typedef enum {
    LMD_FINISH_STOP,       /* end-of-generation token or stop string */
    LMD_FINISH_LENGTH,     /* max tokens or context reached */
    LMD_FINISH_CANCELLED,  /* client went away or server shut down */
    LMD_FINISH_ERROR,      /* forward pass failed; msg says why */
} lmd_engine_finish;

typedef struct {
    lmd_engine_finish reason;
    lmd_status status;
    char msg[LMD_ERR_MSG_BYTES];
    int64_t n_prompt;        /* prompt tokens */
    int64_t n_cached;        /* prompt tokens served from the prefix cache (first admission) */
    int64_t n_generated;     /* tokens sampled */
    int64_t queue_ns;        /* submit -> first admission */
    int64_t prompt_ns;       /* first admission -> first token */
    int64_t eval_ns;         /* first token -> done */
    int64_t n_preempted;     /* times this sequence was preempted */
} lmd_engine_result;

/* Picks the next token from a logits row (n_vocab floats, may be modified). history is every
 * token of the sequence so far (prompt + generated) for penalties. */
typedef int32_t (*lmd_engine_sample_fn)(void *ctx, float *logits, int32_t n_vocab,
                                        const int32_t *history, int64_t n_history);

typedef struct {
    const int32_t *prompt;       /* copied at submit */
    int64_t n_prompt;            /* >= 1 */
    int64_t max_new_tokens;      /* < 0: until the context is full */
    int64_t n_ctx;               /* 0 = engine's; clamped to the engine's */
    lmd_engine_sample_fn sample; /* NULL: greedy (argmax, lowest id on ties) */
    void *sample_ctx;
    /* Called for each sampled token with its logits row (before sampling changed it is not
     * guaranteed). Return nonzero to finish with LMD_FINISH_STOP (EOG, stop string). */
    int (*on_token)(void *user, int32_t token, const float *logits, int32_t n_vocab);
    /* Called exactly once when the request ends (also when submit succeeded but the engine
     * shuts down). After it returns the engine keeps no pointer to user or cancel. */
    void (*on_done)(void *user, const lmd_engine_result *res);
    void *user;
    atomic_bool *cancel;         /* may be NULL; set by any thread to cancel at the next step */
} lmd_engine_req;

typedef struct {
    int64_t n_blocks, n_free_blocks, n_cached_blocks, n_used_blocks;
    int n_running, n_waiting;
    uint64_t n_steps, n_preemptions, n_cache_hit_blocks, n_evictions;
    uint64_t n_requests_done;
} lmd_engine_stats;

typedef struct lmd_engine lmd_engine;

/* Creates the engine and (unless opts->no_thread) starts its thread. m is borrowed and must
 * outlive the engine. */
lmd_status lmd_engine_create(const lmd_engine_model *m, const lmd_engine_opts *opts,
                             lmd_engine **out, lmd_err *err);
/* Finishes every request as cancelled (callbacks run), stops the thread, frees (NULL ok). */
void lmd_engine_free(lmd_engine *e);

/* Queues a request. LMD_E_LIMIT when the queue is full, LMD_E_INVALID for an empty prompt or
 * one that cannot fit the context. On failure no callback will run. */
lmd_status lmd_engine_submit(lmd_engine *e, const lmd_engine_req *req, lmd_err *err);
/* Sets every request's cancellation (server shutdown). */
void lmd_engine_cancel_all(lmd_engine *e);
void lmd_engine_get_stats(lmd_engine *e, lmd_engine_stats *out);
int64_t lmd_engine_n_ctx(const lmd_engine *e);

/* Runs one step on the caller's thread (no_thread engines). Returns the number of tokens in
 * the batch it ran (0: nothing to do). */
int64_t lmd_engine_step(lmd_engine *e);

#endif
