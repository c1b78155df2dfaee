/* pull.c — `lmd pull`: Ollama's registry protocol. GET /v2/<ns>/<model>/manifests/<tag>, then
 * each blob by digest. A 401 carries a Bearer challenge whose realm must be on the registry's
 * own host; the token goes only to that host, never to a redirect target elsewhere. Blobs
 * stream into blobs/sha256-<hex>-lmd-partial with the fsynced length recorded beside it, so a
 * killed pull resumes with a Range request; a blob is named only after its SHA-256 and size
 * match the manifest; the manifest is written last. Caps: manifest bytes (after decoding),
 * layer count, token size, redirects, bytes per blob. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "store/store_int.h"
#include "util/log.h"

#define MAX_REDIRECTS 8
#define CHECKPOINT_BYTES (8u << 20)

typedef struct {
    lmd_store *s;
    const lmd_store_pull_opts *o;
    char base[1024];      /* scheme://host[:port] of the registry */
    char reg_host[512];   /* host[:port] the token may go to */
    char token[4096];
    bool has_token;
    lmd_store_name name;
} puller;

static int progress(puller *p, const char *status, const char *digest, uint64_t total,
                    uint64_t done) {
    return p->o && p->o->progress ? p->o->progress(p->o->progress_ud, status, digest, total, done)
                                  : 0;
}

/* Pulls one quoted or bare parameter out of a Bearer challenge. */
static bool challenge_param(const char *h, const char *key, char *out, size_t cap) {
    size_t kl = strlen(key);
    for (const char *p = h; (p = strcasestr(p, key)); p += kl) {
        if (p != h && p[-1] != ' ' && p[-1] != ',') continue;
        const char *v = p + kl;
        if (*v != '=') continue;
        v++;
        size_t l;
        if (*v == '"') {
            v++;
            const char *e = strchr(v, '"');
            if (!e) return false;
            l = (size_t)(e - v);
        } else {
            l = strcspn(v, ", ");
        }
        if (l >= cap) return false;
        memcpy(out, v, l);
        out[l] = '\0';
        return true;
    }
    return false;
}

/* Percent-encodes s into out for a query string. */
static void url_escape(const char *s, char *out, size_t cap) {
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            out[o++] = (char)ch;
        else o += (size_t)snprintf(out + o, cap - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

/* Answers a 401: fetch a token from the challenge's realm, which must be on the registry. */
static lmd_status authenticate(puller *p, const char *challenge, lmd_err *err) {
    char realm[1024], service[256] = "", scope[512] = "", host[512];
    if (strncasecmp(challenge, "Bearer ", 7) != 0 ||
        !challenge_param(challenge, "realm", realm, sizeof realm))
        return lmd_err_set(err, LMD_E_FORMAT, "registry %s: 401 without a Bearer realm "
                           "(WWW-Authenticate: %.100s)", p->reg_host, challenge);
    if (!lmd_http_url_host(realm, host, sizeof host) || strcmp(host, p->reg_host) != 0)
        return lmd_err_set(err, LMD_E_FORMAT, "registry %s: auth realm %.200s is on another "
                           "host; refusing to send credentials there", p->reg_host, realm);
    if (!lmd_http_scheme_ok(realm, p->o->insecure))
        return lmd_err_set(err, LMD_E_FORMAT, "registry %s: auth realm %.200s is not https",
                           p->reg_host, realm);
    challenge_param(challenge, "service", service, sizeof service);
    challenge_param(challenge, "scope", scope, sizeof scope);
    char es[768], esc[1024], url[3072];
    url_escape(service, es, sizeof es);
    url_escape(scope, esc, sizeof esc);
    snprintf(url, sizeof url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
             es, esc);
    lmd_http_req rq = { .url = url, .max_body = 64u << 10, .stall_s = p->o->stall_timeout_s,
                        .accept_encoding = true };
    lmd_http_resp rs;
    lmd_http_get(&rq, &rs, err);
    lmd_status st = LMD_OK;
    json_t *j = NULL;
    if (rs.curl_error[0] || rs.status != 200) {
        st = lmd_err_set(err, LMD_E_IO, "registry %s: token request failed: %s%s (HTTP %ld)",
                         p->reg_host, rs.body_too_big ? "token answer over 64 KiB " : "",
                         rs.curl_error, rs.status);
        goto done;
    }
    j = json_loadb(rs.body ? rs.body : "", rs.body_len, 0, NULL);
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (!tok) tok = json_string_value(json_object_get(j, "access_token"));
    if (!tok || !*tok || strlen(tok) >= sizeof p->token || strpbrk(tok, "\r\n")) {
        st = lmd_err_set(err, LMD_E_FORMAT, "registry %s: token answer has no usable token",
                         p->reg_host);
        goto done;
    }
    snprintf(p->token, sizeof p->token, "%s", tok);
    p->has_token = true;
done:
    json_decref(j);
    lmd_http_resp_free(&rs);
    return st;
}

/* Fetches the manifest JSON (capped, gzip decoded under the cap). */
static lmd_status fetch_manifest(puller *p, char **out, size_t *len, lmd_err *err) {
    char url[2048];
    snprintf(url, sizeof url, "%s/v2/%s/%s/manifests/%s", p->base, p->name.ns, p->name.model,
             p->name.tag);
    for (int attempt = 0; attempt < 2; attempt++) {
        lmd_http_req rq = { .url = url, .bearer = p->has_token ? p->token : NULL,
                            .max_body = LMD_STORE_MANIFEST_MAX_BYTES, .accept_encoding = true,
                            .stall_s = p->o->stall_timeout_s };
        lmd_http_resp rs;
        lmd_http_get(&rq, &rs, err);
        if (rs.body_too_big) {
            lmd_http_resp_free(&rs);
            return lmd_err_set(err, LMD_E_LIMIT, "registry %s: manifest larger than %u bytes "
                               "(after decompression)", p->reg_host, LMD_STORE_MANIFEST_MAX_BYTES);
        }
        if (rs.curl_error[0]) {
            lmd_status st = lmd_err_set(err, LMD_E_IO, "registry %s: manifest: %s", p->reg_host,
                                        rs.curl_error);
            lmd_http_resp_free(&rs);
            return st;
        }
        if (rs.status == 401 && !p->has_token) {
            char ch[1024];
            snprintf(ch, sizeof ch, "%s", rs.www_auth);
            lmd_http_resp_free(&rs);
            lmd_status st = authenticate(p, ch, err);
            if (st != LMD_OK) return st;
            continue;
        }
        if (rs.status == 200) {
            *out = rs.body ? rs.body : strdup("");
            *len = rs.body_len;
            return LMD_OK;
        }
        lmd_http_resp_free(&rs);
        char disp[512];
        lmd_store_name_display(&p->name, disp, sizeof disp);
        if (rs.status == 404)
            return lmd_err_set(err, LMD_E_NOT_FOUND, "pull model manifest: file does not exist "
                               "(%s on %s)", disp, p->reg_host);
        return lmd_err_set(err, LMD_E_IO, "registry %s: manifest for %s: HTTP %ld", p->reg_host,
                           disp, rs.status);
    }
    return lmd_err_set(err, LMD_E_IO, "registry %s: still unauthorized after a token",
                       p->reg_host);
}

/* ---- one blob ---- */
typedef struct {
    puller *p;
    const lmd_store_layer *l;
    int fd;
    uint64_t offset;       /* bytes in the partial file */
    uint64_t synced;       /* bytes covered by the last checkpoint */
    lmd_sha256 h;
    bool restarted;        /* a 200 answer to a Range request: start over */
    bool too_long, cancelled, io_failed, bad_range;
    char partial[LMD_STORE_PATH_MAX], record[LMD_STORE_PATH_MAX];
    uint64_t range_asked;
    time_t last_checkpoint; /* wall seconds; checkpoints every 8 MiB or every second */
} blob_dl;

static lmd_status checkpoint(blob_dl *d, lmd_err *err) {
    if (d->offset == d->synced) return LMD_OK;
    if (lmd_fs_fsync(d->fd) != 0)
        return lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", d->partial, strerror(errno));
    char num[32];
    int n = snprintf(num, sizeof num, "%llu\n", (unsigned long long)d->offset);
    lmd_status st = lmd_fs_write_atomic(d->record, num, (size_t)n, err);
    if (st == LMD_OK) d->synced = d->offset;
    return st;
}

static bool blob_write(void *ud, long status, const void *ptr, size_t n) {
    blob_dl *d = ud;
    if (d->range_asked && d->offset == d->range_asked && status == 200 && !d->restarted) {
        /* The server ignored our Range: keep nothing of the old partial. */
        d->restarted = true;
        if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0) {
            d->io_failed = true;
            return false;
        }
        lmd_sha256_free(&d->h);
        if (lmd_sha256_init(&d->h, NULL) != LMD_OK) {
            d->io_failed = true;
            return false;
        }
        d->offset = d->synced = 0;
    }
    if (n > d->l->size - d->offset) {
        d->too_long = true;
        return false;
    }
    if (lmd_fs_write_all(d->fd, ptr, n) < 0) {
        d->io_failed = true;
        return false;
    }
    lmd_sha256_update(&d->h, ptr, n);
    d->offset += n;
    time_t now = time(NULL);
    if (d->offset - d->synced >= CHECKPOINT_BYTES || now != d->last_checkpoint) {
        if (checkpoint(d, NULL) != LMD_OK) {
            d->io_failed = true;
            return false;
        }
        d->last_checkpoint = now;
    }
    char status_text[96];
    snprintf(status_text, sizeof status_text, "pulling %.12s", d->l->digest + 7);
    if (progress(d->p, status_text, d->l->digest, d->l->size, d->offset)) {
        d->cancelled = true;
        return false;
    }
    return true;
}

/* Opens the partial file and rewinds it to the recorded checkpoint, re-hashing what is kept. */
static lmd_status open_partial(blob_dl *d, lmd_err *err) {
    char hex[65];
    lmd_digest_hex(d->l->digest, hex);
    snprintf(d->partial, sizeof d->partial, "%s/blobs/sha256-%s-lmd-partial", d->p->s->root, hex);
    snprintf(d->record, sizeof d->record, "%s.offset", d->partial);
    /* Two pulls of the same blob (two processes, or two server requests) take turns: the
     * second waits for the lock, then finds the file renamed away (we hold the blob's old
     * inode) and reopens, or finds the blob complete. */
    for (int tries = 0;; tries++) {
        d->fd = open(d->partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (d->fd < 0)
            return lmd_err_set(err, LMD_E_IO, "%s: cannot open: %s", d->partial, strerror(errno));
        while (flock(d->fd, LOCK_EX) != 0 && errno == EINTR) {}
        struct stat a, b;
        if (fstat(d->fd, &a) == 0 && lstat(d->partial, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)
            break;
        close(d->fd);
        d->fd = -1;
        if (lmd_blob_exists(d->p->s, d->l->digest, d->l->size)) return LMD_OK;
        if (tries > 8)
            return lmd_err_set(err, LMD_E_IO, "%s: keeps changing under us", d->partial);
    }
    uint64_t keep = 0;
    char *rec = NULL;
    if (lmd_fs_read_file(d->record, 64, &rec, NULL, NULL) == LMD_OK) {
        char *end;
        unsigned long long v = strtoull(rec, &end, 10);
        struct stat sb;
        if (end != rec && fstat(d->fd, &sb) == 0 && v <= (uint64_t)sb.st_size && v <= d->l->size)
            keep = v;
        free(rec);
    }
    if (ftruncate(d->fd, (off_t)keep) != 0 || lseek(d->fd, (off_t)keep, SEEK_SET) < 0)
        return lmd_err_set(err, LMD_E_IO, "%s: cannot rewind: %s", d->partial, strerror(errno));
    lmd_status st = lmd_sha256_init(&d->h, err);
    if (st != LMD_OK) return st;
    if (keep) {
        char buf[1 << 16];
        uint64_t done = 0;
        while (done < keep) {
            size_t want = keep - done < sizeof buf ? (size_t)(keep - done) : sizeof buf;
            ssize_t r = pread(d->fd, buf, want, (off_t)done);
            if (r <= 0) return lmd_err_set(err, LMD_E_IO, "%s: cannot re-read", d->partial);
            lmd_sha256_update(&d->h, buf, (size_t)r);
            done += (uint64_t)r;
        }
    }
    d->offset = d->synced = keep;
    return LMD_OK;
}

static void drop_partial(blob_dl *d) {
    unlink(d->partial);
    unlink(d->record);
}

/* One attempt: follows redirects (credentials only to the registry host). Returns
 * LMD_E_IO for errors worth retrying, other codes for final ones. */
static lmd_status blob_attempt(blob_dl *d, lmd_err *err) {
    puller *p = d->p;
    char url[2048], host[512];
    snprintf(url, sizeof url, "%s/v2/%s/%s/blobs/%s", p->base, p->name.ns, p->name.model,
             d->l->digest);
    bool authed_retry = false;
    for (int hop = 0;; hop++) {
        if (hop > MAX_REDIRECTS)
            return lmd_err_set(err, LMD_E_FORMAT, "blob %.19s: more than %d redirects "
                               "(redirect loop?)", d->l->digest, MAX_REDIRECTS);
        if (!lmd_http_scheme_ok(url, p->o->insecure))
            return lmd_err_set(err, LMD_E_FORMAT, "blob %.19s: refusing non-https URL %.200s "
                               "(use --insecure)", d->l->digest, url);
        bool same_host = lmd_http_url_host(url, host, sizeof host) && !strcmp(host, p->reg_host);
        d->range_asked = d->offset;
        lmd_http_req rq = { .url = url, .bearer = same_host && p->has_token ? p->token : NULL,
                            .range_from = d->offset, .stall_s = p->o->stall_timeout_s,
                            .write = blob_write, .write_ud = d, .max_body = 64u << 10 };
        lmd_http_resp rs;
        lmd_http_get(&rq, &rs, err);
        lmd_status st = LMD_OK;
        if (d->too_long)
            st = lmd_err_set(err, LMD_E_FORMAT, "blob %s: registry sent more than the %llu bytes "
                             "the manifest declares", d->l->digest, (unsigned long long)d->l->size);
        else if (d->cancelled) st = lmd_err_set(err, LMD_E_CANCELLED, "pull cancelled");
        else if (d->io_failed)
            st = lmd_err_set(err, LMD_E_IO, "%s: write failed: %s", d->partial, strerror(errno));
        else if (rs.status == 206 && rs.content_range_from != d->range_asked)
            st = lmd_err_set(err, LMD_E_FORMAT, "blob %.19s: asked for bytes from %llu, got a "
                             "range from %llu", d->l->digest, (unsigned long long)d->range_asked,
                             (unsigned long long)rs.content_range_from);
        else if (rs.curl_error[0])
            st = lmd_err_set(err, LMD_E_IO, "blob %.19s: %s%s", d->l->digest,
                             rs.stalled ? "stalled: " : "", rs.curl_error);
        if (st != LMD_OK || rs.status == 200 || rs.status == 206) {
            lmd_http_resp_free(&rs);
            return st;
        }
        long status = rs.status;
        char loc[2048], ch[1024];
        snprintf(loc, sizeof loc, "%s", rs.location);
        snprintf(ch, sizeof ch, "%s", rs.www_auth);
        lmd_http_resp_free(&rs);
        if (status >= 300 && status < 400 && loc[0]) {
            snprintf(url, sizeof url, "%s", loc);
            continue;
        }
        if (status == 401 && same_host && !authed_retry) {
            authed_retry = true;
            p->has_token = false;
            if ((st = authenticate(p, ch, err)) != LMD_OK) return st;
            hop--;
            continue;
        }
        if (status == 416 && d->offset) { /* our partial is stale: start over */
            if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0)
                return lmd_err_set(err, LMD_E_IO, "%s: cannot truncate", d->partial);
            lmd_sha256_free(&d->h);
            if ((st = lmd_sha256_init(&d->h, err)) != LMD_OK) return st;
            d->offset = d->synced = 0;
            unlink(d->record);
            return lmd_err_set(err, LMD_E_IO, "blob %.19s: range not satisfiable, restarting",
                               d->l->digest);
        }
        if (status >= 500 || status == 429)
            return lmd_err_set(err, LMD_E_IO, "blob %.19s: HTTP %ld", d->l->digest, status);
        return lmd_err_set(err, status == 404 ? LMD_E_NOT_FOUND : LMD_E_FORMAT,
                           "blob %.19s: HTTP %ld", d->l->digest, status);
    }
}

static lmd_status pull_blob(puller *p, const lmd_store_layer *l, lmd_err *err) {
    char status_text[96];
    snprintf(status_text, sizeof status_text, "pulling %.12s", l->digest + 7);
    if (lmd_blob_exists(p->s, l->digest, l->size)) {
        progress(p, status_text, l->digest, l->size, l->size);
        return LMD_OK;
    }
    blob_dl d = { .p = p, .l = l, .fd = -1 };
    lmd_status st = open_partial(&d, err);
    if (st != LMD_OK) goto done;
    if (d.fd < 0 || lmd_blob_exists(p->s, l->digest, l->size)) { /* another pull finished it */
        progress(p, status_text, l->digest, l->size, l->size);
        goto done;
    }
    progress(p, status_text, l->digest, l->size, d.offset);
    int retries = p->o->max_retries > 0 ? p->o->max_retries : p->o->max_retries < 0 ? 0 : 6;
    for (int attempt = 0;; attempt++) {
        lmd_err e1 = { 0 };
        if (d.offset == l->size) break; /* everything is already here */
        st = blob_attempt(&d, &e1);
        lmd_err e2 = { 0 };
        if (checkpoint(&d, &e2) != LMD_OK && st == LMD_OK) {
            st = e2.status;
            e1 = e2;
        }
        if (st == LMD_OK) break;
        if (st != LMD_E_IO || attempt >= retries) {
            lmd_err_set(err, st, "%s", e1.msg);
            break;
        }
        unsigned delay = attempt < 5 ? 1u << attempt : 30u; /* 1 2 4 8 16 30 ... seconds */
        LMD_LOGW("pull: %s; retrying in %us", e1.msg, delay);
        sleep(delay);
    }
    if (st != LMD_OK) {
        if (st == LMD_E_FORMAT) drop_partial(&d); /* hostile bytes are not worth keeping */
        goto done;
    }
    if (d.offset != l->size) {
        st = lmd_err_set(err, LMD_E_FORMAT, "blob %s: got %llu bytes, manifest says %llu",
                         l->digest, (unsigned long long)d.offset, (unsigned long long)l->size);
        drop_partial(&d);
        goto done;
    }
    char hex[65], want[65];
    lmd_sha256_final_hex(&d.h, hex);
    lmd_digest_hex(l->digest, want);
    if (strcmp(hex, want) != 0) {
        st = lmd_err_set(err, LMD_E_FORMAT, "blob %s: content hashes to sha256:%s; discarded",
                         l->digest, hex);
        drop_partial(&d);
        goto done;
    }
    if (lmd_fs_fsync(d.fd) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", d.partial, strerror(errno));
        goto done;
    }
    /* The fd (and its lock) stays open until the rename is done: a second pull waiting on
     * the lock must find the partial gone, not take over a finished file. */
    char final[LMD_STORE_PATH_MAX], dir[LMD_STORE_PATH_MAX];
    snprintf(final, sizeof final, "%s/blobs/sha256-%s", p->s->root, hex);
    if (lmd_fs_rename(d.partial, final) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: rename failed: %s", final, strerror(errno));
        goto done;
    }
    unlink(d.record);
    snprintf(dir, sizeof dir, "%s/blobs", p->s->root);
    if (lmd_fs_fsync_dir(dir) != 0)
        st = lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", dir, strerror(errno));
done:
    if (d.fd >= 0) close(d.fd);
    if (d.h.ctx) lmd_sha256_free(&d.h);
    return st;
}

static bool is_hf_host(const char *h) {
    return !strcasecmp(h, "hf.co") || !strcasecmp(h, "huggingface.co");
}

/* Hugging Face repositories speak this same protocol at hf.co; without a tag the hub picks the
 * file (Q4_K_M when the repo has one). Say which one came, from the config blob. */
static void report_hf_choice(puller *p, const lmd_store_manifest *m) {
    if (!is_hf_host(p->name.host) || strcasecmp(p->name.tag, LMD_STORE_DEFAULT_TAG) != 0) return;
    char *cfg = NULL;
    if (lmd_blob_read(p->s, m->config.digest, 1u << 20, &cfg, NULL, NULL) != LMD_OK) return;
    json_t *o = json_loads(cfg, 0, NULL);
    const char *ft = json_string_value(json_object_get(o, "file_type"));
    char msg[160];
    snprintf(msg, sizeof msg, "no quantization tag given: %s picked %s%s", p->name.host,
             ft ? ft : "an unnamed file type",
             ft && !strcasecmp(ft, "Q4_K_M") ? " (the default)" : " (the repo has no Q4_K_M)");
    progress(p, msg, NULL, 0, 0);
    json_decref(o);
    free(cfg);
}

static lmd_status pull_locked(lmd_store *s, const char *name, const lmd_store_pull_opts *opts,
                              lmd_err *err);

lmd_status lmd_store_pull(lmd_store *s, const char *name, const lmd_store_pull_opts *opts,
                          lmd_err *err) {
    int lock = lmd_store_lock(s, false);
    lmd_status st = pull_locked(s, name, opts, err);
    lmd_store_unlock(lock);
    return st;
}

static lmd_status pull_locked(lmd_store *s, const char *name, const lmd_store_pull_opts *opts,
                              lmd_err *err) {
    lmd_store_pull_opts defaults = { 0 };
    puller p = { .s = s, .o = opts ? opts : &defaults };
    lmd_status st = lmd_store_name_parse(name, &p.name, err);
    if (st != LMD_OK) return st;
    if (p.o->registry && p.o->registry[0]) {
        snprintf(p.base, sizeof p.base, "%s", p.o->registry);
        size_t l = strlen(p.base);
        while (l && p.base[l - 1] == '/') p.base[--l] = '\0';
    } else {
        snprintf(p.base, sizeof p.base, "https://%s", p.name.host);
    }
    if (!lmd_http_scheme_ok(p.base, p.o->insecure))
        return lmd_err_set(err, LMD_E_INVALID, "registry %s: only https:// unless --insecure",
                           p.base);
    if (!lmd_http_url_host(p.base, p.reg_host, sizeof p.reg_host))
        return lmd_err_set(err, LMD_E_INVALID, "registry %s: no host", p.base);
    progress(&p, "pulling manifest", NULL, 0, 0);
    char *json = NULL;
    size_t len = 0;
    if ((st = fetch_manifest(&p, &json, &len, err)) != LMD_OK) return st;
    lmd_store_manifest m;
    char what[600];
    snprintf(what, sizeof what, "registry %s: manifest", p.reg_host);
    if ((st = lmd_store_manifest_parse(json, len, what, &m, err)) != LMD_OK) {
        free(json);
        return st;
    }
    /* Blobs: config first (small), then layers. */
    if ((st = pull_blob(&p, &m.config, err)) != LMD_OK) goto done;
    for (int64_t i = 0; i < m.n_layers; i++)
        if ((st = pull_blob(&p, &m.layers[i], err)) != LMD_OK) goto done;
    report_hf_choice(&p, &m);
    progress(&p, "verifying sha256 digest", NULL, 0, 0);
    progress(&p, "writing manifest", NULL, 0, 0);
    if ((st = lmd_manifest_write(s, &p.name, json, len, err)) != LMD_OK) goto done;
    progress(&p, "success", NULL, 0, 0);
done:
    lmd_store_manifest_free(&m);
    free(json);
    return st;
}
