/* cmd_brown.c — `cllm brown`: Brown corpus files (word/TAG) → plain text, one document per input file. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cllm_data.h"

int cmd_brown(int argc, char **argv);

static const char usage[] =
    "usage: cllm brown (--out FILE | --out-dir DIR) IN...\n"
    "Converts Brown corpus files (word/TAG tokens) to plain text: one paragraph a line, tags stripped,\n"
    "punctuation spaced as in print, `` and '' written as \".\n"
    "  --out FILE     all inputs into one file, in the order given, documents separated by a blank line\n"
    "  --out-dir DIR  one file per input: DIR/<input name>.txt (DIR must exist)\n";

/* Reads and converts one input; dies with a one-line message on failure. Caller frees. */
static char *convert_file(const char *path, size_t *len) {
    cllm_error err = {0};
    size_t n;
    uint8_t *src = cllm_file_read_all(path, &n, &err);
    if (!src) cli_die(2, "brown: %s", err.msg);
    char *text = cllm_brown_to_text((const char *)src, n, len, &err);
    free(src);
    if (!text) cli_die(2, "brown: %s: %s", path, err.msg);
    return text;
}

static void write_one_per_file(const char *dir, char **in, int n) {
    for (int i = 0; i < n; i++) {
        size_t len;
        char *text = convert_file(in[i], &len);
        char *copy = strdup(in[i]), path[4096];
        if (!copy) cli_die(2, "brown: out of memory");
        snprintf(path, sizeof path, "%s/%s.txt", dir, basename(copy));
        free(copy);
        cllm_error err = {0};
        if (cllm_write_file_atomic(path, text, len, &err)) cli_die(2, "brown: %s", err.msg);
        free(text);
    }
}

static void write_concatenated(const char *out, char **in, int n) {
    cllm_error err = {0};
    cllm_atomic_file *f = cllm_atomic_open(out, &err);
    if (!f) cli_die(2, "brown: %s", err.msg);
    int wrote = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        char *text = convert_file(in[i], &len);
        if (len > 0) { /* an empty document would leave two blank lines in a row */
            if ((wrote && cllm_atomic_write(f, "\n", 1, &err)) || cllm_atomic_write(f, text, len, &err))
                cli_die(2, "brown: %s", err.msg);
            wrote = 1;
        }
        free(text);
    }
    if (cllm_atomic_commit(f, &err)) cli_die(2, "brown: %s", err.msg);
}

int cmd_brown(int argc, char **argv) {
    const char *out = NULL, *out_dir = NULL;
    cli_opt opts[] = {
        {"out", OPT_STR, &out, 0, 0, NULL},
        {"out-dir", OPT_STR, &out_dir, 0, 0, NULL},
    };
    char **in;
    int n_in;
    if (cli_positionals(&argc, argv, opts, 2, &in, &n_in)) cli_die(2, "brown: out of memory");
    cli_parse(argc, argv, opts, 2, usage);
    if (!out == !out_dir) cli_die(2, "brown: give exactly one of --out FILE and --out-dir DIR (see --help)");
    if (n_in == 0) cli_die(2, "brown: no input files (usage: cllm brown --out FILE IN...)");
    if (out) write_concatenated(out, in, n_in);
    else write_one_per_file(out_dir, in, n_in);
    free(in);
    return 0;
}
