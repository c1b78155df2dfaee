/* pretok.c — runs a pre-tokenizer's PCRE2 regexes over text the way llama.cpp's
 * unicode_regex_split does: lenient decoding, each regex refining the pieces of the previous
 * one, matches and gaps both kept, then GPT-2 byte encoding of every word. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/pretok.h"
#include "tokenizer/unicode.h"

struct lmd_pretok_rx {
    int n;
    pcre2_code *code[LMD_PRETOK_MAX_RX];
};

lmd_status lmd_pretok_compile(const lmd_pretok *p, lmd_pretok_rx **out, lmd_err *err) {
    *out = NULL;
    lmd_pretok_rx *rx = calloc(1, sizeof *rx);
    if (!rx) return lmd_err_set(err, LMD_E_NOMEM, "pre-tokenizer '%s': out of memory", p->name);
    for (int i = 0; i < p->n_rx; i++) {
        int ec = 0;
        PCRE2_SIZE eo = 0;
        rx->code[i] = pcre2_compile((PCRE2_SPTR)p->rx[i], PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &ec, &eo, NULL);
        if (!rx->code[i]) {
            PCRE2_UCHAR msg[120];
            pcre2_get_error_message(ec, msg, sizeof msg);
            lmd_pretok_free(rx);
            return lmd_err_set(err, LMD_E_INTERNAL, "pre-tokenizer '%s' regex %d: %s at offset %zu",
                               p->name, i, (const char *)msg, (size_t)eo);
        }
        rx->n = i + 1;
        /* JIT is an optimisation: without it (no JIT support) the interpreter runs. */
        (void)pcre2_jit_compile(rx->code[i], PCRE2_JIT_COMPLETE);
    }
    *out = rx;
    return LMD_OK;
}

void lmd_pretok_free(lmd_pretok_rx *rx) {
    if (!rx) return;
    for (int i = 0; i < rx->n; i++) pcre2_code_free(rx->code[i]);
    free(rx);
}

/* GPT-2 byte encoding: the UTF-8 of the code point standing for each byte. */
static uint8_t g_benc[256][3];  /* [0] = length */
static pthread_once_t g_benc_once = PTHREAD_ONCE_INIT;
static void benc_init(void) {
    for (int b = 0; b < 256; b++) {
        uint8_t u[4];
        size_t n = lmd_utf8_encode(lmd_byte_to_cp((uint8_t)b), u);
        g_benc[b][0] = (uint8_t)n;
        memcpy(&g_benc[b][1], u, n);
    }
}

typedef struct {
    int64_t *s, *l;  /* piece start and length, in code points */
    int64_t n, cap;
} pieces;

static int pieces_push(pieces *p, int64_t s, int64_t l) {
    if (p->n == p->cap) {
        int64_t cap = p->cap ? p->cap * 2 : 256;
        int64_t *ns = realloc(p->s, (size_t)cap * sizeof *ns);
        if (!ns) return -1;
        p->s = ns;
        int64_t *nl = realloc(p->l, (size_t)cap * sizeof *nl);
        if (!nl) return -1;
        p->l = nl;
        p->cap = cap;
    }
    p->s[p->n] = s;
    p->l[p->n] = l;
    p->n++;
    return 0;
}

lmd_status lmd_pretok_split(const lmd_pretok_rx *rx, const char *text, size_t len,
                            int byte_encode, lmd_word_fn word, void *ctx, lmd_err *err) {
    if (len == 0) return LMD_OK;
    pthread_once(&g_benc_once, benc_init);
    lmd_status st = LMD_OK;
    const uint8_t *in = (const uint8_t *)text;
    uint32_t *cps = malloc(len * sizeof *cps);
    uint8_t *m = malloc(len * 4 + 1);          /* text the regexes see (valid UTF-8) */
    int64_t *moff = malloc((len + 1) * sizeof *moff);
    int64_t *bcp = malloc((len * 4 + 1) * sizeof *bcp);
    uint8_t *wbuf = malloc(len * 8 + 8);
    pieces a = { 0 }, b = { 0 };
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    pcre2_jit_stack *js = pcre2_jit_stack_create(32 * 1024, 256 * 1024 * 1024, NULL);
    if (!cps || !m || !moff || !bcp || !wbuf || !md || !mctx) {
        st = lmd_err_set(err, LMD_E_NOMEM, "pre-tokenizer: out of memory for %zu bytes", len);
        goto done;
    }
    if (js) pcre2_jit_stack_assign(mctx, NULL, js);
    pcre2_set_match_limit(mctx, 200u * 1000 * 1000);
    pcre2_set_heap_limit(mctx, 1024u * 1024);  /* KiB */

    /* Decode like llama.cpp; the regex text replaces what PCRE2 cannot take (surrogates,
     * values above U+10FFFF) by U+E000, which is in the same classes (\p{C}). */
    int64_t n = 0;
    size_t mlen = 0;
    for (size_t off = 0; off < len;) {
        uint32_t cp = lmd_utf8_decode(in, len, &off);
        cps[n] = cp;
        moff[n] = (int64_t)mlen;
        bcp[mlen] = n;
        uint32_t mc = ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) ? 0xE000 : cp;
        mlen += lmd_utf8_encode(mc, m + mlen);
        n++;
    }
    moff[n] = (int64_t)mlen;
    bcp[mlen] = n;

    if (pieces_push(&a, 0, n)) goto oom;
    for (int r = 0; r < rx->n; r++) {
        b.n = 0;
        for (int64_t k = 0; k < a.n; k++) {
            int64_t ps = a.s[k], pl = a.l[k];
            const uint8_t *subj = m + moff[ps];
            size_t sublen = (size_t)(moff[ps + pl] - moff[ps]);
            size_t pos = 0, prev = 0;
            while (pos < sublen) {
                int rc = pcre2_match(rx->code[r], subj, sublen, pos, PCRE2_NO_UTF_CHECK, md, mctx);
                if (rc == PCRE2_ERROR_NOMATCH) break;
                if (rc < 0) {
                    PCRE2_UCHAR msg[120];
                    pcre2_get_error_message(rc, msg, sizeof msg);
                    st = lmd_err_set(err, LMD_E_LIMIT, "pre-tokenizer regex %d: %s (piece of %zu bytes)",
                                     r, (const char *)msg, sublen);
                    goto done;
                }
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
                size_t ms = ov[0], me = ov[1];
                if (me == ms) {  /* an empty match splits nothing: step one code point */
                    pos = ms + lmd_utf8_len(subj[ms]);
                    continue;
                }
                int64_t cs = bcp[moff[ps] + (int64_t)ms], ce = bcp[moff[ps] + (int64_t)me];
                int64_t cprev = bcp[moff[ps] + (int64_t)prev];
                if (cs > cprev && pieces_push(&b, cprev, cs - cprev)) goto oom;
                if (pieces_push(&b, cs, ce - cs)) goto oom;
                prev = pos = me;
            }
            if (prev < sublen) {
                int64_t cprev = bcp[moff[ps] + (int64_t)prev];
                if (pieces_push(&b, cprev, ps + pl - cprev)) goto oom;
            }
        }
        pieces t = a;
        a = b;
        b = t;
    }

    for (int64_t k = 0; k < a.n; k++) {
        size_t wl = 0;
        for (int64_t i = a.s[k]; i < a.s[k] + a.l[k]; i++) {
            uint8_t u[4];
            size_t ul = lmd_utf8_encode(cps[i], u);
            for (size_t j = 0; j < ul; j++) {
                if (byte_encode) {
                    memcpy(wbuf + wl, &g_benc[u[j]][1], g_benc[u[j]][0]);
                    wl += g_benc[u[j]][0];
                } else {
                    wbuf[wl++] = u[j];
                }
            }
        }
        if (wl == 0) continue;
        st = word(ctx, (const char *)wbuf, wl);
        if (st != LMD_OK) goto done;
    }
    goto done;
oom:
    st = lmd_err_set(err, LMD_E_NOMEM, "pre-tokenizer: out of memory for %zu bytes", len);
done:
    if (js) pcre2_jit_stack_free(js);
    pcre2_match_context_free(mctx);
    pcre2_match_data_free(md);
    free(a.s);
    free(a.l);
    free(b.s);
    free(b.l);
    free(wbuf);
    free(bcp);
    free(moff);
    free(m);
    free(cps);
    return st;
}
