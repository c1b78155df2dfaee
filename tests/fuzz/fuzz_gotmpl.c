/* fuzz_gotmpl.c — libFuzzer target for the Go-template interpreter. The input is split at
 * the first NUL: template text before it, JSON data after it. Each input is parsed, then
 * rendered over the data both plainly and as Ollama values, with small caps so runaway
 * templates stop fast. Any crash, leak or sanitizer report is a bug; errors are fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/gotmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t tl = nul ? (size_t)(nul - data) : size;
    lmd_gotmpl_limits lim = { .max_output_bytes = 1 << 16, .max_depth = 32, .max_steps = 20000 };
    lmd_gotmpl *t = NULL;
    lmd_err err = { 0 };
    if (lmd_gotmpl_parse((const char *)data, tl, "fuzz", &lim, &t, &err) != LMD_OK) return 0;
    json_t *j = NULL;
    if (nul) j = json_loadb((const char *)nul + 1, size - tl - 1, JSON_DECODE_ANY, NULL);
    char *out = NULL;
    if (lmd_gotmpl_render_json(t, j, &out, NULL, &err) == LMD_OK) free(out);
    out = NULL;
    if (lmd_gotmpl_render_ollama(t, j, &out, NULL, &err) == LMD_OK) free(out);
    (void)lmd_gotmpl_uses(t, "messages");
    json_decref(j);
    lmd_gotmpl_free(t);
    return 0;
}
