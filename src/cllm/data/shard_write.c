/* shard_write.c — CRC-32 and the streaming shard writer.
 *
 * A shard's header holds its token count and checksum, known only at the end, and cllm_atomic_* writes
 * sequentially; so tokens first stream to an anonymous scratch file beside the shard (never in RAM: memory
 * stays at one 1 MiB buffer however large the shard), and close copies header + scratch into the atomic file. */
#include "cllm_data.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- CRC-32 (reflected polynomial 0xEDB88320, as zlib), slicing by 8 ------------------------------------ */

static uint32_t crc_table[8][256]; /* written once under pthread_once, read-only afterwards */
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
}

uint32_t cllm_crc32(uint32_t crc, const void *data, size_t n) {
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
              crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
              crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- writer ------------------------------------------------------------------------------------------------ */

enum { WRITER_BUFFER_BYTES = 1 << 20 };

struct cllm_shard_writer {
    char *path;        /* final shard path */
    int scratch_fd;    /* unlinked file holding the token bytes written so far */
    int width;         /* bytes per token: 2 or 4 */
    int vocab_size;
    int eot;
    uint64_t count;    /* tokens appended */
    uint64_t documents;
    uint32_t crc;      /* CRC-32 of the token bytes flushed to scratch */
    size_t fill;       /* bytes waiting in buf */
    uint8_t buf[WRITER_BUFFER_BYTES];
};

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* An anonymous file in the shard's directory (same filesystem, so disk use is visible where the user looks):
 * O_TMPFILE where supported, else a named file unlinked at once. */
static int open_scratch(const char *path, cllm_error *err) {
    char *copy = strdup(path);
    if (!copy) return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", path), -1;
    int fd = open(dirname(copy), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    free(copy);
    if (fd >= 0) return fd;
    size_t n = strlen(path) + 40;
    char *name = malloc(n);
    if (!name) return cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", path), -1;
    snprintf(name, n, "%s.scratch.XXXXXX", path);
    fd = mkostemp(name, O_CLOEXEC); /* O_EXCL on an unpredictable name: no planted symlink is followed */
    if (fd >= 0) unlink(name);
    else cllm_error_set(err, CLLM_ERR_IO, "%s: cannot create scratch file (%s)", name, strerror(errno));
    free(name);
    return fd;
}

cllm_shard_writer *cllm_shard_writer_open(const char *path, int vocab_size, int eot, cllm_error *err) {
    if (vocab_size <= 0 || eot >= vocab_size) {
        cllm_error_set(err, CLLM_ERR_ARG, "%s: bad vocabulary size %d / eot %d", path, vocab_size, eot);
        return NULL;
    }
    cllm_shard_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    w->scratch_fd = open_scratch(path, err);
    if (w->scratch_fd < 0) { free(w->path); free(w); return NULL; }
    w->width = vocab_size <= 65536 ? 2 : 4;
    w->vocab_size = vocab_size;
    w->eot = eot < 0 ? -1 : eot;
    return w;
}

static int write_all(int fd, const uint8_t *p, size_t n, const char *what, cllm_error *err) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0)
            return cllm_error_set(err, CLLM_ERR_IO, "%s: write failed (%s); is the disk full?", what,
                                  strerror(k < 0 ? errno : ENOSPC));
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int flush(cllm_shard_writer *w, cllm_error *err) {
    if (w->fill == 0) return 0;
    w->crc = cllm_crc32(w->crc, w->buf, w->fill);
    int rc = write_all(w->scratch_fd, w->buf, w->fill, w->path, err);
    w->fill = 0;
    return rc;
}

int cllm_shard_writer_append(cllm_shard_writer *w, const int32_t *ids, size_t n, cllm_error *err) {
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= w->vocab_size)
            return cllm_error_set(err, CLLM_ERR_ARG, "%s: token id %d outside the vocabulary [0, %d)", w->path,
                                  (int)ids[i], w->vocab_size);
        if (w->fill + 4 > sizeof w->buf && flush(w, err)) return err ? err->code : CLLM_ERR_IO;
        uint32_t v = (uint32_t)ids[i];
        w->buf[w->fill++] = (uint8_t)v;
        w->buf[w->fill++] = (uint8_t)(v >> 8);
        if (w->width == 4) {
            w->buf[w->fill++] = (uint8_t)(v >> 16);
            w->buf[w->fill++] = (uint8_t)(v >> 24);
        }
    }
    w->count += n;
    return 0;
}

void cllm_shard_writer_end_document(cllm_shard_writer *w) { w->documents++; }
uint64_t cllm_shard_writer_count(const cllm_shard_writer *w) { return w->count; }

static void make_header(const cllm_shard_writer *w, uint8_t h[CLLM_SHARD_HEADER_BYTES]) {
    memset(h, 0, CLLM_SHARD_HEADER_BYTES);
    memcpy(h, "CLLMTOK1", 8);
    put_u32(h + 8, CLLM_SHARD_VERSION);
    put_u32(h + 12, (uint32_t)w->width);
    put_u64(h + 16, w->count);
    put_u32(h + 24, w->crc);
    put_u32(h + 28, (uint32_t)w->vocab_size);
    put_u32(h + 32, (uint32_t)(int32_t)w->eot);
    put_u64(h + 40, w->documents);
}

/* Copies the scratch file after the header into the atomic file; on failure the atomic file is aborted. */
static int copy_scratch(cllm_shard_writer *w, cllm_atomic_file *f, cllm_error *err) {
    if (lseek(w->scratch_fd, 0, SEEK_SET) != 0) {
        cllm_atomic_abort(f);
        return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot rewind scratch file (%s)", w->path, strerror(errno));
    }
    for (;;) {
        ssize_t k = read(w->scratch_fd, w->buf, sizeof w->buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            cllm_atomic_abort(f);
            return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot read scratch file (%s)", w->path, strerror(errno));
        }
        if (k == 0) return 0;
        int rc = cllm_atomic_write(f, w->buf, (size_t)k, err);
        if (rc) return rc;
    }
}

int cllm_shard_writer_close(cllm_shard_writer *w, cllm_error *err) {
    int rc = flush(w, err);
    uint8_t h[CLLM_SHARD_HEADER_BYTES];
    make_header(w, h);
    cllm_atomic_file *f = rc ? NULL : cllm_atomic_open(w->path, err);
    if (!rc && !f) rc = err ? err->code : CLLM_ERR_IO;
    if (!rc) rc = cllm_atomic_write(f, h, sizeof h, err);
    if (!rc) rc = copy_scratch(w, f, err);
    if (!rc) rc = cllm_atomic_commit(f, err);
    close(w->scratch_fd);
    free(w->path);
    free(w);
    return rc;
}

void cllm_shard_writer_abort(cllm_shard_writer *w) {
    if (!w) return;
    close(w->scratch_fd);
    free(w->path);
    free(w);
}
