/* stop.c — the stop-string matcher: generated text passes through it; it shows what can no
 * longer become part of a stop string and holds back a tail that is the start of one, so a stop
 * string split over several tokens is caught before any of it is printed. */
#include <stdlib.h>
#include <string.h>

#include "sample/sample.h"

#define MAX_STOPS 64
#define MAX_STOP_BYTES 1024
#define CHUNK 1024

struct lmd_sample_stop {
    char *stop[MAX_STOPS];
    size_t len[MAX_STOPS];
    int n;
    size_t max_len;
    char *buf;      /* held bytes + the chunk being looked at */
    size_t held;
    bool stopped;
};

lmd_status lmd_sample_stop_new(const char *const *stops, int n_stops, lmd_sample_stop **out, lmd_err *err) {
    *out = NULL;
    if (n_stops < 0 || n_stops > MAX_STOPS)
        return lmd_err_set(err, LMD_E_LIMIT, "stop: %d stop strings (max %d)", n_stops, MAX_STOPS);
    lmd_sample_stop *st = calloc(1, sizeof *st);
    if (!st) return lmd_err_set(err, LMD_E_NOMEM, "stop: out of memory");
    for (int i = 0; i < n_stops; i++) {
        size_t l = stops[i] ? strlen(stops[i]) : 0;
        if (l == 0) continue;
        if (l > MAX_STOP_BYTES) {
            lmd_sample_stop_free(st);
            return lmd_err_set(err, LMD_E_LIMIT, "stop: stop string %d is %zu bytes (max %d)", i, l, MAX_STOP_BYTES);
        }
        st->stop[st->n] = malloc(l);
        if (!st->stop[st->n]) {
            lmd_sample_stop_free(st);
            return lmd_err_set(err, LMD_E_NOMEM, "stop: out of memory");
        }
        memcpy(st->stop[st->n], stops[i], l);
        st->len[st->n++] = l;
        if (l > st->max_len) st->max_len = l;
    }
    st->buf = malloc(MAX_STOP_BYTES + CHUNK);
    if (!st->buf) {
        lmd_sample_stop_free(st);
        return lmd_err_set(err, LMD_E_NOMEM, "stop: out of memory");
    }
    *out = st;
    return LMD_OK;
}

void lmd_sample_stop_free(lmd_sample_stop *st) {
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->stop[i]);
    free(st->buf);
    free(st);
}

/* Looks at buf[0..n): on a full match writes the text before the earliest one and stops;
 * otherwise writes all but the longest tail that starts some stop string, and holds that. */
static size_t scan(lmd_sample_stop *st, size_t n, char *out) {
    size_t best = (size_t)-1;
    for (int i = 0; i < st->n; i++) {
        const char *m = memmem(st->buf, n, st->stop[i], st->len[i]);
        if (m && (size_t)(m - st->buf) < best) best = (size_t)(m - st->buf);
    }
    if (best != (size_t)-1) {
        memcpy(out, st->buf, best);
        st->stopped = true;
        st->held = 0;
        return best;
    }
    size_t keep = 0;  /* longest suffix of buf that is a proper prefix of a stop string */
    size_t lim = st->max_len ? st->max_len - 1 : 0;
    if (lim > n) lim = n;
    for (size_t k = lim; k > 0 && keep == 0; k--)
        for (int i = 0; i < st->n; i++)
            if (st->len[i] > k && memcmp(st->buf + n - k, st->stop[i], k) == 0) {
                keep = k;
                break;
            }
    size_t emit = n - keep;
    memcpy(out, st->buf, emit);
    memmove(st->buf, st->buf + emit, keep);
    st->held = keep;
    return emit;
}

size_t lmd_sample_stop_push(lmd_sample_stop *st, const char *text, size_t len, char *out, size_t cap,
                            bool *stopped) {
    size_t w = 0;
    while (!st->stopped && len > 0) {
        size_t take = len < CHUNK ? len : CHUNK;
        if (w + st->held + take > cap) break;  /* cap too small (see sample.h): stop writing */
        memcpy(st->buf + st->held, text, take);
        text += take;
        len -= take;
        w += scan(st, st->held + take, out + w);
    }
    *stopped = st->stopped;
    return w;
}

size_t lmd_sample_stop_flush(lmd_sample_stop *st, char *out, size_t cap) {
    if (st->stopped) return 0;
    size_t n = st->held <= cap ? st->held : cap;
    memcpy(out, st->buf, n);
    st->held = 0;
    return n;
}
