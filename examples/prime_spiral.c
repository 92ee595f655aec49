/* prime_spiral.c — a program outside the tree using libprimemath: the primes below 50 and where each sits on the
 * Ulam spiral. Build against an installed libprimemath:
 *     cc prime_spiral.c $(pkg-config --cflags --libs primemath) -o prime_spiral && ./prime_spiral
 * Exits 1 if a known answer is wrong: 15 primes below 50, the 10th prime 29, 13 at (2, 2). */
#include <stdio.h>

#include "primemath.h"

int main(void) {
    cllm_error err = {0};
    uint64_t primes[32], tenth = 0;
    size_t count = 0;
    int64_t x13 = 0, y13 = 0;
    if (pm_primes_range(0, 50, primes, 32, &count, &err) || pm_nth_prime(10, &tenth, &err) ||
        pm_ulam_xy(13, &x13, &y13, &err)) {
        fprintf(stderr, "prime_spiral: %s\n", err.msg);
        return 1;
    }
    printf("libprimemath %s: %zu primes below 50 on the Ulam spiral:", pm_version(), count);
    for (size_t i = 0; i < count; i++) {
        int64_t x, y;
        pm_ulam_xy(primes[i], &x, &y, NULL);
        printf(" %llu(%lld,%lld)", (unsigned long long)primes[i], (long long)x, (long long)y);
    }
    printf("\n10th prime %llu\n", (unsigned long long)tenth);
    return count == 15 && tenth == 29 && x13 == 2 && y13 == 2 ? 0 : 1;
}
