/* ops_impl.h — the model's ops, forward and backward side by side, written once for a scalar type.
 *
 * Included by ops.c with REAL=float (the model that trains) and by the tests (tests/support/model64.c) with
 * REAL=double (the oracle the gradient checks use). Before including, define REAL, F(name) (adds a type suffix),
 * GEMM (cllm_sgemm for float, a naive double GEMM for double), GEMM_LOWP(lowp, ta, tb, M, N, K, A, lda, B, ldb,
 * accumulate, C, ldc) (C = or += op(A)·op(B); for float with lowp set, cllm_gemm_bf16: inputs rounded to bf16,
 * fp32 sums; the double oracle ignores lowp), SQRT, EXP, LOG, TANH, DOT(a, b, n) and
 * AXPY(alpha, x, y, n) (the SIMD kernels for float).
 * The _backward ops ACCUMULATE into their d-outputs (+=), so residual branches add up naturally, except where a
 * buffer's first write is known: matmul_backward and gelu_backward ASSIGN dinp (=), and lmhead_crossentropy assigns
 * dlnf and dwte, which spares the model zeroing those gradients every step.
 *
 * Shapes: B batch, T time, C channels, V vocabulary, NH heads, hs = C/NH. Linear weights are stored [in, out]
 * (GPT-2's Conv1D layout): out = inp · w + bias.
 */

/* The loops marked `omp simd` vectorise in the float instantiation; in the double one (libm's exp, the oracle)
 * they cannot, which clang reports as a warning unless told this is expected. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpass-failed" /* a backend warning: no source range, so no push/pop */
#endif

#ifndef CLLM_OPS_IMPL_BITS
#define CLLM_OPS_IMPL_BITS
/* The element-wise ops are compiled for baseline x86-64 (4 floats per SSE register). With gcc on x86-64 they are
 * also compiled for AVX2 and AVX-512, and the loader picks the best the CPU has (an ifunc): the same code, wider
 * vectors. Other compilers get the baseline only. The choice follows the CPU, not CLLM_SIMD (which governs the
 * kernels in src/cllm/kernels/); results may differ in the last bits between machines, never between runs. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define OPS_WIDE __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OPS_WIDE
#endif
#include "kernels/kernels.h" /* cllm_exp_approx */
#endif

/* e^x for the loops that take one per element (GELU, softmax): the float model uses the kernels' fast exp
 * (cllm_exp_approx, kernels.h: Cephes' polynomial, relative error < 1e-7, exactly 0 below about −87.7); the double oracle
 * keeps libm's exp. */
static inline __attribute__((always_inline)) REAL F(exp_fast)(REAL x) {
    if (sizeof(REAL) != sizeof(float)) return EXP(x);
    return (REAL)cllm_exp_approx((float)x);
}

/* out[B,T,C] = wte[inp[b,t]] + wpe[t]; wpe NULL: wte[inp[b,t]] alone (rotary positions) */
void F(encoder_forward)(REAL *out, const int32_t *inp, const REAL *wte, const REAL *wpe, int B, int T, int C) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            REAL *o = out + ((size_t)b * T + t) * C;
            const REAL *we = wte + (size_t)inp[b * T + t] * C, *pe = wpe ? wpe + (size_t)t * C : NULL;
            if (pe)
                for (int c = 0; c < C; c++) o[c] = we[c] + pe[c];
            else
                memcpy(o, we, (size_t)C * sizeof(REAL));
        }
}

/* dwte[id] += dout[b,t] for each occurrence; dwpe[t] += Σ_b dout[b,t]. dwpe may be NULL (fixed positions).
 * Sequential over (b,t) per channel block, so the sum order (and the result) never depends on threads. */
void F(encoder_backward)(REAL *dwte, REAL *dwpe, const REAL *dout, const int32_t *inp, int B, int T, int C) {
#pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += 32) {
        int c1 = c0 + 32 < C ? c0 + 32 : C;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                const REAL *d = dout + ((size_t)b * T + t) * C;
                REAL *dw = dwte + (size_t)inp[b * T + t] * C;
                for (int c = c0; c < c1; c++) dw[c] += d[c];
                if (dwpe)
                    for (int c = c0; c < c1; c++) dwpe[(size_t)t * C + c] += d[c];
            }
    }
}

/* One row of layernorm_forward: o[C] = (x - mean) * rstd * weight + bias; *mean, *rstd kept for backward. eps
 * 1e-5. Inlined into both callers, so they compute the same bits. */
static inline __attribute__((always_inline)) void F(layernorm_row)(REAL *o, REAL *mean, REAL *rstd, const REAL *x,
                                                                   const REAL *weight, const REAL *bias, int C) {
    REAL m = 0, v = 0;
#pragma omp simd reduction(+ : m)
    for (int c = 0; c < C; c++) m += x[c];
    m /= C;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    v /= C;
    REAL s = (REAL)1 / SQRT(v + (REAL)1e-5);
#pragma omp simd
    for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
    *mean = m;
    *rstd = s;
}

/* out[N,C] = (inp - mean) * rstd * weight + bias over each row; mean, rstd [N] kept for backward. */
OPS_WIDE void F(layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight,
                                   const REAL *bias, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        F(layernorm_row)(out + (size_t)i * C, mean + i, rstd + i, inp + (size_t)i * C, weight, bias, C);
}

/* The same on the calling thread only (generation: a few rows are not worth a fork). */
OPS_WIDE void F(layernorm_forward_serial)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight,
                                          const REAL *bias, int N, int C) {
    for (int i = 0; i < N; i++)
        F(layernorm_row)(out + (size_t)i * C, mean + i, rstd + i, inp + (size_t)i * C, weight, bias, C);
}

OPS_WIDE void F(layernorm_backward)(REAL *dinp, REAL *dweight, REAL *dbias, const REAL *dout, const REAL *inp,
                           const REAL *weight, const REAL *mean, const REAL *rstd, int N, int C) {
    /* rows in parallel for dinp */
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        REAL m = mean[i], s = rstd[i], dnorm_mean = 0, dnorm_norm_mean = 0;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
        for (int c = 0; c < C; c++) {
            REAL dn = weight[c] * d[c];
            dnorm_mean += dn;
            dnorm_norm_mean += dn * (x[c] - m) * s;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        REAL *di = dinp + (size_t)i * C;
#pragma omp simd
        for (int c = 0; c < C; c++) {
            REAL norm = (x[c] - m) * s;
            di[c] += (weight[c] * d[c] - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
    /* channels in parallel for the parameter gradients: each thread owns its columns, rows summed in order */
#pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += 16) {
        int c1 = c0 + 16 < C ? c0 + 16 : C;
        for (int i = 0; i < N; i++) {
            const REAL *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
            for (int c = c0; c < c1; c++) {
                dbias[c] += d[c];
                dweight[c] += (x[c] - mean[i]) * rstd[i] * d[c];
            }
        }
    }
}

/* out[N,OC] = inp[N,C] · w[C,OC] + bias[OC] (bias may be NULL). lowp: the product's inputs in bf16 (GEMM_LOWP). */
void F(matmul_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *bias, int N, int C, int OC, int lowp) {
    GEMM_LOWP(lowp, 0, 0, N, OC, C, inp, C, w, OC, 0, out, OC);
    if (!bias) return;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) AXPY(1, bias, out + (size_t)i * OC, OC);
}

/* dinp = dout · wᵀ (assigned); dw += inpᵀ · dout; dbias += Σ_rows dout (dbias may be NULL) */
OPS_WIDE void F(matmul_backward)(REAL *dinp, REAL *dw, REAL *dbias, const REAL *dout, const REAL *inp,
                                 const REAL *w, int N, int C, int OC, int lowp) {
    GEMM_LOWP(lowp, 0, 1, N, C, OC, dout, OC, w, OC, 0, dinp, C);
    GEMM_LOWP(lowp, 1, 0, C, OC, N, inp, C, dout, OC, 1, dw, OC);
    if (!dbias) return;
    /* columns in parallel, rows summed in order: the result does not depend on the thread count */
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OC; o0 += 64) {
        int o1 = o0 + 64 < OC ? o0 + 64 : OC;
        REAL *db = dbias + o0;
        for (int i = 0; i < N; i++) { /* inline, not a SIMD-kernel call per 64 values: the same sums */
            const REAL *d = dout + (size_t)i * OC + o0;
#pragma omp simd
            for (int o = 0; o < o1 - o0; o++) db[o] += d[o];
        }
    }
}

/* Causal self-attention. inp = qkv [B,T,3C] laid out [q | k | v], head h at channels h*hs..; out [B,T,C].
 * Only each score row's log-sum-exp is kept for backward (lse [B,NH,T], per layer); backward recomputes the
 * scores. The products are GEMMs per (b, h) (several times faster than T²/2 dot products of length hs), in scratch
 * [B·NH, 2·T·T] shared by all layers: stored activations grow with B·NH·T per layer, and T² appears once, not per
 * layer. The GEMMs go by blocks of ATTN_ROWS rows (or columns): block [r0, r1) of the scores needs only the
 * columns t2 < r1, so the masked blocks above the diagonal are never computed, about half the square at large T;
 * within a diagonal block the masked entries are computed and then set to zero. The (b, h) tasks run in parallel,
 * each in a fixed block order, and a GEMM called inside them runs on the calling thread: the same bits for any
 * thread count.
 * prime_bias [NH] (NULL: off) adds prime_bias[h] to the score of every pair whose distance t − t2 is prime
 * (is_prime[d] for d < T): the crystalline "prime-distance" option, see docs/crystalline.md. */
#ifndef ATTN_ROWS /* rows per block; -DATTN_ROWS=n to measure another. Larger blocks compute more of the masked
                   * half, smaller ones make smaller GEMMs; at T 256 (tiny), 64 and 128 beat 32 and 256 by 5-20 %. */
#define ATTN_ROWS 64
#endif

/* Task (b, h), rows [r0, r1): S[t, 0..r1) = softmax of scale·q_t·Kᵀ (+ the prime bias), masked to t2 ≤ t, zero
 * beyond. With lse == NULL the row statistics are computed and stored into lse_out; otherwise rows use the saved
 * lse. S and lse are indexed by t from the (b, h) task's origin. Inlined, so that it is compiled as wide as its
 * OPS_WIDE callers (a separate function would stay baseline: the softmax loops at 4 floats a vector). */
static inline __attribute__((always_inline)) void F(attention_probs)(REAL *S, const REAL *inp, const REAL *prime_bias,
                                                                     const uint8_t *is_prime, const REAL *lse,
                                                                     REAL *lse_out, int b, int h, int r0, int r1,
                                                                     int T, int C, int NH, int lowp) {
    int C3 = 3 * C, hs = C / NH;
    REAL scale = (REAL)1 / SQRT((REAL)hs);
    const REAL *q = inp + (size_t)b * T * C3 + h * hs;
    /* q·kᵀ, scaled after the product (the bf16 product has no alpha; in fp32 the same bits as alpha = scale) */
    GEMM_LOWP(lowp, 0, 1, r1 - r0, r1, hs, q + (size_t)r0 * C3, C3, q + C, C3, 0, S + (size_t)r0 * T, T);
    for (int t = r0; t < r1; t++) {
        REAL *row = S + (size_t)t * T;
#pragma omp simd
        for (int t2 = 0; t2 <= t; t2++) row[t2] *= scale;
        if (prime_bias)
            for (int t2 = 0; t2 <= t; t2++) row[t2] += is_prime[t - t2] ? prime_bias[h] : 0;
        REAL shift;
        if (lse) {
            shift = lse[t];
        } else {
            REAL maxv = row[0], sum = 0;
#pragma omp simd reduction(max : maxv)
            for (int t2 = 1; t2 <= t; t2++) maxv = row[t2] > maxv ? row[t2] : maxv;
#pragma omp simd reduction(+ : sum)
            for (int t2 = 0; t2 <= t; t2++) sum += F(exp_fast)(row[t2] - maxv);
            shift = maxv + LOG(sum);
            lse_out[t] = shift;
        }
#pragma omp simd
        for (int t2 = 0; t2 <= t; t2++) row[t2] = F(exp_fast)(row[t2] - shift);
        for (int t2 = t + 1; t2 < r1; t2++) row[t2] = 0;
    }
}

OPS_WIDE void F(attention_forward)(REAL *out, REAL *lse, REAL *scratch, const REAL *inp, const REAL *prime_bias,
                                   const uint8_t *is_prime, int B, int T, int C, int NH, int lowp) {
    int C3 = 3 * C, hs = C / NH;
    size_t TT = (size_t)T * T;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            REAL *S = scratch + ((size_t)b * NH + h) * 2 * TT, *o = out + (size_t)b * T * C + h * hs;
            const REAL *v = inp + (size_t)b * T * C3 + 2 * C + h * hs;
            for (int r0 = 0; r0 < T; r0 += ATTN_ROWS) {
                int r1 = r0 + ATTN_ROWS < T ? r0 + ATTN_ROWS : T;
                F(attention_probs)(S, inp, prime_bias, is_prime, NULL, lse + ((size_t)b * NH + h) * T, b, h, r0, r1,
                                   T, C, NH, lowp);
                GEMM_LOWP(lowp, 0, 0, r1 - r0, hs, r1, S + (size_t)r0 * T, T, v, C3, 0, o + (size_t)r0 * C, C); /* att·v */
            }
        }
}

/* dinp (the qkv gradient) += ...; with the prime-distance option, dprime_bias [NH] += Σ ∂/∂score over prime
 * distances, summed through dprime_part [B·NH] in a fixed order so the result does not depend on threads.
 * By row blocks: the probabilities A, datt and dscore (in D), and dq; then by column blocks [c0, c1), whose
 * entries are zero in rows t < c0: dk and dv, each block of them written by one GEMM. */
OPS_WIDE void F(attention_backward)(REAL *dinp, REAL *dprime_bias, REAL *dprime_part, REAL *scratch,
                                    const REAL *dout, const REAL *inp, const REAL *lse, const REAL *prime_bias,
                                    const uint8_t *is_prime, int B, int T, int C, int NH, int lowp) {
    int C3 = 3 * C, hs = C / NH;
    REAL scale = (REAL)1 / SQRT((REAL)hs);
    size_t TT = (size_t)T * T;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            REAL *A = scratch + ((size_t)b * NH + h) * 2 * TT, *D = A + TT, prime_sum = 0;
            const REAL *q = inp + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
            const REAL *d = dout + (size_t)b * T * C + h * hs;
            REAL *dq = dinp + (size_t)b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
            for (int r0 = 0; r0 < T; r0 += ATTN_ROWS) {
                int r1 = r0 + ATTN_ROWS < T ? r0 + ATTN_ROWS : T;
                F(attention_probs)(A, inp, prime_bias, is_prime, lse + ((size_t)b * NH + h) * T, NULL, b, h, r0, r1,
                                   T, C, NH, lowp);
                /* out = att·v: datt = dout·vᵀ */
                GEMM_LOWP(lowp, 0, 1, r1 - r0, r1, hs, d + (size_t)r0 * C, C, v, C3, 0, D + (size_t)r0 * T, T);
                /* softmax: dscore = a ⊙ (da − Σ a·da), into D; a is 0 beyond t, and so is dscore. Then D holds
                 * scale·dscore, the gradient of q·kᵀ before scaling: the products below need no alpha (which the
                 * bf16 product lacks); the prime bias's gradient is summed from dscore first. */
                for (int t = r0; t < r1; t++) {
                    const REAL *a = A + (size_t)t * T;
                    REAL *da = D + (size_t)t * T, dot = DOT(a, da, t + 1);
                    for (int t2 = 0; t2 <= t; t2++) da[t2] = a[t2] * (da[t2] - dot);
                    for (int t2 = t + 1; t2 < r1; t2++) da[t2] = 0;
                    if (dprime_bias)
                        for (int t2 = 0; t2 <= t; t2++) prime_sum += is_prime[t - t2] ? da[t2] : 0;
#pragma omp simd
                    for (int t2 = 0; t2 <= t; t2++) da[t2] *= scale;
                }
                /* score = scale · q·kᵀ: dq += scale·dscore·k */
                GEMM_LOWP(lowp, 0, 0, r1 - r0, hs, r1, D + (size_t)r0 * T, T, k, C3, 1, dq + (size_t)r0 * C3, C3);
            }
            for (int c0 = 0; c0 < T; c0 += ATTN_ROWS) {
                int c1 = c0 + ATTN_ROWS < T ? c0 + ATTN_ROWS : T;
                size_t at = (size_t)c0 * T + c0;
                /* dv += attᵀ·dout, dk += scale·dscoreᵀ·q, over rows t ≥ c0 */
                GEMM_LOWP(lowp, 1, 0, c1 - c0, hs, T - c0, A + at, T, d + (size_t)c0 * C, C, 1, dv + (size_t)c0 * C3,
                          C3);
                GEMM_LOWP(lowp, 1, 0, c1 - c0, hs, T - c0, D + at, T, q + (size_t)c0 * C3, C3, 1, dk + (size_t)c0 * C3,
                          C3);
            }
            if (dprime_bias) dprime_part[b * NH + h] = prime_sum;
        }
    if (dprime_bias)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < NH; h++) dprime_bias[h] += dprime_part[b * NH + h];
}

#define GELU_SCALE ((REAL)0.7978845608028654) /* sqrt(2/π) */

/* GPT-2's GELU, tanh approximation: 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed as x·σ(2u) (the
 * same function: 0.5(1 + tanh u) = σ(2u)) so that it needs one exp and no libm tanh call. */
static inline __attribute__((always_inline)) REAL F(gelu)(REAL x) {
    REAL u = GELU_SCALE * (x + (REAL)0.044715 * x * x * x);
    return x / (1 + F(exp_fast)(-2 * u));
}

OPS_WIDE void F(gelu_forward)(REAL *out, const REAL *inp, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = F(gelu)(inp[i]);
}

/* The same on the calling thread only (generation: one token's 4C values are not worth a fork; and an `if`
 * clause on the parallel loop would still have libgomp allocate a team per call). */
OPS_WIDE void F(gelu_forward_serial)(REAL *out, const REAL *inp, size_t N) {
#pragma omp simd
    for (size_t i = 0; i < N; i++) out[i] = F(gelu)(inp[i]);
}

/* dinp = gelu′(inp)·dout (assigned); d/dx x·σ(2u) = σ + 2x·σ(1−σ)·u′, u′ = √(2/π)(1 + 3·0.044715x²) */
OPS_WIDE void F(gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) {
        REAL x = inp[i], u = GELU_SCALE * (x + (REAL)0.044715 * x * x * x);
        REAL s = 1 / (1 + F(exp_fast)(-2 * u));
        REAL g = s + 2 * x * s * (1 - s) * GELU_SCALE * (1 + (REAL)3 * (REAL)0.044715 * x * x);
        dinp[i] = g * dout[i];
    }
}

/* out = a + b */
OPS_WIDE void F(residual_forward)(REAL *out, const REAL *a, const REAL *b, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = a[i] + b[i];
}

/* da += dout, db += dout. (model_backward does not call it: it keeps the residual stream's gradient in one buffer
 * that both branches read, which is this op with the copies left out.) */
OPS_WIDE void F(residual_backward)(REAL *da, REAL *db, const REAL *dout, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) { da[i] += dout[i]; db[i] += dout[i]; }
}

/* losses[N] = −log softmax(logits[N,V])[target]. With dlogits non-NULL (it may be logits itself: the row is read
 * before it is written) also writes the gradient of dloss·Σ losses there: (softmax − onehot(target))·dloss. */
OPS_WIDE void F(crossentropy_forward)(REAL *losses, REAL *dlogits, const REAL *logits, const int32_t *targets,
                                      REAL dloss, int N, int V) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *l = logits + (size_t)i * V;
        REAL maxv = l[0], sum = 0, target_logit = l[targets[i]];
#pragma omp simd reduction(max : maxv)
        for (int v = 1; v < V; v++) maxv = l[v] > maxv ? l[v] : maxv;
        if (!dlogits) {
#pragma omp simd reduction(+ : sum)
            for (int v = 0; v < V; v++) sum += F(exp_fast)(l[v] - maxv);
        } else {
            REAL *d = dlogits + (size_t)i * V;
#pragma omp simd reduction(+ : sum)
            for (int v = 0; v < V; v++) { d[v] = F(exp_fast)(l[v] - maxv); sum += d[v]; }
            REAL s = dloss / sum;
#pragma omp simd
            for (int v = 0; v < V; v++) d[v] *= s;
            d[targets[i]] -= dloss;
        }
        losses[i] = LOG(sum) + maxv - target_logit;
    }
}

/* The LM head (tied to wte [V,C]) with softmax and cross-entropy over the N rows of lnf [N,C], R rows at a time, so
 * that only R×V logits are ever live (scratch [R,V]) instead of N×V logits and N×V probabilities:
 * losses[N] = −log softmax(lnf_i · wteᵀ)[target_i]. With dlnf non-NULL the same pass also forms the head's part of
 * the gradient of dloss·Σ losses, while each chunk's logits are still in cache: dlogits replaces the chunk's
 * logits, then dlnf[N,C] = dlogits·wte and dwte[V,C] = Σ_chunks dlogitsᵀ·lnf (both assigned, not accumulated).
 * Chunks run in order, so the sums into dwte do not depend on the thread count. With cap > 0 the logits are
 * soft-capped first (softcap_forward) and scratch holds 2·R·V. wte may be an untied head of the same shape. */
void F(lmhead_crossentropy)(REAL *losses, REAL *dlnf, REAL *dwte, REAL *scratch, const REAL *lnf, const REAL *wte,
                            const int32_t *targets, REAL dloss, int N, int C, int V, int R, REAL cap, int lowp) {
    REAL *capped = scratch + (size_t)R * V; /* with a soft-cap (cap > 0): the capped logits, [R, V] more scratch */
    for (int r0 = 0; r0 < N; r0 += R) {
        int rows = N - r0 < R ? N - r0 : R;
        const REAL *x = lnf + (size_t)r0 * C;
        GEMM_LOWP(lowp, 0, 1, rows, V, C, x, C, wte, C, 0, scratch, V); /* logits = lnf · wteᵀ */
        if (cap > 0) F(softcap_forward)(capped, scratch, cap, (size_t)rows * V);
        F(crossentropy_forward)(losses + r0, dlnf ? scratch : NULL, cap > 0 ? capped : scratch, targets + r0, dloss,
                                rows, V);
        if (!dlnf) continue;
        if (cap > 0) F(softcap_backward)(scratch, capped, cap, (size_t)rows * V);
        GEMM_LOWP(lowp, 0, 0, rows, C, V, scratch, V, wte, C, 0, dlnf + (size_t)r0 * C, C);
        GEMM_LOWP(lowp, 1, 0, V, C, rows, scratch, V, x, C, r0 == 0 ? 0 : 1, dwte, C);
    }
}

/* ---- the speedrun options (docs/speedrun.md): each replaces a GPT-2 op when its config field asks for it ---- */

/* ReLU²: out = max(x, 0)² — the modded-nanoGPT MLP activation: no exp, half the units exactly 0. */
OPS_WIDE void F(relu2_forward)(REAL *out, const REAL *inp, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = inp[i] > 0 ? inp[i] * inp[i] : 0;
}

/* The same on the calling thread only (generation, as gelu_forward_serial). */
OPS_WIDE void F(relu2_forward_serial)(REAL *out, const REAL *inp, size_t N) {
#pragma omp simd
    for (size_t i = 0; i < N; i++) out[i] = inp[i] > 0 ? inp[i] * inp[i] : 0;
}

/* dinp = 2·max(x, 0)·dout (assigned, as gelu_backward) */
OPS_WIDE void F(relu2_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) dinp[i] = inp[i] > 0 ? 2 * inp[i] * dout[i] : 0;
}

/* RMSNorm: out[N,C] = x · rstd · weight, rstd = 1/√(mean(x²) + 1e-5) kept [N] for backward. No centring and no
 * bias (the GPT-2 bias tensors stay in the file, unused and frozen): one reduction instead of two. */
static inline __attribute__((always_inline)) void F(rmsnorm_row)(REAL *o, REAL *rstd, const REAL *x,
                                                                 const REAL *weight, int C) {
    REAL v = 0;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++) v += x[c] * x[c];
    REAL s = (REAL)1 / SQRT(v / C + (REAL)1e-5);
#pragma omp simd
    for (int c = 0; c < C; c++) o[c] = x[c] * s * weight[c];
    *rstd = s;
}

OPS_WIDE void F(rmsnorm_forward)(REAL *out, REAL *rstd, const REAL *inp, const REAL *weight, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) F(rmsnorm_row)(out + (size_t)i * C, rstd + i, inp + (size_t)i * C, weight, C);
}

/* The same rows on the calling thread (generation, as layernorm_forward_serial). */
OPS_WIDE void F(rmsnorm_forward_serial)(REAL *out, REAL *rstd, const REAL *inp, const REAL *weight, int N, int C) {
    for (int i = 0; i < N; i++) F(rmsnorm_row)(out + (size_t)i * C, rstd + i, inp + (size_t)i * C, weight, C);
}

/* dinp += (w⊙d − n·mean(w⊙d⊙n))·rstd with n = x·rstd; dweight += Σ_rows n⊙d. */
OPS_WIDE void F(rmsnorm_backward)(REAL *dinp, REAL *dweight, const REAL *dout, const REAL *inp, const REAL *weight,
                                  const REAL *rstd, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        REAL s = rstd[i], dot = 0;
#pragma omp simd reduction(+ : dot)
        for (int c = 0; c < C; c++) dot += weight[c] * d[c] * x[c] * s;
        dot /= C;
        REAL *di = dinp + (size_t)i * C;
#pragma omp simd
        for (int c = 0; c < C; c++) di[c] += (weight[c] * d[c] - x[c] * s * dot) * s;
    }
#pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += 16) { /* channels in parallel, rows summed in order, as layernorm_backward */
        int c1 = c0 + 16 < C ? c0 + 16 : C;
        for (int i = 0; i < N; i++) {
            const REAL *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
            for (int c = c0; c < c1; c++) dweight[c] += x[c] * rstd[i] * d[c];
        }
    }
}

/* Logit soft-cap: out = cap·tanh(z/cap), so no logit leaves (−cap, cap) (tanh u = 1 − 2/(e^{2u} + 1): one
 * exp_fast, no libm call in the loop). out may be z. */
OPS_WIDE void F(softcap_forward)(REAL *out, const REAL *z, REAL cap, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = cap - 2 * cap / (F(exp_fast)(2 * z[i] / cap) + 1);
}

/* dz = dout·(1 − (out/cap)²), in place over dout, from the capped values out. */
OPS_WIDE void F(softcap_backward)(REAL *dout, const REAL *out, REAL cap, size_t N) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < N; i++) {
        REAL t = out[i] / cap;
        dout[i] *= 1 - t * t;
    }
}

/* ---- QK-norm and rotary positions: small ops on the q and k of qkv [N, 3C] (after c_attn, before attention), in
 * place. q's NH heads and k's NH heads are the first 2C channels of a row: 2·NH blocks of hs, one loop for both. */

/* One row: each of the 2·NH heads x[hs] ← x·rstd, rstd = 1/√(mean(x²) + 1e-5) (RMSNorm's eps, no weight), kept
 * in rstd[2·NH] (q's heads, then k's) unless rstd is NULL. */
static inline __attribute__((always_inline)) void F(qknorm_row)(REAL *row, REAL *rstd, int C, int NH) {
    int hs = C / NH;
    for (int j = 0; j < 2 * NH; j++) {
        REAL *x = row + j * hs, v = 0;
#pragma omp simd reduction(+ : v)
        for (int c = 0; c < hs; c++) v += x[c] * x[c];
        REAL s = (REAL)1 / SQRT(v / hs + (REAL)1e-5);
#pragma omp simd
        for (int c = 0; c < hs; c++) x[c] *= s;
        if (rstd) rstd[j] = s;
    }
}

/* QK-norm (the public modded-nanoGPT's): q and k of each head RMS-normalised over the head, in place in
 * qkv [N, 3C]; rstd [N, 2·NH] kept for backward. v is left alone. */
OPS_WIDE void F(qknorm_forward)(REAL *qkv, REAL *rstd, int N, int C, int NH) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) F(qknorm_row)(qkv + (size_t)i * 3 * C, rstd + (size_t)i * 2 * NH, C, NH);
}

/* The same on the calling thread, statistics not kept (generation). */
OPS_WIDE void F(qknorm_forward_serial)(REAL *qkv, int N, int C, int NH) {
    for (int i = 0; i < N; i++) F(qknorm_row)(qkv + (size_t)i * 3 * C, NULL, C, NH);
}

/* In place: dqkv's q and k (the gradient of the normalised y = qkv's q and k) become the gradient of the op's
 * input, d ← rstd·(d − y·mean(d⊙y)) per head; v's gradient passes through. y may also have been rotated by
 * rope_forward after this op, with d its gradient: a rotation keeps each head's sums of squares and dot products,
 * so the same formula gives the input's gradient rotated alike, which rope_backward then turns back. */
OPS_WIDE void F(qknorm_backward)(REAL *dqkv, const REAL *qkv, const REAL *rstd, int N, int C, int NH) {
    int hs = C / NH;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 2 * NH; j++) {
            const REAL *y = qkv + (size_t)i * 3 * C + j * hs;
            REAL *d = dqkv + (size_t)i * 3 * C + j * hs, s = rstd[(size_t)i * 2 * NH + j], dot = 0;
#pragma omp simd reduction(+ : dot)
            for (int c = 0; c < hs; c++) dot += d[c] * y[c];
            dot /= hs;
#pragma omp simd
            for (int c = 0; c < hs; c++) d[c] = s * (d[c] - y[c] * dot);
        }
}

/* Rotary positions' table [T, hs]: row t holds cos(t·θ_i) for i < hs/2, then sin(t·θ_i), θ_i = 10000^(−2i/hs).
 * Computed in double and rounded once, so the model and the generator rotate by the same numbers. */
void F(rope_table)(REAL *table, int T, int hs) {
    int half = hs / 2;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < half; i++) {
            double angle = t * pow(10000.0, -2.0 * i / hs);
            table[(size_t)t * hs + i] = (REAL)cos(angle);
            table[(size_t)t * hs + half + i] = (REAL)sin(angle);
        }
}

/* One row at position t: each of the 2·NH heads' channel pairs (i, i + hs/2) rotated by sign·t·θ_i (sign −1: the
 * transpose, which is the inverse). */
static inline __attribute__((always_inline)) void F(rope_row)(REAL *row, const REAL *table_t, int C, int NH,
                                                               REAL sign) {
    int hs = C / NH, half = hs / 2;
    const REAL *cs = table_t, *sn = table_t + half;
    for (int j = 0; j < 2 * NH; j++) {
        REAL *x = row + j * hs;
#pragma omp simd
        for (int i = 0; i < half; i++) {
            REAL a = x[i], b = x[i + half], s = sign * sn[i];
            x[i] = a * cs[i] - b * s;
            x[i + half] = a * s + b * cs[i];
        }
    }
}

/* Rotary position embeddings, in place on qkv [N, 3C]'s q and k: row i is at position (t0 + i) mod T (t0 = 0 for
 * B rows of T; the generator's rows start at its cache length), table [T, hs] from rope_table. */
OPS_WIDE void F(rope_forward)(REAL *qkv, const REAL *table, int N, int T, int t0, int C, int NH) {
    int hs = C / NH;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) F(rope_row)(qkv + (size_t)i * 3 * C, table + (size_t)((t0 + i) % T) * hs, C, NH, 1);
}

/* The same on the calling thread (generation). */
OPS_WIDE void F(rope_forward_serial)(REAL *qkv, const REAL *table, int N, int T, int t0, int C, int NH) {
    int hs = C / NH;
    for (int i = 0; i < N; i++) F(rope_row)(qkv + (size_t)i * 3 * C, table + (size_t)((t0 + i) % T) * hs, C, NH, 1);
}

/* In place: dqkv's q and k rotated back (the transpose of the rotation); v's gradient passes through. */
OPS_WIDE void F(rope_backward)(REAL *dqkv, const REAL *table, int N, int T, int t0, int C, int NH) {
    int hs = C / NH;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        F(rope_row)(dqkv + (size_t)i * 3 * C, table + (size_t)((t0 + i) % T) * hs, C, NH, -1);
}
