/* gotmpl_int.h — declarations shared inside the Go-template interpreter: the arena, the
 * parse tree (lexer and parser build it, the evaluator walks it), the value model that
 * mirrors the Go values a template sees, and the printers (fmt and encoding/json rules).
 * Nothing here is public; gotmpl.h is the contract. */
#ifndef LMD_TEMPLATE_GOTMPL_INT_H
#define LMD_TEMPLATE_GOTMPL_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template/gotmpl.h"
#include "util/err.h"

/* ---- arena: bump allocator freed whole (parse trees, render-time values) ---- */
typedef struct go_arena_block go_arena_block;
typedef struct {
    go_arena_block *head;
    size_t used_bytes, cap_bytes; /* cap_bytes 0 = unlimited */
} go_arena;

void *go_alloc(go_arena *a, size_t bytes); /* zeroed; NULL when out of memory or over cap */
char *go_strndup(go_arena *a, const char *s, size_t n);
void go_arena_free(go_arena *a);

/* ---- growable output buffer with a hard cap ---- */
typedef struct {
    char *p;
    size_t len, cap, max_bytes;
    bool failed; /* out of memory or over max_bytes; later appends are ignored */
    bool over_cap;
} go_buf;

void go_buf_put(go_buf *b, const char *s, size_t n);
void go_buf_puts(go_buf *b, const char *s);
void go_buf_putc(go_buf *b, char c);
void go_buf_printf(go_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- parse tree ---- */
typedef enum {
    GN_LIST, GN_TEXT, GN_ACTION, GN_IF, GN_RANGE, GN_WITH, GN_TEMPLATE, GN_BREAK, GN_CONTINUE,
    GN_PIPE, GN_CMD, GN_FIELD, GN_VAR, GN_CHAIN, GN_IDENT, GN_DOT, GN_NIL, GN_BOOL, GN_NUMBER,
    GN_STRING,
} go_node_kind;

typedef struct go_node go_node;
struct go_node {
    go_node_kind kind;
    int line, col;
    /* GN_LIST: items; GN_PIPE: cmds; GN_CMD: args */
    go_node **kids;
    int n_kids;
    /* GN_TEXT / GN_STRING: bytes; GN_TEMPLATE: name; GN_IDENT: function name */
    const char *text;
    size_t text_len;
    /* GN_FIELD ".A.B" -> {A,B}; GN_VAR "$x.A" -> {$x,A}; GN_CHAIN: fields after `node` */
    const char **idents;
    int n_idents;
    go_node *node;                      /* GN_CHAIN base; GN_ACTION/GN_TEMPLATE pipe */
    go_node *pipe, *list, *else_list;   /* GN_IF / GN_RANGE / GN_WITH */
    const char **decl;                  /* GN_PIPE declared/assigned variables */
    int n_decl;
    bool is_assign;                     /* GN_PIPE: `=` rather than `:=` */
    /* GN_BOOL: b; GN_NUMBER: the constant as Go's idealConstant types it */
    bool b, num_is_float;
    int64_t num_i;
    double num_f;
};

typedef struct {
    const char *name;
    go_node *root;
} go_define;

struct lmd_gotmpl {
    go_arena arena;
    char *name;
    go_node *root;
    go_define *defs;
    int n_defs;
    lmd_gotmpl_limits lim;
};

/* Lexes and parses src into t (t->arena, t->root, t->defs). */
lmd_status go_parse(struct lmd_gotmpl *t, const char *src, size_t len, lmd_err *err);

/* ---- values ---- */
typedef enum {
    GV_INVALID,  /* no value (Go's invalid reflect.Value): missing, or nil after a pipeline */
    GV_NILIFACE, /* a nil interface{} held in a map, slice or struct field */
    GV_NIL,      /* a typed nil pointer */
    GV_BOOL, GV_INT, GV_FLOAT, GV_STRING, GV_SLICE, GV_MAP, GV_STRUCT,
} go_kind;

typedef struct go_agg go_agg;
typedef struct {
    uint8_t kind;
    bool is_nil; /* nil slice or map: prints [] / map[], marshals to null */
    bool is_ptr; /* struct reached through a pointer */
    const char *str;      /* fmt.Stringer output, NULL when the Go type has no String method */
    const json_t *mj;     /* what encoding/json writes, in order, when not the generic rule */
    const char *tname;    /* Go type name for error messages, NULL = derived from kind */
    union {
        bool b;
        int64_t i;
        double f;
        struct { const char *p; size_t n; } s;
        go_agg *a;
    } u;
} go_val;

struct go_agg {
    size_t n;
    go_val *items;      /* slice elements, map values in key order, struct fields */
    const char **keys;  /* map keys sorted bytewise, struct field names in order */
    go_val zero;        /* map: what a missing key yields */
    /* struct: encoding/json names ("-" = skipped) and omitempty flags; NULL = Go names */
    const char **json_names;
    const bool *omitempty;
};

static inline go_val go_invalid(void) { return (go_val){ .kind = GV_INVALID }; }
static inline go_val go_bool(bool b) { return (go_val){ .kind = GV_BOOL, .u.b = b }; }
static inline go_val go_int(int64_t i) { return (go_val){ .kind = GV_INT, .u.i = i }; }
static inline go_val go_float(double f) { return (go_val){ .kind = GV_FLOAT, .u.f = f }; }
static inline go_val go_str(const char *p, size_t n) {
    return (go_val){ .kind = GV_STRING, .u.s = { p, n } };
}

/* Converts JSON as encoding/json decodes it into `any`; values live in arena a. */
lmd_status go_from_json(go_arena *a, const json_t *j, int depth, go_val *out, lmd_err *err);

/* Builds Ollama's template data (map[string]any) from its Values JSON (see gotmpl.h). */
typedef struct {
    go_val messages_data;   /* data for the .Messages path */
    /* legacy path: one entry per collated message, role/content pairs */
    size_t n_msgs;
    const char **roles, **contents;
    size_t *content_lens;
    const char *prompt, *suffix, *think_level;
    size_t prompt_len, suffix_len, think_level_len;
    bool think, is_think_set;
    go_val tools;
    const char *system;
    size_t system_len;
} go_ollama_values;
lmd_status go_ollama_build(go_arena *a, const json_t *v, go_ollama_values *out, lmd_err *err);
/* A map[string]any with the given (already sorted) keys and values. */
go_val go_make_map(go_arena *a, size_t n, const char **keys, const go_val *vals);

/* Truth as Go's isTrue; *ok false for kinds if/with cannot use. */
bool go_truth(go_val v);
/* Go type name of a value for messages ("string", "map[string]interface {}", ...). */
const char *go_type_name(go_val v);

/* ---- printing ---- */
/* fmt's %v of v (depth 0 = top-level operand). */
void go_fmt_v(go_buf *b, go_val v, int depth);
/* fmt.Sprint / Sprintln / Sprintf of args. */
void go_sprint(go_buf *b, const go_val *args, int n);
void go_sprintln(go_buf *b, const go_val *args, int n);
void go_sprintf(go_buf *b, const char *fmt, size_t fmt_len, const go_val *args, int n);
/* strconv.FormatFloat(f, fmtc, -1, 64) for fmtc 'g', 'e' or 'f'. */
void go_format_float(go_buf *b, double f, char fmtc);
/* encoding/json.Marshal; false when Go's Marshal would fail (NaN, Inf). */
bool go_json_marshal(go_buf *b, go_val v);
bool go_json_marshal_json(go_buf *b, const json_t *j, bool sort_keys);

/* ---- evaluation ---- */
typedef enum { GO_DATA_JSON, GO_DATA_VALUE } go_data_kind;
/* Renders t (or the tree `root` when non-NULL) with dot = data into b. */
lmd_status go_exec(const struct lmd_gotmpl *t, const go_node *root, go_arena *a, go_val data,
                   go_buf *b, lmd_err *err);

/* Builtin functions, looked up by name; NULL when none. */
typedef struct go_state go_state;
typedef lmd_status (*go_builtin_fn)(go_state *s, const go_node *at, go_val *args, int n,
                                    go_val *out, lmd_err *err);
typedef struct {
    const char *name;
    go_builtin_fn fn;
    /* parameter kinds, one letter each: 'r' reflect.Value, 'a' any, 's' string */
    const char *sig;
    char variadic; /* kind of the ... parameter, 0 when none */
} go_builtin;
const go_builtin *go_find_builtin(const char *name, size_t len);
/* Names Go has but this interpreter rejects (html, js, urlquery, call). */
bool go_is_unsupported_builtin(const char *name, size_t len);

/* Fails the render at node `at` with a message (template:line:col prefix added). */
lmd_status go_errorf(go_state *s, const go_node *at, lmd_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
go_arena *go_state_arena(go_state *s);
/* api.ToolProperty's ToTypeScriptType, as a method call on a ToolProperty struct. */
void go_ts_of_property(go_buf *b, go_val prop);
lmd_status go_call_ts_method(go_state *s, const go_node *at, go_val prop, go_val *out, lmd_err *err);

#endif
