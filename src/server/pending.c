/* pending.c — endpoints whose library side (model store, model loading) has not landed on
 * main yet answer 501 with a clear message rather than pretending to work. Each moves to its
 * own file as the module it needs arrives. */
#include "server/server_int.h"

static enum MHD_Result not_yet(lmd_conn *c) {
    return lmd_reply_error(c, 501, NULL, NULL, "%s is not available in this build yet", c->url);
}

enum MHD_Result lmd_h_tags(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_show(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_copy(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_delete(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_create(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_pull(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_blobs(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_blobs_begin(lmd_conn *c) { return MHD_YES; }
enum MHD_Result lmd_h_oai_models(lmd_conn *c) { return not_yet(c); }
enum MHD_Result lmd_h_oai_model(lmd_conn *c) { return not_yet(c); }
