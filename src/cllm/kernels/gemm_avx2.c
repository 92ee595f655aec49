/* gemm_avx2.c — the AVX2 + FMA GEMM micro-kernel: a 6×16 tile of C held in 12 ymm registers.
 *
 * Of the 16 ymm registers, 12 hold C, 2 the current row of the packed B panel and 1 the broadcast A value:
 * each k step is 2 loads, 6 broadcasts and 12 FMAs. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

#if CLLM_AVX2_MR != 6 || CLLM_AVX2_NR != 16
#error "the row macros below spell out a 6×16 tile"
#endif
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

void cllm_gemm_micro_avx2(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
#define DECLARE(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROWS(DECLARE)
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m256 ar = _mm256_broadcast_ss(a + r);                                                                   \
        c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);                                                               \
        c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);                                                               \
    }
        ROWS(STEP)
        a += CLLM_AVX2_MR;
        b += CLLM_AVX2_NR;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (alpha != 1.0f) {
#define SCALE(r) c##r##0 = _mm256_mul_ps(va, c##r##0); c##r##1 = _mm256_mul_ps(va, c##r##1);
        ROWS(SCALE)
    }
    if (beta == 0.0f) {
#define STORE(r) _mm256_storeu_ps(c + r * ldc, c##r##0); _mm256_storeu_ps(c + r * ldc + 8, c##r##1);
        ROWS(STORE)
    } else if (beta == 1.0f) {
#define ADD(r)                                                                                                    \
    _mm256_storeu_ps(c + r * ldc, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc), c##r##0));                          \
    _mm256_storeu_ps(c + r * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + r * ldc + 8), c##r##1));
        ROWS(ADD)
    } else {
#define AXPBY(r)                                                                                                  \
    _mm256_storeu_ps(c + r * ldc, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + r * ldc), c##r##0));                    \
    _mm256_storeu_ps(c + r * ldc + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + r * ldc + 8), c##r##1));
        ROWS(AXPBY)
    }
}
#endif
