/* test_next_prime.c — next and previous prime against a sieve below 10^5, at the 64-bit ends, and bad input. */
#include <stdlib.h>

#include "primemath.h"
#include "support.h"

static void test_against_sieve(void **state) {
    (void)state;
    enum { N = 100000 };
    unsigned char *composite = calloc(N + 1, 1);
    for (int i = 2; i * i <= N; i++)
        if (!composite[i]) for (int j = i * i; j <= N; j += i) composite[j] = 1;
    uint64_t prev = 0; /* the largest prime seen so far */
    for (uint64_t n = 2; n < 99000; n++) {
        uint64_t next, before;
        assert_int_equal(pm_next_prime(n, &next, NULL), 0);
        uint64_t want = n + 1;
        while (composite[want]) want++;
        assert_int_equal(next, want);
        if (n > 2) {
            assert_int_equal(pm_prev_prime(n, &before, NULL), 0);
            assert_int_equal(before, prev);
        }
        if (!composite[n]) prev = n;
    }
    free(composite);
}

static void test_ends(void **state) {
    (void)state;
    uint64_t p;
    cllm_error err = {0};
    assert_int_equal(pm_next_prime(0, &p, NULL), 0);
    assert_int_equal(p, 2);
    assert_int_equal(pm_next_prime(PM_MAX_PRIME64 - 1, &p, NULL), 0);
    assert_true(p == PM_MAX_PRIME64);
    assert_int_equal(pm_next_prime(PM_MAX_PRIME64, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_next_prime(UINT64_MAX, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_prev_prime(UINT64_MAX, &p, NULL), 0);
    assert_true(p == PM_MAX_PRIME64);
    assert_int_equal(pm_prev_prime(3, &p, NULL), 0);
    assert_int_equal(p, 2);
    assert_int_equal(pm_prev_prime(2, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_prev_prime(0, &p, &err), CLLM_ERR_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_sieve), cmocka_unit_test(test_ends)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
