/* load.c — how the server loads a model by name for the model manager: resolve through the
 * store, map the GGUF, build the forward pass and KV pool, wrap them in an engine. The
 * store and model modules have not landed on main yet, so every name is unknown for now. */
#include <stdio.h>

#include "server/server_int.h"

static lmd_status load_model(void *ctx, lmd_model_inst *inst, int64_t num_ctx, lmd_err *err) {
    return lmd_err_set(err, LMD_E_NOT_FOUND, "model '%s' not found", inst->name);
}

static void unload_model(void *ctx, lmd_model_inst *inst) {
    lmd_engine_free(inst->engine);
    inst->engine = NULL;
}

void lmd_server_loader(lmd_models_opts *o, lmd_server *s) {
    o->load = load_model;
    o->unload = unload_model;
    o->ctx = s;
}
