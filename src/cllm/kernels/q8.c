/* q8.c — Q8_0 weights (llama.cpp's format: blocks of 32 int8 with one fp32 scale) and the one-token product on
 * them, for generation with a quarter of fp32's bytes.
 *
 * The product quantises x the same way, so each block's dot product is an exact integer (at most 32·127·127), and
 * the one rounding order every level follows is: y[n] = Σ over blocks, in order, of fma(dot, d_w·d_x, ·). The
 * kernels differ only in how they form the integers: AVX512-VNNI (vpdpbusd on q + 128, less 128·Σx of the block,
 * one sum per block of x for all columns), AVX2 (pmaddubsw on |x| and sign-carried q), scalar. 16 output columns sit side by side so a vector lane is a column
 * and no horizontal sums are needed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "kernels.h"

enum { QB = 32, COLS = 16 };

static int groups_of(int N) { return (N + COLS - 1) / COLS; }

/* Index of q for column group g, block b, 4-byte step k4, column r (then 4 bytes of k). */
static size_t q_index(const cllm_q8_matrix *m, int g, int b, int k4, int r) {
    return ((((size_t)g * m->blocks + b) * 8 + k4) * COLS + r) * 4;
}

/* Scale and rounding of one block of 32 values v (zero beyond n): d = max|v|/127, q = round-to-even(v/d). */
static float quantise_block(const float *v, size_t stride, int n, int8_t *q) {
    float amax = 0.0f;
    for (int i = 0; i < n; i++) amax = fmaxf(amax, fabsf(v[(size_t)i * stride]));
    float d = amax / 127.0f, inv = d > 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < QB; i++) {
        long r = i < n ? lrintf(v[(size_t)i * stride] * inv) : 0;
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    return d;
}

int cllm_q8_init(cllm_q8_matrix *m, int trans, int K, int N, const float *W, int ldw) {
    int blocks = (K + QB - 1) / QB, groups = groups_of(N);
    size_t cells = (size_t)groups * blocks * COLS;
    *m = (cllm_q8_matrix){K, N, blocks, aligned_alloc(64, cells * QB), malloc(sizeof(float) * cells)};
    if (!m->q || !m->scale) {
        cllm_q8_free(m);
        return -1;
    }
    for (int g = 0; g < groups; g++)
        for (int r = 0; r < COLS; r++) {
            int n = g * COLS + r;
            for (int b = 0; b < blocks; b++) {
                int8_t q[QB] = {0};
                float d = 0.0f;
                int k0 = b * QB, len = K - k0 < QB ? K - k0 : QB;
                if (n < N) /* op(W)[k][n]: W[k·ldw + n], or W[n·ldw + k] transposed */
                    d = trans ? quantise_block(W + (size_t)n * ldw + k0, 1, len, q)
                              : quantise_block(W + (size_t)k0 * ldw + n, (size_t)ldw, len, q);
                for (int k4 = 0; k4 < 8; k4++) memcpy(m->q + q_index(m, g, b, k4, r), q + 4 * k4, 4);
                m->scale[((size_t)g * blocks + b) * COLS + r] = d;
            }
        }
    return 0;
}

void cllm_q8_free(cllm_q8_matrix *m) {
    free(m->q);
    free(m->scale);
    m->q = NULL;
    m->scale = NULL;
}

float cllm_q8_value(const cllm_q8_matrix *m, int k, int n) {
    int g = n / COLS, r = n % COLS, b = k / QB, k4 = (k % QB) / 4;
    return m->scale[((size_t)g * m->blocks + b) * COLS + r] * (float)m->q[q_index(m, g, b, k4, r) + k % 4];
}

/* One group of 16 columns, scalar: the definition the vector kernels match bit for bit. */
static void group_scalar(int blocks, const int8_t *q, const float *scale, const int32_t *xsum, const int8_t *xq,
                         const float *xd, float *y) {
    (void)xsum;
    for (int r = 0; r < COLS; r++) {
        float acc = 0.0f;
        for (int b = 0; b < blocks; b++) {
            const int8_t *qb = q + (size_t)b * 8 * COLS * 4 + (size_t)r * 4, *xb = xq + (size_t)b * QB;
            int32_t dot = 0;
            for (int k4 = 0; k4 < 8; k4++)
                for (int i = 0; i < 4; i++) dot += (int32_t)qb[k4 * COLS * 4 + i] * xb[4 * k4 + i];
            float d = scale[(size_t)b * COLS + r] * xd[b];
            acc = fmaf((float)dot, d, acc);
        }
        y[r] = acc;
    }
}

void cllm_gemv_q8(const cllm_q8_matrix *W, const float *x, const float *bias, float *y) {
    int blocks = W->blocks, groups = groups_of(W->N), K = W->K;
    /* x as Q8_0 blocks: int8 values, then one scale and one sum of the values per block */
    int8_t *xq = cllm_gemm_workspace((size_t)blocks * QB + (sizeof(float) + sizeof(int32_t)) * (size_t)blocks);
    if (!xq) { /* out of memory for a few KB: zeros are wrong, so say it loudly in the output */
        for (int n = 0; n < W->N; n++) y[n] = NAN;
        return;
    }
    float *xd = (float *)(xq + (size_t)blocks * QB); /* 4-byte aligned: blocks·32 bytes before it */
    int32_t *xsum = (int32_t *)(xd + blocks);
    for (int b = 0; b < blocks; b++) {
        xd[b] = quantise_block(x + (size_t)b * QB, 1, K - b * QB < QB ? K - b * QB : QB, xq + (size_t)b * QB);
        xsum[b] = 0;
        for (int i = 0; i < QB; i++) xsum[b] += xq[(size_t)b * QB + i];
    }
    typedef void (*group_fn)(int, const int8_t *, const float *, const int32_t *, const int8_t *, const float *,
                             float *);
    group_fn group = group_scalar;
#if CLLM_HAVE_X86
    cllm_simd_level level = cllm_simd_level_get();
    if (level == CLLM_SIMD_AVX512BF16) group = cllm_q8_group_avx512vnni;
    else if (level >= CLLM_SIMD_AVX2) group = cllm_q8_group_avx2;
#endif
#pragma omp parallel for schedule(static) if ((double)K * W->N >= 1e6 && !omp_in_parallel())
    for (int g = 0; g < groups; g++) {
        float tmp[COLS];
        size_t c = (size_t)g * blocks * COLS;
        group(blocks, W->q + c * QB, W->scale + c, xsum, xq, xd, tmp);
        for (int r = 0; r < COLS && g * COLS + r < W->N; r++) {
            int n = g * COLS + r;
            y[n] = bias ? tmp[r] + bias[n] : tmp[r];
        }
    }
}
