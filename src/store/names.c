/* names.c — model names as Ollama parses them: [scheme://][host/][namespace/]model[:tag].
 * Splitting follows Ollama's ParseNameBare (tag after the last ':' when it follows the last
 * '/', then model, namespace and host from the right); validation its isValidPart. Because the
 * charset has no '/' and no part may start with '.', a valid part is always a safe single
 * path component. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

enum { KIND_HOST, KIND_NAMESPACE, KIND_MODEL, KIND_TAG };

static bool is_alnum_us(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_';
}

static bool valid_part(int kind, const char *s, size_t len) {
    size_t max = kind == KIND_HOST ? LMD_STORE_HOST_MAX : LMD_STORE_PART_MAX;
    if (len < 1 || len > max) return false;
    if (!is_alnum_us(s[0])) return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (c == '_' || c == '-') continue;
        if (c == '.') {
            if (kind == KIND_NAMESPACE) return false;
            continue;
        }
        if (c == ':') {
            if (kind != KIND_HOST) return false;
            continue;
        }
        if (!is_alnum_us(c)) return false;
    }
    return true;
}

static const char *kind_name(int kind) {
    static const char *names[] = { "host", "namespace", "model", "tag" };
    return names[kind];
}

/* Last occurrence of c in [s, s+len), or NULL. */
static const char *last_of(const char *s, size_t len, char c) {
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == c) return s + i - 1;
    return NULL;
}

static lmd_status set_part(int kind, const char *p, size_t len, char *dst, const char *whole,
                           lmd_err *err) {
    if (!valid_part(kind, p, len))
        return lmd_err_set(err, LMD_E_INVALID, "invalid model name '%.200s': bad %s '%.*s'",
                           whole, kind_name(kind), (int)(len > 100 ? 100 : len), p);
    memcpy(dst, p, len);
    dst[len] = '\0';
    return LMD_OK;
}

lmd_status lmd_store_name_parse(const char *s, lmd_store_name *out, lmd_err *err) {
    memset(out, 0, sizeof *out);
    if (!s || !*s) return lmd_err_set(err, LMD_E_INVALID, "invalid model name: empty");
    size_t len = strlen(s);
    if (len > 1024) return lmd_err_set(err, LMD_E_INVALID, "invalid model name: too long");
    lmd_status st;
    const char *colon = last_of(s, len, ':'), *slash = last_of(s, len, '/');
    if (colon && (!slash || colon > slash)) {
        if ((st = set_part(KIND_TAG, colon + 1, len - (size_t)(colon + 1 - s), out->tag, s,
                           err)) != LMD_OK)
            return st;
        len = (size_t)(colon - s);
    }
    slash = last_of(s, len, '/');
    if (!slash) {
        if ((st = set_part(KIND_MODEL, s, len, out->model, s, err)) != LMD_OK) return st;
    } else {
        if ((st = set_part(KIND_MODEL, slash + 1, len - (size_t)(slash + 1 - s), out->model, s,
                           err)) != LMD_OK)
            return st;
        len = (size_t)(slash - s);
        slash = last_of(s, len, '/');
        if (!slash) {
            if ((st = set_part(KIND_NAMESPACE, s, len, out->ns, s, err)) != LMD_OK) return st;
        } else {
            if ((st = set_part(KIND_NAMESPACE, slash + 1, len - (size_t)(slash + 1 - s), out->ns,
                               s, err)) != LMD_OK)
                return st;
            len = (size_t)(slash - s);
            /* What is left is the host, possibly behind a scheme ("https://host"). */
            const char *h = s;
            for (size_t i = 0; i + 3 <= len; i++)
                if (!memcmp(s + i, "://", 3)) {
                    h = s + i + 3;
                    break;
                }
            if ((st = set_part(KIND_HOST, h, len - (size_t)(h - s), out->host, s, err)) != LMD_OK)
                return st;
        }
    }
    if (!out->host[0]) strcpy(out->host, LMD_STORE_DEFAULT_HOST);
    if (!out->ns[0]) strcpy(out->ns, LMD_STORE_DEFAULT_NAMESPACE);
    if (!out->tag[0]) strcpy(out->tag, LMD_STORE_DEFAULT_TAG);
    return LMD_OK;
}

bool lmd_store_name_eq(const lmd_store_name *a, const lmd_store_name *b) {
    return !strcasecmp(a->host, b->host) && !strcasecmp(a->ns, b->ns) &&
           !strcasecmp(a->model, b->model) && !strcasecmp(a->tag, b->tag);
}

void lmd_store_name_display(const lmd_store_name *n, char *buf, size_t cap) {
    if (strcasecmp(n->host, LMD_STORE_DEFAULT_HOST) != 0)
        snprintf(buf, cap, "%s/%s/%s:%s", n->host, n->ns, n->model, n->tag);
    else if (strcasecmp(n->ns, LMD_STORE_DEFAULT_NAMESPACE) != 0)
        snprintf(buf, cap, "%s/%s:%s", n->ns, n->model, n->tag);
    else
        snprintf(buf, cap, "%s:%s", n->model, n->tag);
}

void lmd_store_name_full(const lmd_store_name *n, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s/%s:%s", n->host, n->ns, n->model, n->tag);
}
