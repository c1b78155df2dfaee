/* jsonreq.c — parsing request bodies: syntax errors become 400s saying where (jansson's line,
 * column and position); field readers check types and name the field at fault. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

json_t *lmd_req_json(lmd_conn *c, enum MHD_Result *result) {
    if (!c->body || c->body_len == 0) {
        *result = lmd_reply_error(c, 400, NULL, NULL, "missing request body");
        return NULL;
    }
    json_error_t je;
    /* Depth is capped by jansson (JSON_PARSER_MAX_DEPTH 2048); NUL bytes are refused. */
    json_t *j = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        *result = lmd_reply_error(c, 400, NULL, NULL,
                                  "invalid JSON at line %d, column %d (position %d): %s",
                                  je.line, je.column, je.position, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        *result = lmd_reply_error(c, 400, NULL, NULL, "request body must be a JSON object");
        return NULL;
    }
    return j;
}

void lmd_jf_fail(lmd_jf *f, const char *param, const char *fmt, ...) {
    if (f->failed) return;
    f->failed = true;
    snprintf(f->param, sizeof f->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "value";
}

static void type_fail(lmd_jf *f, const char *key, const char *want, const json_t *v) {
    lmd_jf_fail(f, key, "invalid value for field \"%s\": expected %s, found %s", key, want,
                type_name(v));
}

/* Present and not null; JSON null counts as absent, as Go's decoder treats it. */
static const json_t *field(lmd_jf *f, const json_t *o, const char *key) {
    if (f->failed || !o) return NULL;
    const json_t *v = json_object_get(o, key);
    return v && !json_is_null(v) ? v : NULL;
}

const char *lmd_jf_str(lmd_jf *f, const json_t *o, const char *key, const char *dflt) {
    const json_t *v = field(f, o, key);
    if (!v) return dflt;
    if (!json_is_string(v)) {
        type_fail(f, key, "string", v);
        return dflt;
    }
    return json_string_value(v);
}

int64_t lmd_jf_int(lmd_jf *f, const json_t *o, const char *key, int64_t dflt) {
    const json_t *v = field(f, o, key);
    if (!v) return dflt;
    if (json_is_integer(v)) return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9.0e15) return (int64_t)d;
    }
    type_fail(f, key, "integer", v);
    return dflt;
}

double lmd_jf_num(lmd_jf *f, const json_t *o, const char *key, double dflt) {
    const json_t *v = field(f, o, key);
    if (!v) return dflt;
    if (json_is_number(v)) return json_number_value(v);
    type_fail(f, key, "number", v);
    return dflt;
}

int lmd_jf_bool(lmd_jf *f, const json_t *o, const char *key, int dflt) {
    const json_t *v = field(f, o, key);
    if (!v) return dflt;
    if (json_is_boolean(v)) return json_is_true(v);
    type_fail(f, key, "boolean", v);
    return dflt;
}

const json_t *lmd_jf_obj(lmd_jf *f, const json_t *o, const char *key) {
    const json_t *v = field(f, o, key);
    if (!v) return NULL;
    if (json_is_object(v)) return v;
    type_fail(f, key, "object", v);
    return NULL;
}

const json_t *lmd_jf_arr(lmd_jf *f, const json_t *o, const char *key) {
    const json_t *v = field(f, o, key);
    if (!v) return NULL;
    if (json_is_array(v)) return v;
    type_fail(f, key, "array", v);
    return NULL;
}

int lmd_parse_duration_ms(const char *s, int64_t *out_ms) {
    /* Go's time.ParseDuration units; a bare number is seconds (Ollama accepts "300"). */
    static const struct { const char *unit; double ms; } units[] = {
        { "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1.0 },
        { "s", 1e3 }, { "m", 60e3 }, { "h", 3600e3 },
    };
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (!*p) return -1;
    double total = 0;
    char *end;
    double v = strtod(p, &end);
    if (end == p) return -1;
    if (!*end) {
        total = v * 1e3;
    } else {
        while (*p) {
            v = strtod(p, &end);
            if (end == p || isspace((unsigned char)*p)) return -1;
            p = end;
            size_t best = 0;
            double mult = 0;
            for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
                size_t ul = strlen(units[i].unit);
                if (!strncmp(p, units[i].unit, ul) && ul > best) {
                    best = ul;
                    mult = units[i].ms;
                }
            }
            if (!best) return -1;
            p += best;
            total += v * mult;
        }
    }
    if (!(total < 9.0e15)) return -1;
    *out_ms = (int64_t)(neg ? -total : total);
    return 0;
}

int64_t lmd_jf_duration_ms(lmd_jf *f, const json_t *o, const char *key, int64_t dflt_ms) {
    const json_t *v = field(f, o, key);
    if (!v) return dflt_ms;
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (d < 0) return -1;
        if (d > 9.0e12) d = 9.0e12;
        return (int64_t)(d * 1000.0);
    }
    if (json_is_string(v)) {
        int64_t ms;
        if (lmd_parse_duration_ms(json_string_value(v), &ms) == 0) return ms < 0 ? -1 : ms;
        lmd_jf_fail(f, key, "invalid value for field \"%s\": '%s' is not a duration", key,
                    json_string_value(v));
        return dflt_ms;
    }
    type_fail(f, key, "duration (number of seconds or string)", v);
    return dflt_ms;
}

enum MHD_Result lmd_reply_jf(lmd_conn *c, const lmd_jf *f) {
    return lmd_reply_error(c, 400, f->param[0] ? f->param : NULL, NULL, "%s", f->msg);
}
