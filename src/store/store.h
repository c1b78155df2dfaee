/* store.h — the model store: Ollama's on-disk layout, model names, Modelfiles, create and pull.
 *
 * Layout under the root (LMD_MODELS, else OLLAMA_MODELS, else ~/.lmd/models), identical to
 * Ollama's so an Ollama store works as is:
 *   manifests/<host>/<namespace>/<model>/<tag>   Docker v2 schema 2 JSON
 *   blobs/sha256-<64 hex>                        content-addressed layers and configs
 * Every write is temp file + fsync + rename + fsync(dir); a blob is hashed before it is named;
 * a digest is validated before it becomes part of a path; nothing read from a manifest, a
 * registry or a request can name a path outside the root. This module does not run models:
 * lmd_store_resolve hands the engine a GGUF path plus the template/system/params layers. */
#ifndef LMD_STORE_H
#define LMD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/err.h"

/* ---- Names: [host/][namespace/]model[:tag], as Ollama's types/model/name.go ---- */
#define LMD_STORE_HOST_MAX 350
#define LMD_STORE_PART_MAX 80
#define LMD_STORE_DEFAULT_HOST "registry.ollama.ai"
#define LMD_STORE_DEFAULT_NAMESPACE "library"
#define LMD_STORE_DEFAULT_TAG "latest"

typedef struct {
    char host[LMD_STORE_HOST_MAX + 1];
    char ns[LMD_STORE_PART_MAX + 1];
    char model[LMD_STORE_PART_MAX + 1];
    char tag[LMD_STORE_PART_MAX + 1];
} lmd_store_name;

/* Parses and validates a name, filling defaults (registry.ollama.ai, library, latest).
 * Charset per part: first byte [A-Za-z0-9_], then also '-' '_' '.', ':' only in the host, no
 * '.' in the namespace; host 1..350 bytes, other parts 1..80. LMD_E_INVALID when bad. */
lmd_status lmd_store_name_parse(const char *s, lmd_store_name *out, lmd_err *err);
/* Case-insensitive equality of all four parts (Ollama matches names that way). */
bool lmd_store_name_eq(const lmd_store_name *a, const lmd_store_name *b);
/* Ollama's DisplayShortest: "model:tag", "ns/model:tag" or "host/ns/model:tag". */
void lmd_store_name_display(const lmd_store_name *n, char *buf, size_t cap);
/* "host/ns/model:tag". */
void lmd_store_name_full(const lmd_store_name *n, char *buf, size_t cap);

/* ---- Digests ---- */
#define LMD_STORE_DIGEST_BYTES 72 /* "sha256:" + 64 hex + NUL */
/* True when d matches ^sha256[:-][0-9a-f]{64}$ exactly. */
bool lmd_store_digest_valid(const char *d);

/* ---- The store ---- */
typedef struct lmd_store lmd_store;

/* Opens (creating manifests/ and blobs/ if missing) the store at root, or at the default
 * root when root is NULL. Free with lmd_store_close. */
lmd_status lmd_store_open(const char *root, lmd_store **out, lmd_err *err);
void lmd_store_close(lmd_store *s);
const char *lmd_store_root(const lmd_store *s);
/* Default root from the environment (LMD_MODELS, OLLAMA_MODELS, ~/.lmd/models) into buf. */
lmd_status lmd_store_default_root(char *buf, size_t cap, lmd_err *err);
/* Path of the blob for a validated digest ("sha256:.." or "sha256-.."), into buf. */
lmd_status lmd_store_blob_path(const lmd_store *s, const char *digest, char *buf, size_t cap,
                               lmd_err *err);

/* Media types of Ollama's layers. */
#define LMD_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define LMD_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define LMD_MT_MODEL "application/vnd.ollama.image.model"
#define LMD_MT_TEMPLATE "application/vnd.ollama.image.template"
#define LMD_MT_SYSTEM "application/vnd.ollama.image.system"
#define LMD_MT_PARAMS "application/vnd.ollama.image.params"
#define LMD_MT_MESSAGES "application/vnd.ollama.image.messages"
#define LMD_MT_LICENSE "application/vnd.ollama.image.license"
#define LMD_MT_ADAPTER "application/vnd.ollama.image.adapter"
#define LMD_MT_PROJECTOR "application/vnd.ollama.image.projector"

typedef struct {
    char media_type[128];
    char digest[LMD_STORE_DIGEST_BYTES]; /* "sha256:<hex>", validated */
    uint64_t size;
    char from[256]; /* optional "from" field (Ollama records the source model) */
} lmd_store_layer;

typedef struct {
    lmd_store_layer config;
    lmd_store_layer *layers;
    int64_t n_layers;
} lmd_store_manifest;

/* Caps applied to untrusted manifests (registry answers, files in the store). */
#define LMD_STORE_MANIFEST_MAX_BYTES (4u << 20)
#define LMD_STORE_MAX_LAYERS 1024

/* Parses a manifest (schema 2 JSON). Every digest is validated, layer count capped; `what`
 * names the source in errors. Free with lmd_store_manifest_free. */
lmd_status lmd_store_manifest_parse(const char *json, size_t len, const char *what,
                                    lmd_store_manifest *out, lmd_err *err);
void lmd_store_manifest_free(lmd_store_manifest *m);
/* Serializes as compact JSON (as Go's encoding/json writes it); caller frees *out. */
lmd_status lmd_store_manifest_dump(const lmd_store_manifest *m, char **out, size_t *len,
                                   lmd_err *err);

/* ---- Modelfile ---- */
typedef struct {
    char cmd[16];   /* lower case: from parameter template system adapter license message */
    char *name;     /* PARAMETER name or MESSAGE role (lower case); NULL otherwise */
    char *value;    /* the argument, quotes removed; never NULL */
    int line;       /* 1-based line of the instruction */
} lmd_modelfile_cmd;

typedef struct {
    lmd_modelfile_cmd *cmds;
    int64_t n;
} lmd_modelfile;

#define LMD_MODELFILE_MAX_BYTES (16u << 20)
#define LMD_MODELFILE_MAX_CMDS 4096

/* Parses Modelfile text: case-insensitive instructions, '#' comments, "..." and """...""" values
 * (multi-line), PARAMETER names and values type-checked against Ollama's options (stop may
 * repeat), MESSAGE roles system/user/assistant. Errors are LMD_E_INVALID and start with
 * "line N:". Free with lmd_modelfile_free. */
lmd_status lmd_modelfile_parse(const char *text, size_t len, lmd_modelfile *out, lmd_err *err);
void lmd_modelfile_free(lmd_modelfile *mf);
/* Renders a params JSON object ({"stop":[..],"temperature":0.7}) from the PARAMETER lines of
 * mf merged over base_json (may be NULL); a key set in mf replaces the base value. Caller frees
 * *out (NULL when no parameters at all). */
lmd_status lmd_modelfile_params_json(const lmd_modelfile *mf, const char *base_json, char **out,
                                     lmd_err *err);

/* ---- Queries ---- */
typedef struct {
    lmd_store_name name;
    char display[LMD_STORE_HOST_MAX + 3 * LMD_STORE_PART_MAX + 8]; /* DisplayShortest */
    char digest_hex[65];   /* sha256 of the manifest file: Ollama's model ID */
    uint64_t size_bytes;   /* config + all layers */
    time_t modified;       /* manifest mtime */
    char family[64], parameter_size[32], quantization[32], format[16]; /* from config */
} lmd_store_entry;

/* All models, newest first. Caller frees *out with free(). Unreadable manifests are skipped
 * with a warning in the log, so one bad file cannot hide the rest. */
lmd_status lmd_store_list(lmd_store *s, lmd_store_entry **out, size_t *n, lmd_err *err);

/* What the engine needs to run a model. Strings are NUL-terminated heap copies or NULL. */
typedef struct {
    lmd_store_name name;
    char manifest_digest[LMD_STORE_DIGEST_BYTES];
    lmd_store_manifest manifest;
    char *model_path;     /* blob path of the GGUF (model layer); NULL if none */
    char *projector_path; /* NULL if none */
    char *template_text;  /* Go text/template (Ollama's format); NULL if no template layer */
    char *system;         /* NULL if none */
    char *params_json;    /* params layer: {"stop":[..],"temperature":0.7,...}; NULL if none */
    char *messages_json;  /* messages layer: [{"role":..,"content":..}]; NULL if none */
    char *license;        /* license layers joined by "\n"; NULL if none */
    char *config_json;    /* the config blob */
} lmd_store_model;

/* Looks up a model by name (exact path first, then case-insensitively), reads its manifest
 * and small layers (each verified against its digest). Model blobs are verified when they
 * are written, not here. LMD_E_NOT_FOUND: "model 'x' not found". */
lmd_status lmd_store_resolve(lmd_store *s, const char *name, lmd_store_model **out,
                             lmd_err *err);
void lmd_store_model_free(lmd_store_model *m);

/* What `lmd show` and the config blob say about a GGUF file. */
typedef struct {
    char architecture[64];     /* general.architecture */
    char file_type[32];        /* "Q4_K_M", from general.file_type (else from the tensors) */
    char parameter_size[32];   /* Ollama's HumanNumber of the parameter count: "8.0B" */
    uint64_t n_params;
    uint64_t context_length;   /* <arch>.context_length, 0 if absent */
    uint64_t embedding_length; /* <arch>.embedding_length, 0 if absent */
    bool has_chat_template;    /* tokenizer.chat_template present */
    bool is_embedding;         /* <arch>.pooling_type set: an embedding model */
} lmd_store_gguf_info;

/* Reads the facts above from a GGUF file (validated by the gguf reader). */
lmd_status lmd_store_gguf_info_read(const char *path, lmd_store_gguf_info *out, lmd_err *err);
/* llama.cpp's name of a file type id ("Q4_K_M"), NULL when unknown. */
const char *lmd_store_file_type_name(uint64_t ftype);

/* Capabilities as Ollama reports them ("completion", "tools", "insert", "vision",
 * "embedding"), written as a comma-free list into names[], returns the count. */
int lmd_store_capabilities(const lmd_store_model *m, const lmd_store_gguf_info *info,
                           const char *names[8]);

/* ---- Operations ---- */
/* Copies the manifest of src to dst (same bytes, so the same ID). */
lmd_status lmd_store_copy(lmd_store *s, const char *src, const char *dst, lmd_err *err);
/* Deletes a model's manifest, then prunes every blob no manifest references. */
lmd_status lmd_store_delete(lmd_store *s, const char *name, lmd_err *err);
/* Removes blobs no manifest references; *n_removed counts them (may be NULL). */
lmd_status lmd_store_prune(lmd_store *s, int64_t *n_removed, lmd_err *err);

/* Progress of long operations (create, pull), shaped like Ollama's NDJSON lines:
 * {"status":..., "digest":..., "total":..., "completed":...}. digest may be NULL, total 0
 * when unknown. Return nonzero to cancel (the operation then fails with LMD_E_CANCELLED). */
typedef int (*lmd_store_progress_fn)(void *ud, const char *status, const char *digest,
                                     uint64_t total, uint64_t completed);

typedef struct {
    const char *quantize;  /* "-q TYPE": quantize an F32/F16/BF16 model on the way in */
    lmd_store_progress_fn progress;
    void *progress_ud;
} lmd_store_create_opts;

/* Creates model `name` from Modelfile text. base_dir resolves relative FROM/ADAPTER paths
 * (the Modelfile's folder). Errors in the Modelfile name the line. */
lmd_status lmd_store_create(lmd_store *s, const char *name, const char *modelfile_text,
                            const char *base_dir, const lmd_store_create_opts *opts,
                            lmd_err *err);

/* The quantizer behind `create -q`: writes in_path quantized to `type` ("q4_K_M", "Q8_0"...)
 * at out_path. Weak: the binary provides it from `lmd quantize` (src/cli/create.c); without it
 * -q fails with LMD_E_UNSUPPORTED. */
lmd_status lmd_store_quantize_gguf(const char *in_path, const char *out_path, const char *type,
                                   lmd_err *err) __attribute__((weak));

typedef struct {
    bool insecure;           /* allow http:// registries */
    const char *registry;    /* base URL overriding the name's host (LMD_REGISTRY) */
    long stall_timeout_s;    /* abort a transfer that moves no byte for this long (0: 30s) */
    int max_retries;         /* per blob (0: 6) */
    lmd_store_progress_fn progress;
    void *progress_ud;
} lmd_store_pull_opts;

/* Pulls a model from its registry (Ollama's protocol) or from Hugging Face
 * (hf.co/<user>/<repo>[:<quant>]). Resumes partial blobs, verifies every digest before the
 * blob is named, writes the manifest last. */
lmd_status lmd_store_pull(lmd_store *s, const char *name, const lmd_store_pull_opts *opts,
                          lmd_err *err);

/* ---- Test hooks: fail the Nth file operation (write, fsync, rename, unlink, mkdir) ----
 * After the Nth operation fails every later one fails too, as if the process had died, so a
 * test can check the store is left old-or-new at every step. 0 disables. Not thread-safe:
 * tests only. */
void lmd_store_fault_after(int64_t nth_op);
int64_t lmd_store_fault_ops(void); /* operations counted since the last fault_after */

#endif
