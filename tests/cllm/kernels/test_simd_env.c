/* test_simd_env.c — CLLM_SIMD forces the kernel level on first use, never above what the CPU has.
 *
 * The level is chosen once per process, so each case runs in a fresh child (fork) that sets the variable
 * before its first kernel call; this parent never calls the dispatch itself. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cllm_simd.h"
#include "support.h"

/* The level a fresh process picks with CLLM_SIMD=value (NULL: unset). */
static int level_in_child(const char *value) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (value) setenv("CLLM_SIMD", value, 1);
        else unsetenv("CLLM_SIMD");
        float x[19] = {0}, y[19] = {0}; /* and the kernels run at that level */
        x[18] = 2.0f;
        y[18] = 3.0f;
        _exit(cllm_dot(x, y, 19) == 6.0f ? (int)cllm_simd_level_get() : 100);
    }
    int status = 0;
    assert_true(waitpid(pid, &status, 0) == pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_env_forces_level_capped_by_cpu(void **state) {
    (void)state;
    int best = (int)cllm_simd_level_detect(); /* detection alone does not fix the level */
    assert_int_equal(level_in_child(NULL), best);
    assert_int_equal(level_in_child("scalar"), CLLM_SIMD_SCALAR);
    assert_int_equal(level_in_child("avx2"), best < CLLM_SIMD_AVX2 ? best : CLLM_SIMD_AVX2);
    assert_int_equal(level_in_child("avx512"), best < CLLM_SIMD_AVX512 ? best : CLLM_SIMD_AVX512);
    assert_int_equal(level_in_child("avx512bf16"), best);
    assert_int_equal(level_in_child("sse9"), best); /* unknown: ignored */
    assert_int_equal(level_in_child(""), best);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_env_forces_level_capped_by_cpu)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
