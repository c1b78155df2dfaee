/* test_gotmpl_errors.c — the Go-template interpreter on bad and hostile input: parse errors
 * name line:col, unsupported features say so, every cap (source size, nesting, template
 * recursion, output size, evaluation steps) stops with LMD_E_LIMIT, and wrong value types
 * from a caller are rejected naming the field. Nothing here may crash or leak (ASan). */
#include "t.h"

#include "template/gotmpl.h"

static lmd_status parse_s(const char *src, const lmd_gotmpl_limits *lim, lmd_gotmpl **t, lmd_err *err) {
    lmd_err_clear(err);
    return lmd_gotmpl_parse(src, strlen(src), "t", lim, t, err);
}

/* Parses and renders src over JSON text; returns the status, output in *out (caller frees). */
static lmd_status render(const char *src, const char *json, bool ollama, const lmd_gotmpl_limits *lim,
                         char **out, lmd_err *err) {
    lmd_gotmpl *t = NULL;
    *out = NULL;
    lmd_status st = parse_s(src, lim, &t, err);
    if (st != LMD_OK) return st;
    json_t *data = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    st = ollama ? lmd_gotmpl_render_ollama(t, data, out, NULL, err)
                : lmd_gotmpl_render_json(t, data, out, NULL, err);
    json_decref(data);
    lmd_gotmpl_free(t);
    return st;
}

T_TEST(gotmpl_parse_error_names_line_and_column) {
    lmd_gotmpl *t = NULL;
    lmd_err err;
    T_EQ_INT(parse_s("line one\n{{ if .x }}\n  {{ .y ", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(t == NULL);
    T_CHECK(strstr(err.msg, "t:3:") != NULL);
    T_CHECK(strstr(err.msg, "unclosed action") != NULL);
    T_EQ_INT(parse_s("{{ if .x }}open", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "unexpected EOF") != NULL);
    T_EQ_INT(parse_s("ok\n  {{ end }}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "t:2:") != NULL && strstr(err.msg, "{{end}}") != NULL);
}

T_TEST(gotmpl_rejects_undefined_variables_and_functions_at_parse) {
    lmd_gotmpl *t = NULL;
    lmd_err err;
    T_EQ_INT(parse_s("{{ $x }}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "undefined variable \"$x\"") != NULL);
    T_EQ_INT(parse_s("{{ frobnicate 1 }}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "function \"frobnicate\" not defined") != NULL);
    T_EQ_INT(parse_s("{{ html .x }}", NULL, &t, &err), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(err.msg, "not supported") != NULL);
    T_EQ_INT(parse_s("{{ break }}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "outside {{range}}") != NULL);
    T_EQ_INT(parse_s("{{ range .x }}{{ $i := 1 }}{{ end }}{{ $i }}", NULL, &t, &err), LMD_E_FORMAT);
    T_EQ_INT(parse_s("{{ \"bad \\q escape\" }}", NULL, &t, &err), LMD_E_FORMAT);
    T_EQ_INT(parse_s("{{ 1 | 2 }}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "non executable command") != NULL);
    T_EQ_INT(parse_s("{{ 99999999999999999999 }}", NULL, &t, &err), LMD_E_FORMAT);
    T_EQ_INT(parse_s("{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}", NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(strstr(err.msg, "multiple definition") != NULL);
}

T_TEST(gotmpl_caps_source_size_and_nesting) {
    lmd_gotmpl *t = NULL;
    lmd_err err;
    lmd_gotmpl_limits small = { .max_source_bytes = 8 };
    T_EQ_INT(parse_s("{{ .Prompt }}", &small, &t, &err), LMD_E_LIMIT);
    /* 300 nested ifs and 300 nested parentheses against the default depth of 100 */
    char *deep = malloc(300 * 24 + 1), *p = deep;
    for (int i = 0; i < 300; i++) p += sprintf(p, "{{if .x}}");
    for (int i = 0; i < 300; i++) p += sprintf(p, "{{end}}");
    T_EQ_INT(parse_s(deep, NULL, &t, &err), LMD_E_LIMIT);
    T_CHECK(strstr(err.msg, "nesting deeper") != NULL);
    p = deep;
    p += sprintf(p, "{{ ");
    for (int i = 0; i < 300; i++) *p++ = '(';
    p += sprintf(p, "1");
    for (int i = 0; i < 300; i++) *p++ = ')';
    sprintf(p, " }}");
    T_EQ_INT(parse_s(deep, NULL, &t, &err), LMD_E_LIMIT);
    free(deep);
}

T_TEST(gotmpl_caps_recursion_output_and_steps) {
    char *out;
    lmd_err err;
    T_EQ_INT(render("{{define \"r\"}}x{{template \"r\" .}}{{end}}{{template \"r\" .}}", "{}", false,
                    NULL, &out, &err), LMD_E_LIMIT);
    T_CHECK(out == NULL);
    T_CHECK(strstr(err.msg, "nested deeper") != NULL);
    lmd_gotmpl_limits lim = { .max_output_bytes = 100 };
    T_EQ_INT(render("{{range .}}0123456789{{end}}", "[1,2,3,4,5,6,7,8,9,10,11]", false, &lim, &out,
                    &err), LMD_E_LIMIT);
    T_CHECK(out == NULL);
    lmd_gotmpl_limits steps = { .max_steps = 1000 };
    T_EQ_INT(render("{{range .}}{{range $}}{{range $}}{{end}}{{end}}{{end}}",
                    "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]", false, &steps, &out, &err),
             LMD_E_LIMIT);
    T_CHECK(strstr(err.msg, "steps") != NULL);
    /* the same template within its caps renders */
    T_EQ_INT(render("{{range .}}{{.}}{{end}}", "[1,2]", false, &lim, &out, &err), LMD_OK);
    T_EQ_STR(out, "12");
    free(out);
}

T_TEST(gotmpl_execution_errors_name_position) {
    char *out;
    lmd_err err;
    T_EQ_INT(render("ok\n{{ .a.b }}", "{\"a\": null}", false, NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "t:2:4") != NULL && strstr(err.msg, "nil pointer") != NULL);
    T_EQ_INT(render("{{ index .l 3 }}", "{\"l\": [1]}", false, NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "index out of range") != NULL);
    T_EQ_INT(render("{{ eq .n 1 }}", "{\"n\": 1}", false, NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "incompatible types") != NULL);
    T_EQ_INT(render("{{ template \"nope\" }}", "{}", false, NULL, &out, &err), LMD_E_INVALID);
}

T_TEST(gotmpl_renders_nothing_and_no_value) {
    char *out;
    lmd_err err;
    T_EQ_INT(render("", "{}", false, NULL, &out, &err), LMD_OK);
    T_EQ_STR(out, "");
    free(out);
    T_EQ_INT(render("[{{ . }}][{{ .x }}]", NULL, false, NULL, &out, &err), LMD_OK);
    T_EQ_STR(out, "[<no value>][<no value>]");
    free(out);
    /* bytes that are not UTF-8 and NULs in text pass through untouched */
    lmd_gotmpl *t = NULL;
    const char src[] = "a\0b\xff{{ .x }}";
    T_EQ_INT(lmd_gotmpl_parse(src, sizeof src - 1, NULL, NULL, &t, &err), LMD_OK);
    json_t *d = json_pack("{s:s}", "x", "y");
    size_t n = 0;
    T_EQ_INT(lmd_gotmpl_render_json(t, d, &out, &n, &err), LMD_OK);
    T_EQ_INT(n, 5);
    T_CHECK(out && memcmp(out, "a\0b\xffy", 5) == 0);
    free(out);
    json_decref(d);
    lmd_gotmpl_free(t);
}

T_TEST(gotmpl_ollama_values_reject_wrong_types) {
    char *out;
    lmd_err err;
    T_EQ_INT(render("{{ .Messages }}", "{\"messages\": {}}", true, NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "messages") != NULL);
    T_EQ_INT(render("{{ .Messages }}", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", true,
                    NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "messages[0].content") != NULL);
    T_EQ_INT(render("{{ .Messages }}", "{\"tools\": [{\"function\": {\"parameters\": {\"properties\": "
                    "{\"a\": {\"type\": 3}}}}}]}", true, NULL, &out, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "tools[0].function.parameters.properties.a.type") != NULL);
    T_EQ_INT(render("{{ .Messages }}", "[1]", true, NULL, &out, &err), LMD_E_INVALID);
}

T_TEST(gotmpl_uses_finds_fields_and_variables_like_ollama) {
    lmd_gotmpl *t = NULL;
    lmd_err err;
    T_EQ_INT(parse_s("{{ range $i, $m := $.Messages }}{{ $m.Content }}{{ end }}", NULL, &t, &err), LMD_OK);
    T_CHECK(lmd_gotmpl_uses(t, "messages"));
    T_CHECK(lmd_gotmpl_uses(t, "content"));
    T_CHECK(!lmd_gotmpl_uses(t, "response"));
    lmd_gotmpl_free(t);
    /* Ollama's walk does not enter chains: (index .Messages 0).Content hides .Messages */
    T_EQ_INT(parse_s("{{ (index .Messages 0).Content }}", NULL, &t, &err), LMD_OK);
    T_CHECK(!lmd_gotmpl_uses(t, "messages"));
    lmd_gotmpl_free(t);
}

T_TEST(gotmpl_ollama_legacy_path_cuts_after_response) {
    char *out;
    lmd_err err;
    const char *tmpl = "{{ if .System }}S:{{ .System }} {{ end }}U:{{ .Prompt }} A:{{ .Response }}|";
    T_EQ_INT(render(tmpl, "{\"messages\": [{\"role\": \"system\", \"content\": \"sys\"},"
                    "{\"role\": \"user\", \"content\": \"q1\"}, {\"role\": \"assistant\", \"content\": \"a1\"},"
                    "{\"role\": \"user\", \"content\": \"q2\"}]}", true, NULL, &out, &err), LMD_OK);
    /* history turns render whole; the last stops right after .Response */
    T_EQ_STR(out, "S:sys U:q1 A:a1|U:q2 A:");
    free(out);
}
