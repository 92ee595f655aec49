/* gemm_bf16_avx2.c — the bf16 micro-kernel emulated on AVX2 + FMA: the same bits as vdpbf16ps (see
 * gemm_bf16.c). A 4×16 tile; per pair, even and odd halves are split by a shift and a mask, each lane takes two
 * FMAs (odd k first), and a result below FLT_MIN in magnitude becomes a zero of its sign. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <float.h>
#include <immintrin.h>

#define ROWS(X) X(0) X(1) X(2) X(3)

static inline __m256 flush(__m256 x, __m256 sign, __m256 tiny) {
    __m256 small = _mm256_cmp_ps(_mm256_andnot_ps(sign, x), tiny, _CMP_LT_OQ); /* NaN compares false: kept */
    return _mm256_blendv_ps(x, _mm256_and_ps(x, sign), small);
}

static inline __m256 step(__m256 acc, __m256 a, __m256 b, __m256 sign, __m256 tiny) {
    return flush(_mm256_fmadd_ps(a, b, acc), sign, tiny);
}

void cllm_gemm_bf16_micro_avx2(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), tiny = _mm256_set1_ps(FLT_MIN);
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
#define DECLARE(r)                                                                                                \
    __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();                                          \
    if (load) {                                                                                                   \
        c##r##0 = flush(_mm256_loadu_ps(c + (r) * ldc), sign, tiny);                                              \
        c##r##1 = flush(_mm256_loadu_ps(c + (r) * ldc + 8), sign, tiny);                                          \
    }
    ROWS(DECLARE)
    for (int p = 0; p < kp; p++, a += 4, b += 16) {
        __m256i b0 = _mm256_load_si256((const __m256i *)b), b1 = _mm256_load_si256((const __m256i *)(b + 8));
        __m256 b0e = _mm256_castsi256_ps(_mm256_slli_epi32(b0, 16));
        __m256 b0o = _mm256_castsi256_ps(_mm256_and_si256(b0, high));
        __m256 b1e = _mm256_castsi256_ps(_mm256_slli_epi32(b1, 16));
        __m256 b1o = _mm256_castsi256_ps(_mm256_and_si256(b1, high));
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m256i ar = _mm256_set1_epi32((int)a[r]);                                                                \
        __m256 ae = _mm256_castsi256_ps(_mm256_slli_epi32(ar, 16));                                               \
        __m256 ao = _mm256_castsi256_ps(_mm256_and_si256(ar, high));                                              \
        c##r##0 = step(step(c##r##0, ao, b0o, sign, tiny), ae, b0e, sign, tiny);                                  \
        c##r##1 = step(step(c##r##1, ao, b1o, sign, tiny), ae, b1e, sign, tiny);                                  \
    }
        ROWS(STEP)
    }
#define STORE(r) _mm256_storeu_ps(c + (r) * ldc, c##r##0); _mm256_storeu_ps(c + (r) * ldc + 8, c##r##1);
    ROWS(STORE)
}
#endif
