/* gemm_bf16_avx2.c — the bf16 micro-kernel emulated on AVX2 + FMA: the same bits as vdpbf16ps (see
 * gemm_bf16.c). A 4×16 tile; per pair, even and odd halves are split by a shift and a mask, each lane takes two
 * FMAs (odd k first), and a result below FLT_MIN in magnitude becomes a zero of its sign.
 *
 * The flush after every FMA costs four instructions per FMA, yet it changes a bit only when some sum in the chain
 * is a denormal, which products of trained weights and activations almost never are. So the tile runs first as
 * plain FMAs with MXCSR's status flags cleared. A denormal sum either was rounded (the underflow flag, UE), or was
 * exact and then fed the next FMA (the denormal-operand flag, DE), or is a final value (checked in the registers).
 * If none of the three happened, no flush would have changed anything and the tile is stored. Otherwise the tile
 * is computed again, from the untouched C, by the flushing kernel. MXCSR's control bits are never changed. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <float.h>
#include <immintrin.h>

#define ROWS(X) X(0) X(1) X(2) X(3)

static inline __m256 flush(__m256 x, __m256 sign, __m256 tiny) {
    __m256 small = _mm256_cmp_ps(_mm256_andnot_ps(sign, x), tiny, _CMP_LT_OQ); /* NaN compares false: kept */
    return _mm256_blendv_ps(x, _mm256_and_ps(x, sign), small);
}

/* One FMA of the chain: `flushing` (a constant once inlined) adds the flush of a denormal sum. */
static inline __attribute__((always_inline)) __m256 step(__m256 acc, __m256 a, __m256 b, __m256 sign, __m256 tiny,
                                                         int flushing) {
    __m256 x = _mm256_fmadd_ps(a, b, acc);
    return flushing ? flush(x, sign, tiny) : x;
}

#define DECLARE(r)                                                                                                \
    __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();                                          \
    if (load) {                                                                                                   \
        c##r##0 = flush(_mm256_loadu_ps(c + (r) * ldc), sign, tiny);                                              \
        c##r##1 = flush(_mm256_loadu_ps(c + (r) * ldc + 8), sign, tiny);                                          \
    }
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m256i ar = _mm256_set1_epi32((int)a[r]);                                                                \
        __m256 ae = _mm256_castsi256_ps(_mm256_slli_epi32(ar, 16));                                               \
        __m256 ao = _mm256_castsi256_ps(_mm256_and_si256(ar, high));                                              \
        c##r##0 = step(step(c##r##0, ao, b0o, sign, tiny, FLUSHING), ae, b0e, sign, tiny, FLUSHING);              \
        c##r##1 = step(step(c##r##1, ao, b1o, sign, tiny, FLUSHING), ae, b1e, sign, tiny, FLUSHING);              \
    }
/* The tile's sums in the registers c00..c31 (declared and loaded here), over kp k pairs; FLUSHING: 0 or 1. */
#define TILE                                                                                                      \
    ROWS(DECLARE)                                                                                                 \
    for (int p = 0; p < kp; p++, a += 4, b += 16) {                                                               \
        __m256i b0 = _mm256_load_si256((const __m256i *)b), b1 = _mm256_load_si256((const __m256i *)(b + 8));     \
        __m256 b0e = _mm256_castsi256_ps(_mm256_slli_epi32(b0, 16));                                              \
        __m256 b0o = _mm256_castsi256_ps(_mm256_and_si256(b0, high));                                             \
        __m256 b1e = _mm256_castsi256_ps(_mm256_slli_epi32(b1, 16));                                              \
        __m256 b1o = _mm256_castsi256_ps(_mm256_and_si256(b1, high));                                             \
        ROWS(STEP)                                                                                                \
    }
#define STORE(r) _mm256_storeu_ps(c + (r) * ldc, c##r##0); _mm256_storeu_ps(c + (r) * ldc + 8, c##r##1);

static void micro_flushing(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), tiny = _mm256_set1_ps(FLT_MIN);
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
#define FLUSHING 1
    TILE
#undef FLUSHING
    ROWS(STORE)
}

/* The plain-FMA tile; stores it and returns 1 when no sum was a denormal, else leaves C alone and returns 0. */
static int micro_plain(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)), tiny = _mm256_set1_ps(FLT_MIN);
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
    const unsigned csr = cllm_mxcsr_clear_flags();
#define FLUSHING 0
    TILE
#undef FLUSHING
    /* every FMA happens before the flags are read: the empty asm needs the finished sums in registers */
    __asm__ volatile("" : "+x"(c00), "+x"(c01), "+x"(c10), "+x"(c11), "+x"(c20), "+x"(c21), "+x"(c30), "+x"(c31));
    const int flagged = cllm_mxcsr_saw_denormal(csr);
    /* a final value that is a denormal (an exact one raises no flag): 0 < |x| < FLT_MIN */
#define DENORMAL(x) _mm256_and_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, x), tiny, _CMP_LT_OQ), \
                                  _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NEQ_OQ))
#define ANY(r) _mm256_or_ps(DENORMAL(c##r##0), DENORMAL(c##r##1))
    __m256 bad = _mm256_or_ps(_mm256_or_ps(ANY(0), ANY(1)), _mm256_or_ps(ANY(2), ANY(3)));
    if (flagged || _mm256_movemask_ps(bad)) return 0;
    ROWS(STORE)
    return 1;
}

void cllm_gemm_bf16_micro_avx2(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    if (!micro_plain(kp, a, b, c, ldc, load)) micro_flushing(kp, a, b, c, ldc, load);
}
#endif
