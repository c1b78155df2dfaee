/* quantize.c — `lmd quantize IN.gguf OUT.gguf TYPE [--pure] [--allow-requantize]`.
 *
 * Writes a copy of a model with its weights converted to TYPE, choosing each tensor's type
 * the way llama-quantize (llama.cpp 0253fb21, src/llama-quant.cpp) does, so the same input
 * gives the same per-tensor mix: which tensors may be quantized at all (2-D+ "*weight", not
 * norms, gates of experts, ...), the output/tied-embedding rule (Q6_K unless Q8_0), the
 * "use more bits" layers for attn_v / ffn_down in the _M mixes, and the fallbacks for rows
 * that are not a multiple of the block size. Tensors are visited in llama.cpp's order (layer,
 * then name), which the per-layer counters depend on, and written in that order; metadata is
 * copied with general.quantization_version and general.file_type set last, as llama.cpp does.
 * Quantization uses tensor/'s scalar reference quantizers (no importance matrix). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/quant_mix.h"
#include "gguf/gguf.h"
#include "tensor/tensor.h"

static const char *usage =
    "lmd quantize IN.gguf OUT.gguf TYPE [--pure] [--allow-requantize]\n"
    "  TYPE: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M\n"
    "        Q5_K_S Q5_K_M Q6_K (Q3_K, Q4_K, Q5_K mean the _M mix)\n"
    "  --pure: every quantizable tensor gets TYPE (no per-tensor mix)";

/* One tensor being converted: its source and the type it becomes. */
typedef struct {
    const lmd_gguf_tensor *src;
    lmd_type to;
    float *row; /* ne[0] floats of scratch */
} conversion;

/* lmd_gguf_fill_fn: rows [row0, row0 + n_rows) dequantized to f32, then quantized. */
static lmd_status convert_rows(void *ctx, void *dst, int64_t row0, int64_t n_rows, lmd_err *err) {
    conversion *c = ctx;
    const lmd_type_traits *from = lmd_type_traits_ref(c->src->type);
    const lmd_type_traits *to = lmd_type_traits_ref(c->to);
    int64_t n_cols = c->src->ne[0];
    size_t in_row = lmd_type_row_bytes(c->src->type, n_cols);
    size_t out_row = lmd_type_row_bytes(c->to, n_cols);
    for (int64_t r = 0; r < n_rows; r++) {
        from->dequantize_row((const uint8_t *)c->src->data + (size_t)(row0 + r) * in_row, c->row,
                             n_cols);
        to->quantize_row(c->row, (uint8_t *)dst + (size_t)r * out_row, n_cols);
    }
    (void)err;
    return LMD_OK;
}

static lmd_status run(const char *in, const char *out, const lmd_qmix_ftype *ft, bool pure,
                      bool allow_requantize, lmd_err *err) {
    lmd_gguf *g = NULL;
    lmd_gguf_writer *w = NULL;
    lmd_qmix_tensor *items = NULL;
    conversion *conv = NULL;
    int64_t n = 0;
    lmd_status st = lmd_gguf_open(in, NULL, &g, err);
    if (st) return st;
    n = lmd_gguf_n_tensors(g);
    items = calloc(n ? (size_t)n : 1, sizeof *items);
    conv = calloc(n ? (size_t)n : 1, sizeof *conv);
    w = lmd_gguf_writer_new();
    if (!items || !conv || !w) {
        st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, i);
        if (memchr(t->name.ptr, '\0', t->name.len)) {
            st = lmd_err_set(err, LMD_E_FORMAT, "%s: tensor %" PRId64 " has a NUL in its name",
                             in, i);
            goto done;
        }
        memcpy(items[i].name, t->name.ptr, t->name.len);
        items[i].n_dims = t->n_dims;
        memcpy(items[i].ne, t->ne, sizeof t->ne);
        items[i].type = t->type;
        items[i].idx = i;
    }
    lmd_qmix_model m;
    lmd_qmix_model_from_gguf(g, &m);
    if ((st = lmd_qmix_choose(&m, ft, pure, allow_requantize, items, n, err))) goto done;
    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        lmd_str k = lmd_gguf_kv_key(g, i);
        if (lmd_str_eq_c(k, "general.quantization_version") ||
            lmd_str_eq_c(k, "general.file_type") || lmd_str_eq_c(k, "split.no") ||
            lmd_str_eq_c(k, "split.count") || lmd_str_eq_c(k, "split.tensors.count"))
            continue;
        if ((st = lmd_gguf_copy_kv(w, g, i, err))) goto done;
    }
    /* GGML_QNT_VERSION, then the file type: appended last, as llama.cpp's gguf_set_val does. */
    if ((st = lmd_gguf_set_u32(w, "general.quantization_version", 2, err)) ||
        (st = lmd_gguf_set_u32(w, "general.file_type", (uint32_t)ft->ftype, err)))
        goto done;

    uint64_t bytes_in = 0, bytes_out = 0;
    for (int64_t i = 0; i < n; i++) {
        lmd_qmix_tensor *it = &items[i];
        const lmd_gguf_tensor *t = lmd_gguf_tensor_at(g, it->idx);
        if (it->new_type == t->type) {
            st = lmd_gguf_add_tensor(w, it->name, t->type, t->n_dims, t->ne, t->data, err);
        } else {
            const lmd_type_traits *from = lmd_type_traits_ref(t->type);
            const lmd_type_traits *to = lmd_type_traits_ref(it->new_type);
            if (!from || !from->dequantize_row) {
                st = lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': cannot read type %s",
                                 it->name, lmd_type_name(t->type));
                goto done;
            }
            if (!to || !to->quantize_row) {
                st = lmd_err_set(err, LMD_E_UNSUPPORTED, "tensor '%s': cannot produce type %s",
                                 it->name, lmd_type_name(it->new_type));
                goto done;
            }
            conv[i] = (conversion){ t, it->new_type, malloc((size_t)t->ne[0] * sizeof(float)) };
            if (!conv[i].row) {
                st = lmd_err_set(err, LMD_E_NOMEM, "tensor '%s': out of memory", it->name);
                goto done;
            }
            st = lmd_gguf_add_tensor_fill(w, it->name, it->new_type, t->n_dims, t->ne,
                                          convert_rows, &conv[i], err);
        }
        if (st) goto done;
        size_t nb = lmd_type_row_bytes(it->new_type, t->ne[0]) *
                    (size_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        bytes_in += t->n_bytes;
        bytes_out += nb;
        printf("[%4" PRId64 "/%4" PRId64 "] %-40s %-6s -> %-6s %10zu bytes\n", i + 1, n,
               it->name, lmd_type_name(t->type), lmd_type_name(it->new_type), nb);
    }
    if ((st = lmd_gguf_writer_write(w, out, err))) goto done;
    printf("quantized %s -> %s (%s): %.2f MiB -> %.2f MiB\n", in, out, ft->name,
           (double)bytes_in / 1048576.0, (double)bytes_out / 1048576.0);
done:
    for (int64_t i = 0; conv && i < n; i++) free(conv[i].row);
    free(conv);
    free(items);
    lmd_gguf_writer_free(w);
    lmd_gguf_close(g);
    return st;
}

int lmd_cmd_quantize(int argc, char **argv) {
    const char *pos[3] = { NULL, NULL, NULL };
    int n_pos = 0;
    bool pure = false, allow_requantize = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pure")) pure = true;
        else if (!strcmp(argv[i], "--allow-requantize")) allow_requantize = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        } else if (argv[i][0] == '-' || n_pos == 3) return lmd_cli_usage("quantize", usage);
        else pos[n_pos++] = argv[i];
    }
    if (n_pos != 3) return lmd_cli_usage("quantize", usage);
    const lmd_qmix_ftype *ft = lmd_qmix_find_ftype(pos[2]);
    if (!ft) {
        fprintf(stderr, "lmd quantize: unknown type '%s'\n", pos[2]);
        return lmd_cli_usage("quantize", usage);
    }
    lmd_err err = { 0 };
    lmd_status st = run(pos[0], pos[1], ft, pure, allow_requantize, &err);
    if (st == LMD_OK) return 0;
    fprintf(stderr, "lmd quantize: %s\n", err.msg[0] ? err.msg : lmd_status_str(st));
    return st == LMD_E_NOT_FOUND || st == LMD_E_UNSUPPORTED ? 2 : lmd_status_exit_code(st);
}
