/* vocab.c — loads a vocabulary from GGUF tokenizer.* metadata with llama.cpp's rules:
 * defaults per tokenizer model, special ids, add_bos/add_eos, pre-tokenizer flags, EOT/EOG and
 * FIM detection by token text, the special-token list (longest first) and per-model
 * lstrip/rstrip attributes. Every malformed input is a load error, never a crash. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"
#include "util/log.h"

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static uint64_t hash_pair(int32_t a, int32_t b) {
    uint64_t h = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

int32_t lmd_vocab_find(const lmd_vocab *v, const char *s, size_t len) {
    for (uint64_t i = hash_bytes(s, len) & v->ht_mask;; i = (i + 1) & v->ht_mask) {
        int32_t id = v->ht[i];
        if (id < 0) return -1;
        if (v->len[id] == len && memcmp(v->arena + v->off[id], s, len) == 0) return id;
    }
}

int32_t lmd_vocab_merge_rank(const lmd_vocab *v, int32_t left, int32_t right) {
    if (!v->mht || left < 0 || right < 0) return -1;
    for (uint64_t i = hash_pair(left, right) & v->mht_mask;; i = (i + 1) & v->mht_mask) {
        int32_t r = v->mht[i];
        if (r < 0) return -1;
        if (v->mleft[r] == left && v->mright[r] == right) return r;
    }
}

static uint64_t table_size(uint64_t n) {
    uint64_t s = 16;
    while (s < n * 2) s <<= 1;
    return s;
}

void lmd_vocab_free(lmd_vocab *v) {
    if (!v) return;
    free(v->arena);
    free(v->off);
    free(v->len);
    free(v->score);
    free(v->attr);
    free(v->ht);
    free(v->mleft);
    free(v->mright);
    free(v->mres);
    free(v->mht);
    free(v->eog);
    free(v->special);
    free(v->pieces);
    free(v->poff);
    free(v->plen);
    lmd_pretok_free(v->pre);
    free(v);
}

/* Reads an optional special-token id: absent keeps the default, negative is a format error,
 * out of range keeps the default with a warning (as llama.cpp). */
static lmd_status read_id(const lmd_gguf *g, const char *key, int32_t n, int32_t *id, lmd_err *err) {
    const lmd_gguf_value *val = lmd_gguf_get(g, key);
    if (!val) return LMD_OK;
    int64_t x;
    switch (val->type) {
    case LMD_GGUF_UINT8: case LMD_GGUF_UINT16: case LMD_GGUF_UINT32: case LMD_GGUF_UINT64:
        x = val->u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)val->u;
        break;
    case LMD_GGUF_INT8: case LMD_GGUF_INT16: case LMD_GGUF_INT32: case LMD_GGUF_INT64:
        x = val->i;
        break;
    default:
        return lmd_err_set(err, LMD_E_FORMAT, "%s: expected an integer token id, found %s", key,
                           lmd_gguf_type_name(val->type));
    }
    if (x < 0) return lmd_err_set(err, LMD_E_FORMAT, "%s: negative token id %lld", key, (long long)x);
    if (x >= n) {
        LMD_LOGW("tokenizer: %s = %lld is out of range (%d tokens), keeping %d", key, (long long)x, n, *id);
        return LMD_OK;
    }
    *id = (int32_t)x;
    return LMD_OK;
}

static lmd_status read_bool(const lmd_gguf *g, const char *key, bool *b, lmd_err *err) {
    const lmd_gguf_value *val = lmd_gguf_get(g, key);
    if (!val) return LMD_OK;
    if (val->type != LMD_GGUF_BOOL)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: expected BOOL, found %s", key,
                           lmd_gguf_type_name(val->type));
    *b = val->u != 0;
    return LMD_OK;
}

static lmd_status read_str(const lmd_gguf *g, const char *key, char *buf, size_t cap, lmd_err *err) {
    buf[0] = 0;
    const lmd_gguf_value *val = lmd_gguf_get(g, key);
    if (!val) return LMD_OK;
    if (val->type != LMD_GGUF_STRING)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: expected STRING, found %s", key,
                           lmd_gguf_type_name(val->type));
    if (val->s.len >= cap || memchr(val->s.ptr, 0, val->s.len))
        return lmd_err_set(err, LMD_E_FORMAT, "%s: value of %zu bytes is not a short name", key, val->s.len);
    memcpy(buf, val->s.ptr, val->s.len);
    buf[val->s.len] = 0;
    return LMD_OK;
}

static lmd_status load_tokens(const lmd_gguf *g, lmd_vocab *v, lmd_err *err) {
    const lmd_gguf_value *toks = NULL, *scores = NULL, *types = NULL;
    lmd_status st = lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &toks, err);
    if (st != LMD_OK) return st;
    if (toks->arr.n == 0) return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.tokens: empty vocabulary");
    if (toks->arr.n > (1u << 30))
        return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.tokens: %llu tokens is too many",
                           (unsigned long long)toks->arr.n);
    int32_t n = (int32_t)toks->arr.n;
    if (lmd_gguf_get(g, "tokenizer.ggml.scores")) {
        if ((st = lmd_gguf_get_arr(g, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32, &scores, err))) return st;
        if (scores->arr.n < (uint64_t)n)
            return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.scores: %llu scores for %d tokens",
                               (unsigned long long)scores->arr.n, n);
    }
    if (lmd_gguf_get(g, "tokenizer.ggml.token_type")) {
        if ((st = lmd_gguf_get_arr(g, "tokenizer.ggml.token_type", LMD_GGUF_INT32, &types, err))) return st;
        if (types->arr.n < (uint64_t)n)
            return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.token_type: %llu types for %d tokens",
                               (unsigned long long)types->arr.n, n);
    }
    size_t total = 0;
    for (int32_t i = 0; i < n; i++) total += toks->arr.strs[i].len ? toks->arr.strs[i].len : 24;
    v->n = n;
    v->arena = malloc(total + 1);
    v->off = malloc((size_t)n * sizeof *v->off);
    v->len = malloc((size_t)n * sizeof *v->len);
    v->score = malloc((size_t)n * sizeof *v->score);
    v->attr = malloc((size_t)n * sizeof *v->attr);
    v->eog = calloc((size_t)n, 1);
    v->ht_mask = table_size((uint64_t)n) - 1;
    v->ht = malloc((v->ht_mask + 1) * sizeof *v->ht);
    if (!v->arena || !v->off || !v->len || !v->score || !v->attr || !v->eog || !v->ht)
        return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory for %d tokens", n);
    memset(v->ht, 0xff, (v->ht_mask + 1) * sizeof *v->ht);
    size_t at = 0;
    for (int32_t i = 0; i < n; i++) {
        lmd_str s = toks->arr.strs[i];
        v->off[i] = (uint32_t)at;
        if (s.len == 0) {  /* llama.cpp names empty tokens [EMPTY_i] */
            at += (size_t)snprintf(v->arena + at, 25, "[EMPTY_%d]", (int)i);
        } else {
            if (s.len > (1u << 20))
                return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.tokens[%d]: %zu bytes is too long", i, s.len);
            memcpy(v->arena + at, s.ptr, s.len);
            at += s.len;
        }
        v->len[i] = (uint32_t)(at - v->off[i]);
        if ((int32_t)v->len[i] > v->max_token_len) v->max_token_len = (int32_t)v->len[i];
        v->score[i] = scores ? (float)lmd_gguf_arr_float(scores, (uint64_t)i) : 0.0f;
        uint16_t attr = LMD_ATTR_NORMAL;
        if (types) {
            switch (lmd_gguf_arr_int(types, (uint64_t)i)) {
            case LMD_TOKEN_UNKNOWN: attr = LMD_ATTR_UNKNOWN; break;
            case LMD_TOKEN_UNUSED: attr = LMD_ATTR_UNUSED; break;
            case LMD_TOKEN_NORMAL: attr = LMD_ATTR_NORMAL; break;
            case LMD_TOKEN_CONTROL: attr = LMD_ATTR_CONTROL; break;
            case LMD_TOKEN_USER_DEFINED: attr = LMD_ATTR_USER_DEFINED; break;
            case LMD_TOKEN_BYTE: attr = LMD_ATTR_BYTE; break;
            default: attr = 0; break;
            }
        }
        v->attr[i] = attr;
        const char *t = v->arena + v->off[i];
        uint64_t h = hash_bytes(t, v->len[i]) & v->ht_mask;
        for (;; h = (h + 1) & v->ht_mask) {
            int32_t o = v->ht[h];
            if (o < 0) break;
            if (v->len[o] == v->len[i] && memcmp(v->arena + v->off[o], t, v->len[i]) == 0)
                return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.tokens[%d]: duplicate of token %d", i, o);
        }
        v->ht[h] = i;
    }
    return LMD_OK;
}

static lmd_status load_merges(const lmd_gguf *g, lmd_vocab *v, lmd_err *err) {
    const lmd_gguf_value *mg = NULL;
    lmd_status st = lmd_gguf_get_arr(g, "tokenizer.ggml.merges", LMD_GGUF_STRING, &mg, err);
    if (st != LMD_OK) return st;
    if (mg->arr.n > (1u << 30)) return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.merges: too many");
    int32_t n = (int32_t)mg->arr.n;
    v->n_merges = n;
    v->mleft = malloc(((size_t)n + 1) * sizeof *v->mleft);
    v->mright = malloc(((size_t)n + 1) * sizeof *v->mright);
    v->mres = malloc(((size_t)n + 1) * sizeof *v->mres);
    v->mht_mask = table_size((uint64_t)n) - 1;
    v->mht = malloc((v->mht_mask + 1) * sizeof *v->mht);
    if (!v->mleft || !v->mright || !v->mres || !v->mht)
        return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory for %d merges", n);
    memset(v->mht, 0xff, (v->mht_mask + 1) * sizeof *v->mht);
    char *tmp = NULL;
    size_t tmp_cap = 0;
    for (int32_t r = 0; r < n; r++) {
        lmd_str s = mg->arr.strs[r];
        /* "left right": the first space at index >= 1 separates the parts (llama.cpp). */
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', s.len - 1) : NULL;
        if (!sp) {
            free(tmp);
            return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.merges[%d]: no space separating two tokens", r);
        }
        size_t ll = (size_t)(sp - s.ptr), rl = s.len - ll - 1;
        int32_t a = lmd_vocab_find(v, s.ptr, ll), b = lmd_vocab_find(v, sp + 1, rl);
        if (a < 0 || b < 0) {
            free(tmp);
            return lmd_err_set(err, LMD_E_FORMAT, "tokenizer.ggml.merges[%d]: names a token that is not in the vocabulary", r);
        }
        if (ll + rl > tmp_cap) {
            tmp_cap = (ll + rl) * 2;
            char *nt = realloc(tmp, tmp_cap);
            if (!nt) {
                free(tmp);
                return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory");
            }
            tmp = nt;
        }
        memcpy(tmp, s.ptr, ll);
        memcpy(tmp + ll, sp + 1, rl);
        v->mleft[r] = a;
        v->mright[r] = b;
        v->mres[r] = lmd_vocab_find(v, tmp, ll + rl);
        uint64_t h = hash_pair(a, b) & v->mht_mask;
        bool dup = false;
        for (;; h = (h + 1) & v->mht_mask) {
            int32_t o = v->mht[h];
            if (o < 0) break;
            if (v->mleft[o] == a && v->mright[o] == b) {  /* first (lowest) rank wins */
                dup = true;
                break;
            }
        }
        if (!dup) v->mht[h] = r;
    }
    free(tmp);
    return LMD_OK;
}

/* The token for a single raw byte, used for byte fallback. */
static void find_byte_tokens(lmd_vocab *v) {
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        int32_t id = -1;
        if (v->kind == LMD_VOCAB_SPM) {
            char buf[6] = { '<', '0', 'x', hex[b >> 4], hex[b & 15], '>' };
            id = lmd_vocab_find(v, buf, 6);
            if (id < 0) {
                char c = (char)b;
                id = lmd_vocab_find(v, &c, 1);
            }
        } else {
            char c = (char)b;  /* BPE falls back to tokens whose text is that very byte */
            id = lmd_vocab_find(v, &c, 1);
        }
        v->byte_id[b] = id;
    }
}

static const char *const k_eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
    "<end_of_utterance>",
};
static const char *const k_eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
};
static const char *const k_fim_pre[] = { "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>" };
static const char *const k_fim_suf[] = { "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>" };
static const char *const k_fim_mid[] = { "<|fim_middle|>", "<fim-middle>", "<fim_middle>",
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>" };
static const char *const k_fim_pad[] = { "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]" };
static const char *const k_fim_rep[] = { "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>" };
static const char *const k_fim_sep[] = { "<|file_sep|>" };

/* llama.cpp walks its hash map and takes the first text that matches; lmd takes the first
 * text in list order, which is what the vocabularies with several candidates expect
 * (<|im_end|> before <|endoftext|>). A found token that is not CONTROL becomes CONTROL. */
static void detect_by_text(lmd_vocab *v, int32_t *id, const char *const *texts, size_t n_texts) {
    if (*id >= 0) return;
    for (size_t k = 0; k < n_texts; k++) {
        int32_t t = lmd_vocab_find(v, texts[k], strlen(texts[k]));
        if (t < 0) continue;
        *id = t;
        v->attr[t] |= LMD_ATTR_CONTROL;
        return;
    }
}

static int cmp_special(const void *a, const void *b, void *ctx) {
    const lmd_vocab *v = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    uint32_t lx = v->len[x], ly = v->len[y];
    if (lx != ly) return lx > ly ? -1 : 1;
    return x < y ? -1 : (x > y);
}

static lmd_status finish_specials(const lmd_gguf *g, lmd_vocab *v, lmd_err *err) {
    detect_by_text(v, &v->eot, k_eot_texts, sizeof k_eot_texts / sizeof *k_eot_texts);
    detect_by_text(v, &v->eom, (const char *const[]){ "<|eom_id|>" }, 1);
    detect_by_text(v, &v->fim_pre, k_fim_pre, sizeof k_fim_pre / sizeof *k_fim_pre);
    detect_by_text(v, &v->fim_suf, k_fim_suf, sizeof k_fim_suf / sizeof *k_fim_suf);
    detect_by_text(v, &v->fim_mid, k_fim_mid, sizeof k_fim_mid / sizeof *k_fim_mid);
    detect_by_text(v, &v->fim_pad, k_fim_pad, sizeof k_fim_pad / sizeof *k_fim_pad);
    detect_by_text(v, &v->fim_rep, k_fim_rep, sizeof k_fim_rep / sizeof *k_fim_rep);
    detect_by_text(v, &v->fim_sep, k_fim_sep, sizeof k_fim_sep / sizeof *k_fim_sep);

    /* Control tokens whose text says "unused" are unused (llama.cpp: strstr on the C string,
     * so only the part before a NUL counts). */
    for (int32_t i = 0; i < v->n; i++) {
        if (!(v->attr[i] & LMD_ATTR_CONTROL) || (v->attr[i] & LMD_ATTR_UNUSED)) continue;
        const char *t = v->arena + v->off[i];
        const char *nul = memchr(t, 0, v->len[i]);
        size_t l = nul ? (size_t)(nul - t) : v->len[i];
        if (memmem(t, l, "unused", 6)) v->attr[i] |= LMD_ATTR_UNUSED;
    }

    /* End-of-generation set. */
    int32_t fims[3] = { v->fim_pad, v->fim_rep, v->fim_sep };
    for (int k = 0; k < 3; k++)
        if (fims[k] >= 0) v->eog[fims[k]] = 1;
    for (size_t k = 0; k < sizeof k_eog_texts / sizeof *k_eog_texts; k++) {
        int32_t t = lmd_vocab_find(v, k_eog_texts[k], strlen(k_eog_texts[k]));
        if (t < 0) continue;
        v->eog[t] = 1;
        v->attr[t] |= LMD_ATTR_CONTROL;
    }
    static const char *const always_user[] = { "<|channel|>", "<|message|>", "<|start|>", "<|constrain|>" };
    for (size_t k = 0; k < 4; k++) {
        int32_t t = lmd_vocab_find(v, always_user[k], strlen(always_user[k]));
        if (t >= 0) v->attr[t] = LMD_ATTR_USER_DEFINED;
    }
    if (v->eos >= 0) v->eog[v->eos] = 1;
    if (v->eot >= 0) v->eog[v->eot] = 1;
    if (v->eom >= 0) v->eog[v->eom] = 1;
    int32_t ret = lmd_vocab_find(v, "<|return|>", 10), call = lmd_vocab_find(v, "<|call|>", 8);
    int32_t calls = lmd_vocab_find(v, "<|calls|>", 9), flush = lmd_vocab_find(v, "<|flush|>", 9);
    int32_t end = lmd_vocab_find(v, "<|end|>", 7);
    bool has_ret = ret >= 0 && v->eog[ret], has_call = (call >= 0 && v->eog[call]) || (calls >= 0 && v->eog[calls]);
    bool has_flush = flush >= 0 && v->eog[flush], has_end = end >= 0 && v->eog[end];
    if ((has_ret && has_call && has_end) || (has_call && has_flush && has_end)) {
        v->eog[end] = 0;
        v->attr[end] = LMD_ATTR_USER_DEFINED;
    }
    int32_t tr = lmd_vocab_find(v, "<|tool_response>", 16), s = lmd_vocab_find(v, "</s>", 4);
    if (tr >= 0 && v->eog[tr] && s >= 0 && v->eog[s]) {
        v->eog[s] = 0;
        v->attr[s] = LMD_ATTR_NORMAL;
    }

    /* Special-token list for the partition, longest text first (ties: lower id first). */
    v->special = malloc((size_t)v->n * sizeof *v->special);
    if (!v->special) return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory");
    for (int32_t i = 0; i < v->n; i++)
        if (v->attr[i] & (LMD_ATTR_CONTROL | LMD_ATTR_USER_DEFINED | LMD_ATTR_UNKNOWN)) v->special[v->n_special++] = i;
    qsort_r(v->special, (size_t)v->n_special, sizeof *v->special, cmp_special, v);

    lmd_status st = lmd_vocab_build_pieces(v, err);
    if (st != LMD_OK) return st;

    /* Per-model attributes llama.cpp sets by name (after the piece cache, as it does). */
    char name[256], pre[64], arch[64];
    if ((st = read_str(g, "general.name", name, sizeof name, NULL)) != LMD_OK) name[0] = 0;
    if ((st = read_str(g, "general.architecture", arch, sizeof arch, NULL)) != LMD_OK) arch[0] = 0;
    memcpy(pre, v->pre_name, sizeof pre);
    for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (strstr(pre, "jina-v2-de") || strstr(pre, "jina-v2-es") || strstr(pre, "jina-v2-code") ||
        strstr(arch, "nomic-bert-moe") || strstr(arch, "jina-bert-v3")) {
        int32_t t = lmd_vocab_find(v, "<mask>", 6);
        if (t >= 0) v->attr[t] |= LMD_ATTR_LSTRIP;
    } else if (strstr(name, "phi-3") || strstr(name, "phi3")) {
        for (int32_t k = 0; k < v->n_special; k++) v->attr[v->special[k]] |= LMD_ATTR_RSTRIP;
        int32_t t = lmd_vocab_find(v, "</s>", 4);
        if (t >= 0) v->attr[t] |= LMD_ATTR_RSTRIP;
        static const char *const no_r[] = { "<unk>", "<s>", "<|endoftext|>" };
        for (int k = 0; k < 3; k++) {
            t = lmd_vocab_find(v, no_r[k], strlen(no_r[k]));
            if (t >= 0) v->attr[t] &= (uint16_t)~LMD_ATTR_RSTRIP;
        }
    } else if (strstr(name, "modern-bert")) {
        int32_t t = lmd_vocab_find(v, "[MASK]", 6);
        if (t >= 0) v->attr[t] |= LMD_ATTR_LSTRIP;
    }
    return LMD_OK;
}

lmd_status lmd_vocab_load(const lmd_gguf *g, lmd_vocab **out, lmd_err *err) {
    *out = NULL;
    lmd_vocab *v = calloc(1, sizeof *v);
    if (!v) return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory");
    lmd_status st;
    char model[32];
    if ((st = read_str(g, "tokenizer.ggml.model", model, sizeof model, err))) goto fail;
    if (!lmd_gguf_get(g, "tokenizer.ggml.model")) {
        st = lmd_err_set(err, LMD_E_NOT_FOUND, "tokenizer.ggml.model: missing (no vocabulary in this file)");
        goto fail;
    }
    if ((st = read_str(g, "tokenizer.ggml.pre", v->pre_name, sizeof v->pre_name, err))) goto fail;
    v->eot = v->eom = v->sep = v->pad = v->mask = v->cls = -1;
    v->fim_pre = v->fim_suf = v->fim_mid = v->fim_pad = v->fim_rep = v->fim_sep = -1;
    v->escape_whitespaces = true;
    unsigned pflags = 0;
    const lmd_pretok *pre = NULL;
    if (strcmp(model, "llama") == 0) {
        v->kind = LMD_VOCAB_SPM;
        v->bos = 1, v->eos = 2, v->unk = 0;
        v->add_space_prefix = true, v->add_bos = true;
    } else if (strcmp(model, "bert") == 0) {
        v->kind = LMD_VOCAB_WPM;
        v->bos = 101, v->eos = -1, v->unk = 100, v->sep = 102, v->pad = 0, v->mask = 103;
        v->add_sep = true, v->add_bos = true, v->clean_spaces = true;
    } else if (strcmp(model, "gpt2") == 0) {
        v->kind = LMD_VOCAB_BPE;
        v->bos = 11, v->eos = 11, v->unk = -1;
        v->escape_whitespaces = false, v->clean_spaces = true;
        const char *pn = v->pre_name[0] ? v->pre_name : "default";
        if (!v->pre_name[0]) LMD_LOGW("tokenizer: no tokenizer.ggml.pre, using 'default' (llama.cpp does the same)");
        pre = lmd_pretok_lookup(pn, &pflags);
        if (!pre) {
            st = lmd_err_set(err, LMD_E_UNSUPPORTED, "tokenizer.ggml.pre: unknown pre-tokenizer '%s'", pn);
            goto fail;
        }
        if (pflags & LMD_PRE_IGNORE_MERGES) v->ignore_merges = true;
        if (pflags & LMD_PRE_ADD_BOS) v->add_bos = true;
        if (pflags & LMD_PRE_NO_CLEAN) v->clean_spaces = false;
        if (pflags & LMD_PRE_ADD_SEP) v->add_sep = true;
        if (pflags & LMD_PRE_NO_BOS) v->bos = -1;
    } else {
        st = lmd_err_set(err, LMD_E_UNSUPPORTED, "tokenizer.ggml.model: unsupported tokenizer '%s' (llama, gpt2, bert)", model);
        goto fail;
    }
    if ((st = read_bool(g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix, err))) goto fail;
    if ((st = read_bool(g, "tokenizer.ggml.remove_extra_whitespaces", &v->remove_extra_ws, err))) goto fail;
    if ((st = load_tokens(g, v, err))) goto fail;
    if (v->kind == LMD_VOCAB_BPE) {
        if ((st = load_merges(g, v, err))) goto fail;
        if ((st = lmd_pretok_compile(pre, &v->pre, err))) goto fail;
    }
    find_byte_tokens(v);
    if (v->kind == LMD_VOCAB_SPM) v->spm_split = lmd_spm_words_independent(v);
    static const struct { const char *key; size_t field; } ids[] = {
        { "tokenizer.ggml.bos_token_id", offsetof(lmd_vocab, bos) },
        { "tokenizer.ggml.eos_token_id", offsetof(lmd_vocab, eos) },
        { "tokenizer.ggml.eot_token_id", offsetof(lmd_vocab, eot) },
        { "tokenizer.ggml.eom_token_id", offsetof(lmd_vocab, eom) },
        { "tokenizer.ggml.unknown_token_id", offsetof(lmd_vocab, unk) },
        { "tokenizer.ggml.seperator_token_id", offsetof(lmd_vocab, sep) },
        { "tokenizer.ggml.padding_token_id", offsetof(lmd_vocab, pad) },
        { "tokenizer.ggml.mask_token_id", offsetof(lmd_vocab, mask) },
        { "tokenizer.ggml.cls_token_id", offsetof(lmd_vocab, cls) },
        { "tokenizer.ggml.fim_pre_token_id", offsetof(lmd_vocab, fim_pre) },
        { "tokenizer.ggml.fim_suf_token_id", offsetof(lmd_vocab, fim_suf) },
        { "tokenizer.ggml.fim_mid_token_id", offsetof(lmd_vocab, fim_mid) },
        { "tokenizer.ggml.fim_pad_token_id", offsetof(lmd_vocab, fim_pad) },
        { "tokenizer.ggml.fim_rep_token_id", offsetof(lmd_vocab, fim_rep) },
        { "tokenizer.ggml.fim_sep_token_id", offsetof(lmd_vocab, fim_sep) },
        { "tokenizer.ggml.prefix_token_id", offsetof(lmd_vocab, fim_pre) },
        { "tokenizer.ggml.suffix_token_id", offsetof(lmd_vocab, fim_suf) },
        { "tokenizer.ggml.middle_token_id", offsetof(lmd_vocab, fim_mid) },
    };
    for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
        if ((st = read_id(g, ids[k].key, v->n, (int32_t *)((char *)v + ids[k].field), err))) goto fail;
    /* Defaults that do not exist in a small vocabulary are no token at all. */
    int32_t *defs[] = { &v->bos, &v->eos, &v->unk, &v->sep, &v->pad, &v->mask };
    for (size_t k = 0; k < sizeof defs / sizeof *defs; k++)
        if (*defs[k] >= v->n) *defs[k] = -1;
    if ((st = read_bool(g, "tokenizer.ggml.add_bos_token", &v->add_bos, err))) goto fail;
    if ((st = read_bool(g, "tokenizer.ggml.add_eos_token", &v->add_eos, err))) goto fail;
    if ((st = read_bool(g, "tokenizer.ggml.add_sep_token", &v->add_sep, err))) goto fail;
    if ((st = finish_specials(g, v, err))) goto fail;
    *out = v;
    return LMD_OK;
fail:
    lmd_vocab_free(v);
    return st;
}

lmd_vocab_kind lmd_vocab_kind_of(const lmd_vocab *v) { return v->kind; }
int32_t lmd_vocab_n_tokens(const lmd_vocab *v) { return v->n; }
int32_t lmd_vocab_bos(const lmd_vocab *v) { return v->bos; }
int32_t lmd_vocab_eos(const lmd_vocab *v) { return v->eos; }
int32_t lmd_vocab_eot(const lmd_vocab *v) { return v->eot; }
bool lmd_vocab_add_bos(const lmd_vocab *v) { return v->add_bos; }
bool lmd_vocab_add_eos(const lmd_vocab *v) { return v->add_eos; }
bool lmd_vocab_is_eog(const lmd_vocab *v, int32_t id) { return id >= 0 && id < v->n && v->eog[id]; }
bool lmd_vocab_is_control(const lmd_vocab *v, int32_t id) {
    return id >= 0 && id < v->n && (v->attr[id] & LMD_ATTR_CONTROL);
}
lmd_str lmd_vocab_text(const lmd_vocab *v, int32_t id) {
    if (id < 0 || id >= v->n) return (lmd_str){ "", 0 };
    return (lmd_str){ v->arena + v->off[id], v->len[id] };
}
