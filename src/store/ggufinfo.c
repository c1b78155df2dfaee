/* ggufinfo.c — the few facts the store needs from a GGUF file (architecture, file type,
 * parameter count, context and embedding length) for config blobs and `lmd show`, and the
 * model's capabilities as Ollama derives them. */
#include <stdio.h>
#include <string.h>

#include "gguf/gguf.h"
#include "store/store_int.h"

const char *lmd_store_file_type_name(uint64_t ftype) {
    /* llama.cpp's enum llama_ftype (ids 4-6 were removed). */
    static const char *names[] = {
        [0] = "F32",     [1] = "F16",     [2] = "Q4_0",    [3] = "Q4_1",    [7] = "Q8_0",
        [8] = "Q5_0",    [9] = "Q5_1",    [10] = "Q2_K",   [11] = "Q3_K_S", [12] = "Q3_K_M",
        [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M", [16] = "Q5_K_S", [17] = "Q5_K_M",
        [18] = "Q6_K",   [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S", [22] = "IQ3_XS",
        [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S",  [27] = "IQ3_M",
        [28] = "IQ2_S",  [29] = "IQ2_M",  [30] = "IQ4_XS", [31] = "IQ1_M",  [32] = "BF16",
        [36] = "TQ1_0",  [37] = "TQ2_0",  [38] = "MXFP4",
    };
    if (ftype >= sizeof names / sizeof names[0]) return NULL;
    return names[ftype];
}

/* Ollama's format.HumanNumber. */
static void human_number(uint64_t n, char *buf, size_t cap) {
    if (n >= 1000000000ull) snprintf(buf, cap, "%.1fB", (double)n / 1e9);
    else if (n >= 1000000ull) snprintf(buf, cap, "%.1fM", (double)n / 1e6);
    else if (n >= 1000ull) snprintf(buf, cap, "%.1fK", (double)n / 1e3);
    else snprintf(buf, cap, "%llu", (unsigned long long)n);
}

lmd_status lmd_store_gguf_info_read(const char *path, lmd_store_gguf_info *out, lmd_err *err) {
    memset(out, 0, sizeof *out);
    lmd_gguf *g = NULL;
    lmd_status st = lmd_gguf_open(path, NULL, &g, err);
    if (st != LMD_OK) return st;
    lmd_str arch = { 0 };
    if (lmd_gguf_get_str(g, "general.architecture", &arch, NULL) == LMD_OK)
        snprintf(out->architecture, sizeof out->architecture, "%.*s", (int)arch.len, arch.ptr);
    uint64_t ft;
    int64_t counts[LMD_TYPE_COUNT] = { 0 };
    for (int64_t i = 0; i < lmd_gguf_n_tensors(g); i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        uint64_t ne = 1;
        for (int d = 0; d < t->n_dims; d++) ne *= (uint64_t)t->ne[d];
        out->n_params += ne;
        if ((unsigned)t->type < LMD_TYPE_COUNT && t->n_dims >= 2) counts[t->type] += (int64_t)ne;
    }
    const char *ftn = NULL;
    if (lmd_gguf_get_uint(g, "general.file_type", &ft, NULL) == LMD_OK)
        ftn = lmd_store_file_type_name(ft);
    if (ftn) {
        snprintf(out->file_type, sizeof out->file_type, "%s", ftn);
    } else { /* no file_type key: name the type holding most matrix weights */
        int best = 0;
        for (int t = 1; t < LMD_TYPE_COUNT; t++)
            if (counts[t] > counts[best]) best = t;
        snprintf(out->file_type, sizeof out->file_type, "%s", lmd_type_name((lmd_type)best));
    }
    human_number(out->n_params, out->parameter_size, sizeof out->parameter_size);
    char key[160];
    snprintf(key, sizeof key, "%s.context_length", out->architecture);
    lmd_gguf_get_uint(g, key, &out->context_length, NULL);
    snprintf(key, sizeof key, "%s.embedding_length", out->architecture);
    lmd_gguf_get_uint(g, key, &out->embedding_length, NULL);
    snprintf(key, sizeof key, "%s.pooling_type", out->architecture);
    out->is_embedding = lmd_gguf_get(g, key) != NULL;
    out->has_chat_template = lmd_gguf_get(g, "tokenizer.chat_template") != NULL;
    lmd_gguf_close(g);
    return LMD_OK;
}

int lmd_store_capabilities(const lmd_store_model *m, const lmd_store_gguf_info *info,
                           const char *names[8]) {
    int n = 0;
    if (info && info->is_embedding) names[n++] = "embedding";
    else names[n++] = "completion";
    const char *t = m ? m->template_text : NULL;
    if (t && strstr(t, ".Tools")) names[n++] = "tools";
    if (t && strstr(t, ".Suffix")) names[n++] = "insert";
    if (m && m->projector_path) names[n++] = "vision";
    return n;
}
