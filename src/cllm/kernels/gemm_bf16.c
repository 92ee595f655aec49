/* gemm_bf16.c — the bf16 matrix product: fp32 in, fp32 out, bf16 products in between (vdpbf16ps's arithmetic).
 *
 * cllm_gemm_bf16 packs op(A) and op(B) into pair-interleaved panels, rounding each fp32 value to bf16 as it is
 * packed (no separate conversion pass), and runs the level's micro-kernel over them in the loop order of
 * gemm.c (jc → pc → ic → jr → ir), each thread over its own block of C.
 *
 * Determinism, and why results do not depend on the level: every element of C is ONE chain of fused
 * multiply-adds over k pairs in order (odd k, then even k, of each pair), flushing denormals as the hardware does.
 * A later kc block continues the chain from the fp32 value the earlier one stored in C, so block sizes, tile
 * shapes and thread splits change which instructions run, never the sequence of roundings an element sees.
 * Measured on Zen 4 (2M random vdpbf16ps lanes, normal, denormal-range and wide-exponent inputs): that model of
 * the instruction matched every lane; the same model with even k first, or with one rounding per pair, did not.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <omp.h>
#include <stdlib.h>

#include "kernels.h"

/* ---------------------------------------------------------------------------------------------------------------
 * Conversion. */

static inline uint32_t float_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float bits_float(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

uint16_t cllm_bf16_from_float(float x) { return (uint16_t)(cllm_bf16_round_bits(float_bits(x)) >> 16); }

float cllm_bf16_to_float(uint16_t h) { return bits_float((uint32_t)h << 16); }

/* Two fp32 values as one packed pair: bf16(even) in the low half, bf16(odd) in the high half. */
static inline uint32_t pair_of(float even, float odd) {
    return (cllm_bf16_round_bits(float_bits(even)) >> 16) | cllm_bf16_round_bits(float_bits(odd));
}

/* ---------------------------------------------------------------------------------------------------------------
 * The arithmetic, scalar: one pair step of the chain. fmaf rounds once, like the instruction; inputs are already
 * denormal-free (the rounding flushed them), results are flushed here. */

static inline float flush(float x) { return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x; }

static inline float pair_step(float acc, uint32_t a, uint32_t b) {
    acc = flush(fmaf(bits_float(a & 0xffff0000u), bits_float(b & 0xffff0000u), acc)); /* odd k first */
    return flush(fmaf(bits_float(a << 16), bits_float(b << 16), acc));
}

void cllm_gemm_bf16_micro_scalar(int kp, const uint32_t *a, const uint32_t *b, float *c, size_t ldc, int load) {
    enum { MR = 4, NR = 8 };
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = load ? flush(c[(size_t)r * ldc + j]) : 0.0f;
    for (int p = 0; p < kp; p++, a += MR, b += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] = pair_step(acc[r][j], a[r], b[j]);
    for (int r = 0; r < MR; r++) memcpy(c + (size_t)r * ldc, acc[r], sizeof acc[r]);
}

/* Element (i, j) of op(X): X stored rows × columns with row stride ld, transposed or not. */
static inline float at(const float *X, size_t ld, int trans, int i, int j) {
    return trans ? X[(size_t)j * ld + i] : X[(size_t)i * ld + j];
}

void cllm_gemm_bf16_reference(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
                              const float *B, int ldb, int accumulate, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = accumulate ? flush(C[(size_t)i * ldc + j]) : 0.0f;
            for (int k = 0; k < K; k += 2) { /* a missing odd k is a zero pair member, as packing pads it */
                float a1 = k + 1 < K ? at(A, (size_t)lda, trans_a, i, k + 1) : 0.0f;
                float b1 = k + 1 < K ? at(B, (size_t)ldb, trans_b, k + 1, j) : 0.0f;
                acc = pair_step(acc, pair_of(at(A, (size_t)lda, trans_a, i, k), a1),
                                pair_of(at(B, (size_t)ldb, trans_b, k, j), b1));
            }
            C[(size_t)i * ldc + j] = acc;
        }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Packing: a panel of `width` lanes (rows of op(A), or columns of op(B)) × kc values of k becomes ceil(kc/2)
 * groups of `width` pairs, zero past `n` lanes and past kc. Two layouts of the source:
 *   lanes contiguous in k   (A, or a transposed B): lane r's pair p is src[r·ld + 2p], src[r·ld + 2p + 1];
 *   lanes contiguous in lane (a transposed A, or B): pair p of lane r is src[2p·ld + r], src[(2p+1)·ld + r]. */

static void pack_lanes_along_k(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    int kp = (kc + 1) / 2;
    for (int r = 0; r < n; r++) {
        const float *s = src + (size_t)r * ld;
        for (int p = 0; p < kc / 2; p++) dst[(size_t)p * width + r] = pair_of(s[2 * p], s[2 * p + 1]);
        if (kc & 1) dst[(size_t)(kp - 1) * width + r] = pair_of(s[kc - 1], 0.0f);
    }
    for (int p = 0; p < kp; p++)
        for (int r = n; r < width; r++) dst[(size_t)p * width + r] = 0;
}

static void pack_lanes_across_k(const float *src, size_t ld, int n, int kc, int width, uint32_t *dst) {
    for (int p = 0; p < (kc + 1) / 2; p++) {
        const float *even = src + (size_t)(2 * p) * ld, *odd = even + ld;
        uint32_t *d = dst + (size_t)p * width;
        if (2 * p + 1 < kc)
            for (int r = 0; r < n; r++) d[r] = pair_of(even[r], odd[r]);
        else
            for (int r = 0; r < n; r++) d[r] = pair_of(even[r], 0.0f);
        for (int r = n; r < width; r++) d[r] = 0;
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * The blocked driver. Block sizes in values of k / rows / columns: kc = 512 makes a 12×32 tile's B micro-panel
 * 32 KiB of pairs (L1-L2), mc = 240 an A block of 240 KiB (L2). Results do not depend on them (see the top). */

enum { BF16_KC = CLLM_BF16_KC, BF16_MC = 240, BF16_NC = 4096 };

typedef struct bf16_problem {
    int trans_a, trans_b, M, N, K, accumulate;
    const float *A, *B;
    float *C;
    size_t lda, ldb, ldc;
} bf16_problem;

static int min_int(int a, int b) { return a < b ? a : b; }
static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* Rows [i0, i0 + m) of op(A), k in [p0, p0 + kc): ceil(m/mr) panels of kp × mr pairs. */
static void pack_a(const cllm_bf16_kernels *kr, const bf16_problem *g, int i0, int m, int p0, int kc,
                   uint32_t *dst) {
    int kp = (kc + 1) / 2;
    for (int ir = 0; ir < m; ir += kr->mr, dst += (size_t)kp * kr->mr) {
        int rows = min_int(kr->mr, m - ir);
        if (g->trans_a) kr->pack_across(g->A + (size_t)p0 * g->lda + i0 + ir, g->lda, rows, kc, kr->mr, dst);
        else kr->pack_along(g->A + (size_t)(i0 + ir) * g->lda + p0, g->lda, rows, kc, kr->mr, dst);
    }
}

/* Columns [j0, j0 + n) of op(B) (n <= nr), k in [p0, p0 + kc): one panel of kp × nr pairs. */
static void pack_b(const cllm_bf16_kernels *kr, const bf16_problem *g, int j0, int n, int p0, int kc,
                   uint32_t *dst) {
    if (g->trans_b) kr->pack_along(g->B + (size_t)j0 * g->ldb + p0, g->ldb, n, kc, kr->nr, dst);
    else kr->pack_across(g->B + (size_t)p0 * g->ldb + j0, g->ldb, n, kc, kr->nr, dst);
}

/* One tile; an edge tile runs in a full-size buffer and copies its m×n corner in and out. */
static void tile(const cllm_bf16_kernels *kr, int kp, const uint32_t *ap, const uint32_t *bp, float *c,
                 size_t ldc, int m, int n, int load) {
    if (m == kr->mr && n == kr->nr) {
        kr->micro(kp, ap, bp, c, ldc, load);
        return;
    }
    float tmp[CLLM_BF16_MR_MAX * CLLM_BF16_NR_MAX] = {0};
    for (int r = 0; r < m && load; r++) memcpy(tmp + (size_t)r * kr->nr, c + (size_t)r * ldc, sizeof(float) * n);
    kr->micro(kp, ap, bp, tmp, (size_t)kr->nr, load);
    for (int r = 0; r < m; r++) memcpy(c + (size_t)r * ldc, tmp + (size_t)r * kr->nr, sizeof(float) * n);
}

static void bf16_thread(const cllm_bf16_kernels *kr, const bf16_problem *g, int t, int nt, uint32_t *bbuf,
                        uint32_t *abuf) {
    const int MR = kr->mr, NR = kr->nr;
    int m0, m1, n0, n1;
    cllm_gemm_thread_block(t, nt, g->M, g->N, MR, NR, &m0, &m1, &n0, &n1);
    for (int jc = n0; jc < n1 && m0 < m1; jc += BF16_NC) {
        int nc = min_int(BF16_NC, n1 - jc), panels = ceil_div(nc, NR);
        for (int pc = 0; pc < g->K; pc += BF16_KC) {
            int kc = min_int(BF16_KC, g->K - pc), kp = (kc + 1) / 2;
            int load = g->accumulate || pc > 0; /* later blocks continue the chain from C */
            for (int q = 0; q < panels; q++)
                pack_b(kr, g, jc + q * NR, min_int(NR, n1 - jc - q * NR), pc, kc, bbuf + (size_t)q * NR * kp);
            for (int ic = m0; ic < m1; ic += BF16_MC) {
                int mc = min_int(BF16_MC, m1 - ic);
                pack_a(kr, g, ic, mc, pc, kc, abuf);
                for (int q = 0; q < panels; q++) {
                    int j = jc + q * NR, n = min_int(NR, n1 - j);
                    for (int ir = 0; ir < mc; ir += MR)
                        tile(kr, kp, abuf + (size_t)ir * kp, bbuf + (size_t)q * NR * kp,
                             g->C + (size_t)(ic + ir) * g->ldc + j, g->ldc, min_int(MR, mc - ir), n, load);
                }
            }
        }
    }
}

typedef struct bf16_task {
    const cllm_bf16_kernels *kr;
    const bf16_problem *g;
    uint32_t *buf;
    size_t per_thread, bwords;
} bf16_task;

static void bf16_task_run(void *ctx, int t, int nt) {
    const bf16_task *task = ctx;
    uint32_t *mine = task->buf + task->per_thread * (size_t)t;
    bf16_thread(task->kr, task->g, t, nt, mine, mine + task->bwords);
}

int cllm_gemm_bf16_blocked(const cllm_bf16_kernels *kr, int threads, int trans_a, int trans_b, int M, int N, int K,
                           const float *A, int lda, const float *B, int ldb, int accumulate, float *C, int ldc) {
    bf16_problem g = {trans_a, trans_b, M, N, K, accumulate, A, B, C, (size_t)lda, (size_t)ldb, (size_t)ldc};
    if (M <= 0 || N <= 0) return 0;
    if (K <= 0) {
        for (int i = 0; i < M && !accumulate; i++) memset(C + (size_t)i * ldc, 0, sizeof(float) * (size_t)N);
        return 0;
    }
    int nt = cllm_gemm_threads_for(M, N, K, kr->mr, kr->nr, threads < 1 ? 1 : threads);
    int kp = (min_int(BF16_KC, K) + 1) / 2;
    size_t bwords = ((size_t)kp * kr->nr * ceil_div(min_int(N, BF16_NC), kr->nr) + 15) / 16 * 16;
    size_t awords = ((size_t)kp * kr->mr * ceil_div(min_int(M, BF16_MC), kr->mr) + 15) / 16 * 16;
    size_t per_thread = bwords + awords;
    uint32_t *buf = cllm_gemm_workspace(sizeof(uint32_t) * per_thread * (size_t)nt);
    if (!buf) return -1;
    bf16_task task = {kr, &g, buf, per_thread, bwords};
    cllm_gemm_run_threads(nt, bf16_task_run, &task);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * One-token products on prepacked panels: the B panels of the GEMM above, packed once for the whole K. */

enum { PANEL = CLLM_BF16_PANEL };

int cllm_bf16_panels_init(cllm_bf16_panels *p, int trans, int K, int N, const float *W, int ldw) {
    int kp = (K + 1) / 2, panels = (N + PANEL - 1) / PANEL;
    *p = (cllm_bf16_panels){K, N, aligned_alloc(64, sizeof(uint32_t) * ((size_t)panels * kp * PANEL + 16))};
    if (!p->pairs) return -1;
    for (int q = 0; q < panels; q++) {
        int j0 = q * PANEL, n = min_int(PANEL, N - j0);
        uint32_t *dst = p->pairs + (size_t)q * kp * PANEL;
        if (trans) pack_lanes_along_k(W + (size_t)j0 * ldw, (size_t)ldw, n, K, PANEL, dst);
        else pack_lanes_across_k(W + j0, (size_t)ldw, n, K, PANEL, dst);
    }
    return 0;
}

void cllm_bf16_panels_free(cllm_bf16_panels *p) {
    free(p->pairs);
    p->pairs = NULL;
}

/* One panel's 32 chains, scalar: the emulation every level without vdpbf16ps runs. */
static void gemv_panel_scalar(int kp, const uint32_t *x, const uint32_t *b, float *y) {
    for (int j = 0; j < PANEL; j++) {
        float acc = 0.0f;
        for (int p = 0; p < kp; p++) acc = pair_step(acc, x[p], b[(size_t)p * PANEL + j]);
        y[j] = acc;
    }
}

void cllm_gemv_bf16(const cllm_bf16_panels *W, const float *x, const float *bias, float *y) {
    int K = W->K, N = W->N, kp = (K + 1) / 2, panels = (N + PANEL - 1) / PANEL;
    uint32_t *xp = cllm_gemm_workspace(sizeof(uint32_t) * (size_t)kp);
    if (!xp) { /* out of memory for kp words: the same chains, pair by pair from x */
        for (int j = 0; j < N; j++) {
            const uint32_t *b = W->pairs + (size_t)(j / PANEL) * kp * PANEL + j % PANEL;
            float acc = 0.0f;
            for (int p = 0; p < kp; p++)
                acc = pair_step(acc, pair_of(x[2 * p], 2 * p + 1 < K ? x[2 * p + 1] : 0.0f), b[(size_t)p * PANEL]);
            y[j] = bias ? acc + bias[j] : acc;
        }
        return;
    }
    for (int p = 0; p < kp; p++) xp[p] = pair_of(x[2 * p], 2 * p + 1 < K ? x[2 * p + 1] : 0.0f);
    void (*panel)(int, const uint32_t *, const uint32_t *, float *) = gemv_panel_scalar;
#if CLLM_HAVE_X86
    if (cllm_simd_level_get() == CLLM_SIMD_AVX512BF16) panel = cllm_gemv_bf16_panel_avx512bf16;
#endif
    /* panels in parallel from 1M weights; each y[j] is one chain whatever the split */
#pragma omp parallel for schedule(static) if ((double)K * N >= 1e6 && !omp_in_parallel())
    for (int q = 0; q < panels; q++) {
        float tmp[PANEL];
        int j0 = q * PANEL, n = min_int(PANEL, N - j0);
        panel(kp, xp, W->pairs + (size_t)q * kp * PANEL, tmp);
        for (int j = 0; j < n; j++) y[j0 + j] = bias ? tmp[j] + bias[j0 + j] : tmp[j];
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Tables and the public entry points. */

static const cllm_bf16_kernels bf16_scalar = {cllm_gemm_bf16_micro_scalar, pack_lanes_along_k,
                                               pack_lanes_across_k, 4, 8, 0};
#if CLLM_HAVE_X86
static const cllm_bf16_kernels bf16_avx2 = {cllm_gemm_bf16_micro_avx2, pack_lanes_along_k, pack_lanes_across_k,
                                            4, 16, 0};
static const cllm_bf16_kernels bf16_avx512 = {cllm_gemm_bf16_micro_avx512, cllm_gemm_bf16_pack_along_avx512,
                                              cllm_gemm_bf16_pack_across_avx512, 8, 32, 0};
static const cllm_bf16_kernels bf16_avx512bf16 = {cllm_gemm_bf16_micro_avx512bf16,
                                                  cllm_gemm_bf16_pack_along_avx512bf16,
                                                  cllm_gemm_bf16_pack_across_avx512bf16, 12, 32, 1};
#endif

const cllm_bf16_kernels *cllm_bf16_kernels_of(cllm_simd_level level) {
#if CLLM_HAVE_X86
    if (level == CLLM_SIMD_AVX512BF16) return &bf16_avx512bf16;
    if (level == CLLM_SIMD_AVX512) return &bf16_avx512;
    if (level == CLLM_SIMD_AVX2) return &bf16_avx2;
#endif
    (void)level;
    return &bf16_scalar;
}

int cllm_gemm_bf16_native(void) { return cllm_bf16_kernels_of(cllm_simd_level_get())->native; }

void cllm_gemm_bf16(int trans_a, int trans_b, int M, int N, int K, const float *A, int lda, const float *B,
                    int ldb, int accumulate, float *C, int ldc) {
    if (cllm_gemm_bf16_blocked(cllm_bf16_kernels_of(cllm_simd_level_get()), cllm_gemm_max_threads(), trans_a,
                               trans_b, M, N, K, A, lda, B, ldb, accumulate, C, ldc) != 0)
        cllm_gemm_bf16_reference(trans_a, trans_b, M, N, K, A, lda, B, ldb, accumulate, C, ldc); /* no memory */
}
