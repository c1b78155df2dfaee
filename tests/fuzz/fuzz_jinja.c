/* fuzz_jinja.c — libFuzzer target for the Jinja interpreter: any byte string, taken as a
 * template, must either fail to parse with a message or render against a fixed chat context
 * (or fail with a message); never crash, hang, leak or exceed its caps. Small caps keep each
 * run fast. Seeds: tests/fuzz/corpus/jinja/ (real chat templates). Run with make fuzz. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/jinja.h"

static json_t *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctx)
        ctx = json_loads("{\"messages\": [{\"role\": \"system\", \"content\": \"sys\"},"
                         "{\"role\": \"user\", \"content\": \"hi \\u00e9\"},"
                         "{\"role\": \"assistant\", \"content\": \"ok\", \"tool_calls\": [{\"type\": \"function\","
                         "\"function\": {\"name\": \"f\", \"arguments\": {\"a\": 1.5}}}]},"
                         "{\"role\": \"tool\", \"content\": \"r\"}],"
                         "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}],"
                         "\"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}",
                         0, NULL);
    lmd_jinja_limits lim = { .max_output_bytes = 1 << 16, .max_memory_bytes = 16 << 20,
                             .max_loop_iterations = 20000, .max_depth = 48, .now_epoch_s = 1 };
    lmd_jinja *t = NULL;
    lmd_err err;
    lmd_err_clear(&err);
    if (lmd_jinja_parse((const char *)data, size, &lim, &t, &err) != LMD_OK) {
        if (!err.msg[0]) abort();   /* every failure names itself */
        return 0;
    }
    char *out = NULL;
    size_t n = 0;
    lmd_err_clear(&err);
    lmd_status st = lmd_jinja_render(t, ctx, &out, &n, &err);
    if (st == LMD_OK && (!out || strlen(out) > n)) abort();
    if (st != LMD_OK && (out || !err.msg[0])) abort();
    free(out);
    lmd_jinja_free(t);
    return 0;
}
