/* test_tokenizer_text.c — the tokenizer on hostile and awkward text with the real vocabularies
 * in ../shared/vocab: invalid UTF-8, NUL bytes, lone surrogates, 1 MB of one character and
 * random bytes tokenize without failing (and ASan stays quiet); every id is in range; the
 * streaming detokenizer gives the same bytes as whole-text detokenization and never splits a
 * UTF-8 sequence; SPM leading-space and special-token rules hold. */
#include <time.h>

#include "t.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_int.h"

static lmd_vocab *load(const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    lmd_gguf *g = NULL;
    lmd_vocab *v = NULL;
    lmd_err err = { 0 };
    if (lmd_gguf_open(t_shared(rel), NULL, &g, &err) == LMD_OK) lmd_vocab_load(g, &v, &err);
    lmd_gguf_close(g);
    return v;
}

static int64_t tok(const lmd_vocab *v, const char *s, size_t n, bool special, int32_t **ids) {
    int64_t m = -1;
    lmd_err err = { 0 };
    if (lmd_tokenize(v, s, n, false, special, ids, &m, &err) != LMD_OK) {
        T_FAILF("tokenize failed: %s", err.msg);
        return -1;
    }
    for (int64_t i = 0; i < m; i++)
        if ((*ids)[i] < 0 || (*ids)[i] >= lmd_vocab_n_tokens(v)) {
            T_FAILF("id %d out of range", (*ids)[i]);
            break;
        }
    return m;
}

static const char *const k_vocabs[] = { "gpt-2", "llama-spm", "llama-bpe", "qwen2", "bert-bge",
                                        "deepseek-v3", "deepseek-llm", "falcon", "starcoder", "phi-3" };

T_TEST(hostile_bytes_tokenize) {
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < sizeof k_vocabs / sizeof *k_vocabs; k++) {
        lmd_vocab *v = load(k_vocabs[k]);
        if (!v) T_SKIP("shared vocabularies missing");
        static const char *const odd[] = { "\xff\xfe\xfd", "a\0b\0", "\xed\xa0\x80 x", "\xf8\x88\x80\x80\x80",
                                           "\xc0\xaf", "\xe2\x82", "\xf4\x90\x80\x80", "<|im_start|", "\xe2\x96\x81 \xe2\x96\x81" };
        static const size_t odd_len[] = { 3, 4, 5, 5, 2, 2, 4, 11, 7 };
        for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
            int32_t *ids = NULL;
            int64_t n = tok(v, odd[i], odd_len[i], true, &ids);
            T_CHECK(n >= 0);
            free(ids);
        }
        /* random bytes */
        char rnd[4096];
        for (size_t i = 0; i < sizeof rnd; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            rnd[i] = (char)(seed >> 24);
        }
        int32_t *ids = NULL;
        T_CHECK(tok(v, rnd, sizeof rnd, true, &ids) > 0);
        free(ids);
        lmd_vocab_free(v);
    }
}

T_TEST(one_megabyte_of_one_character) {
    static const char *const chars[] = { "a", " ", "!", "\n", "7", "\xe4\xb8\x80" /* 一 */, "\xff" };
    const char *vocabs[] = { "gpt-2", "deepseek-v3", "deepseek-llm", "llama-spm", "bert-bge" };
    size_t mb = 1 << 20;
    char *buf = malloc(mb + 4);
    for (size_t k = 0; k < sizeof vocabs / sizeof *vocabs; k++) {
        lmd_vocab *v = load(vocabs[k]);
        if (!v) {
            free(buf);
            T_SKIP("shared vocabularies missing");
        }
        for (size_t c = 0; c < sizeof chars / sizeof *chars; c++) {
            size_t cl = strlen(chars[c]), n = 0;
            while (n + cl <= mb) memcpy(buf + n, chars[c], cl), n += cl;
            int32_t *ids = NULL;
            int64_t m = tok(v, buf, n, false, &ids);
            bool blank = lmd_vocab_kind_of(v) == LMD_VOCAB_WPM && (chars[c][0] == ' ' || chars[c][0] == '\n' || chars[c][0] == '\xff');
            if (m < 0 || (m == 0 && !blank)) T_FAILF("%s: %zu bytes of '%s' gave %lld tokens", vocabs[k], n, chars[c], (long long)m);
            free(ids);
            if (getenv("TOK_TIMES")) fprintf(stderr, "%s %02x %.2fs\n", vocabs[k], (uint8_t)chars[c][0], (double)clock() / CLOCKS_PER_SEC);
        }
        lmd_vocab_free(v);
    }
    free(buf);
}

/* Streaming one id at a time equals detokenizing all ids (no clean-up pass differences for
 * these texts), and no chunk ends inside a UTF-8 sequence. */
T_TEST(stream_detokenizer_holds_incomplete_utf8) {
    static const char *const texts[] = { "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac 100 \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
                                         "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88",
                                         "plain ascii text" };
    const char *vocabs[] = { "llama-spm", "gpt-2", "qwen2" };
    for (size_t k = 0; k < sizeof vocabs / sizeof *vocabs; k++) {
        lmd_vocab *v = load(vocabs[k]);
        if (!v) T_SKIP("shared vocabularies missing");
        for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
            int32_t *ids = NULL;
            int64_t n = tok(v, texts[t], strlen(texts[t]), false, &ids);
            lmd_detok_stream s;
            lmd_detok_stream_init(&s, v);
            s.first = true;  /* the ids are the whole text: strip the SPM prefix space */
            char out[4096];
            size_t ol = 0;
            for (int64_t i = 0; i < n; i++) {
                size_t w = lmd_detok_stream_push(&s, ids[i], out + ol, sizeof out - ol);
                T_CHECK(w <= sizeof out - ol);
                ol += w;
                T_CHECK(ol == 0 || lmd_utf8_valid(out, ol));
            }
            ol += lmd_detok_stream_flush(&s, out + ol, sizeof out - ol);
            if (ol != strlen(texts[t]) || memcmp(out, texts[t], ol) != 0)
                T_FAILF("%s text %zu: stream gave %zu bytes '%.*s'", vocabs[k], t, ol, (int)ol, out);
            free(ids);
        }
        /* byte-fallback reassembly: € (E2 82 AC) as three byte tokens */
        if (lmd_vocab_kind_of(v) == LMD_VOCAB_SPM) {
            int32_t bt[3] = { -1, -1, -1 };
            const char *names[3] = { "<0xE2>", "<0x82>", "<0xAC>" };
            for (int32_t id = 0; id < lmd_vocab_n_tokens(v); id++)
                for (int j = 0; j < 3; j++)
                    if (lmd_str_eq_c(lmd_vocab_text(v, id), names[j])) bt[j] = id;
            T_CHECK(bt[0] >= 0 && bt[1] >= 0 && bt[2] >= 0);
            lmd_detok_stream s;
            lmd_detok_stream_init(&s, v);
            char out[16];
            T_EQ_INT(lmd_detok_stream_push(&s, bt[0], out, sizeof out), 0);
            T_EQ_INT(lmd_detok_stream_push(&s, bt[1], out, sizeof out), 0);
            T_EQ_INT(lmd_detok_stream_push(&s, bt[2], out, sizeof out), 3);
            T_CHECK(memcmp(out, "\xe2\x82\xac", 3) == 0);
            /* an incomplete sequence at the end is flushed as it is */
            T_EQ_INT(lmd_detok_stream_push(&s, bt[0], out, sizeof out), 0);
            T_EQ_INT(lmd_detok_stream_flush(&s, out, sizeof out), 1);
            T_EQ_INT((uint8_t)out[0], 0xE2);
        }
        lmd_vocab_free(v);
    }
}

/* SPM: the first fragment and every fragment after a special token get a space prefix. */
T_TEST(spm_space_prefix_rules) {
    lmd_vocab *v = load("llama-spm");
    if (!v) T_SKIP("shared vocabularies missing");
    int32_t *a = NULL, *b = NULL;
    int64_t na = tok(v, "Hello", 5, true, &a), nb = tok(v, " Hello", 6, true, &b);
    T_EQ_INT(na, 1);          /* "▁Hello" */
    T_CHECK(nb >= 1 && b[0] != a[0]);  /* "▁▁Hello" starts differently */
    free(a);
    free(b);
    int64_t n = tok(v, "</s>Hello", 9, true, &a);
    T_EQ_INT(n, 2);
    if (n == 2) T_EQ_INT(a[0], 2);
    free(a);
    /* detokenize strips the prefix space of the first token only */
    n = tok(v, "Hello world", 11, true, &a);
    char *t = NULL;
    size_t tl = 0;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_detokenize(v, a, n, false, false, &t, &tl, &err), LMD_OK);
    T_EQ_STR(t, "Hello world");
    free(t);
    free(a);
    lmd_vocab_free(v);
}

/* The SPM word-by-word shortcut (vocabularies where no token has U+2581 inside after another
 * character) gives exactly what encoding the whole text at once gives, also around invalid
 * bytes and runs of spaces. */
T_TEST(spm_word_split_equals_whole_text) {
    lmd_vocab *v = load("llama-spm");
    if (!v) T_SKIP("shared vocabularies missing");
    T_CHECK(v->spm_split);
    static const char *const parts[] = { " ", "  ", "a", "the", "\xe2\x96\x81", "\xe2", "\x96", "\x81",
                                         "\xc3\xa9", "\xff", "\n", "Hello", "\xe2\x96\x81\xe2\x96\x81", "x" };
    uint64_t seed = 7;
    char text[512];
    for (int k = 0; k < 300; k++) {
        size_t n = 0;
        while (n < 400) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            const char *p = parts[seed % (sizeof parts / sizeof *parts)];
            memcpy(text + n, p, strlen(p));
            n += strlen(p);
        }
        int32_t *a = NULL, *b = NULL;
        v->spm_split = true;
        int64_t na = tok(v, text, n, false, &a);
        v->spm_split = false;
        int64_t nb = tok(v, text, n, false, &b);
        if (na != nb || (na > 0 && memcmp(a, b, (size_t)na * sizeof *a) != 0)) {
            T_FAILF("text %d: word split gives %lld ids, whole text %lld", k, (long long)na, (long long)nb);
            k = 300;
        }
        free(a);
        free(b);
    }
    lmd_vocab_free(v);
}
