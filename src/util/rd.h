/* rd.h — a bounded little-endian reader over untrusted bytes.
 *
 * Keeps pos <= len at all times, so `len - pos` never wraps. Every read checks what is left
 * and, on short input, fails naming `what` (usually the file path) and the offset, leaving pos
 * unchanged. Views returned by lmd_rd_str point into the buffer. */
#ifndef LMD_UTIL_RD_H
#define LMD_UTIL_RD_H

#include <stdint.h>

#include "util/err.h"
#include "util/str.h"

typedef struct {
    const uint8_t *base;
    size_t len, pos;
    const char *what;
} lmd_rd;

lmd_status lmd_rd_u8(lmd_rd *r, uint8_t *out, lmd_err *err);
lmd_status lmd_rd_u16(lmd_rd *r, uint16_t *out, lmd_err *err);
lmd_status lmd_rd_u32(lmd_rd *r, uint32_t *out, lmd_err *err);
lmd_status lmd_rd_u64(lmd_rd *r, uint64_t *out, lmd_err *err);
/* Reads n raw bytes; *out points into the buffer. */
lmd_status lmd_rd_bytes(lmd_rd *r, size_t n, const uint8_t **out, lmd_err *err);
/* Reads a u64 length (u32 when len_bytes == 4), then that many bytes, at most max_bytes. */
lmd_status lmd_rd_str(lmd_rd *r, int len_bytes, size_t max_bytes, lmd_str *out, lmd_err *err);

#endif
