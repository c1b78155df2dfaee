/* gen.h — a text-generation request in flight (server-internal): the loaded model's text
 * side, the job shared by the HTTP connection and the engine callbacks, and how its output
 * is shaped for each API.
 *
 * Lock order: a job's mu, then lmd_server.mu (suspend/resume bookkeeping). Engine callbacks
 * of one job run on its model's single engine thread. */
#ifndef LMD_SERVER_GEN_H
#define LMD_SERVER_GEN_H

#include <stdatomic.h>

#include "server/sampling.h"
#include "server/server_int.h"

/* What the loader hands the server for a loaded model (lmd_model_inst.payload). Function
 * pointers so the server's text handling does not depend on which tokenizer is linked. */
typedef struct {
    const void *vocab;
    lmd_status (*tokenize)(const void *vocab, const char *text, size_t len, bool add_special,
                           bool parse_special, int32_t **ids, int64_t *n_ids, lmd_err *err);
    /* Bytes of a token's text (control tokens render as nothing); returns the length, which
     * may exceed cap (then nothing past cap was written); < 0 for a bad id. */
    int64_t (*piece)(const void *vocab, int32_t id, char *buf, size_t cap);
    bool (*is_eog)(const void *vocab, int32_t id);
    int32_t n_vocab;
    int64_t n_ctx_train;
    char *template_text;   /* Ollama template layer, or NULL */
    char *system;          /* default system prompt, or NULL */
    json_t *params;        /* default options from the params layer, or NULL */
    char family[64], parameter_size[32], quantization[32];
    void *impl;            /* loader's own state */
} lmd_srv_model;

typedef enum { LMD_JOB_GENERATE, LMD_JOB_CHAT, LMD_JOB_OAI_CHAT, LMD_JOB_OAI_COMPLETION } lmd_job_kind;

#define LMD_MAX_STOPS 16
#define LMD_MAX_CHOICES 16

typedef struct lmd_job lmd_job;

typedef struct {
    lmd_job *job;
    int index;
    atomic_bool cancel;
    lmd_sampler sampler;
    char *text;                /* generated text so far (valid UTF-8 pieces) */
    size_t len, cap, emitted;
    char hold[8];              /* bytes of an incomplete UTF-8 character */
    int n_hold;
    int32_t *tokens;           /* generated ids (Ollama's context) */
    int64_t n_tokens, cap_tokens;
    json_t *logprobs;          /* OpenAI logprobs entries not yet sent (or all, non-stream) */
    float *raw;                /* (n_vocab) logits before sampling, when logprobs are asked */
    float lp;                  /* of the token just sampled */
    int32_t top_ids[20];
    float top_lp[20];
    lmd_engine_result res;
    bool done;
} lmd_choice;

/* Request options after defaults, model params and the request are merged. */
typedef struct {
    lmd_sampling_params sp;
    int64_t num_predict;       /* < 0: until the context is full */
    int64_t num_ctx;           /* 0: model's */
    char *stops[LMD_MAX_STOPS];
    int n_stops;
} lmd_gen_opts;

struct lmd_job {
    pthread_mutex_t mu;
    int refs;
    lmd_job_kind kind;
    bool stream, include_usage, want_logprobs, want_context;
    int top_logprobs;
    lmd_server *srv;
    lmd_model_inst *inst;
    lmd_srv_model *sm;
    int64_t keep_alive_ms;
    char model_name[LMD_MODEL_NAME_BYTES];
    char id[48];
    int64_t created_unix;
    int32_t *prompt;
    int64_t n_prompt;
    lmd_gen_opts opts;
    int n_choices, n_done;
    lmd_choice choices[LMD_MAX_CHOICES];
    int64_t t_start_ns, load_ns;
    /* Connection side (mu). */
    struct MHD_Connection *mc;
    bool suspended, conn_gone, finished;
    char *out;
    size_t out_len, out_off, out_cap;
    unsigned status;           /* non-stream reply status */
};

/* Merges options (request "options" object or OpenAI fields already mapped into one) over the
 * model's params and Ollama's defaults; records a field error in f. */
void lmd_gen_opts_parse(lmd_jf *f, const json_t *model_params, const json_t *options,
                        lmd_gen_opts *o);
void lmd_gen_opts_free(lmd_gen_opts *o);

/* Acquires the model for a request (loading it), mapping failures to replies. On failure
 * returns NULL and *result is the reply's result. */
lmd_model_inst *lmd_gen_acquire(lmd_conn *c, const char *model, int64_t num_ctx,
                                bool *loaded_now, int64_t *load_ns, enum MHD_Result *result);

/* Creates a job owning prompt (malloc'd ids) and opts; inst is released when the job ends. */
lmd_job *lmd_job_new(lmd_conn *c, lmd_job_kind kind, lmd_model_inst *inst, const char *model,
                     int32_t *prompt, int64_t n_prompt, lmd_gen_opts *opts, int n_choices);
/* Submits every choice to the engine and answers the connection (stream or suspend until the
 * full body is ready). Consumes the job on every path. */
enum MHD_Result lmd_job_start(lmd_conn *c, lmd_job *j);

/* Formatting per API (gen_format.c), called with the job's state. */
json_t *lmd_fmt_chunk(lmd_job *j, lmd_choice *ch, const char *text, size_t len);
json_t *lmd_fmt_final_chunk(lmd_job *j, lmd_choice *ch);   /* NULL if the API has none */
json_t *lmd_fmt_usage_chunk(lmd_job *j);                   /* NULL if none */
json_t *lmd_fmt_full(lmd_job *j);                          /* non-stream body */
const char *lmd_finish_reason(lmd_engine_finish r, bool openai);
void lmd_rfc3339_now(char *buf, size_t cap);
/* Valid-UTF-8 JSON string of bytes (invalid bytes become U+FFFD). */
json_t *lmd_json_text(const char *s, size_t len);

/* Canonical manager key for a model name ("name:tag"); false (and a 400 sent) when invalid. */
bool lmd_model_key(lmd_conn *c, const char *model, char *key, size_t cap,
                   enum MHD_Result *result);
/* Tokenizes prompt text and starts a job; releases inst and frees opts on failure. */
enum MHD_Result lmd_start_text_job(lmd_conn *c, lmd_job_kind kind, lmd_model_inst *inst,
                                   const char *model, const char *text, lmd_gen_opts *opts,
                                   int n_choices, bool stream, bool include_usage,
                                   int top_logprobs, bool want_logprobs, int64_t keep_alive_ms,
                                   int64_t load_ns);

/* Prompt (prompt.c): renders with the model's template (fallback: system + prompt). */
char *lmd_render_generate(const lmd_srv_model *sm, const char *template_override,
                          const char *system, const char *prompt);
/* messages: array of {role, content}; content string (OpenAI parts are flattened first). */
char *lmd_render_chat(const lmd_srv_model *sm, const json_t *messages);

#endif
