/* fsio.c — every file operation that changes the store goes through here: writes, fsyncs,
 * renames, unlinks and mkdirs are counted so a test can make the Nth one fail (and all later
 * ones, like a process that died) and then check the store is old-or-new, never mixed. This
 * is SQLite's syscall-table idea reduced to one counter. Also the atomic-write and
 * read-a-file-safely helpers the rest of the store uses. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

/* Test-only fault injection; atomics keep it race-free if a test ever uses threads. */
static _Atomic int64_t fault_nth;  /* 0: off */
static _Atomic int64_t fault_ops;

void lmd_store_fault_after(int64_t nth_op) {
    atomic_store(&fault_ops, 0);
    atomic_store(&fault_nth, nth_op);
}

int64_t lmd_store_fault_ops(void) { return atomic_load(&fault_ops); }

/* True when this operation must fail (sets errno = EIO). */
static bool fault_now(void) {
    int64_t op = atomic_fetch_add(&fault_ops, 1) + 1;
    int64_t nth = atomic_load(&fault_nth);
    if (nth > 0 && op >= nth) {
        errno = EIO;
        return true;
    }
    return false;
}

ssize_t lmd_fs_write_all(int fd, const void *buf, size_t n) {
    if (fault_now()) return -1;
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

int lmd_fs_fsync(int fd) {
    if (fault_now()) return -1;
    return fsync(fd);
}

int lmd_fs_rename(const char *from, const char *to) {
    if (fault_now()) return -1;
    return rename(from, to);
}

int lmd_fs_unlink(const char *path) {
    if (fault_now()) return -1;
    return unlink(path);
}

int lmd_fs_mkdir(const char *path) {
    if (fault_now()) return -1;
    if (mkdir(path, 0755) == 0) return 0;
    if (errno != EEXIST) return -1;
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;  /* a symlink or a file where a directory belongs */
        return -1;
    }
    return 0;
}

int lmd_fs_fsync_dir(const char *dir) {
    if (fault_now()) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

void lmd_fs_dirname(const char *path, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", path);
    char *slash = strrchr(buf, '/');
    if (slash == buf) buf[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(buf, cap, ".");
}

lmd_status lmd_fs_tmp_open(const char *final_path, int *fd, char *tmp, size_t cap,
                           lmd_err *err) {
    static _Atomic unsigned counter;
    char dir[LMD_STORE_PATH_MAX];
    lmd_fs_dirname(final_path, dir, sizeof dir);
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned c = atomic_fetch_add(&counter, 1);
        int n = snprintf(tmp, cap, "%s/.lmd-tmp-%ld-%u-%d", dir, (long)getpid(), c, attempt);
        if (n < 0 || (size_t)n >= cap)
            return lmd_err_set(err, LMD_E_INVALID, "%s: path too long", final_path);
        if (fault_now()) return lmd_err_set(err, LMD_E_IO, "%s: cannot create: %s", tmp,
                                            strerror(errno));
        *fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (*fd >= 0) return LMD_OK;
        if (errno != EEXIST)
            return lmd_err_set(err, LMD_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    return lmd_err_set(err, LMD_E_IO, "%s: cannot find a free temporary name", final_path);
}

lmd_status lmd_fs_write_atomic(const char *path, const void *data, size_t n, lmd_err *err) {
    char tmp[LMD_STORE_PATH_MAX], dir[LMD_STORE_PATH_MAX];
    int fd;
    lmd_status st = lmd_fs_tmp_open(path, &fd, tmp, sizeof tmp, err);
    if (st != LMD_OK) return st;
    if (lmd_fs_write_all(fd, data, n) < 0 || lmd_fs_fsync(fd) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);  /* cleanup is not a store change worth counting */
        return st;
    }
    close(fd);
    if (lmd_fs_rename(tmp, path) != 0) {
        st = lmd_err_set(err, LMD_E_IO, "%s: rename failed: %s", path, strerror(errno));
        unlink(tmp);
        return st;
    }
    lmd_fs_dirname(path, dir, sizeof dir);
    if (lmd_fs_fsync_dir(dir) != 0)
        return lmd_err_set(err, LMD_E_IO, "%s: fsync failed: %s", dir, strerror(errno));
    return LMD_OK;
}

lmd_status lmd_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
                            lmd_err *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return lmd_err_set(err, LMD_E_NOT_FOUND, "%s: no such file", path);
        return lmd_err_set(err, LMD_E_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return lmd_err_set(err, LMD_E_FORMAT, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max_bytes) {
        close(fd);
        return lmd_err_set(err, LMD_E_LIMIT, "%s: %lld bytes, limit %zu", path,
                           (long long)sb.st_size, max_bytes);
    }
    size_t n = (size_t)sb.st_size, got = 0;
    char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        free(buf);
        return lmd_err_set(err, LMD_E_IO, "%s: short read (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return LMD_OK;
}

lmd_status lmd_fs_mkdirs(const char *root, const char *rel, lmd_err *err) {
    char path[LMD_STORE_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return lmd_err_set(err, LMD_E_INVALID, "%s/%s: path too long", root, rel);
    /* Create each component below root in turn; lmd_fs_mkdir refuses a symlink in the way,
     * so a planted link cannot redirect writes outside the store. */
    size_t root_len = strlen(root);
    for (char *p = path + root_len + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (lmd_fs_mkdir(path) != 0)
                return lmd_err_set(err, LMD_E_IO, "%s: cannot create directory: %s", path,
                                   strerror(errno));
            *p = saved;
            if (saved == '\0') break;
        }
    }
    return LMD_OK;
}

int lmd_store_lock(lmd_store *s, bool exclusive) {
    char p[LMD_STORE_PATH_MAX];
    snprintf(p, sizeof p, "%s/.lmd-lock", s->root);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return -1;
    int r;
    do r = flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void lmd_store_unlock(int fd) {
    if (fd >= 0) close(fd); /* closing drops the flock */
}
