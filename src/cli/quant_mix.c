/* quant_mix.c — llama-quantize's per-tensor type choice; see quant_mix.h. Each rule below
 * mirrors llama.cpp 0253fb21's llama_tensor_get_type_impl / tensor_type_fallback /
 * tensor_allows_quantization for the mixes lmd offers (legacy, k-quant, F16/BF16/F32). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/quant_mix.h"

/* llama.cpp's enum llama_ftype values (stored as general.file_type). */
enum {
    FT_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9,
    FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14,
    FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18, FT_BF16 = 32,
};

static const lmd_qmix_ftype ftypes[] = {
    { "F32", FT_F32, LMD_TYPE_F32 },       { "F16", FT_F16, LMD_TYPE_F16 },
    { "BF16", FT_BF16, LMD_TYPE_BF16 },    { "Q8_0", FT_Q8_0, LMD_TYPE_Q8_0 },
    { "Q4_0", FT_Q4_0, LMD_TYPE_Q4_0 },    { "Q4_1", FT_Q4_1, LMD_TYPE_Q4_1 },
    { "Q5_0", FT_Q5_0, LMD_TYPE_Q5_0 },    { "Q5_1", FT_Q5_1, LMD_TYPE_Q5_1 },
    { "Q2_K", FT_Q2_K, LMD_TYPE_Q2_K },    { "Q3_K_S", FT_Q3_K_S, LMD_TYPE_Q3_K },
    { "Q3_K_M", FT_Q3_K_M, LMD_TYPE_Q3_K }, { "Q3_K", FT_Q3_K_M, LMD_TYPE_Q3_K },
    { "Q3_K_L", FT_Q3_K_L, LMD_TYPE_Q3_K }, { "Q4_K_S", FT_Q4_K_S, LMD_TYPE_Q4_K },
    { "Q4_K_M", FT_Q4_K_M, LMD_TYPE_Q4_K }, { "Q4_K", FT_Q4_K_M, LMD_TYPE_Q4_K },
    { "Q5_K_S", FT_Q5_K_S, LMD_TYPE_Q5_K }, { "Q5_K_M", FT_Q5_K_M, LMD_TYPE_Q5_K },
    { "Q5_K", FT_Q5_K_M, LMD_TYPE_Q5_K },   { "Q6_K", FT_Q6_K, LMD_TYPE_Q6_K },
};

typedef enum {
    CAT_TOKEN_EMBD, CAT_ATTN_Q, CAT_ATTN_V, CAT_ATTN_K, CAT_ATTN_QKV, CAT_ATTN_KV_B,
    CAT_ATTN_OUTPUT, CAT_FFN_UP, CAT_FFN_GATE, CAT_FFN_DOWN, CAT_OUTPUT, CAT_OTHER,
} category;

/* What the type choice needs from the model and the counters it advances. */
typedef struct {
    int ftype;
    lmd_type def;
    bool pure, is_falcon, is_70b, tied;
    int64_t n_layer, n_expert, n_gqa;
    int64_t n_attn_v, i_attn_v, i_ffn_down, i_ffn_gate, i_ffn_up;
} plan;

typedef lmd_qmix_tensor item;

static bool has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static category category_of(const char *name) {
    if (!strcmp(name, "output.weight")) return CAT_OUTPUT;
    if (!strcmp(name, "token_embd.weight") || !strcmp(name, "per_layer_token_embd.weight"))
        return CAT_TOKEN_EMBD;
    if (has(name, "attn_qkv.weight")) return CAT_ATTN_QKV;
    if (has(name, "attn_kv_b.weight")) return CAT_ATTN_KV_B;
    if (has(name, "attn_v.weight")) return CAT_ATTN_V;
    if (has(name, "attn_k.weight")) return CAT_ATTN_K;
    if (has(name, "attn_q.weight")) return CAT_ATTN_Q;
    if (has(name, "attn_output.weight")) return CAT_ATTN_OUTPUT;
    if (has(name, "ffn_up")) return CAT_FFN_UP;
    if (has(name, "ffn_gate")) return CAT_FFN_GATE;
    if (has(name, "ffn_down")) return CAT_FFN_DOWN;
    return CAT_OTHER;
}

static bool is_attn_v_like(category c) {
    return c == CAT_ATTN_V || c == CAT_ATTN_QKV || c == CAT_ATTN_KV_B;
}

/* ggml_n_dims: trailing dimensions of 1 do not count. */
static int n_dims_of(const item *t) {
    for (int d = 3; d >= 1; d--)
        if (t->ne[d] > 1) return d + 1;
    return 1;
}

/* llama.cpp's tensor_allows_quantization (the parts that apply to GGUF LLMs). */
static bool allows_quantization(const item *it) {
    const char *n = it->name;
    if (n_dims_of(it) < 2 || !ends_with(n, "weight")) return false;
    static const char *never[] = {
        "_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "time_mix_first.weight", "time_mix_w0.weight",
        "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
        "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
        "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
        ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd",
        ".patch_merger",
    };
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        if (has(n, never[i])) return false;
    return strcmp(n, "position_embd.weight") != 0 && strcmp(n, "token_types.weight") != 0;
}

static bool use_more_bits(int64_t i_layer, int64_t n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

/* Layer of an expert tensor from its name (llama.cpp only does this for MoE models). */
static lmd_status layer_of(const plan *p, const item *it, int64_t counter, int64_t *out,
                           lmd_err *err) {
    *out = counter;
    if (p->n_expert <= 1) return LMD_OK;
    if (it->layer < 0 || it->layer >= p->n_layer)
        return lmd_err_set(err, LMD_E_FORMAT, "tensor '%s': bad layer for a %" PRId64
                           "-layer model", it->name, p->n_layer);
    *out = it->layer;
    return LMD_OK;
}

/* llama_tensor_get_type_impl for the k-quant and legacy mixes. */
static lmd_status mix_type(plan *p, const item *it, category cat, lmd_type *io, lmd_err *err) {
    lmd_type t = *io;
    int f = p->ftype;
    int64_t il;
    lmd_status st;
    if (cat == CAT_OUTPUT || (p->tied && cat == CAT_TOKEN_EMBD)) {
        int64_t qk = lmd_type_geometry_of((uint32_t)t)->block_elems;
        if (p->is_falcon || it->ne[0] % qk != 0) t = LMD_TYPE_Q8_0;
        else if (t != LMD_TYPE_Q8_0) t = LMD_TYPE_Q6_K;
    } else if (cat == CAT_TOKEN_EMBD) {
        /* only the IQ and TQ mixes change the untied token embedding */
    } else if (is_attn_v_like(cat)) {
        if (f == FT_Q2_K) t = p->n_gqa >= 4 ? LMD_TYPE_Q4_K : LMD_TYPE_Q3_K;
        else if (f == FT_Q3_K_M) t = p->i_attn_v < 2 ? LMD_TYPE_Q5_K : LMD_TYPE_Q4_K;
        else if (f == FT_Q3_K_L) t = LMD_TYPE_Q5_K;
        else if ((f == FT_Q4_K_M || f == FT_Q5_K_M) && use_more_bits(p->i_attn_v, p->n_attn_v))
            t = LMD_TYPE_Q6_K;
        else if (f == FT_Q4_K_S && p->i_attn_v < 4) t = LMD_TYPE_Q5_K;
        if (p->is_70b && (t == LMD_TYPE_Q3_K || t == LMD_TYPE_Q4_K)) t = LMD_TYPE_Q5_K;
        if (p->n_expert == 8) t = LMD_TYPE_Q8_0;
        p->i_attn_v++;
    } else if (cat == CAT_ATTN_K) {
        if (p->n_expert == 8) t = LMD_TYPE_Q8_0;
    } else if (cat == CAT_FFN_DOWN) {
        if ((st = layer_of(p, it, p->i_ffn_down, &il, err))) return st;
        int64_t n = p->n_layer;
        if (f == FT_Q2_K) t = LMD_TYPE_Q3_K;
        else if (f == FT_Q3_K_M)
            t = il < n / 16 ? LMD_TYPE_Q5_K
                : (!p->is_falcon || use_more_bits(il, n)) ? LMD_TYPE_Q4_K : LMD_TYPE_Q3_K;
        else if (f == FT_Q3_K_L) t = p->is_falcon ? LMD_TYPE_Q4_K : LMD_TYPE_Q5_K;
        else if (f == FT_Q4_K_M) {
            if (p->is_falcon)
                t = il < n / 16 ? LMD_TYPE_Q6_K : use_more_bits(il, n) ? LMD_TYPE_Q5_K : LMD_TYPE_Q4_K;
            else if (use_more_bits(il, n))
                t = LMD_TYPE_Q6_K;
        } else if (f == FT_Q5_K_M && use_more_bits(il, n)) t = LMD_TYPE_Q6_K;
        else if (f == FT_Q4_K_S && !p->is_falcon && il < n / 8) t = LMD_TYPE_Q5_K;
        p->i_ffn_down++;
    } else if (cat == CAT_ATTN_OUTPUT) {
        if (!p->is_falcon) {
            if (p->n_expert == 8) {
                if (f == FT_Q2_K || f == FT_Q3_K_S || f == FT_Q3_K_M || f == FT_Q4_K_S ||
                    f == FT_Q4_K_M)
                    t = LMD_TYPE_Q5_K;
            } else if (f == FT_Q2_K) t = LMD_TYPE_Q3_K;
            else if (f == FT_Q3_K_M) t = LMD_TYPE_Q4_K;
            else if (f == FT_Q3_K_L) t = LMD_TYPE_Q5_K;
        } else if (f == FT_Q3_K_L) {
            t = LMD_TYPE_Q4_K;
        }
    } else if (cat == CAT_FFN_GATE) {
        if ((st = layer_of(p, it, p->i_ffn_gate, &il, err))) return st;
        p->i_ffn_gate++;
    } else if (cat == CAT_FFN_UP) {
        if ((st = layer_of(p, it, p->i_ffn_up, &il, err))) return st;
        p->i_ffn_up++;
    }
    *io = t;
    return LMD_OK;
}

/* tensor_type_fallback: rows that are not a multiple of the block size get a smaller block. */
static lmd_status fallback(const item *it, lmd_type *io, lmd_err *err) {
    int64_t nc = it->ne[0];
    lmd_type t = *io;
    if (nc % lmd_type_geometry_of((uint32_t)t)->block_elems == 0) return LMD_OK;
    switch (t) {
    case LMD_TYPE_Q2_K: case LMD_TYPE_Q3_K: t = LMD_TYPE_Q4_0; break;
    case LMD_TYPE_Q4_K: t = LMD_TYPE_Q5_0; break;
    case LMD_TYPE_Q5_K: t = LMD_TYPE_Q5_1; break;
    case LMD_TYPE_Q6_K: t = LMD_TYPE_Q8_0; break;
    default:
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': %" PRId64 " columns are not a "
                           "multiple of %s's block and %s has no fallback type", it->name, nc,
                           lmd_type_name(t), lmd_type_name(t));
    }
    if (nc % lmd_type_geometry_of((uint32_t)t)->block_elems != 0) t = LMD_TYPE_F16;
    /* llama-quantize logs the fallback; the caller's per-tensor listing shows it. */
    *io = t;
    return LMD_OK;
}

static int64_t hparam(const lmd_gguf *g, const char *arch, const char *suffix, int64_t dflt) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    const lmd_gguf_value *v = lmd_gguf_get(g, key);
    if (!v) return dflt;
    if (v->type == LMD_GGUF_ARRAY) /* per-layer values: llama.cpp's n_gqa() looks at layer 0 */
        return v->arr.n && v->arr.raw ? lmd_gguf_arr_int(v, 0) : dflt;
    uint64_t u;
    return lmd_gguf_get_uint(g, key, &u, NULL) == LMD_OK && u <= INT64_MAX ? (int64_t)u : dflt;
}

void lmd_qmix_model_from_gguf(const lmd_gguf *g, lmd_qmix_model *m) {
    memset(m, 0, sizeof *m);
    lmd_str arch = { "", 0 };
    if (lmd_gguf_get_str(g, "general.architecture", &arch, NULL) == LMD_OK &&
        arch.len < sizeof m->arch && !memchr(arch.ptr, '\0', arch.len))
        memcpy(m->arch, arch.ptr, arch.len);
    m->n_layer = hparam(g, m->arch, "block_count", 0);
    m->n_expert = hparam(g, m->arch, "expert_count", 0);
    m->n_head = hparam(g, m->arch, "attention.head_count", 1);
    m->n_head_kv = hparam(g, m->arch, "attention.head_count_kv", m->n_head);
}

static lmd_status make_plan(const lmd_qmix_model *m, const item *items, int64_t n, plan *p,
                            lmd_err *err) {
    p->n_layer = m->n_layer;
    if (p->n_layer <= 0 && !p->pure)
        return lmd_err_set(err, LMD_E_FORMAT, "no %s.block_count: cannot apply the per-layer "
                           "mix (use --pure)", m->arch[0] ? m->arch : "<architecture>");
    p->n_expert = m->n_expert;
    p->n_gqa = m->n_head_kv > 0 ? m->n_head / m->n_head_kv : 1;
    p->is_falcon = !strcmp(m->arch, "falcon");
    /* llama.cpp's LLM_TYPE_70B: an 80-layer llama with grouped-query attention. */
    p->is_70b = !strcmp(m->arch, "llama") && p->n_layer == 80 && m->n_head != m->n_head_kv;
    p->tied = true;
    for (int64_t i = 0; i < n; i++) {
        category c = category_of(items[i].name);
        if (is_attn_v_like(c)) p->n_attn_v++;
        if (c == CAT_OUTPUT) p->tied = false;
    }
    return LMD_OK;
}

/* llama.cpp's weight order: layer number (-1 outside blk.N.), then name. */
static int cmp_items(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int parse_layer(const char *name) {
    if (strncmp(name, "blk.", 4) != 0) return -1;
    const char *p = name + 4;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    for (; *p >= '0' && *p <= '9' && v < 1000000000L; p++) v = v * 10 + (*p - '0');
    return (int)(neg ? -v : v);
}

static lmd_status choose_types(plan *p, item *items, int64_t n, bool allow_requantize,
                               lmd_err *err) {
    lmd_status st;
    bool quantized_default = lmd_type_geometry_of((uint32_t)p->def)->block_elems > 1;
    for (int64_t i = 0; i < n; i++) {
        item *it = &items[i];
        it->new_type = it->type;
        if (!allows_quantization(it)) continue;
        lmd_type t = p->def;
        if (!p->pure && quantized_default) {
            if ((st = mix_type(p, it, category_of(it->name), &t, err))) return st;
            if ((st = fallback(it, &t, err))) return st;
        } else if ((st = fallback(it, &t, err))) {
            /* llama-quantize --pure has no fallback (ggml then refuses the row width); taking
             * llama.cpp's usual fallback gives a loadable file instead of an error. */
            return st;
        }
        it->new_type = t;
        bool src_quantized = lmd_type_geometry_of((uint32_t)it->type)->block_elems > 1;
        if (t != it->type && src_quantized && !allow_requantize)
            return lmd_err_set(err, LMD_E_INVALID, "tensor '%s' is already %s; requantizing "
                               "loses precision (pass --allow-requantize)", it->name,
                               lmd_type_name(it->type));
    }
    return LMD_OK;
}


const lmd_qmix_ftype *lmd_qmix_find_ftype(const char *name) {
    for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
        if (!strcasecmp(name, ftypes[i].name)) return &ftypes[i];
    return NULL;
}

const char *lmd_qmix_ftype_names(void) {
    return "F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M "
           "Q5_K_S Q5_K_M Q6_K";
}

lmd_status lmd_qmix_choose(const lmd_qmix_model *m, const lmd_qmix_ftype *ft, bool pure,
                           bool allow_requantize, lmd_qmix_tensor *t, int64_t n, lmd_err *err) {
    for (int64_t i = 0; i < n; i++) t[i].layer = parse_layer(t[i].name);
    qsort(t, (size_t)n, sizeof *t, cmp_items);
    plan p = { .ftype = ft->ftype, .def = ft->type, .pure = pure };
    lmd_status st = make_plan(m, t, n, &p, err);
    if (st) return st;
    return choose_types(&p, t, n, allow_requantize, err);
}
