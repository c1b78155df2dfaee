/* pool.c — the persistent worker pool (see pool.h). A job is published by bumping a
 * generation counter; workers that are spinning see it at once, sleeping ones are woken by
 * a broadcast. Task indexes are handed out with an atomic counter, so a fast thread takes more
 * tasks, but every task is computed whole by one thread (results do not depend on who ran
 * it). Sleep/wake uses the "announce, then re-check under the lock" pattern: a worker counts
 * itself as sleeping under the mutex before re-checking the generation, and the publisher
 * bumps the generation before reading the sleeper count (both sequentially consistent), so a
 * wake-up cannot be missed. The same pattern lets the caller sleep while the last task runs. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensor/pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* About 0.1-0.5 ms of spinning: long enough to bridge the gaps between the matmuls of one
 * forward pass, short enough not to burn a core when the engine is idle. */
#define SPIN_ITERS 20000

struct lmd_pool {
    int n_threads;            /* including the caller */
    pthread_t *threads;       /* n_threads - 1 workers */
    pthread_mutex_t mu;
    pthread_cond_t cv_work;   /* a new generation or stop */
    pthread_cond_t cv_done;   /* the last worker finished */
    atomic_uint generation;
    atomic_int n_sleeping;    /* workers waiting on cv_work */
    atomic_bool caller_sleeping;
    atomic_bool stop;
    /* The current job (written before the generation is bumped). */
    lmd_pool_task_fn fn;
    void *ctx;
    int64_t n_tasks;
    atomic_llong next_task;
    atomic_int n_busy;        /* workers that have not finished the current job */
};

typedef struct {
    lmd_pool *p;
    int thread_idx;
} worker_arg;

static void run_tasks(lmd_pool *p, int thread_idx) {
    for (;;) {
        const long long t = atomic_fetch_add(&p->next_task, 1);
        if (t >= p->n_tasks) break;
        p->fn(p->ctx, (int64_t)t, thread_idx);
    }
}

static void *worker_main(void *varg) {
    worker_arg arg = *(worker_arg *)varg;
    free(varg);
    lmd_pool *p = arg.p;
    unsigned seen = 0;
    for (;;) {
        unsigned gen = atomic_load(&p->generation);
        for (int i = 0; gen == seen && i < SPIN_ITERS && !atomic_load(&p->stop); i++) {
            CPU_RELAX();
            gen = atomic_load(&p->generation);
        }
        if (gen == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->n_sleeping, 1);
            while ((gen = atomic_load(&p->generation)) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->cv_work, &p->mu);
            atomic_fetch_sub(&p->n_sleeping, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) break;
        seen = gen;
        run_tasks(p, arg.thread_idx);
        if (atomic_fetch_sub(&p->n_busy, 1) == 1 && atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

static int default_threads(void) {
    const char *env = getenv("LMD_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1 && v <= 1024) return (int)v;
    }
    /* Physical cores are not visible portably; online CPUs is the honest fallback (this
     * machine has one thread per core). */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)(n > 1024 ? 1024 : n) : 1;
}

lmd_status lmd_pool_create(int n_threads, lmd_pool **out, lmd_err *err) {
    *out = NULL;
    if (n_threads < 0 || n_threads > 1024)
        return lmd_err_set(err, LMD_E_INVALID, "thread pool: %d threads (expected 0..1024)",
                           n_threads);
    if (n_threads == 0) n_threads = default_threads();
    lmd_pool *p = calloc(1, sizeof *p);
    if (!p) return lmd_err_set(err, LMD_E_NOMEM, "thread pool: out of memory");
    p->n_threads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    if (n_threads > 1) {
        p->threads = calloc((size_t)n_threads - 1, sizeof *p->threads);
        if (!p->threads) {
            lmd_pool_free(p);
            return lmd_err_set(err, LMD_E_NOMEM, "thread pool: out of memory");
        }
    }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        int rc = arg ? 0 : ENOMEM;
        if (arg) {
            *arg = (worker_arg){ p, i };
            rc = pthread_create(&p->threads[i - 1], NULL, worker_main, arg);
            if (rc) free(arg);
        }
        if (rc) {
            lmd_pool_free(p);   /* joins the workers started so far */
            return lmd_err_set(err, LMD_E_IO, "thread pool: starting worker %d of %d: %s", i,
                               n_threads - 1, strerror(rc));
        }
        p->n_threads = i + 1;
    }
    *out = p;
    return LMD_OK;
}

void lmd_pool_free(lmd_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv_done);
    pthread_cond_destroy(&p->cv_work);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}

int lmd_pool_n_threads(const lmd_pool *p) {
    return p ? p->n_threads : 1;
}

void lmd_pool_run(lmd_pool *p, lmd_pool_task_fn fn, void *ctx, int64_t n_tasks) {
    if (n_tasks <= 0) return;
    if (!p || p->n_threads == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    atomic_store(&p->n_busy, p->n_threads - 1);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->n_sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
    }
    run_tasks(p, 0);
    for (int i = 0; atomic_load(&p->n_busy) > 0 && i < SPIN_ITERS; i++) CPU_RELAX();
    if (atomic_load(&p->n_busy) > 0) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->caller_sleeping, true);
        while (atomic_load(&p->n_busy) > 0) pthread_cond_wait(&p->cv_done, &p->mu);
        atomic_store(&p->caller_sleeping, false);
        pthread_mutex_unlock(&p->mu);
    }
}
