/* numbers.c — the number syntax of the command line: 1000000, 1e6, 2.5e3, 2^32, 2^64-1, 3*10^6.
 * A tiny recursive-descent parser over unsigned 64-bit integers; every operation checks for overflow, so a
 * number that does not fit is an error, never a silent wrap. */
#include "pm_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct parser {
    const char *p;   /* next character */
    const char *why; /* first error, static text */
} parser;

static int fail(parser *ps, const char *why) {
    if (!ps->why) ps->why = why;
    return -1;
}

/* Intermediate values are 128-bit so that 2^64-1 and 2^64-59 can be written; only the result must fit 64 bits. */
__extension__ typedef unsigned __int128 wide;

static int mul_ok(wide a, wide b, wide *r) { return !__builtin_mul_overflow(a, b, r); }

#define TOO_LARGE "too large (the limit is 2^64-1)"

/* digits [. digits] [e digits]: the decimal value must be a whole number */
static int parse_literal(parser *ps, wide *out) {
    if (*ps->p < '0' || *ps->p > '9') return fail(ps, "expected a number");
    wide mant = 0;
    int frac_digits = 0, seen_dot = 0;
    for (;; ps->p++) {
        char c = *ps->p;
        if (c == '.' && !seen_dot) { seen_dot = 1; continue; }
        if (c < '0' || c > '9') break;
        if (!mul_ok(mant, 10, &mant) || __builtin_add_overflow(mant, (wide)(c - '0'), &mant))
            return fail(ps, TOO_LARGE);
        frac_digits += seen_dot;
    }
    long exp10 = 0;
    if (*ps->p == 'e' || *ps->p == 'E') {
        ps->p++;
        if (*ps->p < '0' || *ps->p > '9') return fail(ps, "expected digits after 'e'");
        while (*ps->p >= '0' && *ps->p <= '9') {
            exp10 = exp10 * 10 + (*ps->p++ - '0');
            if (exp10 > 100) return fail(ps, TOO_LARGE);
        }
    }
    for (long e = exp10 - frac_digits; e < 0; e++) {
        if (mant % 10) return fail(ps, "not a whole number");
        mant /= 10;
    }
    for (long e = exp10 - frac_digits; e > 0; e--)
        if (mant && !mul_ok(mant, 10, &mant)) return fail(ps, TOO_LARGE);
    *out = mant;
    return 0;
}

/* literal [^ literal] */
static int parse_power(parser *ps, wide *out) {
    wide base, e;
    if (parse_literal(ps, &base)) return -1;
    if (*ps->p != '^') { *out = base; return 0; }
    ps->p++;
    if (parse_literal(ps, &e)) return -1;
    wide r = 1;
    for (wide i = 0; i < e && r != 0; i++) {
        if (base <= 1) { r = base == 0 ? 0 : 1; break; }
        if (!mul_ok(r, base, &r)) return fail(ps, TOO_LARGE);
    }
    if (e == 0) r = 1;
    *out = r;
    return 0;
}

/* power (* power)* */
static int parse_product(parser *ps, wide *out) {
    wide v, w;
    if (parse_power(ps, &v)) return -1;
    while (*ps->p == '*') {
        ps->p++;
        if (parse_power(ps, &w)) return -1;
        if (!mul_ok(v, w, &v)) return fail(ps, TOO_LARGE);
    }
    *out = v;
    return 0;
}

int pm_parse_u64(const char *text, uint64_t *out, const char **why) {
    parser ps = {text, NULL};
    wide v = 0, w;
    if (!text || !*text) { *why = "empty"; return -1; }
    if (*text == '-') { *why = "negative numbers are not allowed"; return -1; }
    if (parse_product(&ps, &v) == 0) {
        while (*ps.p == '+' || *ps.p == '-') {
            char op = *ps.p++;
            if (parse_product(&ps, &w)) break;
            if (op == '+' && __builtin_add_overflow(v, w, &v)) { fail(&ps, TOO_LARGE); break; }
            if (op == '-' && w > v) { fail(&ps, "the difference is negative"); break; }
            if (op == '-') v -= w;
        }
        if (!ps.why && *ps.p) fail(&ps, "unexpected characters (write e.g. 1000, 1e9, 2^32 or 2^64-1)");
    }
    if (!ps.why && v > UINT64_MAX) fail(&ps, TOO_LARGE);
    if (ps.why) { *why = ps.why; return -1; }
    *out = (uint64_t)v;
    return 0;
}

_Noreturn void pm_cli_die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("primemath: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

uint64_t pm_cli_u64(const char *text, const char *what) {
    uint64_t v;
    const char *why;
    if (pm_parse_u64(text, &v, &why)) pm_cli_die(2, "%s '%s': %s", what, text, why);
    return v;
}
