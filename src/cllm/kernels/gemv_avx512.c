/* gemv_avx512.c — the matrix-vector column strip on AVX-512 (16 floats a register). */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

/* y[16·U] = Σ_k x[k]·W[k, 0..16·U): U accumulators stay in registers while the rows of the strip stream past. */
static inline __attribute__((always_inline)) void strip(int U, int K, const float *x, const float *W, size_t ldw,
                                                        float *y) {
    __m512 acc[16];
#pragma GCC unroll 16
    for (int u = 0; u < U; u++) acc[u] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m512 xk = _mm512_set1_ps(x[k]);
        const float *w = W + (size_t)k * ldw;
#pragma GCC unroll 16
        for (int u = 0; u < U; u++) acc[u] = _mm512_fmadd_ps(xk, _mm512_loadu_ps(w + 16 * u), acc[u]);
    }
#pragma GCC unroll 16
    for (int u = 0; u < U; u++) _mm512_storeu_ps(y + 16 * u, acc[u]);
}

void cllm_gemv_cols_avx512(int K, const float *x, const float *W, size_t ldw, float *y, int n) {
    int j = 0;
    for (; j + 256 <= n; j += 256) strip(16, K, x, W + j, ldw, y + j);
    for (; j + 64 <= n; j += 64) strip(4, K, x, W + j, ldw, y + j);
    for (; j + 16 <= n; j += 16) strip(1, K, x, W + j, ldw, y + j);
    if (j < n) { /* the last columns, masked */
        __mmask16 m = (__mmask16)((1u << (n - j)) - 1u);
        __m512 acc = _mm512_setzero_ps();
        for (int k = 0; k < K; k++)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(x[k]), _mm512_maskz_loadu_ps(m, W + (size_t)k * ldw + j), acc);
        _mm512_mask_storeu_ps(y + j, m, acc);
    }
}
#endif
