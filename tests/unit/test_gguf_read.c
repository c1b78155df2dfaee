/* test_gguf_read.c — the GGUF reader on small files built in memory: every value type, nested
 * arrays, tensors; then corrupt inputs made by patching bytes at known offsets or truncating at
 * every length. Each bad file must fail with LMD_E_FORMAT and a message naming the file and an
 * offset (and no ASan/UBSan report: every case runs over an exact-size heap copy).
 * With LMD_WRITE_CORPUS=DIR set, every case's bytes are also written there (fuzz seeds). */
#include <inttypes.h>
#include <dirent.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "gguf_build.h"
#include "t.h"

static int case_no;

static void save_case(const gb_buf *b, const char *tag) {
    const char *dir = getenv("LMD_WRITE_CORPUS");
    if (!dir) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%03d-%s.gguf", dir, case_no++, tag);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(b->p, 1, b->len, f);
    fclose(f);
}

/* Opens an exact-size copy of b->p[0..len). */
static lmd_status open_bytes(const uint8_t *p, size_t len, lmd_gguf **g, lmd_err *err) {
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, p, len);
    lmd_err_clear(err);
    lmd_status st = lmd_gguf_open_memory(copy, len, "mem.gguf", NULL, g, err);
    if (st == LMD_OK) {
        /* keep the copy alive: stash it for the caller via a static (freed in close_bytes) */
        static uint8_t *last;
        free(last);
        last = copy;
    } else {
        free(copy);
    }
    return st;
}

/* Expects the file to be rejected with FORMAT and a message containing `want` and "offset". */
#define EXPECT_BAD(buf, want)                                                              \
    do {                                                                                   \
        lmd_gguf *g_ = NULL;                                                               \
        lmd_err e_;                                                                        \
        save_case(&(buf), "bad");                                                          \
        lmd_status st_ = open_bytes((buf).p, (buf).len, &g_, &e_);                         \
        T_EQ_INT(st_, LMD_E_FORMAT);                                                       \
        T_CHECK(g_ == NULL);                                                               \
        if (st_ != LMD_OK && (!strstr(e_.msg, (want)) || !strstr(e_.msg, "offset") ||      \
                              strncmp(e_.msg, "mem.gguf", 8) != 0))                        \
            T_FAILF("message \"%s\" lacks \"%s\", file or offset", e_.msg, (want));        \
        lmd_gguf_close(g_);                                                                \
    } while (0)

T_TEST(gguf_reads_every_value_type_and_both_tensors) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    save_case(&b, "valid");
    lmd_gguf *g = NULL;
    lmd_err err;
    T_EQ_INT(open_bytes(b.p, b.len, &g, &err), LMD_OK);
    if (!g) { T_FAILF("open: %s", err.msg); free(b.p); return; }
    T_EQ_INT(lmd_gguf_version(g), 3);
    T_EQ_INT(lmd_gguf_alignment(g), 32);
    T_EQ_INT(lmd_gguf_data_offset(g), o.data);
    T_EQ_INT(lmd_gguf_n_kv(g), 21);
    T_EQ_INT(lmd_gguf_n_tensors(g), 2);
    T_EQ_INT(lmd_gguf_get(g, "some.u8")->u, 200);
    T_EQ_INT(lmd_gguf_get(g, "some.i8")->i, -2);
    T_EQ_INT(lmd_gguf_get(g, "some.u16")->u, 0x1234);
    T_EQ_INT(lmd_gguf_get(g, "some.i16")->i, -1);
    T_EQ_INT(lmd_gguf_get(g, "some.u32")->u, 4000000000u);
    T_EQ_INT(lmd_gguf_get(g, "some.i32")->i, -7);
    T_NEAR(lmd_gguf_get(g, "some.f32")->f, 0.5, 0);
    T_EQ_INT(lmd_gguf_get(g, "some.bool")->u, 1);
    T_CHECK(lmd_gguf_get(g, "some.u64")->u == UINT64_MAX);
    T_CHECK(lmd_gguf_get(g, "some.i64")->i == INT64_MIN);
    T_NEAR(lmd_gguf_get(g, "some.f64")->f, -1.25, 0);
    T_EQ_INT(lmd_gguf_get(g, "some.empty")->s.len, 0);

    uint64_t u;
    int64_t i;
    double f;
    T_EQ_INT(lmd_gguf_get_uint(g, "some.u32", &u, &err), LMD_OK);
    T_EQ_INT(u, 4000000000u);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_get_uint(g, "some.i32", &u, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "some.i32") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_get_int(g, "some.u64", &i, &err), LMD_E_FORMAT);
    T_EQ_INT(lmd_gguf_get_int(g, "some.i16", &i, NULL), LMD_OK);
    T_EQ_INT(i, -1);
    T_EQ_INT(lmd_gguf_get_float(g, "some.i32", &f, NULL), LMD_OK);
    T_NEAR(f, -7, 0);
    T_EQ_INT(lmd_gguf_get_float(g, "general.name", &f, NULL), LMD_E_FORMAT);

    const lmd_gguf_value *tok = NULL, *sc = NULL, *tt = NULL, *nest = lmd_gguf_get(g, "some.nested");
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_STRING, &tok, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.scores", LMD_GGUF_FLOAT32, &sc, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.token_type", LMD_GGUF_INT32, &tt, NULL), LMD_OK);
    T_EQ_INT(lmd_gguf_get_arr(g, "tokenizer.ggml.tokens", LMD_GGUF_INT32, &tt, NULL), LMD_E_FORMAT);
    if (tok && sc && tt) {
        T_EQ_INT(tok->arr.n, 3);
        T_CHECK(lmd_str_eq_c(tok->arr.strs[2], "\xe2\x96\x81" "b"));
        T_NEAR(lmd_gguf_arr_float(sc, 2), -2.5, 0);
        T_EQ_INT(lmd_gguf_arr_int(tt, 0), 3);
    }
    T_CHECK(nest && nest->arr.type == LMD_GGUF_ARRAY && nest->arr.n == 2);
    if (nest && nest->arr.items) {
        T_EQ_INT(nest->arr.items[0].arr.n, 2);
        T_EQ_INT(lmd_gguf_arr_int(&nest->arr.items[0], 1), 2);
        T_EQ_INT(lmd_gguf_arr_int(&nest->arr.items[1], 0), 3);
    }
    T_EQ_INT(lmd_gguf_arr_int(lmd_gguf_get(g, "some.bools"), 1), 1);

    const lmd_gguf_tensor *w = lmd_gguf_find_tensor(g, "w"), *q = lmd_gguf_find_tensor(g, "q");
    T_CHECK(w && q);
    if (w && q) {
        T_EQ_INT(w->type, LMD_TYPE_F32);
        T_EQ_INT(w->n_dims, 2);
        T_EQ_INT(w->ne[0], 4);
        T_EQ_INT(w->ne[1], 2);
        T_EQ_INT(w->ne[2], 1);
        T_EQ_INT(w->n_bytes, 32);
        float x;
        memcpy(&x, (const uint8_t *)w->data + 4 * 7, 4);
        T_NEAR(x, 7, 0);
        T_EQ_INT(q->type, LMD_TYPE_Q8_0);
        T_EQ_INT(q->n_bytes, 34);
        T_EQ_INT(q->offset, 32);
        T_EQ_INT(((const uint8_t *)q->data)[2 + 31], 31);
    }
    lmd_gguf_close(g);
    free(b.p);
}

T_TEST(gguf_reads_version_2) {
    gb_buf b = gb_model(GB_V2, NULL);
    lmd_gguf *g = NULL;
    lmd_err err;
    T_EQ_INT(open_bytes(b.p, b.len, &g, &err), LMD_OK);
    if (g) T_EQ_INT(lmd_gguf_version(g), 2);
    lmd_gguf_close(g);
    free(b.p);
}

T_TEST(gguf_rejects_truncation_at_every_length) {
    gb_buf b = gb_model(0, NULL);
    int bad = 0;
    for (size_t n = 0; n < b.len; n++) {
        lmd_gguf *g = NULL;
        lmd_err err;
        lmd_status st = open_bytes(b.p, n, &g, &err);
        if (st != LMD_E_FORMAT || g || !strstr(err.msg, "offset")) {
            if (bad++ < 5) T_FAILF("truncated to %zu: status %d, \"%s\"", n, st, err.msg);
        }
        if (n % 37 == 0) {
            gb_buf t = { b.p, n, n };
            save_case(&t, "trunc");
        }
        lmd_gguf_close(g);
    }
    free(b.p);
}

T_TEST(gguf_rejects_bad_magic_and_versions) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    b.p[0] = 'X';
    EXPECT_BAD(b, "bad magic");
    b.p[0] = 'G';
    gb_put32(&b, o.version, 1);
    EXPECT_BAD(b, "version 1");
    gb_put32(&b, o.version, 4);
    EXPECT_BAD(b, "version 4");
    gb_put32(&b, o.version, 0x03000000);
    EXPECT_BAD(b, "big-endian");
    free(b.p);
}

T_TEST(gguf_rejects_huge_counts_before_allocating) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    gb_put64(&b, o.n_kv, UINT64_MAX);
    EXPECT_BAD(b, "metadata keys");
    gb_put64(&b, o.n_kv, 21);
    gb_put64(&b, o.n_tensors, 1ull << 40);
    EXPECT_BAD(b, "tensors");
    gb_put64(&b, o.n_tensors, 2);
    gb_put64(&b, o.tokens_count, 1ull << 62);
    EXPECT_BAD(b, "claims");
    gb_put64(&b, o.tokens_count, 1000);   /* fits the limits, not the file */
    EXPECT_BAD(b, "bytes left");
    gb_put64(&b, o.tokens_count, 3);
    gb_put64(&b, o.tokens_str0_len, UINT64_MAX - 2);
    EXPECT_BAD(b, "string at offset");
    free(b.p);
}

T_TEST(gguf_rejects_bad_dims) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    gb_put32(&b, o.t0_ndims, 0);
    EXPECT_BAD(b, "n_dims 0");
    gb_put32(&b, o.t0_ndims, 5);
    EXPECT_BAD(b, "n_dims 5");
    gb_put32(&b, o.t0_ndims, 2);
    gb_put64(&b, o.t0_ne1, 0);
    EXPECT_BAD(b, "dimension 1");
    gb_put64(&b, o.t0_ne1, UINT64_MAX);
    EXPECT_BAD(b, "dimension 1");
    gb_put64(&b, o.t0_ne0, 1ull << 40);
    gb_put64(&b, o.t0_ne1, 1ull << 40);
    EXPECT_BAD(b, "element count overflows");
    /* 2^61 x 2 elements fit int64 but not as bytes of F32 */
    gb_put64(&b, o.t0_ne0, 1ull << 61);
    gb_put64(&b, o.t0_ne1, 2);
    EXPECT_BAD(b, "overflows");
    gb_put64(&b, o.t0_ne0, 4);
    gb_put64(&b, o.t1_ne0, 33);
    EXPECT_BAD(b, "multiple of 32");
    free(b.p);
}

T_TEST(gguf_rejects_tensor_data_past_end_and_misaligned) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    gb_put64(&b, o.t1_offset, 64);
    EXPECT_BAD(b, "ends past file size");
    gb_put64(&b, o.t1_offset, 36);
    EXPECT_BAD(b, "not a multiple of the alignment");
    gb_put64(&b, o.t1_offset, UINT64_MAX - 31);   /* aligned, but start + size overflows */
    EXPECT_BAD(b, "ends past file size");
    gb_put64(&b, o.t1_offset, 32);
    gb_put64(&b, o.t1_ne0, 64);                   /* two blocks: one byte short */
    EXPECT_BAD(b, "ends past file size");
    free(b.p);
}

T_TEST(gguf_rejects_unknown_types) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    uint32_t bad_types[] = { 4, 5, 31, 36, 42, 1000, UINT32_MAX };
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        gb_put32(&b, o.t0_type, bad_types[i]);
        EXPECT_BAD(b, "unknown tensor type");
    }
    gb_put32(&b, o.t0_type, 0);
    gb_put32(&b, o.kv_type_u8, 13);
    EXPECT_BAD(b, "unknown value type 13");
    gb_put32(&b, o.kv_type_u8, 0);
    gb_put32(&b, o.nested_elem_type, 77);
    EXPECT_BAD(b, "unknown element type 77");
    free(b.p);
}

T_TEST(gguf_rejects_bad_alignment_and_bool) {
    gb_offsets o;
    gb_buf b = gb_model(0, &o);
    uint32_t bad[] = { 0, 24, 1u << 31 };
    for (size_t i = 0; i < 3; i++) {
        gb_put32(&b, o.align_value, bad[i]);
        EXPECT_BAD(b, "general.alignment");
    }
    gb_put32(&b, o.align_value, 32);
    b.p[o.bool_value] = 2;
    EXPECT_BAD(b, "expected 0 or 1");
    free(b.p);
}

T_TEST(gguf_rejects_duplicates) {
    gb_buf b = gb_model(GB_DUP_KEY, NULL);
    EXPECT_BAD(b, "duplicate key 'general.name'");
    free(b.p);
    b = gb_model(GB_DUP_TENSOR, NULL);
    EXPECT_BAD(b, "duplicate name 'w'");
    free(b.p);
}

T_TEST(gguf_rejects_wrong_typed_fixed_keys) {
    struct { unsigned flag; const char *want; } cases[] = {
        { GB_TOKENS_INT32, "'tokenizer.ggml.tokens' at offset" },
        { GB_SCORES_INT32, "tokenizer.ggml.scores' at offset" },
        { GB_TYPES_UINT8, "ARRAY of UINT8, expected ARRAY of INT32" },
        { GB_MERGES_SCALAR, "has type STRING, expected ARRAY of STRING" },
        { GB_ALIGN_U64, "has type UINT64, expected UINT32" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gb_buf b = gb_model(cases[i].flag, NULL);
        EXPECT_BAD(b, cases[i].want);
        free(b.p);
    }
}

T_TEST(gguf_caps_array_nesting_depth) {
    gb_buf b = gb_model(GB_DEEP_NEST, NULL);
    EXPECT_BAD(b, "nests deeper than 8");
    free(b.p);
}

T_TEST(gguf_open_reports_missing_and_non_gguf_files) {
    lmd_gguf *g = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_gguf_open("/nonexistent/x.gguf", NULL, &g, &err), LMD_E_NOT_FOUND);
    T_CHECK(strstr(err.msg, "/nonexistent/x.gguf") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_gguf_open("/", NULL, &g, &err), LMD_E_INVALID);
    lmd_err_clear(&err);
    /* a text file: bad magic */
    char path[] = "/tmp/lmd-gguf-test-XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    if (fd >= 0) {
        T_CHECK(write(fd, "hello world, not a model\n", 25) == 25);
        close(fd);
        T_EQ_INT(lmd_gguf_open(path, NULL, &g, &err), LMD_E_FORMAT);
        T_CHECK(strstr(err.msg, "bad magic") != NULL);
        unlink(path);
    }
    T_CHECK(g == NULL);
}

T_TEST(gguf_type_table_matches_ggml) {
    /* Block geometry from ggml-common.h (llama.cpp 0253fb21); a typo here corrupts sizes. */
    struct { uint32_t id; int64_t blk; size_t bytes; const char *name; } want[] = {
        { 0, 1, 4, "F32" }, { 1, 1, 2, "F16" }, { 2, 32, 18, "Q4_0" }, { 3, 32, 20, "Q4_1" },
        { 6, 32, 22, "Q5_0" }, { 7, 32, 24, "Q5_1" }, { 8, 32, 34, "Q8_0" }, { 9, 32, 36, "Q8_1" },
        { 10, 256, 84, "Q2_K" }, { 11, 256, 110, "Q3_K" }, { 12, 256, 144, "Q4_K" },
        { 13, 256, 176, "Q5_K" }, { 14, 256, 210, "Q6_K" }, { 15, 256, 292, "Q8_K" },
        { 16, 256, 66, "IQ2_XXS" }, { 17, 256, 74, "IQ2_XS" }, { 18, 256, 98, "IQ3_XXS" },
        { 19, 256, 50, "IQ1_S" }, { 20, 32, 18, "IQ4_NL" }, { 21, 256, 110, "IQ3_S" },
        { 22, 256, 82, "IQ2_S" }, { 23, 256, 136, "IQ4_XS" }, { 24, 1, 1, "I8" },
        { 25, 1, 2, "I16" }, { 26, 1, 4, "I32" }, { 27, 1, 8, "I64" }, { 28, 1, 8, "F64" },
        { 29, 256, 56, "IQ1_M" }, { 30, 1, 2, "BF16" }, { 34, 256, 54, "TQ1_0" },
        { 35, 256, 66, "TQ2_0" }, { 39, 32, 17, "MXFP4" }, { 40, 64, 36, "NVFP4" },
        { 41, 128, 18, "Q1_0" },
    };
    int n_known = 0;
    for (uint32_t id = 0; id < 64; id++) n_known += lmd_type_geometry_of(id) != NULL;
    T_EQ_INT(n_known, (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const lmd_type_geometry *g = lmd_type_geometry_of(want[i].id);
        T_CHECK(g != NULL);
        if (!g) continue;
        T_EQ_INT(g->block_elems, want[i].blk);
        T_EQ_INT(g->block_bytes, want[i].bytes);
        T_EQ_STR(lmd_type_name((lmd_type)want[i].id), want[i].name);
        lmd_type t;
        T_CHECK(lmd_type_from_name(g->name, &t) && t == (lmd_type)want[i].id);
    }
    T_EQ_INT(lmd_type_row_bytes(LMD_TYPE_Q4_K, 512), 288);
    T_EQ_INT(lmd_type_row_bytes(LMD_TYPE_Q4_K, 100), 0);
    T_EQ_INT(lmd_type_row_bytes(LMD_TYPE_F32, INT64_MAX), 0);
    T_EQ_STR(lmd_type_name((lmd_type)4), "?");
}

/* Every file in the fuzz corpus (seeds, minimized interesting inputs and past findings) opens
 * or fails cleanly; under ASan this is the fuzzer's regression suite. */
T_TEST(gguf_fuzz_corpus_opens_or_fails_cleanly) {
    const char *dir = "tests/fuzz/corpus/gguf";
    DIR *d = opendir(dir);
    if (!d) {
        T_FAILF("cannot open %s (run from the repository root)", dir);
        return;
    }
    int n = 0, n_ok = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *data = t_read_file(path, &len);
        if (!data) continue;
        lmd_gguf *g = NULL;
        lmd_err err;
        lmd_status st = open_bytes((const uint8_t *)data, len, &g, &err);
        if (st == LMD_OK) n_ok++;
        else if (!err.msg[0] || g) T_FAILF("%s: failed without a message", e->d_name);
        lmd_gguf_close(g);
        free(data);
        n++;
    }
    closedir(d);
    T_CHECK(n >= 10);
    T_CHECK(n_ok >= 1);
}
