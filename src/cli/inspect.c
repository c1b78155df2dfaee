/* inspect.c — `lmd inspect FILE.gguf [--json]`: prints a GGUF file's container facts, its
 * metadata (long arrays summarised as length + first/last elements) and its tensor table.
 * --json prints one JSON object shaped like ../shared/golden/gguf/<stem>.json (gguf-py's view), so
 * outside checks can compare the two; that shape is a public contract (DEVELOPERS.md).
 * Exit 0 on success; a file that is missing or not a valid GGUF: one line on stderr, exit 2. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "gguf/gguf.h"

#define SUMMARY_ELEMS 5       /* first/last elements shown for an array */
#define TEXT_STRING_BYTES 72  /* longer strings are cut in the text view */

static const char *usage = "lmd inspect FILE.gguf [--json]";

/* ---- JSON (mirrors gguf-py's facts: float32 as its float64 value, bad UTF-8 as hex) ---- */

static json_t *json_str(lmd_str s) {
    if (lmd_utf8_valid(s.ptr, s.len)) return json_stringn(s.ptr, s.len);
    static const char digits[] = "0123456789abcdef";
    char *hex = malloc(s.len * 2 + 1);
    if (!hex) return NULL;
    for (size_t i = 0; i < s.len; i++) {
        hex[2 * i] = digits[(uint8_t)s.ptr[i] >> 4];
        hex[2 * i + 1] = digits[(uint8_t)s.ptr[i] & 15];
    }
    hex[2 * s.len] = '\0';
    json_t *o = json_pack("{s:s}", "hex", hex);
    free(hex);
    return o;
}

static json_t *json_num(double f) { return isfinite(f) ? json_real(f) : json_null(); }

static json_t *json_uint(uint64_t u) {
    return u <= (uint64_t)INT64_MAX ? json_integer((json_int_t)u) : json_real((double)u);
}

static json_t *json_array_summary(const lmd_gguf_value *v);

/* Element i of an array value. */
static json_t *json_elem(const lmd_gguf_value *v, uint64_t i) {
    switch (v->arr.type) {
    case LMD_GGUF_STRING: return json_str(v->arr.strs[i]);
    case LMD_GGUF_ARRAY: return json_array_summary(&v->arr.items[i]);
    case LMD_GGUF_BOOL: return json_boolean(lmd_gguf_arr_int(v, i) != 0);
    case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: return json_num(lmd_gguf_arr_float(v, i));
    case LMD_GGUF_UINT64: return json_uint((uint64_t)lmd_gguf_arr_int(v, i));
    default: return json_integer(lmd_gguf_arr_int(v, i));
    }
}

/* {"type":"ARRAY","element_type","length","first5","last5"} (the key is added by the caller). */
static json_t *json_array_summary(const lmd_gguf_value *v) {
    json_t *first = json_array(), *last = json_array();
    uint64_t k = v->arr.n < SUMMARY_ELEMS ? v->arr.n : SUMMARY_ELEMS;
    for (uint64_t i = 0; i < k; i++) {
        json_array_append_new(first, json_elem(v, i));
        json_array_append_new(last, json_elem(v, v->arr.n - k + i));
    }
    return json_pack("{s:s, s:s, s:I, s:o, s:o}", "type", "ARRAY", "element_type",
                     lmd_gguf_type_name(v->arr.type), "length", (json_int_t)v->arr.n,
                     "first5", first, "last5", last);
}

static json_t *json_scalar(const lmd_gguf_value *v) {
    switch (v->type) {
    case LMD_GGUF_STRING: return json_str(v->s);
    case LMD_GGUF_BOOL: return json_boolean(v->u != 0);
    case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: return json_num(v->f);
    case LMD_GGUF_INT8: case LMD_GGUF_INT16: case LMD_GGUF_INT32: case LMD_GGUF_INT64:
        return json_integer(v->i);
    default: return json_uint(v->u);
    }
}

static int print_json(const char *path, const lmd_gguf *g) {
    json_t *kvs = json_array(), *tensors = json_array();
    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        const lmd_gguf_value *v = lmd_gguf_kv_value(g, i);
        json_t *o;
        if (v->type == LMD_GGUF_ARRAY) {
            o = json_array_summary(v);
        } else {
            o = json_pack("{s:s, s:o}", "type", lmd_gguf_type_name(v->type), "value",
                          json_scalar(v));
        }
        json_t *kv = json_pack("{s:o}", "key", json_str(lmd_gguf_kv_key(g, i)));
        json_object_update(kv, o);
        json_decref(o);
        json_array_append_new(kvs, kv);
    }
    for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        json_t *shape = json_array();
        for (int d = 0; d < t->n_dims; d++) json_array_append_new(shape, json_integer(t->ne[d]));
        json_array_append_new(tensors,
                              json_pack("{s:o, s:s, s:i, s:o, s:I, s:I}", "name",
                                        json_str(t->name), "type", lmd_type_name(t->type),
                                        "type_id", (int)t->type, "shape", shape, "offset",
                                        (json_int_t)t->offset, "nbytes", (json_int_t)t->n_bytes));
    }
    json_t *root = json_pack("{s:s, s:I, s:i, s:I, s:I, s:I, s:I, s:o, s:o}", "file", path,
                             "file_size", (json_int_t)lmd_gguf_file_bytes(g), "gguf_version",
                             (int)lmd_gguf_version(g), "alignment",
                             (json_int_t)lmd_gguf_alignment(g), "data_offset",
                             (json_int_t)lmd_gguf_data_offset(g), "n_kv",
                             (json_int_t)lmd_gguf_n_kv(g), "n_tensors",
                             (json_int_t)lmd_gguf_n_tensors(g), "kv", kvs, "tensors", tensors);
    if (!root) {
        fprintf(stderr, "lmd inspect: %s: cannot build JSON (out of memory?)\n", path);
        return 1;
    }
    int rc = json_dumpf(root, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) == 0 ? 0 : 1;
    fputc('\n', stdout);
    json_decref(root);
    return rc;
}

/* ---- text ---- */

/* Prints a string quoted, control bytes escaped, cut after max bytes. */
static void print_str(lmd_str s, size_t max) {
    putchar('"');
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c < 0x20 || c == 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
    if (n < s.len) printf("... (%zu bytes)", s.len);
}

static void print_scalar(const lmd_gguf_value *v) {
    switch (v->type) {
    case LMD_GGUF_STRING: print_str(v->s, TEXT_STRING_BYTES); break;
    case LMD_GGUF_BOOL: fputs(v->u ? "true" : "false", stdout); break;
    case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: printf("%.9g", v->f); break;
    case LMD_GGUF_INT8: case LMD_GGUF_INT16: case LMD_GGUF_INT32: case LMD_GGUF_INT64:
        printf("%" PRId64, v->i);
        break;
    default: printf("%" PRIu64, v->u); break;
    }
}

static void print_array(const lmd_gguf_value *v);

static void print_elem(const lmd_gguf_value *v, uint64_t i) {
    switch (v->arr.type) {
    case LMD_GGUF_STRING: print_str(v->arr.strs[i], 32); break;
    case LMD_GGUF_ARRAY: print_array(&v->arr.items[i]); break;
    case LMD_GGUF_BOOL: fputs(lmd_gguf_arr_int(v, i) ? "true" : "false", stdout); break;
    case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: printf("%.9g", lmd_gguf_arr_float(v, i)); break;
    case LMD_GGUF_UINT64: printf("%" PRIu64, (uint64_t)lmd_gguf_arr_int(v, i)); break;
    default: printf("%" PRId64, lmd_gguf_arr_int(v, i)); break;
    }
}

/* [TYPE x N] [a, b, c, ..., y, z] — all elements when there are at most 2 x SUMMARY_ELEMS. */
static void print_array(const lmd_gguf_value *v) {
    printf("[%s x %" PRIu64 "] [", lmd_gguf_type_name(v->arr.type), v->arr.n);
    uint64_t n = v->arr.n;
    for (uint64_t i = 0; i < n; i++) {
        if (n > 2 * SUMMARY_ELEMS && i == SUMMARY_ELEMS) {
            fputs(", ...", stdout);
            i = n - SUMMARY_ELEMS;
        }
        if (i) fputs(", ", stdout);
        print_elem(v, i);
    }
    putchar(']');
}

static void print_text(const char *path, const lmd_gguf *g) {
    printf("file:        %s\n", path);
    printf("file size:   %zu bytes\n", lmd_gguf_file_bytes(g));
    printf("version:     GGUF v%" PRIu32 "\n", lmd_gguf_version(g));
    printf("alignment:   %zu\n", lmd_gguf_alignment(g));
    printf("data offset: %zu\n", lmd_gguf_data_offset(g));
    printf("\nmetadata (%" PRId64 " keys):\n", lmd_gguf_n_kv(g));
    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        lmd_str k = lmd_gguf_kv_key(g, i);
        const lmd_gguf_value *v = lmd_gguf_kv_value(g, i);
        printf("  %-44.*s ", (int)k.len, k.ptr);
        if (v->type == LMD_GGUF_ARRAY) {
            print_array(v);
        } else {
            printf("%-8s ", lmd_gguf_type_name(v->type));
            print_scalar(v);
        }
        putchar('\n');
    }
    printf("\ntensors (%" PRId64 "):\n", lmd_gguf_n_tensors(g));
    if (lmd_gguf_n_tensors(g))
        printf("  %-5s %-40s %-8s %-26s %12s %12s\n", "#", "name", "type", "shape", "bytes",
               "offset");
    uint64_t total = 0;
    for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        char shape[128];
        size_t o = 0;
        for (int d = 0; d < t->n_dims && o < sizeof shape; d++)
            o += (size_t)snprintf(shape + o, sizeof shape - o, d ? ", %" PRId64 : "%" PRId64,
                                  t->ne[d]);
        char shape_b[132];
        snprintf(shape_b, sizeof shape_b, "[%s]", shape);
        printf("  %-5" PRId64 " %-40.*s %-8s %-26s %12zu %12" PRIu64 "\n", i, (int)t->name.len,
               t->name.ptr, lmd_type_name(t->type), shape_b, t->n_bytes, t->offset);
        total += t->n_bytes;
    }
    if (lmd_gguf_n_tensors(g)) printf("  total tensor data: %" PRIu64 " bytes\n", total);
}

int lmd_cmd_inspect(int argc, char **argv) {
    const char *path = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            as_json = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return lmd_cli_usage("inspect", usage);
        } else if (!path) {
            path = argv[i];
        } else {
            return lmd_cli_usage("inspect", usage);
        }
    }
    if (!path) return lmd_cli_usage("inspect", usage);
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    lmd_status st = lmd_gguf_open(path, NULL, &g, &err);
    if (st != LMD_OK) {
        fprintf(stderr, "lmd inspect: %s\n", err.msg);
        /* A missing file or a folder is a bad argument, like a corrupt file: exit 2. */
        if (st == LMD_E_NOT_FOUND || st == LMD_E_INVALID || st == LMD_E_FORMAT ||
            st == LMD_E_LIMIT)
            return 2;
        return lmd_status_exit_code(st);
    }
    int rc = 0;
    if (as_json) rc = print_json(path, g);
    else print_text(path, g);
    if (fflush(stdout) != 0) rc = 1;
    lmd_gguf_close(g);
    return rc;
}
