/* bgop.c — see bgop.h. */
#include "server/bgop.h"

#include <stdlib.h>
#include <string.h>

static void op_unref(lmd_bgop *op) {
    pthread_mutex_lock(&op->mu);
    int left = --op->refs;
    pthread_mutex_unlock(&op->mu);
    if (left) return;
    free(op->out);
    free(op->a);
    free(op->b);
    free(op->c);
    pthread_mutex_destroy(&op->mu);
    free(op);
}

/* mu held */
static void op_line(lmd_bgop *op, json_t *o) {
    if (!o) return;
    size_t n = 0;
    char *s = lmd_json_dump(o, &n);
    json_decref(o);
    if (!s) return;
    if (op->len + n + 2 > op->cap) {
        size_t cap = op->cap ? op->cap : 1024;
        while (cap < op->len + n + 2) cap *= 2;
        char *nb = realloc(op->out, cap);
        if (!nb) {
            free(s);
            return;
        }
        op->out = nb;
        op->cap = cap;
    }
    memcpy(op->out + op->len, s, n);
    op->len += n;
    op->out[op->len++] = '\n';
    free(s);
    if (op->suspended && op->mc) {
        op->suspended = false;
        pthread_mutex_lock(&op->srv->mu);
        op->srv->n_suspended--;
        pthread_mutex_unlock(&op->srv->mu);
        MHD_resume_connection(op->mc);
    }
}

static _Thread_local lmd_bgop *current_op;

static int progress(void *ud, const char *status, const char *digest, uint64_t total,
                    uint64_t completed) {
    lmd_bgop *op = current_op;
    if (!op || op->quiet) return 0;
    pthread_mutex_lock(&op->mu);
    bool gone = op->gone;
    if (!gone) {
        if (status && !strcmp(status, "success")) op->said_success = true;
        json_t *o = json_pack("{s:s}", "status", status ? status : "");
        if (digest) json_object_set_new(o, "digest", json_string(digest));
        if (total) {
            json_object_set_new(o, "total", json_integer((json_int_t)total));
            json_object_set_new(o, "completed", json_integer((json_int_t)completed));
        }
        op_line(op, o);
    }
    pthread_mutex_unlock(&op->mu);
    return gone;   /* the client left: cancel */
}

static void run_work(lmd_bgop *op) {
    lmd_err err = { 0 };
    lmd_store *st = NULL;
    current_op = op;
    lmd_status s = lmd_store_open(NULL, &st, &err);
    if (s == LMD_OK) s = op->fn(op, st, progress, &err);
    lmd_store_close(st);
    current_op = NULL;
    pthread_mutex_lock(&op->mu);
    op->status = s == LMD_OK ? 200 : lmd_http_status(s);
    if (s != LMD_OK)
        op_line(op, json_pack("{s:s}", "error", err.msg[0] ? err.msg : "failed"));
    else if (!op->said_success)
        op_line(op, json_pack("{s:s}", "status", "success"));
    op->finished = true;
    if (op->suspended && op->mc) {
        op->suspended = false;
        pthread_mutex_lock(&op->srv->mu);
        op->srv->n_suspended--;
        pthread_mutex_unlock(&op->srv->mu);
        MHD_resume_connection(op->mc);
    }
    pthread_mutex_unlock(&op->mu);
}

static void *op_thread(void *arg) {
    lmd_bgop *op = arg;
    run_work(op);
    op_unref(op);
    return NULL;
}

static ssize_t op_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    lmd_bgop *op = cls;
    pthread_mutex_lock(&op->mu);
    if (op->off < op->len) {
        size_t n = op->len - op->off;
        if (n > max) n = max;
        memcpy(buf, op->out + op->off, n);
        op->off += n;
        if (op->off == op->len) op->off = op->len = 0;
        pthread_mutex_unlock(&op->mu);
        return (ssize_t)n;
    }
    if (op->finished) {
        pthread_mutex_unlock(&op->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    op->suspended = true;
    pthread_mutex_lock(&op->srv->mu);
    op->srv->n_suspended++;
    pthread_mutex_unlock(&op->srv->mu);
    MHD_suspend_connection(op->mc);
    pthread_mutex_unlock(&op->mu);
    return 0;
}

static void op_free_cb(void *cls) {
    lmd_bgop *op = cls;
    pthread_mutex_lock(&op->mu);
    op->gone = true;
    op->mc = NULL;
    pthread_mutex_unlock(&op->mu);
    op_unref(op);
}

enum MHD_Result lmd_bgop_run(lmd_conn *c, lmd_bgop_fn fn, bool stream, char *a, char *b,
                             char *cc, bool flag) {
    lmd_bgop *op = calloc(1, sizeof *op);
    if (!op) {
        free(a);
        free(b);
        free(cc);
        return lmd_reply_error(c, 500, NULL, NULL, "out of memory");
    }
    pthread_mutex_init(&op->mu, NULL);
    op->srv = c->srv;
    op->fn = fn;
    op->a = a;
    op->b = b;
    op->c = cc;
    op->flag = flag;
    if (!stream) {
        op->refs = 1;
        op->quiet = true;   /* no progress lines */
        run_work(op);
        unsigned status = op->status;
        json_t *reply = NULL;
        if (status == 200) {
            reply = json_pack("{s:s}", "status", "success");
        } else {
            /* the last line holds {"error": ...} */
            reply = op->len ? json_loadb(op->out, op->len, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
            if (!reply) reply = json_pack("{s:s}", "error", "failed");
        }
        op_unref(op);
        return lmd_reply_json(c, status, reply);
    }
    op->refs = 2;   /* the connection and the thread */
    op->mc = c->mc;
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, op_thread, op) != 0) {
        pthread_attr_destroy(&at);
        op->refs = 1;
        op_unref(op);
        return lmd_reply_error(c, 500, NULL, NULL, "cannot start a thread");
    }
    pthread_attr_destroy(&at);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, op_reader, op, op_free_cb);
    if (!r) {
        op_free_cb(op);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/x-ndjson");
    enum MHD_Result res = MHD_queue_response(c->mc, 200, r);
    MHD_destroy_response(r);
    return res;
}
