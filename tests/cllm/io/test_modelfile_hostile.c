/* test_modelfile_hostile.c — a small file cannot size a big model: the config its metadata states must be backed
 * by the values its tensors hold before anything is allocated (issue 10, finding 2: 16 KB made `cllm info`
 * allocate and zero 18 GB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cllm_io.h"
#include "cllm_safetensors.h"
#include "support.h"

/* A real little model's tensors, written again with metadata claiming `meta` = `value`. */
static const char *doctored(const char *name, const char *const *keys, const char *const *values, int nmeta) {
    cllm_config cfg = {.n_layer = 1, .n_head = 2, .n_embd = 16, .n_ctx = 8, .vocab_size = 64};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    cllm_model_init_gpt2(m, 1);
    const char *good = test_path("good.safetensors"), *bad = test_path(name);
    assert_int_equal(cllm_model_save(m, NULL, good, &err), 0);
    cllm_model_free(m);
    cllm_safetensors *st = cllm_safetensors_open(good, &err);
    assert_non_null(st);
    int n = cllm_safetensors_count(st);
    cllm_st_tensor *ts = calloc((size_t)n, sizeof *ts);
    for (int i = 0; i < n; i++) ts[i] = *cllm_safetensors_get(st, i);
    assert_int_equal(cllm_safetensors_write(bad, ts, n, keys, values, nmeta, &err), 0);
    free(ts);
    cllm_safetensors_close(st);
    return bad;
}

/* Loads path with the address space capped at 1 GB more than now (not under ASan, whose shadow needs terabytes). */
static cllm_model *load_capped(const char *path, cllm_error *err) {
    struct rlimit old;
    getrlimit(RLIMIT_AS, &old);
    if (!TEST_UNDER_ASAN) {
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f && fscanf(f, "%ld", &pages) != 1) pages = 0;
        if (f) fclose(f);
        struct rlimit cap = {(rlim_t)pages * 4096 + (1ull << 30), old.rlim_max};
        setrlimit(RLIMIT_AS, &cap);
    }
    cllm_model *m = cllm_model_load(path, NULL, err);
    setrlimit(RLIMIT_AS, &old);
    return m;
}

static void test_metadata_cannot_size_an_unbacked_model(void **state) {
    (void)state;
    /* ~11 KB of tensors claiming 48 layers of 4096 channels: 9.7 G parameters, 39 GB */
    const char *keys[] = {"n_layer", "n_embd", "n_head", "vocab_size"}, *values[] = {"48", "4096", "64", "65536"};
    cllm_error err = {0};
    cllm_model *m = load_capped(doctored("big.safetensors", keys, values, 4), &err);
    assert_null(m);
    assert_int_equal(err.code, CLLM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "metadata and tensors disagree"));
    assert_non_null(strstr(err.msg, "big.safetensors"));
    /* the same tensors with honest metadata load */
    const char *hk[] = {"n_layer"}, *hv[] = {"1"};
    m = load_capped(doctored("honest.safetensors", hk, hv, 1), &err);
    assert_non_null(m);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_cannot_size_an_unbacked_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
