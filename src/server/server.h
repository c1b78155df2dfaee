/* server.h — `lmd serve`: the HTTP server (libmicrohttpd) with Ollama's and OpenAI's APIs.
 *
 * The server owns the loaded-model manager (engine/models.h) and one engine loop per loaded
 * model; HTTP threads only parse requests, hand them to an engine and stream what comes back
 * (a waiting connection is suspended, never a blocked thread). Statuses become HTTP codes here
 * and only here. */
#ifndef LMD_SERVER_H
#define LMD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "engine/models.h"
#include "util/err.h"

typedef struct lmd_server lmd_server;

typedef struct {
    const char *host;          /* "host:port", "[v6]:port", "http://host:port"; NULL = LMD_HOST
                                  / OLLAMA_HOST / 127.0.0.1:11434 */
    size_t max_body_bytes;     /* 0 = LMD_MAX_BODY or 32 MiB */
    int max_queue;             /* 0 = LMD_MAX_QUEUE or 512 */
    int n_http_threads;        /* 0 = 4 */
    /* Tests: how models load (load/unload/ctx); NULL = from the model store. */
    const lmd_models_opts *models;
} lmd_server_opts;

/* Parses a listen address like Ollama's OLLAMA_HOST: optional scheme, host (IPv4, [IPv6] or a
 * name), optional port (default 11434). Fills *addr / *addr_len. */
lmd_status lmd_server_parse_host(const char *s, struct sockaddr_storage *addr,
                                 socklen_t *addr_len, lmd_err *err);

/* Resolves the host string the environment asks for: LMD_HOST, else OLLAMA_HOST, else
 * "127.0.0.1:11434". The result is borrowed from the environment or a constant. */
const char *lmd_server_host_from_env(void);

/* Binds and starts serving on background threads. *out is freed with lmd_server_stop. */
lmd_status lmd_server_start(const lmd_server_opts *opts, lmd_server **out, lmd_err *err);

/* The bound port (useful when the host asked for port 0). */
int lmd_server_port(const lmd_server *s);

/* Cancels everything in flight, unloads models, stops the HTTP threads, frees s (NULL ok). */
void lmd_server_stop(lmd_server *s);

/* Client side, for `lmd ps` / `lmd stop`: sends one request to the server at LMD_HOST (or
 * OLLAMA_HOST, default 127.0.0.1:11434). body may be NULL. On success *status is the HTTP
 * status and *resp the body (heap, NUL-terminated). LMD_E_IO when nothing answers. */
lmd_status lmd_client_request(const char *method, const char *path, const char *body,
                              long *status, char **resp, lmd_err *err);

#endif
