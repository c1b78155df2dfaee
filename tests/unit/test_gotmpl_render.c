/* test_gotmpl_render.c — renders Ollama's shipped Go templates (../shared/templates/go) with
 * the three conversations of Ollama's own test data and checks the output byte for byte
 * against Ollama's expected files (testdata/<name>.gotmpl/<case>).
 *
 * Also the C side of tests/cli/test_gotmpl_vs_go.sh: `test_gotmpl_render --render json|ollama
 * TEMPLATE DATA.json` prints the rendering (exit 0), or the error on stderr (exit 1). */
#define T_NO_MAIN
#include "t.h"

#include <dirent.h>

#include "template/gotmpl.h"

static int render_file(const char *mode, const char *tmpl_path, const char *data_path) {
    size_t tl;
    char *src = t_read_file(tmpl_path, &tl);
    if (!src) { fprintf(stderr, "cannot read %s\n", tmpl_path); return 2; }
    json_error_t je;
    json_t *data = json_load_file(data_path, JSON_DECODE_ANY, &je);
    if (!data) { fprintf(stderr, "%s: %s\n", data_path, je.text); free(src); return 2; }
    lmd_gotmpl *t = NULL;
    lmd_err err = { 0 };
    char *out = NULL;
    size_t n = 0;
    lmd_status st = lmd_gotmpl_parse(src, tl, "t", NULL, &t, &err);
    if (st == LMD_OK) {
        if (strcmp(mode, "json") == 0) st = lmd_gotmpl_render_json(t, data, &out, &n, &err);
        else st = lmd_gotmpl_render_ollama(t, data, &out, &n, &err);
    }
    if (st == LMD_OK) fwrite(out, 1, n, stdout);
    else fprintf(stderr, "%s\n", err.msg);
    free(out);
    lmd_gotmpl_free(t);
    json_decref(data);
    free(src);
    return st == LMD_OK ? 0 : 1;
}

/* The conversations of Ollama's template_test.go (written out here from its test data). */
static json_t *conversation(const char *name) {
    const char *sys = "{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},";
    const char *u1 = "{\"role\":\"user\",\"content\":\"Hello, how are you?\"}";
    const char *a1 = ",{\"role\":\"assistant\",\"content\":\"I'm doing great. How can I help you today?\"}"
                     ",{\"role\":\"user\",\"content\":\"I'd like to show off how chat templating works!\"}";
    char buf[1024];
    if (strcmp(name, "user") == 0) snprintf(buf, sizeof buf, "{\"messages\":[%s]}", u1);
    else if (strcmp(name, "user-assistant-user") == 0)
        snprintf(buf, sizeof buf, "{\"messages\":[%s%s]}", u1, a1);
    else snprintf(buf, sizeof buf, "{\"messages\":[%s%s%s]}", sys, u1, a1);
    return json_loads(buf, 0, NULL);
}

T_TEST(gotmpl_renders_every_shipped_template_as_ollama_expects) {
    const char *dir = t_shared("templates/go");
    DIR *d = opendir(dir);
    if (!d) T_SKIP("no ../shared/templates/go");
    char dir_copy[4096];
    snprintf(dir_copy, sizeof dir_copy, "%s", dir);
    struct dirent *e;
    int n_templates = 0, n_cases = 0;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl < 8 || strcmp(e->d_name + nl - 7, ".gotmpl") != 0) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir_copy, e->d_name);
        size_t tl;
        char *src = t_read_file(path, &tl);
        T_CHECK(src != NULL);
        if (!src) continue;
        lmd_gotmpl *t = NULL;
        lmd_err err = { 0 };
        if (lmd_gotmpl_parse(src, tl, e->d_name, NULL, &t, &err) != LMD_OK) {
            T_FAILF("%s: %s", e->d_name, err.msg);
            free(src);
            continue;
        }
        n_templates++;
        static const char *cases[] = { "user", "user-assistant-user", "system-user-assistant-user" };
        for (int c = 0; c < 3; c++) {
            char exp_path[4600];
            snprintf(exp_path, sizeof exp_path, "%s/testdata/%s/%s", dir_copy, e->d_name, cases[c]);
            size_t el;
            char *expected = t_read_file(exp_path, &el);
            if (!expected) continue;
            json_t *conv = conversation(cases[c]);
            char *out = NULL;
            size_t ol = 0;
            lmd_status st = lmd_gotmpl_render_ollama(t, conv, &out, &ol, &err);
            if (st != LMD_OK) T_FAILF("%s/%s: %s", e->d_name, cases[c], err.msg);
            else if (ol != el || memcmp(out, expected, el) != 0)
                T_FAILF("%s/%s: output differs:\n--- got\n%s\n--- want\n%s", e->d_name, cases[c],
                        out, expected);
            n_cases++;
            free(out);
            free(expected);
            json_decref(conv);
        }
        lmd_gotmpl_free(t);
        free(src);
    }
    closedir(d);
    T_CHECK(n_templates >= 20);
    T_CHECK(n_cases >= 60);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--render") == 0) return render_file(argv[2], argv[3], argv[4]);
    return t_run_all(argc, argv);
}
