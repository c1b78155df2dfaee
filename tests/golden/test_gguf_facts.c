/* test_gguf_facts.c — the reader against gguf-py: for every ../shared/golden/gguf/<stem>.json
 * (written by llama.cpp 0253fb21's gguf-py GGUFReader over every GGUF under ../shared), opens
 * the file it names and checks, exactly: version, alignment, data offset, file size, counts,
 * every key in order with its type and value (scalars), element type, length, first 5 and
 * last 5 elements (arrays), and every tensor's name, type, type id, shape, offset and size. */
#include <dirent.h>
#include <jansson.h>

#include "gguf/gguf.h"
#include "t.h"

static int n_mismatch;

#define MISMATCH(...)                                                                     \
    do {                                                                                  \
        if (n_mismatch++ < 40) T_FAILF(__VA_ARGS__);                                      \
        else t_cur_failed++;                                                              \
    } while (0)

/* Compares a string (possibly golden's {"hex": ...} form for invalid UTF-8) with a view. */
static int str_matches(json_t *j, lmd_str s) {
    if (json_is_string(j))
        return json_string_length(j) == s.len && memcmp(json_string_value(j), s.ptr, s.len) == 0;
    json_t *hex = json_object_get(j, "hex");
    if (!json_is_string(hex) || json_string_length(hex) != 2 * s.len) return 0;
    char buf[3];
    for (size_t i = 0; i < s.len; i++) {
        snprintf(buf, sizeof buf, "%02x", (unsigned char)s.ptr[i]);
        if (strncasecmp(buf, json_string_value(hex) + 2 * i, 2) != 0) return 0;
    }
    return 1;
}

static int num_matches(json_t *j, int is_float, double f, long long i) {
    if (is_float) return json_is_number(j) && json_number_value(j) == f;
    return json_is_integer(j) && json_integer_value(j) == i;
}

/* Element idx of array v against golden element j. */
static int elem_matches(json_t *j, const lmd_gguf_value *v, uint64_t idx) {
    lmd_gguf_type t = v->arr.type;
    if (t == LMD_GGUF_STRING) return str_matches(j, v->arr.strs[idx]);
    if (t == LMD_GGUF_ARRAY) return json_is_array(j) || json_is_object(j); /* not in goldens */
    if (t == LMD_GGUF_BOOL) return json_is_boolean(j) && json_is_true(j) == (lmd_gguf_arr_int(v, idx) != 0);
    if (t == LMD_GGUF_FLOAT32 || t == LMD_GGUF_FLOAT64)
        return num_matches(j, 1, lmd_gguf_arr_float(v, idx), 0);
    return num_matches(j, 0, 0, lmd_gguf_arr_int(v, idx));
}

static int scalar_matches(json_t *j, const lmd_gguf_value *v) {
    switch (v->type) {
    case LMD_GGUF_STRING: return str_matches(j, v->s);
    case LMD_GGUF_BOOL: return json_is_boolean(j) && json_is_true(j) == (v->u != 0);
    case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: return num_matches(j, 1, v->f, 0);
    case LMD_GGUF_INT8: case LMD_GGUF_INT16: case LMD_GGUF_INT32: case LMD_GGUF_INT64:
        return num_matches(j, 0, 0, (long long)v->i);
    default: return num_matches(j, 0, 0, (long long)v->u);
    }
}

static void check_kv(const char *stem, const lmd_gguf *g, int64_t idx, json_t *jkv) {
    lmd_str key = lmd_gguf_kv_key(g, idx);
    const lmd_gguf_value *v = lmd_gguf_kv_value(g, idx);
    const char *gkey = json_string_value(json_object_get(jkv, "key"));
    const char *gtype = json_string_value(json_object_get(jkv, "type"));
    if (!gkey || !lmd_str_eq_c(key, gkey)) {
        MISMATCH("%s: kv %lld key '%.*s' != golden '%s'", stem, (long long)idx, (int)key.len,
                 key.ptr, gkey ? gkey : "?");
        return;
    }
    if (!gtype || strcmp(gtype, lmd_gguf_type_name(v->type)) != 0) {
        MISMATCH("%s: key %s type %s != golden %s", stem, gkey, lmd_gguf_type_name(v->type),
                 gtype ? gtype : "?");
        return;
    }
    if (v->type != LMD_GGUF_ARRAY) {
        if (!scalar_matches(json_object_get(jkv, "value"), v))
            MISMATCH("%s: key %s value differs from golden", stem, gkey);
        return;
    }
    const char *get = json_string_value(json_object_get(jkv, "element_type"));
    if (!get || strcmp(get, lmd_gguf_type_name(v->arr.type)) != 0)
        MISMATCH("%s: key %s element type %s != golden %s", stem, gkey,
                 lmd_gguf_type_name(v->arr.type), get ? get : "?");
    json_int_t glen = json_integer_value(json_object_get(jkv, "length"));
    if ((uint64_t)glen != v->arr.n) {
        MISMATCH("%s: key %s length %llu != golden %lld", stem, gkey,
                 (unsigned long long)v->arr.n, (long long)glen);
        return;
    }
    json_t *first = json_object_get(jkv, "first5"), *last = json_object_get(jkv, "last5");
    uint64_t k = v->arr.n < 5 ? v->arr.n : 5;
    if (json_array_size(first) != k || json_array_size(last) != k) {
        MISMATCH("%s: key %s golden first5/last5 sizes unexpected", stem, gkey);
        return;
    }
    for (uint64_t i = 0; i < k; i++) {
        if (!elem_matches(json_array_get(first, i), v, i))
            MISMATCH("%s: key %s element %llu differs", stem, gkey, (unsigned long long)i);
        uint64_t li = v->arr.n - k + i;
        if (!elem_matches(json_array_get(last, i), v, li))
            MISMATCH("%s: key %s element %llu differs", stem, gkey, (unsigned long long)li);
    }
}

static void check_tensor(const char *stem, const lmd_gguf *g, int64_t idx, json_t *jt) {
    const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, idx);
    const char *name = json_string_value(json_object_get(jt, "name"));
    if (!name || !lmd_str_eq_c(t->name, name)) {
        MISMATCH("%s: tensor %lld name differs from golden '%s'", stem, (long long)idx,
                 name ? name : "?");
        return;
    }
    const char *type = json_string_value(json_object_get(jt, "type"));
    if (!type || strcmp(type, lmd_type_name(t->type)) != 0 ||
        json_integer_value(json_object_get(jt, "type_id")) != (json_int_t)t->type)
        MISMATCH("%s: tensor %s type %s (%d) != golden %s", stem, name, lmd_type_name(t->type),
                 (int)t->type, type ? type : "?");
    json_t *shape = json_object_get(jt, "shape");
    int ok = json_array_size(shape) == (size_t)t->n_dims;
    for (int d = 0; ok && d < t->n_dims; d++)
        ok = json_integer_value(json_array_get(shape, (size_t)d)) == t->ne[d];
    if (!ok) MISMATCH("%s: tensor %s shape differs from golden", stem, name);
    if (json_integer_value(json_object_get(jt, "offset")) != (json_int_t)t->offset)
        MISMATCH("%s: tensor %s offset %llu differs", stem, name, (unsigned long long)t->offset);
    if (json_integer_value(json_object_get(jt, "nbytes")) != (json_int_t)t->n_bytes)
        MISMATCH("%s: tensor %s nbytes %zu differs", stem, name, t->n_bytes);
    if ((const uint8_t *)t->data !=
        (const uint8_t *)lmd_gguf_tensor_at(g, 0)->data - lmd_gguf_tensor_at(g, 0)->offset +
            t->offset)
        MISMATCH("%s: tensor %s data pointer not at data_offset + offset", stem, name);
}

static void check_file(const char *json_path, const char *stem) {
    json_error_t jerr;
    json_t *root = json_load_file(json_path, 0, &jerr);
    if (!root) {
        MISMATCH("%s: cannot parse golden: %s", json_path, jerr.text);
        return;
    }
    const char *rel = json_string_value(json_object_get(root, "file"));
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    if (!rel || lmd_gguf_open(t_shared(rel), NULL, &g, &err) != LMD_OK) {
        MISMATCH("%s: open failed: %s", stem, err.msg);
        json_decref(root);
        return;
    }
#define FACT(field, val)                                                                  \
    if (json_integer_value(json_object_get(root, field)) != (json_int_t)(val))            \
        MISMATCH("%s: %s %lld != golden %lld", stem, field, (long long)(val),             \
                 (long long)json_integer_value(json_object_get(root, field)));
    FACT("file_size", lmd_gguf_file_bytes(g));
    FACT("gguf_version", lmd_gguf_version(g));
    FACT("alignment", lmd_gguf_alignment(g));
    FACT("data_offset", lmd_gguf_data_offset(g));
    FACT("n_kv", lmd_gguf_n_kv(g));
    FACT("n_tensors", lmd_gguf_n_tensors(g));
#undef FACT
    json_t *kv = json_object_get(root, "kv"), *tensors = json_object_get(root, "tensors");
    if (json_array_size(kv) != (size_t)lmd_gguf_n_kv(g) ||
        json_array_size(tensors) != (size_t)lmd_gguf_n_tensors(g)) {
        MISMATCH("%s: golden kv/tensor list sizes differ from the counts", stem);
    } else {
        for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++)
            check_kv(stem, g, i, json_array_get(kv, (size_t)i));
        for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++)
            check_tensor(stem, g, i, json_array_get(tensors, (size_t)i));
    }
    lmd_gguf_close(g);
    json_decref(root);
}

T_TEST(gguf_reader_matches_gguf_py_on_every_shared_file) {
    const char *dir = t_shared("golden/gguf");
    char dirbuf[4096];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    DIR *d = opendir(dirbuf);
    if (!d) {
        T_FAILF("cannot open %s (set LMD_SHARED)", dirbuf);
        return;
    }
    int n_files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dirbuf, e->d_name);
        check_file(path, e->d_name);
        n_files++;
    }
    closedir(d);
    /* ../shared holds 40 GGUF files (22 golden models, 3 models, 15 vocabs), each with its
     * facts file; fewer means a broken checkout, not a pass. */
    T_CHECK(n_files >= 40);
    printf("checked %d golden GGUF fact files\n", n_files);
}

/* The typed getters on a real model agree with the raw values. */
T_TEST(gguf_typed_getters_read_a_real_model) {
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    if (lmd_gguf_open(t_shared("golden/models/llama-F32.gguf"), NULL, &g, &err) != LMD_OK) {
        T_FAILF("open: %s", err.msg);
        return;
    }
    uint64_t u = 0;
    double f = 0;
    lmd_str s = { 0 };
    bool b = false;
    const lmd_gguf_value *arr = NULL;
    T_EQ_INT(lmd_gguf_get_uint(g, "llama.embedding_length", &u, &err), LMD_OK);
    T_EQ_INT(u, 256);
    T_EQ_INT(lmd_gguf_get_float(g, "llama.attention.layer_norm_rms_epsilon", &f, &err), LMD_OK);
    T_NEAR(f, 1e-5, 1e-12);
    T_EQ_INT(lmd_gguf_get_str(g, "general.architecture", &s, &err), LMD_OK);
    T_CHECK(lmd_str_eq_c(s, "llama"));
    T_EQ_INT(lmd_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b, &err), LMD_OK);
    T_CHECK(b);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &arr, &err), LMD_OK);
    T_EQ_INT(arr->arr.n, 1000);
    T_CHECK(lmd_str_eq_c(arr->arr.strs[1], "<s>"));
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_get_str(g, "llama.embedding_length", &s, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "expected STRING") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_get_uint(g, "no.such.key", &u, &err), LMD_E_NOT_FOUND);
    const lmd_gguf_tensor *t = lmd_gguf_find_tensor(g, "token_embd.weight");
    T_CHECK(t != NULL);
    if (t) T_EQ_INT(t->ne[1], 1000);
    T_CHECK(lmd_gguf_find_tensor(g, "token_embd") == NULL);
    lmd_gguf_close(g);
}
