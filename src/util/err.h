/* err.h — status codes and the one-line error message every fallible function fills.
 *
 * A function that can fail returns lmd_status and takes `lmd_err *err` last (may be NULL).
 * lmd_err_set keeps the FIRST failure (the deepest frame knows most) and returns the status,
 * so a failure site is one line: `return lmd_err_set(err, LMD_E_FORMAT, "%s: ...", path);`
 * Messages are one line, no newline, naming the thing at fault and the evidence. */
#ifndef LMD_UTIL_ERR_H
#define LMD_UTIL_ERR_H

#include <assert.h>
#include <stddef.h>

typedef enum {
    LMD_OK = 0,
    LMD_E_NOMEM,       /* allocation failed */
    LMD_E_IO,          /* a system call failed (open, read, mmap, write, rename...) */
    LMD_E_FORMAT,      /* corrupt or hostile input (file, registry answer, request body) */
    LMD_E_INVALID,     /* bad argument or request */
    LMD_E_LIMIT,       /* a cap was exceeded (size, count, context, queue) */
    LMD_E_NOT_FOUND,   /* model, tensor, key, file does not exist */
    LMD_E_UNSUPPORTED, /* valid, but not implemented (architecture, template feature...) */
    LMD_E_CANCELLED,   /* the caller asked to stop */
    LMD_E_INTERNAL,    /* a bug: an invariant did not hold */
} lmd_status;

#define LMD_ERR_MSG_BYTES 256

typedef struct {
    lmd_status status;
    char msg[LMD_ERR_MSG_BYTES];
} lmd_err;

/* Records status and a printf-style message in *err unless err is NULL or already holds a
 * failure; returns status either way. */
lmd_status lmd_err_set(lmd_err *err, lmd_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err (may be NULL) so it can be reused. */
void lmd_err_clear(lmd_err *err);

/* A short constant name for the status ("format error", "out of memory", ...). */
const char *lmd_status_str(lmd_status status);

/* CLI exit code for a status: 0 ok, 2 bad input or usage (FORMAT, INVALID), else 1. */
int lmd_status_exit_code(lmd_status status);

/* "Impossible" conditions: assert in debug builds, take the error branch in release.
 * Usage: if (LMD_NEVER(n < 0)) return lmd_err_set(err, LMD_E_INTERNAL, "...");  */
#ifdef NDEBUG
#define LMD_ALWAYS(x) (x)
#define LMD_NEVER(x) (x)
#else
#define LMD_ALWAYS(x) ((x) ? 1 : (assert(0 && #x), 0))
#define LMD_NEVER(x) ((x) ? (assert(!(#x)), 1) : 0)
#endif

#endif
