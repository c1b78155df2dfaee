/* cp.c — `lmd cp SOURCE DESTINATION`: copies a model's manifest under a new name. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int lmd_cmd_cp(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Copy a model\n\nUsage:\n  lmd cp SOURCE DESTINATION\n");
        return 0;
    }
    if (argc != 3) return lmd_cli_usage("cp", "lmd cp SOURCE DESTINATION");
    lmd_err err = { 0 };
    lmd_store *s = NULL;
    if (lmd_store_open(NULL, &s, &err) != LMD_OK ||
        lmd_store_copy(s, argv[1], argv[2], &err) != LMD_OK) {
        lmd_store_close(s);
        return lmd_cli_fail("cp", &err);
    }
    lmd_store_close(s);
    printf("copied '%s' to '%s'\n", argv[1], argv[2]);
    return 0;
}
