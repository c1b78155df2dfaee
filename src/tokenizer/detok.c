/* detok.c — ids back to text with llama.cpp's rules: the per-token piece (byte tokens as their
 * byte, U+2581 as space for SPM, GPT-2 byte decoding for BPE, control text only on request),
 * llama_detokenize's leading-space removal and clean-up passes, and a streaming detokenizer that
 * holds back an incomplete UTF-8 sequence until the next token completes it. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenizer_int.h"
#include "tokenizer/unicode.h"

typedef struct {
    char *p;
    size_t n, cap;
} buf;

static int put(buf *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2 + 64;
        char *np = realloc(b->p, cap);
        if (!np) return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* llama.cpp reads the byte of "<0xXX>" with strtol on the two characters after "<0x". */
static uint8_t byte_of(const char *t, size_t n) {
    int v = 0;
    for (size_t i = 3; i < 5 && i < n; i++) {
        int h = hexval(t[i]);
        if (h < 0) break;
        v = v * 16 + h;
    }
    return (uint8_t)v;
}

static int unescape_ws(buf *b, const char *t, size_t n) {
    for (size_t i = 0; i < n;) {
        if (i + 3 <= n && memcmp(t + i, "\xe2\x96\x81", 3) == 0) {
            if (put(b, " ", 1)) return -1;
            i += 3;
        } else {
            if (put(b, t + i, 1)) return -1;
            i++;
        }
    }
    return 0;
}

/* GPT-2 byte decoding; a code point that stands for no byte becomes llama.cpp's marker. */
static int decode_bytes(buf *b, const char *t, size_t n) {
    static const char hx[] = "0123456789abcdef";
    for (size_t off = 0; off < n;) {
        uint32_t cp = lmd_utf8_decode((const uint8_t *)t, n, &off);
        int byte = lmd_cp_to_byte(cp);
        if (byte >= 0) {
            char c = (char)byte;
            if (put(b, &c, 1)) return -1;
            continue;
        }
        uint8_t u[4];
        size_t ul = lmd_utf8_encode(cp, u);
        if (put(b, "[UNK_BYTE_0x", 12)) return -1;
        for (size_t i = 0; i < ul; i++) {
            char h[2] = { hx[u[i] >> 4], hx[u[i] & 15] };
            if (put(b, h, 2)) return -1;
        }
        if (put(b, t, n) || put(b, "]", 1)) return -1;
    }
    return 0;
}

lmd_status lmd_vocab_build_pieces(lmd_vocab *v, lmd_err *err) {
    buf b = { 0 };
    v->poff = malloc((size_t)v->n * sizeof *v->poff);
    v->plen = malloc((size_t)v->n * sizeof *v->plen);
    if (!v->poff || !v->plen) return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory");
    for (int32_t id = 0; id < v->n; id++) {
        size_t start = b.n;
        const char *t = v->arena + v->off[id];
        size_t n = v->len[id];
        uint16_t a = v->attr[id];
        int rc = 0;
        if (a & (LMD_ATTR_UNKNOWN | LMD_ATTR_CONTROL | LMD_ATTR_USER_DEFINED)) {
            rc = put(&b, t, n);
        } else if (a & LMD_ATTR_NORMAL) {
            if (v->kind == LMD_VOCAB_BPE && !v->escape_whitespaces) rc = decode_bytes(&b, t, n);
            else rc = unescape_ws(&b, t, n);
        } else if (a & LMD_ATTR_BYTE) {
            char c = (char)byte_of(t, n);
            rc = put(&b, &c, 1);
        }
        if (rc || b.n > UINT32_MAX) {
            free(b.p);
            return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory for token pieces");
        }
        v->poff[id] = (uint32_t)start;
        v->plen[id] = (uint32_t)(b.n - start);
    }
    v->pieces = b.p ? b.p : malloc(1);
    if (!v->pieces) return lmd_err_set(err, LMD_E_NOMEM, "tokenizer: out of memory");
    return LMD_OK;
}

/* llama_token_to_piece: the piece, or nothing for control/unknown tokens unless special;
 * lstrip drops up to that many leading spaces. Sets *p and returns the length. */
static size_t piece_of(const lmd_vocab *v, int32_t id, bool special, int lstrip, const char **p) {
    if (!special && (v->attr[id] & (LMD_ATTR_UNKNOWN | LMD_ATTR_CONTROL))) {
        *p = "";
        return 0;
    }
    const char *s = v->pieces + v->poff[id];
    size_t n = v->plen[id];
    for (int i = 0; i < lstrip && n && *s == ' '; i++) s++, n--;
    *p = s;
    return n;
}

int64_t lmd_token_to_piece(const lmd_vocab *v, int32_t id, bool special, char *out, size_t cap) {
    if (id < 0 || id >= v->n) return -1;
    const char *p;
    size_t n = piece_of(v, id, special, 0, &p);
    memcpy(out, p, n < cap ? n : cap);
    return (int64_t)n;
}

/* llama.cpp's clean_up_tokenization_spaces passes, in place; returns the new length. */
static size_t clean_spaces(char *t, size_t total) {
    size_t t1 = total, n = total ? 1 : 0;
    for (size_t i = 1; i < t1; i++) {  /* " ?", " !", " .", " ," lose the space */
        char x = t[i];
        if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) n--;
        t[n++] = x;
    }
    size_t t2 = n;
    n = t2 ? 1 : 0;
    for (size_t i = 1; i < t2; i++) {  /* " ' " becomes "'" */
        char x = t[i];
        if (x == '\'' && i + 1 < t2 && t[i - 1] == ' ' && t[i + 1] == ' ') {
            n--;
            t[++i] = '\0';
        }
        t[n++] = x;
    }
    size_t t3 = n;
    n = t3 ? 1 : 0;
    for (size_t i = 1; i < t3; i++) {  /* " 's", " 'm", " 're", " 've" lose the space */
        char x = t[i];
        if (t[i - 1] == ' ' && x == '\'' && i + 1 < t3) {
            char x1 = t[i + 1];
            if (x1 == 's' || x1 == 'm') n--;
            else if (i + 2 < t3 && ((x1 == 'r' && t[i + 2] == 'e') || (x1 == 'v' && t[i + 2] == 'e'))) n--;
        }
        t[n++] = x;
    }
    return n;
}

lmd_status lmd_detokenize(const lmd_vocab *v, const int32_t *ids, int64_t n_ids, bool remove_special,
                          bool unparse_special, char **text, size_t *len, lmd_err *err) {
    *text = NULL;
    *len = 0;
    for (int64_t i = 0; i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= v->n)
            return lmd_err_set(err, LMD_E_INVALID, "detokenize: id %d at position %lld is out of range (%d tokens)",
                               ids[i], (long long)i, v->n);
    bool remove_space = v->add_space_prefix;
    if (remove_special && v->add_bos && n_ids > 0 && ids[0] == v->bos) {
        remove_space = false;
        ids++;
        n_ids--;
    }
    if (remove_special && v->add_eos && n_ids > 0 && ids[n_ids - 1] == v->eos) n_ids--;
    buf b = { 0 };
    for (int64_t i = 0; i < n_ids; i++) {
        const char *p;
        size_t n = piece_of(v, ids[i], unparse_special, remove_space ? 1 : 0, &p);
        remove_space = false;
        if (put(&b, p, n)) {
            free(b.p);
            return lmd_err_set(err, LMD_E_NOMEM, "detokenize: out of memory");
        }
    }
    if (v->clean_spaces && b.n) b.n = clean_spaces(b.p, b.n);
    if (put(&b, "", 1)) {
        free(b.p);
        return lmd_err_set(err, LMD_E_NOMEM, "detokenize: out of memory");
    }
    *text = b.p;
    *len = b.n - 1;
    return LMD_OK;
}

/* ---- streaming ---- */

void lmd_detok_stream_init(lmd_detok_stream *s, const lmd_vocab *v) {
    memset(s, 0, sizeof *s);
    s->vocab = v;
}

/* Length of the tail of p[0..n) that is an incomplete (but so far valid) UTF-8 sequence. */
static size_t incomplete_tail(const char *p, size_t n) {
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        uint8_t c = (uint8_t)p[n - k];
        if ((c & 0xc0) == 0x80) continue;      /* continuation: look further back */
        size_t need = (c >= 0xf0 && c <= 0xf7) ? 4 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xc0 && c <= 0xdf) ? 2 : 1;
        return need > k ? k : 0;
    }
    return 0;
}

size_t lmd_detok_stream_push(lmd_detok_stream *s, int32_t id, char *out, size_t cap) {
    const lmd_vocab *v = s->vocab;
    if (id < 0 || id >= v->n) return 0;
    const char *p;
    size_t n = piece_of(v, id, s->special, s->first && v->add_space_prefix ? 1 : 0, &p);
    size_t total = (size_t)s->n_pending + n;
    /* Bytes ready to emit: everything but an incomplete sequence at the end. */
    char tail[8];
    size_t tn = 0;
    if (total <= sizeof tail) {
        memcpy(tail, s->pending, (size_t)s->n_pending);
        memcpy(tail + s->n_pending, p, n);
        tn = incomplete_tail(tail, total);
    } else {
        /* the piece is long: only its own end can be incomplete (unless it is all
         * continuation bytes, which then are emitted as they are) */
        tn = incomplete_tail(p, n);
    }
    size_t emit = total - tn;
    if (emit > cap) return emit;
    memcpy(out, s->pending, (size_t)s->n_pending < emit ? (size_t)s->n_pending : emit);
    size_t done = (size_t)s->n_pending < emit ? (size_t)s->n_pending : emit;
    if (emit > done) memcpy(out + done, p, emit - done);
    /* Keep the held-back bytes. */
    char keep[8];
    size_t kn = 0;
    for (size_t i = emit; i < total; i++)
        keep[kn++] = i < (size_t)s->n_pending ? s->pending[i] : p[i - (size_t)s->n_pending];
    memcpy(s->pending, keep, kn);
    s->n_pending = (int)kn;
    s->first = false;
    return emit;
}

size_t lmd_detok_stream_flush(lmd_detok_stream *s, char *out, size_t cap) {
    size_t n = (size_t)s->n_pending;
    if (n > cap) return n;
    memcpy(out, s->pending, n);
    s->n_pending = 0;
    return n;
}
