/* log.c — stderr logger with a level read once from LMD_LOG. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int current_level = -1;

static int level_from_env(void) {
    const char *s = getenv("LMD_LOG");
    if (!s) return LMD_LOG_WARN;
    if (!strcmp(s, "error")) return LMD_LOG_ERROR;
    if (!strcmp(s, "info")) return LMD_LOG_INFO;
    if (!strcmp(s, "debug")) return LMD_LOG_DEBUG;
    return LMD_LOG_WARN;
}

void lmd_log_set_level(lmd_log_level level) { atomic_store(&current_level, (int)level); }

int lmd_log_enabled(lmd_log_level level) {
    int cur = atomic_load(&current_level);
    if (cur < 0) {
        cur = level_from_env();
        atomic_store(&current_level, cur);
    }
    return (int)level <= cur;
}

void lmd_log(lmd_log_level level, const char *fmt, ...) {
    static const char *names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
    if (!lmd_log_enabled(level)) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* One fprintf per line so lines from different threads do not interleave. */
    fprintf(stderr, "time=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"%s\"\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[level], line);
}
