/* gemm_shape.c — one shape, one variant, timed by the calling thread's CPU time (less disturbed than wall time
 * on a shared machine; meaningful for one thread only). For quick A/B checks while tuning.
 *     cc -O2 -fopenmp -Iinclude bench/gemm_shape.c build/libcllm.a build/libprimemath.a -lopenblas -lm -o gemm_shape
 *     OMP_NUM_THREADS=1 ./gemm_shape TA TB M N K          our kernels (CLLM_SIMD picks the level)
 *     OPENBLAS_NUM_THREADS=1 USE_OPENBLAS=1 ./gemm_shape TA TB M N K
 * Prints the median and 90th percentile of 41 timings of ~30 MFLOP each. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cllm_simd.h"

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: gemm_shape TA TB M N K\n"); return 2; }
    int ta = atoi(argv[1]), tb = atoi(argv[2]), M = atoi(argv[3]), N = atoi(argv[4]), K = atoi(argv[5]);
    if (M < 1 || N < 1 || K < 1) { fprintf(stderr, "gemm_shape: M, N, K must be positive\n"); return 2; }
    int openblas = getenv("USE_OPENBLAS") != NULL;
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb), *C = malloc(sizeof(float) * nc);
    if (!A || !B || !C) { fprintf(stderr, "gemm_shape: out of memory\n"); return 1; }
    for (size_t i = 0; i < na; i++) A[i] = (float)(i % 7) * 0.1f - 0.3f;
    for (size_t i = 0; i < nb; i++) B[i] = (float)(i % 5) * 0.1f - 0.2f;
    int lda = ta ? M : K, ldb = tb ? K : N;
    double flops = 2.0 * M * N * K, rates[41];
    int reps = (int)(3e7 / flops) + 1;
    for (int i = 0; i < 41; i++) {
        double t0 = cpu_seconds();
        for (int r = 0; r < reps; r++) {
            if (openblas)
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
                            1.0f, A, lda, B, ldb, 0.0f, C, N);
            else cllm_sgemm_native(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, N);
        }
        rates[i] = flops * reps / (cpu_seconds() - t0) * 1e-9;
    }
    qsort(rates, 41, sizeof(double), cmp_double);
    printf("%s %s%s %d %d %d: median %.1f  p90 %.1f GFLOP/s (thread CPU time)\n", openblas ? "openblas" : "cllm",
           ta ? "T" : "N", tb ? "T" : "N", M, N, K, rates[20], rates[36]);
    free(A);
    free(B);
    free(C);
    return 0;
}
