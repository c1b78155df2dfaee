/* engine.c — an engine's lifecycle: create (buffers sized once), the thread that runs steps
 * while there is work, submit (copying the request into a sequence), cancel, stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_int.h"
#include "util/log.h"

int64_t lmd_engine_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void seq_free(lmd_seq *s) {
    if (!s) return;
    free(s->tokens);
    free(s->blocks);
    free(s->hashes);
    free(s);
}

void lmd_seq_finish(lmd_engine *e, lmd_seq *s, lmd_engine_finish reason, lmd_status st,
                    const char *msg) {
    for (int64_t i = 0; i < s->n_blocks; i++) lmd_blocks_release(&e->blocks, s->blocks[i]);
    s->n_blocks = 0;
    int64_t now = lmd_engine_now_ns();
    lmd_engine_result r = {
        .reason = reason, .status = st, .n_prompt = s->n_prompt, .n_cached = s->n_cached,
        .n_generated = s->n_generated, .n_preempted = s->n_preempted,
    };
    if (msg) snprintf(r.msg, sizeof r.msg, "%s", msg);
    int64_t t_admit = s->was_admitted ? s->t_admit_ns : now;
    r.queue_ns = t_admit - s->t_submit_ns;
    int64_t t_first = s->n_generated ? s->t_first_ns : now;
    r.prompt_ns = t_first - t_admit;
    r.eval_ns = s->n_generated ? now - s->t_first_ns : 0;
    e->n_done++;
    if (s->req.on_done) s->req.on_done(s->req.user, &r);
    seq_free(s);
}

static void *engine_thread(void *arg) {
    lmd_engine *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->stopping && !e->in_head && e->n_running == 0 && !e->waiting)
            pthread_cond_wait(&e->cv, &e->mu);
        bool stop = e->stopping;
        pthread_mutex_unlock(&e->mu);
        if (stop) break;
        lmd_engine_step(e);
    }
    return NULL;
}

lmd_status lmd_engine_create(const lmd_engine_model *m, const lmd_engine_opts *opts,
                             lmd_engine **out, lmd_err *err) {
    *out = NULL;
    if (!m || !m->forward || m->n_vocab <= 0 || m->n_blocks <= 0)
        return lmd_err_set(err, LMD_E_INVALID, "engine: model needs forward, n_vocab, n_blocks");
    lmd_engine *e = calloc(1, sizeof *e);
    if (!e) return lmd_err_set(err, LMD_E_NOMEM, "engine: out of memory");
    e->model = *m;
    e->opts = *opts;
    if (e->opts.max_batch_tokens <= 0) e->opts.max_batch_tokens = 512;
    if (e->opts.max_seqs <= 0) e->opts.max_seqs = 64;
    if (e->opts.max_queue <= 0) e->opts.max_queue = 512;
    int64_t pool_tokens = m->n_blocks * LMD_ENGINE_BLOCK_TOKENS;
    e->n_ctx = e->opts.n_ctx > 0 && e->opts.n_ctx < pool_tokens ? e->opts.n_ctx : pool_tokens;
    lmd_block_hash_seed(opts->model_key, &e->seed);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    lmd_status st = lmd_blocks_init(&e->blocks, m->n_blocks, err);
    if (st != LMD_OK) goto fail;
    size_t ms = (size_t)e->opts.max_seqs;
    e->running = calloc(ms, sizeof *e->running);
    e->entries = calloc((size_t)e->opts.max_batch_tokens, sizeof *e->entries);
    e->tables = calloc(ms, sizeof *e->tables);
    e->tables_n = calloc(ms, sizeof *e->tables_n);
    e->batch_seqs = calloc(ms, sizeof *e->batch_seqs);
    e->logits = calloc(ms * (size_t)m->n_vocab, sizeof *e->logits);
    if (!e->running || !e->entries || !e->tables || !e->tables_n || !e->batch_seqs ||
        !e->logits) {
        st = lmd_err_set(err, LMD_E_NOMEM, "engine: out of memory for step buffers");
        goto fail;
    }
    if (!opts->no_thread) {
        if (pthread_create(&e->thread, NULL, engine_thread, e) != 0) {
            st = lmd_err_set(err, LMD_E_IO, "engine: cannot start thread");
            goto fail;
        }
        e->has_thread = true;
    }
    *out = e;
    return LMD_OK;
fail:
    lmd_engine_free(e);
    return st;
}

void lmd_engine_free(lmd_engine *e) {
    if (!e) return;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (e->has_thread) pthread_join(e->thread, NULL);
    /* Everything still queued or running ends as cancelled, so every caller hears back. */
    pthread_mutex_lock(&e->mu);
    lmd_seq *in = e->in_head;
    e->in_head = e->in_tail = NULL;
    pthread_mutex_unlock(&e->mu);
    while (in) {
        lmd_seq *n = in->next;
        lmd_seq_finish(e, in, LMD_FINISH_CANCELLED, LMD_E_CANCELLED, "server shutting down");
        in = n;
    }
    while (e->waiting) {
        lmd_seq *s = e->waiting;
        e->waiting = s->next;
        lmd_seq_finish(e, s, LMD_FINISH_CANCELLED, LMD_E_CANCELLED, "server shutting down");
    }
    while (e->n_running > 0) {
        lmd_seq *s = e->running[--e->n_running];
        lmd_seq_finish(e, s, LMD_FINISH_CANCELLED, LMD_E_CANCELLED, "server shutting down");
    }
    lmd_blocks_destroy(&e->blocks);
    free(e->running);
    free(e->entries);
    free(e->tables);
    free(e->tables_n);
    free(e->batch_seqs);
    free(e->logits);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

lmd_status lmd_engine_submit(lmd_engine *e, const lmd_engine_req *req, lmd_err *err) {
    if (!req->prompt || req->n_prompt <= 0)
        return lmd_err_set(err, LMD_E_INVALID, "empty prompt: nothing to evaluate");
    int64_t n_ctx = req->n_ctx > 0 && req->n_ctx < e->n_ctx ? req->n_ctx : e->n_ctx;
    if (req->n_prompt >= n_ctx)
        return lmd_err_set(err, LMD_E_INVALID,
                           "prompt has %lld tokens, the context holds %lld (need room for one "
                           "more)", (long long)req->n_prompt, (long long)n_ctx);
    lmd_seq *s = calloc(1, sizeof *s);
    int64_t max_blocks = (n_ctx + LMD_ENGINE_BLOCK_TOKENS - 1) / LMD_ENGINE_BLOCK_TOKENS;
    if (s) {
        s->tokens = malloc((size_t)n_ctx * sizeof *s->tokens);
        s->blocks = malloc((size_t)max_blocks * sizeof *s->blocks);
        s->hashes = malloc((size_t)max_blocks * sizeof *s->hashes);
    }
    if (!s || !s->tokens || !s->blocks || !s->hashes) {
        seq_free(s);
        return lmd_err_set(err, LMD_E_NOMEM, "out of memory for a sequence of %lld tokens",
                           (long long)n_ctx);
    }
    s->req = *req;
    memcpy(s->tokens, req->prompt, (size_t)req->n_prompt * sizeof *s->tokens);
    s->req.prompt = NULL;
    s->n_tokens = s->n_prompt = req->n_prompt;
    s->n_ctx = n_ctx;
    s->t_submit_ns = lmd_engine_now_ns();
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        seq_free(s);
        return lmd_err_set(err, LMD_E_CANCELLED, "model is being unloaded");
    }
    if (e->n_waiting_shared >= e->opts.max_queue) {
        int q = e->opts.max_queue;
        pthread_mutex_unlock(&e->mu);
        seq_free(s);
        return lmd_err_set(err, LMD_E_LIMIT,
                           "server busy: %d requests already waiting (LMD_MAX_QUEUE), try again",
                           q);
    }
    s->arrival = e->next_arrival++;
    if (e->in_tail) e->in_tail->next = s;
    else e->in_head = s;
    e->in_tail = s;
    e->n_incoming++;
    e->n_waiting_shared++;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    return LMD_OK;
}

void lmd_engine_cancel_all(lmd_engine *e) {
    pthread_mutex_lock(&e->mu);
    e->cancel_all = true;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

void lmd_engine_get_stats(lmd_engine *e, lmd_engine_stats *out) {
    pthread_mutex_lock(&e->mu);
    *out = e->stats;
    if (e->stats.n_blocks == 0) {
        out->n_blocks = out->n_free_blocks = e->blocks.n_blocks;
    }
    out->n_waiting = e->n_waiting_shared;
    pthread_mutex_unlock(&e->mu);
}

int64_t lmd_engine_n_ctx(const lmd_engine *e) { return e->n_ctx; }
