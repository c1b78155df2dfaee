/* test_store_modelfile.c — the Modelfile parser (instructions, quoting, typed parameters,
 * errors naming the line) and lmd_store_create over a real GGUF, including crash safety. */
#include <dirent.h>
#include <unistd.h>

#include "t.h"

#include "store/store_int.h"

static lmd_status parse(const char *text, lmd_modelfile *mf, lmd_err *err) {
    return lmd_modelfile_parse(text, strlen(text), mf, err);
}

T_TEST(modelfile_parses_instructions_quotes_and_comments) {
    lmd_modelfile mf;
    lmd_err err = { 0 };
    const char *text = "# comment\n"
                       "from ./m.gguf\n"
                       "  PaRaMeTeR Stop \"<|a|>\"\n"
                       "PARAMETER stop \"\"\"x\ny\"\"\"\n"
                       "TEMPLATE \"\"\"{{ .Prompt }}\n\n\"\"\"\n"
                       "SYSTEM say \"hi\" twice  \n"
                       "MESSAGE User \"q \\\"quoted\\\"\"\n"
                       "LICENSE \"\"\"MIT\"\"\"\n";
    T_EQ_INT(parse(text, &mf, &err), LMD_OK);
    T_EQ_INT(mf.n, 7);
    if (mf.n == 7) {
        T_EQ_STR(mf.cmds[0].cmd, "from");
        T_EQ_STR(mf.cmds[0].value, "./m.gguf");
        T_EQ_INT(mf.cmds[0].line, 2);
        T_EQ_STR(mf.cmds[1].name, "stop");
        T_EQ_STR(mf.cmds[1].value, "<|a|>");
        T_EQ_STR(mf.cmds[2].value, "x\ny");
        T_EQ_STR(mf.cmds[3].value, "{{ .Prompt }}\n\n");
        T_EQ_INT(mf.cmds[3].line, 6);
        T_EQ_STR(mf.cmds[4].value, "say \"hi\" twice");
        T_EQ_INT(mf.cmds[4].line, 9);
        T_EQ_STR(mf.cmds[5].name, "user");
        T_EQ_STR(mf.cmds[5].value, "q \"quoted\"");
        T_EQ_STR(mf.cmds[6].value, "MIT");
    }
    char *params = NULL;
    T_EQ_INT(lmd_modelfile_params_json(&mf, "{\"stop\":[\"old\"],\"top_k\":5}", &params, NULL),
             LMD_OK);
    T_EQ_STR(params, "{\"stop\":[\"<|a|>\",\"x\\ny\"],\"top_k\":5}");
    free(params);
    lmd_modelfile_free(&mf);
}

T_TEST(modelfile_errors_name_the_line) {
    struct { const char *text, *want; } cases[] = {
        { "FROM x\nPARAMETER temperature hot\n", "line 2: parameter 'temperature': invalid float" },
        { "FROM x\n\nPARAMETER num_ctx 4k\n", "line 3: parameter 'num_ctx': invalid int" },
        { "FROM x\nPARAMETER use_mmap maybe\n", "line 2: parameter 'use_mmap': invalid bool" },
        { "FROM x\nPARAMETER nonsense 1\n", "line 2: unknown parameter 'nonsense'" },
        { "FROM x\nMESSAGE robot hi\n", "line 2: message role must be one of" },
        { "FROM x\nFOO bar\n", "line 2: unknown instruction 'FOO'" },
        { "FROM x\nSYSTEM \"\"\"never closed\n\n", "line 2: unterminated \"\"\"" },
        { "FROM x\nSYSTEM \"open\n", "line 2: unterminated quoted string" },
        { "FROM x\nSYSTEM \"a\" b\n", "line 2: unexpected text after closing quote" },
        { "PARAMETER seed 1\n", "no FROM line" },
        { "FROM\n", "line 1: from needs a value" },
        { "FROM x\nPARAMETER\n", "line 2: parameter needs a name" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lmd_modelfile mf;
        lmd_err err = { 0 };
        T_EQ_INT(parse(cases[i].text, &mf, &err), LMD_E_INVALID);
        if (!strstr(err.msg, cases[i].want))
            T_FAILF("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].want);
    }
    lmd_modelfile mf;
    T_CHECK(lmd_modelfile_parse("FROM x\n\xff\n", 9, &mf, NULL) != LMD_OK);
    T_CHECK(lmd_modelfile_parse("FROM x\0", 7, &mf, NULL) != LMD_OK);
}

static char root[256];

static void rm_rf(const char *p) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "rm -rf failed\n");
}

static int count_files(const char *dir, bool check_hash) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "sha256-", 7) != 0) continue;
        n++;
        if (check_hash) {
            char p[1024], hex[65];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            lmd_sha256_file(p, UINT64_MAX, hex, NULL, NULL);
            T_EQ_STR(hex, e->d_name + 7);
        }
    }
    if (d) closedir(d);
    return n;
}

T_TEST(store_create_from_gguf_then_from_model_with_failures_at_every_step) {
    const char *gguf = t_shared("models/TinyStories-656K.Q8_0.gguf");
    if (access(gguf, R_OK) != 0) T_SKIP("no TinyStories GGUF in shared");
    char mf1[1024], blobs[512];
    snprintf(mf1, sizeof mf1, "FROM %s\nTEMPLATE {{ .Prompt }}\nPARAMETER seed 3\n", gguf);
    const char *mf2 = "FROM tiny\nSYSTEM be brief\nPARAMETER stop END\n";
    snprintf(root, sizeof root, "/tmp/lmd-test-create-%d", (int)getpid());
    snprintf(blobs, sizeof blobs, "%s/blobs", root);
    int completed = 0;
    for (int64_t nth = 1; nth < 200 && !completed; nth++) {
        rm_rf(root);
        lmd_store *s = NULL;
        T_EQ_INT(lmd_store_open(root, &s, NULL), LMD_OK);
        lmd_err err = { 0 };
        T_EQ_INT(lmd_store_create(s, "tiny", mf1, NULL, NULL, &err), LMD_OK);
        lmd_store_model *m0 = NULL;
        T_EQ_INT(lmd_store_resolve(s, "tiny", &m0, NULL), LMD_OK);
        lmd_store_fault_after(nth);
        lmd_status st = lmd_store_create(s, "tiny", mf2, NULL, NULL, NULL);
        int64_t ops = lmd_store_fault_ops();
        lmd_store_fault_after(0);
        if (st == LMD_OK && ops < nth) completed = 1;
        lmd_store_model *m1 = NULL;
        T_EQ_INT(lmd_store_resolve(s, "tiny", &m1, NULL), LMD_OK);
        if (m0 && m1) {
            bool is_old = !strcmp(m0->manifest_digest, m1->manifest_digest);
            bool is_new = m1->system && !strcmp(m1->system, "be brief") && m1->params_json &&
                          strstr(m1->params_json, "\"seed\":3") &&
                          strstr(m1->params_json, "END") &&
                          !strcmp(m1->template_text, "{{ .Prompt }}") &&
                          !strcmp(m0->model_path, m1->model_path);
            T_CHECK(is_old || is_new);
            if (completed) T_CHECK(is_new);
        }
        count_files(blobs, true);
        lmd_store_model_free(m0);
        lmd_store_model_free(m1);
        lmd_store_close(s);
    }
    T_CHECK(completed);
    rm_rf(root);
}

T_TEST(store_create_rejects_adapter_missing_files_and_non_gguf) {
    snprintf(root, sizeof root, "/tmp/lmd-test-create2-%d", (int)getpid());
    rm_rf(root);
    lmd_store *s = NULL;
    T_EQ_INT(lmd_store_open(root, &s, NULL), LMD_OK);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_store_create(s, "x", "FROM ./nope.gguf\n", "/tmp", NULL, &err), LMD_E_NOT_FOUND);
    T_CHECK(strstr(err.msg, "line 1: FROM ./nope.gguf: no such file") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_create(s, "x", "FROM base\nADAPTER ./a.gguf\n", NULL, NULL, &err),
             LMD_E_UNSUPPORTED);
    T_CHECK(strstr(err.msg, "line 2: ADAPTER") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_create(s, "x", "FROM notamodel\n", NULL, NULL, &err), LMD_E_NOT_FOUND);
    T_CHECK(strstr(err.msg, "model 'notamodel:latest' not found") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_create(s, "x", "FROM /etc/hostname\n", NULL, NULL, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "not a GGUF file") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_store_create(s, "../x", "FROM a\n", NULL, NULL, &err), LMD_E_INVALID);
    lmd_store_entry *e = NULL;
    size_t n = 9;
    T_EQ_INT(lmd_store_list(s, &e, &n, NULL), LMD_OK);
    T_EQ_INT(n, 0);
    free(e);
    lmd_store_close(s);
    rm_rf(root);
}
