/* mix.h — splitmix64, the one 64-bit mixer of the tree: the PRNG's seeder (rng.c), the batch loader's offsets, the
 * train/val split's per-document draw, the tokenizer's pair-table slots. Header-only so hot loops inline it. */
#ifndef CLLM_MIX_H
#define CLLM_MIX_H

#include <stdint.h>

/* splitmix64's output function: a bijection of 64-bit words whose every output bit depends on every input bit. */
static inline uint64_t cllm_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* splitmix64: advances *state by the golden-ratio step and returns the mixed state (full period 2^64). */
static inline uint64_t cllm_splitmix64(uint64_t *state) { return cllm_mix64(*state += 0x9E3779B97F4A7C15ull); }

#endif
