/* pool.h — the persistent worker pool every parallel op runs on.
 *
 * Threads are created once; between jobs workers spin briefly, then sleep on a condition
 * variable. A job is (fn, ctx, n_tasks): task indexes 0..n_tasks-1 are handed out to the
 * calling thread and the workers; lmd_pool_run returns when all are done. Tasks must be
 * independent (output-row ranges, (sequence, head) pairs), never parts of one reduction.
 * One job at a time per pool: callers serialise (the engine thread owns its pool). */
#ifndef LMD_TENSOR_POOL_H
#define LMD_TENSOR_POOL_H

#include <stdint.h>

#include "util/err.h"

typedef struct lmd_pool lmd_pool;
typedef void (*lmd_pool_task_fn)(void *ctx, int64_t task_idx, int thread_idx);

/* n_threads includes the caller (1 = no workers); 0 = physical cores (LMD_THREADS if set). */
lmd_status lmd_pool_create(int n_threads, lmd_pool **out, lmd_err *err);
void lmd_pool_free(lmd_pool *p);
int lmd_pool_n_threads(const lmd_pool *p);
/* Runs fn for every task index; p may be NULL (runs inline on the caller). */
void lmd_pool_run(lmd_pool *p, lmd_pool_task_fn fn, void *ctx, int64_t n_tasks);

#endif
