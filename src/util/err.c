/* err.c — first-failure-wins error recording and status names. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

lmd_status lmd_err_set(lmd_err *err, lmd_status status, const char *fmt, ...) {
    if (!err || err->status != LMD_OK || status == LMD_OK) return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line: a newline in a message would break NDJSON errors and CLI output. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return status;
}

void lmd_err_clear(lmd_err *err) {
    if (!err) return;
    err->status = LMD_OK;
    err->msg[0] = '\0';
}

/* A switch with no default, so -Wall -Werror flags a new status that has no name. */
const char *lmd_status_str(lmd_status status) {
    switch (status) {
    case LMD_OK: return "ok";
    case LMD_E_NOMEM: return "out of memory";
    case LMD_E_IO: return "i/o error";
    case LMD_E_FORMAT: return "format error";
    case LMD_E_INVALID: return "invalid argument";
    case LMD_E_LIMIT: return "limit exceeded";
    case LMD_E_NOT_FOUND: return "not found";
    case LMD_E_UNSUPPORTED: return "unsupported";
    case LMD_E_CANCELLED: return "cancelled";
    case LMD_E_INTERNAL: return "internal error";
    }
    return "unknown status";
}

int lmd_status_exit_code(lmd_status status) {
    if (status == LMD_OK) return 0;
    if (status == LMD_E_FORMAT || status == LMD_E_INVALID) return 2;
    return 1;
}
