/* cmd_tokenizer.c — `cllm tokenizer ACTION`: train, export, import, encode, decode a BPE tokenizer file
 * (the JSON of cllm_tokenizer_save; see docs/tokenizer.md). */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cllm_data.h"
#include "cllm_tokenizer.h"

static const char *usage_format =
    "usage: cllm tokenizer ACTION [flags]\n"
    "  train  --vocab-size N --out FILE PATH...   train byte-level BPE on files (folders: their files, recursively)\n"
    "  export --tokenizer FILE --out-dir DIR      write DIR/vocab.json and DIR/merges.txt (GPT-2 format)\n"
    "  import --vocab vocab.json --merges merges.txt --out FILE\n"
    "  encode --tokenizer FILE [--threads N] [--stats]   stdin bytes -> ids on one line\n"
    "  decode --tokenizer FILE                    stdin ids (whitespace-separated) -> bytes\n"
    "Pieces are split by GPT-2's pattern with the letter and number classes of Unicode %s (as tiktoken's).\n";

/* The usage text with the Unicode version filled in. */
static const char *usage_text(void) {
    static char text[1024];
    snprintf(text, sizeof text, usage_format, cllm_tokenizer_unicode_version());
    return text;
}

/* ---------------------------------------------------------------- helpers */

/* Reads all of a stream; exits 2 on failure. */
static char *read_stream(FILE *f, size_t *n) {
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            char *grown = realloc(buf, 2 * cap + 1);
            if (!grown) { free(buf); buf = NULL; break; }
            buf = grown;
            cap *= 2;
        }
    }
    if (!buf || ferror(f)) cli_die(2, "tokenizer: cannot read standard input");
    buf[len] = 0;
    *n = len;
    return buf;
}

static cllm_tokenizer *load_or_die(const char *path) {
    cllm_error err = {0};
    if (!path) cli_die(2, "tokenizer: --tokenizer FILE is required");
    cllm_tokenizer *tok = cllm_tokenizer_load(path, &err);
    if (!tok) cli_die(2, "tokenizer: %s", err.msg);
    return tok;
}

/* ---------------------------------------------------------------- actions */

static int do_train(int argc, char **argv) {
    long vocab = 0;
    const char *out = NULL;
    /* PATH... may come first or last: every argument that is neither a flag nor a flag's value is a path. */
    char **flags = malloc((size_t)(argc + 1) * sizeof *flags), **rest = malloc((size_t)(argc + 1) * sizeof *rest);
    int nf = 1, nr = 0;
    if (!flags || !rest) cli_die(2, "tokenizer train: out of memory");
    flags[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            flags[nf++] = argv[i];
            if (!strchr(argv[i], '=') && (strcmp(argv[i], "--vocab-size") == 0 || strcmp(argv[i], "--out") == 0) &&
                i + 1 < argc)
                flags[nf++] = argv[++i];
        } else {
            rest[nr++] = argv[i];
        }
    }
    cli_opt opts[] = {{"vocab-size", OPT_INT, &vocab, 257, 1 << 24, NULL}, {"out", OPT_STR, &out, 0, 0, NULL}};
    cli_parse(nf, flags, opts, 2, usage_text());
    if (!vocab) cli_die(2, "tokenizer train: --vocab-size N is required (e.g. 4096)");
    if (!out) cli_die(2, "tokenizer train: --out FILE is required");
    if (nr == 0) cli_die(2, "tokenizer train: give at least one input PATH (text files or folders)");
    char **files = NULL;
    int nfiles = 0;
    cllm_error err = {0};
    if (cllm_corpus_files((const char *const *)rest, nr, &files, &nfiles, &err))
        cli_die(2, "tokenizer train: %s", err.msg);
    if (nfiles == 0) cli_die(2, "tokenizer train: the given folders hold no files");
    double t0 = omp_get_wtime();
    cllm_tokenizer *tok = cllm_tokenizer_train((const char *const *)files, nfiles, (int)vocab, &err);
    double secs = omp_get_wtime() - t0;
    cllm_corpus_files_free(files, nfiles);
    free(flags);
    free(rest);
    /* free before dying too: the sanitizer build counts what exit() leaves behind */
    if (!tok || cllm_tokenizer_save(tok, out, &err)) {
        cllm_tokenizer_free(tok);
        cli_die(2, "tokenizer train: %s", err.msg);
    }
    fprintf(stderr, "trained %d tokens (%d merges) on %d file(s) in %.2f s -> %s\n", cllm_tokenizer_vocab_size(tok),
            cllm_tokenizer_merge_count(tok), nfiles, secs, out);
    cllm_tokenizer_free(tok);
    return 0;
}

static int do_export(int argc, char **argv) {
    const char *path = NULL, *dir = NULL;
    cli_opt opts[] = {{"tokenizer", OPT_STR, &path, 0, 0, NULL}, {"out-dir", OPT_STR, &dir, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 2, usage_text());
    if (!dir) cli_die(2, "tokenizer export: --out-dir DIR is required");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        cli_die(2, "tokenizer export: cannot create '%s': %s", dir, strerror(errno));
    cllm_tokenizer *tok = load_or_die(path);
    size_t len = strlen(dir) + 16;
    char *vocab = malloc(len), *merges = malloc(len);
    cllm_error err = {0};
    int rc = !vocab || !merges ? cllm_error_set(&err, CLLM_ERR_NOMEM, "out of memory") : 0;
    if (!rc) {
        snprintf(vocab, len, "%s/vocab.json", dir);
        snprintf(merges, len, "%s/merges.txt", dir);
        rc = cllm_tokenizer_export_gpt2(tok, vocab, merges, &err);
    }
    free(vocab);
    free(merges);
    cllm_tokenizer_free(tok);
    if (rc) cli_die(2, "tokenizer export: %s", err.msg);
    return 0;
}

static int do_import(int argc, char **argv) {
    const char *vocab = NULL, *merges = NULL, *out = NULL;
    cli_opt opts[] = {{"vocab", OPT_STR, &vocab, 0, 0, NULL}, {"merges", OPT_STR, &merges, 0, 0, NULL},
                      {"out", OPT_STR, &out, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 3, usage_text());
    if (!vocab || !merges || !out) cli_die(2, "tokenizer import: --vocab, --merges and --out are all required");
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_import_gpt2(vocab, merges, &err);
    int rc = !tok || cllm_tokenizer_save(tok, out, &err);
    cllm_tokenizer_free(tok);
    if (rc) cli_die(2, "tokenizer import: %s", err.msg);
    return 0;
}

/* Writes ids separated by spaces, ending the line. */
static void print_ids(const int32_t *ids, size_t n, int *first) {
    char buf[1 << 16];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > sizeof buf - 16) {
            fwrite(buf, 1, k, stdout);
            k = 0;
        }
        k += (size_t)sprintf(buf + k, *first ? "%d" : " %d", (int)ids[i]);
        *first = 0;
    }
    fwrite(buf, 1, k, stdout);
}

static int do_encode(int argc, char **argv) {
    const char *path = NULL;
    long threads = 1;
    int stats = 0;
    cli_opt opts[] = {{"tokenizer", OPT_STR, &path, 0, 0, NULL}, {"threads", OPT_INT, &threads, 1, 256, NULL},
                      {"stats", OPT_FLAG, &stats, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 3, usage_text());
    cllm_tokenizer *tok = load_or_die(path);
    size_t n;
    char *text = read_stream(stdin, &n);
    /* Cut the text where cutting changes nothing, into a few parts per thread, and encode the parts at once. */
    size_t parts = threads > 1 ? (size_t)threads * 8 : 1, np = 0, pos = 0;
    const void **texts = malloc(parts * sizeof *texts);
    size_t *lens = malloc(parts * sizeof *lens), *counts = malloc(parts * sizeof *counts);
    int32_t **ids = malloc(parts * sizeof *ids);
    if (!texts || !lens || !counts || !ids) cli_die(2, "tokenizer encode: out of memory");
    while (pos < n || np == 0) {
        size_t end = np + 1 == parts ? n : cllm_tokenizer_next_cut(text, n, pos + n / parts);
        texts[np] = text + pos;
        lens[np++] = end - pos;
        pos = end;
    }
    cllm_error err = {0};
    double t0 = omp_get_wtime();
    if (cllm_tokenizer_encode_many(tok, np, texts, lens, ids, counts, (int)threads, &err)) {
        free(texts); free(lens); free(counts); free(ids); free(text);
        cllm_tokenizer_free(tok);
        cli_die(2, "tokenizer encode: %s", err.msg);
    }
    double secs = omp_get_wtime() - t0;
    size_t total = 0;
    int first = 1;
    for (size_t i = 0; i < np; i++) {
        print_ids(ids[i], counts[i], &first);
        total += counts[i];
        free(ids[i]);
    }
    fputc('\n', stdout);
    if (stats)
        fprintf(stderr, "encoded %zu bytes into %zu tokens (%.4f bytes/token) in %.4f s, %.2f MB/s, %ld thread(s)\n",
                n, total, total ? (double)n / (double)total : 0.0, secs, secs > 0 ? (double)n / secs / 1e6 : 0.0,
                threads);
    free(texts); free(lens); free(counts); free(ids); free(text);
    cllm_tokenizer_free(tok);
    return 0;
}

static int do_decode(int argc, char **argv) {
    const char *path = NULL;
    cli_opt opts[] = {{"tokenizer", OPT_STR, &path, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 1, usage_text());
    cllm_tokenizer *tok = load_or_die(path);
    size_t n;
    char *text = read_stream(stdin, &n), *p = text, msg[160] = "";
    for (size_t k = 1;; k++) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long id = strtol(p, &end, 10);
        size_t len;
        const uint8_t *b = end != p && !errno ? cllm_tokenizer_token_bytes(tok, (int)id, &len) : NULL;
        if (!b || id != (int)id || (*end && *end != ' ' && *end != '\n' && *end != '\t' && *end != '\r')) {
            int shown = (int)strcspn(p, " \t\r\n");
            snprintf(msg, sizeof msg, "id #%zu '%.*s' is not an id of this tokenizer (0..%d)", k,
                     shown < 20 ? shown : 20, p, cllm_tokenizer_vocab_size(tok) - 1);
            break;
        }
        fwrite(b, 1, len, stdout);
        p = end;
    }
    if (!msg[0] && fflush(stdout) != 0) snprintf(msg, sizeof msg, "cannot write standard output");
    free(text);
    cllm_tokenizer_free(tok);
    if (msg[0]) cli_die(2, "tokenizer decode: %s", msg);
    return 0;
}

int cmd_tokenizer(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } actions[] = {{"train", do_train}, {"export", do_export}, {"import", do_import},
                   {"encode", do_encode}, {"decode", do_decode}};
    if (argc < 2)
        cli_die(2, "tokenizer: give an action: train, export, import, encode or decode (see 'cllm tokenizer --help')");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text(), stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(argv[1], actions[i].name) != 0) continue;
        char name[32];
        snprintf(name, sizeof name, "tokenizer %s", actions[i].name);
        argv[1] = name; /* messages say "tokenizer train: ..." */
        return actions[i].run(argc - 1, argv + 1);
    }
    cli_die(2, "tokenizer: unknown action '%s' (train, export, import, encode, decode; see 'cllm tokenizer --help')",
            argv[1]);
}
