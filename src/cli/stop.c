/* stop.c — `lmd stop NAME`: asks the running server to unload a model now (as Ollama's
 * client does: a generate request with no prompt and keep_alive 0). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "server/server.h"

int lmd_cmd_stop(int argc, char **argv) {
    if (argc != 2) return lmd_cli_usage("stop", "lmd stop MODEL");
    json_t *req = json_pack("{s:s,s:i}", "model", argv[1], "keep_alive", 0);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        fprintf(stderr, "lmd stop: out of memory\n");
        return 1;
    }
    lmd_err err = { 0 };
    long status = 0;
    char *resp = NULL;
    lmd_status st = lmd_client_request("POST", "/api/generate", body, &status, &resp, &err);
    free(body);
    if (st != LMD_OK) return lmd_cli_fail("stop", &err);
    int rc = 0;
    if (status != 200) {
        json_t *j = json_loads(resp, 0, NULL);
        const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
        fprintf(stderr, "lmd stop: %s\n", msg ? msg : resp);
        json_decref(j);
        rc = status == 400 ? 2 : 1;
    }
    free(resp);
    return rc;
}
