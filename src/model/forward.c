/* forward.c — the model context (KV cache + step scratch) and THE forward pass.
 *
 * lmd_model_decode runs one batch of (token, position, sequence) entries through every layer,
 * for every architecture: the flags of lmd_arch / lmd_model_hparams switch the differences
 * (biases, q/k norms, post norms, activation, scales, sliding windows) on and off. Shapes in
 * the comments: T = tokens in the batch, E = n_embd, H/Hkv = heads, D = head dim, F = n_ff,
 * O = rows that want logits, V = n_vocab. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "util/ovf.h"

/* ---- context ---- */

static void reset_outputs(lmd_model_ctx *c) {
    c->n_outputs = 0;
    c->n_entries = 0;
}

static void *alloc_arr(int64_t n1, int64_t n2, size_t elt, bool *fail) {
    size_t a, b;
    if (*fail || lmd_mul_size((size_t)n1, (size_t)n2, &a) || lmd_mul_size(a, elt, &b)) {
        *fail = true;
        return NULL;
    }
    void *p = calloc(1, b ? b : 1);
    if (!p) *fail = true;
    return p;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

lmd_status lmd_model_ctx_create(const lmd_model *m, const lmd_model_ctx_params *p,
                                lmd_model_ctx **out, lmd_err *err) {
    *out = NULL;
    const lmd_model_hparams *hp = &m->hp;
    lmd_model_ctx_params P = p ? *p : (lmd_model_ctx_params){ 0 };
    if (P.n_ctx < 0 || P.n_seq_max < 0 || P.n_batch_max < 0 || P.n_outputs_max < 0 ||
        P.n_blocks < 0 || P.n_ctx > INT32_MAX || P.n_seq_max > 65536)
        return lmd_err_set(err, LMD_E_INVALID, "model context: negative or too large size "
                           "(ctx %lld, seqs %lld, batch %lld)", (long long)P.n_ctx,
                           (long long)P.n_seq_max, (long long)P.n_batch_max);
    if (P.n_ctx == 0) P.n_ctx = hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096;
    if (P.n_seq_max == 0) P.n_seq_max = 1;
    if (P.n_batch_max == 0) P.n_batch_max = P.n_ctx < 512 ? P.n_ctx : 512;
    if (P.n_outputs_max == 0) P.n_outputs_max = P.n_seq_max;
    if (P.n_outputs_max > P.n_batch_max) P.n_outputs_max = P.n_batch_max;

    lmd_model_ctx *c = calloc(1, sizeof *c);
    if (!c) return lmd_err_set(err, LMD_E_NOMEM, "model context: out of memory");
    c->m = m;
    c->pool = P.pool;
    lmd_kv_params kp = {
        .n_layer = hp->n_layer,
        .n_embd_k = hp->n_head_kv * hp->head_dim_k,
        .n_embd_v = hp->n_head_kv * hp->head_dim_v,
        .n_ctx = P.n_ctx,
        .n_seq_max = P.n_seq_max,
        .n_blocks = P.n_blocks,
        .type = P.kv_f32 ? LMD_TYPE_F32 : LMD_TYPE_F16,
    };
    lmd_status st = lmd_kv_create(&kp, &c->kv, err);
    if (st) {
        free(c);
        return st;
    }
    P.n_ctx = lmd_kv_params_of(c->kv)->n_ctx;
    P.n_blocks = lmd_kv_n_blocks(c->kv);
    c->p = P;

    const int64_t B = P.n_batch_max, O = P.n_outputs_max;
    bool fail = false;
    c->x = alloc_arr(B, hp->n_embd, sizeof(float), &fail);
    c->xn = alloc_arr(B, hp->n_embd, sizeof(float), &fail);
    c->tmp = alloc_arr(B, hp->n_embd, sizeof(float), &fail);
    c->q = alloc_arr(B, hp->n_head * hp->head_dim_k, sizeof(float), &fail);
    c->k = alloc_arr(B, hp->n_head_kv * hp->head_dim_k, sizeof(float), &fail);
    c->v = alloc_arr(B, hp->n_head_kv * hp->head_dim_v, sizeof(float), &fail);
    c->att = alloc_arr(B, hp->n_head * hp->head_dim_v, sizeof(float), &fail);
    c->gate = alloc_arr(B, hp->n_ff, sizeof(float), &fail);
    c->up = alloc_arr(B, hp->n_ff, sizeof(float), &fail);
    c->out_x = alloc_arr(O, hp->n_embd, sizeof(float), &fail);
    c->logits = alloc_arr(O, hp->n_vocab, sizeof(float), &fail);
    c->out_of_entry = alloc_arr(B, 1, sizeof(int64_t), &fail);
    c->out_entry = alloc_arr(O, 1, sizeof(int64_t), &fail);
    c->grp_seq = alloc_arr(B, 1, sizeof(int32_t), &fail);
    c->grp_start = alloc_arr(B + 1, 1, sizeof(int64_t), &fail);
    c->grp_entries = alloc_arr(B, 1, sizeof(int64_t), &fail);
    c->seq_next = alloc_arr(P.n_seq_max, 1, sizeof(int64_t), &fail);
    c->seq_group = alloc_arr(P.n_seq_max, 1, sizeof(int64_t), &fail);
    /* The activation scratch of lmd_matmul is sized for the largest product of a step. */
    size_t mm = lmd_matmul_scratch_bytes(&m->output, O);
    for (int64_t il = 0; il < hp->n_layer; il++) {
        const lmd_layer *ly = &m->layers[il];
        const lmd_matrix *ws[] = { &ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->w_gate, &ly->w_up,
                                   &ly->w_down };
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
            mm = max_size(mm, lmd_matmul_scratch_bytes(ws[i], B));
    }
    c->mm_scratch = fail ? NULL : alloc_arr((int64_t)mm, 1, 1, &fail);
    if (fail) {
        lmd_model_ctx_free(c);
        return lmd_err_set(err, LMD_E_NOMEM, "model context: cannot allocate scratch for %lld "
                           "batch tokens", (long long)B);
    }
    reset_outputs(c);
    *out = c;
    return LMD_OK;
}

void lmd_model_ctx_free(lmd_model_ctx *c) {
    if (!c) return;
    lmd_kv_free(c->kv);
    void *bufs[] = { c->x, c->xn, c->tmp, c->q, c->k, c->v, c->att, c->gate, c->up, c->out_x,
                     c->logits, c->out_of_entry, c->out_entry, c->grp_seq, c->grp_start,
                     c->grp_entries, c->seq_next, c->seq_group, c->mm_scratch };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(c);
}

const lmd_model *lmd_model_ctx_model(const lmd_model_ctx *c) { return c->m; }
const lmd_model_ctx_params *lmd_model_ctx_params_of(const lmd_model_ctx *c) { return &c->p; }
lmd_kv *lmd_model_ctx_kv(lmd_model_ctx *c) { return c->kv; }
void lmd_model_ctx_set_pool(lmd_model_ctx *c, lmd_pool *pool) { c->pool = c->p.pool = pool; }

lmd_status lmd_model_seq_add(lmd_model_ctx *c, int32_t *seq, lmd_err *err) {
    return lmd_kv_seq_add(c->kv, seq, err);
}
void lmd_model_seq_free(lmd_model_ctx *c, int32_t seq) { lmd_kv_seq_free(c->kv, seq); }
lmd_status lmd_model_seq_fork(lmd_model_ctx *c, int32_t src, int32_t *dst, lmd_err *err) {
    return lmd_kv_seq_fork(c->kv, src, dst, err);
}
int64_t lmd_model_seq_len(const lmd_model_ctx *c, int32_t seq) {
    return lmd_kv_seq_len(c->kv, seq);
}

int64_t lmd_model_n_outputs(const lmd_model_ctx *c) { return c->n_outputs; }
const float *lmd_model_logits(const lmd_model_ctx *c, int64_t i) {
    if (i < 0 || i >= c->n_outputs) return NULL;
    return c->logits + i * c->m->hp.n_vocab;
}
int64_t lmd_model_output_of(const lmd_model_ctx *c, int64_t entry) {
    if (entry < 0 || entry >= c->n_entries) return -1;
    return c->out_of_entry[entry];
}


/* ---- batch checks: everything is validated before anything changes ---- */

static lmd_status check_batch(lmd_model_ctx *c, const lmd_batch *b, lmd_err *err) {
    const lmd_model_hparams *hp = &c->m->hp;
    const int64_t n = b->n_tokens;
    if (n < 1 || n > c->p.n_batch_max)
        return lmd_err_set(err, LMD_E_INVALID, "decode: %lld tokens in the batch, expected "
                           "1..%lld", (long long)n, (long long)c->p.n_batch_max);
    if (!b->token || !b->pos || !b->seq)
        return lmd_err_set(err, LMD_E_INVALID, "decode: batch without token/pos/seq arrays");
    for (int64_t s = 0; s < c->p.n_seq_max; s++) {
        c->seq_next[s] = lmd_kv_seq_len(c->kv, (int32_t)s);
        c->seq_group[s] = -1;
    }
    /* group entries by sequence (first-appearance order), check position continuity */
    c->n_groups = 0;
    for (int64_t i = 0; i < n; i++) {
        const int32_t s = b->seq[i];
        if (b->token[i] < 0 || b->token[i] >= hp->n_vocab)
            return lmd_err_set(err, LMD_E_INVALID, "decode: token id %d at batch entry %lld out "
                               "of range 0..%lld", (int)b->token[i], (long long)i,
                               (long long)hp->n_vocab - 1);
        if (!lmd_kv_seq_alive(c->kv, s))
            return lmd_err_set(err, LMD_E_INVALID, "decode: sequence %d at batch entry %lld is "
                               "not alive", (int)s, (long long)i);
        if (b->pos[i] != c->seq_next[s])
            return lmd_err_set(err, LMD_E_INVALID, "decode: batch entry %lld of sequence %d has "
                               "position %d, expected %lld", (long long)i, (int)s,
                               (int)b->pos[i], (long long)c->seq_next[s]);
        c->seq_next[s]++;
        if (c->seq_group[s] < 0) {
            c->seq_group[s] = c->n_groups;
            c->grp_seq[c->n_groups++] = s;
        }
    }
    int64_t need = 0;
    for (int64_t g = 0; g < c->n_groups; g++) {
        const int32_t s = c->grp_seq[g];
        if (c->seq_next[s] > c->p.n_ctx)
            return lmd_err_set(err, LMD_E_LIMIT, "decode: context full: sequence %d would hold "
                               "%lld tokens, context is %lld", (int)s,
                               (long long)c->seq_next[s], (long long)c->p.n_ctx);
        need += lmd_kv_blocks_needed(c->kv, s, c->seq_next[s]);
    }
    if (need > lmd_kv_n_free_blocks(c->kv))
        return lmd_err_set(err, LMD_E_LIMIT, "decode: out of KV cache blocks (need %lld, %lld "
                           "free)", (long long)need, (long long)lmd_kv_n_free_blocks(c->kv));
    /* outputs: flagged entries, or the last entry of each sequence */
    int64_t n_out = 0;
    for (int64_t i = 0; i < n; i++) {
        bool want = b->logits ? b->logits[i] != 0 : c->seq_next[b->seq[i]] == b->pos[i] + 1;
        c->out_of_entry[i] = want ? n_out : -1;
        if (want && n_out < c->p.n_outputs_max) c->out_entry[n_out] = i;
        n_out += want;
    }
    if (n_out > c->p.n_outputs_max)
        return lmd_err_set(err, LMD_E_INVALID, "decode: %lld logits rows asked, context allows "
                           "%lld", (long long)n_out, (long long)c->p.n_outputs_max);
    /* entries of each group, in batch order (counting sort by group) */
    for (int64_t g = 0; g <= c->n_groups; g++) c->grp_start[g] = 0;
    for (int64_t i = 0; i < n; i++) c->grp_start[c->seq_group[b->seq[i]] + 1]++;
    for (int64_t g = 0; g < c->n_groups; g++) c->grp_start[g + 1] += c->grp_start[g];
    for (int64_t g = 0; g < c->n_groups; g++) c->seq_group[c->grp_seq[g]] = c->grp_start[g];
    for (int64_t i = 0; i < n; i++) c->grp_entries[c->seq_group[b->seq[i]]++] = i;
    c->n_outputs = n_out;
    c->n_entries = n;
    return LMD_OK;
}

/* ---- the forward pass ---- */

static void matmul(lmd_model_ctx *c, const lmd_matrix *W, const float *x, float *y, int64_t n) {
    lmd_matmul(c->pool, W, x, y, n, c->mm_scratch);
}

static void add_bias(float *y, const float *bias, int64_t n_rows, int64_t n) {
    if (!bias) return;
    for (int64_t t = 0; t < n_rows; t++)
        for (int64_t i = 0; i < n; i++) y[t * n + i] += bias[i];
}

static void rmsnorm_rows(float *y, const float *x, const float *w, int64_t n_rows, int64_t n,
                         float eps) {
    for (int64_t t = 0; t < n_rows; t++) lmd_op_rmsnorm(y + t * n, x + t * n, w, n, eps);
}

static void scale(float *x, int64_t n, float s) {
    if (s == 1.0f) return;
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

static void add(float *x, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

/* Copies one token's K and V rows into its cache slot, converting to the cache type. */
static void store_kv(lmd_model_ctx *c, int64_t il, int32_t seq, int64_t pos, const float *k,
                     const float *v) {
    const lmd_model_hparams *hp = &c->m->hp;
    const int64_t nk = hp->n_head_kv * hp->head_dim_k, nv = hp->n_head_kv * hp->head_dim_v;
    void *kd = lmd_kv_k(c->kv, il, seq, pos), *vd = lmd_kv_v(c->kv, il, seq, pos);
    if (c->p.kv_f32) {
        memcpy(kd, k, (size_t)nk * sizeof(float));
        memcpy(vd, v, (size_t)nv * sizeof(float));
    } else {
        uint16_t *k16 = kd, *v16 = vd;
        for (int64_t i = 0; i < nk; i++) k16[i] = lmd_f32_to_fp16(k[i]);
        for (int64_t i = 0; i < nv; i++) v16[i] = lmd_f32_to_fp16(v[i]);
    }
}

lmd_status lmd_model_decode(lmd_model_ctx *c, const lmd_batch *b, lmd_err *err) {
    const lmd_model *m = c->m;
    const lmd_model_hparams *hp = &m->hp;
    reset_outputs(c);
    lmd_status st = check_batch(c, b, err);
    if (st) {
        reset_outputs(c);
        return st;
    }
    for (int64_t g = 0; g < c->n_groups; g++) {
        const int32_t s = c->grp_seq[g];
        st = lmd_kv_seq_grow(c->kv, s, c->seq_next[s], err);
        if (LMD_NEVER(st != LMD_OK)) return st;  /* check_batch counted the blocks */
    }
    const int64_t T = b->n_tokens, E = hp->n_embd, F = hp->n_ff;
    const int64_t Dk = hp->head_dim_k, Dv = hp->head_dim_v;
    const int64_t H = hp->n_head, Hkv = hp->n_head_kv;
    const int64_t O = c->n_outputs;

    /* x (T, E) = token embeddings (* sqrt(E) for gemma) */
    for (int64_t t = 0; t < T; t++) {
        lmd_matrix_get_row(&m->tok_embd, b->token[t], c->x + t * E);
        scale(c->x + t * E, E, hp->embd_scale);
    }

    for (int64_t il = 0; il < hp->n_layer; il++) {
        const lmd_layer *ly = &m->layers[il];

        /* ---- attention block ---- */
        /* xn (T, E) = rmsnorm(x) * attn_norm */
        rmsnorm_rows(c->xn, c->x, ly->attn_norm, T, E, hp->rms_eps);
        /* q (T, H*Dk), k (T, Hkv*Dk), v (T, Hkv*Dv) = projections (+ biases: qwen2) */
        matmul(c, &ly->wq, c->xn, c->q, T);
        matmul(c, &ly->wk, c->xn, c->k, T);
        matmul(c, &ly->wv, c->xn, c->v, T);
        add_bias(c->q, ly->bq, T, H * Dk);
        add_bias(c->k, ly->bk, T, Hkv * Dk);
        add_bias(c->v, ly->bv, T, Hkv * Dv);
        for (int64_t t = 0; t < T; t++) {
            float *q = c->q + t * H * Dk, *k = c->k + t * Hkv * Dk;
            /* per-head RMS norm of q and k over Dk (qwen3, gemma3), before rope */
            if (ly->q_norm) rmsnorm_rows(q, q, ly->q_norm, H, Dk, hp->rms_eps);
            if (ly->k_norm) rmsnorm_rows(k, k, ly->k_norm, Hkv, Dk, hp->rms_eps);
            /* rotary position embedding of the first n_rot dims of every head */
            lmd_op_rope(q, H, Dk, hp->n_rot, b->pos[t], ly->rope_base, hp->rope_freq_scale,
                        m->rope_freqs, m->arch->rope);
            lmd_op_rope(k, Hkv, Dk, hp->n_rot, b->pos[t], ly->rope_base, hp->rope_freq_scale,
                        m->rope_freqs, m->arch->rope);
            scale(q, H * Dk, hp->q_scale);  /* gemma3: 1/sqrt(Dk) here, kq_scale 1 */
            /* K, V of this token into its sequence's cache slot */
            store_kv(c, il, b->seq[t], b->pos[t], k, c->v + t * Hkv * Dv);
        }
        /* att (T, H*Dv) = softmax(q k^T * kq_scale, causal [, window]) v, per sequence */
        lmd_attn_batch(c, il, b->pos);
        /* tmp (T, E) = att wo^T (then post-attention norm: gemma3); x += tmp */
        matmul(c, &ly->wo, c->att, c->tmp, T);
        if (ly->post_attn_norm) rmsnorm_rows(c->tmp, c->tmp, ly->post_attn_norm, T, E, hp->rms_eps);
        add(c->x, c->tmp, T * E);

        /* ---- feed-forward block ---- */
        /* xn (T, E) = rmsnorm(x) * ffn_norm */
        rmsnorm_rows(c->xn, c->x, ly->ffn_norm, T, E, hp->rms_eps);
        /* gate, up (T, F); gate = act(gate) * up (SiLU, or GELU-tanh for gemma) */
        matmul(c, &ly->w_gate, c->xn, c->gate, T);
        matmul(c, &ly->w_up, c->xn, c->up, T);
        lmd_op_glu(c->gate, c->up, T * F, m->arch->act);
        /* tmp (T, E) = gate w_down^T (then post-FFN norm: gemma3); x += tmp */
        matmul(c, &ly->w_down, c->gate, c->tmp, T);
        if (ly->post_ffn_norm) rmsnorm_rows(c->tmp, c->tmp, ly->post_ffn_norm, T, E, hp->rms_eps);
        add(c->x, c->tmp, T * E);
    }

    /* out_x (O, E) = rmsnorm(x rows that want logits) * output_norm */
    for (int64_t r = 0; r < O; r++)
        lmd_op_rmsnorm(c->out_x + r * E, c->x + c->out_entry[r] * E, m->output_norm, E,
                       hp->rms_eps);
    /* logits (O, V) = out_x output^T (soft-capped when the model says so) */
    if (O > 0) matmul(c, &m->output, c->out_x, c->logits, O);
    if (hp->final_softcap > 0.0f) {
        const float cap = hp->final_softcap;
        for (int64_t i = 0; i < O * hp->n_vocab; i++)
            c->logits[i] = cap * tanhf(c->logits[i] / cap);
    }
    return LMD_OK;
}
