/* list.c — `lmd list [PREFIX]`: the models in the store as Ollama prints them (NAME, ID = the
 * first 12 hex digits of the manifest's sha256, SIZE in decimal units, MODIFIED as "X ago"),
 * newest first, in a left-aligned table with four spaces between columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "store/store.h"

/* Ollama's format.HumanBytes: decimal units, integer at >= 10, one decimal below. */
static void human_bytes(uint64_t b, char *buf, size_t cap) {
    const char *unit;
    double v;
    if (b >= 1000000000000ull) v = (double)b / 1e12, unit = "TB";
    else if (b >= 1000000000ull) v = (double)b / 1e9, unit = "GB";
    else if (b >= 1000000ull) v = (double)b / 1e6, unit = "MB";
    else if (b >= 1000ull) v = (double)b / 1e3, unit = "KB";
    else {
        snprintf(buf, cap, "%llu B", (unsigned long long)b);
        return;
    }
    if (v >= 10 || v == trunc(v)) snprintf(buf, cap, "%d %s", (int)v, unit);
    else snprintf(buf, cap, "%.1f %s", v, unit);
}

/* Ollama's format.HumanTime for a past time. */
static void human_time(time_t t, time_t now, char *buf, size_t cap) {
    double d = difftime(now, t);
    const char *suffix = " ago";
    if (d < 0) d = -d, suffix = " from now";
    long s = (long)d, m = s / 60, h = (long)llround(d / 3600.0);
    char x[64];
    if (s < 1) snprintf(x, sizeof x, "Less than a second");
    else if (s == 1) snprintf(x, sizeof x, "1 second");
    else if (s < 60) snprintf(x, sizeof x, "%ld seconds", s);
    else if (m == 1) snprintf(x, sizeof x, "About a minute");
    else if (m < 60) snprintf(x, sizeof x, "%ld minutes", m);
    else if (h == 1) snprintf(x, sizeof x, "About an hour");
    else if (h < 48) snprintf(x, sizeof x, "%ld hours", h);
    else if (h < 24 * 7 * 2) snprintf(x, sizeof x, "%ld days", h / 24);
    else if (h < 24 * 30 * 2) snprintf(x, sizeof x, "%ld weeks", h / 24 / 7);
    else if (h < 24 * 365 * 2) snprintf(x, sizeof x, "%ld months", h / 24 / 30);
    else snprintf(x, sizeof x, "%ld years", (long)(d / 3600.0) / 24 / 365);
    snprintf(buf, cap, "%s%s", x, suffix);
}

int lmd_cmd_list(int argc, char **argv) {
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("List models\n\nUsage:\n  lmd list [PREFIX]\n");
            return 0;
        }
        if (argv[i][0] == '-' || prefix) return lmd_cli_usage("list", "lmd list [PREFIX]");
        prefix = argv[i];
    }
    lmd_err err = { 0 };
    lmd_store *s = NULL;
    lmd_store_entry *e = NULL;
    size_t n = 0;
    if (lmd_store_open(NULL, &s, &err) != LMD_OK || lmd_store_list(s, &e, &n, &err) != LMD_OK) {
        lmd_store_close(s);
        return lmd_cli_fail("list", &err);
    }
    enum { COLS = 4 };
    char(*cells)[COLS][640] = calloc(n + 1, sizeof *cells);
    if (!cells) {
        free(e);
        lmd_store_close(s);
        fprintf(stderr, "lmd list: out of memory\n");
        return 1;
    }
    snprintf(cells[0][0], 640, "NAME");
    snprintf(cells[0][1], 640, "ID");
    snprintf(cells[0][2], 640, "SIZE");
    snprintf(cells[0][3], 640, "MODIFIED");
    size_t rows = 1;
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        if (prefix && strncasecmp(e[i].display, prefix, strlen(prefix)) != 0) continue;
        snprintf(cells[rows][0], 640, "%s", e[i].display);
        snprintf(cells[rows][1], 640, "%.12s", e[i].digest_hex);
        human_bytes(e[i].size_bytes, cells[rows][2], 640);
        human_time(e[i].modified, now, cells[rows][3], 640);
        rows++;
    }
    size_t width[COLS] = { 0 };
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < COLS; c++)
            if (strlen(cells[r][c]) > width[c]) width[c] = strlen(cells[r][c]);
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < COLS; c++) printf("%-*s    ", (int)width[c], cells[r][c]);
        printf("\n");
    }
    free(cells);
    free(e);
    lmd_store_close(s);
    return 0;
}
