/* test_tensor_matmul.c — the worker pool and lmd_matmul: every task runs exactly once, the
 * pool survives many jobs and idle periods, matmul agrees with dequantize-then-dot, and its
 * results are bit-identical across batch sizes (n_tokens 1 vs 7) and thread counts (1 vs 2). */
#include "t.h"
#include "tensor_test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "tensor/pool.h"
#include "tensor/tensor_int.h"

typedef struct {
    atomic_int *hits;
    atomic_int max_thread;
} count_ctx;

static void count_task(void *vctx, int64_t t, int thread_idx) {
    count_ctx *c = vctx;
    atomic_fetch_add(&c->hits[t], 1);
    int m = atomic_load(&c->max_thread);
    while (thread_idx > m && !atomic_compare_exchange_weak(&c->max_thread, &m, thread_idx)) {
    }
}

T_TEST(tensor_pool_runs_every_task_exactly_once_across_many_jobs) {
    lmd_pool *p = NULL;
    lmd_err err = { 0 };
    T_EQ_INT(lmd_pool_create(3, &p, &err), LMD_OK);
    T_EQ_INT(lmd_pool_n_threads(p), 3);
    enum { N = 1000 };
    atomic_int *hits = calloc(N, sizeof *hits);
    count_ctx c = { .hits = hits };
    int bad = 0;
    for (int job = 0; job < 300; job++) {
        const int n = 1 + job * 7 % N;
        for (int i = 0; i < N; i++) atomic_store(&hits[i], 0);
        lmd_pool_run(p, count_task, &c, n);
        for (int i = 0; i < N; i++) bad += atomic_load(&hits[i]) != (i < n ? 1 : 0);
        if (job % 100 == 99) usleep(20000);   /* let the workers fall asleep, then wake them */
    }
    T_EQ_INT(bad, 0);
    T_CHECK(atomic_load(&c.max_thread) <= 2);
    lmd_pool_free(p);
    free(hits);
}

T_TEST(tensor_pool_null_and_single_thread_run_inline) {
    enum { N = 17 };
    atomic_int hits[N] = { 0 };
    count_ctx c = { .hits = hits };
    lmd_pool_run(NULL, count_task, &c, N);
    lmd_pool *p = NULL;
    T_EQ_INT(lmd_pool_create(1, &p, NULL), LMD_OK);
    lmd_pool_run(p, count_task, &c, N);
    for (int i = 0; i < N; i++) T_EQ_INT(atomic_load(&hits[i]), 2);
    T_EQ_INT(atomic_load(&c.max_thread), 0);
    lmd_pool_free(p);
    lmd_pool_free(NULL);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_pool_create(-1, &p, &err), LMD_E_INVALID);
    T_CHECK(p == NULL && strstr(err.msg, "-1") != NULL);
}

/* A random (n_rows, n_cols) matrix of type t and its dequantized copy. */
static lmd_matrix make_matrix(lmd_type t, int64_t n_rows, int64_t n_cols, float **deq) {
    const lmd_type_traits *tr = lmd_type_traits_ref(t);
    const size_t row_bytes = (size_t)(n_cols / tr->block_elems) * tr->block_bytes;
    uint8_t *data = malloc(row_bytes * (size_t)n_rows);
    *deq = malloc((size_t)(n_rows * n_cols) * sizeof(float));
    for (int64_t r = 0; r < n_rows; r++) {
        tt_random_blocks(t, data + (size_t)r * row_bytes, n_cols);
        tr->dequantize_row(data + (size_t)r * row_bytes, *deq + r * n_cols, n_cols);
    }
    return (lmd_matrix){ .data = data, .type = t, .n_rows = n_rows, .n_cols = n_cols,
                         .row_bytes = row_bytes };
}

T_TEST(tensor_matmul_is_batch_and_thread_invariant_and_matches_float) {
    lmd_err err = { 0 };
    T_EQ_INT(lmd_kernels_init(&err), LMD_OK);
    lmd_pool *p2 = NULL;
    T_EQ_INT(lmd_pool_create(2, &p2, &err), LMD_OK);
    enum { ROWS = 37, COLS = 512, TOK = 7 };
    float *x = malloc(TOK * COLS * sizeof *x);
    for (int i = 0; i < TOK * COLS; i++) x[i] = tt_gauss();
    for (size_t k = 0; k < TT_N_WEIGHT_TYPES; k++) {
        const lmd_type t = tt_weight_types[k];
        float *deq;
        lmd_matrix W = make_matrix(t, ROWS, COLS, &deq);
        void *scratch = malloc(lmd_matmul_scratch_bytes(&W, TOK) + 1);
        float y1[TOK * ROWS], y7[TOK * ROWS], y7b[TOK * ROWS];
        /* Token by token, one thread. */
        for (int tok = 0; tok < TOK; tok++)
            lmd_matmul(NULL, &W, x + tok * COLS, y1 + tok * ROWS, 1, scratch);
        lmd_matmul(NULL, &W, x, y7, TOK, scratch);
        lmd_matmul(p2, &W, x, y7b, TOK, scratch);
        if (memcmp(y1, y7, sizeof y1) != 0)
            T_FAILF("%s: n_tokens 7 differs from 7 x n_tokens 1", lmd_type_traits_ref(t)->name);
        if (memcmp(y7, y7b, sizeof y7) != 0)
            T_FAILF("%s: 2 threads differ from 1", lmd_type_traits_ref(t)->name);
        /* Against float math on the dequantized weights: the activation conversion to the
         * vec_dot_type costs up to ~1% (Q8 activations: step/2 per element, averaged over the
         * row), so allow 2% of sum(|w x|) per element. */
        int bad = 0;
        for (int tok = 0; tok < TOK; tok++) {
            for (int r = 0; r < ROWS; r++) {
                double d = 0, mag = 0;
                for (int c = 0; c < COLS; c++) {
                    d += (double)deq[r * COLS + c] * x[tok * COLS + c];
                    mag += fabs((double)deq[r * COLS + c] * x[tok * COLS + c]);
                }
                if (!(fabs(y7[tok * ROWS + r] - d) <= 0.02 * mag) && bad++ < 3)
                    T_FAILF("%s [%d,%d]: %g vs float %g (scale %g)", lmd_type_traits_ref(t)->name,
                            tok, r, y7[tok * ROWS + r], d, mag);
            }
        }
        /* get_row is the dequantized row. */
        float row[COLS];
        lmd_matrix_get_row(&W, 5, row);
        T_CHECK(memcmp(row, deq + 5 * COLS, sizeof row) == 0);
        free((void *)W.data);
        free(deq);
        free(scratch);
    }
    free(x);
    lmd_pool_free(p2);
}
