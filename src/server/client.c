/* client.c — the tiny HTTP client the CLI uses to talk to a running `lmd serve`. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

typedef struct {
    char *buf;
    size_t len;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    sink *s = ud;
    size_t add = size * n;
    char *nb = realloc(s->buf, s->len + add + 1);
    if (!nb) return 0;
    memcpy(nb + s->len, p, add);
    s->buf = nb;
    s->len += add;
    s->buf[s->len] = '\0';
    return add;
}

/* The URL base for a listen address: scheme kept if given, 0.0.0.0 / [::] mean this host. */
static void base_url(const char *host, char *out, size_t cap) {
    const char *scheme = "http://";
    if (!strncmp(host, "http://", 7)) host += 7;
    else if (!strncmp(host, "https://", 8)) { host += 8; scheme = "https://"; }
    char h[256];
    snprintf(h, sizeof h, "%s", host);
    h[strcspn(h, "/")] = '\0';
    const char *port = NULL;
    char name[256];
    if (h[0] == '[') {
        char *close = strchr(h, ']');
        if (close && close[1] == ':') port = close + 2;
        if (close) close[1] = '\0';
        snprintf(name, sizeof name, "%s", h);
        if (!strcmp(name, "[::]")) snprintf(name, sizeof name, "[::1]");
    } else {
        char *colon = strchr(h, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
        snprintf(name, sizeof name, "%s", h[0] ? h : "127.0.0.1");
        if (!strcmp(name, "0.0.0.0")) snprintf(name, sizeof name, "127.0.0.1");
    }
    snprintf(out, cap, "%s%s:%s", scheme, name, port && *port ? port : "11434");
}

lmd_status lmd_client_request(const char *method, const char *path, const char *body,
                              long *status, char **resp, lmd_err *err) {
    *resp = NULL;
    char url[600], base[400];
    base_url(lmd_server_host_from_env(), base, sizeof base);
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    if (!c) return lmd_err_set(err, LMD_E_NOMEM, "curl: cannot init");
    sink s = { 0 };
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    lmd_status st = LMD_OK;
    if (rc != CURLE_OK) {
        st = lmd_err_set(err, LMD_E_IO, "could not connect to lmd server at %s: %s (is `lmd "
                         "serve` running?)", base, curl_easy_strerror(rc));
        free(s.buf);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        *resp = s.buf ? s.buf : strdup("");
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return st;
}
