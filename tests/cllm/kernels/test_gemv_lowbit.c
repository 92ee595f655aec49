/* test_gemv_lowbit.c — the one-token products generation runs on fewer bytes: bf16 panels (the bits of
 * cllm_gemm_bf16 with M = 1, at every level and thread count) and Q8_0 (quantise → dequantise within half a step;
 * the product within the error the two quantisations allow of the exact one, and the same bits at every level
 * and thread count). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_simd.h"
#include "support.h"

static float *random_floats(size_t n, float scale, uint64_t *seed) {
    float *v = malloc(sizeof(float) * n);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = scale * (float)test_rand_uniform(seed);
    return v;
}

/* Shapes (K, N): odd K, N not a multiple of 16 or 32, one of each of the model's products. */
static const int shapes[][2] = {{1, 1}, {7, 33}, {64, 17}, {256, 768}, {301, 100}, {1024, 256}};

static void test_bf16_gemv_equals_gemm(void **state) {
    (void)state;
    uint64_t seed = 77;
    cllm_simd_level best = cllm_simd_level_detect();
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int trans = 0; trans < 2; trans++) {
            int K = shapes[s][0], N = shapes[s][1];
            float *W = random_floats((size_t)K * N, 1.0f, &seed), *x = random_floats((size_t)K, 2.0f, &seed);
            float *bias = random_floats((size_t)N, 1.0f, &seed);
            float *want = malloc(sizeof(float) * N), *got = malloc(sizeof(float) * N);
            assert_true(want && got);
            cllm_gemm_bf16_reference(0, trans, 1, N, K, x, K, W, trans ? K : N, 0, want, N);
            for (int j = 0; j < N; j++) want[j] += bias[j];
            cllm_bf16_panels p;
            assert_int_equal(cllm_bf16_panels_init(&p, trans, K, N, W, trans ? K : N), 0);
            for (int level = 0; level <= (int)best; level++)
                for (int threads = 1; threads <= 2; threads++) {
                    assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
                    omp_set_num_threads(threads);
                    memset(got, 0, sizeof(float) * N);
                    cllm_gemv_bf16(&p, x, bias, got);
                    assert_memory_equal(got, want, sizeof(float) * N);
                }
            cllm_bf16_panels_free(&p);
            free(W); free(x); free(bias); free(want); free(got);
        }
    assert_int_equal(cllm_simd_level_set(best), 0);
}

/* Every stored value is within half a quantisation step (d/2, d = the block's max|w|/127) of the weight, the
 * block's largest magnitude is kept exactly ±127·d, and zero blocks stay zero. */
static void test_q8_quantise_dequantise(void **state) {
    (void)state;
    uint64_t seed = 91;
    enum { K = 100, N = 37 };
    float *W = random_floats((size_t)K * N, 3.0f, &seed);
    for (int k = 64; k < 96; k++) W[(size_t)k * N + 5] = 0.0f; /* column 5, block 2: all zero */
    for (int trans = 0; trans < 2; trans++) {
        cllm_q8_matrix m;
        assert_int_equal(cllm_q8_init(&m, trans, K, N, W, trans ? K : N), 0); /* trans: W read as N×K */
        for (int n = 0; n < N; n++)
            for (int b = 0; b < (K + 31) / 32; b++) {
                float amax = 0;
                for (int k = b * 32; k < K && k < b * 32 + 32; k++)
                    amax = fmaxf(amax, fabsf(trans ? W[(size_t)n * K + k] : W[(size_t)k * N + n]));
                float d = amax / 127.0f;
                for (int k = b * 32; k < K && k < b * 32 + 32; k++) {
                    float w = trans ? W[(size_t)n * K + k] : W[(size_t)k * N + n], v = cllm_q8_value(&m, k, n);
                    assert_true(fabsf(v - w) <= 0.5f * d * (1 + 1e-5f) + FLT_MIN);
                    if (fabsf(w) == amax) assert_true(fabsf(fabsf(v) - 127.0f * d) <= 1e-6f * amax);
                    if (amax == 0.0f) assert_true(v == 0.0f);
                }
            }
        cllm_q8_free(&m);
    }
    free(W);
}

/* The product against the exact one in double: off by no more than the quantisations allow, Σ_k |x|·d_w/2 +
 * |w|·d_x/2 + d_w·d_x/4 (+ fp32 rounding); and the same bits at every level and at 1 and 2 threads. */
static void test_q8_gemv(void **state) {
    (void)state;
    uint64_t seed = 123;
    cllm_simd_level best = cllm_simd_level_detect();
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int trans = 0; trans < 2; trans++) {
            int K = shapes[s][0], N = shapes[s][1], ldw = trans ? K : N;
            float *W = random_floats((size_t)K * N, 0.5f, &seed), *x = random_floats((size_t)K, 4.0f, &seed);
            float *bias = random_floats((size_t)N, 1.0f, &seed), *y = malloc(sizeof(float) * N);
            float *first = malloc(sizeof(float) * N);
            assert_true(y && first);
            cllm_q8_matrix m;
            assert_int_equal(cllm_q8_init(&m, trans, K, N, W, ldw), 0);
            for (int level = 0; level <= (int)best; level++)
                for (int threads = 1; threads <= 2; threads++) {
                    assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
                    omp_set_num_threads(threads);
                    cllm_gemv_q8(&m, x, bias, y);
                    if (level == 0 && threads == 1) memcpy(first, y, sizeof(float) * N);
                    else if (memcmp(first, y, sizeof(float) * N) != 0)
                        fail_msg("q8 gemv %dx%d trans %d: level %d, %d threads differ", K, N, trans, level, threads);
                }
            for (int n = 0; n < N; n++) {
                double exact = bias[n], bound = 0;
                for (int b = 0; b < (K + 31) / 32; b++) {
                    float aw = 0, ax = 0;
                    for (int k = b * 32; k < K && k < b * 32 + 32; k++) {
                        aw = fmaxf(aw, fabsf(W[trans ? (size_t)n * K + k : (size_t)k * N + n]));
                        ax = fmaxf(ax, fabsf(x[k]));
                    }
                    double dw = aw / 127.0, dx = ax / 127.0;
                    for (int k = b * 32; k < K && k < b * 32 + 32; k++) {
                        double w = W[trans ? (size_t)n * K + k : (size_t)k * N + n];
                        exact += w * x[k];
                        bound += fabs(x[k]) * dw / 2 + fabs(w) * dx / 2 + dw * dx / 4 + fabs(w * x[k]) * 1e-6;
                    }
                }
                assert_true(fabs(first[n] - exact) <= bound + 1e-5);
            }
            cllm_q8_free(&m);
            free(W); free(x); free(bias); free(y); free(first);
        }
    assert_int_equal(cllm_simd_level_set(best), 0);
    omp_set_num_threads(2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bf16_gemv_equals_gemm),
        cmocka_unit_test(test_q8_quantise_dequantise),
        cmocka_unit_test(test_q8_gemv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
