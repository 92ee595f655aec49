/* cmd_plot.c — `cllm plot RUN_DIR --out curve.png`: a run's loss curves (training and validation, against steps
 * and against minutes) as a PNG, drawn by the same code as hyper_prime_spiral's training tab (src/plot). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cllm_runlog.h"
#include "plot.h"

/* Read by LeakSanitizer in sanitizer builds: fontconfig (loaded by cairo for the labels) keeps a process-long cache. */
const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n"; /* visible: the sanitizer runtime looks it up dynamically */
}

static const char usage[] =
    "usage: cllm plot RUN_DIR|LOG.jsonl --out FILE.png [--width W] [--height H] [--title TEXT]\n"
    "Draws the run's training loss and validation loss against steps (left) and minutes (right; summed over\n"
    "resumes) from its log.jsonl, and writes the PNG atomically. Default size 1000x380.\n";

int cmd_plot(int argc, char **argv) {
    const char *out = NULL, *title = NULL;
    long width = 1000, height = 380;
    cli_opt opts[] = {
        {"out", OPT_STR, &out, 0, 0, NULL},
        {"width", OPT_INT, &width, 100, 8000, NULL},
        {"height", OPT_INT, &height, 80, 8000, NULL},
        {"title", OPT_STR, &title, 0, 0, NULL},
    };
    int nopts = (int)(sizeof opts / sizeof *opts), npos = 0;
    char **pos = NULL;
    if (cli_positionals(&argc, argv, opts, nopts, &pos, &npos)) cli_die(2, "plot: out of memory");
    cli_parse(argc, argv, opts, nopts, usage);
    if (npos != 1) cli_die(2, "plot: give one RUN_DIR (or log.jsonl); see 'cllm plot --help'");
    if (!out) cli_die(2, "plot: --out FILE.png is required");
    cllm_runlog log = {0};
    cllm_error err = {0};
    if (cllm_runlog_read(pos[0], &log, &err)) cli_die(2, "plot: %s", err.msg);
    if (cllm_plot_png(&log, out, (int)width, (int)height, title ? title : pos[0], &err)) cli_die(2, "plot: %s", err.msg);
    fprintf(stderr, "plot: %zu training and %zu validation points → %s\n", log.n_train, log.n_val, out);
    cllm_runlog_free(&log);
    free(pos);
    return 0;
}
