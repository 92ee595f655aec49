/* main.c — `cllm SUBCOMMAND [flags]`: find the subcommand and hand it argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"train", cmd_train, "train a model on text (or fine-tune one with --init); --resume continues a run"},
    {"generate", cmd_generate, "sample a continuation of a prompt, streamed"},
    {"chat", cmd_chat, "a REPL that keeps the conversation in context"},
    {"eval", cmd_eval, "mean cross-entropy and bits per byte of a model on text"},
    {"tokenize", cmd_tokenize, "print the token ids of stdin"},
    {"info", cmd_info, "print a model file's config, parameter count and tokenizer"},
    {"analyze", cmd_analyze, "the embeddings as a lattice: orthogonality defect and Hermite factor, before/after LLL"},
    {"prepare", cmd_prepare, "tokenize raw text (files, folders, JSONL, stdin) into token shards"},
    {"brown", cmd_brown, "convert Brown corpus files (word/TAG) to plain text"},
    {"bench", cmd_bench, "time training steps (tokens/s, MFU) or, with --generate, generation"},
    {"plot", cmd_plot, "a run's training and validation loss curves (log.jsonl) as a PNG"},
    {"tokenizer", cmd_tokenizer, "train, export, import, encode and decode a BPE tokenizer"},
};

static void usage(FILE *out) {
    fputs("usage: cllm COMMAND [flags]   (cllm COMMAND --help for its flags; cllm --version)\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* OpenMP threads that spin while waiting for work cost ~100x when the cores are shared (measured: a small
 * model's step went from 3.4 ms to 500-1300 ms with two spinning threads on a loaded 2-core machine). libgomp
 * reads the policy before main, so when the user has not chosen one we choose PASSIVE and start again.
 * (Measured with `cllm train --layers 1 --dim 32 --heads 2 --context 32 --steps 10` on 2 vCPUs at load average 7.) */
static void prefer_passive_waiting(char **argv) {
    if (getenv("OMP_WAIT_POLICY")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv); /* returns only on failure: then run as we are */
}

int main(int argc, char **argv) {
    prefer_passive_waiting(argv);
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cllm %s\n", cllm_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    cli_die(2, "unknown command '%s' (see 'cllm --help')", argv[1]);
}
