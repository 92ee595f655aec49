/* gemm_avx2.c — the AVX2 + FMA GEMM micro-kernel (a 6×16 tile of C held in 12 ymm registers) and the
 * transposing pack (row-major A panels, transposed B panels).
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

/* The tile, with op(A)(r, k) at a[r·rs + k·cs]: packed panels have rs = 1, cs = 6 (constant strides, plain
 * displacements); an unpacked A has rs = lda, cs = 1, or rs = 1, cs = lda when transposed. Rows are reached from
 * two bases three rows apart, p + {0, rs, 2·rs}. */
static inline __attribute__((always_inline)) void micro(int kc, const float *a, size_t rs, size_t cs,
                                                        const float *b, float *c, size_t ldc, float alpha,
                                                        float beta) {
#define DECLARE(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROWS(DECLARE)
    const float *p0 = a, *p3 = a + 3 * rs;
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m256 ar = _mm256_broadcast_ss(((r) < 3 ? p0 : p3) + ((r) % 3) * rs);                                    \
        c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);                                                               \
        c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);                                                               \
    }
        ROWS(STEP)
        p0 += cs; p3 += cs;
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

void cllm_gemm_micro_avx2(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
    micro(kc, a, 1, CLLM_AVX2_MR, b, c, ldc, alpha, beta);
}

void cllm_gemm_micro_strided_avx2(int kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                                  size_t ldc, float alpha, float beta) {
    micro(kc, a, rs, cs, b, c, ldc, alpha, beta);
}

/* In-register transpose of an 8×8 block: r[i] holds row i on entry, column i on exit. */
static inline void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

/* Lanes [0, n) of a maskload/maskstore mask, n <= 8. */
static inline __m256i lanes_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

void cllm_gemm_pack_t_avx2(const float *src, size_t ld, int rows, int kc, int width, float *dst) {
    for (int r0 = 0; r0 < width; r0 += 8) { /* 8 rows at a time: one 8×8 transpose per 8 columns */
        __m256i out = lanes_mask(width - r0 < 8 ? width - r0 : 8);
        for (int k = 0; k < kc; k += 8) {
            int w = kc - k < 8 ? kc - k : 8;
            __m256i cols = lanes_mask(w);
            __m256 r[8];
            for (int i = 0; i < 8; i++)
                r[i] = r0 + i < rows ? _mm256_maskload_ps(src + (size_t)(r0 + i) * ld + k, cols) : _mm256_setzero_ps();
            transpose8(r);
            for (int j = 0; j < w; j++) _mm256_maskstore_ps(dst + (size_t)(k + j) * width + r0, out, r[j]);
        }
    }
}
#endif
