/* input.c — walk the inputs of `cllm prepare` and hand out documents as bounded text pieces. See input.h for the
 * rules (the directory walk is walk.c's); memory held here is one piece-sized carry buffer, one JSONL line and the
 * directory listings along the current path, whatever the size of the corpus. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { KIND_NONE, KIND_TEXT, KIND_JSONL };
enum { READ_BUFFER_BYTES = 64 << 10 };

struct data_source {
    const cllm_prepare_opts *o;
    cllm_prepare_summary *sum;
    int next_input;      /* index into o->inputs */
    data_walk walk;      /* the directory being walked (walk.c), its skip the output directory */
    uint64_t next_doc;   /* number for the next document */

    /* the current file */
    int kind;            /* KIND_* */
    int fd;
    char *path;          /* for notes */
    int sniffed;         /* the file's first bytes were checked */
    int started;         /* the current document has begun */
    int prev_newline;    /* the last piece handed out ended with '\n' (a blank line may straddle pieces) */
    int done;            /* the file's last piece was handed out */
    uint64_t doc;        /* the current document's number */
    char *carry;         /* text: bytes read but not yet handed out, DATA_PIECE_BYTES capacity */
    size_t carry_len;

    /* JSONL */
    char *rbuf;          /* raw reads */
    size_t rpos, rlen;
    char *line;          /* the current line, without its newline */
    size_t line_len, line_cap;
    uint64_t lineno;
    json_t *json;        /* the current line's document while its "text" is handed out */
    size_t joff;         /* bytes of "text" already handed out */
};

static void note(data_source *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(data_source *src, const char *fmt, ...) {
    if (!src->o->note) return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    src->o->note(src->o->note_ctx, msg);
}

/* ---- content rules --------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (n bytes available), 0 if invalid; an incomplete sequence cut by the
 * end of the buffer counts as valid. */
static size_t utf8_sequence(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4)) return 0;
    for (size_t i = 1; i < len; i++) {
        if (i >= n) return n;
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    return len;
}

int data_looks_like_text(const uint8_t *p, size_t n) {
    if (memchr(p, 0, n)) return 0;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_sequence(p + i, n - i);
        if (k == 0) { bad++; k = 1; }
        i += k;
    }
    return bad * 10 < n * 3 || n == 0; /* an empty file is empty text */
}

size_t data_cut_point(const char *p, size_t n) {
    for (size_t i = n; i-- > 0;)
        if (p[i] == '\n') return i + 1;
    for (size_t i = n; i-- > 0;)
        if (p[i] == ' ') return i + 1;
    for (size_t i = n - 1; i > 0 && i + 4 >= n; i--)
        if (((uint8_t)p[i] & 0xC0) != 0x80) return i;
    return n;
}

/* ---- walking the inputs ---------------------------------------------------------------------------------- */

/* The walker's report of a file or directory it passes over. */
static void walk_skipped(void *ctx, const char *path, const char *why) {
    data_source *src = ctx;
    note(src, "%s: skipped, %s", path, why);
    src->sum->files_skipped++;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* Makes path the current file (takes ownership of path). Unreadable files found in a directory are skipped with a
 * note; an unreadable file named on the command line is an error. */
static int start_file(data_source *src, char *path, int explicit, cllm_error *err) {
    int fd = strcmp(path, "-") == 0 && explicit ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (explicit) {
            cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", path, strerror(e));
            free(path);
            return -1;
        }
        note(src, "%s: skipped, cannot open (%s)", path, strerror(e));
        src->sum->files_skipped++;
        free(path);
        return 0;
    }
    src->fd = fd;
    src->path = path;
    src->kind = ends_with(path, ".jsonl") ? KIND_JSONL : KIND_TEXT;
    src->started = src->done = src->sniffed = src->prev_newline = 0;
    src->carry_len = src->rpos = src->rlen = 0;
    src->lineno = 0;
    return 1;
}

static void end_file(data_source *src) {
    if (src->fd > STDIN_FILENO) close(src->fd);
    free(src->path);
    src->path = NULL;
    json_decref(src->json);
    src->json = NULL;
    src->kind = KIND_NONE;
}

/* Opens the next input file: 1 when one is current, 0 when there are no more, or an error code (negated). */
static int open_next_file(data_source *src, cllm_error *err) {
    for (;;) {
        if (src->walk.depth > 0) {
            char *path;
            int rc = data_walk_next(&src->walk, &path, err);
            if (rc < 0) return rc;
            if (rc == 0) continue;
            rc = start_file(src, path, 0, err);
            if (rc) return rc;
            continue;
        }
        if (src->next_input == src->o->n_inputs) return 0;
        const char *in = src->o->inputs[src->next_input++];
        struct stat st;
        if (strcmp(in, "-") != 0 && stat(in, &st) != 0)
            return -cllm_error_set(err, CLLM_ERR_IO, "%s: cannot open (%s)", in, strerror(errno));
        if (strcmp(in, "-") != 0 && S_ISDIR(st.st_mode)) {
            int rc = data_walk_push(&src->walk, in, err);
            if (rc) return -rc;
            continue;
        }
        char *path = strdup(in);
        if (!path) return -cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
        int rc = start_file(src, path, 1, err);
        if (rc) return rc < 0 ? -(err ? err->code : CLLM_ERR_IO) : rc;
    }
}

/* ---- text files: the whole file is one document ------------------------------------------------------------ */

static int read_some(data_source *src, char *buf, size_t want, size_t *got, cllm_error *err) {
    *got = 0;
    while (*got < want) {
        ssize_t k = read(src->fd, buf + *got, want - *got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return cllm_error_set(err, CLLM_ERR_IO, "%s: read failed (%s)", src->path, strerror(errno));
        if (k == 0) break;
        *got += (size_t)k;
    }
    return 0;
}

static void begin_document(data_source *src) {
    if (src->started) return;
    src->started = 1;
    src->doc = src->next_doc++;
}

/* Blank-line documents: the offset of the first blank line in buf (a '\n' followed by an optional '\r' and
 * another '\n'; prev_newline: the byte before buf was '\n'), or len when there is none. */
static size_t find_blank_line(const char *buf, size_t len, int prev_newline) {
    if (prev_newline && len > 0 && (buf[0] == '\n' || (len > 1 && buf[0] == '\r' && buf[1] == '\n'))) return 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n' || (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')) return i + 1;
    }
    return len;
}

/* Checks the file's first bytes once: 0 when it looks binary (noted, counted, nothing more read). */
static int sniff_file(data_source *src, const char *buf, size_t len) {
    src->sniffed = 1;
    size_t n = len < DATA_SNIFF_BYTES ? len : DATA_SNIFF_BYTES;
    if (data_looks_like_text((const uint8_t *)buf, n)) {
        src->sum->files_read++;
        return 1;
    }
    note(src, "%s: skipped, looks binary (NUL bytes or mostly invalid UTF-8)", src->path);
    src->sum->files_skipped++;
    return 0;
}

/* Fills buf (DATA_PIECE_BYTES) with the carry and fresh bytes; *eof when the file has no more. */
static int fill_piece(data_source *src, char *buf, size_t *len, int *eof, cllm_error *err) {
    memcpy(buf, src->carry, src->carry_len);
    size_t got;
    int rc = read_some(src, buf + src->carry_len, DATA_PIECE_BYTES - src->carry_len, &got, err);
    *len = src->carry_len + got;
    *eof = *len < DATA_PIECE_BYTES;
    src->carry_len = 0;
    return rc;
}

/* 1 with a piece, 0 when the file has no more (or is empty or binary), or an error code (negated). A text file is
 * one document, or with blank_line_docs one document per run of text between blank lines. */
static int next_text_piece(data_source *src, data_piece *out, cllm_error *err) {
    int by_blank = src->o->blank_line_docs;
    char *buf = malloc(DATA_PIECE_BYTES);
    if (!buf) return -cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", src->path);
    for (;;) {
        size_t len, skip = 0;
        int eof, rc = fill_piece(src, buf, &len, &eof, err);
        if (rc) { free(buf); return -rc; }
        if (!src->sniffed && !sniff_file(src, buf, len)) len = 0, eof = 1;
        if (by_blank && !src->started) /* a document starts at its first byte of text, after any blank lines */
            while (skip < len && (buf[skip] == '\n' || buf[skip] == '\r')) skip++;
        if (skip == len && !src->started) {
            if (eof) { free(buf); src->done = 1; return 0; }
            continue; /* a buffer of nothing but newlines between documents */
        }
        begin_document(src);
        size_t blank = by_blank ? find_blank_line(buf + skip, len - skip, src->prev_newline) + skip : len;
        int last = blank < len || eof;
        size_t cut = blank < len ? blank : eof ? len : data_cut_point(buf + skip, len - skip) + skip;
        src->carry_len = len - cut;
        memcpy(src->carry, buf + cut, src->carry_len);
        memmove(buf, buf + skip, cut - skip);
        *out = (data_piece){buf, cut - skip, src->doc, last};
        src->prev_newline = cut > skip && buf[cut - skip - 1] == '\n';
        src->done = eof && src->carry_len == 0;
        if (last) src->started = 0;
        src->sum->bytes += cut - skip;
        return 1;
    }
}

/* ---- JSONL: every line's "text" is one document --------------------------------------------------------- */

static int line_append(data_source *src, const char *p, size_t n) {
    if (src->line_len + n + 1 > src->line_cap) {
        size_t cap = src->line_cap ? src->line_cap : 4096;
        while (cap < src->line_len + n + 1) cap *= 2;
        char *l = realloc(src->line, cap);
        if (!l) return -1;
        src->line = l;
        src->line_cap = cap;
    }
    memcpy(src->line + src->line_len, p, n);
    src->line_len += n;
    return 0;
}

/* Reads one line into src->line: 1 a line, 2 a line too long (skipped), 0 end of file, or an error (negated). */
static int read_line(data_source *src, cllm_error *err) {
    int too_long = 0, any = 0;
    src->line_len = 0;
    for (;;) {
        if (src->rpos == src->rlen) {
            size_t got;
            int rc = read_some(src, src->rbuf, READ_BUFFER_BYTES, &got, err);
            if (rc) return -rc;
            if (got == 0) {
                if (!any) return 0;
                src->lineno++;
                return too_long ? 2 : 1;
            }
            src->rpos = 0;
            src->rlen = got;
        }
        any = 1;
        const char *p = src->rbuf + src->rpos, *nl = memchr(p, '\n', src->rlen - src->rpos);
        size_t seg = nl ? (size_t)(nl - p) : src->rlen - src->rpos;
        if (!too_long && src->line_len + seg > DATA_MAX_LINE_BYTES) too_long = 1;
        if (!too_long && line_append(src, p, seg))
            return -cllm_error_set(err, CLLM_ERR_NOMEM, "%s:%llu: out of memory", src->path,
                                   (unsigned long long)src->lineno + 1);
        src->rpos += seg + (nl != NULL);
        if (nl) {
            src->lineno++;
            return too_long ? 2 : 1;
        }
    }
}

/* Finds the next line with a document: 1 when src->json holds one, 0 at end of file, or an error (negated). */
static int next_json_document(data_source *src, cllm_error *err) {
    for (;;) {
        int rc = read_line(src, err);
        if (rc <= 0) return rc;
        unsigned long long at = (unsigned long long)src->lineno;
        if (rc == 2) {
            note(src, "%s:%llu: line longer than %d MiB, skipped", src->path, at, DATA_MAX_LINE_BYTES >> 20);
            src->sum->bad_lines++;
            continue;
        }
        size_t i = 0;
        if (at == 1 && src->line_len >= 3 && memcmp(src->line, "\xEF\xBB\xBF", 3) == 0) i = 3; /* UTF-8 BOM */
        size_t start = i;
        while (i < src->line_len && strchr(" \t\r", src->line[i])) i++;
        if (i == src->line_len) continue; /* blank lines separate nothing */
        json_error_t jerr;
        json_t *j = json_loadb(src->line + start, src->line_len - start, JSON_ALLOW_NUL, &jerr);
        json_t *text = j ? json_object_get(j, "text") : NULL;
        if (!j || !json_is_string(text)) {
            if (!j) note(src, "%s:%llu: malformed JSON (%s), line skipped", src->path, at, jerr.text);
            else note(src, "%s:%llu: no string field \"text\", line skipped", src->path, at);
            src->sum->bad_lines++;
            json_decref(j);
            continue;
        }
        if (json_string_length(text) == 0) { json_decref(j); continue; }
        src->json = j;
        src->joff = 0;
        src->started = 0;
        return 1;
    }
}

static int next_json_piece(data_source *src, data_piece *out, cllm_error *err) {
    json_t *text = json_object_get(src->json, "text");
    const char *s = json_string_value(text) + src->joff;
    size_t left = json_string_length(text) - src->joff;
    size_t take = left <= DATA_PIECE_BYTES ? left : data_cut_point(s, DATA_PIECE_BYTES);
    char *buf = malloc(take ? take : 1);
    if (!buf) return -cllm_error_set(err, CLLM_ERR_NOMEM, "%s: out of memory", src->path);
    memcpy(buf, s, take);
    begin_document(src);
    src->joff += take;
    *out = (data_piece){buf, take, src->doc, take == left};
    src->sum->bytes += take;
    if (take == left) {
        json_decref(src->json);
        src->json = NULL;
    }
    return 1;
}

/* ---- the source ------------------------------------------------------------------------------------------ */

data_source *data_source_new(const cllm_prepare_opts *o, cllm_prepare_summary *sum, cllm_error *err) {
    data_source *src = calloc(1, sizeof *src);
    if (src) {
        src->carry = malloc(DATA_PIECE_BYTES);
        src->rbuf = malloc(READ_BUFFER_BYTES);
    }
    if (!src || !src->carry || !src->rbuf) {
        data_source_free(src);
        cllm_error_set(err, CLLM_ERR_NOMEM, "prepare: out of memory");
        return NULL;
    }
    src->o = o;
    src->sum = sum;
    src->fd = -1;
    src->walk.skipped = walk_skipped;
    src->walk.ctx = src;
    struct stat st;
    if (o->out_dir && stat(o->out_dir, &st) == 0) {
        src->walk.skip_dev = st.st_dev;
        src->walk.skip_ino = st.st_ino;
    }
    return src;
}

int data_source_next(data_source *src, data_piece *out, cllm_error *err) {
    for (;;) {
        int rc = 0;
        if (src->kind == KIND_TEXT && !src->done) {
            rc = next_text_piece(src, out, err);
        } else if (src->kind == KIND_JSONL) {
            if (!src->json) {
                rc = next_json_document(src, err);
                if (rc == 1) continue;
                if (rc == 0) src->sum->files_read++;
                src->done = 1;
            }
            if (src->json) rc = next_json_piece(src, out, err);
        }
        if (rc < 0) return -1;
        if (rc == 1) return 1;
        if (src->kind != KIND_NONE) end_file(src);
        rc = open_next_file(src, err);
        if (rc < 0) return -1;
        if (rc == 0) return 0;
    }
}

void data_source_free(data_source *src) {
    if (!src) return;
    if (src->kind != KIND_NONE) end_file(src);
    data_walk_free(&src->walk);
    free(src->carry);
    free(src->rbuf);
    free(src->line);
    free(src);
}
