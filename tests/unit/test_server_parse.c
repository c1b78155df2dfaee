/* test_server_parse.c — request-side parsers of the server: listen addresses (LMD_HOST),
 * Go durations (keep_alive), typed JSON field readers and their 400 messages, option
 * merging (model params under request options, Ollama defaults), stop lists. */
#include "t.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "server/gen.h"
#include "server/server.h"

static int port_of(const struct sockaddr_storage *a) {
    if (a->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)a)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

T_TEST(server_parses_listen_addresses_like_ollama_host) {
    struct sockaddr_storage a;
    socklen_t n;
    T_EQ_INT(lmd_server_parse_host("127.0.0.1:8080", &a, &n, NULL), LMD_OK);
    T_EQ_INT(a.ss_family, AF_INET);
    T_EQ_INT(port_of(&a), 8080);
    T_EQ_INT(lmd_server_parse_host("[::1]:9", &a, &n, NULL), LMD_OK);
    T_EQ_INT(a.ss_family, AF_INET6);
    T_EQ_INT(port_of(&a), 9);
    T_EQ_INT(lmd_server_parse_host("http://0.0.0.0", &a, &n, NULL), LMD_OK);
    T_EQ_INT(port_of(&a), 11434);
    T_EQ_INT(lmd_server_parse_host(":1234", &a, &n, NULL), LMD_OK);
    T_EQ_INT(port_of(&a), 1234);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_server_parse_host("127.0.0.1:99999", &a, &n, &err), LMD_E_INVALID);
    T_CHECK(strstr(err.msg, "99999") != NULL);
    lmd_err_clear(&err);
    T_EQ_INT(lmd_server_parse_host("[::1:80", &a, &n, &err), LMD_E_INVALID);
    T_EQ_INT(lmd_server_parse_host("127.0.0.1:x", &a, &n, NULL), LMD_E_INVALID);
}

T_TEST(server_parses_go_durations) {
    int64_t ms = 0;
    T_EQ_INT(lmd_parse_duration_ms("5m", &ms), 0);
    T_EQ_INT(ms, 300000);
    T_EQ_INT(lmd_parse_duration_ms("1h30m", &ms), 0);
    T_EQ_INT(ms, 5400000);
    T_EQ_INT(lmd_parse_duration_ms("250ms", &ms), 0);
    T_EQ_INT(ms, 250);
    T_EQ_INT(lmd_parse_duration_ms("1.5s", &ms), 0);
    T_EQ_INT(ms, 1500);
    T_EQ_INT(lmd_parse_duration_ms("-1", &ms), 0);
    T_CHECK(ms < 0);
    T_EQ_INT(lmd_parse_duration_ms("300", &ms), 0);
    T_EQ_INT(ms, 300000);
    T_EQ_INT(lmd_parse_duration_ms("5 m", &ms), -1);
    T_EQ_INT(lmd_parse_duration_ms("5x", &ms), -1);
    T_EQ_INT(lmd_parse_duration_ms("", &ms), -1);
}

T_TEST(server_field_readers_name_the_field_and_keep_the_first_error) {
    json_t *o = json_loads("{\"a\":\"s\",\"b\":1.5,\"c\":2.0,\"d\":null,\"e\":true}", 0, NULL);
    lmd_jf f = { 0 };
    T_EQ_STR(lmd_jf_str(&f, o, "a", NULL), "s");
    T_EQ_INT(lmd_jf_int(&f, o, "c", 0), 2);
    T_EQ_INT(lmd_jf_int(&f, o, "d", 7), 7);   /* null is absent */
    T_CHECK(!f.failed);
    T_EQ_INT(lmd_jf_int(&f, o, "b", 9), 9);   /* 1.5 is not an integer */
    T_CHECK(f.failed);
    T_EQ_STR(f.param, "b");
    T_CHECK(strstr(f.msg, "\"b\"") && strstr(f.msg, "integer"));
    (void)lmd_jf_str(&f, o, "e", NULL);        /* second error: first one kept */
    T_EQ_STR(f.param, "b");
    lmd_jf g = { 0 };
    T_EQ_INT(lmd_jf_duration_ms(&g, o, "c", 0), 2000);
    T_EQ_INT(lmd_jf_duration_ms(&g, o, "a", 0), 0);
    T_CHECK(g.failed && strstr(g.msg, "duration"));
    json_decref(o);
}

T_TEST(server_options_merge_defaults_model_params_and_request) {
    json_t *params = json_loads("{\"temperature\":0.2,\"stop\":[\"<end>\"],\"top_k\":5}", 0, NULL);
    json_t *opts = json_loads("{\"top_k\":7,\"num_predict\":12,\"stop\":\"X\"}", 0, NULL);
    lmd_jf f = { 0 };
    lmd_gen_opts o;
    lmd_gen_opts_parse(&f, params, opts, &o);
    T_CHECK(!f.failed);
    T_NEAR(o.sp.temperature, 0.2, 1e-6);   /* from the model */
    T_EQ_INT(o.sp.top_k, 7);                /* request wins */
    T_NEAR(o.sp.top_p, 0.9, 1e-6);          /* Ollama's default */
    T_NEAR(o.sp.repeat_penalty, 1.1, 1e-6);
    T_EQ_INT(o.num_predict, 12);
    T_EQ_INT(o.n_stops, 1);
    T_EQ_STR(o.stops[0], "X");
    lmd_gen_opts_free(&o);
    json_decref(opts);
    opts = json_loads("{\"stop\":[\"a\",3]}", 0, NULL);
    lmd_jf g = { 0 };
    lmd_gen_opts_parse(&g, NULL, opts, &o);
    T_CHECK(g.failed);
    T_EQ_STR(g.param, "stop");
    lmd_gen_opts_free(&o);
    json_decref(opts);
    opts = json_loads("{\"temperature\":-1}", 0, NULL);
    lmd_jf h = { 0 };
    lmd_gen_opts_parse(&h, NULL, opts, &o);
    T_CHECK(h.failed);
    lmd_gen_opts_free(&o);
    json_decref(opts);
    json_decref(params);
}
