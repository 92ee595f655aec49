/* args.c — the flag parser shared by the subcommands: --flag value, --flag=value, checked ranges. */
#include "cli.h"
#ifdef CLLM_MPI
#include "comm_mpi.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void cli_die(int code, const char *fmt, ...) {
    /* A message quotes flag values, file names and library messages; it goes through the library's one escaping
     * path (cllm_error_set) so that a value holding a newline or an ESC sequence still prints as one plain line. */
    char raw[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    cllm_error line;
    cllm_error_set(&line, code, "%s", raw);
#ifdef CLLM_MPI
    /* One rank failing ends the whole job (the others would wait for it forever); the line names the rank. */
    int rank, size;
    if (cli_mpi_world(&rank, &size) && size > 1) {
        fprintf(stderr, "cllm: rank %d of %d: error: %s\n", rank, size, line.msg);
        cli_mpi_abort(code);
    }
#endif
    fprintf(stderr, "cllm: error: %s\n", line.msg);
    exit(code);
}


static const cli_opt *find_opt(const cli_opt *opts, int nopts, const char *name, size_t len) {
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

static void set_value(const char *cmd, const cli_opt *o, const char *val) {
    char *end = NULL;
    errno = 0;
    if (o->kind == OPT_INT) {
        long v = strtol(val, &end, 10);
        if (errno || end == val || *end)
            cli_die(2, "%s: --%s expects an integer, got '%s'", cmd, o->name, val);
        if ((o->lo != 0 || o->hi != 0) && (v < o->lo || v > o->hi))
            cli_die(2, "%s: --%s %ld is out of range [%.0f, %.0f]", cmd, o->name, v, o->lo, o->hi);
        *(long *)o->dst = v;
    } else if (o->kind == OPT_FLOAT) {
        double v = strtod(val, &end);
        if (errno || end == val || *end || !isfinite(v))
            cli_die(2, "%s: --%s expects a number, got '%s'", cmd, o->name, val);
        if ((o->lo != 0 || o->hi != 0) && (v < o->lo || v > o->hi))
            cli_die(2, "%s: --%s %g is out of range [%g, %g]", cmd, o->name, v, o->lo, o->hi);
        *(double *)o->dst = v;
    } else {
        *(const char **)o->dst = val;
    }
}

void cli_parse(int argc, char **argv, const cli_opt *opts, int nopts, const char *usage) {
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0)
            cli_die(2, "%s: unexpected argument '%s' (flags start with --; see 'cllm %s --help')", cmd, a, cmd);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *o = find_opt(opts, nopts, name, len);
        if (!o) cli_die(2, "%s: unknown flag '--%.*s' (see 'cllm %s --help')", cmd, (int)len, name, cmd);
        if (o->seen) *o->seen = 1;
        if (o->kind == OPT_FLAG) {
            if (eq) cli_die(2, "%s: --%s takes no value", cmd, o->name);
            *(int *)o->dst = 1;
        } else if (o->kind == OPT_LIST) {
            cli_list *l = o->dst;
            if (eq) { l->items = &argv[i]; argv[i] = (char *)eq + 1; l->n = 1; }
            else { l->items = &argv[i + 1]; l->n = 0; }
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) { i++; l->n++; }
            if (l->n == 0) cli_die(2, "%s: --%s needs at least one value", cmd, o->name);
        } else {
            const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) cli_die(2, "%s: --%s needs a value", cmd, o->name);
            set_value(cmd, o, val);
        }
    }
}

int cli_positionals(int *argc, char **argv, const cli_opt *opts, int nopts, char ***pos, int *npos) {
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
