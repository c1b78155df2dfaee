/* safetensors.c — reads .safetensors files (Hugging Face's format): an 8-byte little-endian
 * header length, a JSON header mapping names to {dtype, shape, data_offsets}, then the data.
 * Everything in the header is checked before use: its length against the file and a cap,
 * dtypes, shapes (positive, at most 4 dims, no overflow), offsets inside the data area and
 * matching the shape's byte size. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "store/store_int.h"
#include "tensor/tensor.h"
#include "util/ovf.h"

static lmd_status parse_entry(const char *what, const char *name, json_t *v, const uint8_t *data,
                              uint64_t data_len, lmd_st_tensor *t, lmd_err *err) {
    if (strlen(name) >= sizeof t->name)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor name longer than %zu bytes", what,
                           sizeof t->name - 1);
    snprintf(t->name, sizeof t->name, "%s", name);
    const char *dt = json_string_value(json_object_get(v, "dtype"));
    json_t *shape = json_object_get(v, "shape"), *offs = json_object_get(v, "data_offsets");
    if (!dt || !json_is_array(shape) || !json_is_array(offs) || json_array_size(offs) != 2)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': needs dtype, shape and "
                           "data_offsets [begin, end]", what, name);
    size_t esize;
    if (!strcmp(dt, "F32")) t->dtype = LMD_ST_F32, esize = 4;
    else if (!strcmp(dt, "F16")) t->dtype = LMD_ST_F16, esize = 2;
    else if (!strcmp(dt, "BF16")) t->dtype = LMD_ST_BF16, esize = 2;
    else
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: tensor '%s': dtype %.16s not supported "
                           "(F32, F16, BF16)", what, name, dt);
    size_t nd = json_array_size(shape);
    if (nd > 4)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': %zu dims, at most 4", what, name,
                           nd);
    t->n_dims = (int)nd;
    int64_t n = 1;
    for (size_t i = 0; i < 4; i++) t->shape[i] = 1;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(shape, i);
        if (!json_is_integer(d) || json_integer_value(d) <= 0 ||
            lmd_mul_i64(n, json_integer_value(d), &n))
            return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': bad shape[%zu]", what, name, i);
        t->shape[i] = json_integer_value(d);
    }
    t->n_elems = n;
    json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b) ||
        (uint64_t)json_integer_value(e) > data_len)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': data_offsets outside the %llu "
                           "data bytes", what, name, (unsigned long long)data_len);
    size_t want;
    if (lmd_mul_size((size_t)n, esize, &want) ||
        (uint64_t)(json_integer_value(e) - json_integer_value(b)) != want)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%s': %lld data bytes for %lld "
                           "elements of %s", what, name,
                           (long long)(json_integer_value(e) - json_integer_value(b)),
                           (long long)n, dt);
    t->data = data + json_integer_value(b);
    return LMD_OK;
}

lmd_status lmd_st_parse(const uint8_t *buf, size_t len, const char *what, lmd_st_file *out,
                        lmd_err *err) {
    memset(out, 0, sizeof *out);
    if (len < 8) return lmd_err_set(err, LMD_E_FORMAT, "%s: shorter than 8 bytes", what);
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | buf[i];
    if (hl > LMD_ST_MAX_HEADER_BYTES || hl > len - 8)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: header length %llu at offset 0 does not fit "
                           "(file %zu bytes, cap %u)", what, (unsigned long long)hl, len,
                           LMD_ST_MAX_HEADER_BYTES);
    json_error_t je;
    json_t *h = json_loadb((const char *)buf + 8, (size_t)hl, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(h)) {
        json_decref(h);
        return lmd_err_set(err, LMD_E_FORMAT, "%s: header JSON: %s (offset %d)", what,
                           h ? "not an object" : je.text, h ? 8 : je.position + 8);
    }
    lmd_status st = LMD_OK;
    size_t n = json_object_size(h);
    if (n > LMD_ST_MAX_TENSORS) {
        st = lmd_err_set(err, LMD_E_LIMIT, "%s: %zu tensors, limit %d", what, n,
                         LMD_ST_MAX_TENSORS);
        goto done;
    }
    out->t = calloc(n ? n : 1, sizeof *out->t);
    if (!out->t) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", what);
        goto done;
    }
    const char *k;
    json_t *v;
    const uint8_t *data = buf + 8 + hl;
    uint64_t data_len = len - 8 - hl;
    json_object_foreach(h, k, v) {
        if (!strcmp(k, "__metadata__")) continue;
        if (!json_is_object(v)) {
            st = lmd_err_set(err, LMD_E_FORMAT, "%s: tensor '%.64s': not an object", what, k);
            goto done;
        }
        if ((st = parse_entry(what, k, v, data, data_len, &out->t[out->n], err)) != LMD_OK)
            goto done;
        out->n++;
    }
done:
    json_decref(h);
    if (st != LMD_OK) {
        free(out->t);
        out->t = NULL;
        out->n = 0;
    }
    return st;
}

lmd_status lmd_st_open(const char *path, lmd_st_file *out, lmd_err *err) {
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lmd_err_set(err, LMD_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 8) {
        close(fd);
        return lmd_err_set(err, LMD_E_FORMAT, "%s: not a safetensors file (too small)", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return lmd_err_set(err, LMD_E_IO, "%s: mmap failed: %s", path, strerror(errno));
    lmd_status st = lmd_st_parse(map, (size_t)sb.st_size, path, out, err);
    if (st != LMD_OK) {
        munmap(map, (size_t)sb.st_size);
        return st;
    }
    out->map = map;
    out->map_bytes = (size_t)sb.st_size;
    return LMD_OK;
}

void lmd_st_close(lmd_st_file *f) {
    if (!f) return;
    if (f->map) munmap(f->map, f->map_bytes);
    free(f->t);
    memset(f, 0, sizeof *f);
}

float lmd_st_get(const lmd_st_tensor *t, int64_t i) {
    switch (t->dtype) {
    case LMD_ST_F32: {
        float v;
        memcpy(&v, t->data + (size_t)i * 4, 4);
        return v;
    }
    case LMD_ST_F16: {
        uint16_t h;
        memcpy(&h, t->data + (size_t)i * 2, 2);
        return lmd_fp16_to_f32(h);
    }
    case LMD_ST_BF16: {
        uint16_t h;
        memcpy(&h, t->data + (size_t)i * 2, 2);
        return lmd_bf16_to_f32(h);
    }
    }
    return 0;
}
