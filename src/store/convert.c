/* convert.c — a Hugging Face llama-family folder (config.json + tokenizer.json + *.safetensors)
 * to GGUF, as llama.cpp's convert_hf_to_gguf.py does it for LlamaForCausalLM: the same
 * metadata keys, the HF -> GGUF tensor names, Q and K rows permuted from HF's rotate-half
 * layout to GGUF's interleaved one, and the tokenizer either as a SentencePiece-style "llama"
 * vocabulary (tokenizer.json with '▁' pieces and byte fallback: scores -1000, types NORMAL /
 * CONTROL / BYTE, like LlamaHfVocab) or a byte-level BPE "gpt2" vocabulary with merges.
 * Output is F32 (or F16 for matrices, 1-D tensors stay F32). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "gguf/gguf.h"
#include "store/store_int.h"
#include "tensor/tensor.h"

#define MAX_ST_FILES 256

bool lmd_hf_dir_is_model(const char *dir) {
    char p[LMD_STORE_PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/config.json", dir);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

typedef struct {
    const char *dir;
    json_t *config, *tok, *tok_cfg;
    lmd_st_file files[MAX_ST_FILES];
    int n_files;
    lmd_gguf_writer *w;
    void **owned; /* converted tensor buffers, freed after the write */
    int64_t n_owned, cap_owned;
    int64_t n_embd, n_ff, n_head, n_head_kv, n_layer, n_vocab, n_ctx, head_dim;
    bool want_f16;
} conv;

static lmd_status load_json(const char *dir, const char *file, size_t cap, bool required,
                            size_t flags, json_t **out, lmd_err *err) {
    char p[LMD_STORE_PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    lmd_err e2 = { 0 };
    lmd_status st = lmd_fs_read_file(p, cap, &text, &len, &e2);
    if (st == LMD_E_NOT_FOUND && !required) return LMD_OK;
    if (st != LMD_OK) return lmd_err_set(err, st, "%s", e2.msg);
    json_error_t je;
    *out = json_loadb(text, len, flags, &je);
    free(text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return lmd_err_set(err, LMD_E_FORMAT, "%s: line %d: %s", p, je.line, je.text);
    }
    return LMD_OK;
}

static lmd_status need_int(conv *c, const char *key, int64_t lo, int64_t hi, int64_t *out,
                           lmd_err *err) {
    json_t *v = json_object_get(c->config, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return lmd_err_set(err, LMD_E_FORMAT, "%s/config.json: %s: expected an integer in "
                           "[%lld, %lld]", c->dir, key, (long long)lo, (long long)hi);
    *out = json_integer_value(v);
    return LMD_OK;
}

static double get_num(json_t *o, const char *key, double dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static const lmd_st_tensor *find(conv *c, const char *name) {
    for (int f = 0; f < c->n_files; f++)
        for (int64_t i = 0; i < c->files[f].n; i++)
            if (!strcmp(c->files[f].t[i].name, name)) return &c->files[f].t[i];
    return NULL;
}

static void *own(conv *c, size_t bytes) {
    if (c->n_owned == c->cap_owned) {
        int64_t nc = c->cap_owned ? c->cap_owned * 2 : 64;
        void **n2 = realloc(c->owned, (size_t)nc * sizeof *n2);
        if (!n2) return NULL;
        c->owned = n2;
        c->cap_owned = nc;
    }
    void *p = malloc(bytes ? bytes : 1);
    if (p) c->owned[c->n_owned++] = p;
    return p;
}

/* Adds HF tensor `hf` as GGUF tensor `gg`. permute_heads > 0 reorders rows per head from HF's
 * [first halves | second halves] to GGUF's interleaved pairs (llama.cpp's permute()). */
static lmd_status add(conv *c, const char *hf, const char *gg, int64_t permute_heads,
                      const int64_t *want_shape, int want_dims, lmd_err *err) {
    const lmd_st_tensor *t = find(c, hf);
    if (!t) return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %s missing", c->dir, hf);
    if (t->n_dims != want_dims)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %s has %d dims, expected %d", c->dir,
                           hf, t->n_dims, want_dims);
    for (int d = 0; d < want_dims; d++)
        if (t->shape[d] != want_shape[d])
            return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %s: shape[%d] is %lld, config "
                               "says %lld", c->dir, hf, d, (long long)t->shape[d],
                               (long long)want_shape[d]);
    int64_t rows = want_dims == 2 ? t->shape[0] : 1;
    int64_t cols = want_dims == 2 ? t->shape[1] : t->shape[0];
    int64_t ne[4] = { cols, rows, 1, 1 };
    bool f16 = c->want_f16 && want_dims == 2;
    lmd_type type = f16 ? LMD_TYPE_F16 : LMD_TYPE_F32;
    if (!f16 && t->dtype == LMD_ST_F32 && !permute_heads)  /* borrow the mapping as is */
        return lmd_gguf_add_tensor(c->w, gg, type, want_dims, ne, t->data, err);
    int64_t hd = permute_heads ? rows / permute_heads : 0;
    if (permute_heads && (rows % permute_heads || hd % 2))
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s: %lld rows do not split into %lld heads "
                           "of even size", c->dir, hf, (long long)rows, (long long)permute_heads);
    void *buf = own(c, (size_t)t->n_elems * (f16 ? 2 : 4));
    if (!buf) return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory converting %s", c->dir, hf);
    for (int64_t r = 0; r < rows; r++) {
        int64_t src = r;
        if (permute_heads) { /* dst row h*hd + 2i + j comes from src row h*hd + j*hd/2 + i */
            int64_t h = r / hd, w = r % hd, i = w / 2, j = w % 2;
            src = h * hd + j * (hd / 2) + i;
        }
        for (int64_t k = 0; k < cols; k++) {
            float v = lmd_st_get(t, src * cols + k);
            if (f16) ((uint16_t *)buf)[r * cols + k] = lmd_f32_to_fp16(v);
            else ((float *)buf)[r * cols + k] = v;
        }
    }
    return lmd_gguf_add_tensor(c->w, gg, type, want_dims, ne, buf, err);
}

static lmd_status add_tensors(conv *c, lmd_err *err) {
    lmd_status st;
    int64_t emb[2] = { c->n_vocab, c->n_embd }, norm[1] = { c->n_embd };
    int64_t q[2] = { c->n_head * c->head_dim, c->n_embd };
    int64_t kv[2] = { c->n_head_kv * c->head_dim, c->n_embd };
    int64_t o[2] = { c->n_embd, c->n_head * c->head_dim };
    int64_t up[2] = { c->n_ff, c->n_embd }, down[2] = { c->n_embd, c->n_ff };
    /* With tied embeddings, safetensors' de-duplication may keep only lm_head.weight (its
     * __metadata__ names embed_tokens as an alias of it). */
    const char *embd = find(c, "model.embed_tokens.weight") ? "model.embed_tokens.weight"
                                                             : "lm_head.weight";
    bool tied = json_is_true(json_object_get(c->config, "tie_word_embeddings"));
    if ((st = add(c, embd, "token_embd.weight", 0, emb, 2, err)) != LMD_OK) return st;
    for (int64_t l = 0; l < c->n_layer; l++) {
        char hf[160], gg[96];
        struct { const char *hf, *gg; int64_t perm; const int64_t *shape; int dims; } m[] = {
            { "input_layernorm.weight", "attn_norm.weight", 0, norm, 1 },
            { "self_attn.q_proj.weight", "attn_q.weight", c->n_head, q, 2 },
            { "self_attn.k_proj.weight", "attn_k.weight", c->n_head_kv, kv, 2 },
            { "self_attn.v_proj.weight", "attn_v.weight", 0, kv, 2 },
            { "self_attn.o_proj.weight", "attn_output.weight", 0, o, 2 },
            { "post_attention_layernorm.weight", "ffn_norm.weight", 0, norm, 1 },
            { "mlp.gate_proj.weight", "ffn_gate.weight", 0, up, 2 },
            { "mlp.up_proj.weight", "ffn_up.weight", 0, up, 2 },
            { "mlp.down_proj.weight", "ffn_down.weight", 0, down, 2 },
        };
        for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
            snprintf(hf, sizeof hf, "model.layers.%lld.%s", (long long)l, m[i].hf);
            snprintf(gg, sizeof gg, "blk.%lld.%s", (long long)l, m[i].gg);
            if ((st = add(c, hf, gg, m[i].perm, m[i].shape, m[i].dims, err)) != LMD_OK) return st;
        }
    }
    if ((st = add(c, "model.norm.weight", "output_norm.weight", 0, norm, 1, err)) != LMD_OK)
        return st;
    if (!tied && find(c, "lm_head.weight") && strcmp(embd, "lm_head.weight") != 0 &&
        (st = add(c, "lm_head.weight", "output.weight", 0, emb, 2, err)) != LMD_OK)
        return st;
    /* Every tensor must be one we mapped: a silently dropped tensor means a wrong model. */
    for (int f = 0; f < c->n_files; f++)
        for (int64_t i = 0; i < c->files[f].n; i++) {
            const char *n = c->files[f].t[i].name;
            if (strstr(n, "rotary_emb.inv_freq") || !strcmp(n, "lm_head.weight")) continue;
            if (strncmp(n, "model.", 6) != 0)
                return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: cannot map tensor %s", c->dir, n);
        }
    return LMD_OK;
}

/* ---- tokenizer ---- */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

static bool is_byte_token(const char *s) {
    return strlen(s) == 6 && !strncmp(s, "<0x", 3) && s[5] == '>' &&
           strchr("0123456789ABCDEFabcdef", s[3]) && strchr("0123456789ABCDEFabcdef", s[4]);
}

/* id of an added token by content, -1 if none. */
static int64_t added_id(json_t *tok, const char *content) {
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(tok, "added_tokens"), i, a) {
        const char *s = json_string_value(json_object_get(a, "content"));
        if (s && !strcmp(s, content)) return json_integer_value(json_object_get(a, "id"));
    }
    json_t *v = json_object_get(json_object_get(json_object_get(tok, "model"), "vocab"), content);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *token_content(json_t *v) {
    if (json_is_string(v)) return json_string_value(v);
    return json_string_value(json_object_get(v, "content"));
}

static lmd_status add_special(conv *c, lmd_err *err) {
    /* gguf-py's SpecialVocab: ids from tokenizer_config's token strings, else config.json ids. */
    static const struct { const char *name, *key; } sp[] = {
        { "bos", "tokenizer.ggml.bos_token_id" }, { "eos", "tokenizer.ggml.eos_token_id" },
        { "unk", "tokenizer.ggml.unknown_token_id" },
        { "sep", "tokenizer.ggml.seperator_token_id" },
        { "pad", "tokenizer.ggml.padding_token_id" }, { "cls", "tokenizer.ggml.cls_token_id" },
        { "mask", "tokenizer.ggml.mask_token_id" },
    };
    lmd_status st;
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        char k[32];
        snprintf(k, sizeof k, "%s_token", sp[i].name);
        int64_t id = -1;
        const char *content = c->tok_cfg ? token_content(json_object_get(c->tok_cfg, k)) : NULL;
        if (content) id = added_id(c->tok, content);
        if (id < 0) {
            snprintf(k, sizeof k, "%s_token_id", sp[i].name);
            json_t *v = json_object_get(c->config, k);
            if (json_is_integer(v)) id = json_integer_value(v);
        }
        if (id < 0 || id >= c->n_vocab) continue;
        if ((st = lmd_gguf_set_u32(c->w, sp[i].key, (uint32_t)id, err)) != LMD_OK) return st;
    }
    if (c->tok_cfg) {
        json_t *b = json_object_get(c->tok_cfg, "add_bos_token");
        json_t *e = json_object_get(c->tok_cfg, "add_eos_token");
        if (json_is_boolean(b) && (st = lmd_gguf_set_bool(c->w, "tokenizer.ggml.add_bos_token",
                                                          json_is_true(b), err)) != LMD_OK)
            return st;
        if (json_is_boolean(e) && (st = lmd_gguf_set_bool(c->w, "tokenizer.ggml.add_eos_token",
                                                          json_is_true(e), err)) != LMD_OK)
            return st;
        const char *tmpl = json_string_value(json_object_get(c->tok_cfg, "chat_template"));
        if (tmpl && (st = lmd_gguf_set_str(c->w, "tokenizer.chat_template", lmd_str_c(tmpl),
                                           err)) != LMD_OK)
            return st;
    }
    return LMD_OK;
}

/* Merges as "a b" strings (tokenizer.json has either that or the newer ["a", "b"] pairs). */
static lmd_status add_merges(conv *c, json_t *model, lmd_err *err) {
    json_t *jm = json_object_get(model, "merges");
    size_t nm = json_array_size(jm);
    lmd_str *merges = calloc(nm ? nm : 1, sizeof *merges);
    char **joined = calloc(nm ? nm : 1, sizeof *joined);
    lmd_status st;
    if (!merges || !joined) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t m = 0; m < nm; m++) {
        json_t *e = json_array_get(jm, m);
        if (json_is_string(e)) {
            merges[m] = lmd_str_c(json_string_value(e));
        } else if (json_is_array(e) && json_array_size(e) == 2) {
            const char *x = json_string_value(json_array_get(e, 0));
            const char *y = json_string_value(json_array_get(e, 1));
            if (x && y && (joined[m] = malloc(strlen(x) + strlen(y) + 2)))
                sprintf(joined[m], "%s %s", x, y);
            merges[m] = lmd_str_c(joined[m] ? joined[m] : "");
        }
    }
    st = lmd_gguf_set_arr_str(c->w, "tokenizer.ggml.merges", merges, nm, err);
done:
    if (joined)
        for (size_t m = 0; m < nm; m++) free(joined[m]);
    free(joined);
    free(merges);
    return st;
}

static lmd_status add_tokenizer(conv *c, lmd_err *err) {
    json_t *model = json_object_get(c->tok, "model");
    json_t *vocab = json_object_get(model, "vocab");
    const char *type = json_string_value(json_object_get(model, "type"));
    if (!type || strcmp(type, "BPE") != 0 || !json_is_object(vocab))
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s/tokenizer.json: model type %s not "
                           "supported (BPE only)", c->dir, type ? type : "(missing)");
    char *pre = json_dumps(json_object_get(c->tok, "pre_tokenizer"), JSON_ENCODE_ANY);
    char *dec = json_dumps(json_object_get(c->tok, "decoder"), JSON_ENCODE_ANY);
    /* Byte-level BPE (GPT-2, Llama 3) becomes a "gpt2" vocabulary; '▁' pieces with byte
     * fallback become a SentencePiece-style "llama" one, as convert_hf_to_gguf picks them. */
    bool byte_level = (pre && strstr(pre, "ByteLevel")) || (dec && strstr(dec, "ByteLevel"));
    bool llama3 = pre && strstr(pre, "(?i:'s|'t|'re|'ve|'m|'ll|'d)");
    free(pre);
    free(dec);
    int64_t n = c->n_vocab;
    lmd_str *toks = calloc((size_t)n, sizeof *toks);
    float *scores = calloc((size_t)n, sizeof *scores);
    int32_t *types = calloc((size_t)n, sizeof *types);
    char(*pads)[24] = calloc((size_t)n, sizeof *pads);
    lmd_status st = LMD_OK;
    if (!toks || !scores || !types || !pads) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    const char *k;
    json_t *v;
    json_object_foreach(vocab, k, v) {
        int64_t id = json_integer_value(v);
        if (!json_is_integer(v) || id < 0 || id >= n) continue; /* beyond config's vocab_size */
        toks[id] = lmd_str_c(k);
        types[id] = is_byte_token(k) && !byte_level ? TT_BYTE : TT_NORMAL;
    }
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(c->tok, "added_tokens"), i, a) {
        int64_t id = json_integer_value(json_object_get(a, "id"));
        const char *s = json_string_value(json_object_get(a, "content"));
        if (!s || id < 0 || id >= n) continue;
        toks[id] = lmd_str_c(s);
        types[id] = json_is_true(json_object_get(a, "special")) ? TT_CONTROL : TT_USER;
    }
    for (int64_t id = 0; id < n; id++) {
        scores[id] = byte_level ? 0.0f : -1000.0f;
        if (!toks[id].ptr) { /* a gap in the vocabulary, named as convert_hf_to_gguf does */
            snprintf(pads[id], sizeof pads[id], "[PAD%lld]", (long long)id);
            toks[id] = lmd_str_c(pads[id]);
            types[id] = TT_UNUSED;
        }
    }
    if ((st = lmd_gguf_set_str(c->w, "tokenizer.ggml.model",
                               lmd_str_c(byte_level ? "gpt2" : "llama"), err)) != LMD_OK ||
        (st = lmd_gguf_set_str(c->w, "tokenizer.ggml.pre",
                               lmd_str_c(byte_level && llama3 ? "llama-bpe" : "default"), err)) !=
            LMD_OK ||
        (st = lmd_gguf_set_arr_str(c->w, "tokenizer.ggml.tokens", toks, (uint64_t)n, err)) !=
            LMD_OK)
        goto done;
    if (!byte_level && (st = lmd_gguf_set_arr(c->w, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32,
                                              scores, (uint64_t)n, err)) != LMD_OK)
        goto done;
    if ((st = lmd_gguf_set_arr(c->w, "tokenizer.ggml.token_type", LMD_GGUF_INT32, types,
                               (uint64_t)n, err)) != LMD_OK)
        goto done;
    if (byte_level && (st = add_merges(c, model, err)) != LMD_OK) goto done;
    st = add_special(c, err);
done:
    free(toks);
    free(scores);
    free(types);
    free(pads);
    return st;
}

static lmd_status read_hparams(conv *c, lmd_err *err) {
    const char *a = json_string_value(json_array_get(json_object_get(c->config, "architectures"), 0));
    if (!a || (strcmp(a, "LlamaForCausalLM") && strcmp(a, "MistralForCausalLM")))
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s/config.json: architecture %s not "
                           "supported (LlamaForCausalLM, MistralForCausalLM)", c->dir,
                           a ? a : "(none)");
    lmd_status st;
    if ((st = need_int(c, "hidden_size", 1, 1 << 20, &c->n_embd, err)) != LMD_OK ||
        (st = need_int(c, "intermediate_size", 1, 1 << 22, &c->n_ff, err)) != LMD_OK ||
        (st = need_int(c, "num_attention_heads", 1, 4096, &c->n_head, err)) != LMD_OK ||
        (st = need_int(c, "num_hidden_layers", 1, 4096, &c->n_layer, err)) != LMD_OK ||
        (st = need_int(c, "vocab_size", 1, 1 << 24, &c->n_vocab, err)) != LMD_OK ||
        (st = need_int(c, "max_position_embeddings", 1, 1 << 24, &c->n_ctx, err)) != LMD_OK)
        return st;
    c->n_head_kv = c->n_head;
    if (json_object_get(c->config, "num_key_value_heads") &&
        (st = need_int(c, "num_key_value_heads", 1, c->n_head, &c->n_head_kv, err)) != LMD_OK)
        return st;
    if (c->n_head % c->n_head_kv)
        return lmd_err_set(err, LMD_E_FORMAT, "%s/config.json: %lld heads not a multiple of "
                           "%lld KV heads", c->dir, (long long)c->n_head, (long long)c->n_head_kv);
    c->head_dim = c->n_embd / c->n_head;
    json_t *hd = json_object_get(c->config, "head_dim");
    if (hd && !json_is_null(hd) &&
        (st = need_int(c, "head_dim", 2, 1 << 16, &c->head_dim, err)) != LMD_OK)
        return st;
    json_t *rs = json_object_get(c->config, "rope_scaling");
    if (rs && !json_is_null(rs)) {
        const char *t = json_string_value(json_object_get(rs, "type"));
        if (!t) t = json_string_value(json_object_get(rs, "rope_type"));
        if (!t || strcmp(t, "linear") != 0)
            return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s/config.json: rope_scaling type %s "
                               "not supported (linear only)", c->dir, t ? t : "(none)");
    }
    return LMD_OK;
}

static lmd_status set_metadata(conv *c, lmd_err *err) {
    lmd_gguf_writer *w = c->w;
    const char *base = strrchr(c->dir, '/');
    base = base && base[1] ? base + 1 : c->dir;
    lmd_status st;
#define S(x) if ((st = (x)) != LMD_OK) return st
    S(lmd_gguf_set_str(w, "general.architecture", lmd_str_c("llama"), err));
    S(lmd_gguf_set_str(w, "general.type", lmd_str_c("model"), err));
    S(lmd_gguf_set_str(w, "general.name", lmd_str_c(base), err));
    S(lmd_gguf_set_u32(w, "llama.block_count", (uint32_t)c->n_layer, err));
    S(lmd_gguf_set_u32(w, "llama.context_length", (uint32_t)c->n_ctx, err));
    S(lmd_gguf_set_u32(w, "llama.embedding_length", (uint32_t)c->n_embd, err));
    S(lmd_gguf_set_u32(w, "llama.feed_forward_length", (uint32_t)c->n_ff, err));
    S(lmd_gguf_set_u32(w, "llama.attention.head_count", (uint32_t)c->n_head, err));
    S(lmd_gguf_set_u32(w, "llama.attention.head_count_kv", (uint32_t)c->n_head_kv, err));
    S(lmd_gguf_set_f32(w, "llama.rope.freq_base",
                       (float)get_num(c->config, "rope_theta", 10000.0), err));
    S(lmd_gguf_set_f32(w, "llama.attention.layer_norm_rms_epsilon",
                       (float)get_num(c->config, "rms_norm_eps", 1e-5), err));
    if (c->head_dim != c->n_embd / c->n_head) {
        S(lmd_gguf_set_u32(w, "llama.attention.key_length", (uint32_t)c->head_dim, err));
        S(lmd_gguf_set_u32(w, "llama.attention.value_length", (uint32_t)c->head_dim, err));
    }
    json_t *rs = json_object_get(c->config, "rope_scaling");
    if (json_is_object(rs)) {
        S(lmd_gguf_set_str(w, "llama.rope.scaling.type", lmd_str_c("linear"), err));
        S(lmd_gguf_set_f32(w, "llama.rope.scaling.factor", (float)get_num(rs, "factor", 1.0),
                           err));
    }
    S(lmd_gguf_set_u32(w, "general.file_type", c->want_f16 ? 1 : 0, err));
    S(lmd_gguf_set_u32(w, "llama.vocab_size", (uint32_t)c->n_vocab, err));
    S(lmd_gguf_set_u32(w, "llama.rope.dimension_count", (uint32_t)c->head_dim, err));
#undef S
    return LMD_OK;
}

static lmd_status open_safetensors(conv *c, lmd_err *err) {
    DIR *d = opendir(c->dir);
    if (!d) return lmd_err_set(err, LMD_E_IO, "%s: cannot list", c->dir);
    struct dirent *e;
    lmd_status st = LMD_OK;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 12 || strcmp(e->d_name + l - 12, ".safetensors") != 0) continue;
        if (c->n_files == MAX_ST_FILES) {
            st = lmd_err_set(err, LMD_E_LIMIT, "%s: more than %d safetensors files", c->dir,
                             MAX_ST_FILES);
            break;
        }
        char p[LMD_STORE_PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", c->dir, e->d_name);
        if ((st = lmd_st_open(p, &c->files[c->n_files], err)) != LMD_OK) break;
        c->n_files++;
    }
    closedir(d);
    if (st == LMD_OK && !c->n_files)
        st = lmd_err_set(err, LMD_E_NOT_FOUND, "%s: no .safetensors files", c->dir);
    return st;
}

lmd_status lmd_hf_convert(const char *dir, const char *out_path, bool want_f16, lmd_err *err) {
    conv *c = calloc(1, sizeof *c);
    if (!c) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    c->dir = dir;
    c->want_f16 = want_f16;
    lmd_status st;
    if ((st = load_json(dir, "config.json", 1u << 20, true, 0, &c->config, err)) != LMD_OK)
        goto done;
    if ((st = read_hparams(c, err)) != LMD_OK) goto done;
    if ((st = load_json(dir, "tokenizer.json", 256u << 20, true, 0, &c->tok, err)) != LMD_OK)
        goto done;
    /* model_max_length is often 1e30 written as an integer: read integers as reals here. */
    if ((st = load_json(dir, "tokenizer_config.json", 16u << 20, false, JSON_DECODE_INT_AS_REAL,
                        &c->tok_cfg, err)) != LMD_OK)
        goto done;
    if ((st = open_safetensors(c, err)) != LMD_OK) goto done;
    if (!(c->w = lmd_gguf_writer_new())) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = set_metadata(c, err)) != LMD_OK) goto done;
    if ((st = add_tokenizer(c, err)) != LMD_OK) goto done;
    if ((st = lmd_gguf_set_u32(c->w, "general.quantization_version", 2, err)) != LMD_OK)
        goto done;
    if ((st = add_tensors(c, err)) != LMD_OK) goto done;
    st = lmd_gguf_writer_write(c->w, out_path, err);
done:
    lmd_gguf_writer_free(c->w);
    for (int64_t i = 0; i < c->n_owned; i++) free(c->owned[i]);
    free(c->owned);
    for (int f = 0; f < c->n_files; f++) lmd_st_close(&c->files[f]);
    json_decref(c->config);
    json_decref(c->tok);
    json_decref(c->tok_cfg);
    free(c);
    return st;
}
