/* test_prime_table.c — the prime-distance option's table (libprimemath's test, not trial division): over
 * [0, 1000) it marks exactly the primes, checked against a sieve written here. */
#include <string.h>

#include "model/internal.h"
#include "support.h"

static void test_marks_exactly_the_primes(void **state) {
    (void)state;
    enum { N = 1000 };
    uint8_t table[N], sieve[N];
    memset(sieve, 1, sizeof sieve);
    sieve[0] = sieve[1] = 0;
    for (int p = 2; p * p < N; p++)
        if (sieve[p])
            for (int k = p * p; k < N; k += p) sieve[k] = 0;
    memset(table, 7, sizeof table);
    cllm_prime_table(table, N);
    int count = 0;
    for (int d = 0; d < N; d++) {
        assert_int_equal(table[d], sieve[d]);
        count += table[d];
    }
    assert_int_equal(count, 168); /* π(1000) */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_marks_exactly_the_primes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
