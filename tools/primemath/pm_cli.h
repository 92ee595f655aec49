/* pm_cli.h — the primemath command line: subcommands and the helpers they share.
 * Every subcommand is `int pm_cmd_NAME(int argc, char **argv)` with argv[0] the subcommand name; it returns the
 * process exit code. Bad input goes through pm_cli_die: one line "primemath: error: ..." on stderr, exit 2. */
#ifndef PM_CLI_H
#define PM_CLI_H

#include <stdint.h>

int pm_cmd_count(int argc, char **argv);
int pm_cmd_nth(int argc, char **argv);
int pm_cmd_is_prime(int argc, char **argv);
int pm_cmd_factor(int argc, char **argv);
int pm_cmd_spiral(int argc, char **argv);

/* Prints "primemath: error: <message>" (one line) to stderr and exits with code. */
_Noreturn void pm_cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a 64-bit unsigned integer written as digits, 1e9 / 2.5e3 notation, powers (2^32) and sums, differences
 * and products of those (2^64-1, 3*10^6); the value must be an integer in [0, 2^64-1]. Returns 0 on success or -1
 * with a reason in *why (a static string). */
int pm_parse_u64(const char *text, uint64_t *out, const char **why);

/* pm_parse_u64 or die naming what: "primemath: error: <what> 'text': <why>". */
uint64_t pm_cli_u64(const char *text, const char *what);

#endif
