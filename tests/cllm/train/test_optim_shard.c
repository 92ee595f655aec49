/* test_optim_shard.c — a sharded optimizer (cllm_adamw_shard, ZeRO stage 1), AdamW or Muon, updates exactly its
 * part of the arena with the bits the whole optimizer gives there, keeps the same moments, leaves the rest alone,
 * and refuses what it cannot do (a range outside its shard, a bound inside a hidden matrix under Muon, Muon
 * switched on after sharding); cllm_adamw_split's bounds never cut a hidden matrix. */
#include <string.h>

#include "cllm.h"
#include "support.h"

enum { STEPS = 3, SHARDS = 3 };

static cllm_model *model(void) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 24, .n_ctx = 8, .vocab_size = 37};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 7);
    assert_int_equal(cllm_model_reserve(m, 1, 8, &err), 0);
    return m;
}

/* The same made-up gradient for every model at a step: values of both signs and sizes. */
static void set_grads(cllm_model *m, int step) {
    float *g = cllm_model_grads(m);
    uint64_t rs = 99 + (uint64_t)step;
    for (size_t i = 0; i < cllm_model_num_params(m); i++) g[i] = (float)((int64_t)(test_rand(&rs) % 2001) - 1000) * 1e-4f;
}

/* SHARDS optimizers, each on its own copy of the model and sharded at lo[], against one whole optimizer over
 * STEPS steps of the same gradients: each part ends with the whole's bits (weights and moments) there. */
static void check_shards(int muon, const size_t *lo) {
    cllm_error err = {0};
    cllm_model *whole = model(), *part[SHARDS];
    size_t P = cllm_model_num_params(whole);
    cllm_adamw full, opt[SHARDS];
    assert_int_equal(cllm_adamw_init(&full, whole, &err), 0);
    if (muon) assert_int_equal(cllm_adamw_set_muon(&full, whole, 2, 0.95f, 5, &err), 0);
    for (int k = 0; k < SHARDS; k++) {
        part[k] = model();
        assert_int_equal(cllm_adamw_init(&opt[k], part[k], &err), 0);
        if (muon) assert_int_equal(cllm_adamw_set_muon(&opt[k], part[k], 2, 0.95f, 5, &err), 0);
        assert_int_equal(cllm_adamw_shard(&opt[k], part[k], lo[k], lo[k + 1] - lo[k], &err), 0);
    }
    for (int s = 0; s < STEPS; s++) {
        float lr = s == 1 ? 3e-2f : 1e-3f;
        set_grads(whole, s);
        cllm_adamw_step(&full, whole, lr);
        for (int k = 0; k < SHARDS; k++) {
            set_grads(part[k], s);
            cllm_adamw_step(&opt[k], part[k], lr);
        }
    }
    cllm_model *init = model();
    for (int k = 0; k < SHARDS; k++) {
        const float *p = cllm_model_params(part[k]), *w = cllm_model_params(whole), *p0 = cllm_model_params(init);
        size_t a = lo[k], b = lo[k + 1];
        assert_memory_equal(p + a, w + a, sizeof(float) * (b - a));            /* its part: the whole's bits */
        assert_memory_equal(opt[k].m, full.m + a, sizeof(float) * (b - a));    /* and the same moments */
        assert_memory_equal(opt[k].v, full.v + a, sizeof(float) * (b - a));
        assert_memory_equal(p, p0, sizeof(float) * a);                          /* the rest untouched */
        assert_memory_equal(p + b, p0 + b, sizeof(float) * (P - b));
        assert_true(memcmp(p + a, p0 + a, sizeof(float) * (b - a)) != 0);       /* and it did move */
    }
    cllm_adamw_free(&full);
    cllm_model_free(whole);
    cllm_model_free(init);
    for (int k = 0; k < SHARDS; k++) {
        cllm_adamw_free(&opt[k]);
        cllm_model_free(part[k]);
    }
}

static void test_adamw_shards(void **state) {
    (void)state;
    cllm_model *m = model();
    size_t P = cllm_model_num_params(m), lo[SHARDS + 1];
    for (int k = 0; k <= SHARDS; k++) lo[k] = P * (size_t)k / SHARDS + (k > 0 && k < SHARDS ? 5 : 0); /* mid-tensor */
    check_shards(0, lo);
    /* a shard of a shard must lie inside it, and hold something; Muon cannot be switched on after sharding */
    cllm_error err = {0};
    cllm_adamw opt;
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    assert_int_equal(cllm_adamw_shard(&opt, m, lo[1], lo[2] - lo[1], &err), 0);
    assert_int_equal(cllm_adamw_shard(&opt, m, lo[0], 10, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_adamw_shard(&opt, m, lo[1], 0, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, 1, 0.95f, 5, &err), CLLM_ERR_STATE);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
}

/* Muon: the split moves every bound that would cut a hidden matrix to one of its ends, a bound inside one is
 * refused, and shards at the split's bounds step like the whole. */
static void test_muon_shards(void **state) {
    (void)state;
    cllm_error err = {0};
    cllm_model *m = model();
    size_t P = cllm_model_num_params(m), lo[SHARDS + 1];
    cllm_adamw opt;
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    cllm_adamw_split(&opt, m, SHARDS, lo); /* AdamW: the even split */
    for (int k = 0; k <= SHARDS; k++) assert_int_equal(lo[k], P * (size_t)k / SHARDS);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, 2, 0.95f, 5, &err), 0);
    cllm_adamw_split(&opt, m, SHARDS, lo);
    assert_int_equal(lo[0], 0);
    assert_int_equal(lo[SHARDS], P);
    int moved = 0;
    for (int k = 1; k < SHARDS; k++) {
        assert_true(lo[k - 1] < lo[k]);
        moved += lo[k] != P * (size_t)k / SHARDS;
        for (int i = 0; i < cllm_model_tensor_count(m); i++) {
            const cllm_tensor *t = cllm_model_tensor(m, i);
            if (cllm_muon_blocks(t)) assert_false(lo[k] > t->offset && lo[k] < t->offset + t->numel);
        }
    }
    assert_true(moved > 0); /* this model's even bounds do cut a hidden matrix: the test is not vacuous */
    const cllm_tensor *h = NULL;
    for (int i = 0; !h && i < cllm_model_tensor_count(m); i++)
        if (cllm_muon_blocks(cllm_model_tensor(m, i))) h = cllm_model_tensor(m, i);
    assert_int_equal(cllm_adamw_shard(&opt, m, 0, h->offset + 1, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, h->name));
    assert_int_equal(cllm_adamw_shard(&opt, m, h->offset + 1, P - h->offset - 1, &err), CLLM_ERR_ARG);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    check_shards(1, lo);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_adamw_shards), cmocka_unit_test(test_muon_shards)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
