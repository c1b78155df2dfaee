/* routes.c — the route table: which path answers which methods with which handler. */
#include <string.h>

#include "server/server_int.h"

#define GH (LMD_M_GET | LMD_M_HEAD)

static const lmd_route routes[] = {
    { "/", false, GH, lmd_h_root, NULL },
    { "/api/version", false, GH, lmd_h_version, NULL },
    { "/api/generate", false, LMD_M_POST, lmd_h_generate, NULL },
    { "/api/chat", false, LMD_M_POST, lmd_h_chat, NULL },
    { "/api/ps", false, GH, lmd_h_ps, NULL },
    { "/api/tags", false, GH, lmd_h_tags, NULL },
    { "/api/show", false, LMD_M_POST, lmd_h_show, NULL },
    { "/api/copy", false, LMD_M_POST, lmd_h_copy, NULL },
    { "/api/delete", false, LMD_M_DELETE, lmd_h_delete, NULL },
    { "/api/create", false, LMD_M_POST, lmd_h_create, NULL },
    { "/api/pull", false, LMD_M_POST, lmd_h_pull, NULL },
    { "/api/blobs/", true, LMD_M_HEAD | LMD_M_POST, lmd_h_blobs, lmd_h_blobs_begin },
    { "/api/debug/engine", false, GH, lmd_h_debug_engine, NULL },
    { "/v1/chat/completions", false, LMD_M_POST, lmd_h_oai_chat, NULL },
    { "/v1/completions", false, LMD_M_POST, lmd_h_oai_completions, NULL },
    { "/v1/models", false, GH, lmd_h_oai_models, NULL },
    { "/v1/models/", true, GH, lmd_h_oai_model, NULL },
};

const lmd_route *lmd_route_find(const char *path, unsigned *allowed_methods) {
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const lmd_route *r = &routes[i];
        bool hit = r->is_prefix ? !strncmp(path, r->path, strlen(r->path)) &&
                                      path[strlen(r->path)] != '\0'
                                : !strcmp(path, r->path);
        if (hit) {
            if (allowed_methods) *allowed_methods = r->methods;
            return r;
        }
    }
    return NULL;
}
