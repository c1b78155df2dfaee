/* http.c — the HTTP client glue for pulls, on libcurl: one GET per call, with an optional
 * Range and bearer token, a stall timeout (no byte for N seconds), a cap on bodies collected
 * in memory, and redirects reported, not followed, so pull.c decides where credentials go. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "store/store_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct {
    CURL *c;
    const lmd_http_req *req;
    lmd_http_resp *resp;
    size_t cap;
} xfer;

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    xfer *x = ud;
    size_t len = size * n;
    if (len > 17 && !strncasecmp(p, "WWW-Authenticate:", 17)) {
        const char *v = p + 17;
        while (*v == ' ' && v < p + len) v++;
        size_t l = (size_t)(p + len - v);
        while (l && (v[l - 1] == '\r' || v[l - 1] == '\n')) l--;
        if (l >= sizeof x->resp->www_auth) l = sizeof x->resp->www_auth - 1;
        memcpy(x->resp->www_auth, v, l);
        x->resp->www_auth[l] = '\0';
    } else if (len > 14 && !strncasecmp(p, "Content-Range:", 14)) {
        char tmp[128];
        size_t l = len - 14 < sizeof tmp - 1 ? len - 14 : sizeof tmp - 1;
        memcpy(tmp, p + 14, l);
        tmp[l] = '\0';
        unsigned long long a;
        if (sscanf(tmp, " bytes %llu-", &a) == 1) x->resp->content_range_from = a;
    } else if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        /* a new response (after 100-continue etc.): forget headers of the previous one */
        x->resp->www_auth[0] = '\0';
        x->resp->content_range_from = UINT64_MAX;
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    xfer *x = ud;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
    if (x->req->write && (status == 200 || status == 206)) {
        if (!x->req->write(x->req->write_ud, status, p, len)) {
            x->resp->aborted_by_writer = true;
            return 0;
        }
        return len;
    }
    /* Memory body (manifests, tokens, error texts): capped, the cap checked before growing. */
    size_t max = x->req->max_body ? x->req->max_body : (64u << 10);
    if (x->resp->body_len + len > max) {
        x->resp->body_too_big = true;
        return 0;
    }
    if (x->resp->body_len + len + 1 > x->cap) {
        size_t nc = x->cap ? x->cap : 4096;
        while (nc < x->resp->body_len + len + 1) nc *= 2;
        char *nb = realloc(x->resp->body, nc);
        if (!nb) return 0;
        x->resp->body = nb;
        x->cap = nc;
    }
    memcpy(x->resp->body + x->resp->body_len, p, len);
    x->resp->body_len += len;
    x->resp->body[x->resp->body_len] = '\0';
    return len;
}

void lmd_http_resp_free(lmd_http_resp *resp) {
    free(resp->body);
    resp->body = NULL;
}

bool lmd_http_url_host(const char *url, char *buf, size_t cap) {
    const char *p = strstr(url, "://");
    if (!p) return false;
    p += 3;
    size_t l = strcspn(p, "/?#");
    const char *at = memchr(p, '@', l);  /* userinfo never counts as the host */
    if (at) {
        l -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (l == 0 || l >= cap) return false;
    for (size_t i = 0; i < l; i++) buf[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
    buf[l] = '\0';
    return true;
}

bool lmd_http_scheme_ok(const char *url, bool insecure) {
    if (!strncasecmp(url, "https://", 8)) return true;
    return insecure && !strncasecmp(url, "http://", 7);
}

lmd_status lmd_http_get(const lmd_http_req *req, lmd_http_resp *resp, lmd_err *err) {
    pthread_once(&curl_once, curl_init_once);
    memset(resp, 0, sizeof *resp);
    resp->content_range_from = UINT64_MAX;
    CURL *c = curl_easy_init();
    if (!c) return lmd_err_set(err, LMD_E_NOMEM, "curl: cannot create a handle");
    xfer x = { .c = c, .req = req, .resp = resp };
    struct curl_slist *hdr = NULL;
    char auth[4096 + 32], range[64];
    hdr = curl_slist_append(hdr, "Accept: application/vnd.docker.distribution.manifest.v2+json, "
                                 "application/json;q=0.5, */*;q=0.1");
    if (req->bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", req->bearer);
        hdr = curl_slist_append(hdr, auth);
    }
    if (req->range_from) {
        snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)req->range_from);
        hdr = curl_slist_append(hdr, range);
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "lmd/0.1 (ollama-compatible)");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req->connect_s ? req->connect_s : 30L);
    long stall = req->stall_s ? req->stall_s : 30L;
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall);
    if (req->accept_encoding) curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    char *loc = NULL;
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
        snprintf(resp->location, sizeof resp->location, "%s", loc);
    if (rc != CURLE_OK) {
        resp->stalled = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(resp->curl_error, sizeof resp->curl_error, "%s",
                 ebuf[0] ? ebuf : curl_easy_strerror(rc));
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return LMD_OK;
}
