/* gemv_avx2.c — the matrix-vector column strip on AVX2 + FMA (8 floats a register). */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

/* y[8·U] = Σ_k x[k]·W[k, 0..8·U): U accumulators stay in registers while the rows of the strip stream past. */
static inline __attribute__((always_inline)) void strip(int U, int K, const float *x, const float *W, size_t ldw,
                                                        float *y) {
    __m256 acc[12];
#pragma GCC unroll 12
    for (int u = 0; u < U; u++) acc[u] = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m256 xk = _mm256_set1_ps(x[k]);
        const float *w = W + (size_t)k * ldw;
#pragma GCC unroll 12
        for (int u = 0; u < U; u++) acc[u] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 8 * u), acc[u]);
    }
#pragma GCC unroll 12
    for (int u = 0; u < U; u++) _mm256_storeu_ps(y + 8 * u, acc[u]);
}

void cllm_gemv_cols_avx2(int K, const float *x, const float *W, size_t ldw, float *y, int n) {
    int j = 0;
    for (; j + 64 <= n; j += 64) strip(8, K, x, W + j, ldw, y + j);
    for (; j + 8 <= n; j += 8) strip(1, K, x, W + j, ldw, y + j);
    if (j < n) cllm_gemv_cols_scalar(K, x, W + j, ldw, y + j, n - j); /* the scalar axpy tail does the same */
}
#endif
