/* load.c — lmd_model_load: hyperparameters from `<arch>.*` metadata, then every tensor the
 * architecture needs checked for presence, type and shape (weights stay in the mapping). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "util/ovf.h"

#define MAX_LAYERS 4096
#define MAX_DIM (1 << 20)

typedef struct {
    const lmd_gguf *g;
    const char *path;
    char arch[64];
} meta;

static void key_of(const meta *mt, const char *suffix, char *buf, size_t cap) {
    snprintf(buf, cap, "%s.%s", mt->arch, suffix);
}

/* Integer key `<arch>.suffix`: required, or `def` when absent (def < 0 = required). */
static lmd_status get_int(const meta *mt, const char *suffix, int64_t def, int64_t lo,
                          int64_t hi, int64_t *out, lmd_err *err) {
    char key[128];
    key_of(mt, suffix, key, sizeof key);
    uint64_t v;
    lmd_err e = { 0 };
    lmd_status st = lmd_gguf_get_uint(mt->g, key, &v, &e);
    if (st == LMD_E_NOT_FOUND) {
        if (def < 0)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: missing metadata key '%s'", mt->path, key);
        *out = def;
        return LMD_OK;
    }
    if (st) return lmd_err_set(err, LMD_E_FORMAT, "%s: %s", mt->path, e.msg);
    if (v < (uint64_t)lo || v > (uint64_t)hi)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: metadata '%s' = %llu, expected %lld..%lld",
                           mt->path, key, (unsigned long long)v, (long long)lo, (long long)hi);
    *out = (int64_t)v;
    return LMD_OK;
}

static lmd_status get_f32(const meta *mt, const char *suffix, bool required, float def,
                          float *out, lmd_err *err) {
    char key[128];
    key_of(mt, suffix, key, sizeof key);
    double v;
    lmd_err e = { 0 };
    lmd_status st = lmd_gguf_get_float(mt->g, key, &v, &e);
    if (st == LMD_E_NOT_FOUND) {
        if (required)
            return lmd_err_set(err, LMD_E_FORMAT, "%s: missing metadata key '%s'", mt->path, key);
        *out = def;
        return LMD_OK;
    }
    if (st) return lmd_err_set(err, LMD_E_FORMAT, "%s: %s", mt->path, e.msg);
    if (!isfinite(v) || v < 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: metadata '%s' = %g, expected a finite value "
                           ">= 0", mt->path, key, v);
    *out = (float)v;
    return LMD_OK;
}

static lmd_status read_rope_scaling(const meta *mt, lmd_model_hparams *hp, lmd_err *err) {
    char key[128];
    lmd_str type = { 0 };
    key_of(mt, "rope.scaling.type", key, sizeof key);
    lmd_status st = lmd_gguf_get_str(mt->g, key, &type, NULL);
    float factor = 0.0f;
    if (st == LMD_OK && !lmd_str_eq_c(type, "none") && !lmd_str_eq_c(type, "linear"))
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: rope scaling type '%.*s' not supported "
                           "(none, linear)", mt->path, (int)type.len, type.ptr);
    if (st == LMD_OK && lmd_str_eq_c(type, "linear")) {
        if ((st = get_f32(mt, "rope.scaling.factor", false, 0.0f, &factor, err))) return st;
    } else if (st != LMD_OK) {
        if ((st = get_f32(mt, "rope.scale_linear", false, 0.0f, &factor, err))) return st;
    }
    hp->rope_freq_scale = factor > 0.0f ? 1.0f / factor : 1.0f;
    return LMD_OK;
}

static lmd_status read_hparams(const meta *mt, const lmd_arch *a, lmd_model_hparams *hp,
                               lmd_err *err) {
    lmd_status st;
    memset(hp, 0, sizeof *hp);
    if ((st = get_int(mt, "context_length", -1, 1, INT32_MAX, &hp->n_ctx_train, err)) ||
        (st = get_int(mt, "embedding_length", -1, 1, MAX_DIM, &hp->n_embd, err)) ||
        (st = get_int(mt, "block_count", -1, 1, MAX_LAYERS, &hp->n_layer, err)) ||
        (st = get_int(mt, "feed_forward_length", -1, 1, MAX_DIM, &hp->n_ff, err)) ||
        (st = get_int(mt, "attention.head_count", -1, 1, 4096, &hp->n_head, err)) ||
        (st = get_int(mt, "attention.head_count_kv", hp->n_head, 1, hp->n_head, &hp->n_head_kv,
                      err)))
        return st;
    if (hp->n_head % hp->n_head_kv != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s.attention.head_count %lld is not a "
                           "multiple of head_count_kv %lld", mt->path, mt->arch,
                           (long long)hp->n_head, (long long)hp->n_head_kv);
    int64_t hd = hp->n_embd / hp->n_head;
    if ((st = get_int(mt, "attention.key_length", hd, 1, 1024, &hp->head_dim_k, err)) ||
        (st = get_int(mt, "attention.value_length", hp->head_dim_k, 1, 1024, &hp->head_dim_v,
                      err)) ||
        (st = get_int(mt, "rope.dimension_count", hp->head_dim_k, 0, hp->head_dim_k, &hp->n_rot,
                      err)))
        return st;
    if (hp->head_dim_k < 1 || hp->head_dim_k > 1024 || hp->head_dim_v > 1024)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: head dimension %lld, expected 1..1024",
                           mt->path, (long long)hp->head_dim_k);
    if (hp->n_rot % 2 != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s.rope.dimension_count %lld is odd",
                           mt->path, mt->arch, (long long)hp->n_rot);
    if ((st = get_f32(mt, "rope.freq_base", false, 10000.0f, &hp->rope_freq_base, err)) ||
        (st = get_f32(mt, "rope.freq_base_swa", false, 10000.0f, &hp->rope_freq_base_swa, err)) ||
        (st = get_f32(mt, "attention.layer_norm_rms_epsilon", true, 0, &hp->rms_eps, err)) ||
        (st = get_f32(mt, "final_logit_softcapping", false, 0, &hp->final_softcap, err)) ||
        (st = get_f32(mt, "attn_logit_softcapping", false, 0, &hp->attn_softcap, err)) ||
        (st = read_rope_scaling(mt, hp, err)))
        return st;
    if (hp->rope_freq_base <= 0.0f)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s.rope.freq_base must be > 0", mt->path,
                           mt->arch);
    float scale = 0.0f;
    if ((st = get_f32(mt, "attention.scale", false, 0.0f, &scale, err))) return st;
    hp->kq_scale = scale > 0.0f ? scale : 1.0f / sqrtf((float)hp->head_dim_k);
    hp->q_scale = 1.0f;
    hp->embd_scale = 1.0f;
    if (a->has_swa) {
        if ((st = get_int(mt, "attention.sliding_window", 0, 0, INT32_MAX, &hp->swa_window,
                          err)) ||
            (st = get_int(mt, "attention.sliding_window_pattern", a->swa_pattern_default, 1,
                          MAX_LAYERS, &hp->swa_pattern, err)))
            return st;
    }
    if (a->hparams_hook && (st = a->hparams_hook(mt->g, hp, err))) return st;
    return LMD_OK;
}

/* ---- tensors ---- */

typedef struct {
    lmd_model *m;
    const char *path;
} loader;

static void shape_str(char *buf, size_t cap, int n, const int64_t *ne) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "[");
    for (int i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, i ? ", %lld" : "%lld", (long long)ne[i]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

/* Finds `name`, checks its shape is exactly ne[0..n) and returns it; NULL with *st set when
 * absent (LMD_E_FORMAT unless optional: then LMD_OK) or wrong. */
static const lmd_gguf_tensor *find_shaped(loader *L, const char *name, int n, const int64_t *ne,
                                          bool optional, lmd_status *st, lmd_err *err) {
    const lmd_gguf_tensor *t = lmd_gguf_find_tensor(L->m->g, name);
    char want[96], got[96];
    *st = LMD_OK;
    shape_str(want, sizeof want, n, ne);
    if (!t) {
        if (!optional)
            *st = lmd_err_set(err, LMD_E_FORMAT, "%s: missing tensor '%s' (expected shape %s)",
                              L->path, name, want);
        return NULL;
    }
    bool ok = true;
    for (int i = 0; i < 4; i++) ok &= t->ne[i] == (i < n ? ne[i] : 1);
    if (!ok) {
        shape_str(got, sizeof got, t->n_dims, t->ne);
        *st = lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': shape %s, expected %s", L->path,
                          name, got, want);
        return NULL;
    }
    L->m->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    L->m->weight_bytes += t->n_bytes;
    return t;
}

/* A 1-D F32 vector of n elements (norm weights, biases). */
static lmd_status get_vec(loader *L, const char *name, int64_t n, bool optional,
                          const float **out, lmd_err *err) {
    lmd_status st;
    *out = NULL;
    const lmd_gguf_tensor *t = find_shaped(L, name, 1, &n, optional, &st, err);
    if (!t) return st;
    if (t->type != LMD_TYPE_F32)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': type %s, expected F32", L->path,
                           name, lmd_type_name(t->type));
    *out = t->data;
    return LMD_OK;
}

/* A matrix of n_rows rows of n_cols (GGUF shape [n_cols, n_rows]) of a type we can multiply. */
static lmd_status get_mat(loader *L, const char *name, int64_t n_cols, int64_t n_rows,
                          bool optional, lmd_matrix *out, lmd_err *err) {
    lmd_status st;
    memset(out, 0, sizeof *out);
    int64_t ne[2] = { n_cols, n_rows };
    const lmd_gguf_tensor *t = find_shaped(L, name, 2, ne, optional, &st, err);
    if (!t) return st;
    const lmd_type_traits *tr = lmd_type_traits_of(t->type);
    if (!tr || !tr->vec_dot || !tr->dequantize_row)
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: tensor '%s': weight type %s not "
                           "supported", L->path, name, lmd_type_name(t->type));
    size_t rb = lmd_type_row_bytes(t->type, n_cols);
    if (rb == 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': %lld columns is not a multiple "
                           "of the %s block size", L->path, name, (long long)n_cols,
                           lmd_type_name(t->type));
    *out = (lmd_matrix){ .data = t->data, .type = t->type, .n_rows = n_rows, .n_cols = n_cols,
                         .row_bytes = rb };
    return LMD_OK;
}

static lmd_status load_layer(loader *L, int64_t il, lmd_layer *ly, lmd_err *err) {
    const lmd_model *m = L->m;
    const lmd_model_hparams *hp = &m->hp;
    const lmd_arch *a = m->arch;
    int64_t nq = hp->n_head * hp->head_dim_k, nk = hp->n_head_kv * hp->head_dim_k;
    int64_t nv = hp->n_head_kv * hp->head_dim_v, no = hp->n_head * hp->head_dim_v;
    char n[16][64];
    static const char *const names[16] = {
        "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
        "attn_output.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias",
        "attn_q_norm.weight", "attn_k_norm.weight", "post_attention_norm.weight",
        "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
        "post_ffw_norm.weight",
    };
    for (int i = 0; i < 16; i++) snprintf(n[i], sizeof n[i], "blk.%lld.%s", (long long)il, names[i]);
    lmd_status st;
    if ((st = get_vec(L, n[0], hp->n_embd, false, &ly->attn_norm, err)) ||
        (st = get_mat(L, n[1], hp->n_embd, nq, false, &ly->wq, err)) ||
        (st = get_mat(L, n[2], hp->n_embd, nk, false, &ly->wk, err)) ||
        (st = get_mat(L, n[3], hp->n_embd, nv, false, &ly->wv, err)) ||
        (st = get_mat(L, n[4], no, hp->n_embd, false, &ly->wo, err)) ||
        (st = get_vec(L, n[5], nq, !a->qkv_bias, &ly->bq, err)) ||
        (st = get_vec(L, n[6], nk, !a->qkv_bias, &ly->bk, err)) ||
        (st = get_vec(L, n[7], nv, !a->qkv_bias, &ly->bv, err)) ||
        (st = get_vec(L, n[8], hp->head_dim_k, !a->qk_norm, &ly->q_norm, err)) ||
        (st = get_vec(L, n[9], hp->head_dim_k, !a->qk_norm, &ly->k_norm, err)) ||
        (st = get_vec(L, n[10], hp->n_embd, !a->post_norms, &ly->post_attn_norm, err)) ||
        (st = get_vec(L, n[11], hp->n_embd, false, &ly->ffn_norm, err)) ||
        (st = get_mat(L, n[12], hp->n_embd, hp->n_ff, false, &ly->w_gate, err)) ||
        (st = get_mat(L, n[13], hp->n_embd, hp->n_ff, false, &ly->w_up, err)) ||
        (st = get_mat(L, n[14], hp->n_ff, hp->n_embd, false, &ly->w_down, err)) ||
        (st = get_vec(L, n[15], hp->n_embd, !a->post_norms, &ly->post_ffn_norm, err)))
        return st;
    /* llama.cpp: layer il slides iff il % pattern < pattern - 1 (pattern 1 = none slide). */
    ly->swa = hp->swa_window > 0 && hp->swa_pattern > 0 &&
              il % hp->swa_pattern < hp->swa_pattern - 1;
    ly->rope_base = ly->swa ? hp->rope_freq_base_swa : hp->rope_freq_base;
    return LMD_OK;
}

static const char *main_type_name(const lmd_model *m) {
    int64_t count[LMD_TYPE_COUNT] = { 0 };
    for (int64_t i = 0; i < lmd_gguf_n_tensors(m->g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(m->g, i);
        if (t->n_dims >= 2 && (unsigned)t->type < LMD_TYPE_COUNT) count[t->type]++;
    }
    int best = 0;
    for (int t = 0; t < LMD_TYPE_COUNT; t++)
        if (count[t] > count[best]) best = t;
    return lmd_type_name((lmd_type)best);
}

lmd_status lmd_model_load(const char *path, const lmd_model_params *p, lmd_model **out,
                          lmd_err *err) {
    *out = NULL;
    lmd_status st = lmd_kernels_init(err);
    if (st) return st;
    lmd_model *m = calloc(1, sizeof *m);
    if (!m) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
    if ((st = lmd_gguf_open(path, NULL, &m->g, err))) goto fail;

    meta mt = { .g = m->g, .path = path };
    lmd_str arch;
    lmd_err e = { 0 };
    if (lmd_gguf_get_str(m->g, "general.architecture", &arch, &e)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: %s", path,
                         e.msg[0] ? e.msg : "missing general.architecture");
        goto fail;
    }
    m->arch = lmd_arch_find(arch);
    if (!m->arch) {
        st = lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: architecture '%.*s' not supported (%s)",
                         path, (int)(arch.len > 40 ? 40 : arch.len), arch.ptr, lmd_arch_names());
        goto fail;
    }
    snprintf(mt.arch, sizeof mt.arch, "%s", m->arch->name);
    if ((st = read_hparams(&mt, m->arch, &m->hp, err))) goto fail;
    lmd_model_hparams *hp = &m->hp;

    loader L = { .m = m, .path = path };
    const lmd_gguf_tensor *te = lmd_gguf_find_tensor(m->g, "token_embd.weight");
    if (!te || te->n_dims != 2) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: missing 2-D tensor 'token_embd.weight'", path);
        goto fail;
    }
    hp->n_vocab = te->ne[1];
    if (hp->n_vocab < 1 || hp->n_vocab > INT32_MAX) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: token_embd.weight has %lld rows, expected "
                         "1..%d", path, (long long)hp->n_vocab, INT32_MAX);
        goto fail;
    }
    int64_t vs;
    if ((st = get_int(&mt, "vocab_size", hp->n_vocab, 1, INT32_MAX, &vs, err))) goto fail;
    if (vs != hp->n_vocab) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: %s.vocab_size %lld but token_embd.weight has "
                         "%lld rows", path, mt.arch, (long long)vs, (long long)hp->n_vocab);
        goto fail;
    }
    if ((st = get_mat(&L, "token_embd.weight", hp->n_embd, hp->n_vocab, false, &m->tok_embd,
                      err)) ||
        (st = get_vec(&L, "output_norm.weight", hp->n_embd, false, &m->output_norm, err)) ||
        (st = get_mat(&L, "output.weight", hp->n_embd, hp->n_vocab, true, &m->output, err)))
        goto fail;
    hp->tied_output = m->output.data == NULL;
    if (hp->tied_output) m->output = m->tok_embd;
    if (hp->n_rot > 0 &&
        (st = get_vec(&L, "rope_freqs.weight", hp->n_rot / 2, true, &m->rope_freqs, err)))
        goto fail;

    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (int64_t il = 0; il < hp->n_layer; il++)
        if ((st = load_layer(&L, il, &m->layers[il], err))) goto fail;

    lmd_str name = { 0 };
    lmd_gguf_get_str(m->g, "general.name", &name, NULL);
    m->name = lmd_str_dup(name);
    m->type_name = main_type_name(m);
    if (!m->name) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (!(p && p->no_vocab)) {
        if ((st = lmd_vocab_load(m->g, &m->vocab, err))) goto fail;
        if (lmd_vocab_n_tokens(m->vocab) > hp->n_vocab) {
            st = lmd_err_set(err, LMD_E_FORMAT, "%s: vocabulary has %d tokens but "
                             "token_embd.weight only %lld rows", path,
                             (int)lmd_vocab_n_tokens(m->vocab), (long long)hp->n_vocab);
            goto fail;
        }
    }
    *out = m;
    return LMD_OK;
fail:
    lmd_model_free(m);
    return st;
}

void lmd_model_free(lmd_model *m) {
    if (!m) return;
    lmd_vocab_free(m->vocab);
    free(m->layers);
    free(m->name);
    lmd_gguf_close(m->g);
    free(m);
}

const lmd_model_hparams *lmd_model_hparams_of(const lmd_model *m) { return &m->hp; }
const char *lmd_model_arch(const lmd_model *m) { return m->arch->name; }
const char *lmd_model_name(const lmd_model *m) { return m->name ? m->name : ""; }
int64_t lmd_model_n_vocab(const lmd_model *m) { return m->hp.n_vocab; }
int64_t lmd_model_n_ctx_train(const lmd_model *m) { return m->hp.n_ctx_train; }
int64_t lmd_model_n_embd(const lmd_model *m) { return m->hp.n_embd; }
int64_t lmd_model_n_params(const lmd_model *m) { return m->n_params; }
size_t lmd_model_weight_bytes(const lmd_model *m) { return m->weight_bytes; }
const lmd_vocab *lmd_model_vocab(const lmd_model *m) { return m->vocab; }
const lmd_gguf *lmd_model_gguf(const lmd_model *m) { return m->g; }
const char *lmd_model_type_name(const lmd_model *m) { return m->type_name; }

lmd_str lmd_model_chat_template(const lmd_model *m) {
    lmd_str s = { 0 };
    if (lmd_gguf_get_str(m->g, "tokenizer.chat_template", &s, NULL) != LMD_OK)
        return (lmd_str){ "", 0 };
    return s;
}
