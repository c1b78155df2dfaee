/* jinja_str.h — Python str operations for the Jinja interpreter (see jinja_str.c). All take
 * and return JV_STR values; results live in the render arena. */
#ifndef LMD_TEMPLATE_JINJA_STR_H
#define LMD_TEMPLATE_JINJA_STR_H

#include "template/jinja_int.h"

jv *jx_str_strip(jx_ctx *c, const jv *s, const jv *chars, bool left, bool right);
jv *jx_str_split(jx_ctx *c, const jv *s, const jv *sep, int64_t maxsplit, const jx_node *at);
jv *jx_str_replace(jx_ctx *c, const jv *s, const jv *old, const jv *new_, int64_t count);
jv *jx_str_case(jx_ctx *c, const jv *s, char mode);
bool jx_str_affix(const jv *s, const jv *fix, bool at_end);
int64_t jx_str_find(const jv *s, const jv *sub);
int64_t jx_str_count(const jv *s, const jv *sub);
jv *jx_str_splitlines(jx_ctx *c, const jv *s);

#endif
