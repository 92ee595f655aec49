/* main.c — `cllm SUBCOMMAND [flags]`: find the subcommand and hand it argv. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"info", cmd_info, "print a model file's config, parameter count and tokenizer"},
    {"tokenizer", cmd_tokenizer, "train, export, import, encode and decode a BPE tokenizer"},
};

static void usage(FILE *out) {
    fputs("usage: cllm COMMAND [flags]   (cllm COMMAND --help for its flags)\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cllm: error: unknown command '%s' (see 'cllm --help')\n", argv[1]);
    return 2;
}
