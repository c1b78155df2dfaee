/* cli.h — the sub-commands of the `lmd` binary, one file each in src/cli/.
 * Each takes the arguments after the command name (argv[0] is the command) and returns the
 * process exit code: 0 ok, 1 runtime failure, 2 bad input or usage. */
#ifndef LMD_CLI_H
#define LMD_CLI_H

#include "util/err.h"

/* Declared weak so the dispatcher links while a command's file is not yet written; every
 * command in the table is expected to exist in a release build (tests check `lmd help`). */
#define LMD_CLI_COMMANDS(X)                                                                   \
    X(serve, "Start the server")                                                              \
    X(run, "Run a model (interactive chat, or one prompt)")                                   \
    X(pull, "Pull a model from a registry")                                                   \
    X(list, "List models")                                                                    \
    X(show, "Show information for a model")                                                  \
    X(create, "Create a model from a Modelfile")                                              \
    X(cp, "Copy a model")                                                                     \
    X(rm, "Remove models")                                                                    \
    X(ps, "List running models")                                                              \
    X(stop, "Stop a running model")                                                           \
    X(inspect, "Print a GGUF file's metadata and tensors")                                    \
    X(tokenize, "Turn text into token ids")                                                   \
    X(detokenize, "Turn token ids into text")                                                 \
    X(eval, "Evaluate token ids, print logits (golden comparisons)")                          \
    X(bench, "Measure prompt and generation speed")                                           \
    X(quantize, "Quantize a GGUF file")                                                       \
    X(genmodel, "Write a random-weight model of a real shape (benchmarks, tests)")

#define LMD_CLI_DECLARE(name, help) int lmd_cmd_##name(int argc, char **argv) __attribute__((weak));
LMD_CLI_COMMANDS(LMD_CLI_DECLARE)
#undef LMD_CLI_DECLARE

/* Prints "lmd CMD: MESSAGE" for a failed status on stderr and returns its exit code. */
int lmd_cli_fail(const char *cmd, const lmd_err *err);

/* Prints "lmd CMD: usage: ..." on stderr and returns 2. */
int lmd_cli_usage(const char *cmd, const char *usage);

#endif
