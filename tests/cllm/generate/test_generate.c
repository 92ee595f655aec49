/* test_generate.c — the KV-cache path gives the same logits as the full forward; the samplers do what their
 * names say. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_generate.h"
#include "support.h"

static uint64_t seed = 7;

/* variant 0: GPT-2; 1: crystalline (clock positions, prime-distance bias); 2: every speedrun option */
static cllm_model *make_model(int n_ctx, int variant) {
    int prime_bias = variant == 1, fast = variant == 2;
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .n_ctx = n_ctx, .vocab_size = 50,
                       .attn_prime_bias = prime_bias, .pos_kind = prime_bias ? CLLM_POS_CLOCK : CLLM_POS_LEARNED,
                       .mlp_relu2 = fast, .rmsnorm = fast, .untied_head = fast, .no_bias = fast,
                       .zero_init_proj = fast, .logit_softcap = fast ? 2.0f : 0.0f, .qk_norm = fast,
                       .rope = fast};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 3);
    float *p = cllm_model_params(m); /* larger weights than GPT-2 init so logits differ visibly */
    for (size_t i = 0; i < cllm_model_num_params(m); i++) p[i] += (float)(0.1 * test_rand_uniform(&seed));
    return m;
}

static void kv_cache_matches_full_forward(int variant) {
    int T = 24;
    cllm_model *m = make_model(T, variant);
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
    kv_cache_matches_full_forward(2); /* the speedrun options: ReLU², RMSNorm, untied head, soft-cap, no biases,
                                       * QK-norm, rotary positions */
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

static void assert_logits_close(const float *got, const float *want, int V) {
    for (int v = 0; v < V; v++)
        if (fabsf(got[v] - want[v]) > 1e-4f * (1 + fabsf(want[v]))) fail_msg("id %d: %g vs %g", v, got[v], want[v]);
}

/* Feeding a prompt at once (in chunks of matrix products) gives the logits of pushing it token by token, at
 * lengths around the chunk size, and across the window's slide; one token fed is exactly one pushed. */
static void test_feed_matches_push(void **state) {
    (void)state;
    int T = 150, V = 50, lengths[] = {1, 5, 63, 64, 65, 140};
    for (int variant = 0; variant <= 2; variant++) {
        cllm_model *m = make_model(T, variant);
        cllm_error err = {0};
        cllm_generator *fed = cllm_generator_new(m, &err), *pushed = cllm_generator_new(m, &err);
        assert_non_null(fed);
        assert_non_null(pushed);
        int32_t ids[200];
        for (int i = 0; i < 200; i++) ids[i] = (int32_t)(test_rand(&seed) % (uint64_t)V);
        float want[50];
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            int n = lengths[li];
            cllm_generator_reset(fed);
            cllm_generator_reset(pushed);
            const float *lg = NULL;
            for (int i = 0; i < n; i++) lg = cllm_generator_push(pushed, ids[i]);
            memcpy(want, lg, sizeof want);
            lg = cllm_generator_feed(fed, ids, n);
            if (n == 1) assert_memory_equal(lg, want, sizeof want);
            assert_logits_close(lg, want, V);
            assert_int_equal(cllm_generator_length(fed), n);
        }
        /* both at 140 of 150: 60 more slide the window once on the way */
        const float *lg = NULL;
        for (int i = 140; i < 200; i++) lg = cllm_generator_push(pushed, ids[i]);
        memcpy(want, lg, sizeof want);
        lg = cllm_generator_feed(fed, ids + 140, 60);
        assert_logits_close(lg, want, V);
        assert_int_equal(cllm_generator_length(fed), cllm_generator_length(pushed));
        /* and pushing on from there agrees */
        memcpy(want, cllm_generator_push(pushed, 7), sizeof want);
        assert_logits_close(cllm_generator_push(fed, 7), want, V);
        cllm_generator_free(fed);
        cllm_generator_free(pushed);
        cllm_model_free(m);
    }
}

/* The sampler before partial selection, kept as the reference: sort all V candidates (probability descending, ties
 * by lower id), cut to top-k, then to the nucleus, and draw once from what is left. */
typedef struct ref_candidate { float p; int id; } ref_candidate;

static int ref_by_prob_desc(const void *a, const void *b) {
    const ref_candidate *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static int ref_sample(ref_candidate *cand, const float *logits, int V, const cllm_sample_params *sp, cllm_rng *rng) {
    float maxv = logits[0];
    for (int v = 1; v < V; v++) if (logits[v] > maxv) maxv = logits[v];
    double sum = 0;
    for (int v = 0; v < V; v++) {
        cand[v].p = expf((logits[v] - maxv) / sp->temperature);
        cand[v].id = v;
        sum += cand[v].p;
    }
    int n = V;
    if ((sp->top_k > 0 && sp->top_k < V) || sp->top_p < 1.0f) {
        qsort(cand, V, sizeof *cand, ref_by_prob_desc);
        if (sp->top_k > 0 && sp->top_k < n) n = sp->top_k;
        double kept = 0;
        for (int i = 0; i < n; i++) kept += cand[i].p;
        if (sp->top_p < 1.0f) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += cand[i].p;
                if (acc >= sp->top_p * kept) { n = i + 1; break; }
            }
        }
        sum = 0;
        for (int i = 0; i < n; i++) sum += cand[i].p;
    }
    double r = cllm_rng_uniform(rng) * sum, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += cand[i].p;
        if (r < acc) return cand[i].id;
    }
    return cand[n - 1].id;
}

/* Top-k and top-p pick exactly what sorting all candidates picked, draw for draw, at every cut: small and large
 * k, nuclei from one token to nearly all (so the ranked prefix has to grow), ties among the logits. */
static void test_samplers_match_full_sort(void **state) {
    (void)state;
    int V = 3000;
    cllm_config cfg = {.n_layer = 1, .n_head = 1, .n_embd = 8, .n_ctx = 4, .vocab_size = V};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_generator *g = cllm_generator_new(m, &err);
    assert_non_null(g);
    float *logits = malloc(sizeof(float) * V);
    ref_candidate *cand = malloc(sizeof *cand * V);
    assert_non_null(logits);
    assert_non_null(cand);
    const cllm_sample_params params[] = {
        {1.0f, 1, 1.0f}, {1.0f, 2, 1.0f}, {0.8f, 40, 1.0f}, {1.3f, 2999, 1.0f}, {1.0f, 3000, 1.0f},
        {1.0f, 0, 1e-6f}, {1.0f, 0, 0.5f}, {0.7f, 0, 0.9f}, {2.0f, 0, 0.999f}, {1.0f, 50, 0.9f}, {1.0f, 3000, 0.7f},
    };
    for (int round = 0; round < 4; round++) {
        /* rounds 0, 1: a peaked distribution; 2, 3: a flat one, where the nucleus spans most of V */
        double spread = round < 2 ? 8.0 : 0.5;
        for (int v = 0; v < V; v++) logits[v] = (float)(spread * test_rand_uniform(&seed));
        for (int v = 0; v < V; v += 7) logits[v] = logits[v / 2]; /* ties */
        for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
            cllm_rng a, b;
            cllm_rng_seed(&a, 100 + round);
            cllm_rng_seed(&b, 100 + round);
            for (int draw = 0; draw < 30; draw++)
                assert_int_equal(cllm_sample(g, logits, &params[i], &a), ref_sample(cand, logits, V, &params[i], &b));
        }
    }
    free(logits);
    free(cand);
    cllm_generator_free(g);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_cache_matches_full_forward),
        cmocka_unit_test(test_feed_matches_push),
        cmocka_unit_test(test_samplers),
        cmocka_unit_test(test_samplers_match_full_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
