/* primes.c — primes in ranges, π(x), nth prime (primesieve); primality, factoring, gcd (FLINT).
 * Every argument is checked here first: primesieve prints to stderr on errors and FLINT aborts on some inputs,
 * and the library must do neither. */
#include "primemath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <flint/flint.h>
#include <flint/ulong_extras.h>
#include <primesieve.h>

int pm_set_threads(int threads, cllm_error *err) {
    if (threads < 0) return cllm_error_set(err, CLLM_ERR_ARG, "threads %d must be >= 0 (0 = all cores)", threads);
    /* primesieve treats any value < 1 as "all cores", which is what 0 means here */
    primesieve_set_num_threads(threads);
    return 0;
}

/* Walks the primes of [a, b] with an iterator; calls emit for each until it returns non-zero. */
static int walk_primes(uint64_t a, uint64_t b, int (*emit)(void *ctx, uint64_t p), void *ctx, cllm_error *err) {
    /* nothing to find past the last 64-bit prime, and asking primesieve would print an error */
    if (b > PM_MAX_PRIME64) b = PM_MAX_PRIME64;
    if (a > b) return 0;
    primesieve_iterator it;
    primesieve_init(&it);
    primesieve_jump_to(&it, a, b);
    int rc = 0;
    for (;;) {
        uint64_t p = primesieve_next_prime(&it);
        if (it.is_error) {
            rc = cllm_error_set(err, CLLM_ERR_ARG, "primes in [%llu, %llu]: primesieve failed",
                                (unsigned long long)a, (unsigned long long)b);
            break;
        }
        /* past the last 64-bit prime the iterator reports an error or wraps; both are caught here */
        if (p > b || p < a) break;
        if ((rc = emit(ctx, p))) break;
        if (p == PM_MAX_PRIME64) break;
    }
    primesieve_free_iterator(&it);
    return rc;
}

/* Where walked primes go: a caller's array of fixed capacity, or a malloc'd one that doubles as it fills. */
typedef struct prime_sink {
    uint64_t *out;
    size_t cap, n;
    int grow; /* 1: realloc when full; 0: stop with CLLM_ERR_ARG */
} prime_sink;

static int emit_prime(void *ctx, uint64_t p) {
    prime_sink *s = ctx;
    if (s->n == s->cap) {
        if (!s->grow) return CLLM_ERR_ARG;
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *nb = realloc(s->out, cap * sizeof *nb);
        if (!nb) return CLLM_ERR_NOMEM;
        s->out = nb;
        s->cap = cap;
    }
    s->out[s->n++] = p;
    return 0;
}

int pm_primes_range(uint64_t a, uint64_t b, uint64_t *out, size_t cap, size_t *count, cllm_error *err) {
    if (!count || (!out && cap > 0)) return cllm_error_set(err, CLLM_ERR_ARG, "pm_primes_range: NULL output");
    prime_sink s = {out, cap, 0, 0};
    int rc = walk_primes(a, b, emit_prime, &s, err);
    *count = s.n;
    if (rc == CLLM_ERR_ARG && s.n == cap)
        return cllm_error_set(err, CLLM_ERR_ARG, "[%llu, %llu] holds more than %zu primes; use a bigger array or "
                              "pm_primes_range_alloc", (unsigned long long)a, (unsigned long long)b, cap);
    return rc;
}

int pm_primes_range_alloc(uint64_t a, uint64_t b, uint64_t **out, size_t *count, cllm_error *err) {
    if (!out || !count) return cllm_error_set(err, CLLM_ERR_ARG, "pm_primes_range_alloc: NULL output");
    prime_sink s = {NULL, 0, 0, 1};
    int rc = walk_primes(a, b, emit_prime, &s, err);
    if (rc) {
        free(s.out);
        *out = NULL;
        *count = 0;
        if (rc == CLLM_ERR_NOMEM)
            cllm_error_set(err, rc, "primes in [%llu, %llu]: out of memory after %zu primes",
                           (unsigned long long)a, (unsigned long long)b, s.n);
        return rc;
    }
    *out = s.out;
    *count = s.n;
    return 0;
}

int pm_prime_count_range(uint64_t a, uint64_t b, uint64_t *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_prime_count_range: NULL output");
    *out = 0;
    if (a > b || b < 2) return 0;
    errno = 0;
    uint64_t n = primesieve_count_primes(a, b);
    if (n == PRIMESIEVE_ERROR && errno == EDOM)
        return cllm_error_set(err, CLLM_ERR_ARG, "counting primes in [%llu, %llu] failed in primesieve",
                              (unsigned long long)a, (unsigned long long)b);
    *out = n;
    return 0;
}

int pm_prime_count(uint64_t x, uint64_t *out, cllm_error *err) { return pm_prime_count_range(0, x, out, err); }

int pm_nth_prime(uint64_t k, uint64_t *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_nth_prime: NULL output");
    if (k == 0) return cllm_error_set(err, CLLM_ERR_ARG, "nth prime: k must be >= 1 (p_1 = 2)");
    if (k > PM_PRIME_COUNT64)
        return cllm_error_set(err, CLLM_ERR_ARG, "nth prime: k = %llu is beyond the %llu primes below 2^64",
                              (unsigned long long)k, (unsigned long long)PM_PRIME_COUNT64);
    errno = 0;
    uint64_t p = primesieve_nth_prime((int64_t)k, 0);
    if (p == PRIMESIEVE_ERROR && errno == EDOM)
        return cllm_error_set(err, CLLM_ERR_ARG, "nth prime %llu: primesieve failed", (unsigned long long)k);
    *out = p;
    return 0;
}

int pm_is_prime(uint64_t n) { return n < 2 ? 0 : n_is_prime(n); }

int pm_next_prime(uint64_t n, uint64_t *out, cllm_error *err) {
    if (n >= PM_MAX_PRIME64)
        return cllm_error_set(err, CLLM_ERR_ARG, "no 64-bit prime is larger than %llu", (unsigned long long)n);
    *out = n_nextprime(n, 1); /* proved; FLINT aborts only past the largest 64-bit prime, excluded above */
    return 0;
}

int pm_prev_prime(uint64_t n, uint64_t *out, cllm_error *err) {
    if (n <= 2) return cllm_error_set(err, CLLM_ERR_ARG, "no prime is smaller than %llu", (unsigned long long)n);
    /* 64-bit prime gaps are below 1600, so this walks at most ~800 odd numbers */
    uint64_t p = n - 1;
    if (p > 2 && p % 2 == 0) p--;
    while (!pm_is_prime(p)) p -= 2;
    *out = p;
    return 0;
}

uint64_t pm_gcd(uint64_t a, uint64_t b) {
    /* older FLINT documents n_gcd for x >= y only; order the pair so either contract holds */
    if (a < b) { uint64_t t = a; a = b; b = t; }
    return b == 0 ? a : n_gcd(a, b);
}

int pm_factor(uint64_t n, pm_factorization *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_factor: NULL output");
    memset(out, 0, sizeof *out);
    if (n == 0) return cllm_error_set(err, CLLM_ERR_ARG, "factor: 0 has no prime factorization");
    if (n == 1) return 0;
    n_factor_t f;
    n_factor_init(&f);
    n_factor(&f, n, 1);
    /* FLINT lists factors in the order found; sort ascending (at most 15, insertion sort) */
    for (int i = 0; i < f.num; i++) {
        int j = i;
        while (j > 0 && out->prime[j - 1] > f.p[i]) {
            out->prime[j] = out->prime[j - 1];
            out->exponent[j] = out->exponent[j - 1];
            j--;
        }
        out->prime[j] = f.p[i];
        out->exponent[j] = (unsigned)f.exp[i];
    }
    out->count = f.num;
    return 0;
}
