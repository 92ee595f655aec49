/* cli.h — the cllm command line: subcommands and the small flag parser they share.
 * Every subcommand is `int cmd_NAME(int argc, char **argv)` in cmd_NAME.c, with argv[0] the subcommand name. */
#ifndef CLLM_CLI_H
#define CLLM_CLI_H

#include <stddef.h>

int cmd_train(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_tokenizer(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_brown(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_plot(int argc, char **argv);

typedef enum { OPT_INT, OPT_FLOAT, OPT_STR, OPT_FLAG, OPT_LIST } cli_opt_kind;

typedef struct cli_opt {
    const char *name;  /* without the dashes: "steps" for --steps */
    cli_opt_kind kind; /* OPT_INT → long*, OPT_FLOAT → double*, OPT_STR → const char**, OPT_FLAG → int* (set 1),
                          OPT_LIST → cli_list* (every following argument up to the next --flag) */
    void *dst;
    double lo, hi;     /* inclusive range for INT and FLOAT (ignored when lo == hi == 0) */
    int *seen;         /* optional: set to 1 when the flag is given */
} cli_opt;

typedef struct cli_list {
    char **items; /* points into argv */
    int n;
} cli_list;

/* Parses argv[1..] against opts; --help/-h prints usage to stdout and exits 0; a bad flag or value prints one
 * line "cllm CMD: error: ..." with a hint and exits 2. */
void cli_parse(int argc, char **argv, const cli_opt *opts, int nopts, const char *usage);
/* Moves the positional arguments of argv[1..] (anything that is not a flag or a flag's value; "-" is one, and so
 * is everything after a bare "--") to a malloc'd array *pos, leaving the flags in argv for cli_parse.
 * Returns 0, or -1 when out of memory. */
int cli_positionals(int *argc, char **argv, const cli_opt *opts, int nopts, char ***pos, int *npos);
/* Prints "cllm: error: <message>" (one line) to stderr and exits with code. */
_Noreturn void cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* ---- shared by the model subcommands (common.c) ---- */
#include "cllm.h"
#include "cllm_tokenizer.h"

/* Loads a model file (or dies with exit 2 naming it). tokenizer_path, if non-NULL, overrides the file's
 * tokenizer; a model with neither dies with a hint. *tok receives the tokenizer (caller frees). */
cllm_model *cli_load_model(const char *cmd, const char *path, const char *tokenizer_path, cllm_tokenizer **tok);
/* Loads a tokenizer file (the JSON that `cllm tokenizer` writes) or dies. */
cllm_tokenizer *cli_load_tokenizer(const char *cmd, const char *path);
/* A generator over m whose products run at the named precision (NULL: fp32): "fp32", "bf16" or "int8"; dies with
 * exit 2 on another name. Says on stderr when bf16 is emulated (no AVX512_BF16 here). */
struct cllm_generator *cli_generator(const char *cmd, const cllm_model *m, const char *precision);
/* Threads to use: n if > 0, else the number of physical cores; also sets OpenMP's. */
int cli_set_threads(long n);
/* Seconds on a monotonic clock. */
double cli_now(void);
#endif
