/* attn.c — attention of a batch through the paged KV cache.
 *
 * One task per (sequence of the batch, query head): for each of that sequence's entries in
 * the batch (query at position p), walk the sequence's block table over keys
 * [lo, p] (lo = 0, or p - window + 1 on sliding-window layers) one 16-token block at a time
 * with an online softmax: running max m, running sum l, running weighted sum of V rescaled
 * when m grows. The full score matrix is never formed, and a query's result depends only on
 * its own sequence's cache, not on the batch or the thread count. */
#include <math.h>
#include <string.h>

#include "model/model_int.h"

#define MAX_HEAD_DIM 1024

typedef struct {
    lmd_model_ctx *c;
    int64_t il;
    const int32_t *pos;
} attn_job;

static float dot_f32(const float *a, const float *b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static float dot_f16(const float *a, const uint16_t *b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i] * lmd_fp16_to_f32(b[i]);
    return s;
}

static void attn_task(void *ctx, int64_t task, int thread_idx) {
    (void)thread_idx;
    const attn_job *J = ctx;
    lmd_model_ctx *c = J->c;
    const lmd_model *m = c->m;
    const lmd_model_hparams *hp = &m->hp;
    const lmd_layer *ly = &m->layers[J->il];
    const int64_t g = task / hp->n_head, h = task % hp->n_head;
    const int64_t kvh = h / (hp->n_head / hp->n_head_kv);
    const int64_t hdk = hp->head_dim_k, hdv = hp->head_dim_v;
    const int64_t n_embd_k = hp->n_head_kv * hdk, n_embd_v = hp->n_head_kv * hdv;
    const bool f16 = !c->p.kv_f32;
    const size_t elt = f16 ? 2 : 4;
    const int32_t seq = c->grp_seq[g];
    const int32_t *table = lmd_kv_seq_blocks(c->kv, seq, NULL);
    float acc[MAX_HEAD_DIM], score[LMD_KV_BLOCK_TOKENS];

    for (int64_t gi = c->grp_start[g]; gi < c->grp_start[g + 1]; gi++) {
        const int64_t e = c->grp_entries[gi];
        const int64_t p = J->pos[e];
        const float *q = c->q + e * hp->n_head * hdk + h * hdk;
        int64_t lo = 0;
        if (ly->swa && p - hp->swa_window + 1 > 0) lo = p - hp->swa_window + 1;
        float mx = -INFINITY, l = 0.0f;
        memset(acc, 0, (size_t)hdv * sizeof *acc);
        for (int64_t b = lo / LMD_KV_BLOCK_TOKENS; b <= p / LMD_KV_BLOCK_TOKENS; b++) {
            const uint8_t *kb = lmd_kv_block_k(c->kv, J->il, table[b]);
            const uint8_t *vb = lmd_kv_block_v(c->kv, J->il, table[b]);
            int64_t j0 = b * LMD_KV_BLOCK_TOKENS, j1 = j0 + LMD_KV_BLOCK_TOKENS;
            if (j0 < lo) j0 = lo;
            if (j1 > p + 1) j1 = p + 1;
            /* scores of this block, and their max */
            float bmax = -INFINITY;
            for (int64_t j = j0; j < j1; j++) {
                const uint8_t *kr =
                    kb + ((size_t)(j % LMD_KV_BLOCK_TOKENS) * (size_t)n_embd_k +
                          (size_t)(kvh * hdk)) * elt;
                float s = f16 ? dot_f16(q, (const uint16_t *)kr, hdk)
                              : dot_f32(q, (const float *)kr, hdk);
                s *= hp->kq_scale;
                if (hp->attn_softcap > 0.0f)
                    s = hp->attn_softcap * tanhf(s / hp->attn_softcap);
                score[j - j0] = s;
                if (s > bmax) bmax = s;
            }
            /* rescale what we have when the max grows */
            if (bmax > mx) {
                const float corr = mx == -INFINITY ? 0.0f : expf(mx - bmax);
                l *= corr;
                for (int64_t d = 0; d < hdv; d++) acc[d] *= corr;
                mx = bmax;
            }
            for (int64_t j = j0; j < j1; j++) {
                const float w = expf(score[j - j0] - mx);
                l += w;
                const uint8_t *vr =
                    vb + ((size_t)(j % LMD_KV_BLOCK_TOKENS) * (size_t)n_embd_v +
                          (size_t)(kvh * hdv)) * elt;
                if (f16) {
                    const uint16_t *v16 = (const uint16_t *)vr;
                    for (int64_t d = 0; d < hdv; d++) acc[d] += w * lmd_fp16_to_f32(v16[d]);
                } else {
                    const float *v32 = (const float *)vr;
                    for (int64_t d = 0; d < hdv; d++) acc[d] += w * v32[d];
                }
            }
        }
        float *out = c->att + e * hp->n_head * hdv + h * hdv;
        const float inv = 1.0f / l;
        for (int64_t d = 0; d < hdv; d++) out[d] = acc[d] * inv;
    }
}

void lmd_attn_batch(lmd_model_ctx *c, int64_t il, const int32_t *pos) {
    attn_job J = { .c = c, .il = il, .pos = pos };
    lmd_pool_run(c->pool, attn_task, &J, c->n_groups * c->m->hp.n_head);
}
