/* test_simd.c — every vector kernel at every level this CPU has agrees with the scalar one (or a double
 * reference), at odd lengths and unaligned addresses, and writes nothing past n; exp holds its accuracy over
 * its range; the level can be forced but never above the CPU's. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_simd.h"
#include "kernels/kernels.h"
#include "support.h"

/* Lengths around every vector width (8, 16) and unroll (32, 64) boundary, and offsets that break alignment. */
static const size_t lengths[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 129, 1000, 4099};
static const size_t offsets[] = {0, 1, 3};
#define PAD 32 /* guard floats after each array: must keep their sentinel */
#define SENTINEL 12345.0f

typedef struct buffers {
    float *a, *b, *y; /* each n + offset + PAD floats */
} buffers;

static void fill(float *x, size_t n, uint64_t *seed) {
    for (size_t i = 0; i < n; i++) x[i] = (float)test_rand_uniform(seed);
}

static void guard_set(float *x, size_t n) {
    for (size_t i = 0; i < PAD; i++) x[n + i] = SENTINEL;
}

static void guard_check(const float *x, size_t n) {
    for (size_t i = 0; i < PAD; i++) assert_true(x[n + i] == SENTINEL);
}

static void assert_within(double got, double want, double tol) {
    if (fabs(got - want) > tol + 1e-30) fail_msg("got %.9g want %.9g (tol %.3g)", got, want, tol);
}

static void check_level(cllm_simd_level level) {
    size_t maxn = 4099 + 4 + PAD;
    float *a = malloc(sizeof(float) * maxn), *b = malloc(sizeof(float) * maxn);
    float *y = malloc(sizeof(float) * maxn), *want = malloc(sizeof(float) * maxn);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(y);
    assert_non_null(want);
    uint64_t seed = 42;
    for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        for (size_t oi = 0; oi < sizeof offsets / sizeof offsets[0]; oi++) {
            size_t n = lengths[li], off = offsets[oi];
            float *pa = a + off, *pb = b + off, *py = y + off;
            fill(pa, n, &seed);
            fill(pb, n, &seed);
            guard_set(pa, n);
            guard_set(pb, n);

            /* dot: the scalar sum in double is the yardstick; magnitudes bound the rounding. */
            double exact = 0.0, mag = 0.0;
            for (size_t i = 0; i < n; i++) { exact += (double)pa[i] * pb[i]; mag += fabs((double)pa[i] * pb[i]); }
            assert_int_equal(cllm_simd_level_set(level), 0);
            float got = cllm_dot(pa, pb, n);
            assert_within(got, exact, (double)(n + 1) * FLT_EPSILON * mag); /* the summation error bound */
            assert_true(cllm_dot(pa, pb, n) == got); /* same inputs, same bits */

            /* axpy vs the scalar kernel, element by element. */
            memcpy(py, pb, sizeof(float) * n);
            guard_set(py, n);
            assert_int_equal(cllm_simd_level_set(CLLM_SIMD_SCALAR), 0);
            memcpy(want, pb, sizeof(float) * n);
            cllm_axpy(-0.75f, pa, want, n);
            assert_int_equal(cllm_simd_level_set(level), 0);
            cllm_axpy(-0.75f, pa, py, n);
            for (size_t i = 0; i < n; i++) assert_within(py[i], want[i], 2.0 * FLT_EPSILON * (fabs(0.75 * pa[i]) + fabs(pb[i])));
            guard_check(py, n);

            /* vadd and vscale round once per element: exact agreement. */
            cllm_vadd(pa, pb, py, n);
            for (size_t i = 0; i < n; i++) assert_true(py[i] == pa[i] + pb[i]);
            guard_check(py, n);
            memcpy(want, pa, sizeof(float) * n);
            cllm_vadd(pa, pb, pa, n); /* out aliases a */
            for (size_t i = 0; i < n; i++) assert_true(pa[i] == want[i] + pb[i]);
            guard_check(pa, n);
            memcpy(want, pb, sizeof(float) * n);
            cllm_vscale(3.5f, pb, n);
            for (size_t i = 0; i < n; i++) assert_true(pb[i] == 3.5f * want[i]);
            guard_check(pb, n);

            /* vmax is exact; vexp (a softmax numerator) within a few roundings, its sum within the sum bound. */
            float mx = -INFINITY;
            for (size_t i = 0; i < n; i++) mx = pa[i] > mx ? pa[i] : mx;
            assert_true(cllm_vmax(pa, n) == mx);
            float sum = cllm_vexp(pa, mx, py, n);
            double total = 0.0;
            for (size_t i = 0; i < n; i++) {
                double e = exp((double)(pa[i] - mx));
                assert_within(py[i], e, 2.0 * FLT_EPSILON * e);
                total += py[i];
            }
            assert_within(sum, total, (double)(n + 1) * FLT_EPSILON * total);
            guard_check(py, n);
        }
    }
    free(a);
    free(b);
    free(y);
    free(want);
}

static void test_every_level_matches_scalar(void **state) {
    (void)state;
    cllm_simd_level best = cllm_simd_level_detect();
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) check_level((cllm_simd_level)level);
    assert_int_equal(cllm_simd_level_set(best), 0);
}

/* exp across its whole useful range at every level; a -INFINITY (a masked logit) gives exactly 0. */
static void test_exp_accuracy_every_level(void **state) {
    (void)state;
    enum { N = 20001 };
    float *x = malloc(sizeof(float) * N), *e = malloc(sizeof(float) * N);
    assert_non_null(x);
    assert_non_null(e);
    for (int i = 0; i < N; i++) x[i] = -87.0f + 175.0f * (float)i / (N - 1); /* [-87, 88] */
    cllm_simd_level best = cllm_simd_level_detect();
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
        cllm_vexp(x, 0.0f, e, N);
        for (int i = 0; i < N; i++) {
            double want = exp((double)x[i]);
            if (fabs(e[i] - want) > 2.0 * FLT_EPSILON * want) fail_msg("%s: exp(%.9g) = %.9g, want %.9g",
                                                                         cllm_simd_level_name(level), x[i], e[i], want);
        }
        float masked[19];
        for (int i = 0; i < 19; i++) masked[i] = i % 3 ? -INFINITY : 0.0f;
        float sum = cllm_vexp(masked, 0.0f, masked, 19); /* in place */
        for (int i = 0; i < 19; i++) assert_true(masked[i] == (i % 3 ? 0.0f : 1.0f));
        assert_true(sum == 7.0f);
        assert_true(cllm_vmax(x, 0) == -INFINITY);
        assert_true(cllm_vexp(x, 0.0f, e, 0) == 0.0f);
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
    free(x);
    free(e);
}

/* The model's ops take e^x from cllm_exp_approx, the kernels from vexp: one approximation, so they agree to a
 * rounding or two everywhere (the ops' own loops differ only in how n is rounded on ties), and at the ends: 0 for
 * -inf and below the range, a finite maximum for +inf, NaN kept. */
static void test_one_exp_for_ops_and_kernels(void **state) {
    (void)state;
    enum { N = 4001 };
    float x[N], e[N];
    for (int i = 0; i < N; i++) x[i] = -100.0f + 200.0f * (float)i / (N - 1);
    cllm_simd_level best = cllm_simd_level_detect();
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
        cllm_vexp(x, 0.0f, e, N);
        for (int i = 0; i < N; i++) {
            float a = cllm_exp_approx(x[i]);
            if (fabsf(a - e[i]) > 4 * FLT_EPSILON * e[i]) fail_msg("%s: exp(%.9g): vexp %.9g, cllm_exp_approx %.9g",
                                                                   cllm_simd_level_name(level), x[i], e[i], a);
        }
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
    assert_true(cllm_exp_approx(-INFINITY) == 0.0f && cllm_exp_approx(-88.0f) == 0.0f);
    assert_true(isfinite(cllm_exp_approx(INFINITY)) && cllm_exp_approx(INFINITY) > 2e38f);
    assert_true(isnan(cllm_exp_approx(NAN)));
    assert_true(fabsf(cllm_exp_approx(1.0f) - 2.7182817f) <= FLT_EPSILON * 2.7182817f);
}

static void test_level_set_refuses_what_the_cpu_lacks(void **state) {
    (void)state;
    cllm_simd_level best = cllm_simd_level_detect();
    assert_int_equal(cllm_simd_level_set(CLLM_SIMD_SCALAR), 0);
    assert_int_equal(cllm_simd_level_get(), CLLM_SIMD_SCALAR);
    if (best < CLLM_SIMD_AVX512) {
        assert_int_equal(cllm_simd_level_set(CLLM_SIMD_AVX512), -1);
        assert_int_equal(cllm_simd_level_get(), CLLM_SIMD_SCALAR); /* unchanged */
    }
    assert_int_equal(cllm_simd_level_set((cllm_simd_level)7), -1);
    assert_int_equal(cllm_simd_level_set(best), 0);
    assert_int_equal(cllm_simd_level_get(), best);
    assert_string_equal(cllm_simd_level_name(CLLM_SIMD_SCALAR), "scalar");
    assert_string_equal(cllm_simd_level_name(CLLM_SIMD_AVX2), "avx2");
    assert_string_equal(cllm_simd_level_name(CLLM_SIMD_AVX512), "avx512");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_level_matches_scalar),
        cmocka_unit_test(test_exp_accuracy_every_level),
        cmocka_unit_test(test_one_exp_for_ops_and_kernels),
        cmocka_unit_test(test_level_set_refuses_what_the_cpu_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
