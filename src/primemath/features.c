/* features.c — the bridge to the model: token rank → prime → spiral point → sinusoidal features.
 * The feature formula is a file-format contract (models store features computed from it): see primemath.h. */
#include "primemath.h"

#include <math.h>
#include <stdlib.h>

#include <primesieve.h>

int pm_rank_prime(uint64_t rank, uint64_t *out, cllm_error *err) {
    if (rank >= PM_PRIME_COUNT64)
        return cllm_error_set(err, CLLM_ERR_ARG, "rank %llu has no 64-bit prime (ranks stop at %llu)",
                              (unsigned long long)rank, (unsigned long long)(PM_PRIME_COUNT64 - 1));
    return pm_nth_prime(rank + 1, out, err);
}

/* Calls fn(ctx, t, n(t)) for t = 0..count-1; one primesieve iterator serves the prime map. */
static int for_each_rank(pm_index_map map, size_t count, int (*fn)(void *ctx, size_t t, uint64_t n), void *ctx,
                         cllm_error *err) {
    if (map != PM_INDEX_NATURAL && map != PM_INDEX_PRIME)
        return cllm_error_set(err, CLLM_ERR_ARG, "index map %d is not natural (0) or prime (1)", (int)map);
    if (map == PM_INDEX_NATURAL) {
        for (size_t t = 0; t < count; t++) {
            int rc = fn(ctx, t, (uint64_t)t + 1);
            if (rc) return rc;
        }
        return 0;
    }
    if ((uint64_t)count > PM_PRIME_COUNT64)
        return cllm_error_set(err, CLLM_ERR_ARG, "%zu ranks: there are only %llu primes below 2^64", count,
                              (unsigned long long)PM_PRIME_COUNT64);
    primesieve_iterator it;
    primesieve_init(&it);
    int rc = 0;
    for (size_t t = 0; t < count && !rc; t++) {
        uint64_t p = primesieve_next_prime(&it);
        if (it.is_error) rc = cllm_error_set(err, CLLM_ERR_ARG, "rank %zu: primesieve failed", t);
        else rc = fn(ctx, t, p);
    }
    primesieve_free_iterator(&it);
    return rc;
}

static int store_prime(void *ctx, size_t t, uint64_t p) {
    ((uint64_t *)ctx)[t] = p;
    return 0;
}

int pm_rank_primes(size_t count, uint64_t *out, cllm_error *err) {
    if (!out && count) return cllm_error_set(err, CLLM_ERR_ARG, "pm_rank_primes: NULL output");
    return for_each_rank(PM_INDEX_PRIME, count, store_prime, out, err);
}

int pm_rank_point(pm_spiral kind, uint64_t rank, pm_point *out, cllm_error *err) {
    uint64_t p;
    int rc = pm_rank_prime(rank, &p, err);
    return rc ? rc : pm_spiral_point(kind, p, out, err);
}

typedef struct feature_ctx {
    pm_spiral kind;
    size_t dim;
    const double *omega; /* [dim/4] frequencies ω_f = 10000^(-f/F), computed once per call */
    float *out;
    cllm_error *err;
} feature_ctx;

/* Row t: for f = 0..F-1, [sin ω_f x, cos ω_f x, sin ω_f y, cos ω_f y], ω_f = 10000^(-f/F), F = dim/4. */
static int write_feature_row(void *vctx, size_t t, uint64_t n) {
    feature_ctx *c = vctx;
    pm_point p;
    int rc = pm_spiral_point(c->kind, n, &p, c->err);
    if (rc) return rc;
    size_t F = c->dim / 4;
    float *row = c->out + t * c->dim;
    for (size_t f = 0; f < F; f++) {
        double sx, cx, sy, cy; /* sincos (GNU libm): both at the cost of one */
        sincos(c->omega[f] * p.x, &sx, &cx);
        sincos(c->omega[f] * p.y, &sy, &cy);
        row[4 * f + 0] = (float)sx;
        row[4 * f + 1] = (float)cx;
        row[4 * f + 2] = (float)sy;
        row[4 * f + 3] = (float)cy;
    }
    return 0;
}

int pm_spiral_features(pm_spiral kind, pm_index_map map, size_t count, size_t dim, float *out, cllm_error *err) {
    if (dim == 0 || dim % 4 != 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "feature dim %zu must be a positive multiple of 4 "
                              "(sin, cos of x and y per frequency)", dim);
    if (count && !out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_spiral_features: NULL output");
    if (count > SIZE_MAX / dim) return cllm_error_set(err, CLLM_ERR_ARG, "%zu × %zu features overflow", count, dim);
    if ((unsigned)kind > PM_SPIRAL_GOLDEN)
        return cllm_error_set(err, CLLM_ERR_ARG, "spiral kind %d is not one of ulam, clock, golden", (int)kind);
    size_t F = dim / 4;
    double *omega = malloc(F * sizeof *omega);
    if (!omega) return cllm_error_set(err, CLLM_ERR_NOMEM, "features: out of memory for %zu frequencies", F);
    for (size_t f = 0; f < F; f++) omega[f] = pow(10000.0, -(double)f / (double)F);
    feature_ctx c = {kind, dim, omega, out, err};
    int rc = for_each_rank(map, count, write_feature_row, &c, err);
    free(omega);
    return rc;
}
