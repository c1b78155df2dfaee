/* ps.c — `lmd ps`: lists the models the running server has loaded (GET /api/ps). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "server/server.h"

static void human_size(int64_t b, char *out, size_t cap) {
    if (b >= (int64_t)1 << 30) snprintf(out, cap, "%.1f GB", (double)b / 1e9);
    else if (b >= (int64_t)1 << 20) snprintf(out, cap, "%.0f MB", (double)b / 1e6);
    else snprintf(out, cap, "%.0f KB", (double)b / 1e3);
}

static void until(const char *iso, char *out, size_t cap) {
    struct tm tm = { 0 };
    if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(out, cap, "-");
        return;
    }
    time_t t = timegm(&tm);
    long d = (long)(t - time(NULL));
    if (tm.tm_year + 1900 >= 9999) snprintf(out, cap, "Forever");
    else if (d < 1) snprintf(out, cap, "Stopping...");
    else if (d < 120) snprintf(out, cap, "%ld seconds from now", d);
    else if (d < 7200) snprintf(out, cap, "%ld minutes from now", d / 60);
    else snprintf(out, cap, "%ld hours from now", d / 3600);
}

int lmd_cmd_ps(int argc, char **argv) {
    if (argc > 1) return lmd_cli_usage("ps", "lmd ps");
    lmd_err err = { 0 };
    long status = 0;
    char *resp = NULL;
    if (lmd_client_request("GET", "/api/ps", NULL, &status, &resp, &err) != LMD_OK)
        return lmd_cli_fail("ps", &err);
    json_t *j = json_loads(resp, 0, NULL);
    json_t *models = j ? json_object_get(j, "models") : NULL;
    if (status != 200 || !json_is_array(models)) {
        fprintf(stderr, "lmd ps: server answered %ld: %s\n", status, resp);
        json_decref(j);
        free(resp);
        return 1;
    }
    printf("%-32s %-14s %-10s %-10s %-8s %s\n", "NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT",
           "UNTIL");
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const char *digest = json_string_value(json_object_get(m, "digest"));
        char size[32], u[64];
        human_size((int64_t)json_integer_value(json_object_get(m, "size")), size, sizeof size);
        until(json_string_value(json_object_get(m, "expires_at")), u, sizeof u);
        printf("%-32s %-14.12s %-10s %-10s %-8lld %s\n", name ? name : "?",
               digest ? digest : "", size, "100% CPU",
               (long long)json_integer_value(json_object_get(m, "context_length")), u);
    }
    json_decref(j);
    free(resp);
    return 0;
}
