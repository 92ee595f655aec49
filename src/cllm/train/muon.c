/* muon.c — Muon for the hidden matrices: Nesterov momentum whose update is orthogonalised by the quintic
 * Newton–Schulz iteration of the public nanoGPT speedrun (Keller Jordan's Muon), the rest of the model on AdamW.
 *
 * Why: an orthogonalised update moves every direction of a matrix by the same amount, so rare directions learn as
 * fast as common ones; on GPT-2-sized models it reached the same loss in about 2/3 of AdamW's tokens. The cost is
 * 5 iterations of three small products per matrix and step (about 2·5·(2·p²q + p³) flops for a p×q matrix, p ≤ q),
 * paid once per optimizer step, not per token: larger batches amortise it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_simd.h"
#include "model/internal.h"

/* The speedrun's coefficients: the iteration's fixed point is not exactly 1 but every singular value ends in
 * about [0.7, 1.2] after 5 steps from a Frobenius-normalised start, which is all the update needs. */
static const float NS_A = 3.4445f, NS_B = -4.7750f, NS_C = 2.0315f;

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cllm_muon_blocks(const cllm_tensor *t) {
    if (!t->trainable || t->ndim != 2 || strncmp(t->name, "h.", 2) != 0) return 0;
    if (ends_with(t->name, ".attn.c_attn.weight")) return 3;
    if (ends_with(t->name, ".attn.c_proj.weight") || ends_with(t->name, ".mlp.c_fc.weight") ||
        ends_with(t->name, ".mlp.c_proj.weight"))
        return 1;
    return 0;
}

/* Floats of scratch one block of t needs: its momentum-corrected gradient, and cllm_newton_schulz's work. */
static size_t block_work(const cllm_tensor *t, int blocks) {
    size_t rows = (size_t)t->shape[0], cols = (size_t)t->shape[1] / (size_t)blocks;
    size_t p = rows < cols ? rows : cols;
    return rows * cols + 2 * rows * cols + 2 * p * p;
}

int cllm_adamw_set_muon(cllm_adamw *opt, const cllm_model *m, float lr_scale, float momentum, int ns_steps,
                        cllm_error *err) {
    if (!(lr_scale > 0) || !(momentum >= 0 && momentum < 1) || ns_steps < 1 || ns_steps > 100)
        return cllm_error_set(err, CLLM_ERR_ARG, "Muon: lr scale %g, momentum %g, %d Newton-Schulz steps out of range",
                              lr_scale, momentum, ns_steps);
    if (opt->shard_n) return cllm_error_set(err, CLLM_ERR_STATE, "Muon needs the whole optimizer state (it is sharded)");
    size_t need = 0;
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        int blocks = cllm_muon_blocks(t);
        if (blocks > 0 && t->shape[1] % blocks != 0)
            return cllm_error_set(err, CLLM_ERR_ARG, "Muon: %s has %lld columns, not %d equal blocks", t->name,
                                  (long long)t->shape[1], blocks);
        size_t w = blocks ? block_work(t, blocks) : 0;
        need = w > need ? w : need;
    }
    float *work = malloc((need ? need : 1) * sizeof(float));
    if (!work) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for Muon's scratch (%zu MB)", need * 4 >> 20);
    free(opt->muon_work);
    opt->muon_work = work;
    opt->muon = 1;
    opt->muon_lr_scale = lr_scale;
    opt->muon_momentum = momentum;
    opt->muon_ns_steps = ns_steps;
    return 0;
}

/* The iteration on X (p×q, p ≤ q); with bf16 each product takes bf16-rounded inputs and sums in fp32
 * (cllm_gemm_bf16), as the public speedrun runs it: the iteration only needs singular values near 1, and the
 * products are most of Muon's cost. */
static void newton_schulz(const float *G, int rows, int cols, int ld, int steps, float *out, float *work, int bf16) {
    int tall = rows > cols, p = tall ? cols : rows, q = tall ? rows : cols; /* X is p×q with p ≤ q */
    size_t pq = (size_t)p * q;
    float *X = work, *Y = work + pq, *A = work + 2 * pq, *B = A + (size_t)p * p;
    double ss = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) ss += (double)G[(size_t)i * ld + j] * G[(size_t)i * ld + j];
    float inv = (float)(1.0 / (sqrt(ss) + 1e-7));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float v = G[(size_t)i * ld + j] * inv;
            if (tall) X[(size_t)j * q + i] = v;
            else X[(size_t)i * q + j] = v;
        }
    for (int s = 0; s < steps; s++) {
        if (bf16) {
            cllm_gemm_bf16(0, 1, p, p, q, X, q, X, q, 0, A, p); /* A = X·Xᵀ          [p,p] */
            cllm_gemm_bf16(0, 0, p, p, p, A, p, A, p, 0, B, p); /* B = A·A           [p,p] */
            for (size_t k = 0; k < (size_t)p * p; k++) B[k] = NS_C * B[k] + NS_B * A[k]; /* c·A·A + b·A */
            cllm_gemm_bf16(0, 0, p, q, p, B, p, X, q, 0, Y, q); /* Y = B·X           [p,q] */
            for (size_t k = 0; k < pq; k++) Y[k] += NS_A * X[k];  /*   + a·X */
        } else {
            cllm_sgemm(0, 1, p, p, q, 1.0f, X, q, X, q, 0.0f, A, p);  /* A = X·Xᵀ           [p,p] */
            cllm_sgemm(0, 0, p, p, p, NS_C, A, p, A, p, 0.0f, B, p);  /* B = c·A·A          [p,p] */
            for (size_t k = 0; k < (size_t)p * p; k++) B[k] += NS_B * A[k]; /*  + b·A */
            memcpy(Y, X, pq * sizeof(float));
            cllm_sgemm(0, 0, p, q, p, 1.0f, B, p, X, q, NS_A, Y, q);  /* Y = a·X + B·X      [p,q] */
        }
        float *tmp = X; X = Y; Y = tmp;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[(size_t)i * cols + j] = tall ? X[(size_t)j * q + i] : X[(size_t)i * q + j];
}

void cllm_newton_schulz(const float *G, int rows, int cols, int ld, int steps, float *out, float *work) {
    newton_schulz(G, rows, cols, ld, steps, out, work, 0);
}

void cllm_newton_schulz_bf16(const float *G, int rows, int cols, int ld, int steps, float *out, float *work) {
    newton_schulz(G, rows, cols, ld, steps, out, work, 1);
}

/* One Muon update of t (blocks column blocks), momentum in buf (t's slice of opt->m). Per block:
 * buf = μ·buf + g; u = g + μ·buf (Nesterov); θ -= lr·√max(1, out/in)·NS(u). */
static void muon_tensor(const cllm_adamw *opt, const cllm_tensor *t, int blocks, float *buf, float lr, int bf16) {
    int rows = (int)t->shape[0], ld = (int)t->shape[1], cols = ld / blocks;
    float mu = opt->muon_momentum, *u = opt->muon_work, *work = u + (size_t)rows * cols;
    float scale = cols > rows ? sqrtf((float)cols / (float)rows) : 1.0f, step = lr * scale;
    for (int b = 0; b < blocks; b++) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                size_t k = (size_t)i * ld + (size_t)b * cols + j;
                buf[k] = mu * buf[k] + t->grad[k];
                u[(size_t)i * cols + j] = t->grad[k] + mu * buf[k];
            }
        newton_schulz(u, rows, cols, cols, opt->muon_ns_steps, u, work, bf16);
#pragma omp parallel for schedule(static)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t->data[(size_t)i * ld + (size_t)b * cols + j] -= step * u[(size_t)i * cols + j];
    }
}

void cllm_muon_step(cllm_adamw *opt, cllm_model *m, float lr) {
    int bf16 = cllm_model_precision(m) == CLLM_PRECISION_BF16; /* --precision bf16 runs the iteration in bf16 too */
    /* sharded: the matrices inside [first, last) (cllm_adamw_shard lets no bound cut one), momentum from first */
    size_t first = opt->shard_n ? opt->shard_lo : 0, last = opt->shard_n ? opt->shard_lo + opt->shard_n : opt->n;
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        int blocks = cllm_muon_blocks(t);
        if (blocks && t->offset >= first && t->offset + t->numel <= last)
            muon_tensor(opt, t, blocks, opt->m + (t->offset - first), lr * opt->muon_lr_scale, bf16);
    }
}
