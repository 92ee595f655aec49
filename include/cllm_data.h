/* cllm_data.h — the data pipeline: raw text → token shards → training batches; and the Brown corpus converter.
 *
 *     // 1. raw text → shards (what `cllm prepare` runs)
 *     cllm_prepare_opts o = cllm_prepare_defaults();
 *     o.tok = tok; o.out_dir = "shards"; o.inputs = paths; o.n_inputs = n;
 *     cllm_prepare_summary sum;
 *     if (cllm_prepare_run(&o, &sum, &err)) fprintf(stderr, "error: %s\n", err.msg);
 *
 *     // 2. shards → batches (what `cllm train` runs)
 *     const char *dir = "shards";
 *     cllm_shards *train = cllm_shards_open(&dir, 1, "train", &err);
 *     cllm_loader *ld = cllm_loader_new(train, B, T, seed, &err);
 *     cllm_loader_next(ld, inputs, targets);          // B*T ids each, targets = inputs shifted by one
 *     cllm_loader_state st = cllm_loader_get_state(ld); // into the checkpoint; cllm_loader_set_state resumes
 *
 * Shard file (little-endian): a 64-byte header, then `count` tokens of `width` bytes.
 *     0  magic "CLLMTOK1"   8  u32 version (1)   12 u32 width (2 when vocab_size <= 65536, else 4)
 *     16 u64 count (tokens) 24 u32 crc32 of the token bytes (zlib's CRC-32)   28 u32 vocab_size
 *     32 i32 eot id (-1: none)   36 u32 reserved (0)   40 u64 documents   48..63 reserved (0)
 * Shards are named <split>-NNNNN.bin (split "train" or "val") and hold at most shard_tokens tokens; documents
 * are separated by the tokenizer's <|endoftext|> id (nothing when it has none) and may continue into the next
 * shard, which is why readers see the shards of a split as one token stream.
 */
#ifndef CLLM_DATA_H
#define CLLM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"
#include "cllm_tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------------------------
 * Shards: the file format, a streaming writer and a memory-mapped reader
 * ------------------------------------------------------------------------------------------------------------- */

enum { CLLM_SHARD_HEADER_BYTES = 64, CLLM_SHARD_VERSION = 1 };

/* The zlib-compatible CRC-32 of n bytes continuing from crc (start with 0). */
CLLM_API uint32_t cllm_crc32(uint32_t crc, const void *data, size_t n);

/* A shard being written: tokens stream to a scratch file, and close writes header + tokens atomically. */
typedef struct cllm_shard_writer cllm_shard_writer;

/* Starts a shard at path for a vocabulary of vocab_size ids (sets the width) and eot id (-1: none); the scratch
 * file lives beside path. NULL on error. */
CLLM_API cllm_shard_writer *cllm_shard_writer_open(const char *path, int vocab_size, int eot, cllm_error *err);
/* Appends n ids (each in [0, vocab_size)); buffered. */
CLLM_API int cllm_shard_writer_append(cllm_shard_writer *w, const int32_t *ids, size_t n, cllm_error *err);
/* Counts one more document in the header. */
CLLM_API void cllm_shard_writer_end_document(cllm_shard_writer *w);
/* Tokens appended so far. */
CLLM_API uint64_t cllm_shard_writer_count(const cllm_shard_writer *w);
/* Writes the finished shard to its path (temp + fsync + rename) and frees w. */
CLLM_API int cllm_shard_writer_close(cllm_shard_writer *w, cllm_error *err);
/* Drops the shard (nothing appears at its path) and frees w; NULL is fine. */
CLLM_API void cllm_shard_writer_abort(cllm_shard_writer *w);

/* A set of shards mapped read-only and seen as one token stream (positions 0..total-1). */
typedef struct cllm_shards cllm_shards;

/* Opens and validates shards: each path is a shard file, or a directory whose <split>-*.bin files are taken in
 * name order (split NULL: every *.bin). Checks magic, version, size, CRC-32 and that every id is below the
 * vocabulary size; a bad shard fails the whole call with an error naming the file. Pages are released after the
 * check, so opening costs no resident memory. NULL on error. */
CLLM_API cllm_shards *cllm_shards_open(const char *const *paths, int n_paths, const char *split, cllm_error *err);
/* Unmaps and frees; NULL is fine. */
CLLM_API void cllm_shards_close(cllm_shards *s);
/* Tokens in the whole stream. */
CLLM_API uint64_t cllm_shards_count(const cllm_shards *s);
/* Number of shard files. */
CLLM_API int cllm_shards_files(const cllm_shards *s);
/* Vocabulary size recorded in the shards (all agree). */
CLLM_API int cllm_shards_vocab_size(const cllm_shards *s);
/* The <|endoftext|> id recorded in the shards, -1 when their tokenizer had none. */
CLLM_API int cllm_shards_eot(const cllm_shards *s);
/* Copies the n ids at stream positions [pos, pos+n) into dst; pos + n must not exceed the count. */
CLLM_API void cllm_shards_read(const cllm_shards *s, uint64_t pos, int32_t *dst, size_t n);

/* ---------------------------------------------------------------------------------------------------------------
 * Batches for training and evaluation
 * ------------------------------------------------------------------------------------------------------------- */

/* Everything that decides the loader's future batches: save it in a checkpoint, restore it with
 * cllm_loader_set_state, and the batch sequence continues bit-exactly. Plain data, 24 bytes. */
typedef struct cllm_loader_state {
    uint64_t seed;    /* the seed the loader was created with (checked on restore) */
    uint64_t rng;     /* splitmix64 state */
    uint64_t batches; /* batches drawn so far */
} cllm_loader_state;

/* Draws B windows of T+1 tokens at uniformly random start offsets over the whole stream (windows may cross
 * document and shard boundaries, as in GPT-2 training); deterministic given the seed. Borrows shards. */
typedef struct cllm_loader cllm_loader;

/* A loader of B×T batches; fails when the stream holds fewer than T+1 tokens. NULL on error. */
CLLM_API cllm_loader *cllm_loader_new(const cllm_shards *s, int B, int T, uint64_t seed, cllm_error *err);
/* Frees; NULL is fine. */
CLLM_API void cllm_loader_free(cllm_loader *ld);
/* Fills inputs[B*T] and targets[B*T] (row b is window b; targets[i] is the token after inputs[i]). */
CLLM_API void cllm_loader_next(cllm_loader *ld, int32_t *inputs, int32_t *targets);
/* The current state (to save). */
CLLM_API cllm_loader_state cllm_loader_get_state(const cllm_loader *ld);
/* Resumes from a saved state; CLLM_ERR_STATE when it was made with another seed. */
CLLM_API int cllm_loader_set_state(cllm_loader *ld, cllm_loader_state st, cllm_error *err);

/* Consecutive, non-overlapping windows of T+1 tokens from position 0 (stride T), for validation. */
typedef struct cllm_window_iter {
    const cllm_shards *shards; /* borrowed */
    int T;                     /* window length (targets need one token more) */
    uint64_t pos;              /* stream position of the next window: the whole state */
} cllm_window_iter;

/* Starts at position 0. */
CLLM_API void cllm_window_iter_init(cllm_window_iter *it, const cllm_shards *s, int T);
/* Fills up to B rows of inputs/targets[B*T]; returns the rows filled (0 at the end; a last partial window is
 * dropped). */
CLLM_API int cllm_window_iter_next(cllm_window_iter *it, int B, int32_t *inputs, int32_t *targets);

/* ---------------------------------------------------------------------------------------------------------------
 * Prepare: raw text → shards
 * ------------------------------------------------------------------------------------------------------------- */

typedef struct cllm_prepare_opts {
    const cllm_tokenizer *tok;  /* borrowed; encode is called from several threads */
    const char *out_dir;        /* created if missing (one level) */
    const char *const *inputs;  /* files, directories (recursive), "-" for stdin; *.jsonl files are JSONL */
    int n_inputs;
    double val_fraction;        /* share of documents sent to the val split, [0, 1] */
    uint64_t seed;              /* decides the split */
    int threads;                /* encoding threads; 0: OpenMP's default */
    uint64_t shard_tokens;      /* most tokens per shard */
    int overwrite;              /* remove existing train-/val-*.bin in out_dir first (else they are an error) */
    int blank_line_docs;        /* in text files, a blank line ends a document (else a text file is one) */
    void (*note)(void *ctx, const char *msg); /* told about every skipped file and bad JSONL line; may be NULL */
    void *note_ctx;
} cllm_prepare_opts;

typedef struct cllm_prepare_summary {
    uint64_t files_read;    /* input files (and stdin) that gave text */
    uint64_t files_skipped; /* binary, unreadable or non-regular */
    uint64_t bad_lines;     /* JSONL lines that were malformed or had no string "text" */
    uint64_t bytes;         /* text bytes encoded */
    uint64_t documents[2];  /* [0] train, [1] val */
    uint64_t tokens[2];     /* separators included */
    uint64_t shards[2];
} cllm_prepare_summary;

/* Defaults: val_fraction 0.05, seed 1337, threads 0, shard_tokens 2^26; everything else zero. */
CLLM_API cllm_prepare_opts cllm_prepare_defaults(void);
/* Reads every input, encodes documents in parallel and writes the shards; the summary is filled even on error
 * (as far as it got). Memory stays bounded by the batch size, not the corpus size. */
CLLM_API int cllm_prepare_run(const cllm_prepare_opts *o, cllm_prepare_summary *sum, cllm_error *err);
/* Whether document number doc (0-based, in input order) goes to the val split for this seed and fraction. */
CLLM_API int cllm_prepare_is_val(uint64_t doc, uint64_t seed, double val_fraction);

/* ---------------------------------------------------------------------------------------------------------------
 * Brown corpus
 * ------------------------------------------------------------------------------------------------------------- */

/* Converts one Brown-format text (`word/TAG` tokens, a sentence a line, blank-line-separated paragraphs) to plain
 * text: one paragraph a line ('\n'-terminated), tags stripped, no space before , . ; : ! ? ) ] or a closing quote
 * and none after ( [ or an opening quote, `` and '' both written as ASCII ", a , or . after a closing quote moved
 * inside it. Returns a malloc'd NUL-terminated
 * string (caller frees), its length in *out_len; NULL only when out of memory. */
CLLM_API char *cllm_brown_to_text(const char *src, size_t n, size_t *out_len, cllm_error *err);

/* ---------------------------------------------------------------------------------------------------------- */
/* The regular files under paths, in the order `cllm prepare` reads them: a path naming a file is taken as it is; a
 * directory is walked recursively in name order, leaving out hidden entries (.git and the like), symlinked
 * directories and what is not a regular file. *files receives a malloc'd array of *n malloc'd paths, freed by
 * cllm_corpus_files_free. A path that does not exist is an error (CLLM_ERR_IO, naming it). */
CLLM_API int cllm_corpus_files(const char *const *paths, int n_paths, char ***files, int *n, cllm_error *err);
/* Frees what cllm_corpus_files returned; NULL is fine. */
CLLM_API void cllm_corpus_files_free(char **files, int n);

#ifdef __cplusplus
}
#endif

#endif
