/* gemm_avx512bf16.c — the bf16 micro-kernel on AVX512_BF16: a 12×32 tile of C in 24 zmm registers, one
 * vdpbf16ps per 16 lanes and pair of k. Each pair step loads two 32-bf16 B registers and broadcasts 12 A pairs:
 * 14 loads per 24 dot products, twice the multiply-adds of gemm_avx512.c's step for the same instruction count. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

void cllm_gemm_bf16_micro_avx512bf16(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc,
                                     int load) {
#define DECLARE(r)                                                                                                \
    __m512 c##r##0 = load ? _mm512_loadu_ps(c + (r) * ldc) : _mm512_setzero_ps();                                 \
    __m512 c##r##1 = load ? _mm512_loadu_ps(c + (r) * ldc + 16) : _mm512_setzero_ps();
    ROWS(DECLARE)
    for (int p = 0; p < kp; p++, a += 12, b += 32) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b), b1 = (__m512bh)_mm512_load_si512(b + 16);
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m512bh ar = (__m512bh)_mm512_set1_epi32((int)a[r]);                                                     \
        c##r##0 = _mm512_dpbf16_ps(c##r##0, ar, b0);                                                              \
        c##r##1 = _mm512_dpbf16_ps(c##r##1, ar, b1);                                                              \
    }
        ROWS(STEP)
    }
#define STORE(r) _mm512_storeu_ps(c + (r) * ldc, c##r##0); _mm512_storeu_ps(c + (r) * ldc + 16, c##r##1);
    ROWS(STORE)
}
#endif
