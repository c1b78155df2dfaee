/* jinja_int.h — declarations shared by the Jinja interpreter's files (not a public API).
 *
 * Pieces: jinja_arena.c (memory, capped), jinja_value.c (value model, str/repr, compare),
 * jinja_json.c (JSON in, tojson out), jinja_lex.c (text → tokens, whitespace control),
 * jinja_parse.c (tokens → tree), jinja_eval.c (statements and expressions),
 * jinja_filters.c (filters and tests), jinja_call.c (globals and methods).
 * Values live in one arena per render and are immutable once built, except namespaces (the
 * only thing `set obj.attr` may write) — the same rule as HF's ImmutableSandboxedEnvironment. */
#ifndef LMD_TEMPLATE_JINJA_INT_H
#define LMD_TEMPLATE_JINJA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template/jinja.h"
#include "util/str.h"

/* ---- arena ---- */
typedef struct jx_chunk jx_chunk;
typedef struct {
    jx_chunk *head;
    size_t used_bytes, cap_bytes;
} jx_arena;

/* Returns zeroed memory or NULL when the cap is reached or malloc fails. */
void *jx_arena_alloc(jx_arena *a, size_t n);
void jx_arena_free(jx_arena *a);

/* ---- values ---- */
typedef enum {
    JV_UNDEF,
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STR,
    JV_LIST,   /* also tuples (is_tuple) */
    JV_DICT,
    JV_NS,     /* namespace(): a dict whose attributes can be set */
    JV_MACRO,
    JV_FUNC,   /* a built-in global, or a method bound to self */
} jv_kind;

typedef struct jv jv;
typedef struct jx_node jx_node;
typedef struct jx_scope jx_scope;

struct jv {
    jv_kind k;
    bool is_tuple;
    bool is_safe;  /* a string marked safe (markupsafe.Markup): `+` escapes the other side */
    union {
        bool b;
        int64_t i;
        double f;
        struct { const char *p; size_t n; } s;
        struct { jv **v; size_t n, cap; } l;
        struct { jv **key, **val; size_t n, cap; } d;
        struct { const jx_node *node; jx_scope *closure; } m;
        struct { int id; jv *self; const char *name; } fn;
        const char *undef_name; /* what was undefined, for messages */
    } u;
};

extern jv jx_undef, jx_none, jx_true, jx_false;

/* ---- output buffer with a cap ---- */
typedef struct {
    char *p;
    size_t n, cap, max;
} jx_buf;

/* ---- render context ---- */
typedef struct jx_ctx {
    jx_arena arena;
    lmd_err *err;
    const lmd_jinja_limits *lim;
    int depth;
    uint64_t loop_iterations;
    int loop_ctl;    /* 0, 1 = break, 2 = continue */
    jx_scope *root;
    jv *block_input;  /* the rendered body a filter block / block set feeds its filters */
} jx_ctx;

/* Error helpers: record the failure in ctx->err, return NULL / the status. */
jv *jx_fail(jx_ctx *c, const jx_node *at, lmd_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

jv *jv_new(jx_ctx *c, jv_kind k);
jv *jv_int(jx_ctx *c, int64_t i);
jv *jv_float(jx_ctx *c, double f);
jv *jv_bool(bool b);
jv *jv_str(jx_ctx *c, const char *p, size_t n);  /* copies */
jv *jv_str_ref(jx_ctx *c, const char *p, size_t n);  /* borrows (arena or template lifetime) */
jv *jv_list(jx_ctx *c, size_t cap);
jv *jv_dict(jx_ctx *c, size_t cap);
bool jv_list_push(jx_ctx *c, jv *l, jv *v);
bool jv_dict_set(jx_ctx *c, jv *d, jv *key, jv *val);   /* replaces an equal key */
jv *jv_dict_get(const jv *d, const char *key, size_t n);  /* NULL when absent */
jv *jv_dict_get_v(const jv *d, const jv *key);

bool jv_truthy(const jv *v);
bool jv_equal(const jv *a, const jv *b);
/* Python ordering: -1/0/1 in *out; false when the types cannot be ordered. */
bool jv_compare(const jv *a, const jv *b, int *out);
const char *jv_type_name(const jv *v);
/* Python str() and repr() appended to b; false on cap. */
bool jv_str_append(jx_ctx *c, jx_buf *b, const jv *v);
bool jv_repr_append(jx_ctx *c, jx_buf *b, const jv *v);
void jx_float_repr(double f, char *out, size_t cap);  /* Python repr of a float */
/* str(v) as a string value (strings are returned as they are). */
jv *jv_to_str(jx_ctx *c, const jv *v);
size_t jx_utf8_count(const char *p, size_t n);
size_t jx_utf8_offset(const char *p, size_t n, size_t idx);  /* byte offset of code point idx */

bool jx_buf_put(jx_ctx *c, jx_buf *b, const char *p, size_t n);
bool jx_buf_putc(jx_ctx *c, jx_buf *b, char ch);
bool jx_buf_puts(jx_ctx *c, jx_buf *b, const char *s);

/* Markup(v): a safe string (str(v) for other values). */
jv *jx_mark_safe(jx_ctx *c, jv *v);
/* markupsafe.escape(v): HTML-escaped safe string; safe strings come back as they are. */
jv *jx_html_escape(jx_ctx *c, jv *v);

/* ---- JSON ---- */
jv *jx_from_json(jx_ctx *c, const json_t *j, int depth);
/* json.dumps(v, ensure_ascii=False, indent=indent(<0: None), sort_keys) as HF's tojson;
 * separators NULL = Python's defaults. */
bool jx_tojson(jx_ctx *c, jx_buf *b, const jv *v, int indent, bool sort_keys,
               const char *item_sep, const char *key_sep, const jx_node *at);

/* ---- tokens ---- */
typedef enum {
    TK_EOF,
    TK_TEXT,
    TK_VAR_BEGIN,
    TK_VAR_END,
    TK_BLOCK_BEGIN,
    TK_BLOCK_END,
    TK_NAME,
    TK_INT,
    TK_FLOAT,
    TK_STR,
    TK_OP,
} jx_tok_kind;

typedef struct {
    jx_tok_kind k;
    int line, col;
    const char *p;   /* text, name, decoded string or operator spelling */
    size_t n;
    int64_t i;
    double f;
} jx_tok;

typedef struct {
    jx_tok *v;
    size_t n, cap;
} jx_toks;

/* ---- tree ---- */
typedef enum {
    /* statements */
    N_BODY, N_TEXT, N_OUTPUT, N_IF, N_FOR, N_SET, N_SET_BLOCK, N_MACRO, N_FILTER_BLOCK,
    N_BREAK, N_CONTINUE,
    /* expressions */
    N_CONST, N_NAME, N_ATTR, N_ITEM, N_SLICE, N_CALL, N_FILTER, N_TEST, N_BINOP, N_NEG,
    N_POS, N_NOT, N_AND, N_OR, N_COND, N_LIST, N_TUPLE, N_DICT, N_COMPARE,
} jx_node_kind;

typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_CONCAT,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN,
} jx_op;

struct jx_node {
    jx_node_kind k;
    int line, col;
    int op;              /* jx_op; for N_TEST 1 = negated; for N_FOR 1 = has else */
    const char *name;    /* N_NAME, N_ATTR, N_FILTER, N_TEST, N_MACRO, N_SET targets */
    size_t name_n;
    jv *val;             /* N_CONST */
    jx_node *a, *b, *c, *d, *e;  /* children by kind (see jinja_parse.c) */
    jx_node **kids;      /* bodies, args, list items, dict keys, comparison operands */
    size_t n_kids;
    jx_node **kids2;     /* dict values, kwarg values, macro defaults */
    const char **kw;     /* kwarg / parameter / target names */
    size_t *kw_n;
    size_t n_kw;
    int *ops;            /* N_COMPARE operators */
};

struct lmd_jinja {
    char *src;           /* normalized source (\r\n → \n, one trailing \n dropped) */
    size_t src_n;
    jx_arena arena;      /* tokens, nodes, constant values */
    jx_node *root;
    lmd_jinja_limits lim;
};

lmd_status jx_lex(lmd_jinja *t, jx_toks *out, lmd_err *err);
lmd_status jx_parse(lmd_jinja *t, const jx_toks *toks, lmd_err *err);

/* ---- evaluation ---- */
struct jx_scope {
    jx_scope *parent;
    const char **name;
    size_t *name_n;
    jv **val;
    size_t n, cap;
};

jx_scope *jx_scope_new(jx_ctx *c, jx_scope *parent);
bool jx_scope_set(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v);
jv *jx_scope_get(const jx_scope *s, const char *name, size_t n);  /* NULL when absent */

jv *jx_eval(jx_ctx *c, jx_scope *s, const jx_node *e);
lmd_status jx_exec(jx_ctx *c, jx_scope *s, const jx_node *st, jx_buf *out);
jv *jx_getattr(jx_ctx *c, const jv *obj, const char *name, size_t n, const jx_node *at);
jv *jx_getitem(jx_ctx *c, const jv *obj, const jv *key, const jx_node *at);
jv *jx_call_macro(jx_ctx *c, const jv *m, jv **args, size_t n_args, const char **kw,
                  size_t *kw_n, jv **kw_val, size_t n_kw, const jx_node *at);
/* A value's items for iteration (list items, dict keys, string characters, nothing for
 * undefined); NULL with an error for anything else. */
jv *jx_iter_list(jx_ctx *c, const jv *v, const jx_node *at);

/* Arguments of a call, positional then keyword. */
typedef struct {
    jv **args;
    size_t n_args;
    const char **kw;
    size_t *kw_n;
    jv **kw_val;
    size_t n_kw;
} jx_args;

/* Finds argument `pos` or keyword `name`; NULL when not given. */
jv *jx_arg(const jx_args *a, size_t pos, const char *name);

jv *jx_apply_filter(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v, jx_args *a,
                    const jx_node *at);
/* true / false in *out; false return on error. */
bool jx_apply_test(jx_ctx *c, jx_scope *s, const char *name, size_t n, jv *v, jx_args *a,
                   const jx_node *at, bool *out);
bool jx_has_filter(const char *name, size_t n);
bool jx_has_test(const char *name, size_t n);
/* Global functions (range, namespace, dict, raise_exception, strftime_now). */
void jx_add_globals(jx_ctx *c, jx_scope *root);
/* Bound method of a str / dict / list value, or NULL when it has none of that name. */
jv *jx_method(jx_ctx *c, const jv *self, const char *name, size_t n);
jv *jx_call_func(jx_ctx *c, const jv *fn, jx_args *a, const jx_node *at);
/* loop.cycle bound to iteration index0. */
jv *jx_loop_cycle(jx_ctx *c, int64_t index0);
/* Python `fmt % args` (and the format filter). */
jv *jx_percent_format(jx_ctx *c, const jv *fmt, jv **args, size_t n_args, const jx_node *at);

#endif
