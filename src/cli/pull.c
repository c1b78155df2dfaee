/* pull.c — `lmd pull MODEL [--insecure] [--registry URL]`: downloads a model into the store.
 * On a terminal a progress bar per blob (percent, bytes, rate, ETA) is redrawn in place;
 * otherwise each status is printed once. LMD_REGISTRY points pulls at another registry (tests
 * run one on loopback); LMD_PULL_STALL_TIMEOUT (seconds) and LMD_PULL_RETRIES tune the
 * transfer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

typedef struct {
    bool tty;
    char last[128];
    double t0;
    uint64_t done0;
} bar;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(double b, char *buf, size_t cap) {
    if (b >= 1e9) snprintf(buf, cap, "%.1f GB", b / 1e9);
    else if (b >= 1e6) snprintf(buf, cap, "%.1f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, cap, "%.0f KB", b / 1e3);
    else snprintf(buf, cap, "%.0f B", b);
}

static int on_progress(void *ud, const char *status, const char *digest, uint64_t total,
                       uint64_t done) {
    (void)digest;
    bar *b = ud;
    bool same = !strcmp(b->last, status);
    if (!same) {
        if (b->tty && b->last[0]) fputc('\n', stderr);
        snprintf(b->last, sizeof b->last, "%s", status);
        b->t0 = now_s();
        b->done0 = done;
        if (!b->tty || !total) fprintf(stderr, "%s%s", status, b->tty ? "" : "\n");
    }
    if (!b->tty || !total) return 0;
    double dt = now_s() - b->t0, rate = dt > 0.2 ? (double)(done - b->done0) / dt : 0;
    int pct = (int)(done * 100 / total), width = 25, fill = pct * width / 100;
    char sb[32], tb[32], rb[32], eta[32] = "";
    human((double)done, sb, sizeof sb);
    human((double)total, tb, sizeof tb);
    human(rate, rb, sizeof rb);
    if (rate > 0 && done < total) {
        double left = (double)(total - done) / rate;
        if (left >= 3600) snprintf(eta, sizeof eta, "%dh%02dm", (int)left / 3600, (int)left % 3600 / 60);
        else if (left >= 60) snprintf(eta, sizeof eta, "%dm%02ds", (int)left / 60, (int)left % 60);
        else snprintf(eta, sizeof eta, "%ds", (int)left);
    }
    fprintf(stderr, "\r%s %3d%% \u2595", status, pct);
    for (int i = 0; i < width; i++) fputs(i < fill ? "\u2588" : " ", stderr);
    fprintf(stderr, "\u258f %s/%s  %s/s  %s   ", sb, tb, rb, eta);
    return 0;
}

int lmd_cmd_pull(int argc, char **argv) {
    const char *usage = "lmd pull MODEL [--insecure] [--registry URL]";
    const char *name = NULL, *registry = getenv("LMD_REGISTRY");
    bool insecure = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("Pull a model from a registry\n\nUsage:\n  %s\n\nFlags:\n"
                   "      --insecure        Use an insecure registry (http://)\n"
                   "      --registry URL    Registry base URL instead of the name's host "
                   "(also LMD_REGISTRY)\n", usage);
            return 0;
        }
        if (!strcmp(a, "--insecure")) insecure = true;
        else if (!strcmp(a, "--registry") && i + 1 < argc) registry = argv[++i];
        else if (!strncmp(a, "--registry=", 11)) registry = a + 11;
        else if (a[0] == '-' || name) return lmd_cli_usage("pull", usage);
        else name = a;
    }
    if (!name) return lmd_cli_usage("pull", usage);
    bar b = { .tty = isatty(2) != 0 };
    lmd_store_pull_opts o = { .insecure = insecure, .registry = registry,
                              .progress = on_progress, .progress_ud = &b };
    const char *v;
    if ((v = getenv("LMD_PULL_STALL_TIMEOUT")) && atol(v) > 0) o.stall_timeout_s = atol(v);
    if ((v = getenv("LMD_PULL_RETRIES"))) o.max_retries = atoi(v) > 0 ? atoi(v) : -1;
    lmd_err err = { 0 };
    lmd_store *s = NULL;
    lmd_status st = lmd_store_open(NULL, &s, &err);
    if (st == LMD_OK) st = lmd_store_pull(s, name, &o, &err);
    lmd_store_close(s);
    if (b.tty && b.last[0]) fputc('\n', stderr);
    if (st != LMD_OK) return lmd_cli_fail("pull", &err);
    return 0;
}
