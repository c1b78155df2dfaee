/* tokenizer_int.h — the vocabulary object and the pieces shared inside src/tokenizer:
 * token table + text->id hash, merge ranks, pre-tokenizer, and the per-algorithm encoders. */
#ifndef LMD_TOKENIZER_INT_H
#define LMD_TOKENIZER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tokenizer.h"

/* llama.cpp's token attributes (a bit set; the GGUF token_type maps to one of the first). */
enum {
    LMD_ATTR_UNKNOWN = 1 << 0, LMD_ATTR_UNUSED = 1 << 1, LMD_ATTR_NORMAL = 1 << 2,
    LMD_ATTR_CONTROL = 1 << 3, LMD_ATTR_USER_DEFINED = 1 << 4, LMD_ATTR_BYTE = 1 << 5,
    LMD_ATTR_NORMALIZED = 1 << 6, LMD_ATTR_LSTRIP = 1 << 7, LMD_ATTR_RSTRIP = 1 << 8,
};

/* A growable int32 list (the encoders append to it). */
typedef struct {
    int32_t *v;
    int64_t n, cap;
    bool oom;
} lmd_ids;

static inline void lmd_ids_push(lmd_ids *o, int32_t id);

#include "tokenizer/pretok.h"

struct lmd_vocab {
    lmd_vocab_kind kind;
    int32_t n;              /* tokens */
    char *arena;            /* all token texts, back to back */
    uint32_t *off, *len;    /* per token, into arena */
    float *score;
    uint16_t *attr;
    int32_t max_token_len;

    int32_t *ht;            /* open addressing text -> id, -1 empty */
    uint64_t ht_mask;

    int32_t n_merges;       /* BPE: rank r merges (mleft[r], mright[r]) into mres[r] (-1: no token) */
    int32_t *mleft, *mright, *mres;
    int32_t *mht;           /* pair hash -> rank, -1 empty */
    uint64_t mht_mask;

    int32_t bos, eos, eot, eom, unk, sep, pad, mask, cls;
    int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
    bool add_bos, add_eos, add_sep, add_space_prefix, ignore_merges, clean_spaces,
        escape_whitespaces, remove_extra_ws;
    uint8_t *eog;           /* per token: end of generation */

    int32_t *special;       /* CONTROL | USER_DEFINED | UNKNOWN ids, longest text first */
    int32_t n_special;

    char *pieces;           /* token_to_piece(id, special=true) for every id */
    uint32_t *poff, *plen;

    bool spm_split;         /* SPM: words can be encoded one by one (lmd_spm_words_independent) */
    int32_t byte_id[256];   /* the token for one raw byte (SPM <0xXX>/raw, BPE byte char), -1 */
    char pre_name[64];
    lmd_pretok_rx *pre;     /* BPE only: compiled pre-tokenizer */
};

/* Text -> id, -1 when absent. */
int32_t lmd_vocab_find(const lmd_vocab *v, const char *s, size_t len);
/* BPE merge rank of (left, right), -1 when none. */
int32_t lmd_vocab_merge_rank(const lmd_vocab *v, int32_t left, int32_t right);

bool lmd_spm_words_independent(const lmd_vocab *v);

/* Encoders: append ids for one raw text fragment (no special tokens inside). */
lmd_status lmd_spm_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out);
lmd_status lmd_bpe_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out,
                          lmd_err *err);
lmd_status lmd_wpm_encode(const lmd_vocab *v, const char *text, size_t len, lmd_ids *out);

/* The piece of id with llama.cpp's token_to_piece rules, written into a malloc'd buffer at
 * load time (detok.c). */
lmd_status lmd_vocab_build_pieces(lmd_vocab *v, lmd_err *err);

#include <stdlib.h>
static inline void lmd_ids_push(lmd_ids *o, int32_t id) {
    if (o->oom) return;
    if (o->n == o->cap) {
        int64_t cap = o->cap ? o->cap * 2 : 64;
        int32_t *nv = realloc(o->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            o->oom = true;
            return;
        }
        o->v = nv;
        o->cap = cap;
    }
    o->v[o->n++] = id;
}

#endif
