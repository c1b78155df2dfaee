/* digest.c — SHA-256 (OpenSSL, which uses SHA-NI where the CPU has it) and the digest syntax
 * check that guards every path built from a digest. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "store/store_int.h"

bool lmd_store_digest_valid(const char *d) {
    if (!d || strncmp(d, "sha256", 6) != 0) return false;
    if (d[6] != ':' && d[6] != '-') return false;
    for (int i = 0; i < 64; i++) {
        char c = d[7 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return d[71] == '\0';
}

void lmd_digest_hex(const char *digest, char hex[65]) {
    memcpy(hex, digest + 7, 64);
    hex[64] = '\0';
}

lmd_status lmd_sha256_init(lmd_sha256 *h, lmd_err *err) {
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
        return lmd_err_set(err, LMD_E_NOMEM, "sha256: cannot initialise OpenSSL digest");
    }
    return LMD_OK;
}

void lmd_sha256_update(lmd_sha256 *h, const void *p, size_t n) {
    if (n) EVP_DigestUpdate(h->ctx, p, n);
}

void lmd_sha256_final_hex(lmd_sha256 *h, char hex[65]) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(h->ctx, md, &mdlen);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
    lmd_sha256_free(h);
}

void lmd_sha256_free(lmd_sha256 *h) {
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void lmd_sha256_hex(const void *p, size_t n, char hex[65]) {
    unsigned char md[32];
    EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}

lmd_status lmd_sha256_file(const char *path, uint64_t n_bytes, char hex[65], uint64_t *size,
                           lmd_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return lmd_err_set(err, LMD_E_IO, "%s: cannot open: %s", path, strerror(errno));
    lmd_sha256 h;
    lmd_status st = lmd_sha256_init(&h, err);
    if (st != LMD_OK) {
        close(fd);
        return st;
    }
    enum { CHUNK = 1 << 20 };
    char *buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        lmd_sha256_free(&h);
        return lmd_err_set(err, LMD_E_NOMEM, "%s: out of memory", path);
    }
    uint64_t total = 0;
    for (;;) {
        size_t want = CHUNK;
        if (n_bytes != UINT64_MAX && n_bytes - total < want) want = (size_t)(n_bytes - total);
        if (want == 0) break;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = lmd_err_set(err, LMD_E_IO, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0) break;
        lmd_sha256_update(&h, buf, (size_t)r);
        total += (uint64_t)r;
    }
    free(buf);
    close(fd);
    if (st != LMD_OK) {
        lmd_sha256_free(&h);
        return st;
    }
    lmd_sha256_final_hex(&h, hex);
    if (size) *size = total;
    return LMD_OK;
}
