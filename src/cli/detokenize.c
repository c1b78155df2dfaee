/* detokenize.c — `lmd detokenize --model FILE IDS...`: prints the text of the ids (as
 * llama_detokenize with remove_special=false, unparse_special=true: control tokens show their
 * text) followed by a newline. IDS may be separate arguments or one argument with ids separated
 * by spaces or commas (a JSON array from `lmd tokenize --json` works too). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

#define USAGE "lmd detokenize --model FILE IDS..."

/* Appends the ids in s to *ids; returns -1 on anything that is not an id list. */
static int parse_ids(const char *s, int32_t **ids, int64_t *n, int64_t *cap) {
    while (*s) {
        if (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n' || *s == '[' || *s == ']') {
            s++;
            continue;
        }
        char *end;
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (end == s || errno || x < 0 || x > INT32_MAX) return -1;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            int32_t *nv = realloc(*ids, (size_t)*cap * sizeof *nv);
            if (!nv) return -1;
            *ids = nv;
        }
        (*ids)[(*n)++] = (int32_t)x;
        s = end;
    }
    return 0;
}

int lmd_cmd_detokenize(int argc, char **argv) {
    const char *model = NULL;
    int32_t *ids = NULL;
    int64_t n = 0, cap = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Turn token ids into text\n\nUsage:\n  %s\n", USAGE);
            free(ids);
            return 0;
        } else if (!strcmp(a, "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (parse_ids(a, &ids, &n, &cap) != 0) {
            free(ids);
            return lmd_cli_usage("detokenize", USAGE);
        }
    }
    if (!model) {
        free(ids);
        return lmd_cli_usage("detokenize", USAGE);
    }
    lmd_err err = { 0 };
    lmd_gguf *g = NULL;
    lmd_vocab *v = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    if (lmd_gguf_open(model, NULL, &g, &err) != LMD_OK || lmd_vocab_load(g, &v, &err) != LMD_OK ||
        lmd_detokenize(v, ids, n, false, true, &text, &len, &err) != LMD_OK) {
        rc = lmd_cli_fail("detokenize", &err);
    } else {
        fwrite(text, 1, len, stdout);
        putchar('\n');
        if (fflush(stdout) != 0) rc = 1;
    }
    free(text);
    free(ids);
    lmd_vocab_free(v);
    lmd_gguf_close(g);
    return rc;
}
