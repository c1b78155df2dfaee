/* convert.c — Hugging Face llama-family safetensors folder -> GGUF (placeholder until the
 * converter lands: reports the folder as unsupported). */
#include <stdio.h>
#include <sys/stat.h>

#include "store/store_int.h"

bool lmd_hf_dir_is_model(const char *dir) {
    char p[LMD_STORE_PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/config.json", dir);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

lmd_status lmd_hf_convert(const char *dir, const char *out_path, bool want_f16, lmd_err *err) {
    return lmd_err_set(err, LMD_E_UNSUPPORTED, "%s: safetensors conversion not available yet",
                       dir);
}
