/* test_tokenizer_load.c — vocabulary loading from hand-built GGUF metadata: a small valid BPE
 * vocabulary encodes by merge rank, and every malformed vocabulary (empty, wrong array types,
 * merges naming unknown tokens, negative or mistyped ids, duplicates, unknown model or
 * pre-tokenizer) is a load error with a message, never a crash. */
#include "t.h"
#include "tok_build.h"
#include "tokenizer/pretok.h"

/* Byte-level tokens: a b c, "Ġ" (space), then merges. */
static const char *const k_toks[] = { "a", "b", "c", "\xc4\xa0", "ab", "bc", "abc", "\xc4\xa0" "a", "<|end|>" };
static const char *const k_merges[] = { "b c", "a b", "ab c", "\xc4\xa0 a" };

enum { DEF_EMPTY = 1, DEF_MERGE_UNKNOWN = 2, DEF_NEG_BOS = 4, DEF_TOKENS_INT = 8, DEF_SCORES_INT = 16,
       DEF_DUP = 32, DEF_PRE = 64, DEF_MODEL = 128, DEF_NO_MERGES = 256, DEF_SHORT_TYPES = 512,
       DEF_BOS_STR = 1024, DEF_MERGE_NOSPACE = 2048, DEF_ADD_BOS_INT = 4096 };

static void build(tb_buf *b, unsigned def) {
    tb_begin(b);
    tb_str(b, "general.architecture", "test");
    tb_str(b, "tokenizer.ggml.model", def & DEF_MODEL ? "sentencepiece-unigram" : "gpt2");
    tb_str(b, "tokenizer.ggml.pre", def & DEF_PRE ? "no-such-pre" : "gpt-2");
    size_t n = sizeof k_toks / sizeof *k_toks;
    const char *toks[16];
    memcpy(toks, k_toks, sizeof k_toks);
    if (def & DEF_DUP) toks[5] = "ab";
    if (def & DEF_TOKENS_INT) {
        int32_t x[16] = { 0 };
        tb_i32s(b, "tokenizer.ggml.tokens", x, n);
    } else {
        tb_strs(b, "tokenizer.ggml.tokens", toks, def & DEF_EMPTY ? 0 : n);
    }
    int32_t types[16];
    for (size_t i = 0; i < n; i++) types[i] = 1;
    types[n - 1] = 3;
    tb_i32s(b, "tokenizer.ggml.token_type", types, def & DEF_SHORT_TYPES ? n - 2 : n);
    if (def & DEF_SCORES_INT) tb_i32s(b, "tokenizer.ggml.scores", types, n);
    if (!(def & DEF_NO_MERGES)) {
        const char *mg[8];
        memcpy(mg, k_merges, sizeof k_merges);
        if (def & DEF_MERGE_UNKNOWN) mg[1] = "a zz";
        if (def & DEF_MERGE_NOSPACE) mg[2] = "abc";
        tb_strs(b, "tokenizer.ggml.merges", mg, sizeof k_merges / sizeof *k_merges);
    }
    if (def & DEF_NEG_BOS) tb_i32(b, "tokenizer.ggml.bos_token_id", -3);
    else if (def & DEF_BOS_STR) tb_str(b, "tokenizer.ggml.bos_token_id", "8");
    else tb_u32k(b, "tokenizer.ggml.bos_token_id", 8);
    tb_u32k(b, "tokenizer.ggml.eos_token_id", 8);
    if (def & DEF_ADD_BOS_INT) tb_u32k(b, "tokenizer.ggml.add_bos_token", 1);
    tb_end(b);
}

static void expect(const char *txt, const int32_t *want, int64_t nw, const lmd_vocab *v) {
    int32_t *ids = NULL;
    int64_t n = 0;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_tokenize(v, txt, strlen(txt), false, true, &ids, &n, &err), LMD_OK);
    T_EQ_INT(n, nw);
    for (int64_t i = 0; i < n && i < nw; i++) T_EQ_INT(ids[i], want[i]);
    free(ids);
}

T_TEST(small_bpe_merges_by_rank) {
    tb_buf b;
    build(&b, 0);
    lmd_vocab *v = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(tb_load(&b, &v, &err), LMD_OK);
    if (!v) {
        fprintf(stderr, "  %s\n", err.msg);
        free(b.p);
        return;
    }
    /* "abc": "b c" (rank 0) beats "a b" (rank 1), then "a"+"bc" has no merge. */
    expect("abc", (const int32_t[]){ 0, 5 }, 2, v);
    expect("ab", (const int32_t[]){ 4 }, 1, v);
    expect(" a", (const int32_t[]){ 7 }, 1, v);
    /* a control token's text is a token only with parse_special */
    expect("a<|end|>", (const int32_t[]){ 0, 8 }, 2, v);
    T_EQ_INT(lmd_vocab_eot(v), 8);      /* detected by its text */
    T_CHECK(lmd_vocab_is_eog(v, 8));
    T_CHECK(!lmd_vocab_is_eog(v, 0));
    T_EQ_INT(lmd_vocab_bos(v), 8);
    lmd_vocab_free(v);
    free(b.p);
}

T_TEST(malformed_vocabularies_are_load_errors) {
    static const struct { unsigned def; lmd_status want; const char *what; } cases[] = {
        { DEF_EMPTY, LMD_E_FORMAT, "empty" },
        { DEF_MERGE_UNKNOWN, LMD_E_FORMAT, "not in the vocabulary" },
        { DEF_MERGE_NOSPACE, LMD_E_FORMAT, "no space" },
        { DEF_NEG_BOS, LMD_E_FORMAT, "negative" },
        { DEF_BOS_STR, LMD_E_FORMAT, "integer" },
        { DEF_TOKENS_INT, LMD_E_FORMAT, "tokenizer.ggml.tokens" },
        { DEF_SCORES_INT, LMD_E_FORMAT, "tokenizer.ggml.scores" },
        { DEF_DUP, LMD_E_FORMAT, "duplicate" },
        { DEF_PRE, LMD_E_UNSUPPORTED, "no-such-pre" },
        { DEF_MODEL, LMD_E_UNSUPPORTED, "sentencepiece-unigram" },
        { DEF_NO_MERGES, LMD_E_NOT_FOUND, "merges" },
        { DEF_SHORT_TYPES, LMD_E_FORMAT, "token_type" },
        { DEF_ADD_BOS_INT, LMD_E_FORMAT, "add_bos_token" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tb_buf b;
        build(&b, cases[i].def);
        lmd_vocab *v = NULL;
        lmd_err err = { 0 };
        lmd_status st = tb_load(&b, &v, &err);
        if (st != cases[i].want) T_FAILF("case %s: status %d, want %d (%s)", cases[i].what, st, cases[i].want, err.msg);
        T_CHECK(v == NULL);
        if (!strstr(err.msg, cases[i].what)) T_FAILF("case %s: message '%s'", cases[i].what, err.msg);
        lmd_vocab_free(v);
        free(b.p);
    }
}

T_TEST(every_pretokenizer_compiles_and_unknown_names_fail) {
    int n = 0;
    for (size_t i = 0; lmd_pretok_at(i); i++, n++) {
        lmd_pretok_rx *rx = NULL;
        lmd_err err = { 0 };
        T_EQ_INT(lmd_pretok_compile(lmd_pretok_at(i), &rx, &err), LMD_OK);
        if (err.status) fprintf(stderr, "  %s\n", err.msg);
        lmd_pretok_free(rx);
    }
    T_CHECK(n >= 12);
    unsigned f = 0;
    const char *must[] = { "default", "llama3", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder",
                           "deepseek-v3", "falcon", "gpt-2", "starcoder", "refact", "command-r", "smollm",
                           "mpt", "gpt-neox", "olmo", "phi-2", "roberta-bpe" };
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        if (!lmd_pretok_lookup(must[i], &f)) T_FAILF("pre-tokenizer %s missing", must[i]);
    T_CHECK(lmd_pretok_lookup("gpt-neo-x-nonsense", &f) == NULL);
    T_CHECK(lmd_pretok_lookup("", &f) == NULL);
}
