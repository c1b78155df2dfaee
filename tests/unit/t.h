/* t.h — lmd's test harness: one header, no dependencies.
 *
 *   #include "t.h"
 *   T_TEST(gguf_rejects_bad_magic) {
 *       T_CHECK(x == 1);  T_EQ_INT(a, b);  T_EQ_STR(s, "x");  T_NEAR(f, 1.0, 1e-6);
 *       if (!have_file) T_SKIP("no such file");
 *   }
 *
 * Each test file is its own program; tests register themselves at start-up and run in file
 * order. A test fails when any check in it fails (the run goes on). The program ends with the
 * line `N passed, N failed[, N skipped]` and exits 1 if anything failed.
 * `t_shared(rel)` resolves a path under ../shared (or $LMD_SHARED). Define T_NO_MAIN in one
 * file to provide your own main. Arguments given to the program select tests by substring. */
#ifndef LMD_TESTS_T_H
#define LMD_TESTS_T_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*t_fn)(void);
typedef struct { const char *name; t_fn fn; } t_case;

static t_case t_cases[1024];
static int t_n_cases;
static int t_cur_failed, t_cur_skipped;

static void t_register(const char *name, t_fn fn) {
    if (t_n_cases < (int)(sizeof t_cases / sizeof t_cases[0]))
        t_cases[t_n_cases++] = (t_case){ name, fn };
}

#define T_TEST(name)                                                              \
    static void test_##name(void);                                                \
    __attribute__((constructor)) static void t_reg_##name(void) {                 \
        t_register(#name, test_##name);                                           \
    }                                                                             \
    static void test_##name(void)

#define T_FAILF(...)                                                              \
    do {                                                                          \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                         \
        fprintf(stderr, __VA_ARGS__);                                             \
        fputc('\n', stderr);                                                      \
        t_cur_failed++;                                                           \
    } while (0)

#define T_CHECK(cond)                                                             \
    do {                                                                          \
        if (!(cond)) T_FAILF("check failed: %s", #cond);                          \
    } while (0)

#define T_EQ_INT(a, b)                                                            \
    do {                                                                          \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                   \
        if (t_a_ != t_b_) T_FAILF("%s == %s: %lld != %lld", #a, #b, t_a_, t_b_);  \
    } while (0)

#define T_EQ_STR(a, b)                                                            \
    do {                                                                          \
        const char *t_a_ = (a), *t_b_ = (b);                                      \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                            \
            T_FAILF("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a_ ? t_a_ : "(null)", \
                    t_b_ ? t_b_ : "(null)");                                      \
    } while (0)

#define T_NEAR(a, b, tol)                                                         \
    do {                                                                          \
        double t_a_ = (double)(a), t_b_ = (double)(b), t_t_ = (double)(tol);      \
        if (!(fabs(t_a_ - t_b_) <= t_t_))                                         \
            T_FAILF("%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, t_a_, t_b_, t_t_);  \
    } while (0)

/* Marks the current test skipped (with a reason) and leaves it. */
#define T_SKIP(reason)                                                            \
    do {                                                                          \
        fprintf(stderr, "  skipped: %s\n", (reason));                             \
        t_cur_skipped = 1;                                                        \
        return;                                                                   \
    } while (0)

/* Path of a file under the shared data folder, in a static buffer (one at a time). */
static inline const char *t_shared(const char *rel) {
    static char buf[4][4096];
    static int which;
    const char *root = getenv("LMD_SHARED");
    if (!root) root = "../shared";
    char *b = buf[which++ & 3];
    snprintf(b, 4096, "%s/%s", root, rel);
    return b;
}

/* Reads a whole file into a NUL-terminated heap buffer; NULL if it cannot. */
static inline char *t_read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

static inline int t_run_all(int argc, char **argv) {
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < t_n_cases; i++) {
        if (argc > 1) {
            int want = 0;
            for (int a = 1; a < argc; a++) want |= strstr(t_cases[i].name, argv[a]) != NULL;
            if (!want) continue;
        }
        t_cur_failed = 0;
        t_cur_skipped = 0;
        t_cases[i].fn();
        if (t_cur_failed) {
            failed++;
            fprintf(stderr, "FAIL %s\n", t_cases[i].name);
        } else if (t_cur_skipped) {
            skipped++;
            fprintf(stderr, "skip %s\n", t_cases[i].name);
        } else {
            passed++;
            if (getenv("T_VERBOSE")) fprintf(stderr, "ok   %s\n", t_cases[i].name);
        }
    }
    if (skipped) printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#ifndef T_NO_MAIN
int main(int argc, char **argv) { return t_run_all(argc, argv); }
#endif

#endif
