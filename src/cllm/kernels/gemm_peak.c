/* gemm_peak.c — cllm_sgemm_peak_gflops and cllm_gemm_bf16_peak_gflops: what this machine's matrix products
 * reach, fp32 and bf16, for MFU figures; cllm_gemm_bf16_faster: whether bf16 products pay here (the fast
 * recipe's choice of precision). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef CLLM_USE_OPENBLAS
#include <cblas.h>
#endif

#include "kernels.h"

static double seconds_now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One timed product C[M,N] = A[M,K]·B[K,N] on the build's backend with `threads` threads (bf16: cllm_gemm_bf16's
 * kernels at the current level). */
static double timed_product(clockid_t clock, int bf16, int threads, int M, int N, int K, const float *A,
                            const float *B, float *C) {
    double t0 = seconds_now(clock);
    if (bf16) {
        if (cllm_gemm_bf16_blocked(cllm_bf16_kernels_of(cllm_simd_level_get()), threads, 0, 0, M, N, K, A, K, B, N, 0,
                                   C, N) != 0)
            return -1.0;
        return seconds_now(clock) - t0;
    }
#ifdef CLLM_USE_OPENBLAS
    (void)threads; /* set by the caller */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
#else
    if (cllm_gemm_blocked(cllm_kernels_get(), threads, 0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N) != 0) return -1.0;
#endif
    return seconds_now(clock) - t0;
}

/* The best rate of `reps` tries of each shape {M, N, K}, for fp32 into best[0] when want[0] and bf16 into best[1]
 * when want[1], the two alternating try by try (others share the machine: the best is the least disturbed, and
 * alternating gives both the same disturbances), timed on `clock`. -1 where nothing was measured (no memory). */
static void best_rates(clockid_t clock, int threads, const int (*shapes)[3], size_t n_shapes, int reps,
                       const int want[2], double best[2]) {
    size_t max_floats = 0;
    for (size_t i = 0; i < n_shapes; i++) {
        size_t M = (size_t)shapes[i][0], N = (size_t)shapes[i][1], K = (size_t)shapes[i][2];
        size_t most = M * K > K * N ? M * K : K * N;
        if (M * N > most) most = M * N;
        if (most > max_floats) max_floats = most;
    }
#ifdef _OPENMP
    if (threads < 1) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
#ifdef CLLM_USE_OPENBLAS
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(threads);
#endif
    float *A = malloc(sizeof(float) * max_floats), *B = malloc(sizeof(float) * max_floats);
    float *C = malloc(sizeof(float) * max_floats);
    best[0] = best[1] = -1.0;
    if (A && B && C) {
        uint32_t s = 12345u;
        for (size_t i = 0; i < max_floats; i++) {
            s = s * 1664525u + 1013904223u; /* any bounded values do; no NaN or denormal slow paths */
            A[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
            B[i] = (float)(s >> 9) / 8388608.0f - 0.5f;
        }
        for (size_t i = 0; i < n_shapes; i++) {
            int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
            for (int rep = 0; rep < reps; rep++)
                for (int bf16 = 0; bf16 < 2; bf16++) {
                    double dt = want[bf16] ? timed_product(clock, bf16, threads, M, N, K, A, B, C) : -1.0;
                    if (dt <= 0.0) continue;
                    double rate = 2.0 * M * N * K / dt * 1e-9;
                    if (rate > best[bf16]) best[bf16] = rate;
                }
        }
    }
    free(A);
    free(B);
    free(C);
#ifdef CLLM_USE_OPENBLAS
    openblas_set_num_threads(saved);
#endif
}

/* M·N·K like the model's layers: the QKV projection of a 2048-token batch, the MLP's up projection, and a square
 * product; 3 tries each. */
static double peak_gflops(int bf16, int threads) {
    static const int shapes[][3] = {{2048, 768, 256}, {2048, 1024, 256}, {1024, 1024, 1024}};
    double best[2];
    best_rates(CLOCK_MONOTONIC, threads, shapes, sizeof shapes / sizeof shapes[0], 3, (const int[2]){!bf16, bf16},
               best);
    return best[bf16];
}

double cllm_sgemm_peak_gflops(int threads) { return peak_gflops(0, threads); }

double cllm_gemm_bf16_peak_gflops(int threads) { return peak_gflops(1, threads); }

/* bf16 counts as faster when its product runs at least this much faster than fp32's: measured 0.6-0.9 on a
 * Xeon with AVX512_BF16 (whose vdpbf16ps ran at a quarter of FMA's instruction rate), about 2.6 on Zen 4
 * (docs/performance.md). */
#define BF16_FASTER 1.25

static pthread_once_t faster_once = PTHREAD_ONCE_INIT;
static int faster;
static double faster_rates[2];

/* One thread, the QKV projection of tiny (the speedrun's model) over a 2048-token batch, 3 tries each: about
 * 0.1 s where bf16 is native; nothing is measured where it is emulated. The products run on the calling thread,
 * timed by its CPU clock, so that other processes taking the core (a parallel make test, oversubscribed MPI ranks)
 * do not count. With the wall clock, tests/cli/mpi.sh, which compares the default recipe's weights on 1 process
 * and on several ranks, failed 2 of 8 runs beside a busy loop; with the thread's clock, 0 of 6. */
static void measure_faster(void) {
    static const int shape[][3] = {{2048, 768, 256}};
    if (!cllm_gemm_bf16_native()) return;
    best_rates(CLOCK_THREAD_CPUTIME_ID, 1, shape, 1, 3, (const int[2]){1, 1}, faster_rates);
    faster = faster_rates[0] > 0.0 && faster_rates[1] > BF16_FASTER * faster_rates[0];
}

int cllm_gemm_bf16_faster(double rates[2]) {
    pthread_once(&faster_once, measure_faster);
    if (rates) {
        rates[0] = faster_rates[0];
        rates[1] = faster_rates[1];
    }
    return faster && cllm_gemm_bf16_native();
}
