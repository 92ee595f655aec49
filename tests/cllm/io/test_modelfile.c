/* test_modelfile.c — model files and checkpoints: GPT-2 names and shapes as an independent numpy reader sees
 * them, files written by that reader load, bad files are refused with a message naming the problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_io.h"
#include "cllm_safetensors.h"
#include "support.h"

static cllm_model *patterned(int L, int C, int H, int T, int V) {
    cllm_config cfg = {.n_layer = L, .n_head = H, .n_embd = C, .n_ctx = T, .vocab_size = V};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    float *p = cllm_model_params(m);
    for (size_t i = 0; i < cllm_model_num_params(m); i++) p[i] = (float)(sin((double)i * 0.001) * 0.5);
    return m;
}

static const char *python(void) {
    const char *p = getenv("PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static void test_numpy_reads_our_file(void **state) {
    (void)state;
    cllm_model *m = patterned(2, 16, 2, 12, 256);
    cllm_tokenizer *tok = cllm_tokenizer_byte_new();
    cllm_error err = {0};
    const char *path = test_path("ours.safetensors");
    assert_int_equal(cllm_model_save(m, tok, path, &err), 0);
    assert_int_equal(test_system("%s tests/support/gpt2_np.py check %s", python(), path), 0);
    /* and we read back exactly what we wrote */
    cllm_tokenizer *tok2 = NULL;
    cllm_model *m2 = cllm_model_load(path, &tok2, &err);
    assert_non_null(m2);
    assert_non_null(tok2);
    assert_int_equal(cllm_model_num_params(m2), cllm_model_num_params(m));
    assert_memory_equal(cllm_model_params(m2), cllm_model_params(m), cllm_model_num_params(m) * sizeof(float));
    cllm_model_free(m);
    cllm_model_free(m2);
    cllm_tokenizer_free(tok);
    cllm_tokenizer_free(tok2);
}

static void test_we_read_numpys_hf_file(void **state) {
    (void)state;
    const char *path = test_path("hf.safetensors"), *raw = test_path("hf.raw");
    assert_int_equal(test_system("%s tests/support/gpt2_np.py write %s %s 2 64 4 16 300", python(), path, raw), 0);
    cllm_error err = {0};
    cllm_tokenizer *tok = NULL;
    cllm_model *m = cllm_model_load(path, &tok, &err);
    if (!m) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(m);
    assert_null(tok); /* the file has none */
    const cllm_config *c = cllm_model_config(m);
    assert_int_equal(c->n_layer, 2);
    assert_int_equal(c->n_head, 4);
    assert_int_equal(c->n_embd, 64);
    assert_int_equal(c->n_ctx, 16);
    assert_int_equal(c->vocab_size, 300);
    size_t n;
    uint8_t *want = cllm_file_read_all(raw, &n, &err);
    assert_non_null(want);
    assert_int_equal(n, cllm_model_num_params(m) * sizeof(float));
    assert_memory_equal(cllm_model_params(m), want, n);
    free(want);
    cllm_model_free(m);
}

/* Writes one model with a single tensor altered (shape, value or name) and expects the message. */
static void expect_refused(const char *label, int drop, int bad_shape, int nan, const char *extra_name,
                           const char *needle) {
    cllm_model *m = patterned(1, 8, 2, 4, 16);
    int nt = cllm_model_tensor_count(m);
    cllm_st_tensor ts[32];
    int n = 0;
    float nanv[8 * 24];
    for (int i = 0; i < nt; i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        if (drop && strcmp(t->name, "h.0.mlp.c_fc.bias") == 0) continue;
        ts[n] = (cllm_st_tensor){.name = t->name, .dtype = CLLM_DT_F32, .ndim = t->ndim,
                                 .shape = {t->shape[0], t->shape[1]}, .data = t->data, .nbytes = t->numel * 4};
        if (bad_shape && strcmp(t->name, "h.0.attn.c_attn.weight") == 0) { ts[n].shape[0] = 24; ts[n].shape[1] = 8; }
        if (nan && strcmp(t->name, "h.0.attn.c_attn.weight") == 0) {
            memcpy(nanv, t->data, sizeof nanv);
            nanv[17] = NAN;
            ts[n].data = nanv;
        }
        n++;
    }
    if (extra_name) {
        ts[n] = ts[n - 1];
        ts[n++].name = extra_name;
    }
    const char *path = test_path(label);
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write(path, ts, n, NULL, NULL, 0, &err), 0);
    cllm_model *bad = cllm_model_load(path, NULL, &err);
    assert_null(bad);
    if (!strstr(err.msg, needle) || !strstr(err.msg, label)) {
        fprintf(stderr, "%s: message '%s' lacks '%s'\n", label, err.msg, needle);
        fail();
    }
    cllm_model_free(m);
}

static void test_bad_files_are_refused(void **state) {
    (void)state;
    expect_refused("missing.safetensors", 1, 0, 0, NULL, "h.0.mlp.c_fc.bias' is missing");
    expect_refused("shape.safetensors", 0, 1, 0, NULL, "h.0.attn.c_attn.weight' has shape [24, 8], expected [8, 24]");
    expect_refused("nan.safetensors", 0, 0, 1, NULL, "non-finite");
    expect_refused("extra.safetensors", 0, 0, 0, "h.0.attn.c_attn.weights", "unexpected tensor");
    /* truncated: every prefix of a good file fails cleanly */
    cllm_model *m = patterned(1, 8, 2, 4, 16);
    cllm_error err = {0};
    const char *good = test_path("good.safetensors");
    assert_int_equal(cllm_model_save(m, NULL, good, &err), 0);
    size_t n;
    uint8_t *bytes = cllm_file_read_all(good, &n, &err);
    for (size_t cut = 0; cut < n; cut += n / 37 + 1) {
        const char *p = test_path("cut.safetensors");
        test_write_file(p, bytes, cut);
        cllm_model *bad = cllm_model_load(p, NULL, &err);
        assert_null(bad);
        assert_non_null(strstr(err.msg, "cut.safetensors"));
    }
    free(bytes);
    cllm_model_free(m);
}

static void test_checkpoint_round_trip(void **state) {
    (void)state;
    cllm_model *m = patterned(1, 8, 2, 4, 16);
    cllm_adamw opt;
    cllm_error err = {0};
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    for (size_t i = 0; i < opt.n; i++) { opt.m[i] = (float)i * 1e-3f; opt.v[i] = (float)i * 1e-6f; }
    opt.step = 77;
    opt.beta2 = 0.999f;
    cllm_train_state st = {.step = 77, .tokens = 123456, .data_state_size = 3, .data_state = {1, 2, 255}};
    strcpy(st.args_json, "{\"lr\":0.001}");
    const char *path = test_path("ckpt.safetensors");
    assert_int_equal(cllm_checkpoint_save(path, m, NULL, &opt, &st, &err), 0);
    cllm_adamw opt2;
    cllm_train_state st2;
    cllm_model *m2 = cllm_checkpoint_load(path, NULL, &opt2, &st2, &err);
    assert_non_null(m2);
    assert_memory_equal(opt2.m, opt.m, opt.n * 4);
    assert_memory_equal(opt2.v, opt.v, opt.n * 4);
    assert_int_equal(opt2.step, 77);
    assert_true(opt2.beta2 == 0.999f);
    assert_int_equal(st2.step, 77);
    assert_int_equal(st2.tokens, 123456);
    assert_int_equal(st2.data_state_size, 3);
    assert_memory_equal(st2.data_state, st.data_state, 3);
    assert_string_equal(st2.args_json, st.args_json);
    /* a model file is not a checkpoint */
    cllm_adamw_free(&opt2);
    assert_int_equal(cllm_model_save(m, NULL, path, &err), 0);
    assert_null(cllm_checkpoint_load(path, NULL, &opt2, &st2, &err));
    assert_non_null(strstr(err.msg, "opt.m."));
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    cllm_model_free(m2);
}

/* The speedrun options travel in metadata cllm.arch (absent for GPT-2, so old readers see a plain file) with the
 * untied head as lm_head.weight; an option this build does not know is refused by name. */
static void test_arch_options_round_trip(void **state) {
    (void)state;
    cllm_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 8, .n_ctx = 4, .vocab_size = 16, .mlp_relu2 = 1,
                       .rmsnorm = 1, .untied_head = 1, .no_bias = 1, .zero_init_proj = 1, .logit_softcap = 30,
                       .qk_norm = 1, .rope = 1};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 5);
    assert_non_null(cllm_model_tensor_find(m, "lm_head.weight"));
    assert_int_equal(cllm_model_tensor_find(m, "h.0.mlp.c_fc.bias")->trainable, 0);
    const cllm_tensor *wpe = cllm_model_tensor_find(m, "wpe.weight"); /* rope: kept, 0 and frozen */
    assert_int_equal(wpe->trainable, 0);
    for (size_t i = 0; i < wpe->numel; i++) assert_true(wpe->data[i] == 0.0f);
    const char *path = test_path("arch.safetensors");
    assert_int_equal(cllm_model_save(m, NULL, path, &err), 0);
    cllm_safetensors *st = cllm_safetensors_open(path, &err);
    assert_non_null(st);
    assert_string_equal(cllm_safetensors_meta(st, "cllm.arch"), "relu2,rmsnorm,untied_head,no_bias,zero_init_proj,qk_norm,rope,softcap=30");
    cllm_safetensors_close(st);
    cllm_model *back = cllm_model_load(path, NULL, &err);
    assert_non_null(back);
    assert_memory_equal(cllm_model_config(back), &cfg, sizeof cfg);
    assert_memory_equal(cllm_model_params(back), cllm_model_params(m), cllm_model_num_params(m) * sizeof(float));
    cllm_model_free(back);
    /* GPT-2: no cllm.arch at all */
    cllm_model *plain = patterned(1, 8, 2, 4, 16);
    assert_int_equal(cllm_model_save(plain, NULL, path, &err), 0);
    st = cllm_safetensors_open(path, &err);
    assert_null(cllm_safetensors_meta(st, "cllm.arch"));
    cllm_safetensors_close(st);
    /* an unknown option: refused, named */
    int nt = cllm_model_tensor_count(plain);
    cllm_st_tensor ts[32];
    for (int i = 0; i < nt; i++) {
        const cllm_tensor *t = cllm_model_tensor(plain, i);
        ts[i] = (cllm_st_tensor){.name = t->name, .dtype = CLLM_DT_F32, .ndim = t->ndim,
                                 .shape = {t->shape[0], t->shape[1]}, .data = t->data, .nbytes = t->numel * 4};
    }
    const char *keys[] = {"cllm.arch"}, *values[] = {"relu2,rotary"};
    assert_int_equal(cllm_safetensors_write(path, ts, nt, keys, values, 1, &err), 0);
    assert_null(cllm_model_load(path, NULL, &err));
    assert_non_null(strstr(err.msg, "cannot run this model"));
    assert_non_null(strstr(err.msg, "'rotary'"));
    cllm_model_free(plain);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_reads_our_file),
        cmocka_unit_test(test_we_read_numpys_hf_file),
        cmocka_unit_test(test_bad_files_are_refused),
        cmocka_unit_test(test_checkpoint_round_trip),
        cmocka_unit_test(test_arch_options_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
