/* blob.c — content-addressed blobs: a blob is written under a temporary name, hashed, and only
 * renamed to blobs/sha256-<hex> once its content is known to match, so a named blob is always
 * what its name says. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

lmd_status lmd_store_blob_path(const lmd_store *s, const char *digest, char *buf, size_t cap,
                               lmd_err *err) {
    if (!lmd_store_digest_valid(digest))
        return lmd_err_set(err, LMD_E_FORMAT, "invalid digest '%.80s': expected sha256:<64 hex>",
                           digest ? digest : "(null)");
    char hex[65];
    lmd_digest_hex(digest, hex);
    int n = snprintf(buf, cap, "%s/blobs/sha256-%s", s->root, hex);
    if (n < 0 || (size_t)n >= cap)
        return lmd_err_set(err, LMD_E_INVALID, "%s: blob path too long", s->root);
    return LMD_OK;
}

bool lmd_blob_exists(lmd_store *s, const char *digest, uint64_t size) {
    char path[LMD_STORE_PATH_MAX];
    if (lmd_store_blob_path(s, digest, path, sizeof path, NULL) != LMD_OK) return false;
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    return (uint64_t)st.st_size == size;
}

/* Renames tmp to the blob of hex (or drops tmp when that blob already exists). */
static lmd_status name_blob(lmd_store *s, const char *tmp, const char *hex, lmd_err *err) {
    char path[LMD_STORE_PATH_MAX], dir[LMD_STORE_PATH_MAX];
    snprintf(path, sizeof path, "%s/blobs/sha256-%s", s->root, hex);
    if (lmd_fs_rename(tmp, path) != 0) {
        lmd_status st = lmd_err_set(err, LMD_E_IO, "%s: rename failed: %s", path,
                                    strerror(errno));
        unlink(tmp);
        return st;
    }
    snprintf(dir, sizeof dir, "%s/blobs", s->root);
    if (lmd_fs_fsync_dir(dir) != 0)
        return lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", dir, strerror(errno));
    return LMD_OK;
}

lmd_status lmd_blob_commit(lmd_store *s, const char *tmp_path, const char *hex, lmd_err *err) {
    char got[65];
    lmd_status st = lmd_sha256_file(tmp_path, UINT64_MAX, got, NULL, err);
    if (st != LMD_OK) return st;
    if (strcmp(got, hex) != 0) {
        unlink(tmp_path);
        return lmd_err_set(err, LMD_E_FORMAT, "blob sha256:%s: content hashes to sha256:%s",
                           hex, got);
    }
    return name_blob(s, tmp_path, hex, err);
}

lmd_status lmd_blob_put(lmd_store *s, const void *data, size_t n, char digest[72],
                        lmd_err *err) {
    char hex[65], path[LMD_STORE_PATH_MAX], tmp[LMD_STORE_PATH_MAX];
    lmd_sha256_hex(data, n, hex);
    snprintf(digest, 72, "sha256:%s", hex);
    if (lmd_blob_exists(s, digest, n)) return LMD_OK;
    snprintf(path, sizeof path, "%s/blobs/sha256-%s", s->root, hex);
    int fd;
    lmd_status st = lmd_fs_tmp_open(path, &fd, tmp, sizeof tmp, err);
    if (st != LMD_OK) return st;
    if (lmd_fs_write_all(fd, data, n) < 0 || lmd_fs_fsync(fd) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return st;
    }
    close(fd);
    return name_blob(s, tmp, hex, err);
}

lmd_status lmd_blob_import(lmd_store *s, const char *src_path, char digest[72],
                           uint64_t *size, lmd_store_progress_fn progress, void *ud,
                           lmd_err *err) {
    char tmp[LMD_STORE_PATH_MAX], probe[LMD_STORE_PATH_MAX], hex[65];
    lmd_status st;
    int in = open(src_path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return lmd_err_set(err, errno == ENOENT ? LMD_E_NOT_FOUND : LMD_E_IO,
                           "%s: cannot open: %s", src_path, strerror(errno));
    struct stat sb;
    if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(in);
        return lmd_err_set(err, LMD_E_INVALID, "%s: not a regular file", src_path);
    }
    snprintf(probe, sizeof probe, "%s/blobs/x", s->root);
    int out;
    if ((st = lmd_fs_tmp_open(probe, &out, tmp, sizeof tmp, err)) != LMD_OK) {
        close(in);
        return st;
    }
    lmd_sha256 h;
    if ((st = lmd_sha256_init(&h, err)) != LMD_OK) goto fail;
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!buf) {
        lmd_sha256_free(&h);
        st = lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", src_path);
        goto fail;
    }
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(in, buf, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = lmd_err_set(err, LMD_E_IO, "%s: read failed: %s", src_path, strerror(errno));
            break;
        }
        if (r == 0) break;
        lmd_sha256_update(&h, buf, (size_t)r);
        if (lmd_fs_write_all(out, buf, (size_t)r) < 0) {
            st = lmd_err_set(err, LMD_E_IO, "%s: write failed: %s", tmp, strerror(errno));
            break;
        }
        total += (uint64_t)r;
        if (progress && progress(ud, "copying file", NULL, (uint64_t)sb.st_size, total)) {
            st = lmd_err_set(err, LMD_E_CANCELLED, "%s: cancelled", src_path);
            break;
        }
    }
    free(buf);
    if (st != LMD_OK) {
        lmd_sha256_free(&h);
        goto fail;
    }
    lmd_sha256_final_hex(&h, hex);
    if (lmd_fs_fsync(out) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto fail;
    }
    close(out);
    close(in);
    snprintf(digest, 72, "sha256:%s", hex);
    if (size) *size = total;
    if (lmd_blob_exists(s, digest, total)) {
        unlink(tmp);
        return LMD_OK;
    }
    return name_blob(s, tmp, hex, err);
fail:
    close(out);
    close(in);
    unlink(tmp);
    return st;
}

lmd_status lmd_blob_read(lmd_store *s, const char *digest, size_t max_bytes, char **out,
                         size_t *len, lmd_err *err) {
    char path[LMD_STORE_PATH_MAX], hex[65], want[65];
    lmd_status st = lmd_store_blob_path(s, digest, path, sizeof path, err);
    if (st != LMD_OK) return st;
    size_t n = 0;
    if ((st = lmd_fs_read_file(path, max_bytes, out, &n, err)) != LMD_OK) return st;
    lmd_sha256_hex(*out, n, hex);
    lmd_digest_hex(digest, want);
    if (strcmp(hex, want) != 0) {
        free(*out);
        *out = NULL;
        return lmd_err_set(err, LMD_E_FORMAT, "%s: content hashes to sha256:%s", path, hex);
    }
    if (len) *len = n;
    return LMD_OK;
}
