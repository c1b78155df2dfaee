/* fuzz_request.c — libFuzzer target for what the server does with request bytes before a
 * model sees them: JSON bodies through the field readers the handlers use (model, prompt,
 * messages, stream, keep_alive, options merged over model params), OpenAI-style stop lists,
 * Go duration strings, and listen addresses (LMD_HOST). The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"
#include "server/server.h"

static void fuzz_body(const uint8_t *data, size_t size) {
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!req) return;
    lmd_jf f = { 0 };
    (void)lmd_jf_str(&f, req, "model", NULL);
    (void)lmd_jf_str(&f, req, "prompt", "");
    (void)lmd_jf_str(&f, req, "system", NULL);
    (void)lmd_jf_bool(&f, req, "stream", 1);
    (void)lmd_jf_int(&f, req, "n", 1);
    (void)lmd_jf_num(&f, req, "temperature", 0.8);
    (void)lmd_jf_arr(&f, req, "messages");
    (void)lmd_jf_duration_ms(&f, req, "keep_alive", 300000);
    const json_t *so = lmd_jf_obj(&f, req, "stream_options");
    if (so) (void)lmd_jf_bool(&f, so, "include_usage", 0);
    /* options over "model params" (the body itself plays the model's params layer) */
    lmd_jf f2 = { 0 };
    lmd_gen_opts o;
    lmd_gen_opts_parse(&f2, req, json_object_get(req, "options"), &o);
    if (!f2.failed) {
        if (o.n_stops > LMD_MAX_STOPS) abort();
        for (int i = 0; i < o.n_stops; i++)
            if (!o.stops[i] || !o.stops[i][0]) abort();
    }
    lmd_gen_opts_free(&o);
    json_decref(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t which = data[0] % 3;
    data++;
    size--;
    if (which == 0) {
        fuzz_body(data, size);
        return 0;
    }
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (which == 1) {
        int64_t ms;
        (void)lmd_parse_duration_ms(s, &ms);
    } else {
        struct sockaddr_storage addr;
        socklen_t len;
        /* only numeric hosts: a name would make the fuzzer wait on DNS */
        if (!strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            (void)lmd_server_parse_host(s, &addr, &len, NULL);
    }
    free(s);
    return 0;
}
