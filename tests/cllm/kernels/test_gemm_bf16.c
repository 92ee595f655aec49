/* test_gemm_bf16.c — the bf16 rounding and the bf16 GEMM.
 *
 * The GEMM at every kernel level this CPU has (scalar, avx2, avx512 emulate vdpbf16ps; avx512bf16 runs it) and at
 * 1, 2 and 3 threads must give the bits of cllm_gemm_bf16_reference: all transpose pairs, edge tiles, odd K, K
 * across several kc blocks, padded strides, accumulate on and off, and inputs near the denormal range where the
 * flush-to-zero rules decide the bits. The reference itself is checked against a double-precision sum of the
 * bf16-rounded inputs, so a kernel and reference that agreed on a wrong product would still fail. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_simd.h"
#include "support.h"

static uint32_t bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void test_rounding(void **state) {
    (void)state;
    assert_int_equal(cllm_bf16_from_float(1.0f), 0x3f80);
    assert_int_equal(cllm_bf16_from_float(-2.0f), 0xc000);
    assert_int_equal(cllm_bf16_from_float(from_bits(0x3f808000u)), 0x3f80); /* tie, even below: down */
    assert_int_equal(cllm_bf16_from_float(from_bits(0x3f818000u)), 0x3f82); /* tie, odd below: up */
    assert_int_equal(cllm_bf16_from_float(from_bits(0x3f808001u)), 0x3f81); /* above the tie: up */
    assert_int_equal(cllm_bf16_from_float(from_bits(0x3f807fffu)), 0x3f80);
    assert_int_equal(cllm_bf16_from_float(FLT_MAX), 0x7f80);                 /* rounds up to infinity */
    assert_int_equal(cllm_bf16_from_float(INFINITY), 0x7f80);
    assert_int_equal(cllm_bf16_from_float(-0.0f), 0x8000);
    assert_int_equal(cllm_bf16_from_float(from_bits(0x007fffffu)), 0x0000); /* denormal: zero */
    assert_int_equal(cllm_bf16_from_float(from_bits(0x80000001u)), 0x8000); /* of its sign */
    assert_true(isnan(cllm_bf16_to_float(cllm_bf16_from_float(NAN))));
    assert_true(isnan(cllm_bf16_to_float(cllm_bf16_from_float(from_bits(0x7f800001u))))); /* payload below 16 bits */
    assert_true(cllm_bf16_to_float(cllm_bf16_from_float(FLT_MIN)) == FLT_MIN);
    /* every bf16 that is not NaN round-trips exactly; and the error of a rounding is at most half a bf16 ulp */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        float x = cllm_bf16_to_float((uint16_t)h);
        if (isnan(x) || (fabsf(x) < FLT_MIN && x != 0.0f)) continue;
        assert_int_equal(cllm_bf16_from_float(x), h);
    }
    uint64_t seed = 5;
    for (int i = 0; i < 100000; i++) {
        float x = (float)(test_rand_uniform(&seed) * 1e3);
        float r = cllm_bf16_to_float(cllm_bf16_from_float(x));
        assert_true(fabsf(r - x) <= ldexpf(fabsf(x), -8));
    }
}

typedef struct problem {
    int ta, tb, M, N, K, lda, ldb, ldc;
    float *A, *B, *C0; /* C0: C before the call */
} problem;

/* scale 0: values in [-1, 1]; scale 1: magnitudes near 2^-63, whose products land at the bottom of the normal
 * range, with a C holding denormals, so the flushes decide many bits. */
static void problem_init(problem *p, int ta, int tb, int M, int N, int K, int pad, int tiny, uint64_t *seed) {
    *p = (problem){ta, tb, M, N, K, (ta ? M : K) + pad, (tb ? K : N) + pad, N + pad, 0, 0, 0};
    size_t na = (size_t)(ta ? K : M) * p->lda, nb = (size_t)(tb ? N : K) * p->ldb, nc = (size_t)M * p->ldc;
    p->A = malloc(sizeof(float) * na);
    p->B = malloc(sizeof(float) * nb);
    p->C0 = malloc(sizeof(float) * nc);
    assert_true(p->A && p->B && p->C0);
    float s = tiny ? 0x1p-63f : 1.0f;
    for (size_t i = 0; i < na; i++) p->A[i] = s * (float)test_rand_uniform(seed);
    for (size_t i = 0; i < nb; i++) p->B[i] = s * (float)test_rand_uniform(seed);
    for (size_t i = 0; i < nc; i++)
        p->C0[i] = tiny && i % 3 == 0 ? from_bits((uint32_t)(test_rand(seed) % 0x00800000u)) /* a denormal */
                                      : (float)test_rand_uniform(seed) * (tiny ? 0x1p-120f : 1.0f);
}

static void problem_free(problem *p) {
    free(p->A);
    free(p->B);
    free(p->C0);
}

static float *run(const problem *p, int accumulate, int reference) {
    size_t nc = (size_t)p->M * p->ldc;
    float *c = malloc(sizeof(float) * nc);
    assert_non_null(c);
    memcpy(c, p->C0, sizeof(float) * nc);
    (reference ? cllm_gemm_bf16_reference : cllm_gemm_bf16)(p->ta, p->tb, p->M, p->N, p->K, p->A, p->lda, p->B,
                                                             p->ldb, accumulate, c, p->ldc);
    return c;
}

/* The reference against a double sum of the rounded inputs: bound K·2^-24 of the sum of |products| (+|C|). */
static void check_reference(const problem *p, const float *c, int accumulate) {
    for (int i = 0; i < p->M; i += 7)
        for (int j = 0; j < p->N; j += 5) {
            double sum = accumulate ? p->C0[(size_t)i * p->ldc + j] : 0.0, mag = fabs(sum);
            for (int k = 0; k < p->K; k++) {
                float a = p->ta ? p->A[(size_t)k * p->lda + i] : p->A[(size_t)i * p->lda + k];
                float b = p->tb ? p->B[(size_t)j * p->ldb + k] : p->B[(size_t)k * p->ldb + j];
                double q = (double)cllm_bf16_to_float(cllm_bf16_from_float(a)) *
                           (double)cllm_bf16_to_float(cllm_bf16_from_float(b));
                sum += q;
                mag += fabs(q);
            }
            double got = c[(size_t)i * p->ldc + j];
            assert_true(fabs(got - sum) <= (p->K + 2) * 0x1p-24 * mag + 0x1p-125);
        }
}

static void check_problem(problem *p, int tiny) {
    cllm_simd_level best = cllm_simd_level_detect();
    for (int accumulate = 0; accumulate < 2; accumulate++) {
        float *want = run(p, accumulate, 1);
        if (!tiny) check_reference(p, want, accumulate);
        for (int level = CLLM_SIMD_SCALAR; level <= (int)best; level++) {
            assert_int_equal(cllm_simd_level_set((cllm_simd_level)level), 0);
            for (int threads = 1; threads <= 3; threads++) {
                omp_set_num_threads(threads);
                float *got = run(p, accumulate, 0);
                for (size_t e = 0; e < (size_t)p->M * p->ldc; e++)
                    if (bits(got[e]) != bits(want[e]))
                        fail_msg("level %d threads %d ta %d tb %d %dx%dx%d acc %d tiny %d: element %zu %a != %a",
                                 level, threads, p->ta, p->tb, p->M, p->N, p->K, accumulate, tiny, e,
                                 (double)got[e], (double)want[e]);
                free(got);
            }
        }
        free(want);
    }
    assert_int_equal(cllm_simd_level_set(best), 0);
    omp_set_num_threads(2);
}

static void test_gemm_equals_reference(void **state) {
    (void)state;
    /* M, N, K, pad: one tile, edges of every tile size, odd K, K over two kc blocks (kc = 512), a wide product */
    static const int shapes[][4] = {{12, 32, 16, 0}, {13, 33, 7, 3}, {1, 5, 1, 0},     {37, 70, 301, 1},
                                    {25, 17, 1031, 2}, {64, 96, 64, 0}, {130, 260, 96, 5}};
    uint64_t seed = 1234;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (int tiny = 0; tiny < 2; tiny++) {
                if (tiny && s % 2) continue; /* the denormal cases on half the shapes keep the test short */
                problem p;
                problem_init(&p, t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], tiny,
                             &seed);
                check_problem(&p, tiny);
                problem_free(&p);
            }
}

/* K = 0 writes zeros (accumulate 0) or leaves C (accumulate 1); M or N = 0 touches nothing. */
static void test_empty_products(void **state) {
    (void)state;
    float c[6] = {1, 2, 3, 4, 5, 6}, a[1] = {1}, b[1] = {1};
    cllm_gemm_bf16(0, 0, 2, 3, 0, a, 1, b, 3, 1, c, 3);
    assert_true(c[0] == 1.0f && c[5] == 6.0f);
    cllm_gemm_bf16(0, 0, 0, 3, 1, a, 1, b, 3, 0, c, 3);
    assert_true(c[0] == 1.0f);
    cllm_gemm_bf16(0, 0, 2, 3, 0, a, 1, b, 3, 0, c, 3);
    for (int i = 0; i < 6; i++) assert_true(c[i] == 0.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_gemm_equals_reference),
        cmocka_unit_test(test_empty_products),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
