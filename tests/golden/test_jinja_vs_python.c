/* test_jinja_vs_python.c — renders every chat template in ../shared (templates/jinja,
 * tokenizer_config.json files, GGUF tokenizer.chat_template) with every context in
 * test_jinja_contexts.json, and compares with python3-jinja2 rendering the same in HF's
 * environment (test_jinja_ref.py). Metric: output bytes identical; when Python raises (e.g.
 * raise_exception for an unsupported conversation) we must fail too. One test per template.
 *
 * Also a helper: `golden_test_jinja_vs_python --render TEMPLATE_FILE CONTEXT_JSON_FILE`
 * prints our rendering (exit 0), or the error (exit 1/2). */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template/jinja.h"

/* Templates that use something outside the subset on purpose; none so far. A template listed
 * here passes when we fail with LMD_E_UNSUPPORTED, naming the feature. */
static const char *const OUT_OF_SCOPE[] = { NULL };

static int64_t fixed_now(void) {
    const char *s = getenv("LMD_JINJA_NOW");
    return s ? strtoll(s, NULL, 10) : 1735732800;
}

static char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf && !(buf = calloc(1, 1))) return NULL;
    buf[len] = 0;
    *len_out = len;
    return buf;
}

static int render_one(const char *tmpl_path, const char *ctx_path) {
    size_t n;
    char *src = read_file(tmpl_path, &n);
    if (!src) {
        fprintf(stderr, "cannot read %s\n", tmpl_path);
        return 2;
    }
    json_error_t je;
    json_t *ctx = json_load_file(ctx_path, 0, &je);
    if (!ctx) {
        fprintf(stderr, "%s:%d:%d: %s\n", ctx_path, je.line, je.column, je.text);
        free(src);
        return 2;
    }
    lmd_jinja_limits lim = { .now_epoch_s = fixed_now() };
    lmd_jinja *t = NULL;
    lmd_err err;
    lmd_err_clear(&err);
    char *out = NULL;
    size_t out_n = 0;
    lmd_status st = lmd_jinja_parse(src, n, &lim, &t, &err);
    if (st == LMD_OK) st = lmd_jinja_render(t, ctx, &out, &out_n, &err);
    if (st == LMD_OK) fwrite(out, 1, out_n, stdout);
    else fprintf(stderr, "%s\n", err.msg);
    free(out);
    lmd_jinja_free(t);
    json_decref(ctx);
    free(src);
    return st == LMD_OK ? 0 : lmd_status_exit_code(st);
}

static void show_diff(const char *want, const char *got, size_t got_n) {
    size_t i = 0, wn = strlen(want);
    while (i < wn && i < got_n && want[i] == got[i]) i++;
    size_t from = i > 60 ? i - 60 : 0;
    fprintf(stderr, "    first difference at byte %zu (python %zu bytes, ours %zu)\n", i, wn, got_n);
    fprintf(stderr, "    python: %.*s\n", (int)((wn - from) > 160 ? 160 : wn - from), want + from);
    fprintf(stderr, "    ours:   %.*s\n", (int)((got_n - from) > 160 ? 160 : got_n - from), got + from);
}

static bool out_of_scope(const char *name) {
    for (int i = 0; OUT_OF_SCOPE[i]; i++)
        if (strstr(name, OUT_OF_SCOPE[i])) return true;
    return false;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--render")) return render_one(argv[2], argv[3]);
    setenv("TZ", "UTC", 1);
    tzset();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "python3 %s", "tests/golden/test_jinja_ref.py");
    FILE *p = popen(cmd, "r");
    if (!p) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0, cases = 0, identical = 0, both_failed = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    char cur_name[512] = "";
    int cur_bad = 0, cur_cases = 0;
    lmd_jinja *t = NULL;
    lmd_err parse_err;
    lmd_status parse_st = LMD_OK;
    lmd_jinja_limits lim = { .now_epoch_s = fixed_now() };
    while ((len = getline(&line, &cap, p)) > 0) {
        json_error_t je;
        json_t *rec = json_loadb(line, (size_t)len, 0, &je);
        if (!rec) {
            fprintf(stderr, "bad line from test_jinja_ref.py: %s\n", je.text);
            failed++;
            continue;
        }
        const char *name = json_string_value(json_object_get(rec, "name"));
        const char *cname = json_string_value(json_object_get(rec, "context"));
        json_t *tj = json_object_get(rec, "template");
        if (!name || !cname || !json_is_string(tj)) { json_decref(rec); failed++; continue; }
        if (strcmp(name, cur_name) != 0) {
            if (cur_name[0]) {
                if (cur_bad) { failed++; fprintf(stderr, "FAIL %s (%d of %d contexts differ)\n", cur_name, cur_bad, cur_cases); }
                else { passed++; fprintf(stderr, "ok   %s (%d contexts)\n", cur_name, cur_cases); }
            }
            snprintf(cur_name, sizeof cur_name, "%s", name);
            cur_bad = cur_cases = 0;
            lmd_jinja_free(t);
            t = NULL;
            lmd_err_clear(&parse_err);
            parse_st = lmd_jinja_parse(json_string_value(tj), json_string_length(tj), &lim, &t, &parse_err);
        }
        cur_cases++;
        cases++;
        bool py_ok = json_is_true(json_object_get(rec, "ok"));
        char *out = NULL;
        size_t out_n = 0;
        lmd_err err = parse_err;
        lmd_status st = parse_st;
        if (st == LMD_OK) {
            lmd_err_clear(&err);
            st = lmd_jinja_render(t, json_object_get(rec, "vars"), &out, &out_n, &err);
        }
        if (py_ok && st == LMD_OK) {
            const char *want = json_string_value(json_object_get(rec, "output"));
            if (want && strlen(want) == out_n && !memcmp(want, out, out_n)) {
                identical++;
            } else {
                cur_bad++;
                fprintf(stderr, "  %s / %s: output differs\n", name, cname);
                if (want) show_diff(want, out, out_n);
            }
        } else if (!py_ok && st != LMD_OK) {
            both_failed++;
            if (getenv("T_VERBOSE"))
                fprintf(stderr, "  %s / %s: both fail: python %s | ours %s\n", name, cname,
                        json_string_value(json_object_get(rec, "error")), err.msg);
        } else if (py_ok && st == LMD_E_UNSUPPORTED && out_of_scope(name)) {
            fprintf(stderr, "  %s / %s: out of scope: %s\n", name, cname, err.msg);
        } else {
            cur_bad++;
            fprintf(stderr, "  %s / %s: python %s, ours %s\n", name, cname,
                    py_ok ? "renders" : json_string_value(json_object_get(rec, "error")),
                    st == LMD_OK ? "renders" : err.msg);
        }
        free(out);
        json_decref(rec);
    }
    if (cur_name[0]) {
        if (cur_bad) { failed++; fprintf(stderr, "FAIL %s (%d of %d contexts differ)\n", cur_name, cur_bad, cur_cases); }
        else { passed++; fprintf(stderr, "ok   %s (%d contexts)\n", cur_name, cur_cases); }
    }
    lmd_jinja_free(t);
    free(line);
    int rc = pclose(p);
    if (rc != 0 || cases == 0) {
        fprintf(stderr, "test_jinja_ref.py failed (exit %d) or produced no cases\n", rc);
        failed++;
    }
    fprintf(stderr, "%d cases: %d identical, %d failing in both\n", cases, identical, both_failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
