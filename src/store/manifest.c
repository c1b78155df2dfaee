/* manifest.c — Docker v2 schema 2 manifests as Ollama writes them: parsing with caps (size,
 * layer count, digest syntax), compact serialization, and the manifests/<host>/<ns>/<model>/
 * <tag> files: exact or case-insensitive lookup, atomic writes, and a walk over all of them
 * that never follows a symlink. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "store/store_int.h"

static lmd_status parse_layer(json_t *o, const char *what, const char *field,
                              lmd_store_layer *l, lmd_err *err) {
    if (!json_is_object(o))
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s: expected an object", what, field);
    json_t *mt = json_object_get(o, "mediaType"), *dg = json_object_get(o, "digest"),
           *sz = json_object_get(o, "size"), *from = json_object_get(o, "from");
    if (!json_is_string(mt) || json_string_length(mt) >= sizeof l->media_type)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s.mediaType: expected a short string", what,
                           field);
    if (!json_is_string(dg) || !lmd_store_digest_valid(json_string_value(dg)))
        return lmd_err_set(err, LMD_E_FORMAT,
                           "%s: %s.digest: expected sha256:<64 hex>, found '%.80s'", what, field,
                           json_is_string(dg) ? json_string_value(dg) : "(not a string)");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: %s.size: expected a non-negative integer",
                           what, field);
    snprintf(l->media_type, sizeof l->media_type, "%s", json_string_value(mt));
    /* Normalise to the colon form; "sha256-" is accepted on input as Ollama does. */
    snprintf(l->digest, sizeof l->digest, "sha256:%s", json_string_value(dg) + 7);
    l->size = (uint64_t)json_integer_value(sz);
    l->from[0] = '\0';
    if (json_is_string(from)) snprintf(l->from, sizeof l->from, "%s", json_string_value(from));
    return LMD_OK;
}

lmd_status lmd_store_manifest_parse(const char *json, size_t len, const char *what,
                                    lmd_store_manifest *out, lmd_err *err) {
    memset(out, 0, sizeof *out);
    if (len > LMD_STORE_MANIFEST_MAX_BYTES)
        return lmd_err_set(err, LMD_E_LIMIT, "%s: manifest is %zu bytes, limit %u", what, len,
                           LMD_STORE_MANIFEST_MAX_BYTES);
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return lmd_err_set(err, LMD_E_FORMAT, "%s: manifest JSON: %s at line %d column %d",
                           what, je.text, je.line, je.column);
    lmd_status st = LMD_OK;
    json_t *sv = json_object_get(root, "schemaVersion");
    json_t *cfg = json_object_get(root, "config"), *layers = json_object_get(root, "layers");
    if (!json_is_object(root)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: manifest: expected a JSON object", what);
        goto done;
    }
    if (sv && (!json_is_integer(sv) || json_integer_value(sv) != 2)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: schemaVersion: expected 2", what);
        goto done;
    }
    if ((st = parse_layer(cfg, what, "config", &out->config, err)) != LMD_OK) goto done;
    if (!json_is_array(layers)) {
        st = lmd_err_set(err, LMD_E_FORMAT, "%s: layers: expected an array", what);
        goto done;
    }
    size_t n = json_array_size(layers);
    if (n > LMD_STORE_MAX_LAYERS) {
        st = lmd_err_set(err, LMD_E_LIMIT, "%s: %zu layers, limit %d", what, n,
                         LMD_STORE_MAX_LAYERS);
        goto done;
    }
    out->layers = calloc(n ? n : 1, sizeof *out->layers);
    if (!out->layers) {
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", what);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "layers[%zu]", i);
        if ((st = parse_layer(json_array_get(layers, i), what, field, &out->layers[i], err)) !=
            LMD_OK)
            goto done;
        out->n_layers++;
    }
done:
    json_decref(root);
    if (st != LMD_OK) lmd_store_manifest_free(out);
    return st;
}

void lmd_store_manifest_free(lmd_store_manifest *m) {
    if (!m) return;
    free(m->layers);
    m->layers = NULL;
    m->n_layers = 0;
}

static json_t *layer_json(const lmd_store_layer *l) {
    json_t *o = json_object();
    json_object_set_new(o, "mediaType", json_string(l->media_type));
    json_object_set_new(o, "digest", json_string(l->digest));
    json_object_set_new(o, "size", json_integer((json_int_t)l->size));
    if (l->from[0]) json_object_set_new(o, "from", json_string(l->from));
    return o;
}

lmd_status lmd_store_manifest_dump(const lmd_store_manifest *m, char **out, size_t *len,
                                   lmd_err *err) {
    json_t *root = json_object(), *layers = json_array();
    json_object_set_new(root, "schemaVersion", json_integer(2));
    json_object_set_new(root, "mediaType", json_string(LMD_MT_MANIFEST));
    json_object_set_new(root, "config", layer_json(&m->config));
    for (int64_t i = 0; i < m->n_layers; i++) json_array_append_new(layers, layer_json(&m->layers[i]));
    json_object_set_new(root, "layers", layers);
    *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!*out) return lmd_err_set(err, LMD_E_NOMEM, "manifest: out of memory");
    if (len) *len = strlen(*out);
    return LMD_OK;
}

/* Finds the entry of dir matching want case-insensitively (a real directory or file, never a
 * symlink); copies its on-disk spelling into found. */
static bool find_fold(const char *dir, const char *want, bool want_dir, char *found, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool ok = false;
    while ((e = readdir(d))) {
        if (strcasecmp(e->d_name, want) != 0) continue;
        char p[LMD_STORE_PATH_MAX];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) != 0) continue;
        if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) continue;
        snprintf(found, cap, "%s", e->d_name);
        ok = true;
        break;
    }
    closedir(d);
    return ok;
}

lmd_status lmd_manifest_path(lmd_store *s, const lmd_store_name *n, bool must_exist,
                             char *buf, size_t cap, lmd_err *err) {
    int w = snprintf(buf, cap, "%s/manifests/%s/%s/%s/%s", s->root, n->host, n->ns, n->model,
                     n->tag);
    if (w < 0 || (size_t)w >= cap)
        return lmd_err_set(err, LMD_E_INVALID, "%s: manifest path too long", s->root);
    struct stat st;
    if (lstat(buf, &st) == 0 && S_ISREG(st.st_mode)) return LMD_OK;
    /* Case-insensitive fallback, one level at a time. */
    const char *parts[4] = { n->host, n->ns, n->model, n->tag };
    char path[LMD_STORE_PATH_MAX], found[LMD_STORE_HOST_MAX + 1];
    snprintf(path, sizeof path, "%s/manifests", s->root);
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++) {
        ok = find_fold(path, parts[i], i < 3, found, sizeof found);
        if (ok) {
            size_t l = strlen(path);
            snprintf(path + l, sizeof path - l, "/%s", found);
        }
    }
    if (ok) {
        snprintf(buf, cap, "%s", path);
        return LMD_OK;
    }
    if (must_exist) {
        char disp[512];
        lmd_store_name_display(n, disp, sizeof disp);
        return lmd_err_set(err, LMD_E_NOT_FOUND, "model '%s' not found", disp);
    }
    return LMD_OK; /* buf holds the exact path to create */
}

lmd_status lmd_manifest_read(lmd_store *s, const lmd_store_name *n, char **json, size_t *len,
                             char *path, size_t path_cap, lmd_err *err) {
    lmd_status st = lmd_manifest_path(s, n, true, path, path_cap, err);
    if (st != LMD_OK) return st;
    return lmd_fs_read_file(path, LMD_STORE_MANIFEST_MAX_BYTES, json, len, err);
}

lmd_status lmd_manifest_write(lmd_store *s, const lmd_store_name *n, const char *json,
                              size_t len, lmd_err *err) {
    char rel[LMD_STORE_PATH_MAX], path[LMD_STORE_PATH_MAX], old[LMD_STORE_PATH_MAX];
    old[0] = '\0';
    if (lmd_manifest_path(s, n, false, old, sizeof old, NULL) != LMD_OK) old[0] = '\0';
    snprintf(rel, sizeof rel, "manifests/%s/%s/%s", n->host, n->ns, n->model);
    lmd_status st = lmd_fs_mkdirs(s->root, rel, err);
    if (st != LMD_OK) return st;
    snprintf(path, sizeof path, "%s/%s/%s", s->root, rel, n->tag);
    if ((st = lmd_fs_write_atomic(path, json, len, err)) != LMD_OK) return st;
    /* An existing copy spelled differently is the same model to Ollama: keep one. */
    struct stat a, b;
    if (old[0] && strcmp(old, path) != 0 && lstat(old, &a) == 0 && lstat(path, &b) == 0 &&
        (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
        lmd_fs_unlink(old);
    return LMD_OK;
}

/* ---- walk ---- */
typedef struct {
    lmd_manifest_visit_fn fn;
    void *ud;
    lmd_err *err;
} walk_ctx;

static lmd_status walk_level(walk_ctx *w, char *path, size_t plen, int depth,
                             lmd_store_name *n) {
    DIR *d = opendir(path);
    if (!d) return LMD_OK;  /* missing level: nothing there */
    struct dirent *e;
    lmd_status st = LMD_OK;
    while (st == LMD_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;  /* ".", "..", temporary files */
        size_t nl = strlen(e->d_name);
        if (plen + 1 + nl + 1 > LMD_STORE_PATH_MAX) continue;
        path[plen] = '/';
        memcpy(path + plen + 1, e->d_name, nl + 1);
        struct stat sb;
        if (lstat(path, &sb) != 0) continue;
        char *dst = depth == 0 ? n->host : depth == 1 ? n->ns : depth == 2 ? n->model : n->tag;
        size_t cap = depth == 0 ? sizeof n->host : LMD_STORE_PART_MAX + 1;
        if (nl >= cap) continue;
        memcpy(dst, e->d_name, nl + 1);
        if (depth < 3) {
            if (S_ISDIR(sb.st_mode)) st = walk_level(w, path, plen + 1 + nl, depth + 1, n);
        } else if (S_ISREG(sb.st_mode)) {
            /* Only names that parse back are models; anything else is not ours to show. */
            char full[LMD_STORE_PATH_MAX];
            lmd_store_name chk;
            lmd_store_name_full(n, full, sizeof full);
            if (lmd_store_name_parse(full, &chk, NULL) == LMD_OK && !strcmp(chk.host, n->host) &&
                !strcmp(chk.ns, n->ns))
                st = w->fn(w->ud, n, path);
        }
        path[plen] = '\0';
    }
    closedir(d);
    return st;
}

lmd_status lmd_manifest_walk(lmd_store *s, lmd_manifest_visit_fn fn, void *ud, lmd_err *err) {
    char path[LMD_STORE_PATH_MAX];
    int plen = snprintf(path, sizeof path, "%s/manifests", s->root);
    lmd_store_name n;
    memset(&n, 0, sizeof n);
    walk_ctx w = { fn, ud, err };
    return walk_level(&w, path, (size_t)plen, 0, &n);
}
