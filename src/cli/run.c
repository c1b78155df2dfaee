/* run.c — `lmd run MODEL [PROMPT]`: with a prompt (or piped stdin) stream one answer and
 * exit; otherwise an interactive chat (libedit line editing and history, """ multi-line,
 * /set, /show, /clear, /bye; Ctrl-C stops the answer, Ctrl-D leaves). --verbose prints
 * Ollama-style statistics on stderr; --raw skips the chat template. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli/cli.h"
#include "cli/run_int.h"

static const char USAGE[] =
    "lmd run MODEL [PROMPT] [--verbose] [--raw] [--temperature F] [--top-k N] [--top-p F] "
    "[--min-p F] [--seed N] [--num-predict N] [--num-ctx N] [--threads N]";

static atomic_bool g_stop;

static void on_sigint(int sig) {
    (void)sig;
    atomic_store(&g_stop, true);
}

void run_opts_default(run_opts *o) {
    *o = (run_opts){ .temperature = 0.8, .top_k = 40, .top_p = 0.9, .min_p = 0.0,
                     .repeat_penalty = 1.1, .repeat_last_n = 64, .seed = -1, .num_predict = -1,
                     .num_ctx = 2048, .num_thread = 0 };
}

static bool parse_i64(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

static bool parse_f64(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v != v) return false;
    *out = v;
    return true;
}

lmd_status run_opts_set(run_opts *o, const char *name, const char *value, lmd_err *err) {
    bool ok;
    if (!strcmp(name, "temperature")) ok = parse_f64(value, &o->temperature) && o->temperature >= 0;
    else if (!strcmp(name, "top_k")) ok = parse_i64(value, &o->top_k);
    else if (!strcmp(name, "top_p")) ok = parse_f64(value, &o->top_p) && o->top_p >= 0 && o->top_p <= 1;
    else if (!strcmp(name, "min_p")) ok = parse_f64(value, &o->min_p) && o->min_p >= 0 && o->min_p <= 1;
    else if (!strcmp(name, "repeat_penalty")) ok = parse_f64(value, &o->repeat_penalty) && o->repeat_penalty > 0;
    else if (!strcmp(name, "repeat_last_n")) ok = parse_i64(value, &o->repeat_last_n) && o->repeat_last_n >= -1;
    else if (!strcmp(name, "seed")) ok = parse_i64(value, &o->seed);
    else if (!strcmp(name, "num_predict")) ok = parse_i64(value, &o->num_predict) && o->num_predict >= -2;
    else if (!strcmp(name, "num_ctx")) ok = parse_i64(value, &o->num_ctx) && o->num_ctx > 0 && o->num_ctx <= (1 << 24);
    else if (!strcmp(name, "num_thread")) ok = parse_i64(value, &o->num_thread) && o->num_thread >= 0 && o->num_thread <= 1024;
    else return lmd_err_set(err, LMD_E_INVALID, "unknown parameter '%s'", name);
    if (!ok) return lmd_err_set(err, LMD_E_INVALID, "invalid value '%s' for parameter '%s'", value, name);
    return LMD_OK;
}

void run_opts_print(const run_opts *o) {
    run_opts d;
    run_opts_default(&d);
    printf("Model defined parameters:\nNo additional parameters were specified for this model.\n\n");
    printf("User defined parameters:\n");
    if (o->temperature != d.temperature) printf("%-30s %g\n", "temperature", o->temperature);
    if (o->top_k != d.top_k) printf("%-30s %lld\n", "top_k", (long long)o->top_k);
    if (o->top_p != d.top_p) printf("%-30s %g\n", "top_p", o->top_p);
    if (o->min_p != d.min_p) printf("%-30s %g\n", "min_p", o->min_p);
    if (o->repeat_penalty != d.repeat_penalty) printf("%-30s %g\n", "repeat_penalty", o->repeat_penalty);
    if (o->repeat_last_n != d.repeat_last_n) printf("%-30s %lld\n", "repeat_last_n", (long long)o->repeat_last_n);
    if (o->seed != d.seed) printf("%-30s %lld\n", "seed", (long long)o->seed);
    if (o->num_predict != d.num_predict) printf("%-30s %lld\n", "num_predict", (long long)o->num_predict);
    if (o->num_ctx != d.num_ctx) printf("%-30s %lld\n", "num_ctx", (long long)o->num_ctx);
    if (o->num_thread != d.num_thread) printf("%-30s %lld\n", "num_thread", (long long)o->num_thread);
    printf("\n");
}

static void print_duration(const char *label, int64_t ns) {
    double s = (double)ns / 1e9;
    if (s >= 1) fprintf(stderr, "%-22s%.6fs\n", label, s);
    else fprintf(stderr, "%-22s%.6fms\n", label, s * 1e3);
}

static void print_stats(const run_stats *st) {
    print_duration("total duration:", st->total_ns);
    print_duration("load duration:", st->load_ns);
    fprintf(stderr, "%-22s%lld token(s)\n", "prompt eval count:", (long long)st->prompt_tokens);
    print_duration("prompt eval duration:", st->prompt_ns);
    fprintf(stderr, "%-22s%.2f tokens/s\n", "prompt eval rate:",
            st->prompt_ns ? (double)st->prompt_tokens / ((double)st->prompt_ns / 1e9) : 0.0);
    fprintf(stderr, "%-22s%lld token(s)\n", "eval count:", (long long)st->eval_tokens);
    print_duration("eval duration:", st->eval_ns);
    fprintf(stderr, "%-22s%.2f tokens/s\n", "eval rate:",
            st->eval_ns ? (double)st->eval_tokens / ((double)st->eval_ns / 1e9) : 0.0);
}

typedef struct {
    run_session *s;
    run_opts o;
    bool raw, verbose;
    char *system;
    json_t *history;   /* messages so far */
} chat_state;

/* One user turn: append, generate, append the answer (dropped again on failure). */
static int turn(chat_state *cs, const char *text) {
    json_t *msgs = json_array();
    if (cs->system) json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", cs->system));
    json_array_extend(msgs, cs->history);
    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", text));
    run_stats st;
    lmd_err err;
    lmd_err_clear(&err);
    char *reply = NULL;
    atomic_store(&g_stop, false);
    lmd_status rc = run_generate(cs->s, &cs->o, msgs, cs->raw, &g_stop, &reply, &st, &err);
    json_decref(msgs);
    printf("\n");
    fflush(stdout);
    if (rc != LMD_OK) {
        free(reply);
        return lmd_cli_fail("run", &err);
    }
    if (!cs->raw) {
        json_array_append_new(cs->history, json_pack("{s:s, s:s}", "role", "user", "content", text));
        json_array_append_new(cs->history, json_pack("{s:s, s:s}", "role", "assistant", "content", reply));
    }
    free(reply);
    if (cs->verbose) print_stats(&st);
    return 0;
}

static void print_help(void) {
    printf("Available Commands:\n"
           "  /set parameter NAME VALUE  Set a parameter (temperature, top_k, top_p, min_p, seed,\n"
           "                             num_predict, num_ctx, repeat_penalty, repeat_last_n)\n"
           "  /set system TEXT           Set the system message\n"
           "  /show info|template|parameters\n"
           "  /clear                     Clear session context\n"
           "  /bye                       Exit\n"
           "  /?, /help                  Help for a command\n\n"
           "Use \"\"\" to begin a multi-line message.\n\n");
}

/* Handles a /command; returns 1 to leave the chat. */
static int command(chat_state *cs, char *line) {
    char *save = NULL, *cmd = strtok_r(line, " \t", &save);
    if (!strcmp(cmd, "/bye")) return 1;
    if (!strcmp(cmd, "/?") || !strcmp(cmd, "/help")) {
        print_help();
    } else if (!strcmp(cmd, "/clear")) {
        json_array_clear(cs->history);
        run_session_clear(cs->s);
        printf("Cleared session context\n");
    } else if (!strcmp(cmd, "/set")) {
        char *what = strtok_r(NULL, " \t", &save);
        if (what && !strcmp(what, "system")) {
            char *text = save ? save + strspn(save, " \t") : NULL;
            free(cs->system);
            cs->system = text && *text ? strdup(text) : NULL;
            printf("Set system message.\n");
        } else if (what && !strcmp(what, "parameter")) {
            char *name = strtok_r(NULL, " \t", &save), *value = strtok_r(NULL, " \t", &save);
            lmd_err err;
            lmd_err_clear(&err);
            if (!name || !value) printf("Usage: /set parameter NAME VALUE\n");
            else if (run_opts_set(&cs->o, name, value, &err) != LMD_OK) printf("Couldn't set parameter: %s\n", err.msg);
            else printf("Set parameter '%s' to '%s'\n", name, value);
        } else {
            printf("Usage: /set parameter NAME VALUE | /set system TEXT\n");
        }
    } else if (!strcmp(cmd, "/show")) {
        char *what = strtok_r(NULL, " \t", &save);
        if (what && !strcmp(what, "info")) run_show_info(cs->s);
        else if (what && !strcmp(what, "template")) run_show_template(cs->s);
        else if (what && !strcmp(what, "parameters")) run_opts_print(&cs->o);
        else if (what && !strcmp(what, "system")) printf("%s\n", cs->system ? cs->system : "No system message was specified for this model.");
        else printf("Usage: /show info|template|parameters|system\n");
    } else {
        printf("Unknown command '%s'. Type /? for help\n", cmd);
    }
    return 0;
}

static char *append(char *buf, const char *s) {
    size_t a = buf ? strlen(buf) : 0, b = strlen(s);
    char *q = realloc(buf, a + b + 1);
    if (!q) return buf;
    memcpy(q + a, s, b + 1);
    return q;
}

static int interactive(chat_state *cs) {
    using_history();
    char *multi = NULL;
    for (;;) {
        atomic_store(&g_stop, false);
        char *line = readline(multi ? "... " : ">>> ");
        if (!line) {
            if (atomic_load(&g_stop)) {   /* Ctrl-C at the prompt */
                printf("\nUse Ctrl + d or /bye to exit.\n");
                free(multi);
                multi = NULL;
                continue;
            }
            printf("\n");
            break;   /* Ctrl-D */
        }
        if (multi) {   /* inside """ ... """ */
            char *end = strstr(line, "\"\"\"");
            if (end) *end = 0;
            multi = append(append(multi, "\n"), line);
            if (!end) { free(line); continue; }
            free(line);
            add_history(multi);
            int rc = turn(cs, multi);
            free(multi);
            multi = NULL;
            if (rc == 2) return rc;
            continue;
        }
        char *p = line + strspn(line, " \t");
        if (!*p) { free(line); continue; }
        add_history(p);
        if (!strncmp(p, "\"\"\"", 3)) {
            char *rest = p + 3, *end = strstr(rest, "\"\"\"");
            if (end) {
                *end = 0;
                turn(cs, rest);
            } else {
                multi = strdup(rest);
            }
            free(line);
            continue;
        }
        if (*p == '/') {
            int leave = command(cs, p);
            free(line);
            if (leave) break;
            continue;
        }
        turn(cs, p);
        free(line);
    }
    free(multi);
    return 0;
}

static char *read_stdin(void) {
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    char chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            char *q = realloc(buf, cap);
            if (!q) { free(buf); return NULL; }
            buf = q;
        }
        memcpy(buf + n, chunk, k);
        n += k;
    }
    if (!buf) buf = calloc(1, 1);
    else buf[n] = 0;
    while (buf && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return buf;
}

int lmd_cmd_run(int argc, char **argv) {
    chat_state cs = { 0 };
    run_opts_default(&cs.o);
    const char *model = NULL;
    char *prompt = NULL;
    lmd_err err;
    lmd_err_clear(&err);
    static const struct { const char *flag, *param; } flags[] = {
        { "--temperature", "temperature" }, { "--top-k", "top_k" }, { "--top-p", "top_p" },
        { "--min-p", "min_p" }, { "--seed", "seed" }, { "--num-predict", "num_predict" },
        { "--num-ctx", "num_ctx" }, { "--threads", "num_thread" },
    };
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: %s\n", USAGE);
            free(prompt);
            return 0;
        }
        if (!strcmp(a, "--verbose")) { cs.verbose = true; continue; }
        if (!strcmp(a, "--raw")) { cs.raw = true; continue; }
        if (!strcmp(a, "--")) { a = NULL; }
        if (a && a[0] == '-' && a[1] == '-') {
            size_t k = 0, nf = sizeof flags / sizeof flags[0];
            const char *eq = strchr(a, '=');
            size_t name_n = eq ? (size_t)(eq - a) : strlen(a);
            while (k < nf && !(strlen(flags[k].flag) == name_n && !strncmp(flags[k].flag, a, name_n))) k++;
            if (k == nf) {
                fprintf(stderr, "lmd run: unknown flag %s\n", a);
                free(prompt);
                return lmd_cli_usage("run", USAGE);
            }
            const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) {
                fprintf(stderr, "lmd run: flag %s needs a value\n", flags[k].flag);
                free(prompt);
                return 2;
            }
            if (run_opts_set(&cs.o, flags[k].param, value, &err) != LMD_OK) {
                free(prompt);
                return lmd_cli_fail("run", &err);
            }
            continue;
        }
        if (!a) {   /* everything after -- is prompt */
            for (i++; i < argc; i++) prompt = append(prompt ? append(prompt, " ") : prompt, argv[i]);
            break;
        }
        if (!model) model = a;
        else prompt = append(prompt ? append(prompt, " ") : prompt, a);
    }
    if (!model) {
        free(prompt);
        return lmd_cli_usage("run", USAGE);
    }
    if (!prompt && !isatty(STDIN_FILENO)) prompt = read_stdin();
    if (run_session_open(model, &cs.o, &cs.s, &err) != LMD_OK) {
        free(prompt);
        return lmd_cli_fail("run", &err);
    }
    struct sigaction sa = { .sa_handler = on_sigint };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    cs.history = json_array();
    if (prompt) rc = turn(&cs, prompt);
    else rc = interactive(&cs);
    json_decref(cs.history);
    free(cs.system);
    free(prompt);
    run_session_close(cs.s);
    return rc;
}
