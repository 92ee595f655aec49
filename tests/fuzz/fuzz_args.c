/* fuzz_args.c — the CLI flag parser over arbitrary argument vectors (the input split at NUL bytes). A bad flag
 * must end in exit(2) with one line, never a crash; exit is caught here (link with -Wl,--wrap=exit). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"

static jmp_buf exited;
static int exit_code, parsing; /* parsing: exit comes back here; otherwise (libFuzzer's own exit) it is real */

_Noreturn void __real_exit(int code);
_Noreturn void __wrap_exit(int code);
_Noreturn void __wrap_exit(int code) {
    if (!parsing) __real_exit(code);
    exit_code = code;
    longjmp(exited, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static FILE *null_out;
    if (!null_out) {
        null_out = fopen("/dev/null", "w");
        if (null_out) { fflush(stderr); stderr = null_out; stdout = null_out; } /* keep the fuzzer's log readable */
    }
    char *copy = malloc(size + 1), *argv[66] = {"fuzz"};
    if (!copy) abort();
    memcpy(copy, data, size);
    copy[size] = 0;
    int argc = 1;
    for (char *p = copy; argc < 65 && p <= copy + size; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;
    static long steps, seed;
    static double lr;
    static const char *out;
    static int resume, seen_lr;
    static cli_list data_list;
    steps = seed = 0; lr = 0; out = NULL; resume = seen_lr = 0; data_list = (cli_list){0};
    const cli_opt opts[] = {
        {"steps", OPT_INT, &steps, 1, 1e9, NULL},    {"seed", OPT_INT, &seed, 0, 0, NULL},
        {"lr", OPT_FLOAT, &lr, 0, 10, &seen_lr},     {"out", OPT_STR, &out, 0, 0, NULL},
        {"resume", OPT_FLAG, &resume, 0, 0, NULL},   {"data", OPT_LIST, &data_list, 0, 0, NULL},
    };
    int n = (int)(sizeof opts / sizeof *opts);
    static char **pos; /* static: kept across the longjmp */
    static int npos;
    pos = NULL;
    exit_code = -1;
    parsing = 1;
    if (setjmp(exited) == 0) {
        if (cli_positionals(&argc, argv, opts, n, &pos, &npos) == 0) {
            cli_parse(argc, argv, opts, n, "usage: fuzz [flags]");
            if (steps < 0 || steps > 1000000000 || (seen_lr && !(lr >= 0 && lr <= 10))) abort();
            for (int i = 0; i < data_list.n; i++)
                if (!data_list.items[i]) abort();
        }
    } else if (exit_code != 0 && exit_code != 2) {
        abort();
    }
    parsing = 0;
    free(pos);
    free(copy);
    return 0;
}
