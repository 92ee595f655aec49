/* cllm_simd.h — vector primitives and matrix products on run-time dispatched kernels.
 *
 * The kernel level (scalar, AVX2+FMA, AVX-512, AVX-512 with BF16) is chosen once from CPUID;
 * CLLM_SIMD=scalar|avx2|avx512|avx512bf16 in the environment forces one (never above what the CPU has). All
 * matrices are row-major fp32; the bf16 GEMM rounds its fp32 inputs to bf16 as it packs them.
 *
 *     // C[M,N] = A[M,K] · B[K,N]            (forward of a linear layer stored [in, out], as GPT-2's Conv1D)
 *     cllm_sgemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
 *     // dA[M,K] += dC[M,N] · B[K,N]^T        (backward to the input)
 *     cllm_sgemm(0, 1, M, K, N, 1.0f, dC, N, B, N, 1.0f, dA, K);
 *     // dB[K,N] += A[M,K]^T · dC[M,N]        (backward to the weights)
 *     cllm_sgemm(1, 0, K, N, M, 1.0f, A, K, dC, N, 1.0f, dB, N);
 *     // softmax of one row of n logits, in place
 *     float sum = cllm_vexp(row, cllm_vmax(row, n), row, n);
 *     cllm_vscale(1.0f / sum, row, n);
 */
#ifndef CLLM_SIMD_H
#define CLLM_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cllm_simd_level {
    CLLM_SIMD_SCALAR = 0, /* portable C, any architecture */
    CLLM_SIMD_AVX2 = 1,   /* AVX2 + FMA */
    CLLM_SIMD_AVX512 = 2, /* AVX-512 F/BW/DQ/VL */
    CLLM_SIMD_AVX512BF16 = 3, /* AVX-512 + AVX512_BF16 + AVX512_VNNI: fp32 kernels as avx512; vdpbf16ps, vpdpbusd */
} cllm_simd_level;

/* The level in use (detected on first call, or forced by CLLM_SIMD). */
CLLM_API cllm_simd_level cllm_simd_level_get(void);
/* The best level this CPU supports. */
CLLM_API cllm_simd_level cllm_simd_level_detect(void);
/* Forces a level for tests and comparison; returns 0, or -1 if the CPU lacks it (level unchanged). */
CLLM_API int cllm_simd_level_set(cllm_simd_level level);
/* "scalar", "avx2", "avx512" or "avx512bf16". */
CLLM_API const char *cllm_simd_level_name(cllm_simd_level level);

/* Σ a[i]·b[i] over n floats. */
CLLM_API float cllm_dot(const float *a, const float *b, size_t n);
/* y[i] += alpha·x[i]. */
CLLM_API void cllm_axpy(float alpha, const float *x, float *y, size_t n);
/* out[i] = a[i] + b[i] (out may alias a or b). */
CLLM_API void cllm_vadd(const float *a, const float *b, float *out, size_t n);
/* x[i] *= alpha. */
CLLM_API void cllm_vscale(float alpha, float *x, size_t n);
/* max over x[0..n) (-INFINITY for n == 0; a NaN in x may or may not propagate). */
CLLM_API float cllm_vmax(const float *x, size_t n);
/* out[i] = exp(x[i] - shift), returns Σ out[i] (out may alias x). Softmax's core: shift = cllm_vmax(x, n).
 * A polynomial exp, relative error < 2·FLT_EPSILON (measured ≤ 1) for x - shift in [-87, 88]; far below,
 * 0 (a -INFINITY mask gives exactly 0). Levels differ in the last bits. */
CLLM_API float cllm_vexp(const float *x, float shift, float *out, size_t n);

/* C = alpha·op(A)·op(B) + beta·C, row-major, BLAS semantics: op(A) is M×K, op(B) is K×N, C is M×N;
 * trans_a/trans_b non-zero means A is stored K×M / B is stored N×K. lda/ldb/ldc are row strides in floats.
 * beta == 0 overwrites C without reading it. Threads: uses OpenMP inside (omp_get_max_threads(), fewer for
 * small products); called from inside a parallel region, it runs on the calling thread alone unless OpenMP
 * nesting is enabled. */
CLLM_API void cllm_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc);
/* The same product on this library's own packed kernels at the current level, even in a BLAS=openblas build.
 * Results are bit-identical across runs and thread counts. alpha == 0 or K == 0 gives beta·C (A, B unread). */
CLLM_API void cllm_sgemm_native(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                                const float *B, int ldb, float beta, float *C, int ldc);
/* Frees the calling thread's packing workspace, which the products keep (grown, never shrunk) so that repeated
 * products allocate nothing; the next product allocates it again. Threads that exit free theirs by themselves. */
CLLM_API void cllm_gemm_workspace_release(void);
/* The same product by a plain row-parallel triple loop: slow, simple; the baseline for tests and benchmarks. */
CLLM_API void cllm_sgemm_reference(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                                   const float *B, int ldb, float beta, float *C, int ldc);
/* y[N] = x[K]·W[K,N] (+ bias[N] unless NULL), W row-major with row stride ldw: the products of one token (M = 1).
 * Each y[j] sums k = 0, 1, … in order, as cllm_sgemm's M = 1 path does, and adds the bias last; streams W once,
 * in memory order. Threads: OpenMP over column blocks from 4M multiply-adds; bit-identical across thread counts. */
CLLM_API void cllm_sgemv(int K, int N, const float *x, const float *W, int ldw, const float *bias, float *y);
/* y[N] = W[N,K]·x[K] (+ bias[N] unless NULL): y[j] = cllm_dot(x, row j of W) (+ bias[j]). Threads as cllm_sgemv. */
CLLM_API void cllm_sgemv_t(int N, int K, const float *W, int ldw, const float *x, const float *bias, float *y);
/* What cllm_sgemm runs on: "openblas" in a BLAS=openblas build, else the level name ("avx512", ...). */
CLLM_API const char *cllm_sgemm_backend(void);
/* This machine's cllm_sgemm rate in GFLOP/s on `threads` threads (< 1: all): the best of a few products shaped
 * like the model's (about 0.2 s). Returns a negative number if the work buffers could not be allocated. */
CLLM_API double cllm_sgemm_peak_gflops(int threads);

/* ---- bf16: the upper half of an fp32 (8-bit exponent, 7-bit mantissa). ----------------------------------------
 * Rounding is vcvtneps2bf16's: round to nearest even, NaN stays a (quiet) NaN, denormals become signed zero. The
 * bf16 GEMM is vdpbf16ps's arithmetic at every level, emulated bit for bit where the CPU lacks it: per element,
 * one fp32 chain over k pairs, each pair adding its odd-k product then its even-k product as single-rounding
 * FMAs, denormal inputs read as zero and denormal results flushed to zero. The result is the same bits at every
 * level, block size and thread count. */

/* fp32 → bf16 bits (rounding above). */
CLLM_API uint16_t cllm_bf16_from_float(float x);
/* bf16 bits → fp32 (exact). */
CLLM_API float cllm_bf16_to_float(uint16_t h);
/* C = op(A)·op(B) (accumulate 0: C is not read) or C += op(A)·op(B) (accumulate 1: the chain starts from C), with
 * A and B rounded to bf16 and products summed in fp32 as described above. Shapes and strides as cllm_sgemm;
 * OpenMP inside. Hardware vdpbf16ps on the avx512bf16 level, an exact emulation below. */
CLLM_API void cllm_gemm_bf16(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda, const float *B,
                             int ldb, int accumulate, float *C, int ldc);
/* The same product by a plain scalar loop: the definition the kernels are tested against. */
CLLM_API void cllm_gemm_bf16_reference(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                              const float *B, int ldb, int accumulate, float *C, int ldc);
/* ---- One-token products on weights packed once (generation): fewer bytes read per token. ------------------ */

/* op(W) [K,N] as bf16 pairs in panels of 32 columns: [ceil(N/32)][ceil(K/2)][32] uint32 (2 bytes a weight). */
typedef struct cllm_bf16_panels {
    int K, N;
    uint32_t *pairs;
} cllm_bf16_panels;
/* Packs op(W) (trans 0: W stored K×N, row stride ldw; trans 1: W stored N×K) rounded to bf16. 0, or -1 when out of
 * memory. Free with cllm_bf16_panels_free. */
CLLM_API int cllm_bf16_panels_init(cllm_bf16_panels *p, int trans, int K, int N, const float *W, int ldw);
CLLM_API void cllm_bf16_panels_free(cllm_bf16_panels *p);
/* y[N] = x[K]·op(W) (+ bias[N] unless NULL): the bits of cllm_gemm_bf16 with M = 1 (x rounded to bf16, fp32
 * chains), then the bias added. vdpbf16ps on the avx512bf16 level, a scalar emulation elsewhere. */
CLLM_API void cllm_gemv_bf16(const cllm_bf16_panels *W, const float *x, const float *bias, float *y);

/* op(W) [K,N] quantised like llama.cpp's Q8_0: for each output column n, blocks of 32 consecutive k share one fp32
 * scale d = max|w|/127 and hold q = round(w/d) in [-127, 127]. Laid out 16 columns at a time for the dot
 * products: q [N/16][blocks][8][16][4], scale [N/16][blocks][16]. */
typedef struct cllm_q8_matrix {
    int K, N, blocks; /* blocks = ceil(K/32); N rounded up to 16 inside */
    int8_t *q;
    float *scale;
} cllm_q8_matrix;
/* Quantises op(W) (as cllm_bf16_panels_init). 0, or -1 when out of memory. Free with cllm_q8_free. */
CLLM_API int cllm_q8_init(cllm_q8_matrix *m, int trans, int K, int N, const float *W, int ldw);
CLLM_API void cllm_q8_free(cllm_q8_matrix *m);
/* The value the quantised matrix holds for op(W)[k][n]: scale·q. */
CLLM_API float cllm_q8_value(const cllm_q8_matrix *m, int k, int n);
/* y[N] = x[K]·op(W) (+ bias): x is quantised the same way (per block of 32: d_x = max|x|/127), each block's
 * integer dot product is exact, and y[n] = Σ_blocks fma(dot, d_w·d_x, ·) in block order, then + bias: the same
 * bits at every level (AVX512-VNNI, AVX2, scalar) and thread count. */
CLLM_API void cllm_gemv_q8(const cllm_q8_matrix *W, const float *x, const float *bias, float *y);

/* cllm_gemm_bf16's rate in GFLOP/s, measured like cllm_sgemm_peak_gflops (same shapes; emulated where the CPU lacks
 * AVX512_BF16). */
CLLM_API double cllm_gemm_bf16_peak_gflops(int threads);
/* Whether cllm_gemm_bf16 runs on bf16 hardware at the current level (0: emulated, same bits, slower). */
CLLM_API int cllm_gemm_bf16_native(void);
/* Whether bf16 products pay here: native, and measured at least 1.25x as fast as fp32's (one product shaped like
 * tiny's QKV projection on the calling thread, best of 3 each, timed by that thread's CPU clock so that other
 * processes do not decide it: about 0.1 s, once per process, at the level current then).
 * Not every CPU with AVX512_BF16 gains: on a Xeon the bf16 product ran at 0.6-0.9 of fp32. rates, unless NULL,
 * receives the fp32 and bf16 GFLOP/s behind the answer (0 where nothing was measured: emulated; negative if the
 * work buffers could not be allocated, and then the answer is 0). */
CLLM_API int cllm_gemm_bf16_faster(double rates[2]);

#ifdef __cplusplus
}
#endif

#endif
