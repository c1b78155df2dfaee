/* fuzz_modelfile.c — libFuzzer target: the Modelfile parser and the params JSON it builds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lmd_modelfile mf;
    if (lmd_modelfile_parse((const char *)data, size, &mf, NULL) == LMD_OK) {
        char *params = NULL;
        lmd_modelfile_params_json(&mf, NULL, &params, NULL);
        free(params);
        lmd_modelfile_free(&mf);
    }
    return 0;
}
