/* store_int.h — declarations shared only inside src/store/: the file-operation layer (every
 * write goes through it so tests can fail the Nth call), digests, blob import, manifest
 * files. */
#ifndef LMD_STORE_INT_H
#define LMD_STORE_INT_H

#include <stdio.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "store/store.h"

#define LMD_STORE_PATH_MAX 4096
/* The root is at most LMD_STORE_PATH_MAX - 1024 bytes (checked at open) and every component
 * below it is bounded (name parts <= 350/80 bytes, digests 71), so the snprintf calls that
 * build paths cannot truncate; GCC cannot see those bounds, hence: */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

struct lmd_store {
    char root[LMD_STORE_PATH_MAX];
};

/* ---- fsio.c: file operations with fault injection ---- */
ssize_t lmd_fs_write_all(int fd, const void *buf, size_t n);  /* -1 + errno on failure */
int lmd_fs_fsync(int fd);
int lmd_fs_rename(const char *from, const char *to);
int lmd_fs_unlink(const char *path);
int lmd_fs_mkdir(const char *path);   /* EEXIST counts as success when it is a real dir */
int lmd_fs_fsync_dir(const char *dir);
/* Opens a fresh temporary file next to `final_path` (same directory, name ".lmd-tmp-..."),
 * writes nothing; *tmp receives its path. */
lmd_status lmd_fs_tmp_open(const char *final_path, int *fd, char *tmp, size_t cap,
                           lmd_err *err);
/* temp + fsync + rename + fsync(dir). */
lmd_status lmd_fs_write_atomic(const char *path, const void *data, size_t n, lmd_err *err);
/* Reads a regular file (never following a symlink) of at most max_bytes; NUL-terminated. */
lmd_status lmd_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
                            lmd_err *err);
/* mkdir -p of root/rel where rel's components were validated; refuses symlinks. */
lmd_status lmd_fs_mkdirs(const char *root, const char *rel, lmd_err *err);
/* Directory part of path into buf. */
void lmd_fs_dirname(const char *path, char *buf, size_t cap);

/* Store-wide lock on <root>/.lmd-lock: create and pull hold it shared while they add blobs
 * not yet named by a manifest; prune takes it exclusive and skips pruning when it is busy,
 * so it never deletes a blob a running create or pull is about to reference. Returns the
 * lock's fd, or -1 (for a non-blocking exclusive request: busy). */
int lmd_store_lock(lmd_store *s, bool exclusive);
void lmd_store_unlock(int fd);

/* ---- digest.c ---- */
typedef struct { EVP_MD_CTX *ctx; } lmd_sha256;
lmd_status lmd_sha256_init(lmd_sha256 *h, lmd_err *err);
void lmd_sha256_update(lmd_sha256 *h, const void *p, size_t n);
void lmd_sha256_final_hex(lmd_sha256 *h, char hex[65]);  /* frees the context */
void lmd_sha256_free(lmd_sha256 *h);
void lmd_sha256_hex(const void *p, size_t n, char hex[65]);
/* Hashes a file's first `n_bytes` bytes (all when n_bytes == UINT64_MAX). */
lmd_status lmd_sha256_file(const char *path, uint64_t n_bytes, char hex[65], uint64_t *size,
                           lmd_err *err);
/* Copies the 64 hex digits of a validated digest into hex. */
void lmd_digest_hex(const char *digest, char hex[65]);

/* ---- blob.c ---- */
/* Stores bytes as a blob; *digest receives "sha256:<hex>". */
lmd_status lmd_blob_put(lmd_store *s, const void *data, size_t n, char digest[72],
                        lmd_err *err);
/* Copies a file into the store as a blob (hashing while copying). */
lmd_status lmd_blob_import(lmd_store *s, const char *src_path, char digest[72],
                           uint64_t *size, lmd_store_progress_fn progress, void *ud,
                           lmd_err *err);
/* Names an already-written temp file as the blob of `hex` after checking its hash. */
lmd_status lmd_blob_commit(lmd_store *s, const char *tmp_path, const char *hex, lmd_err *err);
bool lmd_blob_exists(lmd_store *s, const char *digest, uint64_t size);
/* Reads a small blob, verifying its digest. */
lmd_status lmd_blob_read(lmd_store *s, const char *digest, size_t max_bytes, char **out,
                         size_t *len, lmd_err *err);

/* ---- manifest.c ---- */
/* Path of a name's manifest: exact, or the case-insensitive match that exists. */
lmd_status lmd_manifest_path(lmd_store *s, const lmd_store_name *n, bool must_exist,
                             char *buf, size_t cap, lmd_err *err);
lmd_status lmd_manifest_read(lmd_store *s, const lmd_store_name *n, char **json, size_t *len,
                             char *path, size_t path_cap, lmd_err *err);
/* Writes the manifest JSON for n atomically (removing a differently-cased old copy). */
lmd_status lmd_manifest_write(lmd_store *s, const lmd_store_name *n, const char *json,
                              size_t len, lmd_err *err);
/* Calls fn for every well-formed manifest path in the store. */
typedef lmd_status (*lmd_manifest_visit_fn)(void *ud, const lmd_store_name *n,
                                            const char *path);
lmd_status lmd_manifest_walk(lmd_store *s, lmd_manifest_visit_fn fn, void *ud, lmd_err *err);

/* ---- params.c: PARAMETER names and types ---- */
typedef enum { LMD_PARAM_INT, LMD_PARAM_FLOAT, LMD_PARAM_BOOL, LMD_PARAM_STRINGS } lmd_param_kind;
/* Kind of an Ollama option; false when the name is unknown. */
bool lmd_param_kind_of(const char *name, lmd_param_kind *kind);

/* ---- http.c: one HTTP GET over libcurl, never following redirects itself ---- */
typedef struct lmd_http_sink lmd_http_sink;
/* Receives body bytes of a 200/206 answer; returns false to abort the transfer. */
typedef bool (*lmd_http_write_fn)(void *ud, long status, const void *p, size_t n);

typedef struct {
    const char *url;
    const char *bearer;      /* Authorization: Bearer <token>, or NULL */
    uint64_t range_from;     /* > 0: Range: bytes=<from>- */
    bool accept_encoding;    /* let curl decode gzip/deflate (caps apply after decoding) */
    long stall_s;            /* abort when no byte arrives for this long */
    long connect_s;
    size_t max_body;         /* memory body cap (when write is NULL) */
    lmd_http_write_fn write; /* NULL: collect the body in memory */
    void *write_ud;
} lmd_http_req;

typedef struct {
    long status;
    char *body;              /* memory body (NUL-terminated), NULL with a write callback */
    size_t body_len;
    bool body_too_big;
    char location[2048];     /* redirect target, absolute */
    char www_auth[1024];
    uint64_t content_range_from; /* from "Content-Range: bytes A-B/N", UINT64_MAX if absent */
    char curl_error[256];    /* empty when the transfer itself worked */
    bool aborted_by_writer;
    bool stalled;
} lmd_http_resp;

lmd_status lmd_http_get(const lmd_http_req *req, lmd_http_resp *resp, lmd_err *err);
void lmd_http_resp_free(lmd_http_resp *resp);
/* "host[:port]" of an absolute URL into buf; false when the URL has no host. */
bool lmd_http_url_host(const char *url, char *buf, size_t cap);
/* Scheme check: https always, http only when insecure. */
bool lmd_http_scheme_ok(const char *url, bool insecure);

/* ---- safetensors.c: a validating reader for .safetensors files ---- */
typedef enum { LMD_ST_F32, LMD_ST_F16, LMD_ST_BF16 } lmd_st_dtype;
typedef struct {
    char name[256];
    lmd_st_dtype dtype;
    int n_dims;
    int64_t shape[4];      /* as stored: shape[0] is the slowest dimension */
    int64_t n_elems;
    const uint8_t *data;   /* into the mapping */
} lmd_st_tensor;
typedef struct {
    void *map;
    size_t map_bytes;
    lmd_st_tensor *t;
    int64_t n;
} lmd_st_file;
#define LMD_ST_MAX_HEADER_BYTES (100u << 20)
#define LMD_ST_MAX_TENSORS 100000
/* Maps and validates a file: header length and JSON, dtypes, shapes, offsets inside the data
 * area, sizes matching shapes. Unsupported dtypes (I8, F64...) are LMD_E_UNSUPPORTED. */
lmd_status lmd_st_open(const char *path, lmd_st_file *out, lmd_err *err);
/* Same over a caller-owned buffer (fuzzing); the buffer must outlive the result. */
lmd_status lmd_st_parse(const uint8_t *buf, size_t len, const char *what, lmd_st_file *out,
                        lmd_err *err);
void lmd_st_close(lmd_st_file *f);
/* Element i of a tensor as f32. */
float lmd_st_get(const lmd_st_tensor *t, int64_t i);

/* ---- convert.c: Hugging Face safetensors folder -> GGUF ---- */
/* True when dir looks like a HF model folder (config.json present). */
bool lmd_hf_dir_is_model(const char *dir);
/* Converts dir (config.json + tokenizer.json + *.safetensors, llama family) into a GGUF file at
 * out_path (F32, or F16 when want_f16). */
lmd_status lmd_hf_convert(const char *dir, const char *out_path, bool want_f16, lmd_err *err);

#endif
