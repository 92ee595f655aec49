/* gemm_avx512bf16.c — the bf16 micro-kernel on AVX512_BF16: a 12×32 tile of C in 24 zmm registers, one
 * vdpbf16ps per 16 lanes and pair of k. Each pair step loads two 32-bf16 B registers and broadcasts 12 A pairs:
 * 14 loads per 24 dot products, twice the multiply-adds of gemm_avx512.c's step for the same instruction count. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>
#include <string.h>

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
void cllm_gemv_bf16_panel_avx512bf16(int kp, const uint32_t *x, const uint32_t *b, float *y) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(); /* two chains apart would be faster, but
                                                                       each y[j] must stay one chain */
    for (int p = 0; p < kp; p++, b += 32) {
        __m512bh a = (__m512bh)_mm512_set1_epi32((int)x[p]);
        acc0 = _mm512_dpbf16_ps(acc0, a, (__m512bh)_mm512_load_si512(b));
        acc1 = _mm512_dpbf16_ps(acc1, a, (__m512bh)_mm512_load_si512(b + 16));
    }
    _mm512_storeu_ps(y, acc0);
    _mm512_storeu_ps(y + 16, acc1);
}

/* The Q8_0 column group (see q8.c) on AVX512-VNNI: vpdpbusd wants unsigned × signed bytes, so q goes in as
 * q + 128 (a flipped top bit) against x's signed bytes, broadcast straight from memory, and 128·Σx of the block,
 * one number for every column, comes off afterwards: exact integers either way. (The earlier form, x + 128 against
 * q less 128·Σq, read a Σq per column and block: 64 more bytes per 512 of weights.) Two integer chains per block,
 * added at the end: integer sums are exact in any order. */
void cllm_q8_group_avx512vnni(int blocks, const int8_t *q, const float *scale, const int32_t *xsum, const int8_t *xq,
                              const float *xd, float *y) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++, q += 512, scale += 16, xq += 32) {
        __m512i dot0 = _mm512_setzero_si512(), dot1 = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (int k4 = 0; k4 < 8; k4 += 2) {
            int32_t x0, x1;
            memcpy(&x0, xq + 4 * k4, 4);
            memcpy(&x1, xq + 4 * k4 + 4, 4);
            dot0 = _mm512_dpbusd_epi32(dot0, _mm512_xor_si512(_mm512_load_si512(q + 64 * k4), flip),
                                       _mm512_set1_epi32(x0));
            dot1 = _mm512_dpbusd_epi32(dot1, _mm512_xor_si512(_mm512_load_si512(q + 64 * k4 + 64), flip),
                                       _mm512_set1_epi32(x1));
        }
        __m512i dot = _mm512_sub_epi32(_mm512_add_epi32(dot0, dot1), _mm512_set1_epi32(xsum[b] * 128));
        __m512 d = _mm512_mul_ps(_mm512_loadu_ps(scale), _mm512_set1_ps(xd[b]));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), d, acc);
    }
    _mm512_storeu_ps(y, acc);
}

/* ---- Packing with vcvtne2ps2bf16: the rounding of cllm_bf16_round_bits in one instruction per 32 values (the
 * same bits: nearest even, NaN quiet, denormals to zero; tested against the portable packers through the GEMM). */

/* Pairs of lanes contiguous in lane (see cllm_gemm_bf16_pack_fn): the even and odd rows' 16 lanes convert together,
 * then one word permute interleaves them into (even, odd) pairs. */
void cllm_gemm_bf16_pack_across_avx512bf16(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                                22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int p = 0; p < (kc + 1) / 2; p++) {
        const float *even = src + (size_t)(2 * p) * ld, *odd = even + ld;
        int has_odd = 2 * p + 1 < kc;
        for (int r = 0; r < width; r += 16) {
            int lanes = n - r < 0 ? 0 : n - r > 16 ? 16 : n - r, w = width - r < 16 ? width - r : 16;
            __mmask16 in = (__mmask16)((1u << lanes) - 1u), out = (__mmask16)((1u << w) - 1u);
            __m512 e = _mm512_maskz_loadu_ps(in, even + r);
            __m512 o = has_odd ? _mm512_maskz_loadu_ps(in, odd + r) : _mm512_setzero_ps();
            __m512i words = (__m512i)_mm512_cvtne2ps_pbh(o, e); /* bf16(e) in words 0..15, bf16(o) in 16..31 */
            _mm512_mask_storeu_epi32(dst + (size_t)p * width + r, out, _mm512_permutexvar_epi16(interleave, words));
        }
    }
}

/* Pairs adjacent in memory: 32 consecutive values of k convert to 32 words already in pair order; staged as rows
 * of kp words and transposed into the panel by the fp32 transposing pack, as on the avx512 level. */
void cllm_gemm_bf16_pack_along_avx512bf16(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    uint32_t stage[CLLM_BF16_NR_MAX * CLLM_BF16_KC / 2] __attribute__((aligned(64)));
    int kp = (kc + 1) / 2;
    for (int r = 0; r < n; r++) {
        const float *s = src + (size_t)r * ld;
        for (int k = 0; k < kc; k += 32) {
            int left = kc - k, lo = left < 16 ? left : 16, hi = left < 16 ? 0 : left < 32 ? left - 16 : 16;
            __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)((1u << lo) - 1u), s + k);
            __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)((1u << hi) - 1u), s + k + 16);
            int pairs = (left + 1) / 2 < 16 ? (left + 1) / 2 : 16;
            _mm512_mask_storeu_epi32(stage + (size_t)r * kp + k / 2, (__mmask16)((1u << pairs) - 1u),
                                     (__m512i)_mm512_cvtne2ps_pbh(v1, v0));
        }
    }
    cllm_gemm_pack_t_avx512((const float *)stage, (size_t)kp, n, kp, width, (float *)dst);
}
#endif
