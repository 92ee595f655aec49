/* data_input.h — (internal to the data pipeline) the inputs of `cllm prepare` as a stream of text pieces.
 *
 * Files, directories (walked recursively in name order; hidden entries, symlinked directories and the output
 * directory skipped), JSONL files (*.jsonl, one
 * document per line's "text") and stdin ("-") become documents; each document arrives as one or more pieces of
 * at most DATA_PIECE_BYTES, cut after a newline or a space where possible (else at a UTF-8 character boundary),
 * so that no document, however long its lines, is ever held whole in memory. */
#ifndef CLLM_DATA_INPUT_H
#define CLLM_DATA_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cllm_data.h"

enum { DATA_PIECE_BYTES = 256 << 10, DATA_SNIFF_BYTES = 8 << 10, DATA_MAX_LINE_BYTES = 64 << 20 };

typedef struct data_piece {
    char *text;   /* malloc'd, owned by the receiver */
    size_t len;   /* bytes */
    uint64_t doc; /* document number, 0-based in input order */
    int last;     /* the document's final piece */
} data_piece;

typedef struct data_source data_source;

/* A source over the inputs; notes (skipped files, bad lines) go to o->note, counts to sum. NULL on error. */
data_source *data_source_new(const cllm_prepare_opts *o, cllm_prepare_summary *sum, cllm_error *err);
/* The next piece: returns 1 with *out filled, 0 at the end, -1 on error (err filled). */
int data_source_next(data_source *src, data_piece *out, cllm_error *err);
/* Frees; NULL is fine. */
void data_source_free(data_source *src);

/* The corpus directory walker (walk.c; cllm_corpus_files is its public face): directories walked recursively in
 * name order, hidden entries, symlinked directories and the directory (skip_dev, skip_ino) left out, what is not a
 * regular file reported to skipped() (may be NULL) and passed over. Zero-initialise, then push a directory. */
typedef struct data_walk_level data_walk_level;
typedef struct data_walk {
    data_walk_level *stack; /* directories being walked, outermost first */
    int depth, cap;
    dev_t skip_dev;         /* a directory never entered (prepare's output: its shards would be read back) */
    ino_t skip_ino;
    void (*skipped)(void *ctx, const char *path, const char *why);
    void *ctx;
} data_walk;
/* Walks dir next (before what is pending); an unreadable dir is reported skipped, not an error. 0 or a code. */
int data_walk_push(data_walk *w, const char *dir, cllm_error *err);
/* The next regular file: 1 with *path malloc'd (the caller's), 0 when the walk is done, or a negated error code. */
int data_walk_next(data_walk *w, char **path, cllm_error *err);
/* Frees what the walk holds (the struct is the caller's). */
void data_walk_free(data_walk *w);

/* Whether the first bytes of a file look like text: no NUL byte and under 30% of bytes in invalid UTF-8. */
int data_looks_like_text(const uint8_t *p, size_t n);
/* Where to cut a buffer of n bytes (n > 0) so the cut falls after a newline, else after a space, else on a
 * UTF-8 character start; returns the length of the first part, in (0, n]. */
size_t data_cut_point(const char *p, size_t n);

#endif
