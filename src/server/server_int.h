/* server_int.h — what the files of server/ share: the per-request state, the route table,
 * reply helpers and the JSON field readers.
 *
 * Lock order: lmd_server.mu before any lmd_job.mu (jobs never take the server lock while
 * holding their own). */
#ifndef LMD_SERVER_INT_H
#define LMD_SERVER_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "engine/models.h"
#include "server/server.h"

typedef enum { LMD_API_PLAIN, LMD_API_OLLAMA, LMD_API_OPENAI } lmd_api_kind;

typedef struct lmd_conn lmd_conn;
typedef enum MHD_Result (*lmd_handler)(lmd_conn *c);

enum { LMD_M_GET = 1, LMD_M_HEAD = 2, LMD_M_POST = 4, LMD_M_DELETE = 8, LMD_M_PUT = 16,
       LMD_M_OPTIONS = 32, LMD_M_OTHER = 64 };

typedef struct lmd_route {
    const char *path;       /* exact path, or a prefix when it ends in '/' and is_prefix */
    bool is_prefix;
    unsigned methods;       /* LMD_M_* that this route accepts */
    lmd_handler handler;
    /* Non-NULL: the body is streamed (blobs); called once before the first piece to set
     * conn->on_upload, or to reply early with an error. */
    enum MHD_Result (*begin_upload)(lmd_conn *c);
} lmd_route;

struct lmd_conn {
    lmd_server *srv;
    struct MHD_Connection *mc;
    const char *url;                /* borrowed from MHD, valid for the request */
    unsigned method;                /* LMD_M_* */
    lmd_api_kind api;
    const lmd_route *route;         /* NULL: unknown path */
    char *body;                     /* NUL-terminated request body (heap) */
    size_t body_len, body_cap;
    bool body_too_big;
    bool upload_started;
    /* Streamed uploads: called for each piece of the body; nonzero stops storing. */
    int (*on_upload)(lmd_conn *c, const char *data, size_t n);
    void (*on_close)(lmd_conn *c);  /* frees upload/async state (conn is being freed) */
    void *upload;
    /* Suspended requests: called again when the connection is resumed. */
    lmd_handler on_resume;
    void *async;
};

struct lmd_server {
    struct MHD_Daemon *daemon;
    int port;
    size_t max_body_bytes;
    int max_queue;
    lmd_models *models;
    pthread_mutex_t mu;
    int n_suspended;                /* connections waiting on an engine (shutdown resumes) */
    bool stopping;
};

/* Fills the loader callbacks of the model manager (load.c). */
void lmd_server_loader(lmd_models_opts *o, lmd_server *s);

/* Routes (routes.c). */
const lmd_route *lmd_route_find(const char *path, unsigned *allowed_methods);
unsigned lmd_method_bit(const char *method);

/* Replies (reply.c). Each takes ownership of what it is given and returns MHD's result. */
enum MHD_Result lmd_reply_raw(lmd_conn *c, unsigned status, const char *content_type,
                              char *body, size_t len);
enum MHD_Result lmd_reply_json(lmd_conn *c, unsigned status, json_t *j);
/* An error in the API's own shape: Ollama {"error": msg}; OpenAI
 * {"error":{"message","type","param","code"}}. param/code may be NULL. */
enum MHD_Result lmd_reply_error(lmd_conn *c, unsigned status, const char *param,
                                const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The HTTP status for a library status (400 bad input, 404 not found, 503 limit...). */
unsigned lmd_http_status(lmd_status st);
/* Dumps j compactly (no escaping of '/') into a heap string; NULL when out of memory. */
char *lmd_json_dump(const json_t *j, size_t *len);
/* Builds an error object for mid-stream failures in the API's shape (owned by the caller). */
json_t *lmd_error_json(lmd_api_kind api, unsigned status, const char *msg);

/* Request JSON (jsonreq.c). Field readers record the first failure in a lmd_jf and return
 * the default after a failure, so a handler reads every field and replies once. */
typedef struct {
    bool failed;
    char param[64];
    char msg[256];
} lmd_jf;

/* Parses the request body as a JSON object. On failure replies 400 (with line, column and
 * position of a syntax error) and returns NULL with *result set to the reply's result. */
json_t *lmd_req_json(lmd_conn *c, enum MHD_Result *result);
const char *lmd_jf_str(lmd_jf *f, const json_t *o, const char *key, const char *dflt);
int64_t lmd_jf_int(lmd_jf *f, const json_t *o, const char *key, int64_t dflt);
double lmd_jf_num(lmd_jf *f, const json_t *o, const char *key, double dflt);
int lmd_jf_bool(lmd_jf *f, const json_t *o, const char *key, int dflt);   /* -1 when absent */
const json_t *lmd_jf_obj(lmd_jf *f, const json_t *o, const char *key);    /* NULL when absent */
const json_t *lmd_jf_arr(lmd_jf *f, const json_t *o, const char *key);
/* Records a failure by hand (first one wins). */
void lmd_jf_fail(lmd_jf *f, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ollama durations: a number of seconds or a Go duration string ("5m", "1h30m", "-1").
 * Returns milliseconds; negative = forever. */
int64_t lmd_jf_duration_ms(lmd_jf *f, const json_t *o, const char *key, int64_t dflt_ms);
/* Parses a Go duration string ("300ms", "1.5h", "-1m"); -1 on bad syntax. */
int lmd_parse_duration_ms(const char *s, int64_t *out_ms);
/* Reply 400 naming the failed field. */
enum MHD_Result lmd_reply_jf(lmd_conn *c, const lmd_jf *f);

/* Suspension (http.c): suspend the connection until lmd_conn_resume; on_resume then runs. */
void lmd_conn_suspend(lmd_conn *c, lmd_handler on_resume);
void lmd_conn_resume(lmd_conn *c);

/* Handlers. */
enum MHD_Result lmd_h_root(lmd_conn *c);
enum MHD_Result lmd_h_version(lmd_conn *c);
enum MHD_Result lmd_h_generate(lmd_conn *c);
enum MHD_Result lmd_h_chat(lmd_conn *c);
enum MHD_Result lmd_h_ps(lmd_conn *c);
enum MHD_Result lmd_h_tags(lmd_conn *c);
enum MHD_Result lmd_h_show(lmd_conn *c);
enum MHD_Result lmd_h_copy(lmd_conn *c);
enum MHD_Result lmd_h_delete(lmd_conn *c);
enum MHD_Result lmd_h_create(lmd_conn *c);
enum MHD_Result lmd_h_pull(lmd_conn *c);
enum MHD_Result lmd_h_push(lmd_conn *c);
enum MHD_Result lmd_h_blobs(lmd_conn *c);
enum MHD_Result lmd_h_blobs_begin(lmd_conn *c);
enum MHD_Result lmd_h_oai_chat(lmd_conn *c);
enum MHD_Result lmd_h_oai_completions(lmd_conn *c);
enum MHD_Result lmd_h_oai_models(lmd_conn *c);
enum MHD_Result lmd_h_oai_model(lmd_conn *c);
enum MHD_Result lmd_h_debug_engine(lmd_conn *c);

#endif
