/* test_gguf_write.c — the GGUF writer: every setter reads back through the reader, keys keep
 * insertion order and are replaced in place, bad tensors are refused, the alignment key is
 * honoured, writes are atomic; and every GGUF under ../shared, copied key by key and tensor by
 * tensor into a writer, comes out byte-identical to the original. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "t.h"

static lmd_gguf *reopen(const uint8_t *p, size_t len) {
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    if (lmd_gguf_open_memory(p, len, "written.gguf", NULL, &g, &err) != LMD_OK)
        T_FAILF("re-reading written file: %s", err.msg);
    return g;
}

T_TEST(gguf_writer_values_read_back) {
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    lmd_err err = { 0 };
    T_EQ_INT(lmd_gguf_set_str(w, "general.architecture", lmd_str_c("llama"), &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_u32(w, "a.u32", 7, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_i32(w, "a.i32", -7, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_u64(w, "a.u64", UINT64_MAX, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_f32(w, "a.f32", 1e-5f, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_bool(w, "a.bool", true, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_u32(w, "a.u32", 8, &err), LMD_OK); /* replaced in place */
    float scores[3] = { 0, -1, -2 };
    int32_t types[3] = { 3, 1, 1 };
    lmd_str toks[3] = { lmd_str_c("<s>"), lmd_str_c(""), lmd_str_c("b") };
    T_EQ_INT(lmd_gguf_set_arr_str(w, "tokenizer.ggml.tokens", toks, 3, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_arr(w, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32, scores, 3, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_arr(w, "tokenizer.ggml.token_type", LMD_GGUF_INT32, types, 3, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_set_arr(w, "bad", LMD_GGUF_STRING, toks, 3, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    uint8_t bad_bools[2] = { 1, 2 };
    T_EQ_INT(lmd_gguf_set_arr(w, "bad", LMD_GGUF_BOOL, bad_bools, 2, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    float data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    int64_t ne[4] = { 4, 2, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "w", LMD_TYPE_F32, 2, ne, data, &err), LMD_OK);
    int64_t ne1[4] = { 3, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "b", LMD_TYPE_F32, 1, ne1, data, &err), LMD_OK);
    uint8_t *buf = NULL;
    size_t len = 0;
    T_EQ_INT(lmd_gguf_writer_to_memory(w, &buf, &len, &err), LMD_OK);
    lmd_gguf *g = reopen(buf, len);
    if (g) {
        T_EQ_INT(lmd_gguf_version(g), 3);
        T_EQ_INT(lmd_gguf_n_kv(g), 9);
        T_CHECK(lmd_str_eq_c(lmd_gguf_kv_key(g, 1), "a.u32"));
        T_EQ_INT(lmd_gguf_get(g, "a.u32")->u, 8);
        T_EQ_INT(lmd_gguf_get(g, "a.i32")->i, -7);
        T_CHECK(lmd_gguf_get(g, "a.u64")->u == UINT64_MAX);
        T_NEAR(lmd_gguf_get(g, "a.f32")->f, 1e-5f, 0);
        T_EQ_INT(lmd_gguf_get(g, "a.bool")->u, 1);
        const lmd_gguf_value *t = lmd_gguf_get(g, "tokenizer.ggml.tokens");
        T_CHECK(t && t->arr.n == 3 && lmd_str_eq_c(t->arr.strs[2], "b") && t->arr.strs[1].len == 0);
        T_NEAR(lmd_gguf_arr_float(lmd_gguf_get(g, "tokenizer.ggml.scores"), 2), -2, 0);
        const lmd_gguf_tensor *b = lmd_gguf_find_tensor(g, "b");
        T_CHECK(b && b->offset == 32 && b->n_bytes == 12);
        if (b) T_CHECK(memcmp(b->data, data, 12) == 0);
        T_EQ_INT(lmd_gguf_data_offset(g) % 32, 0);
        T_EQ_INT(len % 32, 0);
    }
    lmd_gguf_close(g);
    free(buf);
    lmd_gguf_writer_free(w);
}

T_TEST(gguf_writer_refuses_bad_tensors_and_alignment) {
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    lmd_err err = { 0 };
    uint8_t data[128] = { 0 };
    int64_t ne[4] = { 32, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "q", LMD_TYPE_Q8_0, 1, ne, data, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_add_tensor(w, "q", LMD_TYPE_Q8_0, 1, ne, data, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "duplicate") != NULL);
    lmd_err_clear(&err);
    int64_t ne33[4] = { 33, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "r", LMD_TYPE_Q8_0, 1, ne33, data, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    int64_t ne0[4] = { 0, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "r", LMD_TYPE_F32, 1, ne0, data, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_add_tensor(w, "r", LMD_TYPE_F32, 5, ne, data, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_add_tensor(w, "r", (lmd_type)4, 1, ne, data, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    char long_name[80];
    memset(long_name, 'x', 79);
    long_name[79] = '\0';
    T_EQ_INT(lmd_gguf_add_tensor(w, long_name, LMD_TYPE_F32, 1, ne, data, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_set_u32(w, "general.alignment", 48, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_set_u64(w, "general.alignment", 64, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_set_u32(w, "general.alignment", 64, &err), LMD_OK);
    int64_t ne2[4] = { 64, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "r", LMD_TYPE_Q8_0, 1, ne2, data, &err), LMD_OK);
    uint8_t *buf = NULL;
    size_t len = 0;
    T_EQ_INT(lmd_gguf_writer_to_memory(w, &buf, &len, &err), LMD_OK);
    lmd_gguf *g = reopen(buf, len);
    if (g) {
        T_EQ_INT(lmd_gguf_alignment(g), 64);
        T_EQ_INT(lmd_gguf_data_offset(g) % 64, 0);
        T_EQ_INT(lmd_gguf_find_tensor(g, "r")->offset, 64);
        T_EQ_INT(lmd_gguf_find_tensor(g, "r")->n_bytes, 68);
    }
    lmd_gguf_close(g);
    free(buf);
    lmd_gguf_writer_free(w);
}

T_TEST(gguf_writer_writes_atomically) {
    char dir[] = "/tmp/lmd-gguf-w-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/m.gguf", dir);
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    lmd_err err = { 0 };
    T_EQ_INT(lmd_gguf_set_str(w, "general.architecture", lmd_str_c("llama"), &err), LMD_OK);
    float data[4] = { 1, 2, 3, 4 };
    int64_t ne[4] = { 4, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "t", LMD_TYPE_F32, 1, ne, data, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_writer_write(w, path, &err), LMD_OK);
    T_EQ_INT(lmd_gguf_writer_write(w, path, &err), LMD_OK); /* replaces an existing file */
    lmd_gguf *g = NULL;
    T_EQ_INT(lmd_gguf_open(path, NULL, &g, &err), LMD_OK);
    if (g) T_CHECK(memcmp(lmd_gguf_find_tensor(g, "t")->data, data, 16) == 0);
    lmd_gguf_close(g);
    /* nothing but the file is left behind */
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) n += e->d_name[0] != '.';
    if (d) closedir(d);
    T_EQ_INT(n, 1);
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/m.gguf", dir);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_writer_write(w, bad, &err), LMD_E_IO);
    T_CHECK(strstr(err.msg, "no/such/dir") != NULL);
    unlink(path);
    rmdir(dir);
    lmd_gguf_writer_free(w);
}

/* Copies every key and tensor of src into a writer and serializes it. */
static int round_trip(lmd_gguf *src, uint8_t **out, size_t *len, lmd_err *err) {
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    int ok = w != NULL;
    for (int64_t i = 0; ok && i < lmd_gguf_n_kv(src); i++)
        ok = lmd_gguf_copy_kv(w, src, i, err) == LMD_OK;
    for (int64_t i = 0; ok && i < lmd_gguf_n_tensors(src); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(src, i);
        char name[64];
        memcpy(name, t->name.ptr, t->name.len);
        name[t->name.len] = '\0';
        ok = lmd_gguf_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, err) == LMD_OK;
    }
    ok = ok && lmd_gguf_writer_to_memory(w, out, len, err) == LMD_OK;
    lmd_gguf_writer_free(w);
    return ok;
}

static const char *shared_dirs[] = { "golden/models", "models", "models/stories260K", "vocab" };

T_TEST(gguf_round_trip_of_every_shared_file_is_byte_identical) {
    int n_files = 0;
    for (size_t k = 0; k < sizeof shared_dirs / sizeof shared_dirs[0]; k++) {
        char dirpath[4096];
        snprintf(dirpath, sizeof dirpath, "%s", t_shared(shared_dirs[k]));
        DIR *d = opendir(dirpath);
        if (!d) { T_FAILF("cannot open %s", dirpath); continue; }
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".gguf") != 0) continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
            lmd_gguf *g = NULL;
            lmd_err err = { 0 };
            uint8_t *buf = NULL;
            size_t len = 0;
            if (lmd_gguf_open(path, NULL, &g, &err) != LMD_OK || !round_trip(g, &buf, &len, &err)) {
                T_FAILF("%s: %s", e->d_name, err.msg);
            } else {
                size_t orig_len = 0;
                char *orig = t_read_file(path, &orig_len);
                size_t at = 0;
                while (orig && at < len && at < orig_len && buf[at] == (uint8_t)orig[at]) at++;
                if (!orig || len != orig_len || at != len)
                    T_FAILF("%s: written %zu bytes, original %zu, first difference at %zu",
                            e->d_name, len, orig_len, at);
                free(orig);
            }
            n_files++;
            free(buf);
            lmd_gguf_close(g);
        }
        closedir(d);
    }
    T_CHECK(n_files >= 40);
}

/* Fill callback: row r holds r * 1000 + column, as F32; fails on request at row fail_at. */
typedef struct {
    int64_t n_cols, fail_at, calls;
} fill_ctx;

static lmd_status fill_rows(void *vctx, void *dst, int64_t row0, int64_t n_rows, lmd_err *err) {
    fill_ctx *c = vctx;
    c->calls++;
    for (int64_t r = 0; r < n_rows; r++) {
        if (row0 + r == c->fail_at)
            return lmd_err_set(err, LMD_E_IO, "fill failed at row %lld", (long long)(row0 + r));
        for (int64_t k = 0; k < c->n_cols; k++)
            ((float *)dst)[r * c->n_cols + k] = (float)((row0 + r) * 1000 + k);
    }
    return LMD_OK;
}

T_TEST(gguf_writer_fills_tensors_in_chunks_at_write_time) {
    /* 1024 x 3000 F32 = 12 MB: more than one 8 MiB fill chunk */
    fill_ctx c = { .n_cols = 1024, .fail_at = -1 };
    int64_t ne[4] = { 1024, 3000, 1, 1 };
    lmd_gguf_writer *w = lmd_gguf_writer_new();
    lmd_err err = { 0 };
    T_EQ_INT(lmd_gguf_add_tensor_fill(w, "big", LMD_TYPE_F32, 2, ne, fill_rows, &c, &err), LMD_OK);
    float small[4] = { 1, 2, 3, 4 };
    int64_t ne1[4] = { 4, 1, 1, 1 };
    T_EQ_INT(lmd_gguf_add_tensor(w, "small", LMD_TYPE_F32, 1, ne1, small, &err), LMD_OK);
    char dir[] = "/tmp/lmd-gguf-f-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/f.gguf", dir);
    T_EQ_INT(lmd_gguf_writer_write(w, path, &err), LMD_OK);
    T_CHECK(c.calls >= 2);
    lmd_gguf *g = NULL;
    T_EQ_INT(lmd_gguf_open(path, NULL, &g, &err), LMD_OK);
    if (g) {
        const float *d = lmd_gguf_find_tensor(g, "big")->data;
        T_NEAR(d[0], 0, 0);
        T_NEAR(d[2999 * 1024 + 1023], 2999 * 1000 + 1023, 0);
        T_NEAR(d[2048 * 1024 + 5], 2048 * 1000 + 5, 0);
        T_CHECK(memcmp(lmd_gguf_find_tensor(g, "small")->data, small, 16) == 0);
    }
    lmd_gguf_close(g);
    /* to_memory gives the same bytes as the file */
    uint8_t *buf = NULL;
    size_t len = 0;
    T_EQ_INT(lmd_gguf_writer_to_memory(w, &buf, &len, &err), LMD_OK);
    size_t flen = 0;
    char *file = t_read_file(path, &flen);
    T_CHECK(file && flen == len && memcmp(file, buf, len) == 0);
    free(file);
    free(buf);
    /* a failing fill aborts the write and leaves the old file */
    c.fail_at = 2500;
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_writer_write(w, path, &err), LMD_E_IO);
    T_CHECK(strstr(err.msg, "row 2500") != NULL);
    g = NULL;
    T_EQ_INT(lmd_gguf_open(path, NULL, &g, NULL), LMD_OK);
    lmd_gguf_close(g);
    int n = 0;
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd))) n += e->d_name[0] != '.';
    if (dd) closedir(dd);
    T_EQ_INT(n, 1);
    unlink(path);
    rmdir(dir);
    lmd_gguf_writer_free(w);
}
