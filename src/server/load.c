/* load.c — how the server loads a model by name for the model manager: resolve it in the
 * store, map the GGUF (model/), build a context whose KV pool the engine's scheduler manages
 * block by block, parse the prompt template, and start an engine over it.
 *
 * The engine hands each step's block tables to the forward pass; the KV cache takes them as
 * engine-managed sequences (lmd_kv_seq_set_external), so prefix caching and preemption stay
 * the scheduler's business. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"
#include "store/store.h"
#include "template/gotmpl.h"
#include "template/jinja.h"
#include "util/log.h"

#include "model/model.h"
#include "tensor/pool.h"

typedef struct {
    lmd_model *model;
    lmd_model_ctx *ctx;
    lmd_pool *pool;
    lmd_engine_model em;
    lmd_srv_model sm;
    int64_t max_seqs;
    int32_t *tok, *pos, *seq;   /* (max_batch) decode arrays */
    int8_t *want;
} loaded;

static int64_t env_i64(const char *name, int64_t dflt) {
    const char *v = getenv(name);
    return v && *v && atoll(v) > 0 ? atoll(v) : dflt;
}

/* The engine's batch as the model's: batch slot i is KV sequence i, pointed at the engine's
 * block table for this step. */
static lmd_status forward(void *vctx, const lmd_engine_batch *b, float *logits, lmd_err *err) {
    loaded *L = vctx;
    lmd_kv *kv = lmd_model_ctx_kv(L->ctx);
    int64_t first = 0;
    for (int64_t s = 0; s < b->n_seqs; s++) {
        while (first < b->n_entries && b->entries[first].seq_idx != s) first++;
        int64_t len = first < b->n_entries ? b->entries[first].pos : 0;
        lmd_status st = lmd_kv_seq_set_external(kv, (int32_t)s, b->block_tables[s],
                                                b->n_blocks[s], len, err);
        if (st != LMD_OK) return st;
    }
    for (int64_t i = 0; i < b->n_entries; i++) {
        L->tok[i] = b->entries[i].token;
        L->pos[i] = b->entries[i].pos;
        L->seq[i] = b->entries[i].seq_idx;
        L->want[i] = b->entries[i].logits_row >= 0;
    }
    lmd_batch mb = { .n_tokens = b->n_entries, .token = L->tok, .pos = L->pos, .seq = L->seq,
                     .logits = L->want };
    lmd_status st = lmd_model_decode(L->ctx, &mb, err);
    if (st != LMD_OK) return st;
    int32_t nv = (int32_t)lmd_model_n_vocab(L->model);
    for (int64_t r = 0; r < b->n_logits; r++)
        memcpy(logits + (size_t)r * (size_t)nv, lmd_model_logits(L->ctx, r),
               (size_t)nv * sizeof(float));
    return LMD_OK;
}

static lmd_status tok_fn(const void *v, const char *text, size_t len, bool add_special,
                         bool parse_special, int32_t **ids, int64_t *n, lmd_err *err) {
    return lmd_tokenize(v, text, len, add_special, parse_special, ids, n, err);
}

static int64_t piece_fn(const void *v, int32_t id, char *buf, size_t cap) {
    return lmd_token_to_piece(v, id, false, buf, cap);
}

static bool eog_fn(const void *v, int32_t id) { return lmd_vocab_is_eog(v, id); }

static char *token_text(const lmd_vocab *v, int32_t id) {
    if (id < 0) return strdup("");
    lmd_str s = lmd_vocab_text(v, id);
    return lmd_str_dup(s);
}

static void free_loaded(loaded *L) {
    if (!L) return;
    lmd_model_ctx_free(L->ctx);
    lmd_model_free(L->model);
    lmd_pool_free(L->pool);
    free(L->sm.template_text);
    free(L->sm.system);
    json_decref(L->sm.params);
    lmd_gotmpl_free(L->sm.gotmpl);
    lmd_jinja_free(L->sm.jinja);
    free(L->sm.bos_text);
    free(L->sm.eos_text);
    free(L->tok);
    free(L->pos);
    free(L->seq);
    free(L->want);
    free(L);
}

static lmd_status load_model(void *vctx, lmd_model_inst *inst, int64_t num_ctx, lmd_err *err) {
    lmd_server *s = vctx;
    lmd_store *st = NULL;
    lmd_store_model *sm = NULL;
    loaded *L = calloc(1, sizeof *L);
    lmd_status rc = L ? lmd_store_open(NULL, &st, err)
                      : lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    if (rc == LMD_OK) rc = lmd_store_resolve(st, inst->name, &sm, err);
    if (rc != LMD_OK) goto fail;
    if (!sm->model_path) {
        rc = lmd_err_set(err, LMD_E_INVALID, "model '%s' has no model layer", inst->name);
        goto fail;
    }
    if ((rc = lmd_model_load(sm->model_path, NULL, &L->model, err)) != LMD_OK) goto fail;
    const lmd_vocab *vocab = lmd_model_vocab(L->model);
    if (!vocab) {
        rc = lmd_err_set(err, LMD_E_UNSUPPORTED, "model '%s' has no tokenizer", inst->name);
        goto fail;
    }
    /* Context: the request's num_ctx, else the model's params, else 4096; never past what
     * the model was trained for (clamped, not an error). */
    int64_t train = lmd_model_n_ctx_train(L->model);
    json_t *params = sm->params_json ? json_loads(sm->params_json, 0, NULL) : NULL;
    int64_t n_ctx = num_ctx > 0 ? num_ctx
                    : json_is_integer(json_object_get(params, "num_ctx"))
                        ? json_integer_value(json_object_get(params, "num_ctx"))
                        : env_i64("LMD_CONTEXT_LENGTH", 4096);
    if (train > 0 && n_ctx > train) n_ctx = train;
    if (n_ctx < 32) n_ctx = 32;
    int64_t max_seqs = env_i64("LMD_NUM_PARALLEL", 32);
    int64_t max_batch = env_i64("LMD_BATCH", 512);
    /* KV pool: enough for every parallel sequence at full context, within the memory budget
     * (LMD_KV_CACHE_MB, default 2048); the scheduler preempts when it runs out. */
    const lmd_model_hparams *hp = lmd_model_hparams_of(L->model);
    int64_t block_bytes = hp->n_layer * 16 * (hp->n_head_kv * (hp->head_dim_k + hp->head_dim_v)) * 2;
    int64_t budget = env_i64("LMD_KV_CACHE_MB", 2048) << 20;
    int64_t n_blocks = max_seqs * ((n_ctx + 15) / 16);
    if (block_bytes > 0 && n_blocks > budget / block_bytes) n_blocks = budget / block_bytes;
    if (n_blocks < (n_ctx + 15) / 16) {
        n_ctx = n_blocks * 16;   /* the budget caps the context too */
        if (n_ctx < 32) {
            json_decref(params);
            rc = lmd_err_set(err, LMD_E_LIMIT, "model '%s': KV budget too small", inst->name);
            goto fail;
        }
    }
    /* Worker threads pay off only when a step has real work: for tiny models the hand-off
     * costs more than the matmuls (measured: 66 ms vs 0.5 ms a token for a 656K model on 2
     * cores), so small models run on the engine thread unless LMD_THREADS asks. */
    if ((getenv("LMD_THREADS") && atoi(getenv("LMD_THREADS")) > 1) ||
        lmd_model_weight_bytes(L->model) > ((size_t)64 << 20)) {
        if ((rc = lmd_pool_create(0, &L->pool, err)) != LMD_OK) {
            json_decref(params);
            goto fail;
        }
    }
    lmd_model_ctx_params cp = { .n_ctx = n_ctx, .n_seq_max = max_seqs, .n_batch_max = max_batch,
                                .n_outputs_max = max_seqs, .n_blocks = n_blocks,
                                .pool = L->pool };
    if ((rc = lmd_model_ctx_create(L->model, &cp, &L->ctx, err)) != LMD_OK) {
        json_decref(params);
        goto fail;
    }
    n_blocks = lmd_kv_n_blocks(lmd_model_ctx_kv(L->ctx));
    for (int64_t i = 0; i < max_seqs; i++) {
        int32_t id;
        if ((rc = lmd_model_seq_add(L->ctx, &id, err)) != LMD_OK) {
            json_decref(params);
            goto fail;
        }
    }
    L->max_seqs = max_seqs;
    L->tok = malloc((size_t)max_batch * sizeof *L->tok);
    L->pos = malloc((size_t)max_batch * sizeof *L->pos);
    L->seq = malloc((size_t)max_batch * sizeof *L->seq);
    L->want = malloc((size_t)max_batch * sizeof *L->want);
    /* the text side */
    L->sm = (lmd_srv_model){ .vocab = vocab, .tokenize = tok_fn, .piece = piece_fn,
                             .is_eog = eog_fn, .n_vocab = (int32_t)lmd_model_n_vocab(L->model),
                             .n_ctx_train = train, .params = params };
    L->sm.system = sm->system ? strdup(sm->system) : NULL;
    if (sm->template_text) {
        L->sm.template_text = strdup(sm->template_text);
        if ((rc = lmd_gotmpl_parse(sm->template_text, strlen(sm->template_text), inst->name,
                                   NULL, &L->sm.gotmpl, err)) != LMD_OK)
            goto fail;
    } else {
        lmd_str jt = lmd_model_chat_template(L->model);
        if (jt.len && lmd_jinja_parse(jt.ptr, jt.len, NULL, &L->sm.jinja, NULL) != LMD_OK)
            LMD_LOGW("model %s: GGUF chat template not usable; using {{ .Prompt }}", inst->name);
        L->sm.bos_text = token_text(vocab, lmd_vocab_bos(vocab));
        L->sm.eos_text = token_text(vocab, lmd_vocab_eos(vocab));
    }
    L->em = (lmd_engine_model){ .ctx = L, .n_vocab = L->sm.n_vocab, .n_blocks = n_blocks,
                                .forward = forward };
    lmd_engine_opts eo = { .max_batch_tokens = max_batch, .max_seqs = (int)max_seqs,
                           .max_queue = s->max_queue, .n_ctx = n_ctx,
                           .model_key = sm->manifest_digest };
    if ((rc = lmd_engine_create(&L->em, &eo, &inst->engine, err)) != LMD_OK) goto fail;
    inst->payload = &L->sm;
    L->sm.impl = L;
    inst->n_ctx = n_ctx;
    snprintf(inst->digest, sizeof inst->digest, "%s", sm->manifest_digest);
    inst->size_bytes = (int64_t)lmd_model_weight_bytes(L->model) +
                       (int64_t)lmd_kv_bytes(lmd_model_ctx_kv(L->ctx));
    lmd_store_model_free(sm);
    lmd_store_close(st);
    LMD_LOGI("loaded %s: ctx %lld, %lld KV blocks, %lld parallel", inst->name, (long long)n_ctx,
             (long long)n_blocks, (long long)max_seqs);
    return LMD_OK;
fail:
    lmd_engine_free(inst->engine);
    inst->engine = NULL;
    free_loaded(L);
    lmd_store_model_free(sm);
    lmd_store_close(st);
    return rc;
}

static void unload_model(void *vctx, lmd_model_inst *inst) {
    lmd_engine_free(inst->engine);   /* joins the engine thread first */
    inst->engine = NULL;
    lmd_srv_model *sm = inst->payload;
    if (sm) free_loaded(sm->impl);
}


void lmd_server_loader(lmd_models_opts *o, lmd_server *s) {
    o->load = load_model;
    o->unload = unload_model;
    o->ctx = s;
    o->max_queue = s->max_queue;
}
