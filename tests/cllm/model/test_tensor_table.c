/* test_tensor_table.c — the named tensors tile the parameter arena: every parameter belongs to exactly one tensor
 * (no gap, no overlap, nothing past the end), each tensor's gradient sits at the same offset in the gradient arena,
 * its element count is its file shape's, and each name is found as itself. Over the architecture options that add
 * or remove tensors (prime bias, untied head) or change what trains (no_bias, rmsnorm, rope), 0 to 3 layers. The
 * optimizers, ZeRO's shard bounds and the file writers walk this table instead of the arena. */
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "support.h"

static void check_tiles(const cllm_config *cfg) {
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(cfg, &err);
    assert_non_null(m);
    assert_int_equal(cllm_model_reserve(m, 1, 2, &err), 0);
    size_t N = cllm_model_num_params(m);
    const float *p = cllm_model_params(m), *g = cllm_model_grads(m);
    unsigned char *cover = calloc(N, 1);
    assert_non_null(cover);
    int n = cllm_model_tensor_count(m);
    assert_int_equal(n, cfg->n_layer * (12 + cfg->attn_prime_bias) + 4 + cfg->untied_head);
    for (int i = 0; i < n; i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        assert_non_null(t);
        assert_true(t->numel > 0);
        assert_int_equal(t->numel, (size_t)t->shape[0] * (t->ndim == 2 ? (size_t)t->shape[1] : 1));
        assert_true(t->data >= p && t->data + t->numel <= p + N);
        assert_int_equal((size_t)(t->data - p), t->offset);
        assert_ptr_equal(t->grad, g + t->offset);
        for (size_t j = 0; j < t->numel; j++) cover[t->offset + j]++;
        assert_ptr_equal(cllm_model_tensor_find(m, t->name), t);
    }
    for (size_t j = 0; j < N; j++)
        if (cover[j] != 1) fail_msg("parameter %zu of %zu is in %d tensors", j, N, cover[j]);
    assert_null(cllm_model_tensor(m, n));
    free(cover);
    cllm_model_free(m);
}

static void test_tiles_the_arena(void **state) {
    (void)state;
    for (int L = 0; L <= 3; L++)
        for (int option = 0; option < 6; option++) {
            cllm_config cfg = {.n_layer = L, .n_head = 2, .n_embd = 8, .n_ctx = 5, .vocab_size = 11};
            switch (option) {
            case 1: cfg.attn_prime_bias = 1; break;
            case 2: cfg.untied_head = 1; break;
            case 3: cfg.no_bias = 1; cfg.rmsnorm = 1; break;
            case 4: cfg.rope = 1; cfg.qk_norm = 1; break;
            case 5: cfg.attn_prime_bias = 1; cfg.untied_head = 1; cfg.n_head = 4; cfg.n_embd = 12; break;
            }
            check_tiles(&cfg);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tiles_the_arena)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
