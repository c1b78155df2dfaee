/* arch.c — the supported architectures, as data (see lmd_arch in model_int.h).
 * Adding an architecture is a row here plus, when it has hyperparameters of its own, a hook;
 * the forward pass (forward.c) is shared by all of them. */
#include <math.h>
#include <stdio.h>

#include "model/model_int.h"

/* gemma3: sliding window layers with their own rope base, Q scaled by 1/sqrt(head_dim) (the
 * 27B model by 1/sqrt(n_embd/n_head), as llama.cpp does for its 62 layers), embeddings by
 * sqrt(n_embd); final logit soft-capping only when the model has no sliding window. */
static lmd_status gemma3_hparams(const lmd_gguf *g, lmd_model_hparams *hp, lmd_err *err) {
    (void)g;
    (void)err;
    float d = hp->n_layer == 62 ? (float)(hp->n_embd / hp->n_head) : (float)hp->head_dim_k;
    hp->q_scale = 1.0f / sqrtf(d);
    hp->kq_scale = 1.0f;
    hp->embd_scale = sqrtf((float)hp->n_embd);
    if (hp->swa_window > 0) hp->final_softcap = 0.0f;
    return LMD_OK;
}

static const lmd_arch arches[] = {
    { .name = "llama", .rope = LMD_ROPE_NORM, .act = LMD_ACT_SILU },
    { .name = "qwen2", .rope = LMD_ROPE_NEOX, .act = LMD_ACT_SILU, .qkv_bias = true },
    { .name = "qwen3", .rope = LMD_ROPE_NEOX, .act = LMD_ACT_SILU, .qk_norm = true },
    { .name = "gemma3", .rope = LMD_ROPE_NEOX, .act = LMD_ACT_GELU_TANH, .qk_norm = true,
      .post_norms = true, .has_swa = true,
      .swa_pattern_default = 6, .hparams_hook = gemma3_hparams },
};

const lmd_arch *lmd_arch_find(lmd_str name) {
    for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
        if (lmd_str_eq_c(name, arches[i].name)) return &arches[i];
    return NULL;
}

const char *lmd_arch_names(void) { return "llama, qwen2, qwen3, gemma3"; }
