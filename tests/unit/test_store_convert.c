/* test_store_convert.c — the safetensors reader on hostile headers, and the HF -> GGUF
 * conversion of ../shared/models/TinyStories-656K checked against the Q8_0 GGUF that
 * llama.cpp's converter made of the same model: same metadata values, same vocabulary (tokens,
 * scores, types), same tensor names and shapes, and every F32 weight within Q8_0 rounding of
 * the Q8_0 file's value (|x - q*d| <= 0.6*|d| per 32-block; a wrong Q/K permutation or a
 * transposed matrix is off by whole weights). */
#include <unistd.h>

#include "t.h"

#include "gguf/gguf.h"
#include "store/store_int.h"
#include "tensor/tensor.h"

static uint8_t *st_file(const char *header, size_t data_bytes, size_t *len) {
    size_t hl = strlen(header);
    *len = 8 + hl + data_bytes;
    uint8_t *b = calloc(1, *len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(hl >> (8 * i));
    memcpy(b + 8, header, hl);
    return b;
}

T_TEST(safetensors_reader_rejects_hostile_headers) {
    struct { const char *h; size_t data; lmd_status want; const char *msg; } cases[] = {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LMD_OK, "" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, LMD_E_FORMAT, "outside" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, LMD_E_FORMAT, "data bytes for 3 elements" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, LMD_E_FORMAT, "bad shape" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, LMD_E_FORMAT, "bad shape" },
        { "{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 8, LMD_E_UNSUPPORTED, "dtype I8" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 8, LMD_E_FORMAT, "5 dims" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, LMD_E_FORMAT, "outside" },
        { "[1,2]", 0, LMD_E_FORMAT, "not an object" },
        { "{\"a\":", 0, LMD_E_FORMAT, "header JSON" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *b = st_file(cases[i].h, cases[i].data, &len);
        lmd_st_file f;
        lmd_err err = { 0 };
        lmd_status st = lmd_st_parse(b, len, "t.safetensors", &f, &err);
        if (st != cases[i].want) T_FAILF("case %zu: status %d, want %d (%s)", i, st, cases[i].want, err.msg);
        else if (st != LMD_OK && !strstr(err.msg, cases[i].msg))
            T_FAILF("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
        if (st == LMD_OK) lmd_st_close(&f);
        free(b);
    }
    uint8_t big[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
    lmd_st_file f;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_st_parse(big, sizeof big, "t", &f, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "does not fit") != NULL);
}

static double q8_block_scale(const uint8_t *blk) {
    uint16_t d;
    memcpy(&d, blk, 2);
    return lmd_fp16_to_f32(d);
}

T_TEST(convert_tinystories_matches_llama_cpp_conversion_within_q8_rounding) {
    const char *dir = t_shared("models/TinyStories-656K");
    const char *ref_path = t_shared("models/TinyStories-656K.Q8_0.gguf");
    if (access(ref_path, R_OK) != 0) T_SKIP("no TinyStories in shared");
    char out[256];
    snprintf(out, sizeof out, "/tmp/lmd-test-convert-%d.gguf", (int)getpid());
    lmd_err err = { 0 };
    T_EQ_INT(lmd_hf_convert(dir, out, false, &err), LMD_OK);
    if (err.msg[0]) fprintf(stderr, "%s\n", err.msg);
    lmd_gguf *g = NULL, *ref = NULL;
    T_EQ_INT(lmd_gguf_open(out, NULL, &g, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_open(ref_path, NULL, &ref, NULL), LMD_OK);
    if (!g || !ref) goto done;
    /* Metadata the engine and tokenizer read: identical values. */
    const char *keys[] = { "general.architecture", "llama.block_count", "llama.context_length",
                           "llama.embedding_length", "llama.feed_forward_length",
                           "llama.attention.head_count", "llama.attention.head_count_kv",
                           "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
                           "llama.vocab_size", "llama.rope.dimension_count",
                           "tokenizer.ggml.model", "tokenizer.ggml.pre",
                           "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                           "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                           "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const lmd_gguf_value *a = lmd_gguf_get(g, keys[i]), *b = lmd_gguf_get(ref, keys[i]);
        if (!a || !b || a->type != b->type) {
            T_FAILF("key %s missing or of another type", keys[i]);
            continue;
        }
        if (a->type == LMD_GGUF_STRING) T_CHECK(lmd_str_eq(a->s, b->s));
        else if (a->type == LMD_GGUF_FLOAT32) T_EQ_INT(a->f == b->f, 1);
        else T_EQ_INT(a->u, b->u);
    }
    const lmd_gguf_value *ta, *tb, *sa, *sb, *ya, *yb;
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &ta, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(ref, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &tb, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32, &sa, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(ref, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32, &sb, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.token_type", LMD_GGUF_INT32, &ya, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(ref, "tokenizer.ggml.token_type", LMD_GGUF_INT32, &yb, NULL), LMD_OK);
    if (ta && tb && sa && sb && ya && yb) {
        T_EQ_INT(ta->arr.n, tb->arr.n);
        int64_t bad = 0;
        for (uint64_t i = 0; i < ta->arr.n && i < tb->arr.n; i++)
            bad += !lmd_str_eq(ta->arr.strs[i], tb->arr.strs[i]) ||
                   lmd_gguf_arr_float(sa, i) != lmd_gguf_arr_float(sb, i) ||
                   lmd_gguf_arr_int(ya, i) != lmd_gguf_arr_int(yb, i);
        T_EQ_INT(bad, 0);
    }
    /* Tensors: same set and shapes; F32 values within Q8_0 rounding of the reference. */
    T_EQ_INT(lmd_gguf_n_tensors(g), lmd_gguf_n_tensors(ref));
    for (int64_t i = 0; i < lmd_gguf_n_tensors(ref); i++) {
        const lmd_gguf_tensor *r = lmd_gguf_tensor_at(ref, i);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)r->name.len, r->name.ptr);
        const lmd_gguf_tensor *t = lmd_gguf_find_tensor(g, name);
        if (!t) {
            T_FAILF("tensor %s missing", name);
            continue;
        }
        T_EQ_INT(t->type, LMD_TYPE_F32);
        T_EQ_INT(t->n_dims, r->n_dims);
        int64_t n = 1;
        for (int d = 0; d < 4; d++) {
            T_EQ_INT(t->ne[d], r->ne[d]);
            n *= r->ne[d];
        }
        const float *x = t->data;
        int64_t worst = -1;
        double worst_ratio = 0;
        for (int64_t j = 0; j < n; j++) {
            double ref_v, tol;
            if (r->type == LMD_TYPE_F32) {
                ref_v = ((const float *)r->data)[j];
                tol = 0;
            } else {
                const uint8_t *blk = (const uint8_t *)r->data + (size_t)(j / 32) * 34;
                double d = q8_block_scale(blk);
                ref_v = d * (int8_t)blk[2 + j % 32];
                tol = 0.6 * fabs(d) + 1e-12;
            }
            double diff = fabs(x[j] - ref_v);
            if (diff > tol && (tol == 0 || diff / tol > worst_ratio)) {
                worst = j;
                worst_ratio = tol ? diff / tol : 1e9;
            }
        }
        if (worst >= 0) T_FAILF("tensor %s: element %lld off by %.3gx the Q8_0 tolerance", name,
                                (long long)worst, worst_ratio);
    }
done:
    lmd_gguf_close(g);
    lmd_gguf_close(ref);
    unlink(out);
}

T_TEST(convert_rejects_unsupported_architectures_clearly) {
    char dir[128], p[256];
    snprintf(dir, sizeof dir, "/tmp/lmd-test-hf-%d", (int)getpid());
    snprintf(p, sizeof p, "mkdir -p %s", dir);
    T_EQ_INT(system(p), 0);
    snprintf(p, sizeof p, "%s/config.json", dir);
    FILE *f = fopen(p, "w");
    fputs("{\"architectures\":[\"GPT2LMHeadModel\"],\"hidden_size\":8}", f);
    fclose(f);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_hf_convert(dir, "/tmp/x.gguf", false, &err), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(err.msg, "GPT2LMHeadModel not supported") != NULL);
    snprintf(p, sizeof p, "rm -rf %s", dir);
    T_EQ_INT(system(p), 0);
}
