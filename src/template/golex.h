/* golex.h — tokens of Go's text/template, as its lexer (text/template/parse/lex.go) cuts
 * them: text between actions (already trimmed by {{- and -}}), delimiters, and the words
 * inside actions. Comments are dropped, as Go drops them unless asked to keep them. */
#ifndef LMD_TEMPLATE_GOLEX_H
#define LMD_TEMPLATE_GOLEX_H

#include <stddef.h>

#include "util/err.h"

typedef enum {
    GT_EOF, GT_TEXT, GT_LDELIM, GT_RDELIM, GT_SPACE, GT_IDENT, GT_FIELD, GT_VAR, GT_DOT,
    GT_STRING, GT_RAWSTRING, GT_CHARCONST, GT_NUMBER, GT_BOOL, GT_PIPE, GT_LPAREN, GT_RPAREN,
    GT_DECLARE, GT_ASSIGN, GT_CHAR,
    /* keywords */
    GT_BLOCK, GT_BREAK, GT_CONTINUE, GT_DEFINE, GT_ELSE, GT_END, GT_IF, GT_NIL, GT_RANGE,
    GT_TEMPLATE, GT_WITH,
} go_tok_type;

typedef struct {
    go_tok_type type;
    size_t pos, len; /* bytes of the source */
} go_tok;

typedef struct {
    go_tok *toks;
    size_t n, cap;
} go_toks;

/* Cuts src into tokens (ends with GT_EOF). On failure err says template:line:col and why.
 * The caller frees toks->toks. */
lmd_status go_lex(const char *name, const char *src, size_t len, go_toks *toks, lmd_err *err);

/* 1-based line and column (in bytes) of byte offset pos. */
void go_line_col(const char *src, size_t pos, int *line, int *col);

/* Human name of a token for "unexpected X" messages. */
const char *go_tok_name(go_tok_type t);

#endif
