/* gemm_bf16_avx512.c — the bf16 micro-kernel emulated on AVX-512F for CPUs without AVX512_BF16: the same bits as
 * vdpbf16ps (see gemm_bf16.c).
 *
 * An 8×32 tile: per pair step, the two B registers are split into their even-k and odd-k halves (a shift and a
 * mask turn a bf16 into the fp32 it stands for), each row's pair is split likewise, and every lane takes two
 * rounding FMAs, odd k first, each followed by the flush of a denormal result to signed zero.
 *
 * As in gemm_bf16_avx2.c, the flush (two instructions per FMA) changes a bit only when some sum in the chain is a
 * denormal, so the tile runs first as plain FMAs with MXCSR's status flags cleared, and is computed again by the
 * flushing kernel, from the untouched C, only if the underflow (UE) or denormal-operand (DE) flag was raised or a
 * final value is a denormal. The plain FMAs cannot use embedded rounding: it suppresses the flags. MXCSR's
 * control bits are never changed. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

static inline __m512 flush(__m512 x, __m512 sign) {
    return _mm512_mask_and_ps(x, _mm512_fpclass_ps_mask(x, 0x20), x, sign); /* 0x20: denormal */
}

/* One lane-wise chain step. Flushing: the instruction's rounding whatever MXCSR says, then the flush; plain: MXCSR's
 * rounding (nearest unless a caller changed it), raising the status flags. `flushing` is a constant once inlined. */
static inline __attribute__((always_inline)) __m512 step(__m512 acc, __m512 a, __m512 b, __m512 sign, int flushing) {
    if (!flushing) return _mm512_fmadd_ps(a, b, acc);
    return flush(_mm512_fmadd_round_ps(a, b, acc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), sign);
}

#define DECLARE(r)                                                                                                \
    __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();                                          \
    if (load) {                                                                                                   \
        c##r##0 = flush(_mm512_loadu_ps(c + (r) * ldc), sign);                                                    \
        c##r##1 = flush(_mm512_loadu_ps(c + (r) * ldc + 16), sign);                                               \
    }
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m512i ar = _mm512_set1_epi32((int)a[r]);                                                                \
        __m512 ae = _mm512_castsi512_ps(_mm512_slli_epi32(ar, 16));                                               \
        __m512 ao = _mm512_castsi512_ps(_mm512_and_si512(ar, high));                                              \
        c##r##0 = step(step(c##r##0, ao, b0o, sign, FLUSHING), ae, b0e, sign, FLUSHING);                          \
        c##r##1 = step(step(c##r##1, ao, b1o, sign, FLUSHING), ae, b1e, sign, FLUSHING);                          \
    }
/* The tile's sums in the registers c00..c71 (declared and loaded here), over kp k pairs; FLUSHING: 0 or 1. */
#define TILE                                                                                                      \
    ROWS(DECLARE)                                                                                                 \
    for (int p = 0; p < kp; p++, a += 8, b += 32) {                                                               \
        __m512i b0 = _mm512_load_si512(b), b1 = _mm512_load_si512(b + 16);                                        \
        __m512 b0e = _mm512_castsi512_ps(_mm512_slli_epi32(b0, 16));                                              \
        __m512 b0o = _mm512_castsi512_ps(_mm512_and_si512(b0, high));                                             \
        __m512 b1e = _mm512_castsi512_ps(_mm512_slli_epi32(b1, 16));                                              \
        __m512 b1o = _mm512_castsi512_ps(_mm512_and_si512(b1, high));                                             \
        ROWS(STEP)                                                                                                \
    }
#define STORE(r) _mm512_storeu_ps(c + (r) * ldc, c##r##0); _mm512_storeu_ps(c + (r) * ldc + 16, c##r##1);

static void micro_flushing(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
#define FLUSHING 1
    TILE
#undef FLUSHING
    ROWS(STORE)
}

/* The plain-FMA tile; stores it and returns 1 when no sum was a denormal, else leaves C alone and returns 0. */
static int micro_plain(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
    const unsigned csr = cllm_mxcsr_clear_flags();
#define FLUSHING 0
    TILE
#undef FLUSHING
    /* every FMA happens before the flags are read: the empty asms (two: one may take 30 operands) need the
     * finished sums in registers */
    __asm__ volatile("" : "+v"(c00), "+v"(c01), "+v"(c10), "+v"(c11), "+v"(c20), "+v"(c21), "+v"(c30), "+v"(c31));
    __asm__ volatile("" : "+v"(c40), "+v"(c41), "+v"(c50), "+v"(c51), "+v"(c60), "+v"(c61), "+v"(c70), "+v"(c71));
    const int flagged = cllm_mxcsr_saw_denormal(csr);
    /* a final value that is a denormal (an exact one raises no flag) */
#define ANY(r) (_mm512_fpclass_ps_mask(c##r##0, 0x20) | _mm512_fpclass_ps_mask(c##r##1, 0x20))
    if (flagged || (ANY(0) | ANY(1) | ANY(2) | ANY(3) | ANY(4) | ANY(5) | ANY(6) | ANY(7)))
        return 0;
    ROWS(STORE)
    return 1;
}

void cllm_gemm_bf16_micro_avx512(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    if (!micro_plain(kp, a, b, c, ldc, load)) micro_flushing(kp, a, b, c, ldc, load);
}

/* ---- Packing (also the avx512bf16 level's): cllm_bf16_round_bits on 16 lanes, the same integer steps. */

static inline __m512i round_bits(__m512i x) {
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u), exp = _mm512_set1_epi32(0x7f800000);
    __m512i r = _mm512_add_epi32(x, _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
                                                     _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1))));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_andnot_si512(sign, x), exp);
    __mmask16 tiny = _mm512_testn_epi32_mask(x, exp); /* exponent 0: zero or denormal */
    r = _mm512_mask_or_epi32(r, nan, x, _mm512_set1_epi32(0x00400000));
    r = _mm512_mask_and_epi32(r, tiny, x, sign);
    return _mm512_and_si512(r, _mm512_set1_epi32((int)0xffff0000u));
}

/* Pairs of lanes contiguous in lane: dst[p·width + r] = (even row r, odd row r), 16 lanes a step. */
void cllm_gemm_bf16_pack_across_avx512(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    for (int p = 0; p < (kc + 1) / 2; p++) {
        const float *even = src + (size_t)(2 * p) * ld, *odd = even + ld;
        int has_odd = 2 * p + 1 < kc;
        for (int r = 0; r < width; r += 16) {
            int lanes = n - r < 0 ? 0 : n - r > 16 ? 16 : n - r, w = width - r < 16 ? width - r : 16;
            __mmask16 in = (__mmask16)((1u << lanes) - 1u), out = (__mmask16)((1u << w) - 1u);
            __m512i e = round_bits(_mm512_maskz_loadu_epi32(in, even + r));
            __m512i o = has_odd ? round_bits(_mm512_maskz_loadu_epi32(in, odd + r)) : _mm512_setzero_si512();
            _mm512_mask_storeu_epi32(dst + (size_t)p * width + r, out, _mm512_or_si512(_mm512_srli_epi32(e, 16), o));
        }
    }
}

/* Pairs adjacent in memory: each lane's run of kc values becomes a run of kp pairs (the high halves of the
 * rounded words, gathered by one word permute), staged as rows of kp words, then transposed into the panel by the
 * fp32 transposing pack, which moves 32-bit words without arithmetic (and writes the zero lanes past n). */
void cllm_gemm_bf16_pack_along_avx512(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    uint32_t stage[CLLM_BF16_NR_MAX * CLLM_BF16_KC / 2] __attribute__((aligned(64)));
    int kp = (kc + 1) / 2;
    const __m512i odd_words = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31,
                                               29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int r = 0; r < n; r++) {
        const float *s = src + (size_t)r * ld;
        for (int k = 0; k < kc; k += 32) {
            int left = kc - k, lo = left < 16 ? left : 16, hi = left < 16 ? 0 : left < 32 ? left - 16 : 16;
            __m512i v0 = round_bits(_mm512_maskz_loadu_epi32((__mmask16)((1u << lo) - 1u), s + k));
            __m512i v1 = round_bits(_mm512_maskz_loadu_epi32((__mmask16)((1u << hi) - 1u), s + k + 16));
            int pairs = (left + 1) / 2 < 16 ? (left + 1) / 2 : 16;
            _mm512_mask_storeu_epi32(stage + (size_t)r * kp + k / 2, (__mmask16)((1u << pairs) - 1u),
                                     _mm512_permutex2var_epi16(v0, odd_words, v1));
        }
    }
    cllm_gemm_pack_t_avx512((const float *)stage, (size_t)kp, n, kp, width, (float *)dst);
}
#endif
