/* fuzz_safetensors.c — libFuzzer target: the safetensors header reader; every tensor that
 * validates is read end to end so a bad offset would show up under ASan. */
#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lmd_st_file f;
    if (lmd_st_parse(data, size, "fuzz", &f, NULL) == LMD_OK) {
        volatile float sink = 0;
        for (int64_t i = 0; i < f.n; i++)
            if (f.t[i].n_elems) sink += lmd_st_get(&f.t[i], f.t[i].n_elems - 1) + lmd_st_get(&f.t[i], 0);
        (void)sink;
        lmd_st_close(&f);
    }
    return 0;
}
