/* sched.c — one engine step: take new requests, drop cancelled ones, pack a batch (decodes
 * first, then prefill chunks, then admissions), run the forward pass, sample, finish.
 * Runs on the engine thread only; touches shared state only under e->mu. */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"

#define BT LMD_ENGINE_BLOCK_TOKENS

static void waiting_insert(lmd_engine *e, lmd_seq *s) {
    lmd_seq **pp = &e->waiting;
    while (*pp && (*pp)->arrival < s->arrival) pp = &(*pp)->next;
    s->next = *pp;
    *pp = s;
}

static void running_remove(lmd_engine *e, lmd_seq *s) {
    for (int i = 0; i < e->n_running; i++) {
        if (e->running[i] != s) continue;
        memmove(&e->running[i], &e->running[i + 1],
                (size_t)(e->n_running - i - 1) * sizeof e->running[0]);
        e->n_running--;
        return;
    }
}

static void running_insert(lmd_engine *e, lmd_seq *s) {
    int i = e->n_running;
    while (i > 0 && e->running[i - 1]->arrival > s->arrival) {
        e->running[i] = e->running[i - 1];
        i--;
    }
    e->running[i] = s;
    e->n_running++;
}

static void release_blocks(lmd_engine *e, lmd_seq *s) {
    for (int64_t i = 0; i < s->n_blocks; i++) lmd_blocks_release(&e->blocks, s->blocks[i]);
    s->n_blocks = 0;
    s->n_published = 0;
}

/* Hashes every full block of known tokens not hashed yet. */
static void hash_full_blocks(lmd_engine *e, lmd_seq *s) {
    while ((s->n_hashed + 1) * BT <= s->n_tokens) {
        const lmd_block_hash *prev = s->n_hashed ? &s->hashes[s->n_hashed - 1] : &e->seed;
        lmd_block_hash_next(prev, s->tokens + s->n_hashed * BT, BT, &s->hashes[s->n_hashed]);
        s->n_hashed++;
    }
}

/* Publishes the blocks whose every token is now computed. */
static void publish_computed(lmd_engine *e, lmd_seq *s) {
    hash_full_blocks(e, s);
    while (s->n_published < s->n_blocks && (s->n_published + 1) * BT <= s->n_computed &&
           s->n_published < s->n_hashed) {
        lmd_blocks_publish(&e->blocks, s->blocks[s->n_published], &s->hashes[s->n_published]);
        s->n_published++;
    }
}

/* Back to waiting with no blocks; what was computed is recomputed (its full blocks probably
 * still sit in the prefix cache). */
static void preempt(lmd_engine *e, lmd_seq *s) {
    release_blocks(e, s);
    s->n_computed = 0;
    s->n_preempted++;
    e->n_preemptions++;
    running_remove(e, s);
    waiting_insert(e, s);
}

/* Grows s's block table to hold positions [0, upto). Preempts the youngest running sequence
 * when blocks run out; returns false when s itself had to go. */
static bool ensure_blocks(lmd_engine *e, lmd_seq *s, int64_t upto) {
    int64_t need = (upto + BT - 1) / BT;
    while (s->n_blocks < need) {
        int32_t id = lmd_blocks_alloc(&e->blocks);
        if (id >= 0) {
            s->blocks[s->n_blocks++] = id;
            continue;
        }
        lmd_seq *victim = e->running[e->n_running - 1];
        if (victim->in_batch && victim != s) return false;   /* cannot happen: youngest last */
        preempt(e, victim);
        if (victim == s) return false;
    }
    return true;
}

static void add_entries(lmd_engine *e, lmd_seq *s, int64_t n, int64_t *n_entries,
                        int64_t *n_seqs, int64_t *n_logits) {
    int32_t idx = (int32_t)*n_seqs;
    e->batch_seqs[idx] = s;
    e->tables[idx] = s->blocks;
    e->tables_n[idx] = s->n_blocks;
    (*n_seqs)++;
    s->in_batch = true;
    for (int64_t i = 0; i < n; i++) {
        int64_t pos = s->n_computed + i;
        bool last = pos == s->n_tokens - 1;
        e->entries[(*n_entries)++] = (lmd_engine_entry){
            .token = s->tokens[pos], .pos = (int32_t)pos, .seq_idx = idx,
            .logits_row = last ? (int32_t)(*n_logits)++ : -1,
        };
    }
}

/* Tries to admit the oldest waiting sequence: takes cached prefix blocks, then fresh blocks
 * for the rest of its known tokens. Leaves it waiting (and holding nothing) when they do not
 * fit. */
static bool admit(lmd_engine *e, lmd_seq *s) {
    hash_full_blocks(e, s);
    /* The last token is always computed (its logits are needed), so a prompt made of full
     * cached blocks still recomputes its last block. */
    int64_t max_hits = (s->n_tokens - 1) / BT;
    if (max_hits > s->n_hashed) max_hits = s->n_hashed;
    int64_t n_hits = 0;
    while (n_hits < max_hits) {
        int32_t id = lmd_blocks_lookup(&e->blocks, &s->hashes[n_hits]);
        if (id < 0) break;
        s->blocks[s->n_blocks++] = id;
        n_hits++;
    }
    int64_t need = (s->n_tokens + BT - 1) / BT - n_hits;
    if (need > lmd_blocks_available(&e->blocks)) {
        release_blocks(e, s);
        return false;
    }
    for (int64_t i = 0; i < need; i++) s->blocks[s->n_blocks++] = lmd_blocks_alloc(&e->blocks);
    s->n_published = n_hits;
    s->n_computed = n_hits * BT;
    if (!s->was_admitted) {
        s->was_admitted = true;
        s->n_cached = s->n_computed;
        s->t_admit_ns = lmd_engine_now_ns();
    }
    e->waiting = s->next;
    s->next = NULL;
    running_insert(e, s);
    return true;
}

static void take_incoming(lmd_engine *e) {
    pthread_mutex_lock(&e->mu);
    lmd_seq *s = e->in_head;
    e->in_head = e->in_tail = NULL;
    e->n_incoming = 0;
    bool cancel_all = e->cancel_all;
    pthread_mutex_unlock(&e->mu);
    while (s) {
        lmd_seq *next = s->next;
        waiting_insert(e, s);
        s = next;
    }
    if (cancel_all)
        for (lmd_seq *w = e->waiting; w; w = w->next)
            if (w->req.cancel) atomic_store(w->req.cancel, true);
    if (cancel_all)
        for (int i = 0; i < e->n_running; i++)
            if (e->running[i]->req.cancel) atomic_store(e->running[i]->req.cancel, true);
}

static bool is_cancelled(const lmd_seq *s) { return s->req.cancel && atomic_load(s->req.cancel); }

static void drop_cancelled(lmd_engine *e) {
    for (int i = e->n_running - 1; i >= 0; i--) {
        lmd_seq *s = e->running[i];
        if (!is_cancelled(s)) continue;
        running_remove(e, s);
        lmd_seq_finish(e, s, LMD_FINISH_CANCELLED, LMD_E_CANCELLED, "cancelled");
    }
    lmd_seq **pp = &e->waiting;
    while (*pp) {
        lmd_seq *s = *pp;
        if (!is_cancelled(s)) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        lmd_seq_finish(e, s, LMD_FINISH_CANCELLED, LMD_E_CANCELLED, "cancelled");
    }
}

static void publish_stats(lmd_engine *e) {
    int n_waiting = 0;
    for (lmd_seq *s = e->waiting; s; s = s->next) n_waiting++;
    pthread_mutex_lock(&e->mu);
    e->n_waiting_shared = n_waiting + e->n_incoming;
    e->stats = (lmd_engine_stats){
        .n_blocks = e->blocks.n_blocks,
        .n_free_blocks = e->blocks.n_free,
        .n_cached_blocks = e->blocks.n_lru,
        .n_used_blocks = e->blocks.n_blocks - e->blocks.n_free - e->blocks.n_lru,
        .n_running = e->n_running,
        .n_waiting = n_waiting + e->n_incoming,
        .n_steps = e->n_steps,
        .n_preemptions = e->n_preemptions,
        .n_cache_hit_blocks = e->blocks.n_hits,
        .n_evictions = e->blocks.n_evictions,
        .n_requests_done = e->n_done,
    };
    pthread_mutex_unlock(&e->mu);
}

/* After the forward pass: advance each sequence, sample where a logits row was made. */
static void after_forward(lmd_engine *e, int64_t n_seqs, int64_t n_entries) {
    int64_t row = 0;
    int64_t ei = 0;
    for (int64_t si = 0; si < n_seqs; si++) {
        lmd_seq *s = e->batch_seqs[si];
        s->in_batch = false;
        int64_t n = 0;
        while (ei < n_entries && e->entries[ei].seq_idx == si) {
            n++;
            ei++;
        }
        s->n_computed += n;
        publish_computed(e, s);
        if (s->n_computed < s->n_tokens) continue;   /* prefill goes on next step */
        float *lg = e->logits + (size_t)row * (size_t)e->model.n_vocab;
        row++;
        int32_t tok;
        if (s->req.sample) {
            tok = s->req.sample(s->req.sample_ctx, lg, e->model.n_vocab, s->tokens, s->n_tokens);
        } else {
            tok = 0;
            for (int32_t v = 1; v < e->model.n_vocab; v++)
                if (lg[v] > lg[tok]) tok = v;
        }
        if (s->n_generated == 0) s->t_first_ns = lmd_engine_now_ns();
        s->tokens[s->n_tokens++] = tok;
        s->n_generated++;
        int stop = s->req.on_token ? s->req.on_token(s->req.user, tok, lg, e->model.n_vocab) : 0;
        lmd_engine_finish reason;
        if (stop) reason = LMD_FINISH_STOP;
        else if ((s->req.max_new_tokens >= 0 && s->n_generated >= s->req.max_new_tokens) ||
                 s->n_tokens >= s->n_ctx)
            reason = LMD_FINISH_LENGTH;
        else continue;
        running_remove(e, s);
        lmd_seq_finish(e, s, reason, LMD_OK, NULL);
    }
}

int64_t lmd_engine_step(lmd_engine *e) {
    take_incoming(e);
    drop_cancelled(e);
    int64_t budget = e->opts.max_batch_tokens;
    int64_t n_entries = 0, n_seqs = 0, n_logits = 0;

    /* 1. One token for every decoding sequence, oldest first (the youngest are preempted
     *    when blocks run out, so they come last). */
    for (int i = 0; i < e->n_running && budget > 0;) {
        lmd_seq *s = e->running[i];
        if (s->n_tokens - s->n_computed != 1) {
            i++;
            continue;
        }
        if (!ensure_blocks(e, s, s->n_computed + 1)) {
            /* s was preempted (running[i] is now the next one), or it waits a step. */
            if (i < e->n_running && e->running[i] == s) i++;
            continue;
        }
        add_entries(e, s, 1, &n_entries, &n_seqs, &n_logits);
        budget--;
        i++;
    }
    /* 2. Prompt chunks of admitted sequences still prefilling. Their blocks were taken at
     *    admission, so nothing is allocated here. */
    for (int i = 0; i < e->n_running && budget > 0; i++) {
        lmd_seq *s = e->running[i];
        if (s->in_batch) continue;
        int64_t n = s->n_tokens - s->n_computed;
        if (n > budget) n = budget;
        if (n <= 0) continue;
        add_entries(e, s, n, &n_entries, &n_seqs, &n_logits);
        budget -= n;
    }
    /* 3. Admit waiting sequences in arrival order while budget, slots and blocks last. */
    while (e->waiting && budget > 0 && e->n_running < e->opts.max_seqs) {
        lmd_seq *s = e->waiting;
        if (!admit(e, s)) break;
        int64_t n = s->n_tokens - s->n_computed;
        if (n > budget) n = budget;
        add_entries(e, s, n, &n_entries, &n_seqs, &n_logits);
        budget -= n;
    }
    if (n_entries == 0) {
        /* Nothing runnable: a waiting request larger than the whole pool would wait forever. */
        if (e->n_running == 0 && e->waiting) {
            lmd_seq *s = e->waiting;
            e->waiting = s->next;
            lmd_seq_finish(e, s, LMD_FINISH_ERROR, LMD_E_LIMIT,
                           "request needs more KV blocks than the model's pool has");
        }
        publish_stats(e);
        return 0;
    }
    lmd_engine_batch batch = {
        .n_entries = n_entries, .entries = e->entries, .n_seqs = n_seqs,
        .block_tables = e->tables, .n_blocks = e->tables_n, .n_logits = n_logits,
    };
    lmd_err err = { 0 };
    lmd_status st = e->model.forward(e->model.ctx, &batch, e->logits, &err);
    e->n_steps++;
    if (st != LMD_OK) {
        for (int64_t si = 0; si < n_seqs; si++) {
            lmd_seq *s = e->batch_seqs[si];
            s->in_batch = false;
            running_remove(e, s);
            lmd_seq_finish(e, s, LMD_FINISH_ERROR, st, err.msg[0] ? err.msg : "forward failed");
        }
    } else {
        after_forward(e, n_seqs, n_entries);
    }
    publish_stats(e);
    return n_entries;
}
