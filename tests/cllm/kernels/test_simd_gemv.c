/* test_simd_gemv.c — the matrix-vector products at every level: close to a double reference at odd shapes and
 * strides, bit-identical to cllm_sgemm's M = 1 path (which generation used before) and across thread counts, the
 * bias added last, nothing written past N. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_simd.h"
#include "support.h"

#define PAD 16
#define SENTINEL 12345.0f

/* (K, N): around the vector widths (8, 16), with tails, and the model's shapes. */
static const int shapes[][2] = {{1, 1}, {3, 5}, {7, 16}, {16, 17}, {33, 64}, {64, 100}, {5, 255}, {9, 256},
                                {31, 257}, {256, 768}, {256, 256}, {1024, 256}, {256, 1024}, {100, 333}};

static float *random_floats(size_t n, uint64_t *seed) {
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) x[i] = (float)test_rand_uniform(seed);
    return x;
}

static int bits_equal(const float *a, const float *b, int n) { return memcmp(a, b, sizeof(float) * (size_t)n) == 0; }

/* y = x·W (+bias) for K×N inside a wider matrix (row stride ldw = N + 3). */
static void check_shape(cllm_simd_level level, int K, int N, uint64_t *seed) {
    int ldw = N + 3;
    float *x = random_floats((size_t)K, seed), *W = random_floats((size_t)K * ldw, seed);
    float *bias = random_floats((size_t)N, seed), *y = malloc(sizeof(float) * (N + PAD));
    float *gemm = malloc(sizeof(float) * N);
    assert_non_null(y);
    assert_non_null(gemm);
    assert_int_equal(cllm_simd_level_set(level), 0);
    for (int i = 0; i < PAD; i++) y[N + i] = SENTINEL;
    cllm_sgemv(K, N, x, W, ldw, NULL, y);
    for (int j = 0; j < N; j++) {
        double exact = 0, mag = 0;
        for (int k = 0; k < K; k++) {
            double term = (double)x[k] * W[(size_t)k * ldw + j];
            exact += term;
            mag += fabs(term);
        }
        if (fabs(y[j] - exact) > 1e-6 * K * mag + 1e-30) fail_msg("K %d N %d j %d: %.9g vs %.9g", K, N, j, y[j], exact);
    }
    for (int i = 0; i < PAD; i++) assert_true(y[N + i] == SENTINEL);
    /* the same rounding as the M = 1 sgemm (per element: k in order, one fused step each) */
    cllm_sgemm_native(0, 0, 1, N, K, 1.0f, x, K, W, ldw, 0.0f, gemm, N);
    assert_true(bits_equal(y, gemm, N));
    /* the bias goes on last */
    cllm_sgemv(K, N, x, W, ldw, bias, y);
    for (int j = 0; j < N; j++) assert_true(y[j] == gemm[j] + bias[j]);
    free(x); free(W); free(bias); free(y); free(gemm);
}

/* y = W·x: the dot of each row, as cllm_dot computes it. */
static void check_shape_t(cllm_simd_level level, int N, int K, uint64_t *seed) {
    int ldw = K + 5;
    float *x = random_floats((size_t)K, seed), *W = random_floats((size_t)N * ldw, seed);
    float *bias = random_floats((size_t)N, seed), *y = malloc(sizeof(float) * (N + PAD));
    assert_non_null(y);
    assert_int_equal(cllm_simd_level_set(level), 0);
    for (int i = 0; i < PAD; i++) y[N + i] = SENTINEL;
    cllm_sgemv_t(N, K, W, ldw, x, NULL, y);
    for (int j = 0; j < N; j++) assert_true(y[j] == cllm_dot(x, W + (size_t)j * ldw, (size_t)K));
    cllm_sgemv_t(N, K, W, ldw, x, bias, y);
    for (int j = 0; j < N; j++) assert_true(y[j] == cllm_dot(x, W + (size_t)j * ldw, (size_t)K) + bias[j]);
    for (int i = 0; i < PAD; i++) assert_true(y[N + i] == SENTINEL);
    free(x); free(W); free(bias); free(y);
}

static void test_every_level_matches_reference(void **state) {
    (void)state;
    cllm_simd_level best = cllm_simd_level_detect();
    uint64_t seed = 11;
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            check_shape((cllm_simd_level)level, shapes[s][0], shapes[s][1], &seed);
            check_shape_t((cllm_simd_level)level, shapes[s][1], shapes[s][0], &seed);
        }
    assert_int_equal(cllm_simd_level_set(best), 0);
}

/* Products large enough to be split over threads give the same bits on 1, 2 and 3 threads. */
static void test_bit_identical_across_threads(void **state) {
    (void)state;
    uint64_t seed = 5;
    int K = 1024, N = 4100; /* above the threading threshold, N not a multiple of any split */
    float *x = random_floats((size_t)K, &seed), *W = random_floats((size_t)K * N, &seed);
    float *bias = random_floats((size_t)N, &seed), *one = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
    float *one_t = malloc(sizeof(float) * K), *y_t = malloc(sizeof(float) * K);
    assert_non_null(one); assert_non_null(y); assert_non_null(one_t); assert_non_null(y_t);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    cllm_sgemv(K, N, x, W, N, bias, one);
    cllm_sgemv_t(K, N, W, N, bias, x, one_t); /* W read as [K, N]: K rows of N */
    for (int nt = 2; nt <= 3; nt++) {
        omp_set_num_threads(nt);
        cllm_sgemv(K, N, x, W, N, bias, y);
        assert_true(bits_equal(one, y, N));
        cllm_sgemv_t(K, N, W, N, bias, x, y_t);
        assert_true(bits_equal(one_t, y_t, K));
    }
    omp_set_num_threads(saved);
    free(x); free(W); free(bias); free(one); free(y); free(one_t); free(y_t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_level_matches_reference),
        cmocka_unit_test(test_bit_identical_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
