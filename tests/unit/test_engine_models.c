/* test_engine_models.c — the loaded-model manager with a fake loader: concurrent first
 * requests load once, keep_alive 0 unloads when idle, the max_loaded cap unloads the least
 * recently used idle model, expire (lmd stop) and failures leave nothing behind. */
#include "t.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "engine/models.h"

typedef struct {
    atomic_int n_loads, n_unloads;
    int fail;
} loader;

static lmd_status fake_load(void *ctx, lmd_model_inst *inst, int64_t num_ctx, lmd_err *err) {
    loader *l = ctx;
    if (l->fail) return lmd_err_set(err, LMD_E_NOT_FOUND, "model '%s' not found", inst->name);
    struct timespec ts = { 0, 20 * 1000 * 1000 };   /* long enough for the others to pile up */
    nanosleep(&ts, NULL);
    atomic_fetch_add(&l->n_loads, 1);
    inst->n_ctx = 128;
    return LMD_OK;
}

static void fake_unload(void *ctx, lmd_model_inst *inst) {
    loader *l = ctx;
    atomic_fetch_add(&l->n_unloads, 1);
}

static lmd_models *mk(loader *l, int max_loaded) {
    lmd_models_opts o = { .load = fake_load, .unload = fake_unload, .ctx = l,
                          .max_loaded = max_loaded, .default_keep_alive_ms = 60000,
                          .no_reaper = true };
    lmd_models *m = NULL;
    T_EQ_INT(lmd_models_create(&o, &m, NULL), LMD_OK);
    return m;
}

typedef struct {
    lmd_models *m;
    lmd_model_inst *inst;
    lmd_status st;
} acq;

static void *acquire_thread(void *arg) {
    acq *a = arg;
    a->st = lmd_models_acquire(a->m, "a:latest", 0, &a->inst, NULL, NULL);
    return NULL;
}

T_TEST(models_concurrent_first_requests_load_once) {
    loader l = { 0 };
    lmd_models *m = mk(&l, 3);
    pthread_t th[8];
    acq a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (acq){ .m = m };
        pthread_create(&th[i], NULL, acquire_thread, &a[i]);
    }
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    T_EQ_INT(atomic_load(&l.n_loads), 1);
    for (int i = 0; i < 8; i++) {
        T_EQ_INT(a[i].st, LMD_OK);
        T_CHECK(a[i].inst == a[0].inst);
    }
    lmd_models_row rows[4];
    T_EQ_INT(lmd_models_list(m, rows, 4), 1);
    T_EQ_INT(rows[0].refs, 8);
    for (int i = 0; i < 8; i++) lmd_models_release(m, a[i].inst, 60000);
    T_EQ_INT(lmd_models_reap(m), 0);   /* not expired yet */
    lmd_models_free(m);
    T_EQ_INT(atomic_load(&l.n_unloads), 1);
}

T_TEST(models_keep_alive_zero_unloads_when_idle) {
    loader l = { 0 };
    lmd_models *m = mk(&l, 3);
    lmd_model_inst *x, *y;
    bool loaded = false;
    T_EQ_INT(lmd_models_acquire(m, "a", 0, &x, &loaded, NULL), LMD_OK);
    T_CHECK(loaded);
    T_EQ_INT(lmd_models_acquire(m, "a", 0, &y, &loaded, NULL), LMD_OK);
    T_CHECK(!loaded);
    lmd_models_release(m, x, 0);
    T_EQ_INT(atomic_load(&l.n_unloads), 0);   /* y still uses it */
    lmd_models_release(m, y, 60000);          /* the keep_alive 0 request asked: still goes */
    T_EQ_INT(lmd_models_reap(m), 1);
    T_EQ_INT(atomic_load(&l.n_unloads), 1);
    T_EQ_INT(lmd_models_list(m, NULL, 0), 0);
    lmd_models_free(m);
}

T_TEST(models_cap_unloads_least_recently_used_idle_model) {
    loader l = { 0 };
    lmd_models *m = mk(&l, 2);
    lmd_model_inst *a, *b, *c;
    lmd_models_acquire(m, "a", 0, &a, NULL, NULL);
    lmd_models_release(m, a, -1);
    lmd_models_acquire(m, "b", 0, &b, NULL, NULL);
    lmd_models_release(m, b, -1);
    lmd_models_acquire(m, "a", 0, &a, NULL, NULL);   /* a is now the most recent */
    lmd_models_release(m, a, -1);
    lmd_models_acquire(m, "c", 0, &c, NULL, NULL);
    lmd_models_release(m, c, -1);
    lmd_models_row rows[4];
    int n = lmd_models_list(m, rows, 4);
    T_EQ_INT(n, 2);
    int has_a = 0, has_b = 0;
    for (int i = 0; i < n; i++) {
        has_a |= !strcmp(rows[i].name, "a");
        has_b |= !strcmp(rows[i].name, "b");
    }
    T_CHECK(has_a && !has_b);
    T_EQ_INT(atomic_load(&l.n_loads), 3);
    T_EQ_INT(atomic_load(&l.n_unloads), 1);
    lmd_models_free(m);
}

T_TEST(models_expire_and_failed_load_leave_nothing_behind) {
    loader l = { 0 };
    lmd_models *m = mk(&l, 2);
    lmd_err err = { 0 };
    T_EQ_INT(lmd_models_expire(m, "a", &err), LMD_E_NOT_FOUND);
    lmd_model_inst *a;
    lmd_models_acquire(m, "a", 0, &a, NULL, NULL);
    lmd_models_release(m, a, -1);
    T_EQ_INT(lmd_models_expire(m, "a", NULL), LMD_OK);
    T_EQ_INT(atomic_load(&l.n_unloads), 1);
    l.fail = 1;
    lmd_err_clear(&err);
    T_EQ_INT(lmd_models_acquire(m, "zz", 0, &a, NULL, &err), LMD_E_NOT_FOUND);
    T_CHECK(strstr(err.msg, "zz") != NULL);
    T_EQ_INT(lmd_models_list(m, NULL, 0), 0);
    lmd_models_free(m);
}
