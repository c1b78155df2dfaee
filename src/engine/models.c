/* models.c — loaded-model manager: load once under concurrency, keep_alive expiry on a reaper
 * thread, LRU unloading at the max_loaded cap. Loading and unloading run outside the lock
 * (they take seconds); an entry's state tells the others to wait. */
#include "engine/models.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

typedef enum { ST_LOADING, ST_READY, ST_UNLOADING } entry_state;

typedef struct entry entry;
struct entry {
    lmd_model_inst inst;
    entry_state state;
    int refs;
    int64_t last_used_ns;
    int64_t keep_alive_ms;    /* of the last release (<0 forever) */
    int64_t expires_ns;       /* monotonic; INT64_MAX = never */
    bool expire_now;
    entry *next;
};

struct lmd_models {
    lmd_models_opts opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    entry *head;
    bool stopping;
    pthread_t reaper;
    bool has_reaper;
};

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static entry *find(lmd_models *m, const char *name) {
    for (entry *e = m->head; e; e = e->next)
        if (!strcmp(e->inst.name, name)) return e;
    return NULL;
}

static void unlink_entry(lmd_models *m, entry *x) {
    for (entry **pp = &m->head; *pp; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            return;
        }
}

/* Unloads x (state already ST_UNLOADING) with the lock released, then forgets it. */
static void unload_locked(lmd_models *m, entry *x) {
    pthread_mutex_unlock(&m->mu);
    LMD_LOGI("unloading model %s", x->inst.name);
    m->opts.unload(m->opts.ctx, &x->inst);
    pthread_mutex_lock(&m->mu);
    unlink_entry(m, x);
    free(x);
    pthread_cond_broadcast(&m->cv);
}

int lmd_models_reap(lmd_models *m) {
    int n = 0;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        int64_t now = mono_ns();
        entry *x = NULL;
        for (entry *e = m->head; e; e = e->next)
            if (e->state == ST_READY && e->refs == 0 && (e->expire_now || e->expires_ns <= now)) {
                x = e;
                break;
            }
        if (!x) break;
        x->state = ST_UNLOADING;
        unload_locked(m, x);
        n++;
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

static void *reaper_thread(void *arg) {
    lmd_models *m = arg;
    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&m->cv, &m->mu, &ts);   /* releases broadcast too */
        if (m->stopping) break;
        pthread_mutex_unlock(&m->mu);
        lmd_models_reap(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

lmd_status lmd_models_create(const lmd_models_opts *opts, lmd_models **out, lmd_err *err) {
    *out = NULL;
    lmd_models *m = calloc(1, sizeof *m);
    if (!m) return lmd_err_set(err, LMD_E_NOMEM, "models: out of memory");
    m->opts = *opts;
    if (m->opts.max_loaded <= 0) {
        const char *v = getenv("LMD_MAX_LOADED_MODELS");
        if (!v || !*v) v = getenv("OLLAMA_MAX_LOADED_MODELS");
        m->opts.max_loaded = v && atoi(v) > 0 ? atoi(v) : 3;
    }
    if (m->opts.default_keep_alive_ms == 0) {
        const char *v = getenv("LMD_KEEP_ALIVE");
        if (!v || !*v) v = getenv("OLLAMA_KEEP_ALIVE");
        int64_t ms = 5 * 60 * 1000;
        if (v && *v) {
            char *end;
            double d = strtod(v, &end);
            if (end != v && !*end) ms = d < 0 ? -1 : (int64_t)(d * 1000);
            else {
                /* Go duration ("10m", "1h", "-1"): parsed by the same rules as requests. */
                double total = 0, num;
                const char *p = v;
                int neg = *p == '-';
                if (neg) p++;
                int ok = 1;
                while (*p && ok) {
                    num = strtod(p, &end);
                    if (end == p) { ok = 0; break; }
                    p = end;
                    if (!strncmp(p, "ms", 2)) { total += num; p += 2; }
                    else if (*p == 's') { total += num * 1e3; p++; }
                    else if (*p == 'm') { total += num * 60e3; p++; }
                    else if (*p == 'h') { total += num * 3600e3; p++; }
                    else ok = 0;
                }
                if (ok) ms = neg ? -1 : (int64_t)total;
                else LMD_LOGW("LMD_KEEP_ALIVE=%s is not a duration; using 5m", v);
            }
        }
        m->opts.default_keep_alive_ms = ms;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    if (!opts->no_reaper) {
        if (pthread_create(&m->reaper, NULL, reaper_thread, m) != 0) {
            pthread_mutex_destroy(&m->mu);
            pthread_cond_destroy(&m->cv);
            free(m);
            return lmd_err_set(err, LMD_E_IO, "models: cannot start reaper thread");
        }
        m->has_reaper = true;
    }
    *out = m;
    return LMD_OK;
}

void lmd_models_free(lmd_models *m) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->has_reaper) pthread_join(m->reaper, NULL);
    pthread_mutex_lock(&m->mu);
    while (m->head) {
        entry *x = m->head;
        if (x->state != ST_READY) {   /* a load still running on another thread */
            pthread_cond_wait(&m->cv, &m->mu);
            continue;
        }
        x->state = ST_UNLOADING;
        unload_locked(m, x);
    }
    pthread_mutex_unlock(&m->mu);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

int64_t lmd_models_default_keep_alive_ms(const lmd_models *m) {
    return m->opts.default_keep_alive_ms;
}

lmd_status lmd_models_acquire(lmd_models *m, const char *name, int64_t num_ctx,
                              lmd_model_inst **out, bool *loaded_now, lmd_err *err) {
    *out = NULL;
    if (loaded_now) *loaded_now = false;
    if (strlen(name) >= LMD_MODEL_NAME_BYTES)
        return lmd_err_set(err, LMD_E_INVALID, "model name too long");
    pthread_mutex_lock(&m->mu);
    for (;;) {
        if (m->stopping) {
            pthread_mutex_unlock(&m->mu);
            return lmd_err_set(err, LMD_E_CANCELLED, "server shutting down");
        }
        entry *e = find(m, name);
        if (e && e->state == ST_READY) {
            e->refs++;
            e->last_used_ns = mono_ns();
            e->expire_now = false;
            pthread_mutex_unlock(&m->mu);
            *out = &e->inst;
            return LMD_OK;
        }
        if (e) {   /* loading or unloading elsewhere: wait for it */
            pthread_cond_wait(&m->cv, &m->mu);
            continue;
        }
        int n = 0;
        entry *victim = NULL;
        for (entry *x = m->head; x; x = x->next) {
            n++;
            if (x->state == ST_READY && x->refs == 0 &&
                (!victim || x->last_used_ns < victim->last_used_ns))
                victim = x;
        }
        if (n >= m->opts.max_loaded) {
            if (victim) {
                victim->state = ST_UNLOADING;
                unload_locked(m, victim);
            } else {
                pthread_cond_wait(&m->cv, &m->mu);   /* all busy: wait for a release */
            }
            continue;
        }
        break;
    }
    entry *e = calloc(1, sizeof *e);
    if (!e) {
        pthread_mutex_unlock(&m->mu);
        return lmd_err_set(err, LMD_E_NOMEM, "models: out of memory");
    }
    snprintf(e->inst.name, sizeof e->inst.name, "%s", name);
    e->state = ST_LOADING;
    e->next = m->head;
    m->head = e;
    pthread_mutex_unlock(&m->mu);

    int64_t t0 = mono_ns();
    LMD_LOGI("loading model %s", name);
    lmd_status st = m->opts.load(m->opts.ctx, &e->inst, num_ctx, err);
    e->inst.load_ns = mono_ns() - t0;

    pthread_mutex_lock(&m->mu);
    if (st != LMD_OK) {
        unlink_entry(m, e);
        free(e);
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        return st;
    }
    e->state = ST_READY;
    e->refs = 1;
    e->last_used_ns = mono_ns();
    e->keep_alive_ms = m->opts.default_keep_alive_ms;
    e->expires_ns = INT64_MAX;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (loaded_now) *loaded_now = true;
    *out = &e->inst;
    return LMD_OK;
}

void lmd_models_release(lmd_models *m, lmd_model_inst *inst, int64_t keep_alive_ms) {
    if (!inst) return;
    entry *e = (entry *)inst;   /* inst is the first member */
    bool reap_now = false;
    pthread_mutex_lock(&m->mu);
    e->refs--;
    int64_t now = mono_ns();
    e->last_used_ns = now;
    e->keep_alive_ms = keep_alive_ms;
    if (keep_alive_ms < 0) e->expires_ns = INT64_MAX;
    else e->expires_ns = now + keep_alive_ms * 1000000;
    if (keep_alive_ms == 0) e->expire_now = true;
    reap_now = e->refs == 0 && e->expire_now;
    /* Never unload here: release may run on the model's own engine thread (a request's last
     * callback), and unloading joins that thread. The reaper wakes on this broadcast. */
    (void)reap_now;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

lmd_status lmd_models_expire(lmd_models *m, const char *name, lmd_err *err) {
    pthread_mutex_lock(&m->mu);
    entry *e = find(m, name);
    if (!e || e->state != ST_READY) {
        pthread_mutex_unlock(&m->mu);
        return lmd_err_set(err, LMD_E_NOT_FOUND, "model '%s' is not loaded", name);
    }
    e->expire_now = true;
    bool idle = e->refs == 0;
    pthread_mutex_unlock(&m->mu);
    if (idle) lmd_models_reap(m);
    return LMD_OK;
}

int lmd_models_list(lmd_models *m, lmd_models_row *rows, int cap) {
    pthread_mutex_lock(&m->mu);
    int n = 0;
    int64_t now_mono = mono_ns(), now_wall = wall_ms();
    for (entry *e = m->head; e; e = e->next) {
        if (e->state != ST_READY) continue;
        if (n < cap) {
            lmd_models_row *r = &rows[n];
            memset(r, 0, sizeof *r);
            snprintf(r->name, sizeof r->name, "%s", e->inst.name);
            snprintf(r->digest, sizeof r->digest, "%s", e->inst.digest);
            r->size_bytes = e->inst.size_bytes;
            r->n_ctx = e->inst.n_ctx;
            r->refs = e->refs;
            if (e->refs > 0)
                r->expires_unix_ms = e->keep_alive_ms < 0 ? INT64_MAX
                                                          : now_wall + e->keep_alive_ms;
            else if (e->expires_ns == INT64_MAX)
                r->expires_unix_ms = INT64_MAX;
            else
                r->expires_unix_ms = now_wall + (e->expires_ns - now_mono) / 1000000;
            if (e->inst.engine) lmd_engine_get_stats(e->inst.engine, &r->stats);
        }
        n++;
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

void lmd_models_cancel_all(lmd_models *m) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    for (entry *e = m->head; e; e = e->next)
        if (e->state == ST_READY && e->inst.engine) lmd_engine_cancel_all(e->inst.engine);
    pthread_mutex_unlock(&m->mu);
}
