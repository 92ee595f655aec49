/* primemath.h — libprimemath: primes, number spirals, lattices, and the bridge from token ranks to the model.
 *
 * Sieving, counting and the nth prime come from primesieve; 64-bit primality, factoring and LLL come from FLINT.
 * What lives here is what neither has: the spiral and clock geometry, the position features the model reads, and
 * argument checking so that no bad input reaches a library that would abort or print.
 *
 *     cllm_error err = {0};
 *     uint64_t pi;
 *     if (pm_prime_count(1000000000ULL, &pi, &err)) fprintf(stderr, "error: %s\n", err.msg);
 *     int64_t x, y;
 *     pm_ulam_xy(13, &x, &y, NULL);                    // 13 sits at (2, 2)
 *     float feat[16 * 8];
 *     pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_PRIME, 16, 8, feat, &err);   // ranks 0..15 → p_1..p_16
 *
 * Conventions: functions that can fail take a `cllm_error *` (may be NULL) and return 0 or a CLLM_ERR_* code;
 * nothing here prints, exits or aborts. Matrices are row-major, rows are basis vectors. Angles are radians,
 * measured counter-clockwise from the +x axis, with +y up. The exact formulas are in docs/primemath.md.
 */
#ifndef PRIMEMATH_H
#define PRIMEMATH_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libprimemath's version, "MAJOR.MINOR.PATCH" (the same as libcllm's). */
PM_API const char *pm_version(void);

/* ============================== primes (primesieve + FLINT) ============================== */

/* The largest prime below 2^64 (2^64 - 59) and π(2^64 - 1), the count of 64-bit primes. */
#define PM_MAX_PRIME64 UINT64_C(18446744073709551557)
#define PM_PRIME_COUNT64 UINT64_C(425656284035217743)

/* Sets the number of threads primesieve uses for counting and nth prime (0 = all cores, the default). This is
 * primesieve's own process-wide setting; returns CLLM_ERR_ARG for threads < 0. */
PM_API int pm_set_threads(int threads, cllm_error *err);

/* Writes the primes p with a <= p <= b into out[0..cap); *count = how many were written. If the range holds more
 * than cap primes, returns CLLM_ERR_ARG (out then holds the first cap). */
PM_API int pm_primes_range(uint64_t a, uint64_t b, uint64_t *out, size_t cap, size_t *count, cllm_error *err);
/* The primes in [a, b] in a malloc'd array (caller frees with free()); *out = NULL and *count = 0 if none. */
PM_API int pm_primes_range_alloc(uint64_t a, uint64_t b, uint64_t **out, size_t *count, cllm_error *err);
/* π(x): the number of primes <= x. Uses all threads set by pm_set_threads. */
PM_API int pm_prime_count(uint64_t x, uint64_t *out, cllm_error *err);
/* The number of primes in [a, b] (0 when a > b). */
PM_API int pm_prime_count_range(uint64_t a, uint64_t b, uint64_t *out, cllm_error *err);
/* The k-th prime, k >= 1 (p_1 = 2); k <= PM_PRIME_COUNT64, else CLLM_ERR_ARG. */
PM_API int pm_nth_prime(uint64_t k, uint64_t *out, cllm_error *err);
/* 1 if n is prime, 0 if not; deterministic for every 64-bit n (FLINT n_is_prime). */
PM_API int pm_is_prime(uint64_t n);
/* The smallest prime > n; CLLM_ERR_ARG when n >= PM_MAX_PRIME64 (no larger 64-bit prime). */
PM_API int pm_next_prime(uint64_t n, uint64_t *out, cllm_error *err);
/* The largest prime < n; CLLM_ERR_ARG when n <= 2 (no smaller prime). */
PM_API int pm_prev_prime(uint64_t n, uint64_t *out, cllm_error *err);
/* Greatest common divisor; pm_gcd(0, 0) = 0. */
PM_API uint64_t pm_gcd(uint64_t a, uint64_t b);

/* A factorization n = Π prime[i]^exponent[i], primes ascending. 15 distinct primes is the most any 64-bit n has. */
typedef struct pm_factorization {
    int count;             /* number of distinct primes (0 for n = 1) */
    uint64_t prime[15];    /* ascending */
    unsigned exponent[15]; /* each >= 1 */
} pm_factorization;

/* Factors n >= 1 into proven primes (FLINT n_factor); n = 0 gives CLLM_ERR_ARG. */
PM_API int pm_factor(uint64_t n, pm_factorization *out, cllm_error *err);

/* ============================== spirals and the 12-fold clock ============================== */

typedef enum pm_spiral {
    PM_SPIRAL_ULAM = 0,   /* square spiral: 1 at (0,0), 2 at (1,0), then counter-clockwise */
    PM_SPIRAL_CLOCK = 1,  /* 12 hours per ring: ring = (n-1)/12, hour = n mod 12 */
    PM_SPIRAL_GOLDEN = 2, /* Vogel's sunflower: r = sqrt(n), θ = 2π·frac(n·(3-√5)/2) */
} pm_spiral;

/* A point of a spiral in the plane. */
typedef struct pm_point {
    double x, y;  /* Cartesian coordinates */
    double r;     /* distance from the origin */
    double theta; /* angle in [0, 2π) (0 at the origin) */
} pm_point;

/* Ulam square spiral, n >= 1 (any uint64): 1→(0,0), 2→(1,0), 3→(1,1), 4→(0,1), 5→(-1,1), ... O(1), exact. */
PM_API int pm_ulam_xy(uint64_t n, int64_t *x, int64_t *y, cllm_error *err);
/* The inverse: n at (x, y); CLLM_ERR_ARG when n would exceed 2^64 - 1 (|x| or |y| > 2^31). */
PM_API int pm_ulam_n(int64_t x, int64_t y, uint64_t *n, cllm_error *err);

/* The 12-fold clock lattice of n >= 1: ring r = (n-1) div 12 holds n = 12r+1 .. 12r+12, hour h = n mod 12 (0 drawn at
 * the 12 o'clock position), hours run clockwise: θ = π/2 − 2π·h/12 (wrapped to [0, 2π)), radius ρ = r + 1. Primes
 * above 3 fall on hours 1, 5, 7, 11. */
typedef struct pm_clock_pos {
    uint64_t ring; /* (n-1) div 12 */
    int hour;      /* n mod 12, in 0..11 */
    pm_point p;    /* ρ = ring + 1 and θ as above */
} pm_clock_pos;

/* Position of n >= 1 on the clock lattice. */
PM_API int pm_clock(uint64_t n, pm_clock_pos *out, cllm_error *err);
/* Vogel's golden-angle spiral: r = c·sqrt(n), θ = 2π·frac(n·g), g = (3-√5)/2 (θ = n·golden angle mod 2π, computed
 * in 128-bit fixed point so it stays exact to ~2^-64 turns for every 64-bit n); n >= 0, c > 0 and finite. */
PM_API int pm_golden(uint64_t n, double c, pm_point *out, cllm_error *err);
/* Position of n on the chosen spiral as a point (golden with c = 1); n >= 1. */
PM_API int pm_spiral_point(pm_spiral kind, uint64_t n, pm_point *out, cllm_error *err);
/* Parses "ulam", "clock" or "golden"; CLLM_ERR_ARG otherwise. */
PM_API int pm_spiral_from_name(const char *name, pm_spiral *out, cllm_error *err);
/* "ulam", "clock", "golden" (or "?"). */
PM_API const char *pm_spiral_name(pm_spiral kind);

/* ============================== ranks → primes → features (the model bridge) ============================== */

/* Which integer a rank t (0-based: token id or position) stands for. */
typedef enum pm_index_map {
    PM_INDEX_NATURAL = 0, /* n = t + 1 */
    PM_INDEX_PRIME = 1,   /* n = p_{t+1}, the (t+1)-th prime: 0→2, 1→3, 2→5, ... */
} pm_index_map;

/* The prime of rank t: the (t+1)-th prime. */
PM_API int pm_rank_prime(uint64_t rank, uint64_t *out, cllm_error *err);
/* The primes of ranks 0..count-1 (the first count primes) into out[count]. */
PM_API int pm_rank_primes(size_t count, uint64_t *out, cllm_error *err);
/* The point of rank t's prime on a spiral. */
PM_API int pm_rank_point(pm_spiral kind, uint64_t rank, pm_point *out, cllm_error *err);

/* Fills out[count × dim] (row-major, float) with sinusoidal features of the spiral coordinates (x, y) of the
 * integer n(t) of ranks t = 0..count-1. dim must be a positive multiple of 4; F = dim/4 frequencies
 * ω_f = 10000^(−f/F), f = 0..F−1, and row t is, for f = 0..F−1 in order:
 *     out[t·dim + 4f + 0] = sin(ω_f·x)   out[t·dim + 4f + 1] = cos(ω_f·x)
 *     out[t·dim + 4f + 2] = sin(ω_f·y)   out[t·dim + 4f + 3] = cos(ω_f·y)
 * computed in double and rounded to float. This formula is part of the model-file contract: do not change it. */
PM_API int pm_spiral_features(pm_spiral kind, pm_index_map map, size_t count, size_t dim, float *out, cllm_error *err);

/* ============================== lattices (FLINT fmpz_lll) ============================== */

/* LLL parameters: the output satisfies |μ_ij| <= eta and (delta − μ²_{i,i−1})·‖b*_{i−1}‖² <= ‖b*_i‖². */
typedef struct pm_lll_params {
    double delta; /* Lovász constant, in (0.25, 1]; default 0.99 */
    double eta;   /* size-reduction bound, in [0.5, sqrt(delta)); default 0.51 */
} pm_lll_params;

/* {0.99, 0.51}. */
PM_API pm_lll_params pm_lll_params_default(void);

/* LLL-reduces the integer basis in place (rows × cols, rows are the vectors and must be linearly independent, else
 * CLLM_ERR_ARG — FLINT would abort). If U is non-NULL it receives the rows × rows unimodular transform with reduced = U·input.
 * params NULL = default. CLLM_ERR_ARG if an entry of the result does not fit in int64 (input then unchanged). */
PM_API int pm_lll_int64(int64_t *basis, size_t rows, size_t cols, int64_t *U, const pm_lll_params *params,
                        cllm_error *err);
/* LLL-reduces a real basis: B' = round(2^s·B) is reduced exactly with FLINT, and basis receives B'_reduced / 2^s.
 * scale_bits = s in 0..62, or −1 to choose s so that the largest |entry|·2^s is near 2^40; *scale_used = s (may be
 * NULL); U as in pm_lll_int64 (the transform of the scaled integer basis). Entries must be finite. */
PM_API int pm_lll_double(double *basis, size_t rows, size_t cols, int scale_bits, int *scale_used, int64_t *U,
                         const pm_lll_params *params, cllm_error *err);

/* Gram–Schmidt in double (modified GS): bstar[rows × cols] (may be NULL), mu[rows × rows] lower triangle with
 * unit diagonal (may be NULL), norm2[rows] = ‖b*_i‖² (may be NULL). CLLM_ERR_ARG if the rows are dependent
 * (some ‖b*_i‖² <= 1e-24·‖b_i‖²). */
PM_API int pm_gram_schmidt(const double *basis, size_t rows, size_t cols, double *bstar, double *mu, double *norm2,
                           cllm_error *err);

/* Measures of a basis of full row rank (n = rows); natural logarithms. */
typedef struct pm_basis_quality {
    double log_volume;        /* Σ log‖b*_i‖ = log sqrt(det(B·Bᵀ)) */
    double log_orth_defect;   /* Σ log‖b_i‖ − log_volume (>= 0; 0 for an orthogonal basis) */
    double orth_defect;       /* exp(log_orth_defect) (may be +inf for huge defects) */
    double b1_norm;           /* ‖b_1‖ */
    double hermite_factor;    /* ‖b_1‖ / vol^(1/n) */
} pm_basis_quality;

/* Fills q for a double basis rows × cols. */
PM_API int pm_basis_quality_of(const double *basis, size_t rows, size_t cols, pm_basis_quality *q, cllm_error *err);
/* log volume alone: Σ log‖b*_i‖ (natural log). */
PM_API int pm_log_volume(const double *basis, size_t rows, size_t cols, double *out, cllm_error *err);

#ifdef __cplusplus
}
#endif
#endif
