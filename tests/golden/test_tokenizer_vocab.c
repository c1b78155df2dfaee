/* test_tokenizer_vocab.c — llama.cpp's own tokenizer test vectors: every
 * ../shared/vocab/<name>.gguf.inp/.out pair (add_special=false, parse_special=false), and the
 * extra texts in vocab/extra with special parsing off (.out) and on (.special.out). Every text
 * must give exactly the reference ids. */
#include <dirent.h>
#include <stdbool.h>
#include <string.h>

#include "gguf/gguf.h"
#include "t.h"
#include "tokenizer/tokenizer.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* Compares every text of inp (separated by "\n__ggml_vocab_test__\n") with the lines of out.
 * Returns the number of mismatches; prints the first few. */
static int check_pair(const lmd_vocab *v, const char *name, const char *inp_path, const char *out_path,
                      bool parse_special, int *n_texts) {
    size_t il, ol;
    char *inp = slurp(inp_path, &il), *out = slurp(out_path, &ol);
    if (!inp || !out) {
        T_FAILF("%s: cannot read %s / %s", name, inp_path, out_path);
        free(inp);
        free(out);
        return 1;
    }
    static const char sep[] = "\n__ggml_vocab_test__\n";
    int bad = 0, k = 0;
    char *p = inp, *line = out;
    for (;;) {
        char *e = strstr(p, sep);
        if (!e) break;
        char *nl = strchr(line, '\n');
        if (!nl) {
            T_FAILF("%s: %s has fewer lines than texts", name, out_path);
            bad++;
            break;
        }
        *nl = 0;
        int32_t *ids = NULL;
        int64_t n = 0;
        lmd_err err = { 0 };
        lmd_status st = lmd_tokenize(v, p, (size_t)(e - p), false, parse_special, &ids, &n, &err);
        char got[65536];
        size_t gl = 0;
        got[0] = 0;
        for (int64_t i = 0; st == LMD_OK && i < n && gl < sizeof got - 16; i++)
            gl += (size_t)snprintf(got + gl, sizeof got - gl, " %d", ids[i]);
        if (st != LMD_OK || strcmp(got, line) != 0) {
            if (bad < 5)
                T_FAILF("%s text %d (%.*s): %s\n    want:%s\n    got: %s", name, k, (int)((e - p) > 60 ? 60 : (e - p)), p,
                        st == LMD_OK ? "mismatch" : err.msg, line, got);
            bad++;
        }
        free(ids);
        line = nl + 1;
        p = e + sizeof sep - 1;
        k++;
    }
    *n_texts += k;
    free(inp);
    free(out);
    return bad;
}

T_TEST(vocab_pairs_match_llama_cpp) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", t_shared("vocab"));
    DIR *d = opendir(dir);
    if (!d) T_SKIP("no ../shared/vocab");
    struct dirent *de;
    int n_vocabs = 0, n_texts = 0, n_bad = 0;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 5, ".gguf") != 0) continue;
        char path[8192], inp[8300], out[8300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        lmd_gguf *g = NULL;
        lmd_vocab *v = NULL;
        lmd_err err = { 0 };
        if (lmd_gguf_open(path, NULL, &g, &err) != LMD_OK || lmd_vocab_load(g, &v, &err) != LMD_OK) {
            T_FAILF("%s: %s", de->d_name, err.msg);
            lmd_gguf_close(g);
            n_bad++;
            continue;
        }
        lmd_gguf_close(g);
        n_vocabs++;
        int b = 0;
        snprintf(inp, sizeof inp, "%s.inp", path);
        snprintf(out, sizeof out, "%s.out", path);
        b += check_pair(v, de->d_name, inp, out, false, &n_texts);
        snprintf(inp, sizeof inp, "%s/extra/texts.inp", dir);
        snprintf(out, sizeof out, "%s/extra/%s.out", dir, de->d_name);
        b += check_pair(v, de->d_name, inp, out, false, &n_texts);
        snprintf(out, sizeof out, "%s/extra/%s.special.out", dir, de->d_name);
        b += check_pair(v, de->d_name, inp, out, true, &n_texts);
        printf("  %-36s %s\n", de->d_name, b ? "MISMATCH" : "ok");
        n_bad += b;
        lmd_vocab_free(v);
    }
    closedir(d);
    printf("  %d vocabularies, %d texts, %d mismatches\n", n_vocabs, n_texts, n_bad);
    T_CHECK(n_vocabs >= 15);
    T_EQ_INT(n_bad, 0);
}
