/* wpm.c — WordPiece (BERT) as llama.cpp runs it: NFD (first code point), lowercase, drop
 * control characters, split on whitespace and around punctuation / ASCII symbols / CJK
 * ideographs, then greedy longest-match of "▁"-prefixed words; a word that cannot be covered
 * becomes the unknown token. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"
#include "tokenizer/unicode.h"

static bool is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Greedy longest match of one word (already "▁"-prefixed in buf[0..n)). */
static void wpm_word(const lmd_vocab *v, const char *w, size_t n, lmd_ids *out) {
    int64_t mark = out->n;
    for (size_t i = 0; i < n; i++) {
        bool match = false;
        size_t jmax = i + (size_t)v->max_token_len + 1;
        if (jmax > n) jmax = n;
        for (size_t j = jmax; j > i; j--) {
            int32_t id = lmd_vocab_find(v, w + i, j - i);
            if (id >= 0) {
                lmd_ids_push(out, id);
                match = true;
                i = j - 1;
                break;
            }
        }
        if (!match) {
            out->n = mark;  /* the word cannot be covered: drop what it produced */
            break;
        }
    }
    if (out->n == mark) lmd_ids_push(out, v->unk);
}

lmd_status lmd_wpm_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out) {
    /* A word never grows beyond 4 bytes per input byte plus the 3-byte prefix. */
    char *w = malloc(len * 4 + 8);
    if (!w) return LMD_E_NOMEM;
    size_t wn = 3;
    memcpy(w, "\xe2\x96\x81", 3);
    const uint8_t *in = (const uint8_t *)text;
    for (size_t off = 0; off < len;) {
        uint32_t cp = lmd_uni_nfd_first(lmd_utf8_decode(in, len, &off));
        if (lmd_uni_is_space(cp)) {
            if (wn > 3) wpm_word(v, w, wn, out);
            wn = 3;
            continue;
        }
        int cat = lmd_uni_category(cp);
        if (cp == 0 || cp == 0xFFFD || cat == LMD_UNI_CONTROL) continue;
        uint8_t u[4];
        size_t ul = lmd_utf8_encode(lmd_uni_tolower(cp), u);
        if (cat == LMD_UNI_PUNCT || (cp < 0x7F && cat == LMD_UNI_SYMBOL) || is_chinese(cp)) {
            if (wn > 3) wpm_word(v, w, wn, out);
            memcpy(w + 3, u, ul);
            wpm_word(v, w, 3 + ul, out);
            wn = 3;
        } else {
            memcpy(w + wn, u, ul);
            wn += ul;
        }
    }
    if (wn > 3) wpm_word(v, w, wn, out);
    free(w);
    return out->oom ? LMD_E_NOMEM : LMD_OK;
}
