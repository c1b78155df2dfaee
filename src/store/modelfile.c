/* modelfile.c — the Modelfile parser. One pass over the text with a line counter: an
 * instruction word, then its argument, which is either a """triple-quoted""" block (may span
 * lines), a "quoted" string (\" and \\ escapes), or the rest of the line trimmed. Comments are
 * lines whose first non-blank byte is '#'. PARAMETER values are checked against the option's
 * type here, so the error can name the line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "store/store_int.h"
#include "util/str.h"

typedef struct {
    const char *p, *end;
    int line;
} cursor;

static void skip_blanks(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r')) c->p++;
}

/* Reads a bare word (up to blank or end of line). */
static size_t read_word(cursor *c, const char **start) {
    *start = c->p;
    while (c->p < c->end && !isspace((unsigned char)*c->p)) c->p++;
    return (size_t)(c->p - *start);
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Reads the argument at the cursor into a new string. */
static lmd_status read_value(cursor *c, int line, char **out, lmd_err *err) {
    *out = NULL;
    skip_blanks(c);
    if (c->end - c->p >= 3 && !memcmp(c->p, "\"\"\"", 3)) {
        const char *s = c->p + 3, *q = s;
        while (q + 3 <= c->end && memcmp(q, "\"\"\"", 3) != 0) q++;
        if (q + 3 > c->end)
            return lmd_err_set(err, LMD_E_INVALID, "line %d: unterminated \"\"\" (unexpected EOF)",
                               line);
        for (const char *x = s; x < q; x++)
            if (*x == '\n') c->line++;
        *out = dup_n(s, (size_t)(q - s));
        c->p = q + 3;
    } else if (c->p < c->end && *c->p == '"') {
        const char *q = c->p + 1;
        size_t cap = 0;
        while (q < c->end && *q != '"' && *q != '\n') {
            if (*q == '\\' && q + 1 < c->end && q[1] != '\n') q++;
            q++;
            cap++;
        }
        if (q >= c->end || *q != '"')
            return lmd_err_set(err, LMD_E_INVALID, "line %d: unterminated quoted string", line);
        char *d = malloc(cap + 1);
        if (!d) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
        size_t k = 0;
        for (const char *x = c->p + 1; x < q; x++) {
            if (*x == '\\' && x + 1 < q) x++;
            d[k++] = *x;
        }
        d[k] = '\0';
        *out = d;
        c->p = q + 1;
    } else {
        const char *s = c->p;
        while (c->p < c->end && *c->p != '\n') c->p++;
        const char *e = c->p;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        *out = dup_n(s, (size_t)(e - s));
    }
    if (!*out) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    /* Anything after a closing quote on the same line is a mistake worth reporting. */
    skip_blanks(c);
    if (c->p < c->end && *c->p != '\n') {
        free(*out);
        *out = NULL;
        return lmd_err_set(err, LMD_E_INVALID, "line %d: unexpected text after closing quote",
                           c->line);
    }
    return LMD_OK;
}

static lmd_status check_param(const char *name, const char *value, int line, lmd_err *err) {
    lmd_param_kind kind;
    if (!lmd_param_kind_of(name, &kind))
        return lmd_err_set(err, LMD_E_INVALID, "line %d: unknown parameter '%.64s'", line, name);
    char *end = NULL;
    errno = 0;
    switch (kind) {
    case LMD_PARAM_INT: {
        long long v = strtoll(value, &end, 10);
        (void)v;
        if (!*value || *end || errno)
            return lmd_err_set(err, LMD_E_INVALID,
                               "line %d: parameter '%s': invalid int value '%.64s'", line, name,
                               value);
        break;
    }
    case LMD_PARAM_FLOAT: {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v))
            return lmd_err_set(err, LMD_E_INVALID,
                               "line %d: parameter '%s': invalid float value '%.64s'", line, name,
                               value);
        break;
    }
    case LMD_PARAM_BOOL: {
        static const char *ok[] = { "1", "t", "T", "TRUE", "true", "True",
                                    "0", "f", "F", "FALSE", "false", "False" };
        bool good = false;
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) good |= !strcmp(value, ok[i]);
        if (!good)
            return lmd_err_set(err, LMD_E_INVALID,
                               "line %d: parameter '%s': invalid bool value '%.64s'", line, name,
                               value);
        break;
    }
    case LMD_PARAM_STRINGS:
        break;
    }
    return LMD_OK;
}

void lmd_modelfile_free(lmd_modelfile *mf) {
    if (!mf) return;
    for (int64_t i = 0; i < mf->n; i++) {
        free(mf->cmds[i].name);
        free(mf->cmds[i].value);
    }
    free(mf->cmds);
    mf->cmds = NULL;
    mf->n = 0;
}

lmd_status lmd_modelfile_parse(const char *text, size_t len, lmd_modelfile *out, lmd_err *err) {
    memset(out, 0, sizeof *out);
    if (len > LMD_MODELFILE_MAX_BYTES)
        return lmd_err_set(err, LMD_E_LIMIT, "Modelfile is %zu bytes, limit %u", len,
                           LMD_MODELFILE_MAX_BYTES);
    if (memchr(text, '\0', len))
        return lmd_err_set(err, LMD_E_INVALID, "Modelfile contains a NUL byte");
    if (!lmd_utf8_valid(text, len))
        return lmd_err_set(err, LMD_E_INVALID, "Modelfile is not valid UTF-8");
    cursor c = { text, text + len, 1 };
    lmd_status st = LMD_OK;
    size_t cap = 0;
    bool has_from = false;
    while (c.p < c.end) {
        skip_blanks(&c);
        if (c.p >= c.end) break;
        if (*c.p == '\n') {
            c.p++;
            c.line++;
            continue;
        }
        if (*c.p == '#') {
            while (c.p < c.end && *c.p != '\n') c.p++;
            continue;
        }
        int line = c.line;
        const char *w;
        size_t wl = read_word(&c, &w);
        char cmd[16] = { 0 };
        static const char *known[] = { "from", "parameter", "template", "system",
                                       "adapter", "license", "message" };
        bool ok = false;
        if (wl < sizeof cmd) {
            for (size_t i = 0; i < wl; i++) cmd[i] = (char)tolower((unsigned char)w[i]);
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) ok |= !strcmp(cmd, known[i]);
        }
        if (!ok) {
            st = lmd_err_set(err, LMD_E_INVALID,
                             "line %d: unknown instruction '%.*s': command must be one of "
                             "\"from\", \"license\", \"template\", \"system\", \"adapter\", "
                             "\"parameter\", or \"message\"",
                             line, (int)(wl > 40 ? 40 : wl), w);
            goto fail;
        }
        if ((size_t)out->n == cap) {
            if (cap >= LMD_MODELFILE_MAX_CMDS) {
                st = lmd_err_set(err, LMD_E_LIMIT, "line %d: more than %d instructions", line,
                                 LMD_MODELFILE_MAX_CMDS);
                goto fail;
            }
            size_t nc = cap ? cap * 2 : 16;
            lmd_modelfile_cmd *n2 = realloc(out->cmds, nc * sizeof *n2);
            if (!n2) {
                st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
                goto fail;
            }
            out->cmds = n2;
            cap = nc;
        }
        lmd_modelfile_cmd *m = &out->cmds[out->n];
        memset(m, 0, sizeof *m);
        snprintf(m->cmd, sizeof m->cmd, "%s", cmd);
        m->line = line;
        if (!strcmp(cmd, "parameter") || !strcmp(cmd, "message")) {
            skip_blanks(&c);
            const char *nw;
            size_t nl = read_word(&c, &nw);
            if (nl == 0) {
                st = lmd_err_set(err, LMD_E_INVALID, "line %d: %s needs a %s and a value", line,
                                 cmd, cmd[0] == 'p' ? "name" : "role");
                goto fail;
            }
            m->name = dup_n(nw, nl);
            if (!m->name) {
                st = lmd_err_set(err, LMD_E_NOMEM, "out of memory");
                goto fail;
            }
            for (char *x = m->name; *x; x++) *x = (char)tolower((unsigned char)*x);
        }
        out->n++;
        if ((st = read_value(&c, line, &m->value, err)) != LMD_OK) goto fail;
        if (!m->value[0] && strcmp(cmd, "system") && strcmp(cmd, "template") &&
            strcmp(cmd, "message")) {
            st = lmd_err_set(err, LMD_E_INVALID, "line %d: %s needs a value", line, cmd);
            goto fail;
        }
        if (!strcmp(cmd, "from")) has_from = true;
        if (!strcmp(cmd, "parameter") &&
            (st = check_param(m->name, m->value, line, err)) != LMD_OK)
            goto fail;
        if (!strcmp(cmd, "message") && strcmp(m->name, "system") && strcmp(m->name, "user") &&
            strcmp(m->name, "assistant")) {
            st = lmd_err_set(err, LMD_E_INVALID,
                             "line %d: message role must be one of \"system\", \"user\", or "
                             "\"assistant\", found '%.32s'", line, m->name);
            goto fail;
        }
    }
    if (!has_from) {
        st = lmd_err_set(err, LMD_E_INVALID, "no FROM line");
        goto fail;
    }
    return LMD_OK;
fail:
    lmd_modelfile_free(out);
    return st;
}

lmd_status lmd_modelfile_params_json(const lmd_modelfile *mf, const char *base_json, char **out,
                                     lmd_err *err) {
    *out = NULL;
    json_t *obj = NULL;
    if (base_json) {
        obj = json_loads(base_json, 0, NULL);
        if (!json_is_object(obj)) {
            json_decref(obj);
            obj = NULL;
        }
    }
    if (!obj) obj = json_object();
    /* A Modelfile's stop list replaces the base model's, as in Ollama. */
    bool stop_reset = false;
    for (int64_t i = 0; i < mf->n; i++) {
        const lmd_modelfile_cmd *c = &mf->cmds[i];
        if (strcmp(c->cmd, "parameter") != 0) continue;
        lmd_param_kind kind;
        if (!lmd_param_kind_of(c->name, &kind)) continue; /* parse already rejected it */
        json_t *v = NULL;
        switch (kind) {
        case LMD_PARAM_INT: v = json_integer(strtoll(c->value, NULL, 10)); break;
        case LMD_PARAM_FLOAT: v = json_real(strtod(c->value, NULL)); break;
        case LMD_PARAM_BOOL:
            v = json_boolean(c->value[0] == '1' || c->value[0] == 't' || c->value[0] == 'T');
            break;
        case LMD_PARAM_STRINGS: {
            json_t *arr = json_object_get(obj, c->name);
            if (!stop_reset || !json_is_array(arr)) {
                arr = json_array();
                json_object_set_new(obj, c->name, arr);
                stop_reset = true;
            }
            json_array_append_new(arr, json_string(c->value));
            continue;
        }
        }
        json_object_set_new(obj, c->name, v);
    }
    size_t n_keys = json_object_size(obj);
    if (n_keys > 0)
        *out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(obj);
    if (n_keys > 0 && !*out) return lmd_err_set(err, LMD_E_NOMEM, "out of memory");
    return LMD_OK;
}
