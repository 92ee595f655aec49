/* data_loader.c — training batches at seeded random offsets, and consecutive windows for evaluation.
 *
 * Why random offsets rather than an epoch permutation: the state stays three integers however large the corpus
 * (a permutation of windows would need memory proportional to the corpus, or a bijective hash), every token is
 * equally likely to be drawn, and resuming is exact: the next offset depends only on the rng state. */
#include "cllm_data.h"
#include "base/mix.h"

#include <stdlib.h>

struct cllm_loader {
    const cllm_shards *shards; /* borrowed */
    int B, T;
    uint64_t span;             /* number of valid start offsets: count - T */
    cllm_loader_state st;
    int32_t *window;           /* T+1 ids, reused for every row */
};

/* Uniform in [0, n) from splitmix64 (one 64-bit state, full period, good enough statistics for choosing offsets)
 * by the multiply-high method (bias below 2^-64 * n, irrelevant here). */
static uint64_t below(uint64_t *s, uint64_t n) {
    return (uint64_t)(((unsigned __int128)cllm_splitmix64(s) * n) >> 64);
}

cllm_loader *cllm_loader_new(const cllm_shards *s, int B, int T, uint64_t seed, cllm_error *err) {
    if (B <= 0 || T <= 0) {
        cllm_error_set(err, CLLM_ERR_ARG, "loader: batch %d x %d must be positive", B, T);
        return NULL;
    }
    uint64_t count = cllm_shards_count(s);
    if (count < (uint64_t)T + 1) {
        cllm_error_set(err, CLLM_ERR_ARG, "loader: the shards hold %llu tokens, one window needs %d; use more "
                       "text or a shorter context", (unsigned long long)count, T + 1);
        return NULL;
    }
    cllm_loader *ld = calloc(1, sizeof *ld);
    if (!ld || !(ld->window = malloc(((size_t)T + 1) * sizeof *ld->window))) {
        free(ld);
        cllm_error_set(err, CLLM_ERR_NOMEM, "loader: out of memory");
        return NULL;
    }
    ld->shards = s;
    ld->B = B;
    ld->T = T;
    ld->span = count - (uint64_t)T;
    ld->st.seed = seed;
    ld->st.rng = seed;
    return ld;
}

void cllm_loader_free(cllm_loader *ld) {
    if (!ld) return;
    free(ld->window);
    free(ld);
}

/* Row = window[0..T-1], targets = window[1..T]. */
static void split_window(const int32_t *window, int T, int32_t *inputs, int32_t *targets) {
    for (int t = 0; t < T; t++) {
        inputs[t] = window[t];
        targets[t] = window[t + 1];
    }
}

void cllm_loader_next(cllm_loader *ld, int32_t *inputs, int32_t *targets) {
    int T = ld->T;
    for (int b = 0; b < ld->B; b++) {
        uint64_t off = below(&ld->st.rng, ld->span);
        cllm_shards_read(ld->shards, off, ld->window, (size_t)T + 1);
        split_window(ld->window, T, inputs + (size_t)b * T, targets + (size_t)b * T);
    }
    ld->st.batches++;
}

cllm_loader_state cllm_loader_get_state(const cllm_loader *ld) { return ld->st; }

int cllm_loader_set_state(cllm_loader *ld, cllm_loader_state st, cllm_error *err) {
    if (st.seed != ld->st.seed)
        return cllm_error_set(err, CLLM_ERR_STATE, "loader: saved state was made with seed %llu, this loader has "
                              "seed %llu", (unsigned long long)st.seed, (unsigned long long)ld->st.seed);
    ld->st = st;
    return 0;
}

void cllm_window_iter_init(cllm_window_iter *it, const cllm_shards *s, int T) {
    it->shards = s;
    it->T = T;
    it->pos = 0;
}

int cllm_window_iter_next(cllm_window_iter *it, int B, int32_t *inputs, int32_t *targets) {
    uint64_t count = cllm_shards_count(it->shards);
    size_t T = (size_t)it->T;
    int rows = 0;
    while (rows < B && it->pos + T + 1 <= count) {
        /* read T+1 straight into place: inputs get the first T, targets the T after the first */
        int32_t *in = inputs + (size_t)rows * T, *tg = targets + (size_t)rows * T;
        cllm_shards_read(it->shards, it->pos, in, T);
        cllm_shards_read(it->shards, it->pos + 1, tg, T);
        it->pos += T;
        rows++;
    }
    return rows;
}
