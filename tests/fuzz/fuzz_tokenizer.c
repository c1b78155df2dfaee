/* fuzz_tokenizer.c — libFuzzer target for the tokenizer: the first input byte picks one of the
 * shared vocabularies (SPM, byte-level BPE with several pre-tokenizers, WordPiece) and the
 * special-token mode, the rest is the text. Tokenizes, checks every id is in range, then
 * detokenizes and streams the ids back. Vocabularies load once from $LMD_SHARED/vocab
 * (default ../shared/vocab).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc this file plus
 * the .c files of src/util, src/gguf and src/tokenizer, -lpcre2-8 -lpthread -lm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

static const char *const k_names[] = { "llama-spm", "gpt-2", "qwen2", "deepseek-v3", "deepseek-llm",
                                       "falcon", "bert-bge", "phi-3" };
#define N_VOCABS (sizeof k_names / sizeof *k_names)
static lmd_vocab *g_vocabs[N_VOCABS];

static void load_all(void) {
    const char *root = getenv("LMD_SHARED");
    if (!root) root = "../shared";
    for (size_t i = 0; i < N_VOCABS; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/vocab/ggml-vocab-%s.gguf", root, k_names[i]);
        lmd_gguf *g = NULL;
        lmd_err err = { 0 };
        if (lmd_gguf_open(path, NULL, &g, &err) == LMD_OK) lmd_vocab_load(g, &g_vocabs[i], &err);
        lmd_gguf_close(g);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int loaded;
    if (!loaded) {
        load_all();
        loaded = 1;
    }
    if (size < 1) return 0;
    lmd_vocab *v = g_vocabs[data[0] % N_VOCABS];
    if (!v) return 0;
    bool special = data[0] & 0x80, add = data[0] & 0x40;
    int32_t *ids = NULL;
    int64_t n = 0;
    lmd_err err = { 0 };
    if (lmd_tokenize(v, (const char *)data + 1, size - 1, add, special, &ids, &n, &err) != LMD_OK) return 0;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= lmd_vocab_n_tokens(v)) abort();
    char *text = NULL;
    size_t len = 0;
    if (lmd_detokenize(v, ids, n, !add, special, &text, &len, &err) == LMD_OK) free(text);
    lmd_detok_stream s;
    lmd_detok_stream_init(&s, v);
    char out[256];
    for (int64_t i = 0; i < n; i++) {
        size_t w = lmd_detok_stream_push(&s, ids[i], out, sizeof out);
        if (w > sizeof out) continue;  /* a long piece: nothing consumed */
    }
    (void)lmd_detok_stream_flush(&s, out, sizeof out);
    free(ids);
    return 0;
}
