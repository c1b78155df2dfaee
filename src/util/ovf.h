/* ovf.h — overflow-checked size arithmetic for sizes that come from untrusted input.
 * Each returns nonzero when the result would overflow and then leaves *out unchanged. */
#ifndef LMD_UTIL_OVF_H
#define LMD_UTIL_OVF_H

#include <stddef.h>
#include <stdint.h>

static inline int lmd_add_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

static inline int lmd_mul_size(size_t a, size_t b, size_t *out) {
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

static inline int lmd_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

static inline int lmd_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

static inline int lmd_mul_i64(int64_t a, int64_t b, int64_t *out) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 1;
    *out = r;
    return 0;
}

#endif
