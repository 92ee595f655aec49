/* test_spiral.c — Ulam spiral against a step-by-step walk, inverse∘forward = identity (small and huge n),
 * the clock and golden spirals at hand-computed points, and the feature matrix against its documented formula. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "primemath.h"
#include "support.h"

static void test_ulam_matches_walk(void **state) {
    (void)state;
    /* walk: from (0,0) take runs of 1,1,2,2,3,3,... steps turning right→up→left→down */
    static const int dx[4] = {1, 0, -1, 0}, dy[4] = {0, 1, 0, -1};
    int64_t x = 0, y = 0;
    uint64_t n = 1;
    int dir = 0;
    for (int run = 1; n <= 40000; run++) {
        for (int twice = 0; twice < 2; twice++, dir = (dir + 1) % 4) {
            for (int s = 0; s < run; s++) {
                int64_t ux, uy;
                uint64_t back;
                assert_int_equal(pm_ulam_xy(n, &ux, &uy, NULL), 0);
                assert_int_equal(ux, x);
                assert_int_equal(uy, y);
                assert_int_equal(pm_ulam_n(x, y, &back, NULL), 0);
                assert_int_equal(back, n);
                x += dx[dir];
                y += dy[dir];
                n++;
            }
        }
    }
    int64_t ux, uy;
    pm_ulam_xy(13, &ux, &uy, NULL); /* the header's example */
    assert_int_equal(ux, 2);
    assert_int_equal(uy, 2);
}

static void check_roundtrip(uint64_t n) {
    int64_t x, y;
    uint64_t back = 0;
    assert_int_equal(pm_ulam_xy(n, &x, &y, NULL), 0);
    assert_int_equal(pm_ulam_n(x, y, &back, NULL), 0);
    assert_int_equal(back, n);
    /* n lies on ring k = max(|x|,|y|): (2k-1)^2 < n <= (2k+1)^2, checked in long double-free integer form */
    uint64_t k = (uint64_t)(llabs(x) > llabs(y) ? llabs(x) : llabs(y));
    if (n > 1) {
        assert_true((2 * k - 1) * (2 * k - 1) < n);
        if (k < (1ULL << 31)) assert_true(n <= (2 * k + 1) * (2 * k + 1));
    }
}

static void test_ulam_inverse_at_large_n(void **state) {
    (void)state;
    uint64_t s = 12345;
    for (int i = 0; i < 100000; i++) check_roundtrip(test_rand(&s) | 1);
    for (int i = 0; i < 100000; i++) check_roundtrip(test_rand(&s) >> (test_rand(&s) % 64) | 1);
    for (uint64_t d = 0; d < 2000; d++) {
        check_roundtrip((1ULL << 62) - 1000 + d);
        check_roundtrip(UINT64_MAX - d);
        check_roundtrip(d + 1);
    }
    /* exact squares are corners: (2k+1)^2 at (k, -k), (2k)^2 at (-k+1, k) */
    for (uint64_t k = 1; k < (1ULL << 31); k = k * 3 + 1) {
        int64_t x, y;
        pm_ulam_xy((2 * k + 1) * (2 * k + 1), &x, &y, NULL);
        assert_int_equal(x, (int64_t)k);
        assert_int_equal(y, -(int64_t)k);
        pm_ulam_xy((2 * k) * (2 * k), &x, &y, NULL);
        assert_int_equal(x, -(int64_t)k + 1);
        assert_int_equal(y, (int64_t)k);
    }
    /* forward∘inverse on a grid of points */
    for (int64_t x = -60; x <= 60; x++)
        for (int64_t y = -60; y <= 60; y++) {
            uint64_t n;
            int64_t a, b;
            assert_int_equal(pm_ulam_n(x, y, &n, NULL), 0);
            pm_ulam_xy(n, &a, &b, NULL);
            assert_true(a == x && b == y);
        }
}

static void test_ulam_errors(void **state) {
    (void)state;
    cllm_error err = {0};
    int64_t x, y;
    uint64_t n;
    assert_int_equal(pm_ulam_xy(0, &x, &y, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_ulam_n(INT64_MIN, 0, &n, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_ulam_n((1LL << 31) + 1, 0, &n, &err), CLLM_ERR_ARG);
    /* (2^31, -2^31) would be (2^32+1)^2 > 2^64 − 1 */
    assert_int_equal(pm_ulam_n(1LL << 31, -(1LL << 31), &n, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "2^64"));
}

static void test_clock_points(void **state) {
    (void)state;
    static const struct { uint64_t n, ring; int hour; double x, y; } pts[] = {
        {1, 0, 1, 0.5, 0.8660254037844386},   /* hour 1: 60° */
        {3, 0, 3, 1, 0},                      /* hour 3: 0° */
        {4, 0, 4, 0.8660254037844386, -0.5},  /* hour 4: −30° */
        {7, 0, 7, -0.5, -0.8660254037844386}, /* hour 7: 240° */
        {12, 0, 0, 0, 1},                     /* hour 12 (0): straight up */
        {13, 1, 1, 1, 1.7320508075688772},    /* ring 1, radius 2 */
        {30, 2, 6, 0, -3},                    /* hour 6, radius 3 */
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        pm_clock_pos c;
        assert_int_equal(pm_clock(pts[i].n, &c, NULL), 0);
        assert_int_equal(c.ring, pts[i].ring);
        assert_int_equal(c.hour, pts[i].hour);
        assert_true(fabs(c.p.x - pts[i].x) < 1e-12 && fabs(c.p.y - pts[i].y) < 1e-12);
        assert_true(fabs(c.p.r - (double)(pts[i].ring + 1)) < 1e-12);
        assert_true(c.p.theta >= 0 && c.p.theta < 2 * M_PI);
    }
    /* every prime above 3 sits on hour 1, 5, 7 or 11 */
    uint64_t primes[500];
    size_t np;
    assert_int_equal(pm_primes_range(5, 100000, primes, 500, &np, NULL), CLLM_ERR_ARG); /* more than 500 */
    for (size_t i = 0; i < np; i++) {
        pm_clock_pos c;
        pm_clock(primes[i], &c, NULL);
        assert_true(c.hour == 1 || c.hour == 5 || c.hour == 7 || c.hour == 11);
    }
    pm_clock_pos c;
    assert_int_equal(pm_clock(UINT64_MAX, &c, NULL), 0);
    assert_int_equal(c.ring, (UINT64_MAX - 1) / 12);
    assert_int_equal(c.hour, (int)(UINT64_MAX % 12));
    assert_int_equal(pm_clock(0, &c, NULL), CLLM_ERR_ARG);
}

static void test_golden_points(void **state) {
    (void)state;
    /* θ = 2π·frac(n·(3−√5)/2), reference values from 60-digit decimal arithmetic */
    static const struct { uint64_t n; double theta; } pts[] = {
        {1, 2.39996322972865332}, {2, 4.79992645945730664}, {1000000, 0.0706864953939863114},
        {4611686018427387905ULL, 5.61756579453787571}, {UINT64_MAX, 4.18726172232864974},
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        pm_point p;
        assert_int_equal(pm_golden(pts[i].n, 2.0, &p, NULL), 0);
        assert_true(fabs(p.theta - pts[i].theta) < 1e-12);
        assert_true(fabs(p.r - 2.0 * sqrt((double)pts[i].n)) <= 1e-12 * p.r);
        assert_true(fabs(p.x - p.r * cos(p.theta)) < 1e-9 * (1 + p.r));
        assert_true(fabs(p.y - p.r * sin(p.theta)) < 1e-9 * (1 + p.r));
    }
    pm_point p;
    assert_int_equal(pm_golden(0, 1.0, &p, NULL), 0);
    assert_true(p.r == 0 && p.x == 0 && p.y == 0);
    cllm_error err = {0};
    assert_int_equal(pm_golden(5, 0.0, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_golden(5, NAN, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_golden(5, INFINITY, &p, &err), CLLM_ERR_ARG);
}

static void test_spiral_point_and_names(void **state) {
    (void)state;
    pm_point p;
    pm_spiral k;
    cllm_error err = {0};
    assert_int_equal(pm_spiral_point(PM_SPIRAL_ULAM, 5, &p, NULL), 0); /* 5 at (−1, 1): 135° */
    assert_true(p.x == -1 && p.y == 1 && fabs(p.theta - 3 * M_PI / 4) < 1e-12 && fabs(p.r - sqrt(2)) < 1e-12);
    assert_int_equal(pm_rank_point(PM_SPIRAL_ULAM, 4, &p, NULL), 0); /* rank 4 → 11 → (2, 0) */
    assert_true(p.x == 2 && p.y == 0);
    assert_int_equal(pm_spiral_point((pm_spiral)7, 5, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_spiral_point(PM_SPIRAL_GOLDEN, 0, &p, &err), CLLM_ERR_ARG);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pm_spiral_from_name(pm_spiral_name((pm_spiral)i), &k, NULL), 0);
        assert_int_equal(k, i);
    }
    assert_int_equal(pm_spiral_from_name("square", &k, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "ulam"));
    assert_int_equal(pm_spiral_from_name(NULL, &k, &err), CLLM_ERR_ARG);
}

/* The documented feature formula, evaluated independently for one row. */
static void expect_row(const float *row, size_t dim, double x, double y) {
    size_t F = dim / 4;
    for (size_t f = 0; f < F; f++) {
        double w = exp(-log(10000.0) * (double)f / (double)F);
        assert_true(fabsf(row[4 * f + 0] - (float)sin(w * x)) < 1e-6f);
        assert_true(fabsf(row[4 * f + 1] - (float)cos(w * x)) < 1e-6f);
        assert_true(fabsf(row[4 * f + 2] - (float)sin(w * y)) < 1e-6f);
        assert_true(fabsf(row[4 * f + 3] - (float)cos(w * y)) < 1e-6f);
    }
}

static void test_features(void **state) {
    (void)state;
    enum { COUNT = 64, DIM = 16 };
    float *m = malloc(COUNT * DIM * sizeof *m);
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_PRIME, COUNT, DIM, m, NULL), 0);
    expect_row(m + 4 * DIM, DIM, 2, 0);  /* rank 4 → 11 → (2, 0) */
    expect_row(m + 0 * DIM, DIM, 1, 0);  /* rank 0 → 2 → (1, 0) */
    expect_row(m + 5 * DIM, DIM, 2, 2);  /* rank 5 → 13 → (2, 2) */
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, COUNT, DIM, m, NULL), 0);
    expect_row(m + 0 * DIM, DIM, 0, 0);  /* rank 0 → n = 1 → centre */
    expect_row(m + 12 * DIM, DIM, 2, 2); /* rank 12 → 13 */
    assert_int_equal(pm_spiral_features(PM_SPIRAL_CLOCK, PM_INDEX_NATURAL, COUNT, DIM, m, NULL), 0);
    expect_row(m + 11 * DIM, DIM, 0, 1); /* rank 11 → 12 → straight up, radius 1 */
    expect_row(m + 29 * DIM, DIM, 0, -3);
    assert_int_equal(pm_spiral_features(PM_SPIRAL_GOLDEN, PM_INDEX_PRIME, COUNT, DIM, m, NULL), 0);
    for (int t = 0; t < COUNT; t++) {
        pm_point p;
        pm_rank_point(PM_SPIRAL_GOLDEN, (uint64_t)t, &p, NULL);
        expect_row(m + t * DIM, DIM, p.x, p.y);
    }
    /* rows differ: distinct ranks have distinct encodings */
    for (int t = 1; t < COUNT; t++) assert_memory_not_equal(m + t * DIM, m + (t - 1) * DIM, DIM * sizeof *m);
    cllm_error err = {0};
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, 4, 6, m, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "multiple of 4"));
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, 4, 0, m, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_spiral_features((pm_spiral)9, PM_INDEX_NATURAL, 4, 4, m, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, (pm_index_map)5, 4, 4, m, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, SIZE_MAX / 2, 4, m, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, 4, 4, NULL, &err), CLLM_ERR_ARG);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ulam_matches_walk), cmocka_unit_test(test_ulam_inverse_at_large_n),
        cmocka_unit_test(test_ulam_errors),       cmocka_unit_test(test_clock_points),
        cmocka_unit_test(test_golden_points),     cmocka_unit_test(test_spiral_point_and_names),
        cmocka_unit_test(test_features),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
