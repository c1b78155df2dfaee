/* test_store_names.c — model names parse, validate, default and display as Ollama's do;
 * digests are checked before they can become paths. */
#include "t.h"

#include "store/store.h"

static lmd_status parse(const char *s, lmd_store_name *n) { return lmd_store_name_parse(s, n, NULL); }

T_TEST(store_name_fills_ollama_defaults) {
    lmd_store_name n;
    T_EQ_INT(parse("llama3.2", &n), LMD_OK);
    T_EQ_STR(n.host, "registry.ollama.ai");
    T_EQ_STR(n.ns, "library");
    T_EQ_STR(n.model, "llama3.2");
    T_EQ_STR(n.tag, "latest");
}

T_TEST(store_name_splits_host_namespace_model_tag) {
    lmd_store_name n;
    T_EQ_INT(parse("example.com:5000/user/model_x:7b-q4_K_M", &n), LMD_OK);
    T_EQ_STR(n.host, "example.com:5000");
    T_EQ_STR(n.ns, "user");
    T_EQ_STR(n.model, "model_x");
    T_EQ_STR(n.tag, "7b-q4_K_M");
    T_EQ_INT(parse("https://hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M", &n), LMD_OK);
    T_EQ_STR(n.host, "hf.co");
    T_EQ_STR(n.ns, "bartowski");
    T_EQ_STR(n.tag, "Q4_K_M");
    T_EQ_INT(parse("user/model", &n), LMD_OK);
    T_EQ_STR(n.ns, "user");
    T_EQ_STR(n.host, "registry.ollama.ai");
    /* a port colon before the last '/' is not a tag */
    T_EQ_INT(parse("localhost:8080/ns/m", &n), LMD_OK);
    T_EQ_STR(n.host, "localhost:8080");
    T_EQ_STR(n.tag, "latest");
}

T_TEST(store_name_rejects_bad_charset_and_lengths) {
    lmd_store_name n;
    const char *bad[] = { "", "../x", "a/../b", "..", ".hidden", "x:", ":tag", "a//b", "/abs",
                          "ns.dot/model", "m:t:a/g", "model:ta/g", "mo del", "m@sha256:00",
                          "a/b/c/d", "-lead", "m:-t", "m:t.", "x/y/", "m\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lmd_err err = { 0 };
        lmd_status st = lmd_store_name_parse(bad[i], &n, &err);
        if (bad[i][0] && !strcmp(bad[i], "m:t.")) {
            T_EQ_INT(st, LMD_OK); /* '.' is allowed after the first byte of a tag */
            continue;
        }
        if (st == LMD_OK) T_FAILF("accepted bad name '%s'", bad[i]);
        else T_CHECK(strstr(err.msg, "invalid model name") != NULL);
    }
    char big[200];
    memset(big, 'a', 81);
    big[81] = '\0';
    T_CHECK(parse(big, &n) != LMD_OK);
    big[80] = '\0';
    T_EQ_INT(parse(big, &n), LMD_OK);
}

T_TEST(store_name_compares_case_insensitively_and_displays_shortest) {
    lmd_store_name a, b;
    char d[512];
    T_EQ_INT(parse("Mistral:Latest", &a), LMD_OK);
    T_EQ_INT(parse("registry.ollama.ai/library/mistral", &b), LMD_OK);
    T_CHECK(lmd_store_name_eq(&a, &b));
    lmd_store_name_display(&b, d, sizeof d);
    T_EQ_STR(d, "mistral:latest");
    T_EQ_INT(parse("me/m:t", &a), LMD_OK);
    lmd_store_name_display(&a, d, sizeof d);
    T_EQ_STR(d, "me/m:t");
    T_EQ_INT(parse("127.0.0.1:9/library/m", &a), LMD_OK);
    lmd_store_name_display(&a, d, sizeof d);
    T_EQ_STR(d, "127.0.0.1:9/library/m:latest");
}

T_TEST(store_digest_is_validated_exactly) {
    const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char d[100];
    snprintf(d, sizeof d, "sha256:%s", h);
    T_CHECK(lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "sha256-%s", h);
    T_CHECK(lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "sha256:%s0", h);
    T_CHECK(!lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "sha256:%.63s", h);
    T_CHECK(!lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "sha256:../%.61s", h);
    T_CHECK(!lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "SHA256:%s", h);
    T_CHECK(!lmd_store_digest_valid(d));
    snprintf(d, sizeof d, "sha256:%.63sA", h);
    T_CHECK(!lmd_store_digest_valid(d));
    T_CHECK(!lmd_store_digest_valid(NULL));
}
