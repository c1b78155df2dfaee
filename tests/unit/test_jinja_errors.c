/* test_jinja_errors.c — the Jinja interpreter's behaviour on bad and hostile templates:
 * syntax errors name line and column, unsupported features name themselves, caps hold. */
#include "t.h"

#include <jansson.h>

#include "template/jinja.h"

/* Parses and renders src with ctx_json; returns the status, copies the message / output. */
static lmd_status run(const char *src, const char *ctx_json, const lmd_jinja_limits *lim,
                      char *msg, size_t msg_cap, char **out) {
    lmd_err err;
    lmd_err_clear(&err);
    lmd_jinja *t = NULL;
    json_t *ctx = json_loads(ctx_json ? ctx_json : "{}", 0, NULL);
    lmd_status st = lmd_jinja_parse(src, strlen(src), lim, &t, &err);
    char *o = NULL;
    if (st == LMD_OK) st = lmd_jinja_render(t, ctx, &o, NULL, &err);
    if (st == LMD_OK) T_CHECK(o != NULL);
    else T_CHECK(t != NULL || st != LMD_OK);
    snprintf(msg, msg_cap, "%s", err.msg);
    if (out) *out = o;
    else free(o);
    lmd_jinja_free(t);
    json_decref(ctx);
    return st;
}

T_TEST(jinja_syntax_error_names_line_and_column) {
    char msg[256];
    T_EQ_INT(run("line one\n{% if x %}\n  {{ x + }}\n{% endif %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    T_CHECK(strstr(msg, "template:3:") != NULL);
    T_EQ_INT(run("{% for x in y %}{{ x }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    T_CHECK(strstr(msg, "endfor") != NULL);
    T_EQ_INT(run("{% endif %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    T_CHECK(strstr(msg, "template:1:4") != NULL);
    T_EQ_INT(run("{{ 'unterminated }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    T_EQ_INT(run("{# no end", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    T_EQ_INT(run("{{ x ]", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
}

T_TEST(jinja_unsupported_features_are_named) {
    char msg[256];
    T_EQ_INT(run("{% extends 'base.html' %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "extends") && strstr(msg, "template:1:4"));
    T_EQ_INT(run("{% include 'x' %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "include") != NULL);
    T_EQ_INT(run("\n {{ x | wordwrap(3) }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "wordwrap") && strstr(msg, "template:2:"));
    T_EQ_INT(run("{{ x is divisibleby3 }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_EQ_INT(run("{% for x in y recursive %}{% endfor %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "recursive") != NULL);
    T_EQ_INT(run("{% call f() %}x{% endcall %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "call") != NULL);
    T_EQ_INT(run("{{ '%x' % 1 }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_UNSUPPORTED);
    T_CHECK(strstr(msg, "%x") != NULL);
    T_EQ_INT(run("{% raw %}x", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
}

T_TEST(jinja_raise_exception_is_invalid_with_its_message) {
    char msg[256];
    T_EQ_INT(run("{{ raise_exception('Roles must alternate') }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_INVALID);
    T_CHECK(strstr(msg, "Roles must alternate") != NULL);
}

T_TEST(jinja_undefined_behaves_like_jinja2) {
    char msg[256], *out = NULL;
    T_EQ_INT(run("[{{ nope }}][{{ nope is defined }}][{{ d.missing }}][{{ none.x }}]", "{\"d\": {}}", NULL, msg, sizeof msg, &out), LMD_OK);
    T_EQ_STR(out, "[][False][][]");
    free(out);
    T_EQ_INT(run("{{ nope.attr }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_INVALID);
    T_CHECK(strstr(msg, "nope") != NULL);
    T_EQ_INT(run("{{ nope + 1 }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_INVALID);
}

T_TEST(jinja_loop_cap_stops_hostile_templates) {
    char msg[256];
    lmd_jinja_limits lim = { .max_loop_iterations = 1000 };
    T_EQ_INT(run("{% for i in range(100) %}{% for j in range(100) %}x{% endfor %}{% endfor %}", NULL, &lim, msg, sizeof msg, NULL), LMD_E_LIMIT);
    T_CHECK(strstr(msg, "loop") != NULL);
    T_EQ_INT(run("{% for i in range(1000000) %}{% endfor %}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_LIMIT);
}

T_TEST(jinja_output_cap_holds) {
    char msg[256];
    lmd_jinja_limits lim = { .max_output_bytes = 1000 };
    T_EQ_INT(run("{% for i in range(2000) %}ab{% endfor %}", NULL, &lim, msg, sizeof msg, NULL), LMD_E_LIMIT);
    T_EQ_INT(run("{{ 'x' * 100000 }}", NULL, &lim, msg, sizeof msg, NULL), LMD_E_LIMIT);
    T_EQ_INT(run("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                 NULL, &lim, msg, sizeof msg, NULL), LMD_E_LIMIT);
}

T_TEST(jinja_depth_cap_holds) {
    char msg[256];
    char src[4096] = "{{ ";
    for (int i = 0; i < 500; i++) strcat(src, "(");
    strcat(src, "1");
    for (int i = 0; i < 500; i++) strcat(src, ")");
    strcat(src, " }}");
    T_EQ_INT(run(src, NULL, NULL, msg, sizeof msg, NULL), LMD_E_LIMIT);
    char *deep = malloc(200 * 12 + 200 * 12 + 16);
    deep[0] = 0;
    for (int i = 0; i < 200; i++) strcat(deep, "{% if 1 %}");
    for (int i = 0; i < 200; i++) strcat(deep, "{% endif %}");
    T_EQ_INT(run(deep, NULL, NULL, msg, sizeof msg, NULL), LMD_E_LIMIT);
    free(deep);
    T_EQ_INT(run("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", NULL, NULL, msg, sizeof msg, NULL), LMD_E_LIMIT);
}

T_TEST(jinja_rejects_invalid_utf8_and_nul) {
    char msg[256];
    T_EQ_INT(run("ab\xff", NULL, NULL, msg, sizeof msg, NULL), LMD_E_FORMAT);
    lmd_jinja *t = NULL;
    lmd_err err;
    lmd_err_clear(&err);
    T_EQ_INT(lmd_jinja_parse("a\0b", 3, NULL, &t, &err), LMD_E_FORMAT);
    T_CHECK(t == NULL);
}

T_TEST(jinja_context_must_be_an_object) {
    lmd_jinja *t = NULL;
    lmd_err err;
    lmd_err_clear(&err);
    T_EQ_INT(lmd_jinja_parse("x", 1, NULL, &t, &err), LMD_OK);
    json_t *arr = json_array();
    char *out = NULL;
    T_EQ_INT(lmd_jinja_render(t, arr, &out, NULL, &err), LMD_E_INVALID);
    T_CHECK(out == NULL);
    json_decref(arr);
    lmd_jinja_free(t);
}
