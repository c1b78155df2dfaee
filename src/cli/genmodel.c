/* genmodel.c — `lmd genmodel --preset NAME --type TYPE -o OUT.gguf [--vocab VOCAB.gguf]
 * [--seed N] [--layers N] [--pure]`: writes a model with random weights but the real shape of
 * a known model (smollm2-135m, qwen2.5-0.5b, llama-3.2-1b, tinyllama-1.1b), so speed can be
 * measured and code paths exercised without downloading anything. The tokenizer (every
 * tokenizer.* key) is copied from a vocabulary GGUF of the same size under ../shared/vocab,
 * so the model also tokenizes and chats.
 * TYPE is a ggml type (Q4_K, Q8_0, F16, ...: every 2-D weight gets it, "pure", with
 * llama.cpp's fallback for rows that are not whole blocks) or a llama-quantize mix (Q4_K_M,
 * Q5_K_M, ...: llama.cpp's per-tensor types, as in real downloaded models). Weights are
 * uniform with a 1/sqrt(fan-in) scale from a counter-based generator (same seed, same
 * bytes, whatever the thread count or chunking); norms are 1, biases 0. Data is produced
 * while the file is written, so memory stays small whatever the model size. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/quant_mix.h"
#include "gguf/gguf.h"
#include "tensor/pool.h"
#include "tensor/tensor.h"

static const char *usage =
    "lmd genmodel --preset NAME --type TYPE -o OUT.gguf [--vocab VOCAB.gguf] [--seed N] "
    "[--layers N] [--pure]\n  presets: smollm2-135m qwen2.5-0.5b llama-3.2-1b tinyllama-1.1b\n"
    "  types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K (pure), or a mix:\n"
    "         Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M\n"
    "  --layers N keeps the first N blocks; --pure applies a mix's base type everywhere";

static const char *chatml =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant"
    "\n' }}{% endif %}";
static const char *zephyr =
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n'"
    " + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ "
    "'<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and "
    "add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/* Shapes from each model's config.json. */
typedef struct {
    const char *name, *arch, *title;
    int64_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
    float rope_theta, rms_eps;
    bool tied, qkv_bias;
    const char *vocab;    /* under ../shared */
    const char *template; /* NULL: the vocab file's */
} preset;

static const preset presets[] = {
    { "smollm2-135m", "llama", "SmolLM2 135M", 49152, 576, 30, 9, 3, 1536, 8192, 100000.0f,
      1e-5f, true, false, "vocab/ggml-vocab-starcoder.gguf", NULL },
    { "qwen2.5-0.5b", "qwen2", "Qwen2.5 0.5B", 151936, 896, 24, 14, 2, 4864, 32768, 1000000.0f,
      1e-6f, true, true, "vocab/ggml-vocab-qwen2.gguf", NULL },
    { "llama-3.2-1b", "llama", "Llama 3.2 1B", 128256, 2048, 16, 32, 8, 8192, 131072, 500000.0f,
      1e-5f, true, false, "vocab/ggml-vocab-llama-bpe.gguf", NULL },
    { "tinyllama-1.1b", "llama", "TinyLlama 1.1B", 32000, 2048, 22, 32, 4, 5632, 2048, 10000.0f,
      1e-5f, false, false, "vocab/ggml-vocab-llama-spm.gguf", NULL },
};

typedef enum { INIT_WEIGHT, INIT_ONES, INIT_ZEROS } init_kind;

enum { ROWS_PER_TASK = 16, MAX_THREADS = 256 };

/* One tensor to generate. */
typedef struct {
    init_kind init;
    lmd_type type;
    int64_t n_cols;
    uint64_t key;    /* seed ^ hash(name): row r is drawn from (key, r) alone */
    float scale;     /* weights are uniform in [-scale, scale) */
} gen;

/* What a fill call hands to the pool's tasks. */
typedef struct {
    const gen *g;
    uint8_t *dst;
    int64_t row0, n_rows;
    float *scratch; /* MAX_THREADS... one n_cols row per thread */
} gen_job;

typedef struct {
    gen *g;
    lmd_pool *pool;
    float *scratch; /* n_threads rows of the widest tensor */
} gen_ctx;

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Rows [task * 16, task * 16 + 16) of the job, each from its own (key, row) stream. */
static void gen_task(void *ctx, int64_t task, int thread_idx) {
    const gen_job *j = ctx;
    const gen *g = j->g;
    const lmd_type_traits *to = lmd_type_traits_ref(g->type);
    size_t out_row = lmd_type_row_bytes(g->type, g->n_cols);
    float *row = j->scratch + (size_t)thread_idx * (size_t)g->n_cols;
    for (int64_t r = task * ROWS_PER_TASK; r < j->n_rows && r < (task + 1) * ROWS_PER_TASK; r++) {
        uint64_t s = g->key ^ ((uint64_t)(j->row0 + r) * 0xd1b54a32d192ed03ull);
        for (int64_t k = 0; k < g->n_cols; k++) {
            float v = g->init == INIT_ONES ? 1.0f : 0.0f;
            if (g->init == INIT_WEIGHT)
                v = g->scale * ((float)(splitmix64(&s) >> 40) * (2.0f / 16777216.0f) - 1.0f);
            row[k] = v;
        }
        to->quantize_row(row, j->dst + (size_t)r * out_row, g->n_cols);
    }
}

/* lmd_gguf_fill_fn: rows [row0, row0 + n_rows) of a tensor, converted to its type. */
static lmd_status gen_rows(void *ctx, void *dst, int64_t row0, int64_t n_rows, lmd_err *err) {
    gen_ctx *c = ctx;
    gen_job j = { c->g, dst, row0, n_rows, c->scratch };
    lmd_pool_run(c->pool, gen_task, &j, (n_rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
    (void)err;
    return LMD_OK;
}

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* Appends tensor `name` of shape ne (n_dims) to the list. */
static void push(lmd_qmix_tensor *t, int64_t *n, const char *name, int n_dims, int64_t ne0,
                 int64_t ne1) {
    lmd_qmix_tensor *x = &t[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", name);
    x->n_dims = n_dims;
    x->ne[0] = ne0;
    x->ne[1] = n_dims > 1 ? ne1 : 1;
    x->ne[2] = x->ne[3] = 1;
    x->type = LMD_TYPE_F32; /* the "source" type the mix converts from */
    x->idx = *n - 1;
}

static int64_t list_tensors(const preset *p, int64_t n_layer, int64_t n_vocab,
                            lmd_qmix_tensor *t) {
    int64_t n = 0, hd = p->n_embd / p->n_head, q = p->n_head * hd, kv = p->n_head_kv * hd;
    char nm[64];
    push(t, &n, "token_embd.weight", 2, p->n_embd, n_vocab);
    for (int64_t l = 0; l < n_layer; l++) {
#define BLK(suffix, nd, a, b)                                                   \
    snprintf(nm, sizeof nm, "blk.%" PRId64 ".%s", l, suffix);                 \
    push(t, &n, nm, nd, a, b)
        BLK("attn_norm.weight", 1, p->n_embd, 1);
        BLK("attn_q.weight", 2, p->n_embd, q);
        BLK("attn_k.weight", 2, p->n_embd, kv);
        BLK("attn_v.weight", 2, p->n_embd, kv);
        if (p->qkv_bias) {
            BLK("attn_q.bias", 1, q, 1);
            BLK("attn_k.bias", 1, kv, 1);
            BLK("attn_v.bias", 1, kv, 1);
        }
        BLK("attn_output.weight", 2, q, p->n_embd);
        BLK("ffn_norm.weight", 1, p->n_embd, 1);
        BLK("ffn_gate.weight", 2, p->n_embd, p->n_ff);
        BLK("ffn_up.weight", 2, p->n_embd, p->n_ff);
        BLK("ffn_down.weight", 2, p->n_ff, p->n_embd);
#undef BLK
    }
    push(t, &n, "output_norm.weight", 1, p->n_embd, 1);
    if (!p->tied) push(t, &n, "output.weight", 2, p->n_embd, n_vocab);
    return n;
}

static lmd_status set_hparams(lmd_gguf_writer *w, const preset *p, int64_t n_layer,
                              int64_t n_vocab, lmd_err *err) {
    char key[128];
    lmd_status st;
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", p->arch, suffix), key)
    if ((st = lmd_gguf_set_str(w, "general.architecture", lmd_str_c(p->arch), err)) ||
        (st = lmd_gguf_set_str(w, "general.type", lmd_str_c("model"), err)) ||
        (st = lmd_gguf_set_str(w, "general.name", lmd_str_c(p->title), err)) ||
        (st = lmd_gguf_set_str(w, "general.description",
                               lmd_str_c("random weights, real shape (lmd genmodel)"), err)) ||
        (st = lmd_gguf_set_u32(w, KEY("block_count"), (uint32_t)n_layer, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("context_length"), (uint32_t)p->n_ctx, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("embedding_length"), (uint32_t)p->n_embd, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("feed_forward_length"), (uint32_t)p->n_ff, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("attention.head_count"), (uint32_t)p->n_head, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("attention.head_count_kv"), (uint32_t)p->n_head_kv, err)) ||
        (st = lmd_gguf_set_f32(w, KEY("rope.freq_base"), p->rope_theta, err)) ||
        (st = lmd_gguf_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), p->rms_eps, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("vocab_size"), (uint32_t)n_vocab, err)) ||
        (st = lmd_gguf_set_u32(w, KEY("rope.dimension_count"), (uint32_t)(p->n_embd / p->n_head),
                               err)))
        return st;
#undef KEY
    return LMD_OK;
}

static lmd_status copy_tokenizer(lmd_gguf_writer *w, const lmd_gguf *v, const preset *p,
                                 lmd_err *err) {
    bool has_template = false;
    for (int64_t i = 0; i < lmd_gguf_n_kv(v); i++) {
        lmd_str k = lmd_gguf_kv_key(v, i);
        if (k.len < 10 || memcmp(k.ptr, "tokenizer.", 10) != 0) continue;
        has_template |= lmd_str_eq_c(k, "tokenizer.chat_template");
        lmd_status st = lmd_gguf_copy_kv(w, v, i, err);
        if (st) return st;
    }
    const char *tmpl = p->template;
    if (!tmpl && !has_template) tmpl = !strcmp(p->name, "tinyllama-1.1b") ? zephyr : chatml;
    return tmpl ? lmd_gguf_set_str(w, "tokenizer.chat_template", lmd_str_c(tmpl), err) : LMD_OK;
}

static lmd_status run(const preset *p, const char *out, const lmd_qmix_ftype *ft, bool pure,
                      int64_t n_layer, uint64_t seed, const char *vocab_path, lmd_pool *pool,
                      lmd_err *err) {
    lmd_gguf *v = NULL;
    lmd_gguf_writer *w = NULL;
    lmd_qmix_tensor *t = NULL;
    gen *gens = NULL;
    gen_ctx *ctxs = NULL;
    float *scratch = NULL;
    lmd_status st = lmd_gguf_open(vocab_path, NULL, &v, err);
    if (st) return st;
    const lmd_gguf_value *tokens = NULL;
    if ((st = lmd_gguf_get_arr(v, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &tokens, err)))
        goto done;
    int64_t n_vocab = (int64_t)tokens->arr.n;
    if (n_vocab != p->n_vocab)
        fprintf(stderr, "lmd genmodel: %s has %" PRId64 " tokens (%s has %" PRId64 "): using %"
                PRId64 "\n", vocab_path, n_vocab, p->name, p->n_vocab, n_vocab);
    size_t cap = (size_t)(4 + 12 * n_layer);
    t = calloc(cap, sizeof *t);
    gens = calloc(cap, sizeof *gens);
    ctxs = calloc(cap, sizeof *ctxs);
    int n_threads = lmd_pool_n_threads(pool);
    int64_t widest = p->n_ff > p->n_embd * 2 ? p->n_ff : p->n_embd * 2;
    if (n_threads < 1) n_threads = 1;
    scratch = malloc((size_t)n_threads * (size_t)widest * sizeof *scratch);
    w = lmd_gguf_writer_new();
    if (!t || !gens || !ctxs || !scratch || !w) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    int64_t n = list_tensors(p, n_layer, n_vocab, t);
    lmd_qmix_model m = { .n_layer = n_layer, .n_head = p->n_head, .n_head_kv = p->n_head_kv };
    snprintf(m.arch, sizeof m.arch, "%s", p->arch);
    if ((st = lmd_qmix_choose(&m, ft, pure, true, t, n, err))) goto done;
    if ((st = set_hparams(w, p, n_layer, n_vocab, err)) || (st = copy_tokenizer(w, v, p, err)))
        goto done;
    if (ft->type != LMD_TYPE_F32 && ft->type != LMD_TYPE_F16 && ft->type != LMD_TYPE_BF16 &&
        (st = lmd_gguf_set_u32(w, "general.quantization_version", 2, err)))
        goto done;
    if ((st = lmd_gguf_set_u32(w, "general.file_type", (uint32_t)ft->ftype, err))) goto done;
    uint64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        const lmd_type_traits *tr = lmd_type_traits_ref(t[i].new_type);
        if (!tr || !tr->quantize_row) {
            st = lmd_err_set(err, LMD_E_UNSUPPORTED, "cannot produce type %s",
                             lmd_type_name(t[i].new_type));
            goto done;
        }
        const char *nm = t[i].name;
        size_t len = strlen(nm);
        gens[i] = (gen){
            .init = len > 12 && !strcmp(nm + len - 12, "_norm.weight") ? INIT_ONES
                    : len > 5 && !strcmp(nm + len - 5, ".bias")        ? INIT_ZEROS
                                                                         : INIT_WEIGHT,
            .type = t[i].new_type,
            .n_cols = t[i].ne[0],
            .key = seed ^ hash_name(nm),
            /* variance about 1/fan-in keeps activations in range through the layers */
            .scale = 1.7f / sqrtf((float)t[i].ne[0]),
        };
        if (t[i].ne[0] > widest) {
            st = lmd_err_set(err, LMD_E_INTERNAL, "%s: %" PRId64 " columns > scratch", nm,
                             t[i].ne[0]);
            goto done;
        }
        ctxs[i] = (gen_ctx){ &gens[i], pool, scratch };
        if ((st = lmd_gguf_add_tensor_fill(w, nm, t[i].new_type, t[i].n_dims, t[i].ne, gen_rows,
                                           &ctxs[i], err)))
            goto done;
        total += lmd_type_row_bytes(t[i].new_type, t[i].ne[0]) * (uint64_t)t[i].ne[1];
    }
    fprintf(stderr, "lmd genmodel: writing %s (%s, %" PRId64 " layers, %" PRId64 " tensors, "
            "%.1f MiB of weights)\n", out, p->name, n_layer, n, (double)total / 1048576.0);
    st = lmd_gguf_writer_write(w, out, err);
done:
    free(scratch);
    free(ctxs);
    free(gens);
    free(t);
    lmd_gguf_writer_free(w);
    lmd_gguf_close(v);
    return st;
}

int lmd_cmd_genmodel(int argc, char **argv) {
    const char *preset_name = NULL, *type_name = NULL, *out = NULL, *vocab = NULL;
    bool pure = false;
    long long layers = 0;
    unsigned long long seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--pure")) {
            pure = true;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        } else if (!val) {
            return lmd_cli_usage("genmodel", usage);
        } else if (!strcmp(a, "--preset")) {
            preset_name = argv[++i];
        } else if (!strcmp(a, "--type")) {
            type_name = argv[++i];
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            out = argv[++i];
        } else if (!strcmp(a, "--vocab")) {
            vocab = argv[++i];
        } else if (!strcmp(a, "--layers")) {
            layers = strtoll(argv[++i], &end, 10);
            if (*end || layers < 1) return lmd_cli_usage("genmodel", usage);
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(argv[++i], &end, 10);
            if (*end) return lmd_cli_usage("genmodel", usage);
        } else {
            return lmd_cli_usage("genmodel", usage);
        }
    }
    if (!preset_name || !type_name || !out) return lmd_cli_usage("genmodel", usage);
    const preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(preset_name, presets[i].name)) p = &presets[i];
    /* A plain ggml type name (Q4_K) means every weight of that type; a mix name (Q4_K_M)
     * means llama-quantize's per-tensor choice. */
    lmd_type plain;
    if (lmd_type_from_name(type_name, &plain)) pure = true;
    const lmd_qmix_ftype *ft = lmd_qmix_find_ftype(type_name);
    if (!p || !ft) {
        fprintf(stderr, "lmd genmodel: unknown %s '%s'\n", p ? "type" : "preset",
                p ? type_name : preset_name);
        return lmd_cli_usage("genmodel", usage);
    }
    if (layers > p->n_layer) return lmd_cli_usage("genmodel", usage);
    char vocab_buf[4096];
    if (!vocab) {
        const char *root = getenv("LMD_SHARED");
        snprintf(vocab_buf, sizeof vocab_buf, "%s/%s", root && *root ? root : "../shared",
                 p->vocab);
        vocab = vocab_buf;
    }
    lmd_err err = { 0 };
    lmd_pool *pool = NULL;
    if (lmd_pool_create(0, &pool, &err)) return lmd_cli_fail("genmodel", &err);
    lmd_status st = run(p, out, ft, pure, layers > 0 ? layers : p->n_layer, seed, vocab, pool,
                        &err);
    lmd_pool_free(pool);
    if (st == LMD_OK) return 0;
    fprintf(stderr, "lmd genmodel: %s\n", err.msg[0] ? err.msg : lmd_status_str(st));
    return st == LMD_E_NOT_FOUND ? 2 : lmd_status_exit_code(st);
}
