/* rm.c — `lmd rm MODEL...`: deletes models, then prunes blobs nothing references. Goes on
 * after a failure so one bad name does not stop the rest; exits with the first failure. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int lmd_cmd_rm(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Remove a model\n\nUsage:\n  lmd rm MODEL [MODEL...]\n");
        return 0;
    }
    if (argc < 2) return lmd_cli_usage("rm", "lmd rm MODEL [MODEL...]");
    lmd_err err = { 0 };
    lmd_store *s = NULL;
    if (lmd_store_open(NULL, &s, &err) != LMD_OK) return lmd_cli_fail("rm", &err);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        lmd_err e1 = { 0 };
        if (lmd_store_delete(s, argv[i], &e1) != LMD_OK) {
            int r = lmd_cli_fail("rm", &e1);
            if (!rc) rc = r;
            continue;
        }
        printf("deleted '%s'\n", argv[i]);
    }
    lmd_store_close(s);
    return rc;
}
