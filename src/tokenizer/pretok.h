/* pretok.h — BPE pre-tokenizers (word splitting before merges): a table of PCRE2 regexes per
 * tokenizer.ggml.pre value (pretok_table.c) and the splitter that runs them (pretok.c). */
#ifndef LMD_TOKENIZER_PRETOK_H
#define LMD_TOKENIZER_PRETOK_H

#include <stddef.h>

#include "util/err.h"

enum {
    LMD_PRE_IGNORE_MERGES = 1 << 0, /* a word that is a token is taken whole */
    LMD_PRE_ADD_BOS = 1 << 1,       /* add_bos defaults to true */
    LMD_PRE_NO_CLEAN = 1 << 2,      /* clean_up_tokenization_spaces off */
    LMD_PRE_ADD_SEP = 1 << 3,
    LMD_PRE_NO_BOS = 1 << 4,        /* the vocabulary has no BOS (GLM-4) */
    LMD_PRE_PLAIN = 1 << 7,         /* name table only: no flags at all */
};

#define LMD_PRETOK_MAX_RX 6

typedef struct lmd_pretok {
    const char *name;
    unsigned flags;
    const char *rx[LMD_PRETOK_MAX_RX];
    int n_rx;
} lmd_pretok;

/* The entry for a tokenizer.ggml.pre value and the flags the name implies; NULL if unknown. */
const lmd_pretok *lmd_pretok_lookup(const char *name, unsigned *flags);
/* Table entries in order (tests compile them all); NULL past the end. */
const lmd_pretok *lmd_pretok_at(size_t i);

/* Compiled form (JIT when available). */
typedef struct lmd_pretok_rx lmd_pretok_rx;
lmd_status lmd_pretok_compile(const lmd_pretok *p, lmd_pretok_rx **out, lmd_err *err);
void lmd_pretok_free(lmd_pretok_rx *rx);

/* Splits text into words with llama.cpp's rules: the text is decoded leniently (an invalid byte
 * becomes U+FFFD), each regex splits every piece the previous one made (matches and the gaps
 * between them both become pieces), and each word is written back as UTF-8, GPT-2
 * byte-encoded when byte_encode. word() gets each word in order. */
typedef lmd_status (*lmd_word_fn)(void *ctx, const char *w, size_t len);
lmd_status lmd_pretok_split(const lmd_pretok_rx *rx, const char *text, size_t len,
                            int byte_encode, lmd_word_fn word, void *ctx, lmd_err *err);

#endif
