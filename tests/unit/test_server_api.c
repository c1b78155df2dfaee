/* test_server_api.c — the HTTP server in-process with a fake model (bytes as tokens, a
 * deterministic fake forward pass over the engine's paged blocks): every generation endpoint
 * streaming and not, error shapes, 32 concurrent greedy streams equal to their solo output,
 * a disconnecting client's blocks freed, prefix-cache reuse reported in both APIs, load and
 * unload, the queue cap. */
#include "t.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "engine/engine.h"
#include "server/gen.h"
#include "server/server.h"

#define BT LMD_ENGINE_BLOCK_TOKENS
#define VOCAB 256
#define N_BLOCKS 512

/* ---- the fake model ---- */
typedef struct {
    int32_t (*kv)[BT][2];
    int step_sleep_us;
    lmd_engine_model em;
    lmd_srv_model sm;
} fake;

static lmd_status fake_forward(void *ctx, const lmd_engine_batch *b, float *logits,
                               lmd_err *err) {
    fake *m = ctx;
    if (m->step_sleep_us) {
        struct timespec ts = { 0, m->step_sleep_us * 1000L };
        nanosleep(&ts, NULL);
    }
    for (int64_t i = 0; i < b->n_entries; i++) {
        const lmd_engine_entry *en = &b->entries[i];
        const int32_t *table = b->block_tables[en->seq_idx];
        int32_t blk = table[en->pos / BT];
        m->kv[blk][en->pos % BT][0] = en->token;
        m->kv[blk][en->pos % BT][1] = en->pos;
        if (en->logits_row < 0) continue;
        uint64_t h = 1469598103934665603ull;
        for (int32_t p = 0; p <= en->pos; p++) {
            int32_t b2 = table[p / BT];
            if (m->kv[b2][p % BT][1] != p)
                return lmd_err_set(err, LMD_E_INTERNAL, "fake: stale kv at %d", p);
            h = (h ^ (uint64_t)(m->kv[b2][p % BT][0] + 7)) * 1099511628211ull;
        }
        int32_t target = 'a' + (int32_t)(h % 26);   /* lowercase letters; 0 is EOG */
        float *row = logits + (size_t)en->logits_row * VOCAB;
        for (int v = 0; v < VOCAB; v++) row[v] = -(float)abs(v - target) * 0.5f;
    }
    return LMD_OK;
}

static lmd_status fake_tokenize(const void *vocab, const char *text, size_t len, bool add_special,
                                bool parse_special, int32_t **ids, int64_t *n, lmd_err *err) {
    *ids = malloc((len + 1) * sizeof **ids);
    if (!*ids) return lmd_err_set(err, LMD_E_NOMEM, "oom");
    int64_t k = 0;
    (*ids)[k++] = 1;   /* "BOS" */
    for (size_t i = 0; i < len; i++) (*ids)[k++] = (unsigned char)text[i];
    *n = k;
    return LMD_OK;
}

static int64_t fake_piece(const void *vocab, int32_t id, char *buf, size_t cap) {
    if (id < 0 || id >= VOCAB) return -1;
    if (id < 32) return 0;
    if (cap) buf[0] = (char)id;
    return 1;
}

static bool fake_is_eog(const void *vocab, int32_t id) { return id == 0; }

typedef struct {
    atomic_int n_loads;
    int step_sleep_us;
    int max_queue;
} loader;

static lmd_status fake_load(void *ctx, lmd_model_inst *inst, int64_t num_ctx, lmd_err *err) {
    loader *l = ctx;
    if (strncmp(inst->name, "fake", 4) != 0)
        return lmd_err_set(err, LMD_E_NOT_FOUND, "model '%s' not found", inst->name);
    fake *m = calloc(1, sizeof *m);
    m->kv = calloc(N_BLOCKS, sizeof *m->kv);
    m->step_sleep_us = l->step_sleep_us;
    m->em = (lmd_engine_model){ .ctx = m, .n_vocab = VOCAB, .n_blocks = N_BLOCKS,
                                .forward = fake_forward };
    m->sm = (lmd_srv_model){ .tokenize = fake_tokenize, .piece = fake_piece,
                             .is_eog = fake_is_eog, .n_vocab = VOCAB, .n_ctx_train = 2048 };
    lmd_engine_opts eo = { .max_batch_tokens = 256, .max_seqs = 48, .max_queue = l->max_queue,
                           .n_ctx = 1024, .model_key = inst->name };
    lmd_status st = lmd_engine_create(&m->em, &eo, &inst->engine, err);
    if (st != LMD_OK) return st;
    inst->payload = &m->sm;
    inst->n_ctx = 1024;
    snprintf(inst->digest, sizeof inst->digest, "sha256:%064d", 0);
    atomic_fetch_add(&l->n_loads, 1);
    return LMD_OK;
}

static void fake_unload(void *ctx, lmd_model_inst *inst) {
    lmd_engine_free(inst->engine);
    fake *m = (fake *)((char *)inst->payload - offsetof(fake, sm));
    free(m->kv);
    free(m);
}

/* ---- HTTP helpers ---- */
static char base[64];

typedef struct {
    char *buf;
    size_t len;
    long status;
    int abort_after_bytes;   /* > 0: stop reading once this much arrived */
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
    resp *r = ud;
    size_t add = sz * n;
    r->buf = realloc(r->buf, r->len + add + 1);
    memcpy(r->buf + r->len, p, add);
    r->len += add;
    r->buf[r->len] = '\0';
    if (r->abort_after_bytes && r->len >= (size_t)r->abort_after_bytes) return 0;
    return add;
}

static resp http(const char *method, const char *path, const char *body) {
    resp r = { 0 };
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    if (!r.buf) r.buf = strdup("");
    return r;
}

static json_t *js(const resp *r) { return json_loads(r->buf, 0, NULL); }

/* Joins the "response" (or message.content) fields of NDJSON lines; returns the last line. */
static json_t *ndjson_join(const char *buf, char *out, size_t cap, int *n_lines) {
    json_t *last = NULL;
    out[0] = '\0';
    *n_lines = 0;
    const char *p = buf;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        json_t *o = json_loadb(p, len, 0, NULL);
        if (o) {
            (*n_lines)++;
            const char *t = json_string_value(json_object_get(o, "response"));
            if (!t) t = json_string_value(json_object_get(json_object_get(o, "message"), "content"));
            if (t) strncat(out, t, cap - strlen(out) - 1);
            json_decref(last);
            last = o;
        }
        p += len + (nl ? 1 : 0);
    }
    return last;
}

static lmd_server *srv;
static loader L;

static void start(int step_sleep_us, int max_queue) {
    curl_global_init(CURL_GLOBAL_ALL);
    L = (loader){ .step_sleep_us = step_sleep_us, .max_queue = max_queue };
    lmd_models_opts mo = { .load = fake_load, .unload = fake_unload, .ctx = &L, .max_loaded = 2,
                           .default_keep_alive_ms = 60000 };
    lmd_server_opts so = { .host = "127.0.0.1:0", .models = &mo, .n_http_threads = 4 };
    lmd_err err = { 0 };
    if (lmd_server_start(&so, &srv, &err) != LMD_OK) fprintf(stderr, "start: %s\n", err.msg);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", lmd_server_port(srv));
}

static void stop(void) {
    lmd_server_stop(srv);
    srv = NULL;
}

T_TEST(server_generate_streams_ndjson_equal_to_the_non_stream_answer) {
    start(0, 0);
    resp a = http("POST", "/api/generate",
                  "{\"model\":\"fake\",\"prompt\":\"hello\",\"stream\":false,"
                  "\"options\":{\"temperature\":0,\"num_predict\":12}}");
    T_EQ_INT(a.status, 200);
    json_t *ja = js(&a);
    const char *text = json_string_value(json_object_get(ja, "response"));
    T_CHECK(text && strlen(text) == 12);
    T_EQ_STR(json_string_value(json_object_get(ja, "done_reason")), "length");
    T_EQ_INT(json_integer_value(json_object_get(ja, "eval_count")), 12);
    T_EQ_INT(json_integer_value(json_object_get(ja, "prompt_eval_count")), 6);
    T_CHECK(json_integer_value(json_object_get(ja, "total_duration")) > 0);
    T_CHECK(json_is_integer(json_object_get(ja, "prompt_cached_count")));
    T_CHECK(json_array_size(json_object_get(ja, "context")) == 18);
    resp b = http("POST", "/api/generate",
                  "{\"model\":\"fake\",\"prompt\":\"hello\","
                  "\"options\":{\"temperature\":0,\"num_predict\":12}}");
    T_EQ_INT(b.status, 200);
    char joined[256];
    int n_lines = 0;
    json_t *last = ndjson_join(b.buf, joined, sizeof joined, &n_lines);
    T_EQ_STR(joined, text ? text : "");
    T_EQ_INT(n_lines, 13);
    T_CHECK(json_is_true(json_object_get(last, "done")));
    json_decref(last);
    json_decref(ja);
    free(a.buf);
    free(b.buf);
    stop();
}

T_TEST(server_chat_and_openai_endpoints_answer_in_their_shapes) {
    start(0, 0);
    const char *msgs = "[{\"role\":\"system\",\"content\":\"be brief\"},"
                       "{\"role\":\"user\",\"content\":\"hi\"}]";
    char body[1024];
    snprintf(body, sizeof body, "{\"model\":\"fake\",\"messages\":%s,\"stream\":false,"
             "\"options\":{\"temperature\":0,\"num_predict\":5}}", msgs);
    resp a = http("POST", "/api/chat", body);
    json_t *ja = js(&a);
    T_EQ_INT(a.status, 200);
    const char *chat_text = json_string_value(json_object_get(json_object_get(ja, "message"), "content"));
    T_CHECK(chat_text && strlen(chat_text) == 5);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(ja, "message"), "role")), "assistant");

    snprintf(body, sizeof body, "{\"model\":\"fake\",\"messages\":%s,\"temperature\":0,"
             "\"max_tokens\":5,\"n\":2,\"logprobs\":true,\"top_logprobs\":3}", msgs);
    resp b = http("POST", "/v1/chat/completions", body);
    json_t *jb = js(&b);
    T_EQ_INT(b.status, 200);
    T_EQ_STR(json_string_value(json_object_get(jb, "object")), "chat.completion");
    json_t *choices = json_object_get(jb, "choices");
    T_EQ_INT(json_array_size(choices), 2);
    json_t *c0 = json_array_get(choices, 0);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(c0, "message"), "content")),
             chat_text ? chat_text : "?");
    T_EQ_STR(json_string_value(json_object_get(c0, "finish_reason")), "length");
    json_t *lp = json_object_get(json_object_get(c0, "logprobs"), "content");
    T_EQ_INT(json_array_size(lp), 5);
    json_t *tops = json_object_get(json_array_get(lp, 0), "top_logprobs");
    T_EQ_INT(json_array_size(tops), 3);
    T_CHECK(json_real_value(json_object_get(json_array_get(lp, 0), "logprob")) <= 0.0);
    json_t *usage = json_object_get(jb, "usage");
    T_EQ_INT(json_integer_value(json_object_get(usage, "completion_tokens")), 10);
    T_CHECK(json_is_integer(json_object_get(json_object_get(usage, "prompt_tokens_details"), "cached_tokens")));

    snprintf(body, sizeof body, "{\"model\":\"fake\",\"messages\":%s,\"temperature\":0,"
             "\"max_completion_tokens\":5,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
             msgs);
    resp s = http("POST", "/v1/chat/completions", body);
    T_EQ_INT(s.status, 200);
    T_CHECK(strstr(s.buf, "data: [DONE]\n\n") != NULL);
    T_CHECK(strstr(s.buf, "\"finish_reason\":\"length\"") != NULL);
    T_CHECK(strstr(s.buf, "\"usage\":{") != NULL);
    /* the deltas join to the same text */
    char joined[64] = "";
    for (const char *p = s.buf; (p = strstr(p, "data: {")) != NULL; p += 6) {
        json_t *o = json_loadb(p + 6, strcspn(p + 6, "\n"), 0, NULL);
        json_t *d = json_object_get(json_array_get(json_object_get(o, "choices"), 0), "delta");
        const char *t = json_string_value(json_object_get(d, "content"));
        if (t) strncat(joined, t, sizeof joined - strlen(joined) - 1);
        json_decref(o);
    }
    T_EQ_STR(joined, chat_text ? chat_text : "?");

    resp cpl = http("POST", "/v1/completions",
                    "{\"model\":\"fake\",\"prompt\":\"hello\",\"temperature\":0,\"max_tokens\":12}");
    json_t *jc = js(&cpl);
    T_EQ_INT(cpl.status, 200);
    T_EQ_STR(json_string_value(json_object_get(jc, "object")), "text_completion");
    T_EQ_INT(strlen(json_string_value(json_object_get(json_array_get(json_object_get(jc, "choices"), 0), "text"))), 12);
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    free(a.buf);
    free(b.buf);
    free(s.buf);
    free(cpl.buf);
    stop();
}

T_TEST(server_bad_requests_get_clear_errors) {
    start(0, 0);
    resp r = http("POST", "/api/generate", "{\"model\":\"fake\",\n\"prompt\": }");
    T_EQ_INT(r.status, 400);
    T_CHECK(strstr(r.buf, "line 2") && strstr(r.buf, "column"));
    free(r.buf);
    r = http("POST", "/api/generate", "{\"model\":\"fake\",\"prompt\":\"x\",\"stream\":\"yes\"}");
    T_EQ_INT(r.status, 400);
    T_CHECK(strstr(r.buf, "\\\"stream\\\"") != NULL);
    free(r.buf);
    r = http("POST", "/api/generate",
             "{\"model\":\"fake\",\"prompt\":\"x\",\"options\":{\"temperature\":\"hot\"}}");
    T_EQ_INT(r.status, 400);
    T_CHECK(strstr(r.buf, "temperature") != NULL);
    free(r.buf);
    r = http("POST", "/api/generate", "{\"prompt\":\"x\"}");
    T_EQ_INT(r.status, 400);
    T_CHECK(strstr(r.buf, "model is required") != NULL);
    free(r.buf);
    r = http("POST", "/api/chat", "{\"model\":\"nosuch\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    T_EQ_INT(r.status, 404);
    T_CHECK(strstr(r.buf, "nosuch") != NULL);
    free(r.buf);
    r = http("POST", "/v1/chat/completions", "{\"model\":\"nosuch\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    T_EQ_INT(r.status, 404);
    json_t *j = js(&r);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "error"), "type")), "not_found_error");
    T_CHECK(json_object_get(json_object_get(j, "error"), "param") != NULL);
    json_decref(j);
    free(r.buf);
    r = http("POST", "/v1/chat/completions", "{\"model\":\"fake\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":\"2\"}");
    T_EQ_INT(r.status, 400);
    j = js(&r);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(j, "error"), "param")), "n");
    json_decref(j);
    free(r.buf);
    r = http("POST", "/api/chat", "{\"model\":\"fake\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}");
    T_EQ_INT(r.status, 400);
    free(r.buf);
    r = http("POST", "/api/generate", "[1,2]");
    T_EQ_INT(r.status, 400);
    free(r.buf);
    stop();
}

typedef struct {
    char body[256];
    char text[512];
    resp r;
} stream_client;

T_TEST(server_32_concurrent_greedy_streams_match_their_solo_output) {
    start(0, 0);
    enum { N = 32 };
    static stream_client cl[N];
    static char solo[N][512];
    for (int i = 0; i < N; i++) {
        snprintf(cl[i].body, sizeof cl[i].body,
                 "{\"model\":\"fake\",\"prompt\":\"client %d says %.*s\","
                 "\"options\":{\"temperature\":0,\"num_predict\":%d}}", i, i, "abcdefghijklmnopqrstuvwxyzABCDEFGH", 20 + i);
        resp r = http("POST", "/api/generate", cl[i].body);
        int n;
        json_t *last = ndjson_join(r.buf, solo[i], sizeof solo[i], &n);
        json_decref(last);
        free(r.buf);
    }
    CURLM *multi = curl_multi_init();
    CURL *easy[N];
    char url[256];
    snprintf(url, sizeof url, "%s/api/generate", base);
    for (int i = 0; i < N; i++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, cl[i].body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &cl[i].r);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(multi, &running);
        if (running) curl_multi_wait(multi, NULL, 0, 100, NULL);
    }
    for (int i = 0; i < N; i++) {
        int n;
        json_t *last = ndjson_join(cl[i].r.buf ? cl[i].r.buf : "", cl[i].text, sizeof cl[i].text, &n);
        T_CHECK(json_is_true(json_object_get(last, "done")));
        json_decref(last);
        T_EQ_INT(strlen(cl[i].text), 20 + i);
        T_EQ_STR(cl[i].text, solo[i]);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        free(cl[i].r.buf);
    }
    curl_multi_cleanup(multi);
    stop();
}

static json_t *engine_row(void) {
    resp r = http("GET", "/api/ps", NULL);
    json_t *j = js(&r);
    free(r.buf);
    json_t *row = json_incref(json_object_get(json_array_get(json_object_get(j, "models"), 0), "lmd_engine"));
    json_decref(j);
    return row;
}

T_TEST(server_disconnecting_client_frees_its_blocks) {
    start(2000, 0);   /* 2 ms a step: the stream is still going when the client leaves */
    resp r = { .abort_after_bytes = 200 };
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/api/generate", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"model\":\"fake\",\"prompt\":\"a long story\",\"options\":{\"num_predict\":-1}}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_perform(c);   /* returns when on_body stops reading */
    json_t *row = engine_row();
    T_CHECK(json_integer_value(json_object_get(row, "kv_blocks_used")) > 0);
    json_decref(row);
    curl_easy_cleanup(c);   /* closes the socket */
    free(r.buf);
    int64_t used = -1, running = -1;
    for (int i = 0; i < 500 && (used != 0 || running != 0); i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        row = engine_row();
        used = json_integer_value(json_object_get(row, "kv_blocks_used"));
        running = json_integer_value(json_object_get(row, "running"));
        json_decref(row);
    }
    T_EQ_INT(used, 0);
    T_EQ_INT(running, 0);
    stop();
}

T_TEST(server_reports_cached_prompt_tokens_for_a_shared_system_prompt) {
    start(0, 0);
    char sys[400];
    memset(sys, 'S', 300);
    sys[300] = '\0';
    char body[1024];
    snprintf(body, sizeof body, "{\"model\":\"fake\",\"system\":\"%s\",\"prompt\":\"first\","
             "\"stream\":false,\"options\":{\"num_predict\":2}}", sys);
    resp a = http("POST", "/api/generate", body);
    json_t *ja = js(&a);
    T_EQ_INT(json_integer_value(json_object_get(ja, "prompt_cached_count")), 0);
    snprintf(body, sizeof body, "{\"model\":\"fake\",\"system\":\"%s\",\"prompt\":\"second\","
             "\"stream\":false,\"options\":{\"num_predict\":2}}", sys);
    resp b = http("POST", "/api/generate", body);
    json_t *jb = js(&b);
    /* BOS + 300 system bytes + 2 newlines: 303 tokens shared, 18 full blocks */
    T_EQ_INT(json_integer_value(json_object_get(jb, "prompt_cached_count")), 288);
    snprintf(body, sizeof body, "{\"model\":\"fake\",\"messages\":[{\"role\":\"system\",\"content\":\"%s\"},"
             "{\"role\":\"user\",\"content\":\"third\"}],\"max_tokens\":2}", sys);
    resp c = http("POST", "/v1/chat/completions", body);
    json_t *jc = js(&c);
    T_EQ_INT(json_integer_value(json_object_get(json_object_get(json_object_get(jc, "usage"),
                                "prompt_tokens_details"), "cached_tokens")), 288);
    json_decref(ja);
    json_decref(jb);
    json_decref(jc);
    free(a.buf);
    free(b.buf);
    free(c.buf);
    stop();
}

T_TEST(server_empty_prompt_loads_and_keep_alive_zero_unloads) {
    start(0, 0);
    resp r = http("POST", "/api/generate", "{\"model\":\"fake\"}");
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.buf, "\"done_reason\":\"load\"") != NULL);
    free(r.buf);
    r = http("GET", "/api/ps", NULL);
    T_CHECK(strstr(r.buf, "\"name\":\"fake:latest\"") != NULL);
    T_CHECK(strstr(r.buf, "\"expires_at\":\"") != NULL);
    free(r.buf);
    r = http("POST", "/api/generate", "{\"model\":\"fake\",\"keep_alive\":0}");
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.buf, "\"done_reason\":\"unload\"") != NULL);
    free(r.buf);
    r = http("GET", "/api/ps", NULL);
    T_EQ_STR(r.buf, "{\"models\":[]}");
    free(r.buf);
    /* a request with keep_alive 0 unloads after it is done (the reaper runs within 250 ms) */
    r = http("POST", "/api/generate", "{\"model\":\"fake\",\"prompt\":\"x\",\"stream\":false,"
             "\"keep_alive\":\"0s\",\"options\":{\"num_predict\":1}}");
    T_EQ_INT(r.status, 200);
    free(r.buf);
    int gone = 0;
    for (int i = 0; i < 200 && !gone; i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        r = http("GET", "/api/ps", NULL);
        gone = !strcmp(r.buf, "{\"models\":[]}");
        free(r.buf);
    }
    T_CHECK(gone);
    stop();
}

typedef struct {
    long status;
} qres;

static void *queue_client(void *arg) {
    qres *q = arg;
    resp r = http("POST", "/api/generate", "{\"model\":\"fake\",\"prompt\":\"q\",\"stream\":false,"
                  "\"options\":{\"num_predict\":30}}");
    q->status = r.status;
    free(r.buf);
    return NULL;
}

T_TEST(server_full_queue_answers_503) {
    start(3000, 1);   /* slow steps, a queue of 1 */
    resp first = http("POST", "/api/generate", "{\"model\":\"fake\"}");   /* load first */
    free(first.buf);
    enum { N = 6 };
    pthread_t th[N];
    qres q[N];
    for (int i = 0; i < N; i++) pthread_create(&th[i], NULL, queue_client, &q[i]);
    int ok = 0, busy = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += q[i].status == 200;
        busy += q[i].status == 503;
    }
    T_EQ_INT(ok + busy, N);
    T_CHECK(busy > 0);
    T_CHECK(ok > 0);
    stop();
}
