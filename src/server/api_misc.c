/* api_misc.c — the small endpoints: GET / and /api/version. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"

#ifndef LMD_VERSION
#define LMD_VERSION "0.1.0"
#endif

enum MHD_Result lmd_h_root(lmd_conn *c) {
    /* Ollama answers "Ollama is running"; clients probe this text. */
    const char *msg = "Ollama is running";
    return lmd_reply_raw(c, 200, "text/plain; charset=utf-8", strdup(msg), strlen(msg));
}

enum MHD_Result lmd_h_version(lmd_conn *c) {
    return lmd_reply_json(c, 200, json_pack("{s:s}", "version", LMD_VERSION));
}

static void iso8601_ms(int64_t unix_ms, char *buf, size_t cap) {
    if (unix_ms == INT64_MAX) unix_ms = (int64_t)253402300799 * 1000;   /* 9999-12-31 */
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
}

enum { MAX_PS_ROWS = 64 };

enum MHD_Result lmd_h_ps(lmd_conn *c) {
    lmd_models_row rows[MAX_PS_ROWS];
    int n = lmd_models_list(c->srv->models, rows, MAX_PS_ROWS);
    if (n > MAX_PS_ROWS) n = MAX_PS_ROWS;
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        lmd_models_row *r = &rows[i];
        char exp[64];
        iso8601_ms(r->expires_unix_ms, exp, sizeof exp);
        const char *digest = r->digest;
        if (!strncmp(digest, "sha256:", 7)) digest += 7;
        json_t *o = json_pack(
            "{s:s,s:s,s:I,s:s,s:{s:s,s:s,s:[],s:s,s:s,s:s},s:s,s:I,s:I,"
            "s:{s:I,s:I,s:I,s:I,s:i,s:i,s:I,s:I}}",
            "name", r->name, "model", r->name, "size", (json_int_t)r->size_bytes, "digest",
            digest, "details", "parent_model", "", "format", "gguf", "families", "family", "",
            "parameter_size", "", "quantization_level", "", "expires_at", exp, "size_vram",
            (json_int_t)0, "context_length", (json_int_t)r->n_ctx,
            /* lmd's own: the KV pool and scheduler, to watch blocks come and go */
            "lmd_engine", "kv_blocks", (json_int_t)r->stats.n_blocks, "kv_blocks_used",
            (json_int_t)r->stats.n_used_blocks, "kv_blocks_cached",
            (json_int_t)r->stats.n_cached_blocks, "kv_blocks_free",
            (json_int_t)r->stats.n_free_blocks, "running", r->stats.n_running, "waiting",
            r->stats.n_waiting, "preemptions", (json_int_t)r->stats.n_preemptions,
            "requests_done", (json_int_t)r->stats.n_requests_done);
        if (o) json_array_append_new(arr, o);
    }
    return lmd_reply_json(c, 200, json_pack("{s:o}", "models", arr));
}

enum MHD_Result lmd_h_debug_engine(lmd_conn *c) { return lmd_h_ps(c); }
