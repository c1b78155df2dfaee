/* bench_tokenizer.c — tokens per second of lmd_tokenize on a text file, for one vocabulary.
 * Usage: bench_tokenizer VOCAB.gguf TEXT_FILE [REPEATS]. Prints the load time, the token count
 * and the best-of-REPEATS throughput (MB/s and tokens/s). A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s VOCAB.gguf TEXT_FILE [REPEATS]\n", argv[0]);
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) return 1;
    fclose(f);
    lmd_err err = { 0 };
    lmd_gguf *g = NULL;
    lmd_vocab *v = NULL;
    double t0 = now();
    if (lmd_gguf_open(argv[1], NULL, &g, &err) != LMD_OK || lmd_vocab_load(g, &v, &err) != LMD_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_load = now() - t0;
    double best = 1e30;
    int64_t n_tok = 0;
    for (int r = 0; r < reps; r++) {
        int32_t *ids = NULL;
        double t = now();
        if (lmd_tokenize(v, text, (size_t)n, false, false, &ids, &n_tok, &err) != LMD_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        t = now() - t;
        if (t < best) best = t;
        free(ids);
    }
    printf("%-28s load %6.3f s  %8.2f MB  %9lld tokens  %7.2f MB/s  %10.0f tokens/s\n", argv[1], t_load,
           n / 1e6, (long long)n_tok, n / 1e6 / best, n_tok / best);
    lmd_vocab_free(v);
    lmd_gguf_close(g);
    free(text);
    return 0;
}
