/* test_optim.c — AdamW: every kernel level gives the bits of the plain formula, for any thread count.
 *
 * The reference below is the update as written before the vector versions existed; the vector versions must
 * match it exactly (a resumed run is bit-exact, and a checkpoint must continue the same on any CPU). Tensor sizes
 * cover vector tails (24 = 16 + 8, 13·24) and tensors longer than one parallel chunk (wte: 1000·24). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_simd.h"
#include "support.h"

#ifdef _OPENMP
#include <omp.h>
#endif

enum { STEPS = 3 };
static const float LR[STEPS] = {1e-3f, 3e-4f, 5e-2f};

/* Old-formula AdamW over one tensor's elements: the specification. */
static void reference_step(const cllm_adamw *o, int64_t step, float lr, int decay, float *p, const float *g, float *m,
                           float *v, size_t n) {
    float b1 = o->beta1, b2 = o->beta2, wd = decay ? o->weight_decay : 0.0f;
    float c1 = 1.0f - powf(b1, (float)step), c2 = 1.0f - powf(b2, (float)step);
    for (size_t j = 0; j < n; j++) {
        float gj = g[j];
        m[j] = b1 * m[j] + (1.0f - b1) * gj;
        v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
        float mhat = m[j] / c1, vhat = v[j] / c2;
        p[j] -= lr * (mhat / (sqrtf(vhat) + o->eps) + wd * p[j]);
    }
}

static cllm_model *fixture(void) {
    cllm_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 24, .n_ctx = 8, .vocab_size = 1000};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(cllm_model_reserve(m, 1, 8, &err), 0);
    return m;
}

/* Parameters and gradients from a fixed seed (gradients of mixed sign and size, some exactly zero). */
static void fill(cllm_model *m) {
    uint64_t seed = 7;
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        for (size_t j = 0; j < t->numel; j++) {
            t->data[j] = (float)test_rand_uniform(&seed);
            double g = test_rand_uniform(&seed);
            t->grad[j] = j % 11 == 3 ? 0.0f : (float)(g * g * g * 4.0);
        }
    }
}

static void test_every_level_matches_formula(void **state) {
    (void)state;
    cllm_model *model = fixture();
    cllm_error err = {0};
    size_t n = cllm_model_num_params(model);
    /* the reference run */
    cllm_adamw ref;
    assert_int_equal(cllm_adamw_init(&ref, model, &err), 0);
    fill(model);
    float *want = malloc(n * sizeof(float));
    assert_non_null(want);
    memcpy(want, cllm_model_params(model), n * sizeof(float));
    for (int s = 0; s < STEPS; s++)
        for (int i = 0; i < cllm_model_tensor_count(model); i++) {
            const cllm_tensor *t = cllm_model_tensor(model, i);
            if (t->trainable)
                reference_step(&ref, s + 1, LR[s], t->decay, want + t->offset, t->grad, ref.m + t->offset,
                               ref.v + t->offset, t->numel);
        }
    int best = (int)cllm_simd_level_detect(), runs = 0;
    for (int level = CLLM_SIMD_SCALAR; level <= best; level++)
        for (int threads = 1; threads <= 2; threads++) {
            assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
#ifdef _OPENMP
            omp_set_num_threads(threads);
#endif
            cllm_adamw opt;
            assert_int_equal(cllm_adamw_init(&opt, model, &err), 0);
            fill(model);
            for (int s = 0; s < STEPS; s++) cllm_adamw_step(&opt, model, LR[s]);
            if (memcmp(cllm_model_params(model), want, n * sizeof(float)) || memcmp(opt.m, ref.m, n * 4) ||
                memcmp(opt.v, ref.v, n * 4)) {
                print_error("level %s, %d threads: AdamW differs from the formula\n",
                            cllm_simd_level_name((cllm_simd_level)level), threads);
                fail();
            }
            cllm_adamw_free(&opt);
            runs++;
        }
    assert_true(runs >= 2);
    cllm_simd_level_set((cllm_simd_level)best);
    cllm_adamw_free(&ref);
    free(want);
    cllm_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_level_matches_formula)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
