/* matmul.c — y = x W^T over the pool. The activations are first converted to the weight
 * type's vec_dot_type (one task per token row), then output rows are split into chunks, one
 * chunk per task; within a chunk every token is multiplied by the chunk's weight rows, so a
 * chunk of weights stays in L1/L2 while all tokens stream past it. Every output element is
 * exactly one vec_dot call by one thread, whatever n_tokens or the thread count: results
 * are batch- and thread-count invariant. */
#include "tensor/pool.h"
#include "tensor/tensor_int.h"

/* Output rows per task: enough tasks to balance two or more threads on small matrices, and
 * about 16-32 KiB of quantized weights per task on typical shapes. */
#define ROWS_PER_TASK 16
#define SCRATCH_ALIGN 64

/* Bytes of one converted activation row, padded so rows stay cache-line aligned. */
static size_t act_row_stride(const lmd_type_traits *vdt, int64_t n_cols) {
    const size_t row = (size_t)(n_cols / vdt->block_elems) * vdt->block_bytes;
    return (row + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
}

size_t lmd_matmul_scratch_bytes(const lmd_matrix *W, int64_t n_tokens) {
    const lmd_type_traits *tr = lmd_type_traits_of(W->type);
    if (!tr || !tr->vec_dot || tr->vec_dot_type == LMD_TYPE_F32) return 0;
    const lmd_type_traits *vdt = lmd_type_traits_of(tr->vec_dot_type);
    return act_row_stride(vdt, W->n_cols) * (size_t)n_tokens;
}

typedef struct {
    const lmd_matrix *W;
    const float *x;          /* (n_tokens, n_cols) */
    float *y;                /* (n_tokens, n_rows) */
    int64_t n_tokens;
    const uint8_t *act;      /* converted activations, act_stride apart */
    uint8_t *act_out;
    size_t act_stride;
    lmd_quantize_row_fn quantize;
    lmd_vec_dot_fn dot;
    lmd_vec_dot_n_fn dot_n;  /* NULL: one dot per (token, row) */
} matmul_job;

static void convert_task(void *vctx, int64_t t, int thread_idx) {
    (void)thread_idx;
    matmul_job *j = vctx;
    j->quantize(j->x + t * j->W->n_cols, j->act_out + (size_t)t * j->act_stride, j->W->n_cols);
}

static void dot_task(void *vctx, int64_t task, int thread_idx) {
    (void)thread_idx;
    const matmul_job *j = vctx;
    const lmd_matrix *W = j->W;
    const int64_t r0 = task * ROWS_PER_TASK;
    const int64_t r1 = r0 + ROWS_PER_TASK < W->n_rows ? r0 + ROWS_PER_TASK : W->n_rows;
    const uint8_t *wbase = W->data;
    if (j->dot_n) {
        /* Several tokens per weight row: each weight block is decoded once for up to
         * LMD_VEC_DOT_MAX_NY tokens; results are bit-identical to one dot per token. */
        for (int64_t t = 0; t < j->n_tokens; t += LMD_VEC_DOT_MAX_NY) {
            const int64_t left = j->n_tokens - t;
            const int ny = left < LMD_VEC_DOT_MAX_NY ? (int)left : LMD_VEC_DOT_MAX_NY;
            const void *a = j->act + (size_t)t * j->act_stride;
            for (int64_t r = r0; r < r1; r++)
                j->dot_n(W->n_cols, j->y + t * W->n_rows + r, (size_t)W->n_rows,
                         wbase + (size_t)r * W->row_bytes, a, j->act_stride, ny);
        }
        return;
    }
    for (int64_t t = 0; t < j->n_tokens; t++) {
        const void *a = j->act + (size_t)t * j->act_stride;
        float *yt = j->y + t * W->n_rows;
        for (int64_t r = r0; r < r1; r++) j->dot(W->n_cols, &yt[r], wbase + (size_t)r * W->row_bytes, a);
    }
}

void lmd_matmul(lmd_pool *pool, const lmd_matrix *W, const float *x, float *y, int64_t n_tokens,
                void *scratch) {
    const lmd_type_traits *tr = lmd_type_traits_of(W->type);
    /* Shapes are validated by the model loader; a bad one here is a bug, not input. */
    if (!LMD_ALWAYS(tr && tr->vec_dot && W->n_cols % tr->block_elems == 0) || n_tokens <= 0 ||
        W->n_rows <= 0)
        return;
    const lmd_type_traits *vdt = lmd_type_traits_of(tr->vec_dot_type);
    matmul_job j = { .W = W, .x = x, .y = y, .n_tokens = n_tokens, .dot = tr->vec_dot,
                     .dot_n = n_tokens > 1 ? tr->vec_dot_n : NULL };
    if (tr->vec_dot_type == LMD_TYPE_F32) {
        j.act = (const uint8_t *)x;
        j.act_stride = (size_t)W->n_cols * sizeof(float);
    } else {
        j.act = j.act_out = scratch;
        j.act_stride = act_row_stride(vdt, W->n_cols);
        j.quantize = vdt->quantize_row;
        lmd_pool_run(pool, convert_task, &j, n_tokens);
    }
    lmd_pool_run(pool, dot_task, &j, (W->n_rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK);
}

void lmd_matrix_get_row(const lmd_matrix *W, int64_t row, float *out) {
    const lmd_type_traits *tr = lmd_type_traits_of(W->type);
    if (!LMD_ALWAYS(tr && tr->dequantize_row && row >= 0 && row < W->n_rows)) return;
    tr->dequantize_row((const uint8_t *)W->data + (size_t)row * W->row_bytes, out, W->n_cols);
}
