/* reply.c — building HTTP replies: raw bodies, JSON bodies, and errors in the shape each API
 * uses (Ollama {"error": "..."}, OpenAI {"error": {"message","type","param","code"}}). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

enum MHD_Result lmd_reply_raw(lmd_conn *c, unsigned status, const char *content_type,
                              char *body, size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? len : 0, body ? body : (char *)"",
        body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (content_type) MHD_add_response_header(r, "Content-Type", content_type);
    enum MHD_Result res = MHD_queue_response(c->mc, status, r);
    MHD_destroy_response(r);
    return res;
}

char *lmd_json_dump(const json_t *j, size_t *len) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
    if (s && len) *len = strlen(s);
    return s;
}

enum MHD_Result lmd_reply_json(lmd_conn *c, unsigned status, json_t *j) {
    size_t len = 0;
    char *s = j ? lmd_json_dump(j, &len) : NULL;
    json_decref(j);
    if (!s) return lmd_reply_raw(c, 500, "text/plain", strdup("out of memory"), 13);
    return lmd_reply_raw(c, status, "application/json; charset=utf-8", s, len);
}

static const char *openai_type(unsigned status) {
    /* As Ollama's OpenAI layer names them. */
    switch (status) {
    case 400: case 405: case 413: return "invalid_request_error";
    case 404: return "not_found_error";
    default: return "api_error";
    }
}

static json_t *error_json_full(lmd_api_kind api, unsigned status, const char *msg,
                               const char *param, const char *code) {
    if (api != LMD_API_OPENAI) return json_pack("{s:s}", "error", msg);
    return json_pack("{s:{s:s,s:s,s:o,s:o}}", "error", "message", msg, "type",
                     openai_type(status), "param", param ? json_string(param) : json_null(),
                     "code", code ? json_string(code) : json_null());
}

json_t *lmd_error_json(lmd_api_kind api, unsigned status, const char *msg) {
    return error_json_full(api, status, msg, NULL, NULL);
}

enum MHD_Result lmd_reply_error(lmd_conn *c, unsigned status, const char *param,
                                const char *code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->api == LMD_API_PLAIN) {
        char *s = strdup(msg);
        return lmd_reply_raw(c, status, "text/plain; charset=utf-8", s, s ? strlen(s) : 0);
    }
    return lmd_reply_json(c, status, error_json_full(c->api, status, msg, param, code));
}

unsigned lmd_http_status(lmd_status st) {
    switch (st) {
    case LMD_OK: return 200;
    case LMD_E_FORMAT:
    case LMD_E_INVALID:
    case LMD_E_UNSUPPORTED: return 400;
    case LMD_E_NOT_FOUND: return 404;
    case LMD_E_LIMIT: return 503;
    case LMD_E_CANCELLED: return 499;
    case LMD_E_NOMEM:
    case LMD_E_IO:
    case LMD_E_INTERNAL: return 500;
    }
    return 500;
}
