/* spiral.c — the Ulam square spiral and its inverse, the 12-fold clock lattice, Vogel's golden-angle spiral.
 * All closed form and O(1); integer arithmetic wherever the answer is an integer, so large n stay exact. */
#include "primemath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PM_TWO_PI 6.283185307179586476925286766559

/* The smallest r with r*r >= n, for n >= 1 (exact for every 64-bit n; the double sqrt is only a first guess). */
static uint64_t ceil_sqrt(uint64_t n) {
    uint64_t r = (uint64_t)sqrt((double)n);
    if (r > UINT64_C(4294967295)) r = UINT64_C(4294967295);
    while (r * r > n) r--; /* r <= 2^32-1 so r*r cannot overflow */
    while (r < UINT64_C(4294967295) && (r + 1) * (r + 1) <= n) r++;
    /* now r = floor(sqrt(n)) */
    return r * r == n ? r : r + 1;
}

/* Ring k holds (2k-1)^2 < n <= (2k+1)^2. It starts at (k, -k+1) and runs up the right side, left along the top,
 * down the left side and right along the bottom, 2k numbers per side, ending at (k, -k) = (2k+1)^2. */
int pm_ulam_xy(uint64_t n, int64_t *x, int64_t *y, cllm_error *err) {
    if (!x || !y) return cllm_error_set(err, CLLM_ERR_ARG, "pm_ulam_xy: NULL output");
    if (n == 0) return cllm_error_set(err, CLLM_ERR_ARG, "ulam spiral: n must be >= 1 (1 is the centre)");
    if (n == 1) { *x = *y = 0; return 0; }
    uint64_t k = ceil_sqrt(n) / 2;            /* <= 2^31 */
    uint64_t base = (2 * k - 1) * (2 * k - 1); /* last number of ring k-1; fits since 2k-1 < 2^32 */
    uint64_t d = n - base - 1;                 /* 0 .. 8k-1 */
    uint64_t side = d / (2 * k), j = d % (2 * k);
    int64_t K = (int64_t)k, J = (int64_t)j;
    switch (side) {
    case 0: *x = K;          *y = -K + 1 + J; break;
    case 1: *x = K - 1 - J;  *y = K;          break;
    case 2: *x = -K;         *y = K - 1 - J;  break;
    default: *x = -K + 1 + J; *y = -K;        break;
    }
    return 0;
}

int pm_ulam_n(int64_t x, int64_t y, uint64_t *n, cllm_error *err) {
    if (!n) return cllm_error_set(err, CLLM_ERR_ARG, "pm_ulam_n: NULL output");
    const int64_t lim = INT64_C(1) << 31;
    if (x > lim || x < -lim || y > lim || y < -lim)
        return cllm_error_set(err, CLLM_ERR_ARG, "ulam spiral: (%lld, %lld) lies beyond n = 2^64 - 1 (|x|, |y| <= 2^31)",
                              (long long)x, (long long)y);
    int64_t K = llabs(x) > llabs(y) ? llabs(x) : llabs(y);
    if (K == 0) { *n = 1; return 0; }
    uint64_t side, j;
    if (x == K && y > -K)      { side = 0; j = (uint64_t)(y + K - 1); }
    else if (y == K)           { side = 1; j = (uint64_t)(K - 1 - x); }
    else if (x == -K)          { side = 2; j = (uint64_t)(K - 1 - y); }
    else                       { side = 3; j = (uint64_t)(x + K - 1); }
    uint64_t k = (uint64_t)K;
    uint64_t base = (2 * k - 1) * (2 * k - 1);
    uint64_t off = side * 2 * k + j + 1;
    if (off > UINT64_MAX - base)
        return cllm_error_set(err, CLLM_ERR_ARG, "ulam spiral: (%lld, %lld) lies beyond n = 2^64 - 1",
                              (long long)x, (long long)y);
    *n = base + off;
    return 0;
}

static double wrap_angle(double t) {
    t = fmod(t, PM_TWO_PI);
    return t < 0 ? t + PM_TWO_PI : t;
}

int pm_clock(uint64_t n, pm_clock_pos *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_clock: NULL output");
    if (n == 0) return cllm_error_set(err, CLLM_ERR_ARG, "clock lattice: n must be >= 1");
    out->ring = (n - 1) / 12;
    out->hour = (int)(n % 12);
    double rho = (double)out->ring + 1.0;
    double theta = wrap_angle(PM_TWO_PI / 4 - PM_TWO_PI * out->hour / 12.0);
    out->p = (pm_point){rho * cos(theta), rho * sin(theta), rho, theta};
    return 0;
}

/* g = (3 - √5)/2 = 1 - 1/φ as a 128-bit binary fraction: g·2^128 = GOLD_HI·2^64 + GOLD_LO (truncated). */
#define GOLD_HI UINT64_C(0x61c8864680b583ea)
#define GOLD_LO UINT64_C(0x0c633f9fa31237cb)

/* frac(n·g) as a 64-bit fraction: the top 64 bits of (n·g·2^128 mod 2^128). Wrap-around is the "mod 1". */
static uint64_t golden_turn_fraction(uint64_t n) {
    __extension__ typedef unsigned __int128 u128;
    u128 lo = (u128)n * GOLD_LO;
    return n * GOLD_HI + (uint64_t)(lo >> 64);
}

int pm_golden(uint64_t n, double c, pm_point *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_golden: NULL output");
    if (!(c > 0) || !isfinite(c)) return cllm_error_set(err, CLLM_ERR_ARG, "golden spiral: scale c = %g must be > 0", c);
    double turns = (double)(golden_turn_fraction(n) >> 11) * 0x1p-53; /* in [0, 1) */
    double r = c * sqrt((double)n), theta = PM_TWO_PI * turns;
    *out = (pm_point){r * cos(theta), r * sin(theta), r, theta};
    return 0;
}

int pm_spiral_point(pm_spiral kind, uint64_t n, pm_point *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_spiral_point: NULL output");
    if (n == 0) return cllm_error_set(err, CLLM_ERR_ARG, "spiral point: n must be >= 1");
    switch (kind) {
    case PM_SPIRAL_ULAM: {
        int64_t x, y;
        pm_ulam_xy(n, &x, &y, err);
        double t = (x == 0 && y == 0) ? 0 : wrap_angle(atan2((double)y, (double)x));
        *out = (pm_point){(double)x, (double)y, hypot((double)x, (double)y), t};
        return 0;
    }
    case PM_SPIRAL_CLOCK: {
        pm_clock_pos c;
        pm_clock(n, &c, err);
        *out = c.p;
        return 0;
    }
    case PM_SPIRAL_GOLDEN: return pm_golden(n, 1.0, out, err);
    }
    return cllm_error_set(err, CLLM_ERR_ARG, "spiral kind %d is not one of ulam, clock, golden", (int)kind);
}

static const char *const spiral_names[] = {"ulam", "clock", "golden"};

int pm_spiral_from_name(const char *name, pm_spiral *out, cllm_error *err) {
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, spiral_names[i]) == 0) { *out = (pm_spiral)i; return 0; }
    return cllm_error_set(err, CLLM_ERR_ARG, "unknown spiral '%s' (expected ulam, clock or golden)",
                          name ? name : "(null)");
}

const char *pm_spiral_name(pm_spiral kind) {
    return (unsigned)kind < 3 ? spiral_names[kind] : "?";
}
