/* q8_avx2.c — the Q8_0 one-token product's column group on AVX2 (see q8.c): per 4 k, x's 4 bytes broadcast to
 * every column; pmaddubsw multiplies |x| (unsigned) by q carrying x's sign (at most 2·127·127 per pair, no
 * saturation), pmaddwd sums the pairs into 32-bit lanes, one lane per column. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>
#include <string.h>

void cllm_q8_group_avx2(int blocks, const int8_t *q, const float *scale, const int32_t *xsum, const int8_t *xq,
                        const float *xd, float *y) {
    (void)xsum;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++, q += 512, scale += 16, xq += 32) {
        __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
        for (int k4 = 0; k4 < 8; k4++) {
            int32_t x4;
            memcpy(&x4, xq + 4 * k4, 4);
            __m256i xb = _mm256_set1_epi32(x4), ax = _mm256_abs_epi8(xb);
            __m256i w0 = _mm256_load_si256((const __m256i *)(q + 64 * k4));
            __m256i w1 = _mm256_load_si256((const __m256i *)(q + 64 * k4 + 32));
            i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w0, xb)), ones));
            i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w1, xb)), ones));
        }
        __m256 dx = _mm256_set1_ps(xd[b]);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), _mm256_mul_ps(_mm256_loadu_ps(scale), dx), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i1), _mm256_mul_ps(_mm256_loadu_ps(scale + 8), dx), acc1);
    }
    _mm256_storeu_ps(y, acc0);
    _mm256_storeu_ps(y + 8, acc1);
}
#endif
