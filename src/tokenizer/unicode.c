/* unicode.c — lax UTF-8 coding, category/whitespace/lowercase/NFD lookups and the GPT-2 byte
 * table, matching llama.cpp's unicode.cpp conventions (see unicode.h). */
#include "tokenizer/unicode.h"

uint32_t lmd_utf8_decode(const uint8_t *s, size_t len, size_t *off) {
    size_t o = *off;
    uint8_t c = s[o];
    if (!(c & 0x80)) {
        *off = o + 1;
        return c;
    }
    /* A lead byte needs its continuation bytes present; otherwise U+FFFD for one byte. */
    size_t need = 0;
    uint32_t cp = 0;
    if (!(c & 0x40)) need = 0;                      /* stray continuation byte */
    else if (!(c & 0x20)) { need = 2; cp = c & 0x1f; }
    else if (!(c & 0x10)) { need = 3; cp = c & 0x0f; }
    else if (!(c & 0x08)) { need = 4; cp = c & 0x07; }
    if (need == 0 || o + need > len) {
        *off = o + 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[o + i] & 0xc0) != 0x80) {
            *off = o + 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[o + i] & 0x3f);
    }
    *off = o + need;
    return cp;
}

size_t lmd_utf8_encode(uint32_t cp, uint8_t out[4]) {
    if (cp <= 0x7f) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp <= 0x7ff) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp <= 0xffff) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | ((cp >> 18) & 0x07));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

int lmd_uni_category(uint32_t cp) {
    if (cp >= 0x110000) return LMD_UNI_UNDEF;
    size_t lo = 0, hi = lmd_uni_cat_runs_n;  /* last run whose start <= cp */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((lmd_uni_cat_runs[mid] & 0xffffffu) <= cp) lo = mid;
        else hi = mid;
    }
    return (int)(lmd_uni_cat_runs[lo] >> 24);
}

bool lmd_uni_is_space(uint32_t cp) {
    /* Unicode White_Space, the set llama.cpp's unicode_set_whitespace lists. */
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0d);
    if (cp < 0x85) return false;
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static uint32_t pair_lookup(const uint32_t *pairs, size_t n_u32, uint32_t cp) {
    size_t lo = 0, hi = n_u32 / 2;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t k = pairs[2 * mid];
        if (k == cp) return pairs[2 * mid + 1];
        if (k < cp) lo = mid + 1;
        else hi = mid;
    }
    return cp;
}

uint32_t lmd_uni_tolower(uint32_t cp) {
    if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return pair_lookup(lmd_uni_lower, lmd_uni_lower_n, cp);
}

uint32_t lmd_uni_nfd_first(uint32_t cp) {
    if (cp < 0xc0) return cp;
    return pair_lookup(lmd_uni_nfd, lmd_uni_nfd_n, cp);
}

/* GPT-2 maps the printable bytes !..~, ¡..¬, ®..ÿ to themselves and the other 68 bytes, in
 * order, to U+0100 upward. */
static bool byte_is_printable(unsigned b) {
    return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

uint32_t lmd_byte_to_cp(uint8_t b) {
    if (byte_is_printable(b)) return b;
    unsigned n = 0;
    for (unsigned i = 0; i < b; i++)
        if (!byte_is_printable(i)) n++;
    return 256 + n;
}

int lmd_cp_to_byte(uint32_t cp) {
    if (cp < 256) return byte_is_printable(cp) ? (int)cp : -1;
    if (cp >= 256 + 68) return -1;
    unsigned n = 0;
    for (unsigned b = 0; b < 256; b++) {
        if (byte_is_printable(b)) continue;
        if (n == cp - 256) return (int)b;
        n++;
    }
    return -1;
}
