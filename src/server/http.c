/* http.c — the libmicrohttpd daemon: binds the listen address, collects request bodies (with
 * the size cap), finds the route, answers 404/405/413 itself, and suspends/resumes
 * connections that wait on an engine so no thread blocks per connection. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "util/log.h"
#include "util/ovf.h"

#define DEFAULT_PORT 11434
#define DEFAULT_MAX_BODY_BYTES ((size_t)32 << 20)

const char *lmd_server_host_from_env(void) {
    const char *h = getenv("LMD_HOST");
    if (!h || !*h) h = getenv("OLLAMA_HOST");
    if (!h || !*h) h = "127.0.0.1:11434";
    return h;
}

lmd_status lmd_server_parse_host(const char *s, struct sockaddr_storage *addr,
                                 socklen_t *addr_len, lmd_err *err) {
    char host[256], port_s[16];
    const char *p = s;
    if (!strncmp(p, "http://", 7)) p += 7;
    else if (!strncmp(p, "https://", 8)) p += 8;
    size_t n = strcspn(p, "/");   /* a trailing path is ignored, as Ollama does */
    const char *port = NULL;
    size_t host_len;
    if (*p == '[') {
        const char *close = memchr(p, ']', n);
        if (!close) return lmd_err_set(err, LMD_E_INVALID, "host '%s': '[' without ']'", s);
        host_len = (size_t)(close - p - 1);
        p++;
        if (close[1] == ':') port = close + 2;
        else if (close + 1 != p - 1 + n && close[1] != '\0' && close[1] != '/')
            return lmd_err_set(err, LMD_E_INVALID, "host '%s': expected ':' after ']'", s);
    } else {
        const char *colon = memchr(p, ':', n);
        host_len = colon ? (size_t)(colon - p) : n;
        if (colon) port = colon + 1;
    }
    if (host_len >= sizeof host) return lmd_err_set(err, LMD_E_INVALID, "host '%s': too long", s);
    memcpy(host, p, host_len);
    host[host_len] = '\0';
    if (!host[0]) strcpy(host, "127.0.0.1");
    long port_n = DEFAULT_PORT;
    if (port) {
        size_t pl = strcspn(port, "/");
        if (pl == 0 || pl >= sizeof port_s)
            return lmd_err_set(err, LMD_E_INVALID, "host '%s': bad port", s);
        memcpy(port_s, port, pl);
        port_s[pl] = '\0';
        char *end;
        port_n = strtol(port_s, &end, 10);
        if (*end || port_n < 0 || port_n > 65535)
            return lmd_err_set(err, LMD_E_INVALID, "host '%s': port '%s' is not 0..65535", s,
                               port_s);
    }
    snprintf(port_s, sizeof port_s, "%ld", port_n);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0 || !res)
        return lmd_err_set(err, LMD_E_INVALID, "host '%s': cannot resolve '%s': %s", s, host,
                           gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return LMD_OK;
}

unsigned lmd_method_bit(const char *m) {
    if (!strcmp(m, "GET")) return LMD_M_GET;
    if (!strcmp(m, "HEAD")) return LMD_M_HEAD;
    if (!strcmp(m, "POST")) return LMD_M_POST;
    if (!strcmp(m, "DELETE")) return LMD_M_DELETE;
    if (!strcmp(m, "PUT")) return LMD_M_PUT;
    if (!strcmp(m, "OPTIONS")) return LMD_M_OPTIONS;
    return LMD_M_OTHER;
}

static void allow_header(unsigned methods, char *buf, size_t cap) {
    static const struct { unsigned bit; const char *name; } names[] = {
        { LMD_M_GET, "GET" }, { LMD_M_HEAD, "HEAD" }, { LMD_M_POST, "POST" },
        { LMD_M_DELETE, "DELETE" }, { LMD_M_PUT, "PUT" },
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(methods & names[i].bit)) continue;
        if (buf[0]) strncat(buf, ", ", cap - strlen(buf) - 1);
        strncat(buf, names[i].name, cap - strlen(buf) - 1);
    }
}

static enum MHD_Result reply_405(lmd_conn *c, unsigned allowed) {
    char allow[64];
    allow_header(allowed, allow, sizeof allow);
    json_t *j = c->api == LMD_API_OPENAI
                    ? lmd_error_json(c->api, 405, "method not allowed")
                    : json_pack("{s:s}", "error", "405 method not allowed");
    size_t len = 0;
    char *body = j ? lmd_json_dump(j, &len) : NULL;
    json_decref(j);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? len : 0, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Allow", allow);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    enum MHD_Result res = MHD_queue_response(c->mc, 405, r);
    MHD_destroy_response(r);
    return res;
}

/* Appends a piece of body, or marks it too big (the rest is drained and discarded so the
 * client reads our 413 instead of a reset). */
static void take_body(lmd_conn *c, const char *data, size_t n) {
    if (c->body_too_big) return;
    if (c->on_upload) {
        if (c->on_upload(c, data, n) != 0) c->body_too_big = true;
        return;
    }
    size_t need;
    if (lmd_add_size(c->body_len, n, &need) || need > c->srv->max_body_bytes) {
        c->body_too_big = true;
        free(c->body);
        c->body = NULL;
        c->body_len = c->body_cap = 0;
        return;
    }
    if (need + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < need + 1) cap *= 2;
        char *nb = realloc(c->body, cap);
        if (!nb) {
            c->body_too_big = true;
            return;
        }
        c->body = nb;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, data, n);
    c->body_len = need;
    c->body[need] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
    lmd_server *s = cls;
    lmd_conn *c = *con_cls;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return MHD_NO;
        c->srv = s;
        c->mc = mc;
        c->url = url;
        c->method = lmd_method_bit(method);
        c->api = !strncmp(url, "/v1/", 4)    ? LMD_API_OPENAI
                 : !strncmp(url, "/api/", 5) ? LMD_API_OLLAMA
                                             : LMD_API_PLAIN;
        unsigned allowed = 0;
        c->route = lmd_route_find(url, &allowed);
        *con_cls = c;
        /* A declared length over the cap is refused before reading any of it. */
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        if (cl && !(c->route && c->route->begin_upload) &&
            strtoull(cl, NULL, 10) > s->max_body_bytes)
            c->body_too_big = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (c->route && c->route->begin_upload && !c->upload_started &&
            (c->route->methods & c->method) && c->method == LMD_M_POST) {
            c->upload_started = true;
            enum MHD_Result r = c->route->begin_upload(c);
            if (r != MHD_YES) return r;
        }
        take_body(c, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->on_resume) {
        lmd_handler h = c->on_resume;
        c->on_resume = NULL;
        return h(c);
    }
    if (!c->route) {
        if (c->api == LMD_API_PLAIN)
            return lmd_reply_raw(c, 404, "text/plain; charset=utf-8",
                                 strdup("404 page not found"), 18);
        return lmd_reply_error(c, 404, NULL, NULL, "404 page not found: %s", url);
    }
    if (!(c->route->methods & c->method)) {
        unsigned allowed = c->route->methods;
        return reply_405(c, allowed);
    }
    if (c->body_too_big && !c->route->begin_upload)
        return lmd_reply_error(c, 413, NULL, NULL,
                               "request body is larger than the limit of %zu bytes (LMD_MAX_BODY)",
                               s->max_body_bytes);
    return c->route->handler(c);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    lmd_conn *c = *con_cls;
    if (!c) return;
    if (c->on_close) c->on_close(c);
    free(c->body);
    free(c);
    *con_cls = NULL;
}

void lmd_conn_suspend(lmd_conn *c, lmd_handler on_resume) {
    c->on_resume = on_resume;
    pthread_mutex_lock(&c->srv->mu);
    c->srv->n_suspended++;
    pthread_mutex_unlock(&c->srv->mu);
    MHD_suspend_connection(c->mc);
}

void lmd_conn_resume(lmd_conn *c) {
    pthread_mutex_lock(&c->srv->mu);
    c->srv->n_suspended--;
    pthread_mutex_unlock(&c->srv->mu);
    MHD_resume_connection(c->mc);
}

/* libmicrohttpd's own messages (a client that went away mid-stream...) go to the debug log. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
    if (!lmd_log_enabled(LMD_LOG_DEBUG)) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    LMD_LOGD("http: %s", line);
}

static size_t env_size(const char *name, size_t dflt) {
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n == 0) return dflt;
    return (size_t)n;
}

lmd_status lmd_server_start(const lmd_server_opts *opts, lmd_server **out, lmd_err *err) {
    *out = NULL;
    lmd_server *s = calloc(1, sizeof *s);
    if (!s) return lmd_err_set(err, LMD_E_NOMEM, "server: out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->max_body_bytes = opts->max_body_bytes ? opts->max_body_bytes
                                             : env_size("LMD_MAX_BODY", DEFAULT_MAX_BODY_BYTES);
    s->max_queue = opts->max_queue ? opts->max_queue : (int)env_size("LMD_MAX_QUEUE", 512);
    const char *host = opts->host ? opts->host : lmd_server_host_from_env();
    struct sockaddr_storage addr;
    socklen_t addr_len;
    lmd_status st = lmd_server_parse_host(host, &addr, &addr_len, err);
    if (st != LMD_OK) goto fail;
    lmd_models_opts mo = { .max_queue = s->max_queue };
    if (opts->models) mo = *opts->models;
    else lmd_server_loader(&mo, s);
    if ((st = lmd_models_create(&mo, &s->models, err)) != LMD_OK) goto fail;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    unsigned n_threads = opts->n_http_threads > 0 ? (unsigned)opts->n_http_threads : 4;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                 MHD_OPTION_THREAD_POOL_SIZE, n_threads,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_CONNECTION_LIMIT, 4096u,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        st = lmd_err_set(err, LMD_E_IO, "listen %s: cannot bind (address in use?)", host);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return LMD_OK;
fail:
    lmd_models_free(s->models);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return st;
}

int lmd_server_port(const lmd_server *s) { return s->port; }

void lmd_server_stop(lmd_server *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    /* Engines finish every request as cancelled, which resumes every suspended connection;
     * MHD must not be stopped while a connection is suspended. */
    lmd_models_cancel_all(s->models);
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s->mu);
        int n = s->n_suspended;
        pthread_mutex_unlock(&s->mu);
        if (n <= 0) break;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    lmd_models_free(s->models);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
