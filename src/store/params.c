/* params.c — the options a Modelfile PARAMETER line may set, with their types, as Ollama's
 * api.Options and api.Runner declare them (including ones newer Ollama ignores, so old
 * Modelfiles still parse). */
#include <string.h>

#include "store/store_int.h"

static const struct {
    const char *name;
    lmd_param_kind kind;
} params[] = {
    /* api.Runner */
    { "numa", LMD_PARAM_BOOL }, { "num_ctx", LMD_PARAM_INT }, { "num_batch", LMD_PARAM_INT },
    { "num_gpu", LMD_PARAM_INT }, { "main_gpu", LMD_PARAM_INT }, { "low_vram", LMD_PARAM_BOOL },
    { "f16_kv", LMD_PARAM_BOOL }, { "logits_all", LMD_PARAM_BOOL },
    { "vocab_only", LMD_PARAM_BOOL }, { "use_mmap", LMD_PARAM_BOOL },
    { "use_mlock", LMD_PARAM_BOOL }, { "num_thread", LMD_PARAM_INT },
    /* api.Options */
    { "num_keep", LMD_PARAM_INT }, { "seed", LMD_PARAM_INT }, { "num_predict", LMD_PARAM_INT },
    { "top_k", LMD_PARAM_INT }, { "top_p", LMD_PARAM_FLOAT }, { "min_p", LMD_PARAM_FLOAT },
    { "tfs_z", LMD_PARAM_FLOAT }, { "typical_p", LMD_PARAM_FLOAT },
    { "repeat_last_n", LMD_PARAM_INT }, { "temperature", LMD_PARAM_FLOAT },
    { "repeat_penalty", LMD_PARAM_FLOAT }, { "presence_penalty", LMD_PARAM_FLOAT },
    { "frequency_penalty", LMD_PARAM_FLOAT }, { "mirostat", LMD_PARAM_INT },
    { "mirostat_tau", LMD_PARAM_FLOAT }, { "mirostat_eta", LMD_PARAM_FLOAT },
    { "penalize_newline", LMD_PARAM_BOOL }, { "stop", LMD_PARAM_STRINGS },
};

bool lmd_param_kind_of(const char *name, lmd_param_kind *kind) {
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (!strcmp(params[i].name, name)) {
            *kind = params[i].kind;
            return true;
        }
    return false;
}
