/* test_noalloc.c — a training step allocates nothing: malloc/calloc/realloc/free are interposed and counted
 * over steps 2..N (data loading, forward, backward, clipping, AdamW). Step 1 may warm up thread pools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_data.h"
#include "support.h"


#if !TEST_UNDER_ASAN
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int counting;
static volatile long calls;

void *malloc(size_t n) { if (counting) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { if (counting) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { if (counting) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); return __libc_realloc(p, n); }
void free(void *p) { if (counting && p) __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED); __libc_free(p); }
#endif

static void test_training_steps_do_not_allocate(void **state) {
    (void)state;
#if TEST_UNDER_ASAN
    skip(); /* ASan owns malloc; the plain build runs this test */
#elif defined(__clang__)
    /* clang's OpenMP runtime (libomp 14) mallocs 512 bytes inside __kmpc_for_static_init for every worksharing
     * loop: the runtime's, not this library's (gdb backtrace), so only the gcc/libgomp build can check ours */
    skip();
#else
    /* a shard of random tokens for the loader */
    cllm_error err = {0};
    const char *shard = test_path("train-00000.bin");
    cllm_shard_writer *w = cllm_shard_writer_open(shard, 64, -1, &err);
    assert_non_null(w);
    uint64_t rs = 3;
    int32_t ids[4096];
    for (int i = 0; i < 4096; i++) ids[i] = (int32_t)(test_rand(&rs) % 64);
    assert_int_equal(cllm_shard_writer_append(w, ids, 4096, &err), 0);
    assert_int_equal(cllm_shard_writer_close(w, &err), 0);
    const char *dir = test_tmpdir();
    cllm_shards *sh = cllm_shards_open(&dir, 1, "train", &err);
    assert_non_null(sh);
    int B = 4, T = 32;
    cllm_loader *ld = cllm_loader_new(sh, B, T, 1, &err);
    assert_non_null(ld);
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 64, .n_ctx = T, .vocab_size = 64};
    cllm_model *m = cllm_model_new(&cfg, &err);
    cllm_model_init_gpt2(m, 1);
    assert_int_equal(cllm_model_reserve(m, B, T, &err), 0);
    cllm_adamw opt;
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    int32_t x[128], y[128];
    for (int step = 0; step < 6; step++) {
        if (step == 1) counting = 1;
        cllm_model_zero_grad(m);
        cllm_loader_next(ld, x, y);
        cllm_model_forward(m, x, y, B, T);
        cllm_model_backward(m, 1.0f);
        cllm_clip_grad_norm(m, 1.0f);
        cllm_adamw_step(&opt, m, cllm_lr_schedule(step, 2, 6, 1e-3f, 1e-4f));
    }
    counting = 0;
    if (calls != 0) {
        fprintf(stderr, "%ld heap calls during training steps 2..6\n", calls);
        fail();
    }
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    cllm_loader_free(ld);
    cllm_shards_close(sh);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_training_steps_do_not_allocate)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
