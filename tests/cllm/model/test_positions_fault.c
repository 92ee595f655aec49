/* test_positions_fault.c — a fixed position encoding or lattice init that pm_spiral_features fails to make is
 * zeroed, never partial, and the failure reaches the caller of cllm_model_init_gpt2, of the loader and of the
 * trainer (issue 10, finding 5). The only failure left in libprimemath is running out of memory, which no test provokes reliably, so
 * this binary is linked with -Wl,--wrap=pm_spiral_features (Makefile) and the wrapper below fails on request
 * after writing half of its output, as an allocation failing midway would. */
#include <string.h>

#include "cllm.h"
#include "cllm_io.h"
#include "cllm_train.h"
#include "primemath.h"
#include "support.h"

int __real_pm_spiral_features(pm_spiral kind, pm_index_map map, size_t count, size_t dim, float *out,
                              cllm_error *err);
int __wrap_pm_spiral_features(pm_spiral kind, pm_index_map map, size_t count, size_t dim, float *out,
                              cllm_error *err);

static int fail_next; /* set by a test: the next call writes half its rows, then fails */

int __wrap_pm_spiral_features(pm_spiral kind, pm_index_map map, size_t count, size_t dim, float *out,
                              cllm_error *err) {
    if (!fail_next) return __real_pm_spiral_features(kind, map, count, dim, out, err);
    fail_next = 0;
    for (size_t i = 0; i < count / 2 * dim; i++) out[i] = 0.5f;
    return cllm_error_set(err, CLLM_ERR_NOMEM, "features: out of memory (injected)");
}

static cllm_model *model_of(int pos_kind, int embed_init) {
    cllm_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 8, .n_ctx = 16, .vocab_size = 64,
                       .pos_kind = pos_kind, .embed_init = embed_init};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    return m;
}

/* Share of the tensor's values that are not 0: 0 when zeroed, near 1 when filled (a spiral encoding holds a few
 * exact zeros: sin(0) at the origin), about 1/2 after the wrapper's partial write. */
static double filled(const cllm_model *m, const char *name) {
    const cllm_tensor *t = cllm_model_tensor_find(m, name);
    size_t nonzero = 0;
    for (size_t i = 0; i < t->numel; i++) nonzero += t->data[i] != 0.0f;
    return (double)nonzero / (double)t->numel;
}

static void test_init_reports_a_failed_position_encoding(void **state) {
    (void)state;
    const int kinds[] = {CLLM_POS_SPIRAL, CLLM_POS_CLOCK, CLLM_POS_PRIME};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        cllm_model *m = model_of(kinds[k], 0);
        assert_int_equal(cllm_model_init_gpt2(m, 1), 0); /* the wrapper passes through: a full encoding */
        assert_true(filled(m, "wpe.weight") > 0.75);
        fail_next = 1;
        assert_int_equal(cllm_model_init_gpt2(m, 1), CLLM_ERR_NOMEM);
        assert_int_equal(fail_next, 0); /* the failing call was made */
        assert_true(filled(m, "wpe.weight") == 0.0);  /* not the half the wrapper wrote */
        assert_true(filled(m, "wte.weight") > 0.75);  /* the rest of the initialisation is untouched */
        fail_next = 1;
        assert_int_equal(cllm_model_fill_positions(m), CLLM_ERR_NOMEM);
        assert_true(filled(m, "wpe.weight") == 0.0);
        cllm_model_free(m);
    }
}

static void test_init_reports_a_failed_lattice_embedding(void **state) {
    (void)state;
    cllm_model *m = model_of(CLLM_POS_LEARNED, 1);
    assert_int_equal(cllm_model_init_gpt2(m, 1), 0);
    assert_true(filled(m, "wte.weight") > 0.75);
    fail_next = 1;
    assert_int_equal(cllm_model_init_gpt2(m, 1), CLLM_ERR_NOMEM);
    assert_true(filled(m, "wte.weight") == 0.0);
    assert_true(filled(m, "wpe.weight") > 0.75); /* learned positions: normal(0.02) as usual */
    cllm_model_free(m);
}

static void test_load_fails_when_the_encoding_cannot_be_made(void **state) {
    (void)state;
    cllm_model *m = model_of(CLLM_POS_PRIME, 0);
    assert_int_equal(cllm_model_init_gpt2(m, 1), 0);
    cllm_error err = {0};
    const char *path = test_path("prime.safetensors");
    assert_int_equal(cllm_model_save(m, NULL, path, &err), 0);
    cllm_model_free(m);
    cllm_model *ok = cllm_model_load(path, NULL, &err); /* the same file loads when the encoding can be made */
    assert_non_null(ok);
    assert_true(filled(ok, "wpe.weight") > 0.75);
    cllm_model_free(ok);
    fail_next = 1;
    assert_null(cllm_model_load(path, NULL, &err));
    assert_int_equal(err.code, CLLM_ERR_NOMEM);
    assert_non_null(strstr(err.msg, "prime position encoding"));
}

static void test_trainer_fails_when_the_encoding_cannot_be_made(void **state) {
    (void)state;
    const char *text = test_path("train.txt"), *tok = test_path("byte.json");
    char doc[4096];
    for (size_t i = 0; i < sizeof doc; i++) doc[i] = "the cat sat on the mat. "[i % 24];
    test_write_file(text, doc, sizeof doc);
    test_write_file(tok, "{\"type\": \"byte\"}", 16);
    const char *data[] = {text};
    cllm_train_opts o = cllm_train_defaults();
    o.data = data;
    o.n_data = 1;
    o.tokenizer_path = tok;
    o.config.n_layer = 1; o.config.n_embd = 8; o.config.n_head = 2; o.config.n_ctx = 16;
    o.config.pos_kind = CLLM_POS_SPIRAL;
    o.settings.B = 2;
    o.settings.steps = 2;
    cllm_error err = {0};
    o.out_dir = test_path("run-ok"); /* the same run starts when the encoding can be made */
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    cllm_trainer_free(t);
    o.out_dir = test_path("run-fail");
    fail_next = 1;
    assert_null(cllm_trainer_new(&o, &err)); /* before: trained on a zeroed (or half-written) encoding */
    assert_int_equal(fail_next, 0);
    assert_int_equal(err.code, CLLM_ERR_NOMEM);
    assert_non_null(strstr(err.msg, "spiral position encoding"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_reports_a_failed_position_encoding),
        cmocka_unit_test(test_init_reports_a_failed_lattice_embedding),
        cmocka_unit_test(test_load_fails_when_the_encoding_cannot_be_made),
        cmocka_unit_test(test_trainer_fails_when_the_encoding_cannot_be_made),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
