/* kernels.h — internal: the per-instruction-set kernel table behind cllm_simd.h's dispatch.
 *
 * One table per level, all in simd.c; the kernels themselves live in simd.c and gemm.c (scalar) and in the
 * *_avx2.c / *_avx512.c files, which alone are compiled with -m flags. Nothing outside src/cllm/kernels
 * includes this.
 */
#ifndef CLLM_KERNELS_H
#define CLLM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_simd.h"

/* GEMM micro-kernel: C[MR×NR] = alpha·(A panel · B panel) + beta·C over kc steps, for one full tile.
 * a: kc groups of MR floats (packed); b: kc groups of NR floats (packed, 64-byte aligned); c: row stride ldc.
 * beta == 0 stores without reading C. */
typedef void (*cllm_gemm_micro_fn)(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha,
                                   float beta);

/* The same tile with A read in place, unpacked: op(A)(r, k) at a[r·rs + k·cs] (rows of A: rs = lda, cs = 1; a
 * transposed A: rs = 1, cs = lda). The same operations in the same order as the packed kernel: equal results. */
typedef void (*cllm_gemm_micro_strided_fn)(int kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                                           size_t ldc, float alpha, float beta);

/* Transposing pack of one panel: rows src, src + ld, ... (rows <= width of them) × columns [0, kc) into
 * dst[k·width + r], zeros for r >= rows. Packs A (width mr) when A is not transposed, B (width nr) when it is. */
typedef void (*cllm_gemm_pack_fn)(const float *src, size_t ld, int rows, int kc, int width, float *dst);

typedef struct cllm_kernels {
    cllm_simd_level level;
    float (*dot)(const float *a, const float *b, size_t n);
    void (*axpy)(float alpha, const float *x, float *y, size_t n);
    void (*vadd)(const float *a, const float *b, float *out, size_t n);
    void (*vscale)(float alpha, float *x, size_t n);
    float (*vmax)(const float *x, size_t n);
    float (*vexp)(const float *x, float shift, float *out, size_t n);
    cllm_gemm_micro_fn gemm_micro;
    cllm_gemm_pack_fn gemm_pack_t; /* NULL: the portable loop */
    cllm_gemm_micro_strided_fn gemm_micro_strided; /* NULL: A is always packed */
    int mr, nr;     /* micro-tile rows and columns; nr is a multiple of the vector width */
    int kc, mc, nc; /* cache blocks: kc×nr B micro-panel in L1 or L2, mc×kc A block in L2, kc×nc B block in L3;
                       mc a multiple of mr, nc of nr */
} cllm_kernels;

/* The table in use (lazy, thread-safe: the first call detects the CPU and reads CLLM_SIMD). */
const cllm_kernels *cllm_kernels_get(void);
/* The table of one level (which the CPU must have). */
const cllm_kernels *cllm_kernels_of(cllm_simd_level level);

/* The blocked GEMM on a given table and thread count (threads >= 1); 0, or -1 when packing memory was not
 * available (C untouched). Same operands as cllm_sgemm. */
int cllm_gemm_blocked(const cllm_kernels *k, int threads, int trans_a, int trans_b, int M, int N, int K,
                      float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* y[N] = alpha·op(W)·x + beta·y (+ bias[N] unless NULL) on a given table: trans 0, x[K]·W[K,N] (rows of W through
 * axpy); trans 1, W[N,K]·x[K] (a dot per row). beta == 0 never reads y. Up to `threads` threads (< 1: OpenMP's),
 * only from 4M multiply-adds, split at fixed columns: the same bits for any thread count. Behind cllm_sgemv/_t and
 * cllm_sgemm's M = 1 path. */
void cllm_gemv_run(const cllm_kernels *kr, int threads, int trans, int K, int N, float alpha, const float *x,
                   const float *W, size_t ldw, float beta, const float *bias, float *y);

/* The one fast exp of the tree. exp(x) = 2^n · p(r), x = n·ln2 + r, |r| <= ln2/2: Cephes' expf constants, shared
 * by every kernel level (and the model's ops, through cllm_exp_approx) so they differ only in rounding. Arguments
 * are clamped to [CLLM_EXP_LO, CLLM_EXP_HI]: below about −87.7 (n = −127) 2^n is exactly 0 (no subnormals), and
 * the top is 2.4e38, never inf. Relative error < 1e-7 in between. */
#define CLLM_EXP_HI 88.3762626647949f
#define CLLM_EXP_LO -88.3762626647949f
#define CLLM_EXP_LOG2E 1.44269504088896341f
#define CLLM_EXP_C1 0.693359375f
#define CLLM_EXP_C2 -2.12194440e-4f
#define CLLM_EXP_P0 1.9875691500e-4f
#define CLLM_EXP_P1 1.3981999507e-3f
#define CLLM_EXP_P2 8.3334519073e-3f
#define CLLM_EXP_P3 4.1665795894e-2f
#define CLLM_EXP_P4 1.6666665459e-1f
#define CLLM_EXP_P5 5.0000001201e-1f
#define CLLM_EXP_LO_BITS 0xC2B0C0A5u /* CLLM_EXP_LO's bits */
#define CLLM_EXP_HI_BITS 0x42B0C0A5u /* CLLM_EXP_HI's bits */

/* The same exp for one float, written so that compilers vectorise the loops around it (the model's GELU and
 * softmax): n rounded by the 1.5·2²³ trick, 2ⁿ built in the exponent bits, and the clamp and the NaN test done on
 * the bits (gcc will not vectorise float compares or a select it could branch around, since under
 * -ftrapping-math they may trap). NaN stays NaN. */
static inline __attribute__((always_inline)) float cllm_exp_approx(float x) {
    union { float f; uint32_t u; } in = {x}, v, rounded, two_n, out;
    uint32_t lo = in.u > CLLM_EXP_LO_BITS ? CLLM_EXP_LO_BITS : in.u;           /* below LO: larger bits, unsigned */
    v.u = (uint32_t)((int32_t)lo > (int32_t)CLLM_EXP_HI_BITS ? (int32_t)CLLM_EXP_HI_BITS : (int32_t)lo); /* above HI */
    rounded.f = v.f * CLLM_EXP_LOG2E + 12582912.0f;
    float n = rounded.f - 12582912.0f;                                       /* n = round(v / ln2) */
    float r = v.f - n * CLLM_EXP_C1 - n * CLLM_EXP_C2;                       /* ln2 in two parts: n·C1 exact */
    float p = CLLM_EXP_P0;
    p = p * r + CLLM_EXP_P1;
    p = p * r + CLLM_EXP_P2;
    p = p * r + CLLM_EXP_P3;
    p = p * r + CLLM_EXP_P4;
    p = p * r + CLLM_EXP_P5;
    /* rounded's bits are 0x4B400000 + n; 2ⁿ is exponent field n + 127, n ∈ [−127, 127] (field 0: exactly 0) */
    two_n.u = (uint32_t)((int32_t)rounded.u - 0x4B400000 + 127) << 23;
    out.f = (p * r * r + r + 1.0f) * two_n.f;
    uint32_t nan = 0u - (uint32_t)((in.u & 0x7FFFFFFFu) > 0x7F800000u);
    out.u = (in.u & nan) | (out.u & ~nan);
    return out.f;
}

/* ---- bf16 GEMM (gemm_bf16.c). Packed panels hold uint32 pairs: bf16 of k = 2p in the low half, k = 2p + 1 in the
 * high half, as vdpbf16ps reads them. */

/* The rounding of cllm_bf16_from_float on raw fp32 bits, returned as fp32 bits with the low half zero: the one
 * definition every level and packer uses. Denormals (exponent 0) → signed zero; NaN → quiet NaN; else nearest
 * even (an integer add of 0x7fff plus the kept lsb). */
static inline uint32_t cllm_bf16_round_bits(uint32_t x) {
    if ((x & 0x7f800000u) == 0) return x & 0x80000000u;
    if ((x & 0x7fffffffu) > 0x7f800000u) return (x | 0x00400000u) & 0xffff0000u;
    return (x + 0x7fffu + ((x >> 16) & 1u)) & 0xffff0000u;
}

/* bf16 micro-kernel: C[mr×nr] = the chain over kp pairs (see cllm_simd.h), started from C (load != 0) or from 0.
 * a: kp groups of mr pairs; b: kp groups of nr pairs (64-byte aligned); c: row stride ldc. */
typedef void (*cllm_gemm_bf16_micro_fn)(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc,
                                        int load);

/* bf16 packing of one panel (see gemm_bf16.c): `n` of `width` lanes × kc values of k → ceil(kc/2) groups of width
 * pairs, zeros past n and kc. along: lane r's values are src[r·ld + k]; across: src[k·ld + r]. */
typedef void (*cllm_gemm_bf16_pack_fn)(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst);

typedef struct cllm_bf16_kernels {
    cllm_gemm_bf16_micro_fn micro;
    cllm_gemm_bf16_pack_fn pack_along, pack_across;
    int mr, nr;   /* tile; nr a multiple of 16 on the vector levels */
    int native;   /* 1: vdpbf16ps; 0: emulated */
} cllm_bf16_kernels;

/* The bf16 table of a level (which the CPU must have). */
const cllm_bf16_kernels *cllm_bf16_kernels_of(cllm_simd_level level);
/* The bf16 GEMM on a given table and thread count (threads >= 1); 0, or -1 when packing memory was not available
 * (C untouched). */
int cllm_gemm_bf16_blocked(const cllm_bf16_kernels *kr, int threads, int trans_a, int trans_b, int M, int N, int K,
                           const float *A, int lda, const float *B, int ldb, int accumulate, float *C, int ldc);
void cllm_gemm_bf16_micro_scalar(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load);
#define CLLM_BF16_KC 512 /* values of k per packed block (even: pairs never straddle blocks) */
#define CLLM_BF16_PANEL 32 /* columns per prepacked one-token panel (cllm_bf16_panels) */
#define CLLM_BF16_MR_MAX 12
#define CLLM_BF16_NR_MAX 32

/* Threads' blocks of C: thread t of nt gets rows [m0, m1) × columns [n0, n1), cut at multiples of mr and nr (see
 * gemm.c's thread_grid); m0 >= m1 when it has none. Shared by the fp32 and bf16 drivers. */
void cllm_gemm_thread_block(int t, int nt, int M, int N, int mr, int nr, int *m0, int *m1, int *n0, int *n1);
/* Threads worth using for an M×N×K product on tiles of mr×nr: at most `threads`, at least 1. */
int cllm_gemm_threads_for(int M, int N, int K, int mr, int nr, int threads);
/* The calling thread's packing workspace, at least `bytes` bytes, 64-byte aligned; NULL when out of memory. */
void *cllm_gemm_workspace(size_t bytes);
/* Runs fn(ctx, t, nt) on nt OpenMP threads (no parallel region for one); nt as granted by the runtime. */
void cllm_gemm_run_threads(int nt, void (*fn)(void *ctx, int t, int nt), void *ctx);
/* OpenMP's thread count for a product called here (1 inside a parallel region without nesting). */
int cllm_gemm_max_threads(void);

/* Scalar kernels (portable C). */
float cllm_dot_scalar(const float *a, const float *b, size_t n);
void cllm_axpy_scalar(float alpha, const float *x, float *y, size_t n);
void cllm_vadd_scalar(const float *a, const float *b, float *out, size_t n);
void cllm_vscale_scalar(float alpha, float *x, size_t n);
float cllm_vmax_scalar(const float *x, size_t n);
float cllm_vexp_scalar(const float *x, float shift, float *out, size_t n);
void cllm_gemm_micro_scalar(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta);
/* Largest micro-tile of any level (edge tiles go through a stack buffer of this size). */
#define CLLM_GEMM_MR_MAX 12
#define CLLM_GEMM_NR_MAX 32

#define CLLM_SCALAR_MR 4
#define CLLM_SCALAR_NR 8

#if defined(__x86_64__)
#define CLLM_HAVE_X86 1
#include <xmmintrin.h>
/* The bf16 emulations' plain-FMA tiles (gemm_bf16_avx2.c, gemm_bf16_avx512.c) watch MXCSR's sticky status flags:
 * cllm_mxcsr_clear_flags before the tile returns the caller's MXCSR; cllm_mxcsr_saw_denormal after it (once every
 * FMA is done) puts the caller's flags back, adds the tile's, and says whether a sum was a denormal: an operand
 * (DE, 0x02) or a tiny result that was rounded (UE, 0x10). The control bits are never changed. */
static inline unsigned cllm_mxcsr_clear_flags(void) {
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr & ~0x3fu);
    return csr;
}
static inline int cllm_mxcsr_saw_denormal(unsigned csr) {
    const unsigned flags = _mm_getcsr();
    _mm_setcsr(csr | (flags & 0x3fu));
    return (flags & 0x12u) != 0;
}
float cllm_dot_avx2(const float *a, const float *b, size_t n);
void cllm_axpy_avx2(float alpha, const float *x, float *y, size_t n);
void cllm_vadd_avx2(const float *a, const float *b, float *out, size_t n);
void cllm_vscale_avx2(float alpha, float *x, size_t n);
float cllm_vmax_avx2(const float *x, size_t n);
float cllm_vexp_avx2(const float *x, float shift, float *out, size_t n);
void cllm_gemm_micro_avx2(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta);
void cllm_gemm_pack_t_avx2(const float *src, size_t ld, int rows, int kc, int width, float *dst);
void cllm_gemm_micro_strided_avx2(int kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                                  size_t ldc, float alpha, float beta);
#define CLLM_AVX2_MR 6
#define CLLM_AVX2_NR 16

float cllm_dot_avx512(const float *a, const float *b, size_t n);
void cllm_axpy_avx512(float alpha, const float *x, float *y, size_t n);
void cllm_vadd_avx512(const float *a, const float *b, float *out, size_t n);
void cllm_vscale_avx512(float alpha, float *x, size_t n);
float cllm_vmax_avx512(const float *x, size_t n);
float cllm_vexp_avx512(const float *x, float shift, float *out, size_t n);
void cllm_gemm_micro_avx512(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta);
void cllm_gemm_pack_t_avx512(const float *src, size_t ld, int rows, int kc, int width, float *dst);
void cllm_gemm_micro_strided_avx512(int kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                                    size_t ldc, float alpha, float beta);
#define CLLM_AVX512_MR 12
#define CLLM_AVX512_NR 32

void cllm_gemm_bf16_micro_avx2(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load);
void cllm_gemm_bf16_pack_along_avx512(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst);
void cllm_gemm_bf16_pack_across_avx512(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst);
void cllm_gemm_bf16_pack_along_avx512bf16(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst);
void cllm_gemm_bf16_pack_across_avx512bf16(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst);
void cllm_gemm_bf16_micro_avx512(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load);
/* Q8_0 one-token product, one group of 16 output columns (see q8.c): y[16] from the group's blocks of q [blocks][8]
 * [16][4] and scale [blocks][16], and x's int8 blocks xq, their scales xd and sums xsum [blocks]. */
void cllm_q8_group_avx2(int blocks, const int8_t *q, const float *scale, const int32_t *xsum, const int8_t *xq,
                        const float *xd, float *y);
void cllm_q8_group_avx512vnni(int blocks, const int8_t *q, const float *scale, const int32_t *xsum, const int8_t *xq,
                              const float *xd, float *y);
/* One prepacked panel (32 columns × kp pairs) against x's kp pairs: y[32], vdpbf16ps chains. */
void cllm_gemv_bf16_panel_avx512bf16(int kp, const uint32_t *x, const uint32_t *b, float *y);
void cllm_gemm_bf16_micro_avx512bf16(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load);
#endif

#endif
