/* test_store_ops.c — the store on disk: list/resolve/copy/delete/prune over an Ollama-layout
 * store, hostile manifests, and crash safety (fail the Nth file operation, then check the
 * store is old-or-new and every named blob matches its digest). */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

#include "store/store_int.h"

static char root[256];

static void rm_rf(const char *p) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "rm -rf %s failed\n", p);
}

static lmd_store *fresh(void) {
    snprintf(root, sizeof root, "/tmp/lmd-test-store-%d", (int)getpid());
    rm_rf(root);
    lmd_store *s = NULL;
    lmd_err err = { 0 };
    if (lmd_store_open(root, &s, &err) != LMD_OK) fprintf(stderr, "open: %s\n", err.msg);
    return s;
}

/* Writes a model with a fake GGUF layer, a template and a params layer. */
static void make_model(lmd_store *s, const char *name, const char *tmpl) {
    lmd_store_layer ls[3];
    memset(ls, 0, sizeof ls);
    lmd_store_manifest m = { .layers = ls, .n_layers = 3 };
    char gguf[64];
    snprintf(gguf, sizeof gguf, "GGUF-fake-weights-of-%s", name);
    const char *cfg = "{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_type\":\"1M\","
                      "\"file_type\":\"Q8_0\"}";
    lmd_blob_put(s, cfg, strlen(cfg), m.config.digest, NULL);
    snprintf(m.config.media_type, sizeof m.config.media_type, LMD_MT_CONFIG);
    m.config.size = strlen(cfg);
    lmd_blob_put(s, gguf, strlen(gguf), ls[0].digest, NULL);
    snprintf(ls[0].media_type, sizeof ls[0].media_type, LMD_MT_MODEL);
    ls[0].size = strlen(gguf);
    lmd_blob_put(s, tmpl, strlen(tmpl), ls[1].digest, NULL);
    snprintf(ls[1].media_type, sizeof ls[1].media_type, LMD_MT_TEMPLATE);
    ls[1].size = strlen(tmpl);
    const char *params = "{\"stop\":[\"<|im_end|>\"],\"temperature\":0.5}";
    lmd_blob_put(s, params, strlen(params), ls[2].digest, NULL);
    snprintf(ls[2].media_type, sizeof ls[2].media_type, LMD_MT_PARAMS);
    ls[2].size = strlen(params);
    char *json;
    size_t len;
    lmd_store_manifest_dump(&m, &json, &len, NULL);
    lmd_store_name n;
    lmd_store_name_parse(name, &n, NULL);
    lmd_err err = { 0 };
    if (lmd_manifest_write(s, &n, json, len, &err) != LMD_OK) fprintf(stderr, "%s\n", err.msg);
    free(json);
}

/* Every file named blobs/sha256-<hex> hashes to <hex>; returns the number of blobs. */
static int check_blobs(lmd_store *s) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/blobs", lmd_store_root(s));
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "sha256-", 7) != 0) continue;
        char p[1024], hex[65];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        T_EQ_INT(lmd_sha256_file(p, UINT64_MAX, hex, NULL, NULL), LMD_OK);
        T_EQ_STR(hex, e->d_name + 7);
        n++;
    }
    if (d) closedir(d);
    return n;
}

T_TEST(store_lists_resolves_and_reads_layers) {
    lmd_store *s = fresh();
    make_model(s, "alpha", "{{ .Prompt }}");
    make_model(s, "me/beta:v1", "{{ if .System }}{{ .System }}{{ end }}");
    lmd_store_entry *e = NULL;
    size_t n = 0;
    T_EQ_INT(lmd_store_list(s, &e, &n, NULL), LMD_OK);
    T_EQ_INT(n, 2);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(e[i].display, "alpha:latest")) seen |= 1;
        if (!strcmp(e[i].display, "me/beta:v1")) seen |= 2;
        T_EQ_STR(e[i].quantization, "Q8_0");
        T_EQ_INT(strlen(e[i].digest_hex), 64);
    }
    T_EQ_INT(seen, 3);
    free(e);
    lmd_store_model *m = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_store_resolve(s, "ME/Beta:V1", &m, &err), LMD_OK);
    if (m) {
        T_EQ_STR(m->template_text, "{{ if .System }}{{ .System }}{{ end }}");
        T_CHECK(m->model_path && strstr(m->model_path, "/blobs/sha256-"));
        T_CHECK(m->params_json && strstr(m->params_json, "temperature"));
        T_CHECK(m->system == NULL);
    }
    lmd_store_model_free(m);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_resolve(s, "nothere", &m, &err), LMD_E_NOT_FOUND);
    T_EQ_STR(err.msg, "model 'nothere:latest' not found");
    lmd_store_close(s);
    rm_rf(root);
}

T_TEST(store_delete_prunes_only_unreferenced_blobs) {
    lmd_store *s = fresh();
    make_model(s, "alpha", "shared template");
    make_model(s, "beta", "shared template");
    int before = check_blobs(s);
    T_EQ_INT(before, 5); /* config, params, template shared; two weights */
    T_EQ_INT(lmd_store_delete(s, "alpha", NULL), LMD_OK);
    T_EQ_INT(check_blobs(s), 4);
    lmd_store_model *m = NULL;
    T_EQ_INT(lmd_store_resolve(s, "beta", &m, NULL), LMD_OK);
    lmd_store_model_free(m);
    T_EQ_INT(lmd_store_delete(s, "beta", NULL), LMD_OK);
    T_EQ_INT(check_blobs(s), 0);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_store_delete(s, "beta", &err), LMD_E_NOT_FOUND);
    lmd_store_close(s);
    rm_rf(root);
}

T_TEST(store_prune_waits_for_running_creates_and_pulls) {
    lmd_store *s = fresh();
    make_model(s, "alpha", "t");
    int lock = lmd_store_lock(s, false); /* what a running create or pull holds */
    T_CHECK(lock >= 0);
    T_EQ_INT(lmd_store_delete(s, "alpha", NULL), LMD_OK);
    T_EQ_INT(check_blobs(s), 4); /* nothing pruned while a writer may still reference them */
    lmd_store_unlock(lock);
    int64_t n = 0;
    T_EQ_INT(lmd_store_prune(s, &n, NULL), LMD_OK);
    T_EQ_INT(n, 4);
    T_EQ_INT(check_blobs(s), 0);
    lmd_store_close(s);
    rm_rf(root);
}

T_TEST(store_rejects_hostile_manifests) {
    const char *h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char j[1024];
    lmd_store_manifest m;
    lmd_err err = { 0 };
    snprintf(j, sizeof j, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":"
                          "\"sha256:../../%.58s\",\"size\":1},\"layers\":[]}", h64);
    T_EQ_INT(lmd_store_manifest_parse(j, strlen(j), "t", &m, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "config.digest") != NULL);
    snprintf(j, sizeof j, "{\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:%s\",\"size\":-1},"
                          "\"layers\":[]}", h64);
    T_EQ_INT(lmd_store_manifest_parse(j, strlen(j), "t", &m, NULL), LMD_E_FORMAT);
    snprintf(j, sizeof j, "{\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:%s\",\"size\":1},"
                          "\"layers\":{}}", h64);
    T_EQ_INT(lmd_store_manifest_parse(j, strlen(j), "t", &m, NULL), LMD_E_FORMAT);
    T_EQ_INT(lmd_store_manifest_parse("[1,", 3, "t", &m, NULL), LMD_E_FORMAT);
    /* too many layers */
    size_t cap = 200 * 2000 + 1000;
    char *big = malloc(cap);
    size_t o = (size_t)snprintf(big, cap, "{\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:%s\","
                                "\"size\":1},\"layers\":[", h64);
    for (int i = 0; i < 2000; i++)
        o += (size_t)snprintf(big + o, cap - o, "%s{\"mediaType\":\"x\",\"digest\":\"sha256:%s\",\"size\":1}",
                              i ? "," : "", h64);
    snprintf(big + o, cap - o, "]}");
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_manifest_parse(big, strlen(big), "t", &m, &err), LMD_E_LIMIT);
    T_CHECK(strstr(err.msg, "2000 layers") != NULL);
    free(big);
    /* round trip */
    snprintf(j, sizeof j, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"sha256-%s\","
                          "\"size\":3},\"layers\":[{\"mediaType\":\"l\",\"digest\":\"sha256:%s\",\"size\":5,"
                          "\"from\":\"x\"}]}", h64, h64);
    T_EQ_INT(lmd_store_manifest_parse(j, strlen(j), "t", &m, NULL), LMD_OK);
    T_EQ_INT(m.n_layers, 1);
    char *out;
    size_t len;
    T_EQ_INT(lmd_store_manifest_dump(&m, &out, &len, NULL), LMD_OK);
    T_CHECK(strstr(out, "\"digest\":\"sha256:0123") != NULL);
    T_CHECK(strstr(out, "\"from\":\"x\"") != NULL);
    free(out);
    lmd_store_manifest_free(&m);
}

T_TEST(store_ignores_symlinked_manifests_and_blob_paths_stay_inside) {
    lmd_store *s = fresh();
    make_model(s, "alpha", "t");
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/manifests/registry.ollama.ai/library/evil", root);
    mkdir(p, 0755);
    snprintf(q, sizeof q, "%s/tag", p);
    T_EQ_INT(symlink("/etc/passwd", q), 0);
    lmd_store_entry *e = NULL;
    size_t n = 0;
    T_EQ_INT(lmd_store_list(s, &e, &n, NULL), LMD_OK);
    T_EQ_INT(n, 1);
    free(e);
    lmd_store_model *m = NULL;
    T_CHECK(lmd_store_resolve(s, "evil:tag", &m, NULL) != LMD_OK);
    char bp[1024];
    T_CHECK(lmd_store_blob_path(s, "sha256:../../etc/passwd", bp, sizeof bp, NULL) != LMD_OK);
    lmd_store_close(s);
    rm_rf(root);
}

/* Snapshot of what a model resolves to: manifest digest or "absent". */
static void state_of(lmd_store *s, const char *name, char *out, size_t cap) {
    lmd_store_model *m = NULL;
    lmd_err err = { 0 };
    lmd_status st = lmd_store_resolve(s, name, &m, &err);
    if (st == LMD_OK) snprintf(out, cap, "%s", m->manifest_digest);
    else snprintf(out, cap, st == LMD_E_NOT_FOUND ? "absent" : "BROKEN: %s", err.msg);
    lmd_store_model_free(m);
}

T_TEST(store_copy_and_delete_leave_old_or_new_state_at_every_failure_point) {
    for (int op = 0; op < 2; op++) {
        int completed = 0;
        for (int64_t nth = 1; nth < 100 && !completed; nth++) {
            lmd_store *s = fresh();
            make_model(s, "alpha", "t1");
            make_model(s, "beta", "t2");
            char a0[128], b0[128], a1[128], b1[128];
            state_of(s, "alpha", a0, sizeof a0);
            state_of(s, "beta", b0, sizeof b0);
            lmd_store_fault_after(nth);
            lmd_status st = op == 0 ? lmd_store_copy(s, "alpha", "gamma", NULL)
                                    : lmd_store_delete(s, "alpha", NULL);
            int64_t ops = lmd_store_fault_ops();
            lmd_store_fault_after(0);
            if (st == LMD_OK && ops < nth) completed = 1;
            state_of(s, "alpha", a1, sizeof a1);
            state_of(s, "beta", b1, sizeof b1);
            T_EQ_STR(b1, b0);
            if (op == 0) {
                char g[128];
                state_of(s, "gamma", g, sizeof g);
                T_EQ_STR(a1, a0);
                if (strcmp(g, "absent") != 0) T_EQ_STR(g, a0);
                if (completed) T_EQ_STR(g, a0);
            } else {
                if (strcmp(a1, "absent") != 0) T_EQ_STR(a1, a0);
                if (completed) T_EQ_STR(a1, "absent");
            }
            check_blobs(s);
            lmd_store_close(s);
        }
        T_CHECK(completed);
    }
    rm_rf(root);
}
