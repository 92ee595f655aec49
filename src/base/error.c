/* error.c — error messages, atomic writes (temp + fsync + rename) and read-only file maps. */
#include "cllm_error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is not one (overlong, surrogate, > U+10FFFF,
 * cut short) or when it encodes a C1 control (U+0080..U+009F, which some terminals obey like ESC). */
static size_t utf8_printable_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c < 0xc2 || c > 0xf4 || n < len) return 0;
    uint32_t cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0xa0, 0x800, 0x10000}; /* the smallest code point needing len bytes */
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* Writes s[0..n) into out as one printable line; backslash: also escape '\' (quoting a value unambiguously).
 * Returns bytes written (without the NUL). A cut is marked "..." and never splits an escape or a character. */
static size_t escape_into(char *out, size_t cap, const char *s, size_t n, int backslash) {
    if (cap == 0) return 0;
    size_t o = 0, limit = cap > 4 ? cap - 4 : 0; /* room for "..." and the NUL */
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)s + i;
        char piece[8];
        size_t plen = 1, used = 1;
        if (*u >= 0x20 && *u < 0x7f && !(backslash && *u == '\\')) {
            piece[0] = (char)*u;
        } else if (*u == '\\' || *u == '\n' || *u == '\t' || *u == '\r') {
            piece[0] = '\\';
            piece[1] = *u == '\n' ? 'n' : *u == '\t' ? 't' : *u == '\r' ? 'r' : '\\';
            plen = 2;
        } else if (*u >= 0x80 && (used = utf8_printable_len(u, n - i)) > 0) {
            memcpy(piece, u, used);
            plen = used;
        } else {
            used = 1;
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02x", *u);
        }
        if (o + plen > limit) {
            memcpy(out + o, "...", cap - o > 3 ? 3 : cap - o - 1);
            o += cap - o > 3 ? 3 : cap - o - 1;
            out[o] = 0;
            return o;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        i += used;
    }
    out[o] = 0;
    return o;
}

const char *cllm_escape(const char *s, size_t n, char *out, size_t cap) {
    escape_into(out, cap, s ? s : "(null)", s ? n : 6, 1);
    return out;
}

int cllm_error_set(cllm_error *err, int code, const char *fmt, ...) {
    if (err) {
        char raw[sizeof err->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        /* whatever reached the message (a path, a token, a JSON parser's complaint about hostile text), the
         * message is one line without control codes: the CLI prints it to a terminal as it is */
        escape_into(err->msg, sizeof err->msg, raw, strlen(raw), 0);
        err->code = code;
    }
    return code;
}

struct cllm_atomic_file {
    int fd;
    char *path;     /* final name */
    char *tmp_path; /* where the bytes go until commit */
};

/* The process's umask without changing it (umask(2) can only set it, racing other threads): Linux reports it in
 * /proc/self/status; 022 when that cannot be read. */
static mode_t current_umask(void) {
    unsigned mask = 022;
    FILE *f = fopen("/proc/self/status", "re");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &mask) == 1) break;
    if (f) fclose(f);
    return (mode_t)mask;
}

cllm_atomic_file *cllm_atomic_open(const char *path, cllm_error *err) {
    cllm_atomic_file *f = calloc(1, sizeof *f);
    size_t n = strlen(path) + 32;
    if (!f || !(f->path = strdup(path)) || !(f->tmp_path = malloc(n))) {
        if (f) { free(f->path); free(f); }
        cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory opening for write", path);
        return NULL;
    }
    /* an unpredictable name created with O_EXCL (mkostemp): never an existing file, never through a symlink that
     * someone planted at a name they could guess */
    snprintf(f->tmp_path, n, "%s.tmp.XXXXXX", path);
    f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
    if (f->fd >= 0) fchmod(f->fd, 0666 & ~current_umask()); /* mkostemp makes 0600; a model file is shared as usual */
    if (f->fd < 0) {
        cllm_error_set(err, CLLM_ERR_IO, "%s: cannot create (%s); is the directory there and writable?", path,
                       strerror(errno));
        free(f->tmp_path); free(f->path); free(f);
        return NULL;
    }
    return f;
}

int cllm_atomic_write(cllm_atomic_file *f, const void *buf, size_t n, cllm_error *err) {
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            cllm_error_set(err, CLLM_ERR_IO, "%s: write failed (%s); is the disk full?", f->path, strerror(e));
            cllm_atomic_abort(f);
            return CLLM_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void fsync_parent_dir(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    free(copy);
}

int cllm_atomic_commit(cllm_atomic_file *f, cllm_error *err) {
    if (fsync(f->fd) != 0) {
        cllm_error_set(err, CLLM_ERR_IO, "%s: fsync failed (%s)", f->path, strerror(errno));
        cllm_atomic_abort(f);
        return CLLM_ERR_IO;
    }
    close(f->fd);
    f->fd = -1;
    if (rename(f->tmp_path, f->path) != 0) {
        cllm_error_set(err, CLLM_ERR_IO, "%s: rename from temporary failed (%s)", f->path, strerror(errno));
        cllm_atomic_abort(f);
        return CLLM_ERR_IO;
    }
    fsync_parent_dir(f->path);
    free(f->tmp_path); free(f->path); free(f);
    return 0;
}

void cllm_atomic_abort(cllm_atomic_file *f) {
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    unlink(f->tmp_path);
    free(f->tmp_path); free(f->path); free(f);
}

int cllm_write_file_atomic(const char *path, const void *buf, size_t n, cllm_error *err) {
    cllm_atomic_file *f = cllm_atomic_open(path, err);
    if (!f) return err ? err->code : CLLM_ERR_IO;
    int rc = cllm_atomic_write(f, buf, n, err);
    return rc ? rc : cllm_atomic_commit(f, err);
}

int cllm_mapped_file_open(const char *path, cllm_mapped_file *out, cllm_error *err) {
    out->data = NULL;
    out->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cllm_error_set(err, CLLM_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot map (%s)", path, strerror(errno));
        }
        out->data = p;
        out->size = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void cllm_mapped_file_close(cllm_mapped_file *m) {
    if (m->data) munmap((void *)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

uint8_t *cllm_file_read_all(const char *path, size_t *size, cllm_error *err) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap) break;
        uint8_t *nb = realloc(buf, cap * 2 + 1);
        if (!nb) { free(buf); buf = NULL; break; }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        free(buf);
        cllm_error_set(err, bad ? CLLM_ERR_IO : CLLM_ERR_NOMEM, "%s: %s", path, bad ? "read failed" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    *size = n;
    return buf;
}
