/* main.c — the `lmd` binary: picks the sub-command and hands it the rest of argv. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef LMD_VERSION
#define LMD_VERSION "0.1.0"
#endif

typedef struct {
    const char *name;
    const char *help;
    int (*fn)(int, char **);
} command;

#define LMD_CLI_ENTRY(name, help) { #name, help, lmd_cmd_##name },
static const command commands[] = { LMD_CLI_COMMANDS(LMD_CLI_ENTRY) };
#undef LMD_CLI_ENTRY

static void print_help(FILE *out) {
    fprintf(out, "Usage:\n  lmd [command]\n\nAvailable Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].fn) fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "  %-11s %s\n", "help", "Help about any command");
    fprintf(out, "\nFlags:\n  -h, --help      help for lmd\n  -v, --version   Show version information\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-v") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("lmd version %s\n", LMD_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) != 0) continue;
        if (!commands[i].fn) {
            fprintf(stderr, "lmd %s: not available in this build\n", cmd);
            return 1;
        }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "lmd: unknown command \"%s\" for \"lmd\" (see lmd help)\n", cmd);
    return 2;
}
