/* test_bf16_training.c — mixed-precision training (cllm_model_set_precision bf16): its gradients and first steps
 * stay near fp32's, and it gives the same bits at any thread count, and with vdpbf16ps or its emulation. (A bf16
 * run of the trainer resumes bit-exactly: test_trainer.c.) */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_error.h"
#include "cllm_simd.h"
#include "support.h"

enum { B = 4, T = 16, V = 20 };

static cllm_model *tiny(cllm_precision precision) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .n_ctx = T, .vocab_size = V};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 7);
    assert_int_equal(cllm_model_reserve(m, B, T, &err), 0);
    assert_int_equal(cllm_model_set_precision(m, precision, &err), 0);
    assert_int_equal(cllm_model_precision(m), precision);
    return m;
}

/* token t+1 = (3·t + 1) mod V from random starts */
static void batch(int32_t *x, int32_t *y, uint64_t *rs) {
    for (int b = 0; b < B; b++) {
        int t = (int)(test_rand(rs) % V);
        for (int i = 0; i < T; i++) {
            x[b * T + i] = t;
            t = (3 * t + 1) % V;
            y[b * T + i] = t;
        }
    }
}

/* steps of AdamW; the loss of each into losses[] */
static void train(cllm_model *m, int steps, float *losses) {
    cllm_adamw opt;
    cllm_error err = {0};
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    uint64_t rs = 5;
    int32_t x[B * T], y[B * T];
    for (int s = 0; s < steps; s++) {
        batch(x, y, &rs);
        cllm_model_zero_grad(m);
        losses[s] = cllm_model_forward(m, x, y, B, T);
        cllm_model_backward(m, 1.0f);
        cllm_clip_grad_norm(m, 1.0f);
        cllm_adamw_step(&opt, m, 3e-3f);
    }
    cllm_adamw_free(&opt);
}

/* One forward and backward: the loss within 0.2 % and the gradient within 2° of fp32's (measured: 0.002 % and a
 * cosine of 0.9999975), and not the same bits (the bf16 path ran). */
static void test_gradient_near_fp32(void **state) {
    (void)state;
    cllm_model *m[2] = {tiny(CLLM_PRECISION_FP32), tiny(CLLM_PRECISION_BF16)};
    uint64_t rs = 3;
    int32_t x[B * T], y[B * T];
    batch(x, y, &rs);
    float loss[2];
    for (int i = 0; i < 2; i++) {
        cllm_model_zero_grad(m[i]);
        loss[i] = cllm_model_forward(m[i], x, y, B, T);
        cllm_model_backward(m[i], 1.0f);
    }
    assert_true(fabsf(loss[1] - loss[0]) <= 2e-3f * loss[0]);
    assert_true(loss[1] != loss[0]);
    const float *g0 = cllm_model_grads(m[0]), *g1 = cllm_model_grads(m[1]);
    double dot = 0, n0 = 0, n1 = 0;
    for (size_t i = 0; i < cllm_model_num_params(m[0]); i++) {
        dot += (double)g0[i] * g1[i];
        n0 += (double)g0[i] * g0[i];
        n1 += (double)g1[i] * g1[i];
    }
    double cosine = dot / sqrt(n0 * n1);
    if (getenv("BF16_TEST_VERBOSE")) printf("loss %.7f vs %.7f, gradient cosine %.7f\n", loss[1], loss[0], cosine);
    assert_true(cosine > cos(2.0 * M_PI / 180.0));
    for (int i = 0; i < 2; i++) cllm_model_free(m[i]);
}

/* 30 AdamW steps: every step's loss within 0.05 nats of fp32's (measured: at most 0.0016), and it learns. */
static void test_first_steps_near_fp32(void **state) {
    (void)state;
    enum { STEPS = 30 };
    float l32[STEPS], l16[STEPS];
    cllm_model *m = tiny(CLLM_PRECISION_FP32);
    train(m, STEPS, l32);
    cllm_model_free(m);
    m = tiny(CLLM_PRECISION_BF16);
    train(m, STEPS, l16);
    cllm_model_free(m);
    float worst = 0;
    for (int s = 0; s < STEPS; s++) worst = fmaxf(worst, fabsf(l16[s] - l32[s]));
    if (getenv("BF16_TEST_VERBOSE")) printf("largest loss gap %.5f; last %.4f vs %.4f\n", worst, l16[STEPS - 1], l32[STEPS - 1]);
    assert_true(worst < 0.05f);
    assert_true(l16[STEPS - 1] < l16[0] - 0.5f);
}

/* bf16 training gives the same parameters, bit for bit, at 1, 2 and 3 threads at every kernel level; and the
 * AVX-512F emulation of vdpbf16ps (level avx512) the same as the instruction (level avx512bf16), whose fp32
 * kernels are the same. (Lower levels differ from these in the fp32 kernels' last bits, as fp32 training does.) */
static float *bf16_params(cllm_simd_level level, int threads, size_t *n) {
    enum { STEPS = 3 };
    float losses[STEPS];
    assert_int_equal(cllm_simd_level_set(level), 0);
    omp_set_num_threads(threads);
    cllm_model *m = tiny(CLLM_PRECISION_BF16);
    train(m, STEPS, losses);
    *n = cllm_model_num_params(m);
    float *p = malloc(sizeof(float) * *n);
    assert_non_null(p);
    memcpy(p, cllm_model_params(m), sizeof(float) * *n);
    cllm_model_free(m);
    return p;
}

static void test_same_bits_across_threads_and_emulation(void **state) {
    (void)state;
    cllm_simd_level best = cllm_simd_level_detect();
    float *at_level[CLLM_SIMD_AVX512BF16 + 1] = {0};
    size_t n = 0;
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        at_level[level] = bf16_params((cllm_simd_level)level, 1, &n);
        for (int threads = 2; threads <= 3; threads++) {
            float *p = bf16_params((cllm_simd_level)level, threads, &n);
            if (memcmp(p, at_level[level], sizeof(float) * n) != 0)
                fail_msg("bf16 training at level %d: %d threads differ from 1", level, threads);
            free(p);
        }
    }
    if (best == CLLM_SIMD_AVX512BF16)
        assert_memory_equal(at_level[CLLM_SIMD_AVX512], at_level[CLLM_SIMD_AVX512BF16], sizeof(float) * n);
    for (int level = 0; level <= (int)best; level++) free(at_level[level]);
    assert_int_equal(cllm_simd_level_set(best), 0);
    omp_set_num_threads(2);
}

static void test_precision_checked(void **state) {
    (void)state;
    cllm_model *m = tiny(CLLM_PRECISION_FP32);
    cllm_error err = {0};
    assert_int_equal(cllm_model_set_precision(m, CLLM_PRECISION_INT8, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_model_set_precision(m, (cllm_precision)9, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_model_precision(m), CLLM_PRECISION_FP32);
    cllm_model_free(m);
    cllm_precision p;
    assert_int_equal(cllm_precision_parse("bf16", &p), 0);
    assert_int_equal(p, CLLM_PRECISION_BF16);
    assert_int_equal(cllm_precision_parse("fp16", &p), -1);
    assert_string_equal(cllm_precision_name(CLLM_PRECISION_INT8), "int8");
}

int main(void) {
    omp_set_num_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_near_fp32),
        cmocka_unit_test(test_first_steps_near_fp32),
        cmocka_unit_test(test_same_bits_across_threads_and_emulation),
        cmocka_unit_test(test_precision_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
