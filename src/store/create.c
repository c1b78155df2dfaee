/* create.c — `lmd create`: a Modelfile becomes a manifest. The FROM argument is a GGUF file
 * (relative to the Modelfile), a Hugging Face safetensors folder (converted to GGUF), or a
 * model already in the store (its layers are reused). TEMPLATE/SYSTEM/LICENSE/MESSAGE and
 * PARAMETERs become small layers; the config blob records format, family, size and file
 * type. Blobs are written first, the manifest last, so a failure leaves the old model. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "store/store_int.h"

typedef struct {
    lmd_store_layer *v;
    int64_t n, cap;
} layers;

static lmd_status push_layer(layers *ls, const lmd_store_layer *l, lmd_err *err) {
    if (ls->n == ls->cap) {
        int64_t nc = ls->cap ? ls->cap * 2 : 8;
        lmd_store_layer *nv = realloc(ls->v, (size_t)nc * sizeof *nv);
        if (!nv) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        ls->v = nv;
        ls->cap = nc;
    }
    ls->v[ls->n++] = *l;
    return LMD_OK;
}

static int report(const lmd_store_create_opts *o, const char *status) {
    return o && o->progress ? o->progress(o->progress_ud, status, NULL, 0, 0) : 0;
}

/* Stores text as a layer of the given media type and appends it. */
static lmd_status add_text_layer(lmd_store *s, layers *ls, const char *media_type,
                                 const char *text, const lmd_store_create_opts *o,
                                 lmd_err *err) {
    lmd_store_layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.media_type, sizeof l.media_type, "%s", media_type);
    l.size = strlen(text);
    bool existed;
    char hex[65], dg[72];
    lmd_sha256_hex(text, l.size, hex);
    snprintf(dg, sizeof dg, "sha256:%s", hex);
    existed = lmd_blob_exists(s, dg, l.size);
    lmd_status st = lmd_blob_put(s, text, l.size, l.digest, err);
    if (st != LMD_OK) return st;
    char msg[128];
    snprintf(msg, sizeof msg, "%s layer %s", existed ? "using existing" : "creating new",
             l.digest);
    if (report(o, msg)) return lmd_err_set(err, LMD_E_CANCELLED, "create cancelled");
    return push_layer(ls, &l, err);
}

static bool looks_like_path(const char *v) {
    return v[0] == '.' || v[0] == '/' || v[0] == '~' || strstr(v, ".gguf") || strstr(v, ".GGUF");
}

/* Resolves FROM's argument against the Modelfile's folder; "~/" is the home folder. */
static void from_path(const char *v, const char *base_dir, char *out, size_t cap) {
    const char *home = getenv("HOME");
    if (v[0] == '~' && v[1] == '/' && home) snprintf(out, cap, "%s/%s", home, v + 2);
    else if (v[0] == '/' || !base_dir) snprintf(out, cap, "%s", v);
    else snprintf(out, cap, "%s/%s", base_dir, v);
}

static lmd_status check_gguf_magic(const char *path, lmd_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lmd_err_set(err, LMD_E_IO, "%s: cannot open: %s", path, strerror(errno));
    char m[4] = { 0 };
    ssize_t r = read(fd, m, 4);
    close(fd);
    if (r != 4 || memcmp(m, "GGUF", 4) != 0)
        return lmd_err_set(err, LMD_E_INVALID, "%s: not a GGUF file (no GGUF magic)", path);
    return LMD_OK;
}

/* Builds the config blob (Ollama's fields) and returns its layer. */
static lmd_status write_config(lmd_store *s, const lmd_store_gguf_info *info,
                               const char *base_config, const layers *ls, lmd_store_layer *cfg,
                               lmd_err *err) {
    json_t *o = NULL;
    if (base_config) o = json_loads(base_config, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        o = json_object();
    }
    if (info) {
        json_object_set_new(o, "model_format", json_string("gguf"));
        json_object_set_new(o, "model_family", json_string(info->architecture));
        json_t *fams = json_array();
        json_array_append_new(fams, json_string(info->architecture));
        json_object_set_new(o, "model_families", fams);
        json_object_set_new(o, "model_type", json_string(info->parameter_size));
        json_object_set_new(o, "file_type", json_string(info->file_type));
    }
    json_object_set_new(o, "architecture", json_string("amd64"));
    json_object_set_new(o, "os", json_string("linux"));
    json_t *rootfs = json_object(), *ids = json_array();
    json_object_set_new(rootfs, "type", json_string("layers"));
    for (int64_t i = 0; i < ls->n; i++) json_array_append_new(ids, json_string(ls->v[i].digest));
    json_object_set_new(rootfs, "diff_ids", ids);
    json_object_set_new(o, "rootfs", rootfs);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->media_type, sizeof cfg->media_type, LMD_MT_CONFIG);
    cfg->size = strlen(text);
    lmd_status st = lmd_blob_put(s, text, cfg->size, cfg->digest, err);
    free(text);
    return st;
}

static lmd_status messages_json(const lmd_modelfile *mf, char **out, lmd_err *err) {
    *out = NULL;
    json_t *arr = json_array();
    for (int64_t i = 0; i < mf->n; i++) {
        if (strcmp(mf->cmds[i].cmd, "message") != 0) continue;
        json_t *m = json_object();
        json_object_set_new(m, "role", json_string(mf->cmds[i].name));
        json_object_set_new(m, "content", json_string(mf->cmds[i].value));
        json_array_append_new(arr, m);
    }
    if (json_array_size(arr)) {
        *out = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*out) {
            json_decref(arr);
            return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        }
    }
    json_decref(arr);
    return LMD_OK;
}

static lmd_status create_locked(lmd_store *s, const char *name, const char *text,
                                const char *base_dir, const lmd_store_create_opts *opts,
                                lmd_err *err);

lmd_status lmd_store_create(lmd_store *s, const char *name, const char *text,
                            const char *base_dir, const lmd_store_create_opts *opts,
                            lmd_err *err) {
    int lock = lmd_store_lock(s, false);
    lmd_status st = create_locked(s, name, text, base_dir, opts, err);
    lmd_store_unlock(lock);
    return st;
}

static lmd_status create_locked(lmd_store *s, const char *name, const char *text,
                                const char *base_dir, const lmd_store_create_opts *opts,
                                lmd_err *err) {
    lmd_store_name dst;
    lmd_modelfile mf = { 0 };
    layers ls = { 0 };
    lmd_store_model *base = NULL;
    lmd_store_gguf_info info, *infop = NULL;
    char *params = NULL, *msgs = NULL, *json = NULL;
    char tmp_gguf[LMD_STORE_PATH_MAX] = "", tmp_q[LMD_STORE_PATH_MAX] = "";
    lmd_status st;
    if ((st = lmd_store_name_parse(name, &dst, err)) != LMD_OK) return st;
    if ((st = lmd_modelfile_parse(text, strlen(text), &mf, err)) != LMD_OK) return st;
    const lmd_modelfile_cmd *from = NULL;
    for (int64_t i = 0; i < mf.n; i++) {
        const lmd_modelfile_cmd *c = &mf.cmds[i];
        if (!strcmp(c->cmd, "adapter")) {
            st = lmd_err_set(err, LMD_E_UNSUPPORTED,
                             "line %d: ADAPTER is not supported yet (LoRA adapters come later)",
                             c->line);
            goto done;
        }
        if (!strcmp(c->cmd, "from")) {
            if (from) {
                st = lmd_err_set(err, LMD_E_INVALID, "line %d: a second FROM (first on line %d)",
                                 c->line, from->line);
                goto done;
            }
            from = c;
        }
    }
    report(opts, "parsing modelfile");
    char path[LMD_STORE_PATH_MAX], model_src[LMD_STORE_PATH_MAX] = "";
    from_path(from->value, base_dir, path, sizeof path);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (!lmd_hf_dir_is_model(path)) {
            st = lmd_err_set(err, LMD_E_INVALID, "line %d: FROM %s: folder has no config.json",
                             from->line, from->value);
            goto done;
        }
        report(opts, "converting model");
        int fd;
        char probe[LMD_STORE_PATH_MAX];
        snprintf(probe, sizeof probe, "%s/blobs/x", s->root);
        if ((st = lmd_fs_tmp_open(probe, &fd, tmp_gguf, sizeof tmp_gguf, err)) != LMD_OK) {
            tmp_gguf[0] = '\0';
            goto done;
        }
        close(fd);
        if ((st = lmd_hf_convert(path, tmp_gguf, false, err)) != LMD_OK) goto done;
        snprintf(model_src, sizeof model_src, "%s", tmp_gguf);
    } else if (stat(path, &sb) == 0) {
        if ((st = check_gguf_magic(path, err)) != LMD_OK) goto done;
        snprintf(model_src, sizeof model_src, "%s", path);
    } else if (looks_like_path(from->value)) {
        st = lmd_err_set(err, LMD_E_NOT_FOUND, "line %d: FROM %s: no such file (looked at %s)",
                         from->line, from->value, path);
        goto done;
    } else {
        lmd_err e2 = { 0 };
        st = lmd_store_resolve(s, from->value, &base, &e2);
        if (st != LMD_OK) {
            st = lmd_err_set(err, st, "line %d: FROM %s: %s%s", from->line, from->value, e2.msg,
                             st == LMD_E_NOT_FOUND ? " (pull it first: lmd pull)" : "");
            goto done;
        }
    }
    if (model_src[0]) {
        report(opts, "parsing GGUF");
        if ((st = lmd_store_gguf_info_read(model_src, &info, err)) != LMD_OK) goto done;
        infop = &info;
    } else if (base->model_path &&
               lmd_store_gguf_info_read(base->model_path, &info, NULL) == LMD_OK) {
        infop = &info;
    }
    if (opts && opts->quantize) {
        const char *src = model_src[0] ? model_src : base ? base->model_path : NULL;
        if (!lmd_store_quantize_gguf) {
            st = lmd_err_set(err, LMD_E_UNSUPPORTED,
                             "-q %s: quantization is not available in this build",
                             opts->quantize);
            goto done;
        }
        if (!src || !infop || (strcmp(infop->file_type, "F32") && strcmp(infop->file_type, "F16") &&
                               strcmp(infop->file_type, "BF16"))) {
            st = lmd_err_set(err, LMD_E_INVALID, "-q %s: only F32/F16/BF16 models can be "
                             "quantized (model is %s)", opts->quantize,
                             infop ? infop->file_type : "unknown");
            goto done;
        }
        char msg[128];
        snprintf(msg, sizeof msg, "quantizing %s model to %s", infop->file_type, opts->quantize);
        report(opts, msg);
        int fd;
        char probe[LMD_STORE_PATH_MAX];
        snprintf(probe, sizeof probe, "%s/blobs/x", s->root);
        if ((st = lmd_fs_tmp_open(probe, &fd, tmp_q, sizeof tmp_q, err)) != LMD_OK) {
            tmp_q[0] = '\0';
            goto done;
        }
        close(fd);
        if ((st = lmd_store_quantize_gguf(src, tmp_q, opts->quantize, err)) != LMD_OK) goto done;
        snprintf(model_src, sizeof model_src, "%s", tmp_q);
        if ((st = lmd_store_gguf_info_read(model_src, &info, err)) != LMD_OK) goto done;
        infop = &info;
    }
    /* The model layer: a new blob, or the base model's layers (weights, projector). */
    if (model_src[0]) {
        lmd_store_layer l;
        memset(&l, 0, sizeof l);
        snprintf(l.media_type, sizeof l.media_type, LMD_MT_MODEL);
        if ((st = lmd_blob_import(s, model_src, l.digest, &l.size,
                                  opts ? opts->progress : NULL, opts ? opts->progress_ud : NULL,
                                  err)) != LMD_OK)
            goto done;
        char msg[128];
        snprintf(msg, sizeof msg, "creating new layer %s", l.digest);
        report(opts, msg);
        if ((st = push_layer(&ls, &l, err)) != LMD_OK) goto done;
    } else {
        for (int64_t i = 0; i < base->manifest.n_layers; i++) {
            const lmd_store_layer *l = &base->manifest.layers[i];
            if (strcmp(l->media_type, LMD_MT_MODEL) && strcmp(l->media_type, LMD_MT_PROJECTOR) &&
                strcmp(l->media_type, LMD_MT_ADAPTER))
                continue;
            lmd_store_layer c = *l;
            if (!c.from[0]) {
                char full[512];
                lmd_store_name_display(&base->name, full, sizeof full);
                snprintf(c.from, sizeof c.from, "%s", full);
            }
            char msg[128];
            snprintf(msg, sizeof msg, "using existing layer %s", l->digest);
            report(opts, msg);
            if ((st = push_layer(&ls, &c, err)) != LMD_OK) goto done;
        }
    }
    /* Text layers: the Modelfile's value wins, else the base model's. */
    const char *tmpl = base ? base->template_text : NULL, *sys = base ? base->system : NULL;
    bool new_license = false;
    for (int64_t i = 0; i < mf.n; i++) {
        const lmd_modelfile_cmd *c = &mf.cmds[i];
        if (!strcmp(c->cmd, "template")) tmpl = c->value;
        if (!strcmp(c->cmd, "system")) sys = c->value;
        if (!strcmp(c->cmd, "license")) new_license = true;
    }
    if (tmpl && (st = add_text_layer(s, &ls, LMD_MT_TEMPLATE, tmpl, opts, err)) != LMD_OK)
        goto done;
    if (sys && (st = add_text_layer(s, &ls, LMD_MT_SYSTEM, sys, opts, err)) != LMD_OK) goto done;
    if (base) /* base licenses are kept; new ones are added after them */
        for (int64_t i = 0; i < base->manifest.n_layers; i++)
            if (!strcmp(base->manifest.layers[i].media_type, LMD_MT_LICENSE) &&
                (st = push_layer(&ls, &base->manifest.layers[i], err)) != LMD_OK)
                goto done;
    if (new_license)
        for (int64_t i = 0; i < mf.n; i++)
            if (!strcmp(mf.cmds[i].cmd, "license") &&
                (st = add_text_layer(s, &ls, LMD_MT_LICENSE, mf.cmds[i].value, opts, err)) !=
                    LMD_OK)
                goto done;
    if ((st = messages_json(&mf, &msgs, err)) != LMD_OK) goto done;
    const char *m_json = msgs ? msgs : base ? base->messages_json : NULL;
    if (m_json && (st = add_text_layer(s, &ls, LMD_MT_MESSAGES, m_json, opts, err)) != LMD_OK)
        goto done;
    if ((st = lmd_modelfile_params_json(&mf, base ? base->params_json : NULL, &params, err)) !=
        LMD_OK)
        goto done;
    if (params && (st = add_text_layer(s, &ls, LMD_MT_PARAMS, params, opts, err)) != LMD_OK)
        goto done;
    lmd_store_manifest m = { .layers = ls.v, .n_layers = ls.n };
    if ((st = write_config(s, infop, base ? base->config_json : NULL, &ls, &m.config, err)) !=
        LMD_OK)
        goto done;
    size_t len;
    if ((st = lmd_store_manifest_dump(&m, &json, &len, err)) != LMD_OK) goto done;
    report(opts, "writing manifest");
    if ((st = lmd_manifest_write(s, &dst, json, len, err)) != LMD_OK) goto done;
    report(opts, "success");
done:
    if (tmp_gguf[0]) unlink(tmp_gguf);
    if (tmp_q[0]) unlink(tmp_q);
    free(json);
    free(params);
    free(msgs);
    free(ls.v);
    lmd_store_model_free(base);
    lmd_modelfile_free(&mf);
    return st;
}
