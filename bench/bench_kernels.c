/* bench_kernels.c — kernel micro-benchmarks (not a test): memory read bandwidth of this
 * machine, matvec throughput (GB/s of weights streamed, n_tokens = 1, the decode case) and
 * matmul throughput (GFLOP/s, n_tokens = 64 and 256, the prompt case) for each weight type
 * and kernel path, with 1 and 2 threads. Matrices have TinyLlama-1.1B's FFN shape
 * (5632 x 2048), random weights. Usage: bench_kernels [path ...] (default: every path the
 * CPU runs). Build and run with bench/kernels.sh. 1-thread figures use the thread's CPU
 * time, 2-thread figures the wall clock (see now_s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensor/pool.h"
#include "tensor/tensor_int.h"

/* One thread is timed by its own CPU time (the machine is shared: time spent descheduled
 * is not the kernel's); two threads by the wall clock (their CPU times overlap). */
static clockid_t bench_clock = CLOCK_MONOTONIC;
static double now_s(void) {
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Median of a few timed repetitions of fn. */
typedef void (*bench_fn)(void *ctx);
static double time_median(bench_fn fn, void *ctx, int reps) {
    double t[16];
    if (reps > 16) reps = 16;
    fn(ctx);   /* warm up */
    for (int r = 0; r < reps; r++) {
        const double t0 = now_s();
        fn(ctx);
        t[r] = now_s() - t0;
    }
    for (int a = 0; a < reps; a++)
        for (int b = a + 1; b < reps; b++)
            if (t[b] < t[a]) { double x = t[a]; t[a] = t[b]; t[b] = x; }
    return t[reps / 2];
}

/* ---- memory bandwidth: sum a buffer much larger than the caches, split over threads ---- */
typedef struct { const uint64_t *buf; int64_t n; uint64_t sink[64]; int n_threads; lmd_pool *pool; } bw_ctx;
static void bw_task(void *vctx, int64_t t, int thread_idx) {
    bw_ctx *c = vctx;
    const int64_t per = c->n / c->n_threads, lo = t * per, hi = lo + per;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = lo; i < hi; i += 4) {
        s0 += c->buf[i]; s1 += c->buf[i + 1]; s2 += c->buf[i + 2]; s3 += c->buf[i + 3];
    }
    c->sink[thread_idx * 8] += s0 + s1 + s2 + s3;
}
static void bw_run(void *vctx) {
    bw_ctx *c = vctx;
    lmd_pool_run(c->pool, bw_task, c, c->n_threads);
}

/* ---- matmul ---- */
typedef struct {
    lmd_pool *pool;
    lmd_matrix W;
    float *x, *y;
    int64_t n_tokens;
    void *scratch;
} mm_ctx;
static void mm_run(void *vctx) {
    mm_ctx *c = vctx;
    lmd_matmul(c->pool, &c->W, c->x, c->y, c->n_tokens, c->scratch);
}

int main(int argc, char **argv) {
    const int64_t ROWS = 5632, COLS = 2048;
    const char *paths[8];
    int n_paths = 0;
    static const char *all[] = { "scalar", "avx2", "avx512", "neon" };
    static lmd_type_traits table[LMD_TYPE_COUNT];
    if (argc > 1) for (int i = 1; i < argc && n_paths < 8; i++) paths[n_paths++] = argv[i];
    else for (int i = 0; i < 4; i++) if (lmd_kernels_build_table(all[i], table)) paths[n_paths++] = all[i];

    lmd_kernels_init(NULL);
    lmd_pool *pools[3] = { NULL };
    lmd_pool_create(1, &pools[1], NULL);
    lmd_pool_create(2, &pools[2], NULL);

    /* Memory bandwidth: 512 MiB read. */
    const int64_t nbw = (512ll << 20) / 8;
    uint64_t *buf = malloc((size_t)nbw * 8);
    for (int64_t i = 0; i < nbw; i++) buf[i] = (uint64_t)i;
    for (int th = 1; th <= 2; th++) {
        bench_clock = th == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
        bw_ctx c = { .buf = buf, .n = nbw, .n_threads = th, .pool = pools[th] };
        const double t = time_median(bw_run, &c, 5);
        printf("memory read bandwidth, %d thread%s: %.1f GB/s\n", th, th > 1 ? "s" : "",
               (double)nbw * 8 / t / 1e9);
    }
    free(buf);

    static const lmd_type types[] = { LMD_TYPE_Q4_0, LMD_TYPE_Q8_0, LMD_TYPE_Q4_K, LMD_TYPE_Q5_K,
                                      LMD_TYPE_Q6_K, LMD_TYPE_Q4_1, LMD_TYPE_Q5_0, LMD_TYPE_Q5_1,
                                      LMD_TYPE_Q2_K, LMD_TYPE_Q3_K, LMD_TYPE_F16, LMD_TYPE_BF16,
                                      LMD_TYPE_F32 };
    /* Matvec streams a 96 MiB matrix (3x the L3) so the weights come from DRAM, as in decode;
     * matmul uses the FFN shape above. */
    const size_t MATVEC_BYTES = 96u << 20;
    float *wf = malloc((size_t)(ROWS * COLS) * sizeof *wf);
    for (int64_t i = 0; i < ROWS * COLS; i++) wf[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    float *x = malloc(256 * COLS * sizeof *x), *y = malloc(256 * ROWS * sizeof *y);
    for (int64_t i = 0; i < 256 * COLS; i++) x[i] = (float)((i * 40503u) % 997) / 500.0f - 1.0f;

    printf("\n%-6s %-7s %3s %14s %16s %16s\n", "type", "path", "thr", "matvec GB/s",
           "matmul64 GFLOP/s", "matmul256 GFLOP/s");
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const lmd_type_traits *ref = lmd_type_traits_ref(types[k]);
        const size_t row_bytes = (size_t)(COLS / ref->block_elems) * ref->block_bytes;
        const int64_t big_rows = (int64_t)(MATVEC_BYTES / row_bytes);
        uint8_t *wq = malloc(row_bytes * (size_t)big_rows);
        for (int64_t r = 0; r < ROWS; r++) ref->quantize_row(wf + r * COLS, wq + (size_t)r * row_bytes, COLS);
        for (int64_t r = ROWS; r < big_rows; r++)
            memcpy(wq + (size_t)r * row_bytes, wq + (size_t)(r % ROWS) * row_bytes, row_bytes);
        float *ybig = malloc((size_t)big_rows * sizeof *ybig);
        for (int p = 0; p < n_paths; p++) {
            setenv("LMD_KERNELS", paths[p], 1);
            if (!lmd_kernels_build_table(paths[p], table)) continue;
            /* lmd_matmul reads the process table; swap this path's entries in for the run. */
            lmd_type_traits *live = (lmd_type_traits *)lmd_type_traits_of(types[k]);
            lmd_type_traits *live_a = (lmd_type_traits *)lmd_type_traits_of(ref->vec_dot_type);
            const lmd_type_traits save = *live, save_a = *live_a;
            *live = table[types[k]];
            *live_a = table[ref->vec_dot_type];
            for (int th = 1; th <= 2; th++) {
                bench_clock = th == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
                mm_ctx c = { .pool = pools[th], .W = { .data = wq, .type = types[k], .n_rows = ROWS,
                             .n_cols = COLS, .row_bytes = row_bytes }, .x = x, .y = y };
                c.scratch = malloc(lmd_matmul_scratch_bytes(&c.W, 256) + 64);
                mm_ctx cv = c;
                cv.W.n_rows = big_rows;
                cv.y = ybig;
                cv.n_tokens = 1;
                const double tv = time_median(mm_run, &cv, 5);
                /* The scalar reference is the peer for matvec only (its matmul takes minutes). */
                const bool slow = strcmp(paths[p], "scalar") == 0;
                double t64 = 0, t256 = 0;
                if (!slow) {
                    c.n_tokens = 64;
                    t64 = time_median(mm_run, &c, 3);
                    c.n_tokens = 256;
                    t256 = time_median(mm_run, &c, 1);
                }
                const double flop = 2.0 * ROWS * COLS;
                printf("%-6s %-7s %3d %14.1f ", ref->name, paths[p], th,
                       row_bytes * (double)big_rows / tv / 1e9);
                if (t64 > 0) printf("%16.1f %16.1f\n", flop * 64 / t64 / 1e9, flop * 256 / t256 / 1e9);
                else printf("%16s %16s\n", "-", "-");
                fflush(stdout);
                free(c.scratch);
            }
            *live = save;
            *live_a = save_a;
        }
        free(wq);
        free(ybig);
    }
    lmd_pool_free(pools[1]);
    lmd_pool_free(pools[2]);
    free(wf);
    free(x);
    free(y);
    return 0;
}
