/* rd.c — bounded little-endian reads; see rd.h. */
#include "util/rd.h"

#include <inttypes.h>

static lmd_status need(lmd_rd *r, size_t n, lmd_err *err) {
    if (r->len - r->pos < n)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: need %zu bytes at offset %zu, only %zu left",
                           r->what, n, r->pos, r->len - r->pos);
    return LMD_OK;
}

static uint64_t load_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

lmd_status lmd_rd_u8(lmd_rd *r, uint8_t *out, lmd_err *err) {
    lmd_status st = need(r, 1, err);
    if (st) return st;
    *out = r->base[r->pos++];
    return LMD_OK;
}

lmd_status lmd_rd_u16(lmd_rd *r, uint16_t *out, lmd_err *err) {
    lmd_status st = need(r, 2, err);
    if (st) return st;
    *out = (uint16_t)load_le(r->base + r->pos, 2);
    r->pos += 2;
    return LMD_OK;
}

lmd_status lmd_rd_u32(lmd_rd *r, uint32_t *out, lmd_err *err) {
    lmd_status st = need(r, 4, err);
    if (st) return st;
    *out = (uint32_t)load_le(r->base + r->pos, 4);
    r->pos += 4;
    return LMD_OK;
}

lmd_status lmd_rd_u64(lmd_rd *r, uint64_t *out, lmd_err *err) {
    lmd_status st = need(r, 8, err);
    if (st) return st;
    *out = load_le(r->base + r->pos, 8);
    r->pos += 8;
    return LMD_OK;
}

lmd_status lmd_rd_bytes(lmd_rd *r, size_t n, const uint8_t **out, lmd_err *err) {
    lmd_status st = need(r, n, err);
    if (st) return st;
    *out = r->base + r->pos;
    r->pos += n;
    return LMD_OK;
}

lmd_status lmd_rd_str(lmd_rd *r, int len_bytes, size_t max_bytes, lmd_str *out, lmd_err *err) {
    size_t at = r->pos;
    uint64_t n;
    lmd_status st;
    if (len_bytes == 4) {
        uint32_t n32;
        st = lmd_rd_u32(r, &n32, err);
        n = n32;
    } else {
        st = lmd_rd_u64(r, &n, err);
    }
    if (st) return st;
    if (n > max_bytes || n > r->len - r->pos) {
        r->pos = at;
        return lmd_err_set(err, LMD_E_FORMAT,
                           "%s: string at offset %zu claims %" PRIu64 " bytes (limit %zu, %zu left)",
                           r->what, at, n, max_bytes, r->len - r->pos - (size_t)len_bytes);
    }
    *out = (lmd_str){ (const char *)r->base + r->pos, (size_t)n };
    r->pos += (size_t)n;
    return LMD_OK;
}
