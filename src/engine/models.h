/* models.h — the loaded-model manager: which models are in memory, for how long.
 *
 * A request acquires a model by name (loading it if needed; concurrent first requests wait
 * for one load), uses its engine, and releases it with a keep_alive: the model stays until
 * that long after its last release (negative = forever, 0 = unload when idle). At most
 * max_loaded models are resident; loading another unloads the least recently used idle one
 * first (waiting for one to become idle if all are busy). The manager does not know how a
 * model is loaded: the loader callbacks (server/load.c in production, fakes in tests) do.
 * Lock order: manager lock only; callbacks run without it. */
#ifndef LMD_ENGINE_MODELS_H
#define LMD_ENGINE_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

#define LMD_MODEL_NAME_BYTES 256

typedef struct {
    char name[LMD_MODEL_NAME_BYTES];   /* the name it was acquired by (canonical) */
    char digest[80];                   /* "sha256:..." of the model, or "" */
    int64_t size_bytes;                /* resident size estimate (weights + KV) */
    int64_t n_ctx;                     /* context the engine was built with */
    lmd_engine *engine;                /* set by the loader */
    void *payload;                     /* loader's own state (vocab, template...) */
    int64_t load_ns;                   /* how long loading took */
} lmd_model_inst;

typedef struct {
    /* Fills inst->engine, payload, digest, size_bytes, n_ctx (name is set). num_ctx 0 =
     * the model's default. */
    lmd_status (*load)(void *ctx, lmd_model_inst *inst, int64_t num_ctx, lmd_err *err);
    /* Frees what load made (the engine too). */
    void (*unload)(void *ctx, lmd_model_inst *inst);
    void *ctx;
    int max_loaded;                 /* 0 = LMD_MAX_LOADED_MODELS or 3 */
    int64_t default_keep_alive_ms;  /* 0 = LMD_KEEP_ALIVE or 5 minutes */
    int max_queue;
    bool no_reaper;                 /* tests: expiry only through lmd_models_reap */
} lmd_models_opts;

typedef struct lmd_models lmd_models;

/* One row of lmd_models_list. */
typedef struct {
    char name[LMD_MODEL_NAME_BYTES];
    char digest[80];
    int64_t size_bytes, n_ctx;
    int64_t expires_unix_ms;   /* wall clock; INT64_MAX = never; 0 = busy (not counting) */
    int refs;
    lmd_engine_stats stats;
} lmd_models_row;

lmd_status lmd_models_create(const lmd_models_opts *opts, lmd_models **out, lmd_err *err);
/* Unloads everything (engines finish their requests as cancelled first). NULL ok. */
void lmd_models_free(lmd_models *m);

/* The default keep_alive in ms (negative = forever). */
int64_t lmd_models_default_keep_alive_ms(const lmd_models *m);

/* Returns the loaded model, loading it first if needed; the caller holds a reference until
 * lmd_models_release. *loaded_now says whether this call did the load. */
lmd_status lmd_models_acquire(lmd_models *m, const char *name, int64_t num_ctx,
                              lmd_model_inst **out, bool *loaded_now, lmd_err *err);
/* Drops the reference; the model expires keep_alive_ms later (<0 never, 0 when idle). Never
 * unloads on the calling thread (it may be the model's engine thread): the reaper does. */
void lmd_models_release(lmd_models *m, lmd_model_inst *inst, int64_t keep_alive_ms);
/* Marks a loaded model to go as soon as it is idle (keep_alive 0, `lmd stop`).
 * LMD_E_NOT_FOUND when it is not loaded. */
lmd_status lmd_models_expire(lmd_models *m, const char *name, lmd_err *err);
/* Unloads every idle model whose time is up; returns how many went. */
int lmd_models_reap(lmd_models *m);
/* Copies up to cap rows (most recently used first); returns the number of loaded models. */
int lmd_models_list(lmd_models *m, lmd_models_row *rows, int cap);
/* Cancels every request in every engine (shutdown). */
void lmd_models_cancel_all(lmd_models *m);

#endif
