/* tokenize.c — lmd_tokenize: splits the text around special-token text (llama.cpp's
 * tokenizer_st_partition: longest special token first, every occurrence; CONTROL/UNKNOWN only
 * with parse_special, USER_DEFINED always; lstrip/rstrip eat ASCII spaces next to tokens that
 * carry them), then encodes each plain fragment with the vocabulary's algorithm and adds
 * BOS/EOS/SEP as llama.cpp does. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"

typedef struct {
    int64_t off, len;
    int32_t tok;  /* -1: raw text [off, off+len) */
} frag;

typedef struct {
    frag *v;
    int64_t n, cap;
} frags;

static int frags_push(frags *f, frag x) {
    if (f->n == f->cap) {
        int64_t cap = f->cap ? f->cap * 2 : 16;
        frag *nv = realloc(f->v, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        f->v = nv;
        f->cap = cap;
    }
    f->v[f->n++] = x;
    return 0;
}

static bool c_isspace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static lmd_status partition(const lmd_vocab *v, const char *text, size_t len, bool parse_special,
                            frags *out) {
    frags cur = { 0 }, nxt = { 0 };
    if (frags_push(&cur, (frag){ 0, (int64_t)len, -1 })) return LMD_E_NOMEM;
    for (int32_t k = 0; k < v->n_special; k++) {
        int32_t id = v->special[k];
        uint16_t attr = v->attr[id];
        if (!parse_special && (attr & (LMD_ATTR_CONTROL | LMD_ATTR_UNKNOWN))) continue;
        const char *t = v->arena + v->off[id];
        size_t tl = v->len[id];
        nxt.n = 0;
        for (int64_t i = 0; i < cur.n; i++) {
            frag f = cur.v[i];
            if (f.tok >= 0 || (size_t)f.len < tl) {
                if (frags_push(&nxt, f)) goto oom;
                continue;
            }
            int64_t off = f.off, flen = f.len;
            for (;;) {
                const char *m = memmem(text + off, (size_t)flen, t, tl);
                if (!m) {
                    if (flen > 0 && frags_push(&nxt, (frag){ off, flen, -1 })) goto oom;
                    break;
                }
                int64_t mo = m - text;
                int64_t ll = mo - off;
                if (attr & LMD_ATTR_LSTRIP)
                    while (ll > 0 && c_isspace(text[off + ll - 1])) ll--;
                if (ll > 0 && frags_push(&nxt, (frag){ off, ll, -1 })) goto oom;
                if (frags_push(&nxt, (frag){ 0, 0, id })) goto oom;
                int64_t ro = mo + (int64_t)tl, rl = off + flen - ro;
                if (attr & LMD_ATTR_RSTRIP)
                    while (rl > 0 && c_isspace(text[ro])) ro++, rl--;
                off = ro;
                flen = rl;
                if (flen <= 0) break;
            }
        }
        frags t2 = cur;
        cur = nxt;
        nxt = t2;
    }
    free(nxt.v);
    *out = cur;
    return LMD_OK;
oom:
    free(cur.v);
    free(nxt.v);
    return LMD_E_NOMEM;
}

/* SPM fragment: optional leading space, then spaces escaped as U+2581. */
static lmd_status spm_fragment(const lmd_vocab *v, const char *s, size_t n, bool prefix, lmd_ids *out) {
    size_t sp = prefix ? 1 : 0;
    for (size_t i = 0; i < n; i++) sp += s[i] == ' ';
    char *buf = malloc(n + 2 * sp + 4);
    if (!buf) return LMD_E_NOMEM;
    size_t b = 0;
    if (prefix) {
        memcpy(buf, "\xe2\x96\x81", 3);
        b = 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            memcpy(buf + b, "\xe2\x96\x81", 3);
            b += 3;
        } else {
            buf[b++] = s[i];
        }
    }
    lmd_status st = lmd_spm_encode(v, buf, b, out);
    free(buf);
    return st;
}

lmd_status lmd_tokenize(const lmd_vocab *v, const char *text, size_t len, bool add_special,
                        bool parse_special, int32_t **ids, int64_t *n_ids, lmd_err *err) {
    *ids = NULL;
    *n_ids = 0;
    if (len > ((size_t)1 << 31))
        return lmd_err_set(err, LMD_E_LIMIT, "tokenize: text of %zu bytes is too long (max 2 GiB)", len);
    frags fr = { 0 };
    lmd_ids out = { 0 };
    lmd_status st = LMD_OK;
    if (len > 0 && (st = partition(v, text, len, parse_special, &fr)) != LMD_OK) goto done;
    switch (v->kind) {
    case LMD_VOCAB_SPM: {
        bool prev_special = true;  /* the first fragment gets the space prefix */
        if (add_special && v->add_bos && v->bos >= 0) lmd_ids_push(&out, v->bos);
        for (int64_t i = 0; i < fr.n && st == LMD_OK; i++) {
            if (fr.v[i].tok >= 0) {
                lmd_ids_push(&out, fr.v[i].tok);
                prev_special = true;
                continue;
            }
            st = spm_fragment(v, text + fr.v[i].off, (size_t)fr.v[i].len,
                              v->add_space_prefix && prev_special, &out);
            prev_special = false;
        }
        if (add_special && v->add_eos && v->eos >= 0) lmd_ids_push(&out, v->eos);
        break;
    }
    case LMD_VOCAB_BPE:
        if (add_special && v->add_bos && v->bos >= 0) lmd_ids_push(&out, v->bos);
        for (int64_t i = 0; i < fr.n && st == LMD_OK; i++) {
            if (fr.v[i].tok >= 0) lmd_ids_push(&out, fr.v[i].tok);
            else st = lmd_bpe_encode(v, text + fr.v[i].off, (size_t)fr.v[i].len, &out, err);
        }
        if (add_special && v->add_eos && v->eos >= 0) lmd_ids_push(&out, v->eos);
        break;
    case LMD_VOCAB_WPM:
        if (add_special && v->bos >= 0) lmd_ids_push(&out, v->bos);
        for (int64_t i = 0; i < fr.n && st == LMD_OK; i++) {
            if (fr.v[i].tok >= 0) lmd_ids_push(&out, fr.v[i].tok);
            else st = lmd_wpm_encode(v, text + fr.v[i].off, (size_t)fr.v[i].len, &out);
        }
        if (add_special && v->sep >= 0) lmd_ids_push(&out, v->sep);
        break;
    }
    if (st == LMD_OK && out.oom) st = LMD_E_NOMEM;
done:
    free(fr.v);
    if (st != LMD_OK) {
        free(out.v);
        return lmd_err_set(err, st, "tokenize: %s while tokenizing %zu bytes", lmd_status_str(st), len);
    }
    *ids = out.v;
    *n_ids = out.n;
    if (!*ids) *ids = malloc(sizeof(int32_t));  /* non-NULL even when empty */
    if (!*ids) return lmd_err_set(err, LMD_E_NOMEM, "tokenize: out of memory");
    return LMD_OK;
}
