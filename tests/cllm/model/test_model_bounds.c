/* test_model_bounds.c — the public forward, backward and generator refuse token ids outside [0, V) and batch
 * shapes whose B·T overflows, instead of reading or writing out of bounds or silently using id 0 (issue 10,
 * finding 5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_generate.h"
#include "support.h"

enum { B = 2, T = 4, V = 32 };

static cllm_model *small_model(void) {
    cllm_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 8, .n_ctx = 8, .vocab_size = V};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(cllm_model_init_gpt2(m, 7), 0);
    assert_int_equal(cllm_model_reserve(m, B, T, &err), 0);
    return m;
}

static int grads_all_zero(cllm_model *m) {
    const float *g = cllm_model_grads(m);
    for (size_t i = 0; i < cllm_model_num_params(m); i++)
        if (g[i] != 0.0f) return 0;
    return 1;
}

static void test_forward_refuses_ids_outside_vocab(void **state) {
    (void)state;
    cllm_model *m = small_model();
    int32_t in[B * T], tg[B * T];
    for (int i = 0; i < B * T; i++) { in[i] = i % V; tg[i] = (i + 1) % V; }
    const int32_t bad_ids[] = {V, -1, V + 1000000, INT32_MIN};
    for (size_t k = 0; k < sizeof bad_ids / sizeof *bad_ids; k++) {
        int32_t bad_in[B * T], bad_tg[B * T];
        memcpy(bad_in, in, sizeof in);
        memcpy(bad_tg, tg, sizeof tg);
        bad_in[B * T - 1] = bad_ids[k];
        bad_tg[3] = bad_ids[k];
        cllm_model_zero_grad(m);
        assert_true(isnan(cllm_model_forward(m, bad_in, tg, B, T)));
        cllm_model_backward(m, 1.0f); /* adds nothing: the encoder backward would have written dwte[id] */
        assert_true(grads_all_zero(m));
        assert_true(isnan(cllm_model_forward(m, in, bad_tg, B, T)));
        assert_true(isnan(cllm_model_evaluate(m, in, bad_tg, B, T)));
        assert_true(isnan(cllm_model_forward(m, bad_in, NULL, B, T)));
    }
    /* good ids still work after refused ones */
    float loss = cllm_model_forward(m, in, tg, B, T);
    assert_true(isfinite(loss) && loss > 0);
    cllm_model_backward(m, 1.0f);
    assert_false(grads_all_zero(m));
    cllm_model_free(m);
}

static void test_reserve_refuses_overflowing_batch(void **state) {
    (void)state;
    cllm_model *m = small_model();
    cllm_error err = {0};
    assert_int_equal(cllm_model_reserve(m, 1 << 29, 8, &err), CLLM_ERR_ARG); /* B·T = 2^32 */
    assert_non_null(strstr(err.msg, "2^31"));
    cllm_model_free(m);
}

static void test_generator_refuses_ids_outside_vocab(void **state) {
    (void)state;
    cllm_model *m = small_model();
    cllm_error err = {0};
    cllm_generator *g = cllm_generator_new(m, &err);
    assert_non_null(g);
    const int32_t prompt[] = {1, 2, V}, good[] = {1, 2, 3};
    assert_null(cllm_generator_feed(g, prompt, 3));
    assert_int_equal(cllm_generator_length(g), 0); /* nothing of the refused prompt was cached */
    assert_null(cllm_generator_push(g, -1));
    assert_null(cllm_generator_push(g, V));
    assert_int_equal(cllm_generator_length(g), 0);
    const float *logits = cllm_generator_feed(g, good, 3);
    assert_non_null(logits);
    assert_int_equal(cllm_generator_length(g), 3);
    assert_non_null(cllm_generator_push(g, V - 1));
    cllm_generator_free(g);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_refuses_ids_outside_vocab),
        cmocka_unit_test(test_reserve_refuses_overflowing_batch),
        cmocka_unit_test(test_generator_refuses_ids_outside_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
