/* cmd_prepare.c — `cllm prepare`: raw text (files, folders, JSONL, stdin) → token shards, via cllm_prepare_run.
 * (cli_positionals in args.c separates its paths from its flags.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "cllm_data.h"

/* ---- cllm prepare ---------------------------------------------------------------------------------------- */

static const char prepare_usage[] =
    "usage: cllm prepare --tokenizer FILE --out DIR [flags] PATH...\n"
    "Tokenizes raw text into token shards DIR/train-NNNNN.bin and DIR/val-NNNNN.bin for 'cllm train'.\n"
    "PATH: a text file (one document), a directory (walked recursively; binary files skipped), a *.jsonl file\n"
    "(one document per line's \"text\" field) or - for stdin. Documents are separated by <|endoftext|>.\n"
    "  --tokenizer FILE    tokenizer JSON (cllm_tokenizer_to_json's text), or the word 'byte' for bytes\n"
    "  --out DIR           output directory (created if missing)\n"
    "  --val-fraction F    share of documents for validation, split by document (default 0.05)\n"
    "  --seed S            decides the split (default 1337)\n"
    "  --threads N         encoding threads (default: all)\n"
    "  --shard-tokens N    most tokens per shard (default 67108864 = 2^26)\n"
    "  --overwrite         replace shards already in DIR\n"
    "  --blank-line-docs   in text files a blank line ends a document (default: one document per file)\n"
    "or:    cllm prepare --verify PATH...\n"
    "Checks shards (files, or directories of train-/val-*.bin): header, size, CRC-32, ids; prints their counts.\n";

enum { MAX_NOTES_SHOWN = 50 };

static void print_note(void *ctx, const char *msg) {
    long *shown = ctx;
    if (++*shown <= MAX_NOTES_SHOWN) fprintf(stderr, "cllm prepare: note: %s\n", msg);
}

static cllm_tokenizer *load_tokenizer(const char *path) {
    cllm_error err = {0};
    if (strcmp(path, "byte") == 0) {
        cllm_tokenizer *tok = cllm_tokenizer_byte_new();
        if (!tok) cli_die(2, "prepare: out of memory");
        return tok;
    }
    size_t n;
    uint8_t *json = cllm_file_read_all(path, &n, &err);
    if (!json) cli_die(2, "prepare: %s (hint: --tokenizer byte for the byte-level tokenizer)", err.msg);
    cllm_tokenizer *tok = cllm_tokenizer_from_json((const char *)json, n, &err);
    free(json);
    if (!tok) cli_die(2, "prepare: %s: %s", path, err.msg);
    return tok;
}

static void print_summary(const cllm_prepare_summary *s, const char *dir, double seconds) {
    printf("prepare: %llu files read, %llu skipped, %llu bad lines; %llu documents (train %llu, val %llu), "
           "%llu tokens (train %llu, val %llu), %llu shards (train %llu, val %llu) in %s; %.1f MB in %.2f s\n",
           (unsigned long long)s->files_read, (unsigned long long)s->files_skipped,
           (unsigned long long)s->bad_lines, (unsigned long long)(s->documents[0] + s->documents[1]),
           (unsigned long long)s->documents[0], (unsigned long long)s->documents[1],
           (unsigned long long)(s->tokens[0] + s->tokens[1]), (unsigned long long)s->tokens[0],
           (unsigned long long)s->tokens[1], (unsigned long long)(s->shards[0] + s->shards[1]),
           (unsigned long long)s->shards[0], (unsigned long long)s->shards[1], dir, (double)s->bytes / 1e6,
           seconds);
}

/* --verify: opens each split the way training will and reports it; a damaged shard is exit code 2. */
static int verify(char **paths, int n_paths) {
    static const char *const splits[] = {"train", "val"};
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        int is_dir = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
        int found = 0;
        for (int k = 0; k < (is_dir ? 2 : 1); k++) {
            cllm_error err = {0};
            const char *p = paths[i];
            cllm_shards *s = cllm_shards_open(&p, 1, is_dir ? splits[k] : NULL, &err);
            if (!s && is_dir && err.code == CLLM_ERR_ARG) continue; /* no shards of this split: fine if the other has */
            if (!s) cli_die(2, "prepare: %s", err.msg);
            found++;
            printf("%s%s%s: %d shards, %llu tokens, vocabulary %d: ok\n", p, is_dir ? " " : "",
                   is_dir ? splits[k] : "", cllm_shards_files(s), (unsigned long long)cllm_shards_count(s),
                   cllm_shards_vocab_size(s));
            cllm_shards_close(s);
        }
        if (!found) cli_die(2, "prepare: %s: no train-*.bin or val-*.bin shards here", paths[i]);
    }
    return 0;
}

int cmd_prepare(int argc, char **argv) {
    cllm_prepare_opts o = cllm_prepare_defaults();
    const char *tokenizer = NULL;
    long seed = (long)o.seed, threads = 0, shard_tokens = (long)o.shard_tokens;
    int overwrite = 0, verify_only = 0, blank_line_docs = 0;
    cli_opt opts[] = {
        {"tokenizer", OPT_STR, &tokenizer, 0, 0, NULL},
        {"out", OPT_STR, &o.out_dir, 0, 0, NULL},
        {"val-fraction", OPT_FLOAT, &o.val_fraction, 0, 1, NULL},
        {"seed", OPT_INT, &seed, 0, 9.2e18, NULL},
        {"threads", OPT_INT, &threads, 1, 1024, NULL},
        {"shard-tokens", OPT_INT, &shard_tokens, 1024, 1e12, NULL},
        {"overwrite", OPT_FLAG, &overwrite, 0, 0, NULL},
        {"verify", OPT_FLAG, &verify_only, 0, 0, NULL},
        {"blank-line-docs", OPT_FLAG, &blank_line_docs, 0, 0, NULL},
    };
    int nopts = (int)(sizeof opts / sizeof opts[0]);
    char **paths;
    int n_paths;
    if (cli_positionals(&argc, argv, opts, nopts, &paths, &n_paths)) cli_die(2, "prepare: out of memory");
    cli_parse(argc, argv, opts, nopts, prepare_usage);
    if (verify_only) {
        if (n_paths == 0) cli_die(2, "prepare: --verify needs shard files or directories");
        int rc = verify(paths, n_paths);
        free(paths);
        return rc;
    }
    if (!tokenizer) cli_die(2, "prepare: --tokenizer FILE is required ('--tokenizer byte' for bytes)");
    if (!o.out_dir) cli_die(2, "prepare: --out DIR is required");
    if (n_paths == 0) cli_die(2, "prepare: no input paths (give files, directories, *.jsonl or - for stdin)");

    cllm_tokenizer *tok = load_tokenizer(tokenizer);
    long shown = 0;
    o.tok = tok;
    o.inputs = (const char *const *)paths;
    o.n_inputs = n_paths;
    o.seed = (uint64_t)seed;
    o.threads = (int)threads;
    o.shard_tokens = (uint64_t)shard_tokens;
    o.overwrite = overwrite;
    o.blank_line_docs = blank_line_docs;
    o.note = print_note;
    o.note_ctx = &shown;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cllm_prepare_summary sum;
    cllm_error err = {0};
    int rc = cllm_prepare_run(&o, &sum, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (shown > MAX_NOTES_SHOWN)
        fprintf(stderr, "cllm prepare: note: ... and %ld more notes\n", shown - MAX_NOTES_SHOWN);
    cllm_tokenizer_free(tok);
    free(paths);
    if (rc) cli_die(2, "%s%s", strncmp(err.msg, "prepare: ", 9) ? "prepare: " : "", err.msg);
    print_summary(&sum, o.out_dir, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    if (sum.documents[0] + sum.documents[1] == 0)
        cli_die(2, "prepare: no usable document in the inputs (%llu files read, %llu skipped as binary or unreadable, "
                "%llu bad JSONL lines); nothing to train on", (unsigned long long)sum.files_read,
                (unsigned long long)sum.files_skipped, (unsigned long long)sum.bad_lines);
    if (o.val_fraction > 0 && (sum.documents[0] == 0 || sum.documents[1] == 0))
        fprintf(stderr, "cllm prepare: note: every document went to the %s split (the split is by document and "
                "a text file is one); use more files, JSONL or --blank-line-docs\n",
                sum.documents[0] ? "train" : "val");
    return 0;
}
