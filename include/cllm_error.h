/* cllm_error.h — errors and safe file I/O shared by every part of the library.
 *
 * The library never prints and never exits. A function that can fail takes a `cllm_error *` (may be NULL),
 * returns a non-zero code on failure and fills `err->msg` with one line: what went wrong, where, and a hint.
 *
 *     cllm_error err = {0};
 *     cllm_atomic_file *f = cllm_atomic_open("model.safetensors", &err);
 *     if (!f || cllm_atomic_write(f, buf, n, &err) || cllm_atomic_commit(f, &err))
 *         fprintf(stderr, "error: %s\n", err.msg);
 */
#ifndef CLLM_ERROR_H
#define CLLM_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The libraries' version, "MAJOR.MINOR.PATCH" (the VERSION file); the shared libraries' soname is MAJOR. */
CLLM_API const char *cllm_version(void);

enum {
    CLLM_OK = 0,
    CLLM_ERR_ARG = 1,    /* a bad argument from the caller (bad flag value, bad config) */
    CLLM_ERR_IO = 2,     /* the operating system refused: open, read, write, fsync, rename */
    CLLM_ERR_FORMAT = 3, /* a file or text is malformed, truncated or hostile */
    CLLM_ERR_NOMEM = 4,  /* an allocation failed */
    CLLM_ERR_STATE = 5,  /* the call does not fit the object's state (e.g. mismatched model) */
};

typedef struct cllm_error {
    int code;       /* one of CLLM_ERR_*, 0 when no error */
    char msg[512];  /* one line, no trailing newline */
} cllm_error;

/* Fills err (if non-NULL) with code and a printf-style message, made one printable line (control bytes and broken
 * UTF-8 shown as \xNN, as cllm_escape does, backslashes kept); returns code, so `return cllm_error_set(...)`. */
CLLM_API int cllm_error_set(cllm_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copies s[0..n) into out (cap bytes, NUL-terminated) as one printable line for a message: control bytes become
 * \n, \t, \r or \xNN, a backslash is doubled, bytes that are not well-formed UTF-8 become \xNN, and what does not fit
 * is cut at a character and marked "...". Returns out. Use it for any text read from a file or the user. */
CLLM_API const char *cllm_escape(const char *s, size_t n, char *out, size_t cap);

/* A file written through a temporary beside it: nothing is visible at `path` until commit, which fsyncs the
 * data, renames over `path` and fsyncs the directory. A crash at any moment leaves the old file intact. */
typedef struct cllm_atomic_file cllm_atomic_file;

/* Creates `path`.tmp.XXXXXX (a fresh unpredictable name, O_EXCL) for writing; NULL on failure. */
CLLM_API cllm_atomic_file *cllm_atomic_open(const char *path, cllm_error *err);
/* Appends n bytes; on failure the file is aborted (do not call abort or commit again). */
CLLM_API int cllm_atomic_write(cllm_atomic_file *f, const void *buf, size_t n, cllm_error *err);
/* Flushes, fsyncs, renames onto the final path and frees f. */
CLLM_API int cllm_atomic_commit(cllm_atomic_file *f, cllm_error *err);
/* Removes the temporary and frees f; f may be NULL. */
CLLM_API void cllm_atomic_abort(cllm_atomic_file *f);
/* Whole-buffer convenience: open + write + commit. */
CLLM_API int cllm_write_file_atomic(const char *path, const void *buf, size_t n, cllm_error *err);

/* A read-only memory map of a whole file (an empty file maps to data=NULL, size=0). */
typedef struct cllm_mapped_file {
    const uint8_t *data; /* the file's bytes, valid until cllm_mapped_file_close */
    size_t size;         /* bytes */
} cllm_mapped_file;

/* Maps `path` read-only; returns 0 or an error naming the file. */
CLLM_API int cllm_mapped_file_open(const char *path, cllm_mapped_file *out, cllm_error *err);
/* Unmaps; safe on a zeroed struct. */
CLLM_API void cllm_mapped_file_close(cllm_mapped_file *m);
/* Reads a whole file into a malloc'd buffer with a NUL appended (not counted in *size); NULL on error. */
CLLM_API uint8_t *cllm_file_read_all(const char *path, size_t *size, cllm_error *err);

#ifdef __cplusplus
}
#endif

#endif
