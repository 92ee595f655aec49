/* test_primes.c — π(x), nth prime, ranges, primality, factoring and gcd against values from the literature and
 * against independent trial division; bad arguments give errors, not aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primemath.h"
#include "support.h"

/* Trial division: slow and obviously right, the independent reference for small n. */
static int slow_is_prime(uint64_t n) {
    if (n < 2) return 0;
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

static void test_pi_powers_of_ten(void **state) {
    (void)state;
    /* π(10^k), k = 1..12 (OEIS A006880). 10^11 and 10^12 take seconds to a minute on 2 cores: PM_TEST_FULL=1. */
    static const uint64_t pi10[] = {4, 25, 168, 1229, 9592, 78498, 664579, 5761455, 50847534, 455052511,
                                    4118054813ULL, 37607912018ULL};
    int kmax = getenv("PM_TEST_FULL") ? 12 : 10;
    uint64_t x = 1, v;
    cllm_error err = {0};
    for (int k = 1; k <= kmax; k++) {
        x *= 10;
        assert_int_equal(pm_prime_count(x, &v, &err), 0);
        assert_int_equal(v, pi10[k - 1]);
    }
    if (kmax < 12) printf("note: π(10^11), π(10^12) checked only with PM_TEST_FULL=1\n");
}

static void test_pi_ranges(void **state) {
    (void)state;
    uint64_t v, a, b;
    assert_int_equal(pm_prime_count(0, &v, NULL), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pm_prime_count(1, &v, NULL), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pm_prime_count(2, &v, NULL), 0);
    assert_int_equal(v, 1);
    assert_int_equal(pm_prime_count_range(10, 100, &v, NULL), 0);
    assert_int_equal(v, 21);
    assert_int_equal(pm_prime_count_range(100, 10, &v, NULL), 0); /* empty, not an error */
    assert_int_equal(v, 0);
    /* π over [a, b] = π(b) − π(a−1), around 10^9 */
    assert_int_equal(pm_prime_count_range(999000000, 1000000000, &v, NULL), 0);
    assert_int_equal(pm_prime_count(999000000 - 1, &a, NULL), 0);
    assert_int_equal(pm_prime_count(1000000000, &b, NULL), 0);
    assert_int_equal(v, b - a);
    /* the top of the 64-bit range: primesieve's count agrees with FLINT's primality test; 2^64-59 is the last */
    uint64_t by_test = 0;
    for (uint64_t n = UINT64_MAX - 999; n != 0; n++) by_test += (uint64_t)pm_is_prime(n);
    assert_int_equal(pm_prime_count_range(UINT64_MAX - 999, UINT64_MAX, &v, NULL), 0);
    assert_int_equal(v, by_test);
    assert_true(v >= 3); /* 2^64-95, 2^64-83, 2^64-59 at least */
    assert_int_equal(pm_prime_count_range(PM_MAX_PRIME64 + 1, UINT64_MAX, &v, NULL), 0);
    assert_int_equal(v, 0);
}

static void test_nth_prime(void **state) {
    (void)state;
    static const struct { uint64_t k, p; } known[] = {
        {1, 2}, {2, 3}, {3, 5}, {25, 97}, {168, 997}, {1000, 7919}, {1000000, 15485863},
        {100000000, 2038074743ULL},
    };
    cllm_error err = {0};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        uint64_t p;
        assert_int_equal(pm_nth_prime(known[i].k, &p, &err), 0);
        assert_int_equal(p, known[i].p);
    }
    uint64_t p = 7;
    assert_int_equal(pm_nth_prime(0, &p, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, ">= 1"));
    assert_int_equal(pm_nth_prime(PM_PRIME_COUNT64 + 1, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(p, 7); /* untouched on error */
    assert_int_equal(pm_rank_prime(0, &p, &err), 0);
    assert_int_equal(p, 2);
    assert_int_equal(pm_rank_prime(999, &p, &err), 0);
    assert_int_equal(p, 7919);
}

static void test_ranges_match_trial_division(void **state) {
    (void)state;
    uint64_t buf[200];
    size_t n;
    cllm_error err = {0};
    assert_int_equal(pm_primes_range(0, 1000, buf, 200, &n, &err), 0);
    assert_int_equal(n, 168);
    size_t j = 0;
    for (uint64_t m = 0; m <= 1000; m++)
        if (slow_is_prime(m)) assert_int_equal(buf[j++], m);
    assert_int_equal(j, 168);
    /* too small an array is an error that says so, and the array holds the first primes */
    assert_int_equal(pm_primes_range(0, 1000, buf, 10, &n, &err), CLLM_ERR_ARG);
    assert_int_equal(n, 10);
    assert_int_equal(buf[9], 29);
    assert_non_null(strstr(err.msg, "more than 10"));
    /* malloc'd variant over a window far from 0 */
    uint64_t *p = NULL, lo = 1000000000000ULL, hi = lo + 20000;
    assert_int_equal(pm_primes_range_alloc(lo, hi, &p, &n, &err), 0);
    uint64_t c;
    assert_int_equal(pm_prime_count_range(lo, hi, &c, &err), 0);
    assert_int_equal(n, c);
    for (size_t i = 0; i < n; i++) {
        assert_true(p[i] >= lo && p[i] <= hi);
        assert_true(slow_is_prime(p[i]));
        if (i) assert_true(p[i] > p[i - 1]);
    }
    free(p);
    /* the top: the walk stops at 2^64-59 without primesieve printing an error */
    assert_int_equal(pm_primes_range(UINT64_MAX - 100, UINT64_MAX, buf, 200, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(buf[0], UINT64_MAX - 94);
    assert_int_equal(buf[1], UINT64_MAX - 82);
    assert_int_equal(buf[2], PM_MAX_PRIME64);
    assert_int_equal(pm_primes_range(PM_MAX_PRIME64 + 1, UINT64_MAX, buf, 200, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pm_primes_range_alloc(20, 22, &p, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(p);
    uint64_t r[6];
    assert_int_equal(pm_rank_primes(6, r, &err), 0);
    assert_int_equal(r[5], 13);
}

static void test_is_prime(void **state) {
    (void)state;
    for (uint64_t n = 0; n < 20000; n++) assert_int_equal(pm_is_prime(n), slow_is_prime(n));
    /* Carmichael numbers fool Fermat tests; the last two are 3-factor Carmichael numbers near 2^62 and 2^63 */
    static const uint64_t carmichael[] = {561, 1105, 1729, 2465, 2821, 6601, 8911, 3825123056546413051ULL,
                                          10345637057649571009ULL /* 1199137 · 2398273 · 3597409 */};
    for (size_t i = 0; i < sizeof carmichael / sizeof carmichael[0]; i++) assert_int_equal(pm_is_prime(carmichael[i]), 0);
    assert_int_equal(3825123056546413051ULL, 149491ULL * 747451ULL * 34233211ULL);
    assert_int_equal(pm_is_prime(PM_MAX_PRIME64), 1); /* 2^64 − 59 */
    for (uint64_t n = PM_MAX_PRIME64 + 1; n != 0; n++) assert_int_equal(pm_is_prime(n), 0);
    assert_int_equal(pm_is_prime(UINT64_C(4294967291)), 1);   /* largest prime < 2^32 */
    assert_int_equal(pm_is_prime(UINT64_C(4294967297)), 0);   /* F5 = 641 · 6700417 */
    assert_int_equal(pm_is_prime((1ULL << 61) - 1), 1);        /* Mersenne M61 */
}

static void check_factor(uint64_t n, int count, const uint64_t *primes, const unsigned *exps) {
    pm_factorization f;
    cllm_error err = {0};
    assert_int_equal(pm_factor(n, &f, &err), 0);
    assert_int_equal(f.count, count);
    for (int i = 0; i < count; i++) {
        assert_int_equal(f.prime[i], primes[i]);
        assert_int_equal(f.exponent[i], exps[i]);
    }
}

static void test_factor(void **state) {
    (void)state;
    check_factor(1, 0, NULL, NULL);
    check_factor(UINT64_MAX, 7, (uint64_t[]){3, 5, 17, 257, 641, 65537, 6700417}, (unsigned[]){1, 1, 1, 1, 1, 1, 1});
    check_factor(PM_MAX_PRIME64, 1, (uint64_t[]){PM_MAX_PRIME64}, (unsigned[]){1});
    check_factor(1ULL << 63, 1, (uint64_t[]){2}, (unsigned[]){63});
    check_factor(3825123056546413051ULL, 3, (uint64_t[]){149491, 747451, 34233211}, (unsigned[]){1, 1, 1});
    check_factor(720720, 6, (uint64_t[]){2, 3, 5, 7, 11, 13}, (unsigned[]){4, 2, 1, 1, 1, 1});
    /* a semiprime of two 32-bit primes: the hard case for trial division */
    check_factor(UINT64_C(4294967291) * UINT64_C(4294967279), 2, (uint64_t[]){4294967279ULL, 4294967291ULL},
                 (unsigned[]){1, 1});
    /* product of the first 15 primes: the most distinct factors a 64-bit number has */
    check_factor(614889782588491410ULL, 15,
                 (uint64_t[]){2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47},
                 (unsigned[]){1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    /* every n below 5000: the product rebuilds n, and every factor is prime */
    for (uint64_t n = 1; n < 5000; n++) {
        pm_factorization f;
        assert_int_equal(pm_factor(n, &f, NULL), 0);
        uint64_t prod = 1;
        for (int i = 0; i < f.count; i++) {
            assert_true(slow_is_prime(f.prime[i]));
            for (unsigned e = 0; e < f.exponent[i]; e++) prod *= f.prime[i];
        }
        assert_int_equal(prod, n);
    }
    pm_factorization f;
    cllm_error err = {0};
    assert_int_equal(pm_factor(0, &f, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "0"));
}

static void test_gcd(void **state) {
    (void)state;
    assert_int_equal(pm_gcd(0, 0), 0);
    assert_int_equal(pm_gcd(0, 7), 7);
    assert_int_equal(pm_gcd(7, 0), 7);
    assert_int_equal(pm_gcd(12, 18), 6);
    assert_int_equal(pm_gcd(18, 12), 6);
    assert_int_equal(pm_gcd(UINT64_MAX, 6700417ULL * 641), 6700417ULL * 641);
    assert_int_equal(pm_gcd(PM_MAX_PRIME64, UINT64_MAX), 1);
    uint64_t s = 1;
    for (int i = 0; i < 1000; i++) {
        uint64_t a = test_rand(&s) >> (test_rand(&s) % 60), b = test_rand(&s) >> (test_rand(&s) % 60), x = a, y = b;
        while (y) { uint64_t t = x % y; x = y; y = t; } /* Euclid, the reference */
        assert_int_equal(pm_gcd(a, b), x);
    }
}

static void test_bad_arguments(void **state) {
    (void)state;
    cllm_error err = {0};
    assert_int_equal(pm_set_threads(-1, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_set_threads(0, &err), 0);
    assert_int_equal(pm_prime_count(10, NULL, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_primes_range(0, 10, NULL, 5, NULL, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_factor(10, NULL, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_rank_prime(PM_PRIME_COUNT64, (uint64_t[1]){0}, &err), CLLM_ERR_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pi_powers_of_ten), cmocka_unit_test(test_pi_ranges),
        cmocka_unit_test(test_nth_prime),        cmocka_unit_test(test_ranges_match_trial_division),
        cmocka_unit_test(test_is_prime),         cmocka_unit_test(test_factor),
        cmocka_unit_test(test_gcd),              cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
