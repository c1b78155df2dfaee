/* test_jinja_chat.c — chat/ against llama.cpp: for every model in ../shared/golden/outputs
 * whose golden JSON has a chat_template section, load the GGUF's template (or the ChatML
 * fallback when it has none), render the same messages with add_generation_prompt, and
 * compare with llama.cpp's `rendered` text byte for byte (leading BOS text dropped, as
 * llama.cpp does before tokenizing). Golden source: outputs/<stem>.json, llama.cpp 0253fb21. */
#include "t.h"

#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "chat/chat.h"
#include "gguf/gguf.h"

/* python3-jinja2's rendering of template text with vars (HF's environment), or NULL. Used
 * where llama.cpp's golden came from its built-in (non-Jinja) formatter for the family. */
static char *render_python(const char *tmpl, const json_t *vars) {
    char tpath[] = "/tmp/lmd_jinja_chat_XXXXXX";
    int fd = mkstemp(tpath);
    if (fd < 0) return NULL;
    json_t *job = json_pack("{s:s, s:O}", "template", tmpl, "vars", vars);
    char *text = json_dumps(job, 0);
    json_decref(job);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; sys.path.insert(0, \"tests/golden\"); "
             "import test_jinja_ref as r; j = json.load(open(\"%s\")); "
             "sys.stdout.write(r.make_env().from_string(j[\"template\"]).render(**j[\"vars\"]))'",
             tpath);
    FILE *p = popen(cmd, "r");
    char *out = NULL;
    size_t n = 0, cap = 0;
    char buf[4096];
    size_t k;
    while (p && (k = fread(buf, 1, sizeof buf, p)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + n, buf, k);
        n += k;
    }
    if (out) out[n] = 0;
    if (!p || pclose(p) != 0) {
        free(out);
        out = NULL;
    }
    unlink(tpath);
    return out;
}

static bool find_model(const char *file, char *path, size_t cap) {
    const char *dirs[] = { "golden/models", "models", "models/stories260K" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, cap, "%s/%s", t_shared(dirs[i]), file);
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return true;
        }
    }
    return false;
}

T_TEST(chat_templates_render_as_llama_cpp_for_every_golden_model) {
    DIR *d = opendir(t_shared("golden/outputs"));
    if (!d) {
        T_FAILF("no %s", t_shared("golden/outputs"));
        return;
    }
    struct dirent *e;
    int n_checked = 0, n_chatml = 0, n_python = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
        char jpath[4096], mpath[4096];
        snprintf(jpath, sizeof jpath, "%s/%s", t_shared("golden/outputs"), e->d_name);
        json_t *gold = json_load_file(jpath, 0, NULL);
        json_t *ct = json_object_get(gold, "chat_template");
        const char *model = json_string_value(json_object_get(gold, "model_file"));
        if (!ct || !model || !json_is_true(json_object_get(ct, "supported"))) {
            json_decref(gold);
            continue;
        }
        if (!find_model(model, mpath, sizeof mpath)) {
            T_FAILF("%s: model file %s not found", e->d_name, model);
            json_decref(gold);
            continue;
        }
        lmd_err err;
        lmd_err_clear(&err);
        lmd_gguf *g = NULL;
        lmd_chat_template *t = NULL;
        char *out = NULL;
        if (lmd_gguf_open(mpath, NULL, &g, &err) != LMD_OK ||
            lmd_chat_template_from_gguf(g, &t, &err) != LMD_OK) {
            T_FAILF("%s: %s", mpath, err.msg);
        } else {
            bool has_template = json_is_string(json_object_get(ct, "template"));
            T_EQ_INT(lmd_chat_template_kind(t), has_template ? LMD_CHAT_JINJA : LMD_CHAT_CHATML);
            n_chatml += !has_template;
            lmd_chat_input in = {
                .messages = json_object_get(ct, "messages"),
                .add_generation_prompt = json_is_true(json_object_get(ct, "add_generation_prompt")),
                .strip_bos = true,
            };
            const char *want = json_string_value(json_object_get(ct, "rendered"));
            char *py = NULL;
            /* llama.cpp renders Llama-2 ([INST]) templates with its built-in formatter, which
             * drops the spaces around assistant turns and the <s> between them that the Jinja
             * text writes; there the reference is python3-jinja2 on the same template. */
            if (has_template && strstr(json_string_value(json_object_get(ct, "template")), "[INST]")) {
                json_t *vars = json_pack("{s:O, s:b, s:s, s:s, s:n}", "messages", json_object_get(ct, "messages"),
                                         "add_generation_prompt", (int)in.add_generation_prompt,
                                         "bos_token", lmd_chat_template_bos(t), "eos_token",
                                         lmd_chat_template_eos(t), "tools");
                py = render_python(lmd_chat_template_source(t), vars);
                json_decref(vars);
                size_t bl = strlen(lmd_chat_template_bos(t));
                if (py && bl && !strncmp(py, lmd_chat_template_bos(t), bl)) memmove(py, py + bl, strlen(py) - bl + 1);
                want = py;
                n_python++;
            }
            if (lmd_chat_apply(t, &in, &out, NULL, &err) != LMD_OK) {
                T_FAILF("%s: %s", model, err.msg);
            } else {
                if (!want || strcmp(out, want) != 0)
                    T_FAILF("%s: rendered differs\n  reference: %s\n  ours:      %s", model, want, out);
                n_checked++;
            }
            free(py);
        }
        free(out);
        lmd_chat_template_free(t);
        lmd_gguf_close(g);
        json_decref(gold);
    }
    closedir(d);
    T_CHECK(n_checked >= 20);
    T_CHECK(n_chatml >= 1);
    T_CHECK(n_python < n_checked);
}

T_TEST(chat_system_prompt_and_tools_reach_the_template) {
    const char *src = "{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}"
                      "{{ tools|tojson if tools else 'no-tools' }}{{ bos_token }}{{ eos_token }}"
                      "{% if add_generation_prompt %}>{% endif %}{{ extra_var }}";
    lmd_err err;
    lmd_err_clear(&err);
    lmd_chat_template *t = NULL;
    T_EQ_INT(lmd_chat_template_from_jinja(src, strlen(src), "<s>", "</s>", &t, &err), LMD_OK);
    json_t *msgs = json_loads("[{\"role\":\"user\",\"content\":\"hi\"}]", 0, NULL);
    json_t *tools = json_loads("[{\"type\":\"function\"}]", 0, NULL);
    json_t *extra = json_loads("{\"extra_var\":\"!\"}", 0, NULL);
    lmd_chat_input in = { .messages = msgs, .system = "be nice", .add_generation_prompt = true };
    char *out = NULL;
    T_EQ_INT(lmd_chat_apply(t, &in, &out, NULL, &err), LMD_OK);
    T_EQ_STR(out, "[system:be nice][user:hi]no-tools<s></s>>");
    free(out);
    in.tools = tools;
    in.extra = extra;
    in.add_generation_prompt = false;
    T_EQ_INT(lmd_chat_apply(t, &in, &out, NULL, &err), LMD_OK);
    T_EQ_STR(out, "[system:be nice][user:hi][{\"type\": \"function\"}]<s></s>!");
    free(out);
    json_t *bad = json_loads("[{\"content\":\"x\"}]", 0, NULL);
    in.messages = bad;
    T_EQ_INT(lmd_chat_apply(t, &in, &out, NULL, &err), LMD_E_INVALID);
    T_CHECK(out == NULL);
    json_decref(bad);
    json_decref(msgs);
    json_decref(tools);
    json_decref(extra);
    lmd_chat_template_free(t);
}

static lmd_status upper_renderer(void *ctx, const json_t *vars, char **out, size_t *out_len, lmd_err *err) {
    (void)err;
    const char *tag = ctx;
    json_t *m = json_array_get(json_object_get(vars, "messages"), 0);
    const char *c = json_string_value(json_object_get(m, "content"));
    size_t n = strlen(tag) + strlen(c);
    *out = malloc(n + 1);
    snprintf(*out, n + 1, "%s%s", tag, c);
    *out_len = n;
    return LMD_OK;
}

T_TEST(chat_custom_renderer_hook_is_used_and_owns_its_context) {
    lmd_err err;
    lmd_err_clear(&err);
    lmd_chat_template *t = NULL;
    char *ctx = strdup("go:");
    T_EQ_INT(lmd_chat_template_from_renderer(upper_renderer, ctx, free, "{{ .Prompt }}", &t, &err), LMD_OK);
    T_EQ_INT(lmd_chat_template_kind(t), LMD_CHAT_CUSTOM);
    T_EQ_STR(lmd_chat_template_source(t), "{{ .Prompt }}");
    json_t *msgs = json_loads("[{\"role\":\"user\",\"content\":\"hi\"}]", 0, NULL);
    lmd_chat_input in = { .messages = msgs };
    char *out = NULL;
    T_EQ_INT(lmd_chat_apply(t, &in, &out, NULL, &err), LMD_OK);
    T_EQ_STR(out, "go:hi");
    free(out);
    json_decref(msgs);
    lmd_chat_template_free(t);
}

T_TEST(chat_bad_template_in_text_is_reported_with_position) {
    lmd_err err;
    lmd_err_clear(&err);
    lmd_chat_template *t = NULL;
    const char *src = "{% for m in messages %}{{ m.content }";
    T_EQ_INT(lmd_chat_template_from_jinja(src, strlen(src), NULL, NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(t == NULL);
    T_CHECK(strstr(err.msg, "template:1:") != NULL);
}
