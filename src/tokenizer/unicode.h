/* unicode.h — the code point facts the tokenizer needs, with llama.cpp's exact conventions:
 * its lax UTF-8 decoder (an invalid byte becomes U+FFFD and consumes one byte), its whitespace
 * set (Unicode White_Space), category classes, simple lowercase and first-of-NFD mappings, and
 * GPT-2's byte <-> code point table. Internal to src/tokenizer. */
#ifndef LMD_TOKENIZER_UNICODE_H
#define LMD_TOKENIZER_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Category classes (one per code point). */
enum {
    LMD_UNI_UNDEF = 1, LMD_UNI_NUMBER = 2, LMD_UNI_LETTER = 3, LMD_UNI_MARK = 4,
    LMD_UNI_PUNCT = 5, LMD_UNI_SYMBOL = 6, LMD_UNI_SEPARATOR = 7, LMD_UNI_CONTROL = 8,
};

/* Byte length of the sequence a lead byte announces (1 for continuation bytes), as llama.cpp. */
static inline size_t lmd_utf8_len(uint8_t lead) {
    static const uint8_t lut[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
    return lut[lead >> 4];
}

/* Decodes one code point at s[*off] (off < len) like llama.cpp's unicode_cpts_from_utf8:
 * malformed input gives 0xFFFD and advances one byte. Overlong forms are accepted as decoded,
 * 4-byte forms may give values above 0x10FFFF. */
uint32_t lmd_utf8_decode(const uint8_t *s, size_t len, size_t *off);

/* Encodes cp (any value up to 0x1FFFFF, lax like the decoder) into out[4]; returns bytes. */
size_t lmd_utf8_encode(uint32_t cp, uint8_t out[4]);

int lmd_uni_category(uint32_t cp);
bool lmd_uni_is_space(uint32_t cp);
uint32_t lmd_uni_tolower(uint32_t cp);
uint32_t lmd_uni_nfd_first(uint32_t cp);

/* GPT-2 bytes_to_unicode: the code point that stands for byte b, and the inverse (-1 when cp
 * stands for no byte). */
uint32_t lmd_byte_to_cp(uint8_t b);
int lmd_cp_to_byte(uint32_t cp);

/* Generated tables (unicode_tables.c). */
extern const uint32_t lmd_uni_cat_runs[];
extern const size_t lmd_uni_cat_runs_n;
extern const uint32_t lmd_uni_lower[];
extern const size_t lmd_uni_lower_n;
extern const uint32_t lmd_uni_nfd[];
extern const size_t lmd_uni_nfd_n;

#endif
