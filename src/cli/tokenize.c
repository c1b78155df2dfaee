/* tokenize.c — `lmd tokenize --model FILE [--no-bos] [--no-special] [--json] (TEXT | --file F)`:
 * prints the token ids of TEXT, space separated (or a JSON array). --no-bos turns off the
 * BOS/EOS the vocabulary adds (add_special=false); --no-special treats special-token text such
 * as <|im_start|> as plain text (parse_special=false). A hook for outside checks: the flags and
 * the output format stay as they are. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

#define USAGE "lmd tokenize --model FILE [--no-bos] [--no-special] [--json] (TEXT | --file F)"

static char *read_all(const char *path, size_t *len, lmd_err *err) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        lmd_err_set(err, LMD_E_IO, "%s: cannot open", path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) break;
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(b, cap);
        if (!nb) {
            free(b);
            b = NULL;
        }
        b = nb;
    }
    bool bad = f != stdin && ferror(f);
    if (f != stdin) fclose(f);
    if (!b || bad) {
        free(b);
        lmd_err_set(err, b ? LMD_E_IO : LMD_E_NOMEM, "%s: cannot read", path);
        return NULL;
    }
    *len = n;
    return b;
}

int lmd_cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *file = NULL, *text = NULL;
    bool add_special = true, parse_special = true, json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Turn text into token ids\n\nUsage:\n  %s\n", USAGE);
            return 0;
        } else if (!strcmp(a, "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!strcmp(a, "--file") && i + 1 < argc) {
            file = argv[++i];
        } else if (!strcmp(a, "--no-bos")) {
            add_special = false;
        } else if (!strcmp(a, "--no-special")) {
            parse_special = false;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--") && i + 2 == argc && !text) {
            text = argv[++i];
        } else if (a[0] == '-' && a[1] != 0) {
            return lmd_cli_usage("tokenize", USAGE);
        } else if (!text) {
            text = a;
        } else {
            return lmd_cli_usage("tokenize", USAGE);
        }
    }
    if (!model || (!text == !file)) return lmd_cli_usage("tokenize", USAGE);
    lmd_err err = { 0 };
    size_t len = 0;
    char *owned = NULL;
    if (file) {
        owned = read_all(file, &len, &err);
        if (!owned) return lmd_cli_fail("tokenize", &err);
        text = owned;
    } else {
        len = strlen(text);
    }
    lmd_gguf *g = NULL;
    lmd_vocab *v = NULL;
    int32_t *ids = NULL;
    int64_t n = 0;
    int rc = 0;
    if (lmd_gguf_open(model, NULL, &g, &err) != LMD_OK || lmd_vocab_load(g, &v, &err) != LMD_OK ||
        lmd_tokenize(v, text, len, add_special, parse_special, &ids, &n, &err) != LMD_OK) {
        rc = lmd_cli_fail("tokenize", &err);
    } else {
        if (json) putchar('[');
        for (int64_t i = 0; i < n; i++) printf(json ? (i ? ", %d" : "%d") : (i ? " %d" : "%d"), ids[i]);
        puts(json ? "]" : "");
        if (fflush(stdout) != 0) rc = 1;
    }
    free(ids);
    lmd_vocab_free(v);
    lmd_gguf_close(g);
    free(owned);
    return rc;
}
