/* quantize.c — `lmd quantize IN.gguf OUT.gguf TYPE [--pure] [--allow-requantize]`.
 *
 * Writes a copy of a model with its weights converted to TYPE, choosing each tensor's type
 * the way llama-quantize (llama.cpp 0253fb21, src/llama-quant.cpp) does, so the same input
 * gives the same per-tensor mix: which tensors may be quantized at all (2-D+ "*weight", not
 * norms, gates of experts, ...), the output/tied-embedding rule (Q6_K unless Q8_0), the
 * "use more bits" layers for attn_v / ffn_down in the _M mixes, and the fallbacks for rows
 * that are not a multiple of the block size. Tensors are visited in llama.cpp's order (layer,
 * then name), which the per-layer counters depend on, and written in that order; metadata is
 * copied with general.quantization_version and general.file_type set last, as llama.cpp does.
 * Quantization uses tensor/'s scalar reference quantizers (no importance matrix). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "gguf/gguf.h"
#include "tensor/tensor.h"

static const char *usage =
    "lmd quantize IN.gguf OUT.gguf TYPE [--pure] [--allow-requantize]\n"
    "  TYPE: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M\n"
    "        Q5_K_S Q5_K_M Q6_K (Q3_K, Q4_K, Q5_K mean the _M mix)\n"
    "  --pure: every quantizable tensor gets TYPE (no per-tensor mix)";

/* llama.cpp's enum llama_ftype values (stored as general.file_type). */
enum {
    FT_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9,
    FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14,
    FT_Q4_K_M = 15, FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18, FT_BF16 = 32,
};

static const struct {
    const char *name;
    int ftype;
    lmd_type type; /* default tensor type of the mix */
} ftypes[] = {
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

typedef struct {
    const lmd_gguf_tensor *t;
    char name[64];
    int layer; /* blk.N. prefix, -1 without: llama.cpp's weight order */
    lmd_type new_type;
    void *buf;  /* converted data (owned), or NULL when copied as is */
} item;

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
static int n_dims_of(const lmd_gguf_tensor *t) {
    for (int d = 3; d >= 1; d--)
        if (t->ne[d] > 1) return d + 1;
    return 1;
}

/* llama.cpp's tensor_allows_quantization (the parts that apply to GGUF LLMs). */
static bool allows_quantization(const item *it) {
    const char *n = it->name;
    if (n_dims_of(it->t) < 2 || !ends_with(n, "weight")) return false;
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
        if (p->is_falcon || it->t->ne[0] % qk != 0) t = LMD_TYPE_Q8_0;
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
    int64_t nc = it->t->ne[0];
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
    fprintf(stderr, "lmd quantize: %s: %" PRId64 " columns, falling back to %s\n", it->name, nc,
            lmd_type_name(t));
    *io = t;
    return LMD_OK;
}

static int64_t hparam(const lmd_gguf *g, const char *arch, const char *suffix, int64_t dflt) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    const lmd_gguf_value *v = lmd_gguf_get(g, key);
    if (!v) return dflt;
    if (v->type == LMD_GGUF_ARRAY) return v->arr.n && !v->arr.items && !v->arr.strs ? lmd_gguf_arr_int(v, 0) : dflt;
    uint64_t u;
    return lmd_gguf_get_uint(g, key, &u, NULL) == LMD_OK && u <= INT64_MAX ? (int64_t)u : dflt;
}

static lmd_status make_plan(const lmd_gguf *g, item *items, int64_t n, plan *p, lmd_err *err) {
    lmd_str arch_s = { "", 0 };
    char arch[64] = "";
    if (lmd_gguf_get_str(g, "general.architecture", &arch_s, NULL) == LMD_OK && arch_s.len < 64) {
        memcpy(arch, arch_s.ptr, arch_s.len);
        arch[arch_s.len] = '\0';
    }
    p->n_layer = hparam(g, arch, "block_count", 0);
    if (p->n_layer <= 0 && !p->pure)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: no %s.block_count: cannot apply the %s mix "
                           "(use --pure)", lmd_gguf_path(g), arch, "per-layer");
    p->n_expert = hparam(g, arch, "expert_count", 0);
    int64_t n_head = hparam(g, arch, "attention.head_count", 1);
    int64_t n_head_kv = hparam(g, arch, "attention.head_count_kv", n_head);
    p->n_gqa = n_head_kv > 0 ? n_head / n_head_kv : 1;
    p->is_falcon = !strcmp(arch, "falcon");
    /* llama.cpp's LLM_TYPE_70B: an 80-layer llama with grouped-query attention. */
    p->is_70b = !strcmp(arch, "llama") && p->n_layer == 80 && n_head != n_head_kv;
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

/* Converts one tensor to it->new_type into it->buf. */
static lmd_status convert(item *it, lmd_err *err) {
    const lmd_gguf_tensor *t = it->t;
    const lmd_type_traits *from = lmd_type_traits_ref(t->type);
    const lmd_type_traits *to = lmd_type_traits_ref(it->new_type);
    if (!from || !from->dequantize_row)
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': cannot read type %s", it->name,
                           lmd_type_name(t->type));
    if (!to || !to->quantize_row)
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': cannot produce type %s",
                           it->name, lmd_type_name(it->new_type));
    int64_t n_cols = t->ne[0], n_rows = t->ne[1] * t->ne[2] * t->ne[3];
    size_t in_row = lmd_type_row_bytes(t->type, n_cols);
    size_t out_row = lmd_type_row_bytes(it->new_type, n_cols);
    size_t out_bytes = out_row * (size_t)n_rows;
    it->buf = malloc(out_bytes ? out_bytes : 1);
    float *row = malloc((size_t)n_cols * sizeof *row);
    if (!it->buf || !row) {
        free(row);
        return lmd_err_set(err, LMD_E_NOMEM, "tensor '%s': out of memory", it->name);
    }
    for (int64_t r = 0; r < n_rows; r++) {
        const uint8_t *src = (const uint8_t *)t->data + (size_t)r * in_row;
        from->dequantize_row(src, row, n_cols);
        to->quantize_row(row, (uint8_t *)it->buf + (size_t)r * out_row, n_cols);
    }
    free(row);
    return LMD_OK;
}

static lmd_status choose_types(const lmd_gguf *g, plan *p, item *items, int64_t n,
                               bool allow_requantize, lmd_err *err) {
    lmd_status st;
    bool quantized_default = lmd_type_geometry_of((uint32_t)p->def)->block_elems > 1;
    for (int64_t i = 0; i < n; i++) {
        item *it = &items[i];
        it->new_type = it->t->type;
        if (!allows_quantization(it)) continue;
        lmd_type t = p->def;
        if (!p->pure && quantized_default) {
            if ((st = mix_type(p, it, category_of(it->name), &t, err))) return st;
            if ((st = fallback(it, &t, err))) return st;
        } else if (it->t->ne[0] % lmd_type_geometry_of((uint32_t)t)->block_elems != 0) {
            return lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': %" PRId64 " columns are not "
                               "a multiple of %s's block", it->name, it->t->ne[0],
                               lmd_type_name(t));
        }
        it->new_type = t;
        bool src_quantized = lmd_type_geometry_of((uint32_t)it->t->type)->block_elems > 1;
        if (t != it->t->type && src_quantized && !allow_requantize)
            return lmd_err_set(err, LMD_E_INVALID, "%s: tensor '%s' is already %s; requantizing "
                               "loses precision (pass --allow-requantize)", lmd_gguf_path(g),
                               it->name, lmd_type_name(it->t->type));
    }
    return LMD_OK;
}

static lmd_status run(const char *in, const char *out, int ft_idx, bool pure,
                      bool allow_requantize, lmd_err *err) {
    lmd_gguf *g = NULL;
    lmd_gguf_writer *w = NULL;
    item *items = NULL;
    int64_t n = 0;
    lmd_status st = lmd_gguf_open(in, NULL, &g, err);
    if (st) return st;
    n = lmd_gguf_n_tensors(g);
    items = calloc(n ? (size_t)n : 1, sizeof *items);
    w = lmd_gguf_writer_new();
    if (!items || !w) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        items[i].t = lmd_gguf_tensor_at(g, i);
        lmd_str s = items[i].t->name;
        if (memchr(s.ptr, '\0', s.len)) {
            st = lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %" PRId64 " has a NUL in its name",
                             in, i);
            goto done;
        }
        memcpy(items[i].name, s.ptr, s.len);
        items[i].name[s.len] = '\0';
        items[i].layer = parse_layer(items[i].name);
    }
    qsort(items, (size_t)n, sizeof *items, cmp_items);
    plan p = { .ftype = ftypes[ft_idx].ftype, .def = ftypes[ft_idx].type, .pure = pure };
    if ((st = make_plan(g, items, n, &p, err))) goto done;
    if ((st = choose_types(g, &p, items, n, allow_requantize, err))) goto done;

    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        lmd_str k = lmd_gguf_kv_key(g, i);
        if (lmd_str_eq_c(k, "general.quantization_version") || lmd_str_eq_c(k, "general.file_type") ||
            lmd_str_eq_c(k, "split.no") || lmd_str_eq_c(k, "split.count") ||
            lmd_str_eq_c(k, "split.tensors.count"))
            continue;
        if ((st = lmd_gguf_copy_kv(w, g, i, err))) goto done;
    }
    /* GGML_QNT_VERSION, then the file type: appended last, as llama.cpp's gguf_set_val does. */
    if ((st = lmd_gguf_set_u32(w, "general.quantization_version", 2, err)) ||
        (st = lmd_gguf_set_u32(w, "general.file_type", (uint32_t)p.ftype, err)))
        goto done;

    uint64_t bytes_in = 0, bytes_out = 0;
    for (int64_t i = 0; i < n; i++) {
        item *it = &items[i];
        if (it->new_type != it->t->type && (st = convert(it, err))) goto done;
        const void *data = it->buf ? it->buf : it->t->data;
        if ((st = lmd_gguf_add_tensor(w, it->name, it->new_type, it->t->n_dims, it->t->ne, data,
                                      err)))
            goto done;
        size_t nb = lmd_type_row_bytes(it->new_type, it->t->ne[0]) *
                    (size_t)(it->t->ne[1] * it->t->ne[2] * it->t->ne[3]);
        bytes_in += it->t->n_bytes;
        bytes_out += nb;
        printf("[%4" PRId64 "/%4" PRId64 "] %-40s %-6s -> %-6s %10zu bytes\n", i + 1, n,
               it->name, lmd_type_name(it->t->type), lmd_type_name(it->new_type), nb);
    }
    if ((st = lmd_gguf_writer_write(w, out, err))) goto done;
    printf("quantized %s -> %s (%s): %.2f MiB -> %.2f MiB\n", in, out, ftypes[ft_idx].name,
           (double)bytes_in / 1048576.0, (double)bytes_out / 1048576.0);
done:
    for (int64_t i = 0; items && i < n; i++) free(items[i].buf);
    free(items);
    lmd_gguf_writer_free(w);
    lmd_gguf_close(g);
    return st;
}

int lmd_cmd_quantize(int argc, char **argv) {
    const char *pos[3] = { NULL, NULL, NULL };
    int n_pos = 0;
    bool pure = false, allow_requantize = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pure")) pure = true;
        else if (!strcmp(argv[i], "--allow-requantize")) allow_requantize = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        } else if (argv[i][0] == '-' || n_pos == 3) return lmd_cli_usage("quantize", usage);
        else pos[n_pos++] = argv[i];
    }
    if (n_pos != 3) return lmd_cli_usage("quantize", usage);
    int ft = -1;
    for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++)
        if (!strcasecmp(pos[2], ftypes[i].name)) ft = (int)i;
    if (ft < 0) {
        fprintf(stderr, "lmd quantize: unknown type '%s'\n", pos[2]);
        return lmd_cli_usage("quantize", usage);
    }
    lmd_err err = { 0 };
    lmd_status st = run(pos[0], pos[1], ft, pure, allow_requantize, &err);
    if (st == LMD_OK) return 0;
    fprintf(stderr, "lmd quantize: %s\n", err.msg[0] ? err.msg : lmd_status_str(st));
    return st == LMD_E_NOT_FOUND || st == LMD_E_UNSUPPORTED ? 2 : lmd_status_exit_code(st);
}
