/* fuzz_manifest.c — libFuzzer target: manifest parsing (registry answers, store files) and
 * re-serialization of whatever parses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lmd_store_manifest m;
    if (lmd_store_manifest_parse((const char *)data, size, "fuzz", &m, NULL) == LMD_OK) {
        char *out = NULL;
        size_t len = 0;
        lmd_store_manifest_dump(&m, &out, &len, NULL);
        free(out);
        lmd_store_manifest_free(&m);
    }
    lmd_store_name n;
    char name[512];
    size_t k = size < sizeof name - 1 ? size : sizeof name - 1;
    for (size_t i = 0; i < k; i++) name[i] = data[i] ? (char)data[i] : 'x';
    name[k] = '\0';
    lmd_store_name_parse(name, &n, NULL);
    lmd_store_digest_valid(name);
    return 0;
}
