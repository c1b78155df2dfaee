/* common.c — how every sub-command reports failures and usage errors. */
#include <stdio.h>

#include "cli/cli.h"

int lmd_cli_fail(const char *cmd, const lmd_err *err) {
    if (!err || err->status == LMD_OK) {
        fprintf(stderr, "lmd %s: failed\n", cmd);
        return 1;
    }
    fprintf(stderr, "lmd %s: %s\n", cmd, err->msg[0] ? err->msg : lmd_status_str(err->status));
    return lmd_status_exit_code(err->status);
}

int lmd_cli_usage(const char *cmd, const char *usage) {
    fprintf(stderr, "lmd %s: usage: %s\n", cmd, usage);
    return 2;
}
