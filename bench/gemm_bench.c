/* gemm_bench.c — GFLOP/s of cllm_sgemm's kernels vs the reference and OpenBLAS at the model's shapes.
 *
 * Built and run by bench/gemm.sh. For each shape and thread count the variants are timed interleaved
 * (A B C A B C ...), ROUNDS times, and the median rate of each is printed: the machine is shared, so only ratios
 * within one run mean much.
 *     usage: gemm_bench [ROUNDS] [THREADS...]     (defaults: 5 rounds, threads 1 2)
 *     GEMM_BENCH_VARIANTS=avx512,openblas gemm_bench ...   times only the variants named
 *     GEMM_BENCH_SHAPES=fwd,attn gemm_bench ...             only the shapes whose name contains one of these
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cllm_simd.h"

typedef struct shape {
    const char *name;
    int ta, tb, M, N, K;
} shape;

/* tiny config: B·T = 2048 rows, C = 256, 4C = 1024, V = 4096, head size 64, T = 256. */
static const shape shapes[] = {
    {"fwd qkv      NN", 0, 0, 2048, 768, 256},  {"fwd attproj  NN", 0, 0, 2048, 256, 256},
    {"fwd fc       NN", 0, 0, 2048, 1024, 256}, {"fwd fcproj   NN", 0, 0, 2048, 256, 1024},
    {"fwd lm head  NT", 0, 1, 2048, 4096, 256}, {"bwd fc dinp  NT", 0, 1, 2048, 256, 1024},
    {"bwd fc dW    TN", 1, 0, 256, 1024, 2048}, {"bwd wte dW   TN", 1, 0, 4096, 256, 2048},
    {"attn q·k^T   NT", 0, 1, 256, 256, 64},    {"attn att·v   NN", 0, 0, 256, 64, 256},
};

enum { V_REFERENCE, V_SCALAR, V_AVX2, V_AVX512, V_OPENBLAS, V_BF16, V_BF16_EMULATED, V_COUNT };
static const char *variant_names[V_COUNT] = {"reference", "scalar", "avx2", "avx512", "openblas", "bf16", "bf16emu"};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_variant(int v, int threads, const shape *s, const float *A, const float *B, float *C) {
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    if (v == V_OPENBLAS) {
        openblas_set_num_threads(threads);
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->M, s->N,
                    s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        return;
    }
    omp_set_num_threads(threads);
    if (v == V_BF16 || v == V_BF16_EMULATED) { /* cllm_gemm_bf16: vdpbf16ps, or its AVX-512F emulation */
        cllm_simd_level_set(v == V_BF16 ? CLLM_SIMD_AVX512BF16 : CLLM_SIMD_AVX512);
        cllm_gemm_bf16(s->ta, s->tb, s->M, s->N, s->K, A, lda, B, ldb, 0, C, s->N);
        return;
    }
    if (v == V_REFERENCE) {
        cllm_sgemm_reference(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
        return;
    }
    cllm_simd_level_set(v == V_SCALAR ? CLLM_SIMD_SCALAR : v == V_AVX2 ? CLLM_SIMD_AVX2 : CLLM_SIMD_AVX512);
    cllm_sgemm_native(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 0.0f, C, s->N);
}

/* Rate in GFLOP/s of `reps` back-to-back calls. A warm-up call first when the batch is short (several calls),
 * so it starts from warm caches and a woken thread pool. Afterwards, a pause long enough for the variant's idle
 * threads to stop spinning (OpenBLAS's spin for up to ~0.1 s, OpenMP's for well under 10 ms), so they do not
 * slow the next variant. */
static double time_variant(int v, int threads, const shape *s, int reps, const float *A, const float *B, float *C) {
    if (reps > 1) run_variant(v, threads, s, A, B, C);
    double t0 = now();
    for (int r = 0; r < reps; r++) run_variant(v, threads, s, A, B, C);
    double rate = 2.0 * s->M * s->N * s->K * reps / (now() - t0) * 1e-9;
    if (threads > 1) usleep(v == V_OPENBLAS ? 200000 : 10000);
    return rate;
}

/* Whether GEMM_BENCH_SHAPES (comma-separated words) selects this shape; all when unset. */
static int shape_selected(const char *name) {
    const char *sel = getenv("GEMM_BENCH_SHAPES");
    if (!sel || !*sel) return 1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sel);
    for (char *w = strtok(buf, ","); w; w = strtok(NULL, ","))
        if (strstr(name, w)) return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n) {
    qsort(x, (size_t)n, sizeof(double), cmp_double);
    return x[n / 2];
}

/* The slow variants (reference, scalar) run in the first rounds only: one round of them can take seconds. */
#define SLOW_ROUNDS 3

/* Times every variant in `have` on one shape, interleaved, and prints a row of medians; `top` is compared with
 * OpenBLAS round by round. */
static void bench_shape(const shape *sh, int threads, int rounds, const int *have, int top, const float *A,
                        const float *B, float *C) {
    double rates[V_COUNT][99], ratios[99];
    int reps[V_COUNT], n[V_COUNT] = {0};
    for (int v = 0; v < V_COUNT; v++) { /* calls per timing: about 20 ms, at least one */
        if (!have[v]) continue;
        double r = time_variant(v, threads, sh, 1, A, B, C);
        double calls = r * 1e9 * 0.02 / (2.0 * sh->M * sh->N * sh->K);
        reps[v] = calls < 1 ? 1 : calls > 1000 ? 1000 : (int)calls;
    }
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < V_COUNT; v++)
            if (have[v] && (r < SLOW_ROUNDS || (v != V_REFERENCE && v != V_SCALAR)))
                rates[v][n[v]++] = time_variant(v, threads, sh, reps[v], A, B, C);
        ratios[r] = rates[top][r] / rates[V_OPENBLAS][r];
    }
    printf("%s %4d %4d %4d %3d", sh->name, sh->M, sh->N, sh->K, threads);
    for (int v = 0; v < V_COUNT; v++)
        if (have[v]) printf(" %10.1f", median(rates[v], n[v]));
    printf("   %5.2f\n", median(ratios, rounds));
    fflush(stdout);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    int nthreads = argc > 2 ? argc - 2 : 2, threads_list[8] = {1, 2};
    for (int i = 0; i < nthreads && i < 8; i++) threads_list[i] = argc > 2 ? atoi(argv[2 + i]) : threads_list[i];
    if (rounds < 1 || rounds > 99 || nthreads < 1 || nthreads > 8) { fprintf(stderr, "usage: gemm_bench [ROUNDS] [THREADS...]\n"); return 2; }
    int best = cllm_simd_level_detect(), have[V_COUNT] = {1, 1, best >= CLLM_SIMD_AVX2, best >= CLLM_SIMD_AVX512, 1,
                                   best >= CLLM_SIMD_AVX512BF16, best >= CLLM_SIMD_AVX512};
    const char *only = getenv("GEMM_BENCH_VARIANTS");
    for (int v = 0; v < V_COUNT && only; v++) have[v] = have[v] && strstr(only, variant_names[v]) != NULL;

    size_t max = 4096 * 2048;
    float *A = malloc(sizeof(float) * max), *B = malloc(sizeof(float) * max), *C = malloc(sizeof(float) * max);
    if (!A || !B || !C) { fprintf(stderr, "gemm_bench: out of memory\n"); return 1; }
    unsigned s = 1;
    for (size_t i = 0; i < max; i++) {
        s = s * 1664525u + 1013904223u;
        A[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
        B[i] = (float)(s >> 9) / 8388608.0f - 0.5f;
    }
    for (int v = 0; v < V_COUNT; v++) /* start every thread pool before the first timing */
        if (have[v] && v != V_REFERENCE && v != V_SCALAR) time_variant(v, threads_list[nthreads - 1], &shapes[0], 3, A, B, C);
    int top = best >= CLLM_SIMD_AVX512 ? V_AVX512 : best == CLLM_SIMD_AVX2 ? V_AVX2 : V_SCALAR;
    have[top] = have[V_OPENBLAS] = 1; /* the default level and its yardstick */
    printf("GFLOP/s, median of %d interleaved rounds (reference and scalar: %d); last column: median of the\n"
           "per-round ratios %s/openblas\n%-16s %14s %3s", rounds, rounds < SLOW_ROUNDS ? rounds : SLOW_ROUNDS,
           variant_names[top], "shape", "M    N    K", "thr");
    for (int v = 0; v < V_COUNT; v++) if (have[v]) printf(" %10s", variant_names[v]);
    printf("   ratio\n");
    for (int t = 0; t < nthreads; t++)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            if (shape_selected(shapes[i].name)) bench_shape(&shapes[i], threads_list[t], rounds, have, top, A, B, C);
    cllm_simd_level_set(cllm_simd_level_detect());
    printf("peak (cllm_sgemm_peak_gflops, %s):", cllm_sgemm_backend());
    for (int t = 0; t < nthreads; t++) printf(" %d thr %.1f", threads_list[t], cllm_sgemm_peak_gflops(threads_list[t]));
    printf("\n");
    free(A);
    free(B);
    free(C);
    return 0;
}
