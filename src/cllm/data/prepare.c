/* data_prepare.c — raw text → token shards: read a batch of pieces, encode them in parallel, append in order.
 *
 * Memory is bounded by one batch (at most BATCH_BYTES of text and its ids) plus one writer buffer per split,
 * whatever the corpus size; shards stream to disk. Output depends only on the inputs, the tokenizer and the
 * seed: pieces are appended in input order whatever the thread count. */
#include "cllm_data.h"
#include "base/mix.h"
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BATCH_BYTES = 4 << 20, BATCH_PIECES = 4096 };

static const char *const split_names[2] = {"train", "val"};

cllm_prepare_opts cllm_prepare_defaults(void) {
    cllm_prepare_opts o = {0};
    o.val_fraction = 0.05;
    o.seed = 1337;
    o.shard_tokens = (uint64_t)1 << 26;
    return o;
}

int cllm_prepare_is_val(uint64_t doc, uint64_t seed, double val_fraction) {
    /* splitmix64 finaliser of (seed, doc): independent-looking uniform draws per document */
    uint64_t z = cllm_mix64(seed * 0x9E3779B97F4A7C15ull + doc + 0x632BE59BD9B4E019ull);
    return (double)(z >> 11) * 0x1p-53 < val_fraction;
}

/* ---- output ---------------------------------------------------------------------------------------------- */

typedef struct split_out {
    const cllm_prepare_opts *o;
    int split;                 /* 0 train, 1 val */
    cllm_shard_writer *w;      /* the shard being filled, NULL until the first token */
    uint64_t *shards;          /* summary counter */
} split_out;

static int open_shard(split_out *so, cllm_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%05llu.bin", so->o->out_dir, split_names[so->split],
             (unsigned long long)*so->shards);
    so->w = cllm_shard_writer_open(path, cllm_tokenizer_vocab_size(so->o->tok), cllm_tokenizer_eot(so->o->tok),
                                   err);
    return so->w ? 0 : (err ? err->code : CLLM_ERR_IO);
}

static int close_shard(split_out *so, cllm_error *err) {
    if (!so->w) return 0;
    cllm_shard_writer *w = so->w;
    so->w = NULL;
    (*so->shards)++;
    return cllm_shard_writer_close(w, err);
}

/* Appends ids, starting a new shard when the current one is full. A full shard is closed only when more tokens
 * come, so a document's end is always counted in the shard holding its last token and no shard is empty. */
static int split_append(split_out *so, const int32_t *ids, size_t n, cllm_error *err) {
    while (n > 0) {
        int rc = 0;
        if (so->w && cllm_shard_writer_count(so->w) == so->o->shard_tokens) rc = close_shard(so, err);
        if (!rc && !so->w) rc = open_shard(so, err);
        if (rc) return rc;
        uint64_t room = so->o->shard_tokens - cllm_shard_writer_count(so->w);
        size_t take = room < n ? (size_t)room : n;
        if ((rc = cllm_shard_writer_append(so->w, ids, take, err))) return rc;
        ids += take;
        n -= take;
    }
    return 0;
}

/* Ends a document: the separator (when the tokenizer has one) and the shard's document count. */
static int split_end_document(split_out *so, cllm_error *err) {
    int eot = cllm_tokenizer_eot(so->o->tok);
    if (eot >= 0) {
        int32_t id = eot;
        int rc = split_append(so, &id, 1, err);
        if (rc) return rc;
    }
    if (so->w) cllm_shard_writer_end_document(so->w);
    return 0;
}

/* ---- the output directory -------------------------------------------------------------------------------- */

static int is_old_shard(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".bin") == 0 &&
           (strncmp(name, "train-", 6) == 0 || strncmp(name, "val-", 4) == 0);
}

/* Creates out_dir if missing; old shards there are removed with overwrite, else refused (a smaller new run
 * would otherwise leave stale shards that a loader would read). */
static int prepare_out_dir(const cllm_prepare_opts *o, cllm_error *err) {
    if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST)
        return cllm_error_set(err, CLLM_ERR_IO, "%s: cannot create directory (%s)", o->out_dir, strerror(errno));
    DIR *d = opendir(o->out_dir);
    if (!d) return cllm_error_set(err, CLLM_ERR_IO, "%s: not a usable directory (%s)", o->out_dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!is_old_shard(e->d_name)) continue;
        if (!o->overwrite) {
            rc = cllm_error_set(err, CLLM_ERR_ARG, "%s: already holds shards (%s); use an empty directory or "
                                "--overwrite", o->out_dir, e->d_name);
        } else {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", o->out_dir, e->d_name);
            if (unlink(path) != 0)
                rc = cllm_error_set(err, CLLM_ERR_IO, "%s: cannot remove (%s)", path, strerror(errno));
        }
    }
    closedir(d);
    return rc;
}

/* ---- the batch loop -------------------------------------------------------------------------------------- */

typedef struct batch {
    data_piece piece[BATCH_PIECES];
    int32_t *ids[BATCH_PIECES]; /* encode's output per piece */
    size_t count[BATCH_PIECES];
    int n;
    size_t bytes;
} batch;

static void batch_clear(batch *b) {
    for (int i = 0; i < b->n; i++) {
        free(b->piece[i].text);
        free(b->ids[i]);
        b->ids[i] = NULL;
    }
    b->n = 0;
    b->bytes = 0;
}

/* Reads pieces until the batch is full: 1 when it holds any, 0 at the end of input, or an error code (negated). */
static int batch_fill(batch *b, data_source *src, cllm_error *err) {
    while (b->n < BATCH_PIECES && b->bytes < BATCH_BYTES) {
        int rc = data_source_next(src, &b->piece[b->n], err);
        if (rc == 0) break;
        if (rc < 0) return -(err && err->code ? err->code : CLLM_ERR_IO);
        b->bytes += b->piece[b->n++].len;
    }
    return b->n > 0;
}

/* Encodes every piece of the batch in parallel; the first failure (in piece order) is reported. */
static int batch_encode(batch *b, const cllm_prepare_opts *o, cllm_error *err) {
    int failed = -1;      /* the lowest piece index that failed */
    cllm_error first = {0}; /* its error */
    int threads = o->threads > 0 ? o->threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int i = 0; i < b->n; i++) {
        cllm_error e = {0};
        b->ids[i] = cllm_tokenizer_encode(o->tok, b->piece[i].text, b->piece[i].len, &b->count[i], &e);
        if (!b->ids[i]) {
#pragma omp critical(cllm_prepare_encode_error)
            if (failed < 0 || i < failed) { failed = i; first = e; }
        }
    }
    if (failed < 0) return 0;
    return cllm_error_set(err, first.code ? first.code : CLLM_ERR_NOMEM, "prepare: document %llu: %s",
                          (unsigned long long)b->piece[failed].doc, first.msg);
}

static int batch_write(batch *b, split_out out[2], const cllm_prepare_opts *o, cllm_prepare_summary *sum,
                       cllm_error *err) {
    for (int i = 0; i < b->n; i++) {
        const data_piece *p = &b->piece[i];
        int s = cllm_prepare_is_val(p->doc, o->seed, o->val_fraction);
        int rc = split_append(&out[s], b->ids[i], b->count[i], err);
        if (!rc && p->last) rc = split_end_document(&out[s], err);
        if (rc) return rc;
        sum->tokens[s] += b->count[i] + (p->last && cllm_tokenizer_eot(o->tok) >= 0);
        sum->documents[s] += (uint64_t)p->last;
    }
    return 0;
}

static int check_opts(const cllm_prepare_opts *o, cllm_error *err) {
    if (!o->tok || !o->out_dir || o->n_inputs <= 0 || !o->inputs)
        return cllm_error_set(err, CLLM_ERR_ARG, "prepare: a tokenizer, an output directory and inputs are needed");
    if (!(o->val_fraction >= 0 && o->val_fraction <= 1))
        return cllm_error_set(err, CLLM_ERR_ARG, "prepare: val fraction %g is outside [0, 1]", o->val_fraction);
    if (o->shard_tokens < 1024)
        return cllm_error_set(err, CLLM_ERR_ARG, "prepare: shard size %llu tokens is below the minimum 1024",
                              (unsigned long long)o->shard_tokens);
    return 0;
}

int cllm_prepare_run(const cllm_prepare_opts *o, cllm_prepare_summary *sum, cllm_error *err) {
    memset(sum, 0, sizeof *sum);
    int rc = check_opts(o, err);
    if (!rc) rc = prepare_out_dir(o, err);
    if (rc) return rc;
    batch *b = calloc(1, sizeof *b);
    data_source *src = b ? data_source_new(o, sum, err) : NULL;
    if (!src) {
        free(b);
        return b ? (err ? err->code : CLLM_ERR_NOMEM) : cllm_error_set(err, CLLM_ERR_NOMEM, "prepare: out of memory");
    }
    split_out out[2] = {{o, 0, NULL, &sum->shards[0]}, {o, 1, NULL, &sum->shards[1]}};
    for (;;) {
        int got = batch_fill(b, src, err);
        if (got < 0) rc = -got;
        if (got > 0) rc = batch_encode(b, o, err);
        if (got > 0 && !rc) rc = batch_write(b, out, o, sum, err);
        batch_clear(b);
        if (rc || got == 0) break;
    }
    for (int s = 0; s < 2; s++) {
        if (rc) { cllm_shard_writer_abort(out[s].w); out[s].w = NULL; }
        else rc = close_shard(&out[s], err);
    }
    data_source_free(src);
    free(b);
    return rc;
}
