/* serve.c — `lmd serve`: runs the HTTP server until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "util/log.h"

int lmd_cmd_serve(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("Usage:\n  lmd serve\n\nEnvironment:\n"
                   "  LMD_HOST               listen address (default 127.0.0.1:11434)\n"
                   "  LMD_MODELS             model store directory\n"
                   "  LMD_KEEP_ALIVE         how long models stay loaded (default 5m)\n"
                   "  LMD_MAX_LOADED_MODELS  models loaded at once (default 3)\n"
                   "  LMD_MAX_QUEUE          waiting requests per model (default 512)\n"
                   "  LMD_MAX_BODY           request body limit in bytes (default 32 MiB)\n");
            return 0;
        }
        return lmd_cli_usage("serve", "lmd serve (configure with LMD_* environment variables)");
    }
    /* Signals are taken by sigwait on this thread; every server thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    lmd_err err = { 0 };
    lmd_server *s = NULL;
    lmd_server_opts opts = { 0 };
    if (lmd_server_start(&opts, &s, &err) != LMD_OK) return lmd_cli_fail("serve", &err);
    fprintf(stderr, "lmd serve: listening on %s (port %d)\n", lmd_server_host_from_env(),
            lmd_server_port(s));
    fflush(stderr);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "lmd serve: shutting down (signal %d)\n", sig);
    lmd_server_stop(s);
    return 0;
}
