/* str.h — a borrowed string view (pointer + length, not NUL-terminated). Strings read from
 * files and requests are views into the buffer they came from; the owner of that buffer says
 * how long they stay valid. */
#ifndef LMD_UTIL_STR_H
#define LMD_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const char *ptr;
    size_t len;
} lmd_str;

static inline lmd_str lmd_str_c(const char *s) { return (lmd_str){ s, s ? strlen(s) : 0 }; }

static inline bool lmd_str_eq(lmd_str a, lmd_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool lmd_str_eq_c(lmd_str a, const char *b) { return lmd_str_eq(a, lmd_str_c(b)); }

/* Copies a view into a new NUL-terminated heap string; NULL when out of memory. */
char *lmd_str_dup(lmd_str s);

/* True when s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool lmd_utf8_valid(const char *s, size_t len);

#endif
