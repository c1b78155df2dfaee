/* model.h — a transformer loaded from GGUF, and its batched forward pass over a paged KV cache.
 *
 * lmd_model is the immutable part: weights (views into the mmapped file, validated at load:
 * every tensor's presence, type and shape), hyperparameters, architecture, vocabulary. It may
 * be shared by threads. lmd_model_ctx is the mutable part one engine thread owns: the KV cache
 * (kv/kv.h), the sequences in it, the scratch of a step (sized at creation from the maximum
 * batch, so a decode step allocates nothing) and the logits of the last step.
 *
 * Usage:
 *   lmd_model_load(path, NULL, &m, &err);
 *   lmd_model_ctx_create(m, &(lmd_model_ctx_params){ .n_ctx = 2048, .n_seq_max = 4 }, &c, &err);
 *   lmd_model_seq_add(c, &seq, &err);
 *   lmd_model_decode(c, &(lmd_batch){ .n_tokens = n, .token = ids, .pos = pos, .seq = seqs },
 *                    &err);
 *   const float *logits = lmd_model_logits(c, 0);    // n_vocab floats: first output row
 *   lmd_model_seq_free(c, seq);
 * Architectures supported: llama (Llama 2/3, Mistral, TinyLlama, SmolLM), qwen2, qwen3, gemma3.
 * Not done here: sampling (sample/), tokenization (tokenizer/, reachable via lmd_model_vocab),
 * scheduling (engine/). */
#ifndef LMD_MODEL_H
#define LMD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf.h"
#include "kv/kv.h"
#include "tokenizer/tokenizer.h"
#include "util/err.h"
#include "util/str.h"

struct lmd_pool;

typedef struct lmd_model lmd_model;
typedef struct lmd_model_ctx lmd_model_ctx;

/* Hyperparameters, read from `<arch>.*` metadata and checked against the tensors. */
typedef struct {
    int64_t n_vocab;        /* rows of token_embd */
    int64_t n_ctx_train;    /* <arch>.context_length */
    int64_t n_embd;         /* <arch>.embedding_length */
    int64_t n_layer;        /* <arch>.block_count */
    int64_t n_ff;           /* <arch>.feed_forward_length */
    int64_t n_head;         /* <arch>.attention.head_count */
    int64_t n_head_kv;      /* <arch>.attention.head_count_kv (default n_head) */
    int64_t head_dim_k;     /* <arch>.attention.key_length (default n_embd / n_head) */
    int64_t head_dim_v;     /* <arch>.attention.value_length (default head_dim_k) */
    int64_t n_rot;          /* <arch>.rope.dimension_count (default head_dim_k) */
    float rope_freq_base;   /* <arch>.rope.freq_base (default 10000) */
    float rope_freq_scale;  /* 1 / linear scaling factor (default 1) */
    float rope_freq_base_swa;   /* sliding-window layers (gemma3: <arch>.rope.freq_base_swa) */
    float rms_eps;          /* <arch>.attention.layer_norm_rms_epsilon */
    float kq_scale;         /* attention logit scale (1/sqrt(head_dim_k) unless the arch says) */
    float q_scale;          /* Q multiplied by this before attention (gemma3), else 1 */
    float embd_scale;       /* token embeddings multiplied by this (gemma3 sqrt(n_embd)), else 1 */
    float final_softcap;    /* 0 = none; else logits = c * tanh(logits / c) */
    float attn_softcap;     /* 0 = none; else scores = c * tanh(scores / c) */
    int64_t swa_window;     /* 0 = none; key p0 masked for query p1 when p1 - p0 >= window */
    int64_t swa_pattern;    /* layer il slides iff il % pattern < pattern - 1 (if window > 0) */
    bool tied_output;       /* no output.weight: logits use token_embd */
} lmd_model_hparams;

/* Options for loading; zero = default. */
typedef struct {
    bool no_vocab;          /* skip loading the tokenizer (lmd_model_vocab returns NULL) */
} lmd_model_params;

/* ---- model lifecycle and queries ---- */

/* Maps the file, reads hyperparameters, validates every tensor against them, loads the
 * vocabulary. Errors: LMD_E_IO (file), LMD_E_FORMAT (missing tensor, wrong shape or type,
 * inconsistent metadata: the message names the tensor or key, expected vs found),
 * LMD_E_UNSUPPORTED (architecture, weight type). p may be NULL. */
lmd_status lmd_model_load(const char *path, const lmd_model_params *p, lmd_model **out,
                          lmd_err *err);
void lmd_model_free(lmd_model *m);  /* accepts NULL; all its contexts must be freed first */

const lmd_model_hparams *lmd_model_hparams_of(const lmd_model *m);
const char *lmd_model_arch(const lmd_model *m);          /* "llama", "qwen2", ... */
const char *lmd_model_name(const lmd_model *m);          /* general.name or "" */
int64_t lmd_model_n_vocab(const lmd_model *m);
int64_t lmd_model_n_ctx_train(const lmd_model *m);
int64_t lmd_model_n_embd(const lmd_model *m);
int64_t lmd_model_n_params(const lmd_model *m);          /* elements of all tensors */
size_t lmd_model_weight_bytes(const lmd_model *m);       /* bytes of all tensors */
/* tokenizer.chat_template, or an empty view when the file has none. Valid until free. */
lmd_str lmd_model_chat_template(const lmd_model *m);
const lmd_vocab *lmd_model_vocab(const lmd_model *m);    /* NULL with no_vocab */
const lmd_gguf *lmd_model_gguf(const lmd_model *m);      /* metadata access */
/* Weight type of most 2-D tensors (e.g. "Q4_K"), as a file-type summary. */
const char *lmd_model_type_name(const lmd_model *m);

/* ---- context: KV cache + step scratch ---- */

typedef struct {
    int64_t n_ctx;        /* max tokens per sequence; 0 = n_ctx_train */
    int64_t n_seq_max;    /* sequences alive at once; 0 = 1 */
    int64_t n_batch_max;  /* max tokens per decode; 0 = n_ctx */
    int64_t n_outputs_max;/* max logits rows per decode; 0 = n_seq_max (set n_batch_max to
                             get logits for every position) */
    int64_t n_blocks;     /* KV blocks; 0 = n_seq_max * ceil(n_ctx / 16) */
    bool kv_f32;          /* KV cache in F32 (default F16) */
    struct lmd_pool *pool;/* borrowed worker pool; NULL = run on the calling thread */
} lmd_model_ctx_params;

/* Allocates the KV pool and all scratch. LMD_E_INVALID / LMD_E_LIMIT for impossible sizes,
 * LMD_E_NOMEM. The model must outlive the context. */
lmd_status lmd_model_ctx_create(const lmd_model *m, const lmd_model_ctx_params *p,
                                lmd_model_ctx **out, lmd_err *err);
void lmd_model_ctx_free(lmd_model_ctx *c);   /* accepts NULL */
const lmd_model *lmd_model_ctx_model(const lmd_model_ctx *c);
const lmd_model_ctx_params *lmd_model_ctx_params_of(const lmd_model_ctx *c); /* filled in */
/* The KV cache (block counts, sequence lengths, refcounts). Sequence operations go through
 * the lmd_model_seq_* wrappers or lmd_kv_* directly: they are the same thing. */
lmd_kv *lmd_model_ctx_kv(lmd_model_ctx *c);
/* Sets the pool used by later decodes (NULL = calling thread). */
void lmd_model_ctx_set_pool(lmd_model_ctx *c, struct lmd_pool *pool);

/* Sequences (ids 0..n_seq_max-1), see kv.h. */
lmd_status lmd_model_seq_add(lmd_model_ctx *c, int32_t *seq, lmd_err *err);
void lmd_model_seq_free(lmd_model_ctx *c, int32_t seq);
/* A new sequence sharing src's KV blocks (prefix sharing; copy on write at the first write). */
lmd_status lmd_model_seq_fork(lmd_model_ctx *c, int32_t src, int32_t *dst, lmd_err *err);
int64_t lmd_model_seq_len(const lmd_model_ctx *c, int32_t seq);  /* -1 when not alive */

/* ---- the forward pass ---- */

/* One decode step: n_tokens entries (token, position, sequence) from any number of
 * sequences. The entries of one sequence must appear in position order and continue it
 * exactly: the first has pos == lmd_model_seq_len(seq), the next pos + 1, and so on (chunked
 * prefill = several steps). Entries of different sequences may interleave. */
typedef struct {
    int64_t n_tokens;
    const int32_t *token;        /* (n_tokens) */
    const int32_t *pos;          /* (n_tokens) */
    const int32_t *seq;          /* (n_tokens) */
    const int8_t *logits;        /* (n_tokens) nonzero = return logits for this entry;
                                    NULL = the last entry of each sequence in the batch */
} lmd_batch;

/* Runs the batch: writes K/V of every entry into the cache, computes logits where asked.
 * On failure nothing changed (no tokens added to any sequence). Errors: LMD_E_INVALID (token
 * id out of range, dead sequence, positions that do not continue the sequence, more entries
 * than n_batch_max or outputs than n_outputs_max), LMD_E_LIMIT (context full: message says
 * so; out of KV blocks). Results are identical whatever else is in the batch and whatever the
 * thread count. */
lmd_status lmd_model_decode(lmd_model_ctx *c, const lmd_batch *b, lmd_err *err);
/* Logits rows of the last decode, in batch order of the entries that asked for them. */
int64_t lmd_model_n_outputs(const lmd_model_ctx *c);
const float *lmd_model_logits(const lmd_model_ctx *c, int64_t i);  /* n_vocab floats */
/* Output row of batch entry `entry` of the last decode, or -1 when it had no logits. */
int64_t lmd_model_output_of(const lmd_model_ctx *c, int64_t entry);

#endif
