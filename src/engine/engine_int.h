/* engine_int.h — the engine's sequences and state, shared by engine.c (lifecycle, thread,
 * submit) and sched.c (the step). */
#ifndef LMD_ENGINE_INT_H
#define LMD_ENGINE_INT_H

#include <pthread.h>

#include "engine/blocks.h"
#include "engine/engine.h"

typedef struct lmd_seq lmd_seq;
struct lmd_seq {
    lmd_engine_req req;
    uint64_t arrival;          /* submit order: smaller = older */
    int32_t *tokens;           /* (n_ctx) prompt then generated tokens */
    int64_t n_tokens, n_prompt, n_ctx;
    int64_t n_computed;        /* tokens whose K/V are in the blocks */
    int32_t *blocks;           /* (max blocks) block table */
    int64_t n_blocks;
    lmd_block_hash *hashes;    /* (max blocks) chained hash of each full block of tokens */
    int64_t n_hashed;          /* full blocks hashed so far */
    int64_t n_published;       /* leading blocks already published */
    int64_t n_generated, n_cached, n_preempted;
    bool was_admitted, in_batch;
    int64_t t_submit_ns, t_admit_ns, t_first_ns;
    lmd_seq *next;
};

struct lmd_engine {
    lmd_engine_model model;
    lmd_engine_opts opts;
    int64_t n_ctx;
    lmd_block_hash seed;
    lmd_blocks blocks;
    /* Shared with submitters (mu): incoming list, counts, flags. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lmd_seq *in_head, *in_tail;
    int n_incoming;
    int n_waiting_shared;      /* waiting + incoming, for the queue cap */
    bool stopping, cancel_all;
    lmd_engine_stats stats;    /* snapshot updated after each step (mu) */
    uint64_t next_arrival;
    /* Engine thread only. */
    lmd_seq *waiting;          /* sorted by arrival */
    lmd_seq **running;         /* (max_seqs) sorted by arrival */
    int n_running;
    lmd_engine_entry *entries; /* (max_batch_tokens) */
    const int32_t **tables;    /* (max_seqs) */
    int64_t *tables_n;         /* (max_seqs) */
    lmd_seq **batch_seqs;      /* (max_seqs) */
    float *logits;             /* (max_seqs, n_vocab) */
    uint64_t n_steps, n_preemptions, n_done;
    pthread_t thread;
    bool has_thread;
};

int64_t lmd_engine_now_ns(void);
/* Ends a sequence: releases its blocks, runs on_done, frees it. */
void lmd_seq_finish(lmd_engine *e, lmd_seq *s, lmd_engine_finish reason, lmd_status st,
                    const char *msg);

#endif
