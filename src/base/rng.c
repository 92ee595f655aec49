/* rng.c — xoshiro256** seeded by splitmix64: fast, small state, identical on every platform. */
#include <math.h>

#include "base/mix.h"
#include "cllm.h"

void cllm_rng_seed(cllm_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = cllm_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cllm_rng_next(cllm_rng *r) {
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cllm_rng_uniform(cllm_rng *r) { return (double)(cllm_rng_next(r) >> 11) * 0x1.0p-53; }

double cllm_rng_normal(cllm_rng *r) {
    double u1 = cllm_rng_uniform(r), u2 = cllm_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
