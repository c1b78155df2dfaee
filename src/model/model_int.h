/* model_int.h — what the files of model/ share: the architecture description, the weights,
 * the context with its step scratch, and the element-wise ops (ops.c) and attention (attn.c)
 * the forward pass (forward.c) is written with. */
#ifndef LMD_MODEL_INT_H
#define LMD_MODEL_INT_H

#include "model/model.h"
#include "tensor/pool.h"
#include "tensor/tensor.h"

typedef enum { LMD_ROPE_NORM, LMD_ROPE_NEOX } lmd_rope_kind;   /* adjacent pairs / halves */
typedef enum { LMD_ACT_SILU, LMD_ACT_GELU_TANH } lmd_act_kind; /* gated FFN activation */

/* An architecture, as data. The forward pass reads these flags; hparams_hook sets the
 * architecture's own hyperparameters (after the common ones are read). */
typedef struct lmd_arch {
    const char *name;            /* general.architecture */
    lmd_rope_kind rope;
    lmd_act_kind act;
    bool qkv_bias;               /* attn_{q,k,v}.bias required (qwen2) */
    bool qk_norm;                /* attn_{q,k}_norm per head, before rope (qwen3, gemma3) */
    bool post_norms;             /* post_attention_norm, post_ffw_norm (gemma3) */
    bool has_swa;                /* sliding-window layers (gemma3) */
    int64_t swa_pattern_default; /* when the key is absent (gemma3: 6) */
    lmd_status (*hparams_hook)(const lmd_gguf *g, lmd_model_hparams *hp, lmd_err *err);
} lmd_arch;

/* The architecture table lookup (arch.c); NULL when unknown. */
const lmd_arch *lmd_arch_find(lmd_str name);
/* Comma-separated list of supported names, for error messages. */
const char *lmd_arch_names(void);

/* One layer's weights; optional tensors have data == NULL. */
typedef struct {
    const float *attn_norm;      /* (n_embd) */
    lmd_matrix wq, wk, wv, wo;   /* (n_head*hd_k, n_embd) ... wo: (n_embd, n_head*hd_v) */
    const float *bq, *bk, *bv;   /* biases or NULL */
    const float *q_norm, *k_norm;/* (hd_k) or NULL */
    const float *post_attn_norm; /* (n_embd) or NULL */
    const float *ffn_norm;       /* (n_embd) */
    lmd_matrix w_gate, w_up;     /* (n_ff, n_embd) */
    lmd_matrix w_down;           /* (n_embd, n_ff) */
    const float *post_ffn_norm;  /* (n_embd) or NULL */
    bool swa;                    /* this layer uses the sliding window */
    float rope_base;             /* per layer (gemma3 SWA layers differ) */
} lmd_layer;

struct lmd_model {
    lmd_gguf *g;
    const lmd_arch *arch;
    lmd_model_hparams hp;
    char *name;
    lmd_vocab *vocab;
    lmd_matrix tok_embd;         /* (n_vocab, n_embd) */
    const float *output_norm;    /* (n_embd) */
    lmd_matrix output;           /* (n_vocab, n_embd); == tok_embd when tied */
    const float *rope_freqs;     /* (n_rot/2) frequency factors (llama3) or NULL */
    lmd_layer *layers;           /* (n_layer) */
    int64_t n_params;
    size_t weight_bytes;
    const char *type_name;
};

/* Step scratch, all sized at context creation for n_batch_max tokens (B). */
struct lmd_model_ctx {
    const lmd_model *m;
    lmd_model_ctx_params p;
    lmd_kv *kv;
    lmd_pool *pool;
    float *x;        /* (B, n_embd) residual stream */
    float *xn;       /* (B, n_embd) normalized input of a sub-block */
    float *q;        /* (B, n_head * hd_k) */
    float *k;        /* (B, n_head_kv * hd_k) */
    float *v;        /* (B, n_head_kv * hd_v) */
    float *att;      /* (B, n_head * hd_v) attention output */
    float *tmp;      /* (B, n_embd) projection output */
    float *gate;     /* (B, n_ff) */
    float *up;       /* (B, n_ff) */
    float *out_x;    /* (n_outputs_max, n_embd) rows that get logits */
    float *logits;   /* (n_outputs_max, n_vocab) */
    void *mm_scratch;       /* activations converted for lmd_matmul */
    /* batch bookkeeping of the last decode */
    int64_t n_entries;      /* entries of the last batch (0 after a failed decode) */
    int64_t *out_of_entry;  /* (B) entry -> output row or -1 */
    int64_t *out_entry;     /* (O) output row -> entry */
    int64_t n_outputs;
    int32_t *grp_seq;       /* (B) distinct sequences of the batch, first-appearance order */
    int64_t *grp_start;     /* (B + 1) offsets into grp_entries per group */
    int64_t *grp_entries;   /* (B) entry indices grouped by sequence, in batch order */
    int64_t n_groups;
    int64_t *seq_next;      /* (n_seq_max) sequence length after the batch */
    int64_t *seq_group;     /* (n_seq_max) group of a sequence; -1 = not in the batch */
};

/* ---- ops.c: element-wise operations with llama.cpp's numerics ---- */
/* y = x / sqrt(mean(x^2) + eps) * w over n elements (sum in double like ggml); y may be x. */
void lmd_op_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps);
/* Rotates the first n_rot dims of each of n_heads heads (head_dim apart) of one token at
 * position pos. freq_factors (n_rot/2) may be NULL. */
void lmd_op_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos,
                 float freq_base, float freq_scale, const float *freq_factors,
                 lmd_rope_kind kind);
/* gate = act(gate) * up over n elements. */
void lmd_op_glu(float *gate, const float *up, int64_t n, lmd_act_kind act);
/* GELU (tanh approximation) through ggml's FP16 table: x rounded to FP16, table value. */
float lmd_op_gelu(float x);

/* ---- attn.c: paged attention ---- */
/* att(entry, n_head*hd_v) for every entry of the current batch, reading K/V of layer il
 * through the block tables; (sequence, head) pairs are split over the pool. */
void lmd_attn_batch(lmd_model_ctx *c, int64_t il, const int32_t *pos);

#endif
