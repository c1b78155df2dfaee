/* store.c — opening the store and the operations on whole models: list, resolve, copy,
 * delete and prune. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "store/store_int.h"
#include "util/log.h"

lmd_status lmd_store_default_root(char *buf, size_t cap, lmd_err *err) {
    const char *env = getenv("LMD_MODELS");
    if (!env || !*env) env = getenv("OLLAMA_MODELS");
    int n;
    if (env && *env) {
        n = snprintf(buf, cap, "%s", env);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return lmd_err_set(err, LMD_E_INVALID, "no store: set LMD_MODELS or HOME");
        n = snprintf(buf, cap, "%s/.lmd/models", home);
    }
    if (n < 0 || (size_t)n >= cap) return lmd_err_set(err, LMD_E_INVALID, "store path too long");
    return LMD_OK;
}

lmd_status lmd_store_open(const char *root, lmd_store **out, lmd_err *err) {
    *out = NULL;
    lmd_store *s = calloc(1, sizeof *s);
    if (!s) return lmd_err_set(err, LMD_E_NOMEM, "store: out of memory");
    lmd_status st;
    if (root) {
        if (strlen(root) >= sizeof s->root - 1024) {
            free(s);
            return lmd_err_set(err, LMD_E_INVALID, "%.100s: store path too long", root);
        }
        snprintf(s->root, sizeof s->root, "%s", root);
    } else if ((st = lmd_store_default_root(s->root, sizeof s->root - 1024, err)) != LMD_OK) {
        free(s);
        return st;
    }
    size_t l = strlen(s->root);
    while (l > 1 && s->root[l - 1] == '/') s->root[--l] = '\0';
    /* The root itself may be anywhere (even a symlink the user made); below it we create. */
    char parent[LMD_STORE_PATH_MAX];
    snprintf(parent, sizeof parent, "%s", s->root);
    for (char *p = parent + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(parent, 0755);
            *p = '/';
        }
    if (mkdir(s->root, 0755) != 0 && errno != EEXIST) {
        st = lmd_err_set(err, LMD_E_IO, "%s: cannot create store: %s", s->root, strerror(errno));
        free(s);
        return st;
    }
    if ((st = lmd_fs_mkdirs(s->root, "manifests", err)) != LMD_OK ||
        (st = lmd_fs_mkdirs(s->root, "blobs", err)) != LMD_OK) {
        free(s);
        return st;
    }
    *out = s;
    return LMD_OK;
}

void lmd_store_close(lmd_store *s) { free(s); }

const char *lmd_store_root(const lmd_store *s) { return s->root; }

/* ---- list ---- */
typedef struct {
    lmd_store *s;
    lmd_store_entry *items;
    size_t n, cap;
    lmd_err *err;
} list_ctx;

static void read_config_details(lmd_store *s, const lmd_store_layer *cfg, lmd_store_entry *e) {
    char *json = NULL;
    size_t len = 0;
    if (lmd_blob_read(s, cfg->digest, 1 << 20, &json, &len, NULL) != LMD_OK) return;
    json_t *o = json_loadb(json, len, 0, NULL);
    free(json);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    const char *v;
    if ((v = json_string_value(json_object_get(o, "model_family"))))
        snprintf(e->family, sizeof e->family, "%s", v);
    if ((v = json_string_value(json_object_get(o, "model_type"))))
        snprintf(e->parameter_size, sizeof e->parameter_size, "%s", v);
    if ((v = json_string_value(json_object_get(o, "file_type"))))
        snprintf(e->quantization, sizeof e->quantization, "%s", v);
    if ((v = json_string_value(json_object_get(o, "model_format"))))
        snprintf(e->format, sizeof e->format, "%s", v);
    json_decref(o);
}

static lmd_status list_visit(void *ud, const lmd_store_name *n, const char *path) {
    list_ctx *c = ud;
    char *json = NULL;
    size_t len = 0;
    lmd_err e2 = { 0 };
    lmd_store_manifest m;
    struct stat sb;
    if (lstat(path, &sb) != 0) return LMD_OK;
    if (lmd_fs_read_file(path, LMD_STORE_MANIFEST_MAX_BYTES, &json, &len, &e2) != LMD_OK ||
        lmd_store_manifest_parse(json, len, path, &m, &e2) != LMD_OK) {
        LMD_LOGW("store: skipping %s: %s", path, e2.msg);
        free(json);
        return LMD_OK;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        lmd_store_entry *ni = realloc(c->items, nc * sizeof *ni);
        if (!ni) {
            free(json);
            lmd_store_manifest_free(&m);
            return lmd_err_set(c->err, LMD_E_NOMEM, "list: out of memory");
        }
        c->items = ni;
        c->cap = nc;
    }
    lmd_store_entry *e = &c->items[c->n++];
    memset(e, 0, sizeof *e);
    e->name = *n;
    lmd_store_name_display(n, e->display, sizeof e->display);
    lmd_sha256_hex(json, len, e->digest_hex);
    e->size_bytes = m.config.size;
    for (int64_t i = 0; i < m.n_layers; i++) e->size_bytes += m.layers[i].size;
    e->modified = sb.st_mtime;
    read_config_details(c->s, &m.config, e);
    lmd_store_manifest_free(&m);
    free(json);
    return LMD_OK;
}

static int by_modified_desc(const void *a, const void *b) {
    const lmd_store_entry *x = a, *y = b;
    if (x->modified != y->modified) return x->modified < y->modified ? 1 : -1;
    return strcmp(x->display, y->display);
}

lmd_status lmd_store_list(lmd_store *s, lmd_store_entry **out, size_t *n, lmd_err *err) {
    list_ctx c = { .s = s, .err = err };
    lmd_status st = lmd_manifest_walk(s, list_visit, &c, err);
    if (st != LMD_OK) {
        free(c.items);
        return st;
    }
    if (c.n) qsort(c.items, c.n, sizeof *c.items, by_modified_desc);
    *out = c.items;
    *n = c.n;
    return LMD_OK;
}

/* ---- resolve ---- */
void lmd_store_model_free(lmd_store_model *m) {
    if (!m) return;
    lmd_store_manifest_free(&m->manifest);
    free(m->model_path);
    free(m->projector_path);
    free(m->template_text);
    free(m->system);
    free(m->params_json);
    free(m->messages_json);
    free(m->license);
    free(m->config_json);
    free(m);
}

#define SMALL_LAYER_MAX (16u << 20)

static lmd_status read_text_layer(lmd_store *s, const lmd_store_layer *l, char **dst,
                                  lmd_err *err) {
    char *text = NULL;
    lmd_status st = lmd_blob_read(s, l->digest, SMALL_LAYER_MAX, &text, NULL, err);
    if (st != LMD_OK) return st;
    if (*dst) { /* several license layers: join them */
        size_t a = strlen(*dst), b = strlen(text);
        char *j = realloc(*dst, a + b + 2);
        if (!j) {
            free(text);
            return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        }
        j[a] = '\n';
        memcpy(j + a + 1, text, b + 1);
        *dst = j;
        free(text);
    } else {
        *dst = text;
    }
    return LMD_OK;
}

lmd_status lmd_store_resolve(lmd_store *s, const char *name, lmd_store_model **out,
                             lmd_err *err) {
    *out = NULL;
    lmd_store_model *m = calloc(1, sizeof *m);
    if (!m) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    char path[LMD_STORE_PATH_MAX], hex[65];
    char *json = NULL;
    size_t len = 0;
    lmd_status st = lmd_store_name_parse(name, &m->name, err);
    if (st != LMD_OK) goto fail;
    if ((st = lmd_manifest_read(s, &m->name, &json, &len, path, sizeof path, err)) != LMD_OK)
        goto fail;
    lmd_sha256_hex(json, len, hex);
    snprintf(m->manifest_digest, sizeof m->manifest_digest, "sha256:%s", hex);
    if ((st = lmd_store_manifest_parse(json, len, path, &m->manifest, err)) != LMD_OK) goto fail;
    if ((st = read_text_layer(s, &m->manifest.config, &m->config_json, err)) != LMD_OK) goto fail;
    for (int64_t i = 0; i < m->manifest.n_layers; i++) {
        const lmd_store_layer *l = &m->manifest.layers[i];
        char bp[LMD_STORE_PATH_MAX];
        if (!strcmp(l->media_type, LMD_MT_MODEL) || !strcmp(l->media_type, LMD_MT_PROJECTOR)) {
            if ((st = lmd_store_blob_path(s, l->digest, bp, sizeof bp, err)) != LMD_OK) goto fail;
            struct stat sb;
            if (lstat(bp, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != l->size) {
                st = lmd_err_set(err, LMD_E_NOT_FOUND, "%s: layer %s missing or wrong size",
                                 path, l->digest);
                goto fail;
            }
            char **dst = !strcmp(l->media_type, LMD_MT_MODEL) ? &m->model_path
                                                                : &m->projector_path;
            free(*dst);
            if (!(*dst = strdup(bp))) {
                st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
                goto fail;
            }
            continue;
        }
        char **dst = !strcmp(l->media_type, LMD_MT_TEMPLATE)   ? &m->template_text
                     : !strcmp(l->media_type, LMD_MT_SYSTEM)   ? &m->system
                     : !strcmp(l->media_type, LMD_MT_PARAMS)   ? &m->params_json
                     : !strcmp(l->media_type, LMD_MT_MESSAGES) ? &m->messages_json
                     : !strcmp(l->media_type, LMD_MT_LICENSE)  ? &m->license
                                                               : NULL;
        if (!dst) continue; /* adapters and unknown layers: not used yet */
        if (dst != &m->license) {
            free(*dst);
            *dst = NULL;
        }
        if ((st = read_text_layer(s, l, dst, err)) != LMD_OK) goto fail;
    }
    free(json);
    *out = m;
    return LMD_OK;
fail:
    free(json);
    lmd_store_model_free(m);
    return st;
}

/* ---- copy / delete / prune ---- */
lmd_status lmd_store_copy(lmd_store *s, const char *src, const char *dst, lmd_err *err) {
    lmd_store_name a, b;
    lmd_status st;
    if ((st = lmd_store_name_parse(src, &a, err)) != LMD_OK) return st;
    if ((st = lmd_store_name_parse(dst, &b, err)) != LMD_OK) return st;
    char path[LMD_STORE_PATH_MAX];
    char *json = NULL;
    size_t len = 0;
    if ((st = lmd_manifest_read(s, &a, &json, &len, path, sizeof path, err)) != LMD_OK) return st;
    lmd_store_manifest m;
    if ((st = lmd_store_manifest_parse(json, len, path, &m, err)) == LMD_OK) {
        lmd_store_manifest_free(&m);
        st = lmd_manifest_write(s, &b, json, len, err);
    }
    free(json);
    return st;
}

/* Removes now-empty directories from the manifest's folder up to manifests/. */
static void remove_empty_dirs(lmd_store *s, const char *manifest_path) {
    char dir[LMD_STORE_PATH_MAX], stop[LMD_STORE_PATH_MAX];
    snprintf(stop, sizeof stop, "%s/manifests", s->root);
    lmd_fs_dirname(manifest_path, dir, sizeof dir);
    while (strlen(dir) > strlen(stop) && rmdir(dir) == 0) {
        char up[LMD_STORE_PATH_MAX];
        lmd_fs_dirname(dir, up, sizeof up);
        snprintf(dir, sizeof dir, "%s", up);
    }
}

lmd_status lmd_store_delete(lmd_store *s, const char *name, lmd_err *err) {
    lmd_store_name n;
    lmd_status st;
    if ((st = lmd_store_name_parse(name, &n, err)) != LMD_OK) return st;
    char path[LMD_STORE_PATH_MAX], dir[LMD_STORE_PATH_MAX];
    if ((st = lmd_manifest_path(s, &n, true, path, sizeof path, err)) != LMD_OK) return st;
    if (lmd_fs_unlink(path) != 0)
        return lmd_err_set(err, LMD_E_IO, "%s: cannot remove: %s", path, strerror(errno));
    lmd_fs_dirname(path, dir, sizeof dir);
    if (lmd_fs_fsync_dir(dir) != 0)
        return lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", dir, strerror(errno));
    remove_empty_dirs(s, path);
    return lmd_store_prune(s, NULL, err);
}

typedef struct {
    lmd_store *s;
    char (*hex)[65];
    size_t n, cap;
    lmd_err *err;
    bool bad;
} refs_ctx;

static lmd_status add_ref(refs_ctx *c, const char *digest) {
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        char(*nh)[65] = realloc(c->hex, nc * sizeof *nh);
        if (!nh) return lmd_err_set(c->err, LMD_E_NOMEM, "prune: out of memory");
        c->hex = nh;
        c->cap = nc;
    }
    lmd_digest_hex(digest, c->hex[c->n++]);
    return LMD_OK;
}

static lmd_status refs_visit(void *ud, const lmd_store_name *n, const char *path) {
    refs_ctx *c = ud;
    char *json = NULL;
    size_t len = 0;
    lmd_store_manifest m;
    lmd_err e2 = { 0 };
    if (lmd_fs_read_file(path, LMD_STORE_MANIFEST_MAX_BYTES, &json, &len, &e2) != LMD_OK ||
        lmd_store_manifest_parse(json, len, path, &m, &e2) != LMD_OK) {
        /* An unreadable manifest might reference anything: prune nothing this time. */
        LMD_LOGW("store: %s unreadable (%s); not pruning", path, e2.msg);
        c->bad = true;
        free(json);
        return LMD_OK;
    }
    free(json);
    lmd_status st = add_ref(c, m.config.digest);
    for (int64_t i = 0; st == LMD_OK && i < m.n_layers; i++) st = add_ref(c, m.layers[i].digest);
    lmd_store_manifest_free(&m);
    return st;
}

static int cmp_hex(const void *a, const void *b) { return memcmp(a, b, 64); }

lmd_status lmd_store_prune(lmd_store *s, int64_t *n_removed, lmd_err *err) {
    refs_ctx c = { .s = s, .err = err };
    int64_t removed = 0;
    if (n_removed) *n_removed = 0;
    int lock = lmd_store_lock(s, true);
    if (lock < 0) { /* a create or pull is adding blobs: prune next time */
        LMD_LOGI("store: busy, not pruning now");
        return LMD_OK;
    }
    lmd_status st = lmd_manifest_walk(s, refs_visit, &c, err);
    if (st != LMD_OK || c.bad) {
        free(c.hex);
        lmd_store_unlock(lock);
        return st;
    }
    if (c.n) qsort(c.hex, c.n, sizeof *c.hex, cmp_hex);
    char dir[LMD_STORE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/blobs", s->root);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            /* Only complete blob names: partial downloads and temp files are left alone. */
            char digest[80];
            if (strlen(e->d_name) != 71) continue;
            snprintf(digest, sizeof digest, "%s", e->d_name);
            if (!lmd_store_digest_valid(digest)) continue;
            if (c.n && bsearch(digest + 7, c.hex, c.n, sizeof *c.hex, cmp_hex)) continue;
            char p[LMD_STORE_PATH_MAX];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (lmd_fs_unlink(p) != 0) {
                st = lmd_err_set(err, LMD_E_IO, "%s: cannot remove: %s", p, strerror(errno));
                break;
            }
            removed++;
        }
        closedir(d);
    }
    free(c.hex);
    lmd_store_unlock(lock);
    if (n_removed) *n_removed = removed;
    return st;
}
