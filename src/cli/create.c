/* create.c — `lmd create MODEL [-f Modelfile] [-q TYPE]`: builds a model in the store from a
 * Modelfile (default ./Modelfile); relative FROM paths resolve against the Modelfile's folder.
 * Progress lines go to stderr, as Ollama prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

/* The store's -q hook, provided by `lmd quantize` (llama-quantize's per-tensor mix); its
 * per-tensor lines go to stdout like the command's own. */
lmd_status lmd_store_quantize_gguf(const char *in_path, const char *out_path, const char *type,
                                   lmd_err *err) {
    if (!lmd_cmd_quantize)
        return lmd_err_set(err, LMD_E_UNSUPPORTED, "-q %s: lmd quantize is not in this build",
                           type);
    char *args[] = { "quantize", (char *)in_path, (char *)out_path, (char *)type, NULL };
    int rc = lmd_cmd_quantize(4, args);
    fflush(stdout);
    if (rc != 0)
        return lmd_err_set(err, rc == 2 ? LMD_E_INVALID : LMD_E_IO,
                           "quantizing to %s failed (lmd quantize exit %d)", type, rc);
    return LMD_OK;
}

static int on_progress(void *ud, const char *status, const char *digest, uint64_t total,
                       uint64_t completed) {
    (void)digest;
    bool tty = *(bool *)ud;
    if (total) {
        if (tty)
            fprintf(stderr, "\r%s %3d%%", status, (int)(completed * 100 / total));
        if (tty && completed == total) fputc('\n', stderr);
        return 0;
    }
    fprintf(stderr, "%s\n", status);
    return 0;
}

int lmd_cmd_create(int argc, char **argv) {
    const char *usage = "lmd create MODEL [-f Modelfile] [-q TYPE]";
    const char *name = NULL, *file = "Modelfile", *quant = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Create a model from a Modelfile\n\nUsage:\n  %s\n\nFlags:\n"
                   "  -f, --file string       Name of the Modelfile (default \"Modelfile\")\n"
                   "  -q, --quantize string   Quantize model to this level (e.g. q4_K_M)\n",
                   usage);
            return 0;
        }
        if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && i + 1 < argc) file = argv[++i];
        else if (!strncmp(a, "--file=", 7)) file = a + 7;
        else if ((!strcmp(a, "-q") || !strcmp(a, "--quantize")) && i + 1 < argc) quant = argv[++i];
        else if (!strncmp(a, "--quantize=", 11)) quant = a + 11;
        else if (a[0] == '-' || name) return lmd_cli_usage("create", usage);
        else name = a;
    }
    if (!name) return lmd_cli_usage("create", usage);
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "lmd create: %s: cannot open Modelfile\n", file);
        return 2;
    }
    size_t cap = 1 << 16, len = 0, n;
    char *text = malloc(cap + 1);
    while (text && (n = fread(text + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            if (cap >= LMD_MODELFILE_MAX_BYTES) break;
            char *t2 = realloc(text, cap * 2 + 1);
            if (!t2) {
                free(text);
                text = NULL;
                break;
            }
            text = t2;
            cap *= 2;
        }
    }
    fclose(f);
    if (!text) {
        fprintf(stderr, "lmd create: out of memory\n");
        return 1;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        fprintf(stderr, "lmd create: %s: Modelfile contains a NUL byte\n", file);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    bool tty = isatty(2);
    lmd_store_create_opts o = { .quantize = quant, .progress = on_progress, .progress_ud = &tty };
    lmd_err err = { 0 };
    lmd_store *s = NULL;
    lmd_status st = lmd_store_open(NULL, &s, &err);
    if (st == LMD_OK) st = lmd_store_create(s, name, text, dir, &o, &err);
    lmd_store_close(s);
    free(text);
    if (st != LMD_OK) {
        if (err.msg[0] && !strncmp(err.msg, "line ", 5)) {
            fprintf(stderr, "lmd create: %s: %s\n", file, err.msg);
            return lmd_status_exit_code(st);
        }
        return lmd_cli_fail("create", &err);
    }
    return 0;
}
