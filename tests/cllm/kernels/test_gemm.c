/* test_gemm.c — cllm_sgemm at every kernel level and transpose combination against a double-precision
 * reference: awkward sizes (edges that are not multiples of any tile, K across several cache blocks), padded
 * strides whose padding must survive, alpha/beta variants (beta = 0 over a NaN-filled C), the model's shapes,
 * and bit-identical results across runs and thread counts. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_simd.h"
#include "support.h"

#define SENTINEL -777.0f

typedef void (*sgemm_fn)(int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);

typedef struct problem {
    int ta, tb, M, N, K, lda, ldb, ldc;
    float alpha, beta;
    float *A, *B, *C, *C0; /* C0: C before the call */
} problem;

/* Stored shapes: A is M×K (K×M transposed), B is K×N (N×K transposed), C is M×N; rows padded by `pad`. */
static void problem_init(problem *p, int ta, int tb, int M, int N, int K, int pad, float alpha, float beta,
                         uint64_t *seed) {
    *p = (problem){ta, tb, M, N, K, (ta ? M : K) + pad, (tb ? K : N) + pad, N + pad, alpha, beta, 0, 0, 0, 0};
    size_t na = (size_t)(ta ? K : M) * p->lda + 1, nb = (size_t)(tb ? N : K) * p->ldb + 1;
    size_t nc = (size_t)M * p->ldc + 1;
    p->A = malloc(sizeof(float) * na);
    p->B = malloc(sizeof(float) * nb);
    p->C = malloc(sizeof(float) * nc);
    p->C0 = malloc(sizeof(float) * nc);
    assert_true(p->A && p->B && p->C && p->C0);
    for (size_t i = 0; i < na; i++) p->A[i] = (float)test_rand_uniform(seed);
    for (size_t i = 0; i < nb; i++) p->B[i] = (float)test_rand_uniform(seed);
    for (size_t i = 0; i < nc; i++) p->C0[i] = SENTINEL; /* padding columns keep this */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            p->C0[(size_t)i * p->ldc + j] = beta == 0.0f ? NAN : (float)test_rand_uniform(seed);
}

static void problem_free(problem *p) {
    free(p->A);
    free(p->B);
    free(p->C);
    free(p->C0);
}

static void problem_run(problem *p, sgemm_fn fn) {
    memcpy(p->C, p->C0, sizeof(float) * ((size_t)p->M * p->ldc + 1));
    fn(p->ta, p->tb, p->M, p->N, p->K, p->alpha, p->A, p->lda, p->B, p->ldb, p->beta, p->C, p->ldc);
}

/* Element (i, j) against a double-precision sum; the tolerance is the float summation bound. */
static void check_element(const problem *p, int i, int j) {
    double sum = 0.0, mag = 0.0;
    for (int k = 0; k < p->K; k++) {
        double a = p->ta ? p->A[(size_t)k * p->lda + i] : p->A[(size_t)i * p->lda + k];
        double b = p->tb ? p->B[(size_t)j * p->ldb + k] : p->B[(size_t)k * p->ldb + j];
        sum += a * b;
        mag += fabs(a * b);
    }
    double c0 = p->C0[(size_t)i * p->ldc + j];
    double want = p->alpha * sum + (p->beta == 0.0f ? 0.0 : p->beta * c0);
    double bound = fabs(p->alpha) * mag + (p->beta == 0.0f ? 0.0 : fabs(p->beta * c0));
    double tol = 2.0 * (p->K + 3) * FLT_EPSILON * bound + 1e-30;
    double got = p->C[(size_t)i * p->ldc + j];
    if (!(fabs(got - want) <= tol))
        fail_msg("C[%d][%d] = %.9g, want %.9g (tol %.3g); %s%s M%d N%d K%d alpha %g beta %g", i, j, got, want, tol,
                 p->ta ? "T" : "N", p->tb ? "T" : "N", p->M, p->N, p->K, p->alpha, p->beta);
}

/* Every element (or `samples` random ones), and the padding past column N untouched. */
static void problem_check(const problem *p, int samples, uint64_t *seed) {
    if (samples <= 0) {
        for (int i = 0; i < p->M; i++)
            for (int j = 0; j < p->N; j++) check_element(p, i, j);
    } else {
        for (int s = 0; s < samples; s++)
            check_element(p, (int)(test_rand(seed) % (uint64_t)p->M), (int)(test_rand(seed) % (uint64_t)p->N));
        check_element(p, p->M - 1, p->N - 1);
    }
    for (int i = 0; i < p->M; i++)
        for (int j = p->N; j < p->ldc; j++) assert_true(p->C[(size_t)i * p->ldc + j] == SENTINEL);
    assert_true(p->C[(size_t)p->M * p->ldc] == SENTINEL);
}

/* Runs fn on one problem for every transpose combination and checks it. */
static void check_all_transposes(sgemm_fn fn, int M, int N, int K, int pad, float alpha, float beta, int samples) {
    uint64_t seed = (uint64_t)(M * 7919 + N * 104729 + K * 31 + pad) | 1;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            problem p;
            problem_init(&p, ta, tb, M, N, K, pad, alpha, beta, &seed);
            problem_run(&p, fn);
            problem_check(&p, samples, &seed);
            problem_free(&p);
        }
}

/* M N K: 1s; edges off every tile (mr 4/6/12, nr 8/16/32); K over several kc = 256 blocks and not a multiple of
 * it; M over the mc blocks (128..240); N over nc = 4096. */
static const int awkward[][3] = {
    {1, 1, 1},    {1, 1, 300},  {1, 37, 5},   {13, 1, 7},    {5, 3, 2},     {7, 33, 300},  {12, 32, 256},
    {25, 47, 513}, {61, 95, 64}, {250, 70, 40}, {3, 4100, 9}, {130, 17, 777}, {49, 130, 3},
};

static void check_awkward(sgemm_fn fn) {
    for (size_t s = 0; s < sizeof awkward / sizeof awkward[0]; s++) {
        const int *d = awkward[s];
        check_all_transposes(fn, d[0], d[1], d[2], 0, 1.0f, 0.0f, 0);
        check_all_transposes(fn, d[0], d[1], d[2], 3, -0.5f, 0.25f, 0);
        check_all_transposes(fn, d[0], d[1], d[2], 17, 2.0f, 1.0f, 0);
    }
    check_all_transposes(fn, 20, 40, 30, 5, 0.0f, 2.0f, 0);  /* alpha 0: C = beta·C */
    check_all_transposes(fn, 20, 40, 0, 1, 1.0f, -1.5f, 0);  /* K 0: the same */
    check_all_transposes(fn, 20, 40, 0, 1, 1.0f, 0.0f, 0);   /* K 0, beta 0: zeros over NaN */
}

static void test_native_every_level(void **state) {
    (void)state;
    cllm_simd_level best = cllm_simd_level_detect();
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
        check_awkward(cllm_sgemm_native);
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
}

static void test_default_and_reference(void **state) {
    (void)state;
    check_awkward(cllm_sgemm);
    check_awkward(cllm_sgemm_reference);
}

/* The tiny model's products (B·T = 2048 rows), sampled: the forward NN, LM head NT, backward NT and TN, and
 * attention's per-head products. */
static void test_model_shapes_every_level(void **state) {
    (void)state;
    static const int shapes[][5] = {
        {0, 0, 2048, 768, 256}, {0, 1, 2048, 4096, 256}, {0, 1, 2048, 256, 1024}, {1, 0, 256, 768, 2048},
        {0, 1, 256, 256, 64},   {0, 0, 256, 64, 256},
    };
    cllm_simd_level best = cllm_simd_level_detect();
    uint64_t seed = 99;
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int *d = shapes[s];
            if (level == CLLM_SIMD_SCALAR && 2.0 * d[2] * d[3] * d[4] > 1e9) continue; /* slow; edges covered above */
            problem p;
            problem_init(&p, d[0], d[1], d[2], d[3], d[4], 0, 1.0f, s % 2 ? 1.0f : 0.0f, &seed);
            problem_run(&p, cllm_sgemm_native);
            problem_check(&p, 300, &seed);
            problem_free(&p);
        }
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
}

/* Same inputs, same bits: twice in a row, and with one thread against two (row and column splits). */
static void test_deterministic_across_runs_and_threads(void **state) {
    (void)state;
    int saved = omp_get_max_threads();
    cllm_simd_level best = cllm_simd_level_detect();
    uint64_t seed = 5;
    for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
        for (int ta = 0; ta < 4; ta++) {
            /* tall: the threads split M; wide (M small, N large): they split N */
            problem p;
            if (ta < 2) problem_init(&p, ta, !ta, 301, 515, 700, 2, 1.0f, 0.5f, &seed);
            else problem_init(&p, ta & 1, ta & 1, 100, 1000, 300, 1, -1.0f, 0.0f, &seed);
            size_t nc = (size_t)p.M * p.ldc + 1;
            float *first = malloc(sizeof(float) * nc);
            assert_non_null(first);
            omp_set_num_threads(2);
            problem_run(&p, cllm_sgemm_native);
            memcpy(first, p.C, sizeof(float) * nc);
            if (ta >= 2) problem_check(&p, 0, &seed);
            problem_run(&p, cllm_sgemm_native);
            assert_memory_equal(first, p.C, sizeof(float) * nc);
            omp_set_num_threads(1);
            problem_run(&p, cllm_sgemm_native);
            assert_memory_equal(first, p.C, sizeof(float) * nc);
            free(first);
            problem_free(&p);
        }
    }
    omp_set_num_threads(saved);
    assert_int_equal(cllm_simd_level_set(best), 0);
}

/* A read in place (full 12-row tiles) and A packed (a short last row panel) give the same bits, at every level,
 * both for A and for a transposed A: M = 12 is one full tile, M = 11 the same rows as an edge panel. */
static void test_in_place_equals_packed(void **state) {
    (void)state;
    enum { N = 70, K = 300, LD = 1000 };
    uint64_t seed = 11;
    float *a = malloc(sizeof(float) * K * LD), *b = malloc(sizeof(float) * K * N);
    float *c_full = malloc(sizeof(float) * 12 * N), *c_edge = malloc(sizeof(float) * 12 * N);
    assert_true(a && b && c_full && c_edge);
    for (int i = 0; i < K * LD; i++) a[i] = (float)test_rand_uniform(&seed);
    for (int i = 0; i < K * N; i++) b[i] = (float)test_rand_uniform(&seed);
    cllm_simd_level best = cllm_simd_level_detect();
    for (int t = 0; t < 2 * ((int)best + 1); t++) {
        int ta = t % 2;
        assert_int_equal(cllm_simd_level_set((cllm_simd_level)(t / 2)), 0);
        cllm_sgemm_native(ta, 0, 12, N, K, 1.0f, a, LD, b, N, 0.0f, c_full, N);
        cllm_sgemm_native(ta, 0, 11, N, K, 1.0f, a, LD, b, N, 0.0f, c_edge, N);
        assert_memory_equal(c_full, c_edge, sizeof(float) * 11 * N);
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
    free(a); free(b); free(c_full); free(c_edge);
}

/* Calls from inside the caller's own parallel loop (say, one attention head per thread) give the same bits as
 * sequential calls: each runs on its calling thread with its own buffers. */
static void test_calls_from_parallel_threads(void **state) {
    (void)state;
    enum { HEADS = 4 };
    problem p[HEADS];
    float *seq[HEADS];
    uint64_t seed = 17;
    for (int h = 0; h < HEADS; h++) {
        problem_init(&p[h], 0, 1, 256, 256, 64, 0, 0.125f, 0.0f, &seed);
        problem_run(&p[h], cllm_sgemm_native);
        seq[h] = malloc(sizeof(float) * 256 * 256);
        assert_non_null(seq[h]);
        memcpy(seq[h], p[h].C, sizeof(float) * 256 * 256);
        memset(p[h].C, 0, sizeof(float) * 256 * 256);
    }
#pragma omp parallel for num_threads(2)
    for (int h = 0; h < HEADS; h++)
        cllm_sgemm_native(0, 1, 256, 256, 64, 0.125f, p[h].A, p[h].lda, p[h].B, p[h].ldb, 0.0f, p[h].C, p[h].ldc);
    for (int h = 0; h < HEADS; h++) {
        assert_memory_equal(seq[h], p[h].C, sizeof(float) * 256 * 256);
        free(seq[h]);
        problem_free(&p[h]);
    }
}

static void test_empty_products_touch_nothing(void **state) {
    (void)state;
    float C[4] = {1, 2, 3, 4};
    cllm_sgemm(0, 0, 0, 2, 3, 1.0f, NULL, 3, NULL, 2, 0.0f, C, 2);
    cllm_sgemm(0, 0, 2, 0, 3, 1.0f, NULL, 3, NULL, 1, 0.0f, C, 2);
    cllm_sgemm_native(1, 1, 0, 0, 0, 1.0f, NULL, 1, NULL, 1, 0.0f, C, 1);
    assert_true(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4);
}

static void test_peak_is_measured(void **state) {
    (void)state;
    double g = cllm_sgemm_peak_gflops(1);
    assert_true(g > 0.1); /* any machine does 0.1 GFLOP/s; a broken timer or failed product gives <= 0 */
    assert_true(g < 1e5);
    assert_non_null(cllm_sgemm_backend());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_every_level),
        cmocka_unit_test(test_default_and_reference),
        cmocka_unit_test(test_model_shapes_every_level),
        cmocka_unit_test(test_deterministic_across_runs_and_threads),
        cmocka_unit_test(test_calls_from_parallel_threads),
        cmocka_unit_test(test_in_place_equals_packed),
        cmocka_unit_test(test_empty_products_touch_nothing),
        cmocka_unit_test(test_peak_is_measured),
    };
    if (getenv("TEST_FILTER")) cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
