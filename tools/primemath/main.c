/* main.c — `primemath`: count, nth, is-prime, factor, spiral. A small dispatcher and the number subcommands;
 * the spiral renderer lives in spiral_png.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pm_cli.h"
#include "primemath.h"

static const char usage[] =
    "usage: primemath COMMAND [ARGS]   (primemath --version)\n"
    "  count N [--threads T]        π(N), the number of primes <= N\n"
    "  count A B [--threads T]      the number of primes in [A, B]\n"
    "  nth K [--threads T]          the K-th prime (nth 1 = 2)\n"
    "  is-prime N...                'N is prime' (exit 0) or 'N is not prime' (exit 1)\n"
    "  factor N...                  prime factors, as GNU factor prints them: 'N: p p q'\n"
    "  spiral --kind ulam|clock|golden --size S --out FILE.png [--n N]\n"
    "                               draw a spiral of 1..N with the primes lit\n"
    "Numbers may be written 1000000, 1e6, 2.5e3, 2^32, 2^64-1 or 3*10^6.\n"
    "--threads 0 (the default) uses every core, as the primesieve command does.\n";

/* Splits argv into positional numbers and the --threads flag shared by count and nth. */
static int take_threads(int *argc, char **argv) {
    int threads = 0, out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (strcmp(a, "--threads") == 0 || strcmp(a, "-t") == 0) {
            if (i + 1 >= *argc) pm_cli_die(2, "%s: %s needs a value (a thread count; 0 = all cores)", argv[0], a);
            val = argv[++i];
        } else if (strncmp(a, "--threads=", 10) == 0) {
            val = a + 10;
        } else if (a[0] == '-' && a[1] != 0) {
            pm_cli_die(2, "%s: unknown flag '%s' (see 'primemath --help')", argv[0], a);
        } else {
            argv[out++] = argv[i];
            continue;
        }
        uint64_t t = pm_cli_u64(val, "--threads");
        if (t > 1024) pm_cli_die(2, "%s: --threads %s is more than 1024", argv[0], val);
        threads = (int)t;
    }
    *argc = out;
    return threads;
}

int pm_cmd_count(int argc, char **argv) {
    int threads = take_threads(&argc, argv);
    if (argc != 2 && argc != 3) pm_cli_die(2, "count: expected N or A B (e.g. 'primemath count 1e9')");
    cllm_error err = {0};
    uint64_t a = argc == 3 ? pm_cli_u64(argv[1], "count: start") : 0;
    uint64_t b = pm_cli_u64(argv[argc - 1], argc == 3 ? "count: stop" : "count: N");
    uint64_t n;
    if (pm_set_threads(threads, &err) || pm_prime_count_range(a, b, &n, &err)) pm_cli_die(2, "count: %s", err.msg);
    printf("%llu\n", (unsigned long long)n);
    return 0;
}

int pm_cmd_nth(int argc, char **argv) {
    int threads = take_threads(&argc, argv);
    if (argc != 2) pm_cli_die(2, "nth: expected one K (e.g. 'primemath nth 1e6')");
    cllm_error err = {0};
    uint64_t k = pm_cli_u64(argv[1], "nth: K"), p;
    if (pm_set_threads(threads, &err) || pm_nth_prime(k, &p, &err)) pm_cli_die(2, "%s", err.msg);
    printf("%llu\n", (unsigned long long)p);
    return 0;
}

int pm_cmd_is_prime(int argc, char **argv) {
    if (argc < 2) pm_cli_die(2, "is-prime: expected at least one N (e.g. 'primemath is-prime 2^61-1')");
    int all = 1;
    for (int i = 1; i < argc; i++) {
        uint64_t n = pm_cli_u64(argv[i], "is-prime: N");
        int p = pm_is_prime(n);
        printf("%llu is %s\n", (unsigned long long)n, p ? "prime" : "not prime");
        all &= p;
    }
    return all ? 0 : 1;
}

int pm_cmd_factor(int argc, char **argv) {
    if (argc < 2) pm_cli_die(2, "factor: expected at least one N (e.g. 'primemath factor 2^64-1')");
    for (int i = 1; i < argc; i++) {
        uint64_t n = pm_cli_u64(argv[i], "factor: N");
        printf("%llu:", (unsigned long long)n);
        pm_factorization f;
        /* GNU factor prints "0:" and "1:" with no factors; pm_factor refuses 0, so it is not asked */
        if (n > 0 && pm_factor(n, &f, NULL) == 0)
            for (int j = 0; j < f.count; j++)
                for (unsigned e = 0; e < f.exponent[j]; e++) printf(" %llu", (unsigned long long)f.prime[j]);
        putchar('\n');
    }
    return 0;
}

static const struct { const char *name; int (*fn)(int, char **); } commands[] = {
    {"count", pm_cmd_count}, {"nth", pm_cmd_nth}, {"is-prime", pm_cmd_is_prime},
    {"factor", pm_cmd_factor}, {"spiral", pm_cmd_spiral},
};

int main(int argc, char **argv) {
    if (argc < 2) pm_cli_die(2, "no command given (try 'primemath --help')");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("primemath %s\n", pm_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            for (int j = 2; j < argc; j++)
                if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
                    fputs(usage, stdout);
                    return 0;
                }
            int rc = commands[i].fn(argc - 1, argv + 1);
            if (fflush(stdout) != 0) pm_cli_die(2, "cannot write the output (is the disk full or the pipe closed?)");
            return rc;
        }
    pm_cli_die(2, "unknown command '%s' (expected count, nth, is-prime, factor or spiral; see --help)", argv[1]);
}
