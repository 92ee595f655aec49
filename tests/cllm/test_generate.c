/* test_generate.c — the KV-cache path gives the same logits as the full forward; the samplers do what their
 * names say. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_generate.h"
#include "support.h"

static uint64_t seed = 7;

static cllm_model *make_model(int n_ctx, int prime_bias) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .n_ctx = n_ctx, .vocab_size = 50,
                       .attn_prime_bias = prime_bias, .pos_kind = prime_bias ? CLLM_POS_CLOCK : CLLM_POS_LEARNED};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 3);
    float *p = cllm_model_params(m); /* larger weights than GPT-2 init so logits differ visibly */
    for (size_t i = 0; i < cllm_model_num_params(m); i++) p[i] += (float)(0.1 * test_rand_uniform(&seed));
    return m;
}

static void kv_cache_matches_full_forward(int prime_bias) {
    int T = 24;
    cllm_model *m = make_model(T, prime_bias);
    cllm_error err = {0};
    assert_int_equal(cllm_model_reserve(m, 1, T, &err), 0);
    int32_t ids[24];
    for (int i = 0; i < T; i++) ids[i] = (int32_t)(test_rand(&seed) % 50);
    cllm_generator *g = cllm_generator_new(m, &err);
    assert_non_null(g);
    for (int t = 0; t < T; t++) {
        const float *lg = cllm_generator_push(g, ids[t]);
        cllm_model_forward(m, ids, NULL, 1, t + 1); /* the full forward's logits at its last position, t */
        const float *full = cllm_model_logits(m);
        for (int v = 0; v < 50; v++)
            if (fabsf(lg[v] - full[v]) > 1e-4f * (1 + fabsf(full[v]))) {
                fprintf(stderr, "pos %d id %d: cached %g full %g\n", t, v, lg[v], full[v]);
                fail();
            }
    }
    assert_int_equal(cllm_generator_length(g), T);
    /* a full window slides: the next logits equal a fresh forward over the kept suffix plus the new token */
    int next = 5;
    const float *lg = cllm_generator_push(g, next);
    int keep = T - T / 4 - 1, n = keep + 1;
    int32_t suffix[24];
    memcpy(suffix, ids + T - keep, keep * sizeof(int32_t));
    suffix[keep] = next;
    cllm_model_forward(m, suffix, NULL, 1, n);
    const float *full = cllm_model_logits(m);
    for (int v = 0; v < 50; v++) assert_true(fabsf(lg[v] - full[v]) < 1e-4f * (1 + fabsf(lg[v])));
    cllm_generator_free(g);
    cllm_model_free(m);
}

static void test_kv_cache_matches_full_forward(void **state) {
    (void)state;
    kv_cache_matches_full_forward(0);
    kv_cache_matches_full_forward(1); /* crystalline: clock positions and the prime-distance bias */
}

static void test_samplers(void **state) {
    (void)state;
    cllm_model *m = make_model(8, 0);
    cllm_error err = {0};
    cllm_generator *g = cllm_generator_new(m, &err);
    float logits[50];
    for (int v = 0; v < 50; v++) logits[v] = (float)(v % 7) * 0.3f;
    logits[17] = 3.0f; /* the argmax */
    logits[3] = 2.5f;  /* second */
    cllm_rng rng;
    cllm_rng_seed(&rng, 1);
    cllm_sample_params greedy = {0.0f, 0, 1.0f}, top1 = {1.5f, 1, 1.0f}, nucleus = {1.0f, 0, 1e-6f};
    assert_int_equal(cllm_sample(g, logits, &greedy, &rng), 17);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(cllm_sample(g, logits, &top1, &rng), 17);
        assert_int_equal(cllm_sample(g, logits, &nucleus, &rng), 17);
    }
    cllm_sample_params top2 = {1.0f, 2, 1.0f};
    int counts[50] = {0};
    for (int i = 0; i < 2000; i++) counts[cllm_sample(g, logits, &top2, &rng)]++;
    assert_int_equal(counts[17] + counts[3], 2000);
    /* probabilities within top-2 follow softmax: p(17) = 1/(1+e^-0.5) ≈ 0.622 */
    assert_true(fabs(counts[17] / 2000.0 - 0.6225) < 0.04);
    /* full sampling at temperature 1 matches softmax frequencies */
    memset(counts, 0, sizeof counts);
    cllm_sample_params plain = {1.0f, 0, 1.0f};
    int draws = 40000;
    for (int i = 0; i < draws; i++) counts[cllm_sample(g, logits, &plain, &rng)]++;
    double z = 0;
    for (int v = 0; v < 50; v++) z += exp(logits[v]);
    for (int v = 0; v < 50; v++) {
        double p = exp(logits[v]) / z, sd = sqrt(p * (1 - p) / draws);
        assert_true(fabs(counts[v] / (double)draws - p) < 5 * sd + 1e-4);
    }
    /* same seed, same samples */
    cllm_rng a, b;
    cllm_rng_seed(&a, 99);
    cllm_rng_seed(&b, 99);
    for (int i = 0; i < 50; i++) assert_int_equal(cllm_sample(g, logits, &plain, &a), cllm_sample(g, logits, &plain, &b));
    cllm_generator_free(g);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_cache_matches_full_forward),
        cmocka_unit_test(test_samplers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
