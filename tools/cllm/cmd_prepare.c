/* cmd_prepare.c — `cllm prepare`: raw text (files, folders, JSONL, stdin) → token shards, via cllm_prepare_run.
 * Also home of cmd_positionals, the positional-argument split that cmd_brown.c shares (cli_parse takes flags
 * only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_positionals(int *argc, char **argv, const cli_opt *opts, int nopts, char ***pos, int *npos);

/* Moves the positional arguments of argv[1..] (anything that is not a flag or a flag's value; "-" is one, and
 * so is everything after a bare "--") to a malloc'd array *pos, leaving the flags in argv for cli_parse.
 * Returns 0, or -1 when out of memory. */
int cmd_positionals(int *argc, char **argv, const cli_opt *opts, int nopts, char ***pos, int *npos) {
    char **out = malloc((size_t)(*argc + 1) * sizeof *out);
    if (!out) return -1;
    int nf = 1, np = 0, only_pos = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0) { out[np++] = argv[i]; continue; }
        if (strcmp(a, "--") == 0) { only_pos = 1; continue; }
        argv[nf++] = argv[i];
        if (a[1] != '-' || strchr(a, '=')) continue;
        for (int k = 0; k < nopts; k++)
            if (strcmp(opts[k].name, a + 2) == 0 && opts[k].kind != OPT_FLAG && i + 1 < *argc) {
                argv[nf++] = argv[++i]; /* the flag's value, even when it looks like a path */
                break;
            }
    }
    argv[nf] = NULL;
    *argc = nf;
    *pos = out;
    *npos = np;
    return 0;
}
