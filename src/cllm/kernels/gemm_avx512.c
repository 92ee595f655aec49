/* gemm_avx512.c — the AVX-512 GEMM micro-kernel: a 12×32 tile of C held in 24 zmm registers.
 *
 * Each k step loads one 32-float row of the packed B panel (two registers), broadcasts the 12 packed A values of
 * that column, and issues 24 FMAs: 14 loads per 24 FMAs keeps both FMA pipes busy with loads to spare. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

#if CLLM_AVX512_MR != 12 || CLLM_AVX512_NR != 32
#error "the row macros below spell out a 12×32 tile"
#endif
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

void cllm_gemm_micro_avx512(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
#define DECLARE(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROWS(DECLARE)
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m512 ar = _mm512_set1_ps(a[r]);                                                                         \
        c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);                                                               \
        c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);                                                               \
    }
        ROWS(STEP)
        a += CLLM_AVX512_MR;
        b += CLLM_AVX512_NR;
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (alpha != 1.0f) {
#define SCALE(r) c##r##0 = _mm512_mul_ps(va, c##r##0); c##r##1 = _mm512_mul_ps(va, c##r##1);
        ROWS(SCALE)
    }
    if (beta == 0.0f) {
#define STORE(r) _mm512_storeu_ps(c + r * ldc, c##r##0); _mm512_storeu_ps(c + r * ldc + 16, c##r##1);
        ROWS(STORE)
    } else if (beta == 1.0f) {
#define ADD(r)                                                                                                    \
    _mm512_storeu_ps(c + r * ldc, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc), c##r##0));                          \
    _mm512_storeu_ps(c + r * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + r * ldc + 16), c##r##1));
        ROWS(ADD)
    } else {
#define AXPBY(r)                                                                                                  \
    _mm512_storeu_ps(c + r * ldc, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + r * ldc), c##r##0));                    \
    _mm512_storeu_ps(c + r * ldc + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + r * ldc + 16), c##r##1));
        ROWS(AXPBY)
    }
}
#endif
