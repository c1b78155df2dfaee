/* genmodel.c — `lmd genmodel`: writes a random-weight model of a real model's shape, so speed
 * can be measured without downloading anything. The tokenizer is copied from a vocabulary GGUF
 * of the same size (../shared/vocab), so the model also tokenizes and chats. Every 2-D weight
 * gets the requested type ("pure", like llama-quantize --pure), 1-D norms and biases stay F32;
 * K-quant rows whose width is not a multiple of 256 fall back as llama.cpp does. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gguf/gguf.h"
#include "tensor/pool.h"
#include "tensor/tensor.h"

typedef struct {
    const char *name, *arch, *vocab_file, *general_name;
    int64_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
    float rope_base, rms_eps;
    bool tied, qkv_bias;
} preset;

/* Shapes from the models' config.json files (hidden size, layers, heads, ffn, vocab). */
static const preset presets[] = {
    { "smollm2-135m", "llama", "ggml-vocab-starcoder.gguf", "SmolLM2 135M (random weights)",
      49152, 576, 30, 9, 3, 1536, 8192, 100000.0f, 1e-5f, true, false },
    { "qwen2.5-0.5b", "qwen2", "ggml-vocab-qwen2.gguf", "Qwen2.5 0.5B (random weights)",
      151936, 896, 24, 14, 2, 4864, 32768, 1000000.0f, 1e-6f, true, true },
    { "llama-3.2-1b", "llama", "ggml-vocab-llama-bpe.gguf", "Llama 3.2 1B (random weights)",
      128256, 2048, 16, 32, 8, 8192, 131072, 500000.0f, 1e-5f, true, false },
    { "tinyllama-1.1b", "llama", "ggml-vocab-llama-spm.gguf", "TinyLlama 1.1B (random weights)",
      32000, 2048, 22, 32, 4, 5632, 2048, 10000.0f, 1e-5f, false, false },
};

static const char *usage =
    "lmd genmodel --preset NAME --type TYPE -o OUT.gguf [--vocab VOCAB.gguf] [--seed N] "
    "[--layers N]\n  presets: smollm2-135m qwen2.5-0.5b llama-3.2-1b tinyllama-1.1b\n"
    "  types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K";

/* llama_ftype of a pure file of this type (general.file_type). */
static int ftype_of(lmd_type t) {
    switch (t) {
    case LMD_TYPE_F32: return 0;
    case LMD_TYPE_F16: return 1;
    case LMD_TYPE_Q4_0: return 2;
    case LMD_TYPE_Q4_1: return 3;
    case LMD_TYPE_Q8_0: return 7;
    case LMD_TYPE_Q5_0: return 8;
    case LMD_TYPE_Q5_1: return 9;
    case LMD_TYPE_Q2_K: return 10;
    case LMD_TYPE_Q3_K: return 12;
    case LMD_TYPE_Q4_K: return 15;
    case LMD_TYPE_Q5_K: return 17;
    case LMD_TYPE_Q6_K: return 18;
    case LMD_TYPE_BF16: return 32;
    default: return -1;
    }
}

/* llama.cpp's fallback when a row is not a whole number of 256-element super-blocks. */
static lmd_type fallback_for_width(lmd_type t, int64_t n_cols) {
    if (n_cols % 256 == 0) return t;
    switch (t) {
    case LMD_TYPE_Q2_K:
    case LMD_TYPE_Q3_K: return LMD_TYPE_Q4_0;
    case LMD_TYPE_Q4_K: return LMD_TYPE_Q5_0;
    case LMD_TYPE_Q5_K: return LMD_TYPE_Q5_1;
    case LMD_TYPE_Q6_K: return LMD_TYPE_Q8_0;
    default: return t;
    }
}

typedef struct {
    const lmd_type_traits *tr;
    uint8_t *out;
    size_t row_bytes;
    int64_t n_rows, n_cols;
    uint64_t seed;
    float scale;
} fill_job;

enum { ROWS_PER_TASK = 16 };

/* Fills and quantizes rows [task*16, task*16+16): each row's values come from its own seed, so
 * the file does not depend on the thread count. */
static void fill_rows(void *ctx, int64_t task, int thread_idx) {
    const fill_job *j = ctx;
    float *row = malloc((size_t)j->n_cols * sizeof(float));
    if (!row) return;   /* checked by the caller through the sentinel below */
    for (int64_t r = task * ROWS_PER_TASK; r < j->n_rows && r < (task + 1) * ROWS_PER_TASK; r++) {
        uint64_t s = j->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(r + 1));
        for (int64_t c = 0; c < j->n_cols; c++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            /* uniform in [-scale, scale) */
            row[c] = j->scale * ((float)(s >> 40) * (2.0f / 16777216.0f) - 1.0f);
        }
        j->tr->quantize_row(row, j->out + (size_t)r * j->row_bytes, j->n_cols);
    }
    free(row);
}

typedef struct {
    void **bufs;
    int n;
} owned;

static lmd_status add_matrix(lmd_gguf_writer *w, lmd_pool *pool, owned *o, const char *name,
                             lmd_type type, int64_t n_cols, int64_t n_rows, uint64_t seed,
                             lmd_err *err) {
    type = fallback_for_width(type, n_cols);
    const lmd_type_traits *tr = lmd_type_traits_of(type);
    if (!tr || !tr->quantize_row)
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "genmodel: cannot write type %s",
                           lmd_type_name(type));
    size_t row_bytes = lmd_type_row_bytes(type, n_cols), total;
    if (!row_bytes || __builtin_mul_overflow(row_bytes, (size_t)n_rows, &total))
        return lmd_err_set(err, LMD_E_INVALID, "genmodel: %s: bad shape", name);
    uint8_t *buf = malloc(total);
    if (!buf) return lmd_err_set(err, LMD_E_NOMEM, "genmodel: %s: out of memory", name);
    o->bufs[o->n++] = buf;
    fill_job j = { tr, buf, row_bytes, n_rows, n_cols, seed, 1.0f / sqrtf((float)n_cols) * 1.7f };
    lmd_pool_run(pool, fill_rows, &j, (n_rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
    int64_t ne[4] = { n_cols, n_rows, 1, 1 };
    return lmd_gguf_add_tensor(w, name, type, n_rows == 1 ? 1 : 2, ne, buf, err);
}

static lmd_status add_vector(lmd_gguf_writer *w, owned *o, const char *name, int64_t n,
                             float value, lmd_err *err) {
    float *buf = malloc((size_t)n * sizeof(float));
    if (!buf) return lmd_err_set(err, LMD_E_NOMEM, "genmodel: %s: out of memory", name);
    o->bufs[o->n++] = buf;
    for (int64_t i = 0; i < n; i++) buf[i] = value;
    int64_t ne[4] = { n, 1, 1, 1 };
    return lmd_gguf_add_tensor(w, name, LMD_TYPE_F32, 1, ne, buf, err);
}

static lmd_status build(const preset *p, lmd_type type, int64_t n_layer, uint64_t seed,
                        const char *vocab_path, const char *out_path, lmd_pool *pool,
                        lmd_err *err) {
    lmd_gguf *vocab = NULL;
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    owned o = { calloc((size_t)(n_layer * 16 + 8), sizeof(void *)), 0 };
    lmd_status st = LMD_OK;
    char key[256];
    if (!w || !o.bufs) {
        st = lmd_err_set(err, LMD_E_NOMEM, "genmodel: out of memory");
        goto done;
    }
    if ((st = lmd_gguf_open(vocab_path, NULL, &vocab, err))) goto done;
    const lmd_gguf_value *toks = lmd_gguf_get(vocab, "tokenizer.ggml.tokens");
    if (!toks || toks->type != LMD_GGUF_ARRAY || (int64_t)toks->arr.n != p->n_vocab) {
        st = lmd_err_set(err, LMD_E_INVALID, "genmodel: %s: expected %lld tokens for preset %s",
                         vocab_path, (long long)p->n_vocab, p->name);
        goto done;
    }
    const char *a = p->arch;
    int64_t head_dim = p->n_embd / p->n_head;
#define SET(call)                                                                             \
    do {                                                                                      \
        if ((st = (call))) goto done;                                                         \
    } while (0)
    SET(lmd_gguf_set_str(w, "general.architecture", lmd_str_c(a), err));
    SET(lmd_gguf_set_str(w, "general.name", lmd_str_c(p->general_name), err));
    SET(lmd_gguf_set_u32(w, "general.file_type", (uint32_t)ftype_of(type), err));
    SET(lmd_gguf_set_u32(w, "general.quantization_version", 2, err));
    snprintf(key, sizeof key, "%s.context_length", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_ctx, err));
    snprintf(key, sizeof key, "%s.embedding_length", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_embd, err));
    snprintf(key, sizeof key, "%s.block_count", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)n_layer, err));
    snprintf(key, sizeof key, "%s.feed_forward_length", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_ff, err));
    snprintf(key, sizeof key, "%s.attention.head_count", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_head, err));
    snprintf(key, sizeof key, "%s.attention.head_count_kv", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_head_kv, err));
    snprintf(key, sizeof key, "%s.rope.freq_base", a);
    SET(lmd_gguf_set_f32(w, key, p->rope_base, err));
    snprintf(key, sizeof key, "%s.rope.dimension_count", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)head_dim, err));
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", a);
    SET(lmd_gguf_set_f32(w, key, p->rms_eps, err));
    snprintf(key, sizeof key, "%s.vocab_size", a);
    SET(lmd_gguf_set_u32(w, key, (uint32_t)p->n_vocab, err));
    for (int64_t i = 0; i < lmd_gguf_n_kv(vocab); i++) {
        lmd_str k = lmd_gguf_kv_key(vocab, i);
        if (k.len > 10 && !memcmp(k.ptr, "tokenizer.", 10)) SET(lmd_gguf_copy_kv(w, vocab, i, err));
    }

    const int64_t E = p->n_embd, Q = p->n_head * head_dim, KV = p->n_head_kv * head_dim;
    uint64_t s = seed;
    SET(add_matrix(w, pool, &o, "token_embd.weight", type, E, p->n_vocab, s++, err));
    for (int64_t il = 0; il < n_layer; il++) {
        char n[96];
#define T(suffix) (snprintf(n, sizeof n, "blk.%lld." suffix, (long long)il), n)
        SET(add_vector(w, &o, T("attn_norm.weight"), E, 1.0f, err));
        SET(add_matrix(w, pool, &o, T("attn_q.weight"), type, E, Q, s++, err));
        SET(add_matrix(w, pool, &o, T("attn_k.weight"), type, E, KV, s++, err));
        SET(add_matrix(w, pool, &o, T("attn_v.weight"), type, E, KV, s++, err));
        if (p->qkv_bias) {
            SET(add_vector(w, &o, T("attn_q.bias"), Q, 0.0f, err));
            SET(add_vector(w, &o, T("attn_k.bias"), KV, 0.0f, err));
            SET(add_vector(w, &o, T("attn_v.bias"), KV, 0.0f, err));
        }
        SET(add_matrix(w, pool, &o, T("attn_output.weight"), type, Q, E, s++, err));
        SET(add_vector(w, &o, T("ffn_norm.weight"), E, 1.0f, err));
        SET(add_matrix(w, pool, &o, T("ffn_gate.weight"), type, E, p->n_ff, s++, err));
        SET(add_matrix(w, pool, &o, T("ffn_up.weight"), type, E, p->n_ff, s++, err));
        SET(add_matrix(w, pool, &o, T("ffn_down.weight"), type, p->n_ff, E, s++, err));
#undef T
    }
    SET(add_vector(w, &o, "output_norm.weight", E, 1.0f, err));
    if (!p->tied) SET(add_matrix(w, pool, &o, "output.weight", type, E, p->n_vocab, s++, err));
    SET(lmd_gguf_writer_write(w, out_path, err));
#undef SET
done:
    for (int i = 0; i < o.n; i++) free(o.bufs[i]);
    free(o.bufs);
    lmd_gguf_writer_free(w);
    lmd_gguf_close(vocab);
    return st;
}

int lmd_cmd_genmodel(int argc, char **argv) {
    const char *preset_name = NULL, *type_name = NULL, *out = NULL, *vocab = NULL;
    long long seed = 42, layers = 0;
    static const struct option opts[] = {
        { "preset", required_argument, 0, 'P' }, { "type", required_argument, 0, 'T' },
        { "vocab", required_argument, 0, 'V' },  { "seed", required_argument, 0, 'S' },
        { "layers", required_argument, 0, 'L' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'P': preset_name = optarg; break;
        case 'T': type_name = optarg; break;
        case 'V': vocab = optarg; break;
        case 'o': out = optarg; break;
        case 'S': seed = atoll(optarg); break;
        case 'L': layers = atoll(optarg); break;
        case 'h': printf("usage: %s\n", usage); return 0;
        default: return lmd_cli_usage("genmodel", usage);
        }
    }
    if (!preset_name || !type_name || !out || optind != argc) return lmd_cli_usage("genmodel", usage);
    const preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(presets[i].name, preset_name)) p = &presets[i];
    lmd_type type;
    if (!p || !lmd_type_from_name(type_name, &type) || ftype_of(type) < 0) {
        fprintf(stderr, "lmd genmodel: unknown preset or type (%s, %s)\n", preset_name, type_name);
        return lmd_cli_usage("genmodel", usage);
    }
    if (layers < 0 || layers > p->n_layer) return lmd_cli_usage("genmodel", usage);
    char vocab_buf[4096];
    if (!vocab) {
        const char *shared = getenv("LMD_SHARED");
        snprintf(vocab_buf, sizeof vocab_buf, "%s/vocab/%s", shared ? shared : "../shared",
                 p->vocab_file);
        vocab = vocab_buf;
    }
    lmd_err err = { 0 };
    lmd_pool *pool = NULL;
    if (lmd_kernels_init(&err) || lmd_pool_create(0, &pool, &err)) return lmd_cli_fail("genmodel", &err);
    lmd_status st = build(p, type, layers ? layers : p->n_layer, (uint64_t)seed, vocab, out, pool,
                          &err);
    lmd_pool_free(pool);
    if (st) return lmd_cli_fail("genmodel", &err);
    fprintf(stderr, "lmd genmodel: wrote %s (%s, %s)\n", out, p->name, lmd_type_name(type));
    return 0;
}
