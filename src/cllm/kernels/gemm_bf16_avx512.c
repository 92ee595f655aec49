/* gemm_bf16_avx512.c — the bf16 micro-kernel emulated on AVX-512F for CPUs without AVX512_BF16: the same bits as
 * vdpbf16ps (see gemm_bf16.c), about a quarter of its speed.
 *
 * An 8×32 tile: per pair step, the two B registers are split into their even-k and odd-k halves (a shift and a
 * mask turn a bf16 into the fp32 it stands for), each row's pair is split likewise, and every lane takes two
 * rounding FMAs, odd k first, each followed by the flush of a denormal result to signed zero. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* One lane-wise chain step, with the instruction's rounding whatever MXCSR says, then the flush. */
static inline __m512 step(__m512 acc, __m512 a, __m512 b, __m512 sign) {
    acc = _mm512_fmadd_round_ps(a, b, acc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm512_mask_and_ps(acc, _mm512_fpclass_ps_mask(acc, 0x20), acc, sign); /* 0x20: denormal */
}

void cllm_gemm_bf16_micro_avx512(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
#define DECLARE(r)                                                                                                \
    __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();                                          \
    if (load) {                                                                                                   \
        c##r##0 = _mm512_loadu_ps(c + (r) * ldc), c##r##1 = _mm512_loadu_ps(c + (r) * ldc + 16);                  \
        c##r##0 = _mm512_mask_and_ps(c##r##0, _mm512_fpclass_ps_mask(c##r##0, 0x20), c##r##0, sign);              \
        c##r##1 = _mm512_mask_and_ps(c##r##1, _mm512_fpclass_ps_mask(c##r##1, 0x20), c##r##1, sign);              \
    }
    ROWS(DECLARE)
    for (int p = 0; p < kp; p++, a += 8, b += 32) {
        __m512i b0 = _mm512_load_si512(b), b1 = _mm512_load_si512(b + 16);
        __m512 b0e = _mm512_castsi512_ps(_mm512_slli_epi32(b0, 16));
        __m512 b0o = _mm512_castsi512_ps(_mm512_and_si512(b0, high));
        __m512 b1e = _mm512_castsi512_ps(_mm512_slli_epi32(b1, 16));
        __m512 b1o = _mm512_castsi512_ps(_mm512_and_si512(b1, high));
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m512i ar = _mm512_set1_epi32((int)a[r]);                                                                \
        __m512 ae = _mm512_castsi512_ps(_mm512_slli_epi32(ar, 16));                                               \
        __m512 ao = _mm512_castsi512_ps(_mm512_and_si512(ar, high));                                              \
        c##r##0 = step(step(c##r##0, ao, b0o, sign), ae, b0e, sign);                                              \
        c##r##1 = step(step(c##r##1, ao, b1o, sign), ae, b1e, sign);                                              \
    }
        ROWS(STEP)
    }
#define STORE(r) _mm512_storeu_ps(c + (r) * ldc, c##r##0); _mm512_storeu_ps(c + (r) * ldc + 16, c##r##1);
    ROWS(STORE)
}
#endif
