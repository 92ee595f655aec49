/* gemm_avx512.c — the AVX-512 GEMM micro-kernel (a 12×32 tile of C held in 24 zmm registers) and the
 * transposing pack (row-major A panels, transposed B panels).
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

/* The tile, with op(A)(r, k) at a[r·rs + k·cs]: packed panels have rs = 1, cs = 12 (then the strides are
 * constants and the loads plain displacements); an unpacked A has rs = lda, cs = 1 (rows of A) or rs = 1,
 * cs = lda (columns of a transposed A). Rows are reached from four bases three rows apart, p + {0, rs, 2·rs}:
 * x86 addressing scales an index by 1, 2, 4 or 8, so this needs five registers, not twelve. */
static inline __attribute__((always_inline)) void micro(int kc, const float *a, size_t rs, size_t cs,
                                                        const float *b, float *c, size_t ldc, float alpha,
                                                        float beta) {
#define DECLARE(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROWS(DECLARE)
    const float *p0 = a, *p3 = a + 3 * rs, *p6 = a + 6 * rs, *p9 = a + 9 * rs;
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#define ROW_PTR(r) ((r) < 3 ? p0 : (r) < 6 ? p3 : (r) < 9 ? p6 : p9)[((r) % 3) * rs]
#define STEP(r)                                                                                                   \
    {                                                                                                             \
        __m512 ar = _mm512_set1_ps(ROW_PTR(r));                                                                   \
        c##r##0 = _mm512_fmadd_ps(ar, b0, c##r##0);                                                               \
        c##r##1 = _mm512_fmadd_ps(ar, b1, c##r##1);                                                               \
    }
        ROWS(STEP)
        p0 += cs; p3 += cs; p6 += cs; p9 += cs;
        b += CLLM_AVX512_NR;
    }
    /* The write-back walks C with one running pointer: row addresses computed up front would stay live across
     * the k loop, and with 24 accumulators there is no register left for them (gcc then spilled b0). */
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (alpha != 1.0f) {
#define SCALE(r) c##r##0 = _mm512_mul_ps(va, c##r##0); c##r##1 = _mm512_mul_ps(va, c##r##1);
        ROWS(SCALE)
    }
    if (beta == 0.0f) {
#define STORE(r) _mm512_storeu_ps(c, c##r##0); _mm512_storeu_ps(c + 16, c##r##1); c += ldc;
        ROWS(STORE)
    } else if (beta == 1.0f) {
#define ADD(r)                                                                                                    \
    _mm512_storeu_ps(c, _mm512_add_ps(_mm512_loadu_ps(c), c##r##0));                                              \
    _mm512_storeu_ps(c + 16, _mm512_add_ps(_mm512_loadu_ps(c + 16), c##r##1));                                    \
    c += ldc;
        ROWS(ADD)
    } else {
#define AXPBY(r)                                                                                                  \
    _mm512_storeu_ps(c, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), c##r##0));                                        \
    _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16), c##r##1));                              \
    c += ldc;
        ROWS(AXPBY)
    }
}

void cllm_gemm_micro_avx512(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
    micro(kc, a, 1, CLLM_AVX512_MR, b, c, ldc, alpha, beta);
}

void cllm_gemm_micro_strided_avx512(int kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                                    size_t ldc, float alpha, float beta) {
    micro(kc, a, rs, cs, b, c, ldc, alpha, beta);
}

/* In-register transpose of a 16×16 block: r[i] holds row i on entry, column i on exit. Three rounds of
 * interleaving (32-bit, 64-bit, then 128-bit lanes twice). */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* r[4q + c] now holds, in each 128-bit lane L, elements [4L, 4L+4) of column c of rows 4q..4q+3. */
    for (int c = 0; c < 4; c++) {
        t[c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);      /* lanes 0,2 of rows 0-3 | 0,2 of rows 4-7 */
        t[4 + c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);  /* lanes 1,3 */
        t[8 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);          /* column c      (lane 0 of each) */
        r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xdd);      /* column 8 + c  (lane 2) */
        r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88); /* column 4 + c  (lane 1) */
        r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xdd); /* column 12 + c (lane 3) */
    }
}

void cllm_gemm_pack_t_avx512(const float *src, size_t ld, int rows, int kc, int width, float *dst) {
    for (int r0 = 0; r0 < width; r0 += 16) { /* 16 rows at a time: one 16×16 transpose per 16 columns */
        int lanes = width - r0 < 16 ? width - r0 : 16;
        __mmask16 out = (__mmask16)((1u << lanes) - 1u);
        for (int k = 0; k < kc; k += 16) {
            int w = kc - k < 16 ? kc - k : 16;
            __mmask16 cols = (__mmask16)((1u << w) - 1u);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = r0 + i < rows ? _mm512_maskz_loadu_ps(cols, src + (size_t)(r0 + i) * ld + k) : _mm512_setzero_ps();
            transpose16(r);
            for (int j = 0; j < w; j++) _mm512_mask_storeu_ps(dst + (size_t)(k + j) * width + r0, out, r[j]);
        }
    }
}
#endif
