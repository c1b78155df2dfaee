/* bgop.h — long store operations (create, pull) run on their own thread while the
 * connection streams their NDJSON progress (suspended between lines, like generation). */
#ifndef LMD_SERVER_BGOP_H
#define LMD_SERVER_BGOP_H

#include "server/server_int.h"
#include "store/store.h"

typedef struct lmd_bgop lmd_bgop;
/* The work: runs on the op's thread; returns the status, err filled on failure. */
typedef lmd_status (*lmd_bgop_fn)(lmd_bgop *op, lmd_store *st, lmd_store_progress_fn progress,
                                  lmd_err *err);

struct lmd_bgop {
    pthread_mutex_t mu;
    int refs;
    lmd_server *srv;
    struct MHD_Connection *mc;
    bool suspended, finished, gone, quiet, said_success;
    char *out;
    size_t len, off, cap;
    lmd_bgop_fn fn;
    char *a, *b, *c;           /* the operation's string arguments (owned) */
    bool flag;
    unsigned status;           /* non-stream reply */
};

/* Runs fn: streaming (NDJSON progress, then {"status":"success"} or {"error":...}) or not
 * (one JSON reply after the work, on this thread). Takes ownership of a, b, c. */
enum MHD_Result lmd_bgop_run(lmd_conn *c, lmd_bgop_fn fn, bool stream, char *a, char *b,
                             char *cc, bool flag);

#endif
