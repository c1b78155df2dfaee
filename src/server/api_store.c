/* api_store.c — the model store over HTTP: /api/tags, /api/show, /api/copy, /api/delete,
 * /api/create, /api/pull, HEAD|POST /api/blobs/:digest, /v1/models, /v1/models/{id}. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "server/bgop.h"
#include "server/gen.h"
#include "store/store.h"

static lmd_store *open_store(lmd_conn *c, enum MHD_Result *res) {
    lmd_store *st = NULL;
    lmd_err err = { 0 };
    if (lmd_store_open(NULL, &st, &err) != LMD_OK) {
        *res = lmd_reply_error(c, 500, NULL, NULL, "model store: %s", err.msg);
        return NULL;
    }
    return st;
}

static void iso_time(time_t t, char *buf, size_t cap) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *details_of(const lmd_store_entry *e) {
    return json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s}", "parent_model", "", "format",
                     e->format[0] ? e->format : "gguf", "family", e->family, "families",
                     e->family, "parameter_size", e->parameter_size, "quantization_level",
                     e->quantization);
}

static lmd_status list_models(lmd_conn *c, lmd_store_entry **out, size_t *n,
                              enum MHD_Result *res) {
    lmd_store *st = open_store(c, res);
    if (!st) return LMD_E_IO;
    lmd_err err = { 0 };
    lmd_status s = lmd_store_list(st, out, n, &err);
    lmd_store_close(st);
    if (s != LMD_OK) *res = lmd_reply_error(c, 500, NULL, NULL, "%s", err.msg);
    return s;
}

enum MHD_Result lmd_h_tags(lmd_conn *c) {
    enum MHD_Result res;
    lmd_store_entry *e = NULL;
    size_t n = 0;
    if (list_models(c, &e, &n, &res) != LMD_OK) return res;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        iso_time(e[i].modified, ts, sizeof ts);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:s,s:o}", "name", e[i].display,
                                             "model", e[i].display, "modified_at", ts, "size",
                                             (json_int_t)e[i].size_bytes, "digest", e[i].digest_hex,
                                             "details", details_of(&e[i])));
    }
    free(e);
    return lmd_reply_json(c, 200, json_pack("{s:o}", "models", arr));
}

enum MHD_Result lmd_h_oai_models(lmd_conn *c) {
    enum MHD_Result res;
    lmd_store_entry *e = NULL;
    size_t n = 0;
    if (list_models(c, &e, &n, &res) != LMD_OK) return res;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:s}", "id", e[i].display, "object",
                                             "model", "created", (json_int_t)e[i].modified,
                                             "owned_by", e[i].name.ns));
    free(e);
    return lmd_reply_json(c, 200, json_pack("{s:s,s:o}", "object", "list", "data", arr));
}

enum MHD_Result lmd_h_oai_model(lmd_conn *c) {
    enum MHD_Result res;
    const char *id = c->url + strlen("/v1/models/");
    lmd_store_name want;
    if (lmd_store_name_parse(id, &want, NULL) != LMD_OK)
        return lmd_reply_error(c, 404, "model", "model_not_found", "model \"%s\" not found", id);
    lmd_store_entry *e = NULL;
    size_t n = 0;
    if (list_models(c, &e, &n, &res) != LMD_OK) return res;
    for (size_t i = 0; i < n; i++) {
        if (!lmd_store_name_eq(&e[i].name, &want)) continue;
        json_t *o = json_pack("{s:s,s:s,s:I,s:s}", "id", e[i].display, "object", "model",
                              "created", (json_int_t)e[i].modified, "owned_by", e[i].name.ns);
        free(e);
        return lmd_reply_json(c, 200, o);
    }
    free(e);
    return lmd_reply_error(c, 404, "model", "model_not_found", "model \"%s\" not found", id);
}

/* "model" (current) or "name" (older clients). */
static const char *model_field(lmd_jf *f, const json_t *req, const char *key) {
    const char *m = lmd_jf_str(f, req, key, NULL);
    if (!m) m = lmd_jf_str(f, req, "name", NULL);
    if (!f->failed && (!m || !*m)) lmd_jf_fail(f, key, "%s is required", key);
    return m;
}

static json_t *gguf_model_info(const char *path, bool verbose) {
    json_t *info = json_object();
    lmd_gguf *g = NULL;
    if (!path || lmd_gguf_open(path, NULL, &g, NULL) != LMD_OK) return info;
    for (int64_t i = 0; i < lmd_gguf_n_kv(g); i++) {
        lmd_str k = lmd_gguf_kv_key(g, i);
        const lmd_gguf_value *v = lmd_gguf_kv_value(g, i);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)k.len, k.ptr);
        if (!strncmp(key, "tokenizer.chat_template", 23)) continue;
        json_t *jv = NULL;
        switch (v->type) {
        case LMD_GGUF_UINT8: case LMD_GGUF_UINT16: case LMD_GGUF_UINT32: case LMD_GGUF_UINT64:
            jv = json_integer((json_int_t)v->u);
            break;
        case LMD_GGUF_INT8: case LMD_GGUF_INT16: case LMD_GGUF_INT32: case LMD_GGUF_INT64:
            jv = json_integer((json_int_t)v->i);
            break;
        case LMD_GGUF_FLOAT32: case LMD_GGUF_FLOAT64: jv = json_real(v->f); break;
        case LMD_GGUF_BOOL: jv = json_boolean(v->u); break;
        case LMD_GGUF_STRING: jv = lmd_json_text(v->s.ptr, v->s.len); break;
        case LMD_GGUF_ARRAY:
            /* Ollama leaves big arrays (the vocabulary) out unless verbose */
            if (!verbose) {
                jv = json_null();
            } else {
                jv = json_array();
                for (uint64_t a = 0; a < v->arr.n && a < 1000000; a++) {
                    if (v->arr.strs) json_array_append_new(jv, lmd_json_text(v->arr.strs[a].ptr, v->arr.strs[a].len));
                    else if (v->arr.type == LMD_GGUF_FLOAT32 || v->arr.type == LMD_GGUF_FLOAT64)
                        json_array_append_new(jv, json_real(lmd_gguf_arr_float(v, a)));
                    else if (!v->arr.items) json_array_append_new(jv, json_integer(lmd_gguf_arr_int(v, a)));
                }
            }
            break;
        }
        if (jv) json_object_set_new(info, key, jv);
    }
    lmd_gguf_close(g);
    return info;
}

/* Ollama's "parameters" text: one "name value" line per parameter. */
static char *params_text(const char *params_json) {
    json_t *p = params_json ? json_loads(params_json, 0, NULL) : NULL;
    if (!json_is_object(p)) {
        json_decref(p);
        return strdup("");
    }
    size_t cap = 1024, len = 0;
    char *out = calloc(1, cap);
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        json_t *items = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
            char *val = json_is_string(it) ? NULL : json_dumps(it, JSON_ENCODE_ANY | JSON_COMPACT);
            char line[1024];
            int n = json_is_string(it)
                        ? snprintf(line, sizeof line, "%-30s \"%s\"\n", k, json_string_value(it))
                        : snprintf(line, sizeof line, "%-30s %s\n", k, val ? val : "");
            free(val);
            if (n < 0) continue;
            if ((size_t)n >= sizeof line) n = sizeof line - 1;
            while (len + (size_t)n + 1 > cap) {
                cap *= 2;
                out = realloc(out, cap);
            }
            memcpy(out + len, line, (size_t)n + 1);
            len += (size_t)n;
        }
        json_decref(items);
    }
    json_decref(p);
    if (len && out[len - 1] == '\n') out[len - 1] = '\0';
    return out;
}

enum MHD_Result lmd_h_show(lmd_conn *c) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = model_field(&f, req, "model");
    int verbose = lmd_jf_bool(&f, req, "verbose", 0);
    if (f.failed) {
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    lmd_store *st = open_store(c, &res);
    if (!st) {
        json_decref(req);
        return res;
    }
    lmd_store_model *m = NULL;
    lmd_err err = { 0 };
    lmd_status s = lmd_store_resolve(st, model, &m, &err);
    if (s != LMD_OK) {
        lmd_store_close(st);
        res = s == LMD_E_NOT_FOUND
                  ? lmd_reply_error(c, 404, "model", NULL, "model \"%s\" not found", model)
                  : lmd_reply_error(c, lmd_http_status(s), NULL, NULL, "%s", err.msg);
        json_decref(req);
        return res;
    }
    lmd_store_gguf_info gi = { 0 };
    if (m->model_path) lmd_store_gguf_info_read(m->model_path, &gi, NULL);
    const char *caps[8];
    int n_caps = lmd_store_capabilities(m, &gi, caps);
    json_t *jcaps = json_array();
    for (int i = 0; i < n_caps; i++) json_array_append_new(jcaps, json_string(caps[i]));
    char *params = params_text(m->params_json);
    char display[512];
    lmd_store_name_display(&m->name, display, sizeof display);
    /* A Modelfile that recreates the model, as Ollama prints it. */
    size_t mf_cap = 1024 + (m->template_text ? strlen(m->template_text) : 0) +
                    (m->system ? strlen(m->system) : 0) + strlen(params) * 2 +
                    (m->model_path ? strlen(m->model_path) : 0);
    char *mf = malloc(mf_cap);
    int off = snprintf(mf, mf_cap, "# Modelfile generated by \"lmd show\"\n# To build a new "
                       "Modelfile based on this, replace FROM with:\n# FROM %s\n\nFROM %s\n",
                       display, m->model_path ? m->model_path : "");
    if (m->template_text)
        off += snprintf(mf + off, mf_cap - (size_t)off, "TEMPLATE \"\"\"%s\"\"\"\n", m->template_text);
    if (m->system) off += snprintf(mf + off, mf_cap - (size_t)off, "SYSTEM \"\"\"%s\"\"\"\n", m->system);
    for (const char *p = params; *p;) {
        size_t l = strcspn(p, "\n");
        off += snprintf(mf + off, mf_cap - (size_t)off, "PARAMETER %.*s\n", (int)l, p);
        p += l + (p[l] ? 1 : 0);
    }
    lmd_store_entry *e = NULL;
    size_t n = 0;
    char modified[40] = "";
    json_t *details = NULL;
    if (lmd_store_list(st, &e, &n, NULL) == LMD_OK)
        for (size_t i = 0; i < n; i++)
            if (lmd_store_name_eq(&e[i].name, &m->name)) {
                iso_time(e[i].modified, modified, sizeof modified);
                details = details_of(&e[i]);
            }
    free(e);
    if (!details)
        details = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s}", "parent_model", "", "format", "gguf",
                            "family", gi.architecture, "families", gi.architecture,
                            "parameter_size", gi.parameter_size, "quantization_level",
                            gi.file_type);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "modelfile", mf, "parameters", params,
                          "template", m->template_text ? m->template_text : "", "details",
                          details, "model_info", gguf_model_info(m->model_path, verbose),
                          "capabilities", jcaps, "modified_at", modified);
    if (m->system) json_object_set_new(o, "system", json_string(m->system));
    if (m->license) json_object_set_new(o, "license", json_string(m->license));
    free(mf);
    free(params);
    lmd_store_model_free(m);
    lmd_store_close(st);
    json_decref(req);
    return lmd_reply_json(c, 200, o);
}

enum MHD_Result lmd_h_copy(lmd_conn *c) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *src = lmd_jf_str(&f, req, "source", NULL);
    const char *dst = lmd_jf_str(&f, req, "destination", NULL);
    if (!f.failed && (!src || !*src)) lmd_jf_fail(&f, "source", "source is required");
    if (!f.failed && (!dst || !*dst)) lmd_jf_fail(&f, "destination", "destination is required");
    if (f.failed) {
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    lmd_store *st = open_store(c, &res);
    if (!st) {
        json_decref(req);
        return res;
    }
    lmd_err err = { 0 };
    lmd_status s = lmd_store_copy(st, src, dst, &err);
    lmd_store_close(st);
    res = s == LMD_OK ? lmd_reply_raw(c, 200, NULL, NULL, 0)
          : s == LMD_E_NOT_FOUND
              ? lmd_reply_error(c, 404, "source", NULL, "model \"%s\" not found", src)
              : lmd_reply_error(c, lmd_http_status(s), NULL, NULL, "%s", err.msg);
    json_decref(req);
    return res;
}

enum MHD_Result lmd_h_delete(lmd_conn *c) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = model_field(&f, req, "model");
    if (f.failed) {
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    lmd_store *st = open_store(c, &res);
    if (!st) {
        json_decref(req);
        return res;
    }
    lmd_err err = { 0 };
    lmd_status s = lmd_store_delete(st, model, &err);
    lmd_store_close(st);
    res = s == LMD_OK ? lmd_reply_raw(c, 200, NULL, NULL, 0)
          : s == LMD_E_NOT_FOUND
              ? lmd_reply_error(c, 404, "model", NULL, "model \"%s\" not found", model)
              : lmd_reply_error(c, lmd_http_status(s), NULL, NULL, "%s", err.msg);
    json_decref(req);
    return res;
}

/* ---- create ---- */

static lmd_status do_create(lmd_bgop *op, lmd_store *st, lmd_store_progress_fn progress,
                            lmd_err *err) {
    lmd_store_create_opts o = { .quantize = op->c, .progress = progress };
    return lmd_store_create(st, op->a, op->b, NULL, &o, err);
}

static void sb_add(char **s, size_t *len, size_t *cap, const char *a) {
    size_t n = strlen(a);
    while (*len + n + 1 > *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *s = realloc(*s, *cap);
    }
    memcpy(*s + *len, a, n + 1);
    *len += n;
}

/* The new /api/create fields (from, files, template, system, parameters, messages, license)
 * as a Modelfile the store understands. */
static char *modelfile_from_fields(lmd_conn *c, lmd_jf *f, const json_t *req) {
    char *s = NULL;
    size_t len = 0, cap = 0;
    const char *from = lmd_jf_str(f, req, "from", NULL);
    const json_t *files = lmd_jf_obj(f, req, "files");
    const char *tmpl = lmd_jf_str(f, req, "template", NULL);
    const char *system = lmd_jf_str(f, req, "system", NULL);
    const json_t *params = lmd_jf_obj(f, req, "parameters");
    const json_t *messages = lmd_jf_arr(f, req, "messages");
    const json_t *license = json_object_get(req, "license");
    if (f->failed) return NULL;
    char line[8192];
    if (files && json_object_size(files)) {
        const char *k;
        json_t *v;
        lmd_store *st = NULL;
        if (lmd_store_open(NULL, &st, NULL) != LMD_OK) {
            lmd_jf_fail(f, "files", "model store cannot be opened");
            return NULL;
        }
        json_object_foreach((json_t *)files, k, v) {
            char path[4096];
            const char *d = json_string_value(v);
            if (!d || lmd_store_blob_path(st, d, path, sizeof path, NULL) != LMD_OK) {
                lmd_jf_fail(f, "files", "files[\"%s\"]: not a valid sha256 digest", k);
                break;
            }
            if (access(path, R_OK) != 0) {
                lmd_jf_fail(f, "files", "files[\"%s\"]: blob %s was not uploaded (POST /api/blobs)",
                            k, d);
                break;
            }
            snprintf(line, sizeof line, "FROM %s\n", path);
            sb_add(&s, &len, &cap, line);
            break;   /* one model file */
        }
        lmd_store_close(st);
    } else if (from && *from) {
        snprintf(line, sizeof line, "FROM %s\n", from);
        sb_add(&s, &len, &cap, line);
    } else {
        lmd_jf_fail(f, "from", "neither 'from' nor 'files' given");
    }
    if (f->failed) {
        free(s);
        return NULL;
    }
    if (tmpl) {
        sb_add(&s, &len, &cap, "TEMPLATE \"\"\"");
        sb_add(&s, &len, &cap, tmpl);
        sb_add(&s, &len, &cap, "\"\"\"\n");
    }
    if (system) {
        sb_add(&s, &len, &cap, "SYSTEM \"\"\"");
        sb_add(&s, &len, &cap, system);
        sb_add(&s, &len, &cap, "\"\"\"\n");
    }
    if (json_is_string(license)) {
        sb_add(&s, &len, &cap, "LICENSE \"\"\"");
        sb_add(&s, &len, &cap, json_string_value(license));
        sb_add(&s, &len, &cap, "\"\"\"\n");
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)params, k, v) {
        json_t *items = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
            char *val = json_is_string(it) ? NULL : json_dumps(it, JSON_ENCODE_ANY);
            snprintf(line, sizeof line, "PARAMETER %s %s%s%s\n", k, json_is_string(it) ? "\"" : "",
                     json_is_string(it) ? json_string_value(it) : val ? val : "",
                     json_is_string(it) ? "\"" : "");
            free(val);
            sb_add(&s, &len, &cap, line);
        }
        json_decref(items);
    }
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        const char *content = json_string_value(json_object_get(m, "content"));
        if (!role || !content) continue;
        sb_add(&s, &len, &cap, "MESSAGE ");
        sb_add(&s, &len, &cap, role);
        sb_add(&s, &len, &cap, " \"\"\"");
        sb_add(&s, &len, &cap, content);
        sb_add(&s, &len, &cap, "\"\"\"\n");
    }
    (void)c;
    return s;
}

enum MHD_Result lmd_h_create(lmd_conn *c) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = model_field(&f, req, "model");
    const char *modelfile = lmd_jf_str(&f, req, "modelfile", NULL);
    const char *quantize = lmd_jf_str(&f, req, "quantize", NULL);
    int stream = lmd_jf_bool(&f, req, "stream", 1);
    char *text = NULL;
    if (!f.failed) text = modelfile ? strdup(modelfile) : modelfile_from_fields(c, &f, req);
    if (f.failed) {
        free(text);
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    char *name = strdup(model);
    char *q = quantize ? strdup(quantize) : NULL;
    json_decref(req);
    return lmd_bgop_run(c, do_create, stream, name, text, q, false);
}

/* ---- pull ---- */

static lmd_status do_pull(lmd_bgop *op, lmd_store *st, lmd_store_progress_fn progress,
                          lmd_err *err) {
    lmd_store_pull_opts o = { .insecure = op->flag, .registry = getenv("LMD_REGISTRY"),
                              .progress = progress };
    return lmd_store_pull(st, op->a, &o, err);
}

enum MHD_Result lmd_h_pull(lmd_conn *c) {
    enum MHD_Result res;
    json_t *req = lmd_req_json(c, &res);
    if (!req) return res;
    lmd_jf f = { 0 };
    const char *model = model_field(&f, req, "model");
    int insecure = lmd_jf_bool(&f, req, "insecure", 0);
    int stream = lmd_jf_bool(&f, req, "stream", 1);
    if (!f.failed && lmd_store_name_parse(model, &(lmd_store_name){ 0 }, NULL) != LMD_OK)
        lmd_jf_fail(&f, "model", "invalid model name \"%s\"", model);
    if (f.failed) {
        json_decref(req);
        return lmd_reply_jf(c, &f);
    }
    char *name = strdup(model);
    json_decref(req);
    return lmd_bgop_run(c, do_pull, stream, name, NULL, NULL, insecure);
}

/* ---- blobs ---- */

typedef struct {
    int fd;
    char tmp[4200], final[4096], hex[65];
    EVP_MD_CTX *sha;
    bool bad;
    char msg[256];
} upload;

static void upload_close(lmd_conn *c) {
    upload *u = c->upload;
    if (!u) return;
    if (u->fd >= 0) {
        close(u->fd);
        unlink(u->tmp);
    }
    EVP_MD_CTX_free(u->sha);
    free(u);
    c->upload = NULL;
}

static int upload_piece(lmd_conn *c, const char *data, size_t n) {
    upload *u = c->upload;
    if (u->bad) return 0;   /* keep draining; the final handler answers */
    EVP_DigestUpdate(u->sha, data, n);
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(u->fd, data + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            u->bad = true;
            snprintf(u->msg, sizeof u->msg, "writing blob: %s", strerror(errno));
            return 0;
        }
        off += (size_t)w;
    }
    return 0;
}

static const char *blob_digest(lmd_conn *c) { return c->url + strlen("/api/blobs/"); }

enum MHD_Result lmd_h_blobs_begin(lmd_conn *c) {
    upload *u = calloc(1, sizeof *u);
    if (!u) return MHD_NO;
    u->fd = -1;
    c->upload = u;
    c->on_close = upload_close;
    c->on_upload = upload_piece;
    const char *d = blob_digest(c);
    lmd_store *st = NULL;
    lmd_err err = { 0 };
    if (!lmd_store_digest_valid(d)) {
        u->bad = true;
        snprintf(u->msg, sizeof u->msg, "invalid digest \"%s\": expected sha256:<64 hex>", d);
        return MHD_YES;
    }
    if (lmd_store_open(NULL, &st, &err) != LMD_OK ||
        lmd_store_blob_path(st, d, u->final, sizeof u->final, &err) != LMD_OK) {
        lmd_store_close(st);
        u->bad = true;
        snprintf(u->msg, sizeof u->msg, "%s", err.msg);
        return MHD_YES;
    }
    lmd_store_close(st);
    memcpy(u->hex, d + 7, 64);
    u->hex[64] = '\0';
    snprintf(u->tmp, sizeof u->tmp, "%s.lmd-upload-XXXXXX", u->final);
    u->fd = mkstemp(u->tmp);
    u->sha = EVP_MD_CTX_new();
    if (u->fd < 0 || !u->sha || !EVP_DigestInit_ex(u->sha, EVP_sha256(), NULL)) {
        u->bad = true;
        snprintf(u->msg, sizeof u->msg, "cannot create a temporary blob file: %s",
                 strerror(errno));
    }
    return MHD_YES;
}

enum MHD_Result lmd_h_blobs(lmd_conn *c) {
    const char *d = blob_digest(c);
    if (c->method == LMD_M_HEAD) {
        lmd_store *st = NULL;
        char path[4096];
        struct stat sb;
        bool ok = lmd_store_digest_valid(d) && lmd_store_open(NULL, &st, NULL) == LMD_OK &&
                  lmd_store_blob_path(st, d, path, sizeof path, NULL) == LMD_OK &&
                  stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        lmd_store_close(st);
        return lmd_reply_raw(c, ok ? 200 : 404, NULL, NULL, 0);
    }
    if (!c->upload) lmd_h_blobs_begin(c);   /* empty body: nothing was streamed */
    upload *u = c->upload;
    if (u->bad) return lmd_reply_error(c, 400, "digest", NULL, "%s", u->msg);
    unsigned char md[32];
    unsigned int mdn = 0;
    EVP_DigestFinal_ex(u->sha, md, &mdn);
    char got[65];
    for (int i = 0; i < 32; i++) snprintf(got + 2 * i, 3, "%02x", md[i]);
    if (strcmp(got, u->hex) != 0)
        return lmd_reply_error(c, 400, "digest", NULL,
                               "digest mismatch: body hashes to sha256:%s, URL says sha256:%s",
                               got, u->hex);
    if (fsync(u->fd) != 0 || close(u->fd) != 0) {
        u->fd = -1;
        return lmd_reply_error(c, 500, NULL, NULL, "writing blob: %s", strerror(errno));
    }
    u->fd = -1;
    if (rename(u->tmp, u->final) != 0) {
        unlink(u->tmp);
        return lmd_reply_error(c, 500, NULL, NULL, "naming blob: %s", strerror(errno));
    }
    return lmd_reply_raw(c, 201, NULL, NULL, 0);
}
