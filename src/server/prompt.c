/* prompt.c — turning a request into prompt text. Until the chat-template module lands on
 * main, a model's Go template is not interpreted: the prompt is the system prompt (when
 * given) and the user text separated by a blank line, and chat messages are their contents
 * in order, one per paragraph. Raw requests bypass this. */
#include <stdlib.h>
#include <string.h>

#include "server/gen.h"

static char *join(const char *a, const char *b) {
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
    char *s = malloc(la + lb + 3);
    if (!s) return NULL;
    size_t o = 0;
    if (la) {
        memcpy(s, a, la);
        o = la;
        if (lb) {
            memcpy(s + o, "\n\n", 2);
            o += 2;
        }
    }
    if (lb) memcpy(s + o, b, lb);
    s[o + lb] = '\0';
    return s;
}

char *lmd_render_generate(const lmd_srv_model *sm, const char *template_override,
                          const char *system, const char *prompt) {
    (void)template_override;
    const char *sys = system ? system : sm->system;
    return join(sys && *sys ? sys : NULL, prompt);
}

char *lmd_render_chat(const lmd_srv_model *sm, const json_t *messages) {
    char *acc = NULL;
    bool has_system = false;
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role && !strcmp(role, "system")) has_system = true;
    }
    if (!has_system && sm->system && *sm->system) acc = strdup(sm->system);
    json_array_foreach(messages, i, m) {
        const char *content = json_string_value(json_object_get(m, "content"));
        if (!content || !*content) continue;
        char *n = join(acc, content);
        free(acc);
        acc = n;
        if (!acc) return NULL;
    }
    return acc ? acc : strdup("");
}
