/* test_train.c — AdamW, clipping and the schedule do what they claim, the model learns, and training is
 * deterministic given the seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "support.h"

static void test_schedule(void **state) {
    (void)state;
    assert_true(fabsf(cllm_lr_schedule(0, 10, 100, 1.0f, 0.1f) - 0.1f) < 1e-6f);  /* warmup: (0+1)/10 */
    assert_true(fabsf(cllm_lr_schedule(9, 10, 100, 1.0f, 0.1f) - 1.0f) < 1e-6f);
    assert_true(fabsf(cllm_lr_schedule(10, 10, 100, 1.0f, 0.1f) - 1.0f) < 1e-6f);  /* cosine starts at max */
    assert_true(fabsf(cllm_lr_schedule(55, 10, 100, 1.0f, 0.1f) - 0.55f) < 1e-6f); /* halfway: mean */
    assert_true(fabsf(cllm_lr_schedule(100, 10, 100, 1.0f, 0.1f) - 0.1f) < 1e-6f);
    assert_true(fabsf(cllm_lr_schedule(500, 10, 100, 1.0f, 0.1f) - 0.1f) < 1e-6f);
}

/* The plans the trainer builds (trainer.c next_lr): in steps, the cosine is cllm_lr_schedule bit for bit; WSD
 * holds the peak until the last warmdown share and then falls on a straight line; on a clock (seconds) the same
 * shape over time while the warmup still counts steps. */
static void test_schedule_wsd(void **state) {
    (void)state;
    cllm_lr_plan cosine = {.kind = CLLM_SCHEDULE_COSINE, .warmup = 10, .total = 100, .start = 10, .warmdown = 0.3,
                           .lr_max = 3e-3f, .lr_min = 3e-4f};
    for (int64_t step = 0; step <= 120; step++)
        assert_true(cllm_lr_at(&cosine, step, (double)step) == cllm_lr_schedule(step, 10, 100, 3e-3f, 3e-4f));

    cllm_lr_plan wsd = {.kind = CLLM_SCHEDULE_WSD, .warmup = 10, .total = 100, .start = 10, .warmdown = 0.3,
                        .lr_max = 1.0f, .lr_min = 0.0f};
    static const struct { int64_t step; float lr; } steps[] = {
        {0, 0.1f}, {4, 0.5f}, {9, 1.0f},            /* warmup: (step + 1)/10 */
        {10, 1.0f}, {50, 1.0f}, {70, 1.0f},          /* stable until 100 − 30 */
        {73, 0.9f}, {85, 0.5f}, {97, 0.1f}, {99, 1.0f / 30}, /* linear to 0 over the last 30 steps */
        {100, 0.0f}, {150, 0.0f},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        float lr = cllm_lr_at(&wsd, steps[i].step, (double)steps[i].step);
        if (fabsf(lr - steps[i].lr) > 1e-6f) fail_msg("wsd step %lld: lr %g, want %g", (long long)steps[i].step, lr,
                                                      steps[i].lr);
    }
    wsd.lr_min = 0.25f; /* the line ends at the floor: halfway down at 85 */
    assert_true(fabsf(cllm_lr_at(&wsd, 85, 85) - 0.625f) < 1e-6f);
    wsd.warmdown = 1.0; /* the whole run: the decay starts where the warmup ends */
    assert_true(cllm_lr_at(&wsd, 10, 10) == 1.0f);
    assert_true(fabsf(cllm_lr_at(&wsd, 55, 55) - 0.625f) < 1e-6f);

    /* a 60-second budget, warm-down half of it: the clock decides the decay, the step count the warmup */
    cllm_lr_plan clock = {.kind = CLLM_SCHEDULE_WSD, .warmup = 20, .total = 60, .start = 0, .warmdown = 0.5,
                          .lr_max = 2.0f, .lr_min = 0.0f};
    assert_true(cllm_lr_at(&clock, 30, 10.0) == 2.0f);
    assert_true(fabsf(cllm_lr_at(&clock, 30, 45.0) - 1.0f) < 1e-6f);
    assert_true(fabsf(cllm_lr_at(&clock, 5, 45.0) - 1.0f * 6 / 20) < 1e-6f); /* a slow warmup overlaps the decay */
    assert_true(fabsf(cllm_lr_at(&clock, 300, 57.0) - 0.2f) < 1e-6f);
    assert_true(cllm_lr_at(&clock, 300, 61.0) == 0.0f);
    clock.kind = CLLM_SCHEDULE_COSINE; /* the cosine on a clock: half the peak at half the time */
    assert_true(fabsf(cllm_lr_at(&clock, 30, 30.0) - 1.0f) < 1e-6f);
}

static cllm_model *tiny(uint64_t seed) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .n_ctx = 16, .vocab_size = 20};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, seed);
    assert_int_equal(cllm_model_reserve(m, 4, 16, &err), 0);
    return m;
}

/* A deterministic language: token t+1 = (3·t + 1) mod 20, with random starting points per row. */
static void batch(int32_t *x, int32_t *y, uint64_t *rs) {
    for (int b = 0; b < 4; b++) {
        int t = (int)(test_rand(rs) % 20);
        for (int i = 0; i < 16; i++) {
            x[b * 16 + i] = t;
            t = (3 * t + 1) % 20;
            y[b * 16 + i] = t;
        }
    }
}

static float train(cllm_model *m, int steps, float *first) {
    cllm_adamw opt;
    cllm_error err = {0};
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    uint64_t rs = 5;
    int32_t x[64], y[64];
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        batch(x, y, &rs);
        cllm_model_zero_grad(m);
        loss = cllm_model_forward(m, x, y, 4, 16);
        if (s == 0 && first) *first = loss;
        cllm_model_backward(m, 1.0f);
        cllm_clip_grad_norm(m, 1.0f);
        cllm_adamw_step(&opt, m, cllm_lr_schedule(s, 10, steps, 3e-3f, 3e-4f));
    }
    cllm_adamw_free(&opt);
    return loss;
}

static void test_learns_and_is_deterministic(void **state) {
    (void)state;
    cllm_model *a = tiny(11), *b = tiny(11);
    float first = 0, last = train(a, 150, &first);
    assert_true(fabsf(first - logf(20.0f)) < 0.3f); /* GPT-2 init: close to uniform */
    assert_true(last < 0.1f * first);              /* a deterministic sequence is learnable */
    train(b, 150, NULL);
    assert_memory_equal(cllm_model_params(a), cllm_model_params(b), cllm_model_num_params(a) * sizeof(float));
    cllm_model_free(a);
    cllm_model_free(b);
}

static void test_clip_and_weight_decay(void **state) {
    (void)state;
    cllm_model *m = tiny(1);
    float *g = cllm_model_grads(m);
    size_t n = cllm_model_num_params(m);
    for (size_t i = 0; i < n; i++) g[i] = 1.0f;
    float norm = cllm_clip_grad_norm(m, 2.0f);
    assert_true(fabsf(norm - sqrtf((float)n)) < 1e-3f * sqrtf((float)n));
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    assert_true(fabs(sqrt(s) - 2.0) < 1e-3);
    /* zero gradient: only decoupled decay moves weights, and only matrices (not biases, LayerNorm, wpe) */
    cllm_model_zero_grad(m);
    cllm_adamw opt;
    cllm_error err = {0};
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    const cllm_tensor *w = cllm_model_tensor_find(m, "h.0.mlp.c_fc.weight");
    const cllm_tensor *ln = cllm_model_tensor_find(m, "h.0.ln_1.weight");
    const cllm_tensor *wpe = cllm_model_tensor_find(m, "wpe.weight");
    float w0 = w->data[5], ln0 = ln->data[5], pe0 = wpe->data[5];
    cllm_adamw_step(&opt, m, 0.5f);
    assert_true(fabsf(w->data[5] - w0 * (1.0f - 0.5f * 0.1f)) < 1e-7f);
    assert_true(ln->data[5] == ln0);
    assert_true(wpe->data[5] == pe0);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule), cmocka_unit_test(test_schedule_wsd),
        cmocka_unit_test(test_learns_and_is_deterministic),
        cmocka_unit_test(test_clip_and_weight_decay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
