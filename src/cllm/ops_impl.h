/* ops_impl.h — the model's ops, forward and backward side by side, written once for a scalar type.
 *
 * Included twice by ops.c: with REAL=float (the model that trains) and REAL=double (the oracle the gradient
 * checks use). Before including, define REAL, F(name) (adds a type suffix) and GEMM (cllm_sgemm for float, the
 * naive double GEMM below for double), DOT(a, b, n) and AXPY(alpha, x, y, n) (the SIMD kernels for float).
 * Every _backward ACCUMULATES into its d-outputs (+=), so callers zero
 * gradients once per step and residual branches add up naturally.
 *
 * Shapes: B batch, T time, C channels, V vocabulary, NH heads, hs = C/NH. Linear weights are stored [in, out]
 * (GPT-2's Conv1D layout): out = inp · w + bias.
 */

/* out[B,T,C] = wte[inp[b,t]] + wpe[t] */
void F(encoder_forward)(REAL *out, const int32_t *inp, const REAL *wte, const REAL *wpe, int B, int T, int C) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            REAL *o = out + ((size_t)b * T + t) * C;
            const REAL *we = wte + (size_t)inp[b * T + t] * C, *pe = wpe + (size_t)t * C;
            for (int c = 0; c < C; c++) o[c] = we[c] + pe[c];
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

/* out[N,C] = (inp - mean) * rstd * weight + bias over each row; mean, rstd [N] kept for backward. eps 1e-5. */
void F(layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight,
                          const REAL *bias, int N, int C) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *x = inp + (size_t)i * C;
        REAL m = 0, v = 0;
        for (int c = 0; c < C; c++) m += x[c];
        m /= C;
        for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
        v /= C;
        REAL s = (REAL)1 / SQRT(v + (REAL)1e-5);
        REAL *o = out + (size_t)i * C;
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[i] = m;
        rstd[i] = s;
    }
}

void F(layernorm_backward)(REAL *dinp, REAL *dweight, REAL *dbias, const REAL *dout, const REAL *inp,
                           const REAL *weight, const REAL *mean, const REAL *rstd, int N, int C) {
    /* rows in parallel for dinp */
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        REAL m = mean[i], s = rstd[i], dnorm_mean = 0, dnorm_norm_mean = 0;
        for (int c = 0; c < C; c++) {
            REAL dn = weight[c] * d[c];
            dnorm_mean += dn;
            dnorm_norm_mean += dn * (x[c] - m) * s;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        REAL *di = dinp + (size_t)i * C;
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

/* out[N,OC] = inp[N,C] · w[C,OC] + bias[OC] (bias may be NULL) */
void F(matmul_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *bias, int N, int C, int OC) {
    GEMM(0, 0, N, OC, C, 1, inp, C, w, OC, 0, out, OC);
    if (!bias) return;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) out[(size_t)i * OC + o] += bias[o];
}

/* dinp += dout · wᵀ; dw += inpᵀ · dout; dbias += Σ_rows dout (dbias may be NULL) */
void F(matmul_backward)(REAL *dinp, REAL *dw, REAL *dbias, const REAL *dout, const REAL *inp, const REAL *w,
                        int N, int C, int OC) {
    GEMM(0, 1, N, C, OC, 1, dout, OC, w, OC, 1, dinp, C);
    GEMM(1, 0, C, OC, N, 1, inp, C, dout, OC, 1, dw, OC);
    if (!dbias) return;
#pragma omp parallel for schedule(static)
    for (int o0 = 0; o0 < OC; o0 += 16) {
        int o1 = o0 + 16 < OC ? o0 + 16 : OC;
        for (int i = 0; i < N; i++)
            for (int o = o0; o < o1; o++) dbias[o] += dout[(size_t)i * OC + o];
    }
}

/* Causal self-attention. inp = qkv [B,T,3C] laid out [q | k | v], head h at channels h*hs..; out [B,T,C].
 * Only each score row's log-sum-exp is kept for backward (lse [B,NH,T]); backward recomputes the scores, so the
 * memory grows with B·NH·T, never B·NH·T². scratch: [B·NH, 2T], rows for one (b,h) task at a time.
 * prime_bias [NH] (NULL: off) adds prime_bias[h] to the score of every pair whose distance t − t2 is prime
 * (is_prime[d] for d < T): the crystalline "prime-distance" option, see docs/crystalline.md. */

/* s[t2] = scale·q_t·k_t2 (+ the prime bias) for t2 ≤ t; returns the largest. */
static REAL F(attention_scores)(REAL *s, const REAL *inp, const REAL *prime_bias, const uint8_t *is_prime, int b,
                                int h, int t, int T, int C, int NH) {
    int C3 = 3 * C, hs = C / NH;
    REAL scale = (REAL)1 / SQRT((REAL)hs), maxv = -1e30f;
    const REAL *q = inp + ((size_t)b * T + t) * C3 + h * hs;
    for (int t2 = 0; t2 <= t; t2++) {
        REAL x = DOT(q, inp + ((size_t)b * T + t2) * C3 + C + h * hs, hs) * scale;
        if (prime_bias && is_prime[t - t2]) x += prime_bias[h];
        s[t2] = x;
        if (x > maxv) maxv = x;
    }
    return maxv;
}

void F(attention_forward)(REAL *out, REAL *lse, REAL *scratch, const REAL *inp, const REAL *prime_bias,
                          const uint8_t *is_prime, int B, int T, int C, int NH) {
    int C3 = 3 * C, hs = C / NH;
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            REAL *a = scratch + ((size_t)b * NH + h) * 2 * T;
            for (int t = 0; t < T; t++) {
                REAL maxv = F(attention_scores)(a, inp, prime_bias, is_prime, b, h, t, T, C, NH), sum = 0;
                for (int t2 = 0; t2 <= t; t2++) { a[t2] = EXP(a[t2] - maxv); sum += a[t2]; }
                REAL inv = (REAL)1 / sum, *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0;
                for (int t2 = 0; t2 <= t; t2++) AXPY(a[t2] * inv, inp + ((size_t)b * T + t2) * C3 + 2 * C + h * hs, o, hs);
                lse[((size_t)b * NH + h) * T + t] = maxv + LOG(sum);
            }
        }
}

/* dinp (the qkv gradient) += ...; with the prime-distance option, dprime_bias [NH] += Σ ∂/∂score over prime
 * distances, summed through dprime_part [B·NH] in a fixed order so the result does not depend on threads. */
void F(attention_backward)(REAL *dinp, REAL *dprime_bias, REAL *dprime_part, REAL *scratch, const REAL *dout,
                           const REAL *inp, const REAL *lse, const REAL *prime_bias, const uint8_t *is_prime, int B,
                           int T, int C, int NH) {
    int C3 = 3 * C, hs = C / NH;
    REAL scale = (REAL)1 / SQRT((REAL)hs);
    /* one (b,h) per task: dq, dk, dv of head h in batch b are touched by that task only */
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            REAL *a = scratch + ((size_t)b * NH + h) * 2 * T, *da = a + T, prime_sum = 0;
            for (int t = 0; t < T; t++) {
                /* the softmax row again, from the scores and the saved log-sum-exp */
                F(attention_scores)(a, inp, prime_bias, is_prime, b, h, t, T, C, NH);
                REAL row_lse = lse[((size_t)b * NH + h) * T + t];
                for (int t2 = 0; t2 <= t; t2++) a[t2] = EXP(a[t2] - row_lse);
                /* out = Σ a·v */
                const REAL *d = dout + ((size_t)b * T + t) * C + h * hs;
                for (int t2 = 0; t2 <= t; t2++) {
                    const REAL *v = inp + ((size_t)b * T + t2) * C3 + 2 * C + h * hs;
                    da[t2] = DOT(v, d, hs);
                    AXPY(a[t2], d, dinp + ((size_t)b * T + t2) * C3 + 2 * C + h * hs, hs);
                }
                /* softmax: dscore = a ⊙ (da − Σ a·da), into da */
                REAL dot = 0;
                for (int t2 = 0; t2 <= t; t2++) dot += a[t2] * da[t2];
                for (int t2 = 0; t2 <= t; t2++) da[t2] = a[t2] * (da[t2] - dot);
                if (dprime_bias)
                    for (int t2 = 0; t2 <= t; t2++) prime_sum += is_prime[t - t2] ? da[t2] : 0;
                /* score = scale · q·k */
                const REAL *q = inp + ((size_t)b * T + t) * C3 + h * hs;
                REAL *dq = dinp + ((size_t)b * T + t) * C3 + h * hs;
                for (int t2 = 0; t2 <= t; t2++) {
                    REAL g = da[t2] * scale;
                    AXPY(g, inp + ((size_t)b * T + t2) * C3 + C + h * hs, dq, hs);
                    AXPY(g, q, dinp + ((size_t)b * T + t2) * C3 + C + h * hs, hs);
                }
            }
            if (dprime_bias) dprime_part[b * NH + h] = prime_sum;
        }
    if (dprime_bias)
        for (int b = 0; b < B; b++)
            for (int h = 0; h < NH; h++) dprime_bias[h] += dprime_part[b * NH + h];
}

#define GELU_SCALE ((REAL)0.7978845608028654) /* sqrt(2/π) */

/* GPT-2's GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) */
void F(gelu_forward)(REAL *out, const REAL *inp, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        REAL x = inp[i];
        out[i] = (REAL)0.5 * x * (1 + TANH(GELU_SCALE * (x + (REAL)0.044715 * x * x * x)));
    }
}

void F(gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        REAL x = inp[i], u = GELU_SCALE * (x + (REAL)0.044715 * x * x * x);
        REAL th = TANH(u), sech2 = 1 - th * th;
        REAL g = (REAL)0.5 * (1 + th) + (REAL)0.5 * x * sech2 * GELU_SCALE * (1 + (REAL)3 * (REAL)0.044715 * x * x);
        dinp[i] += g * dout[i];
    }
}

/* out = a + b */
void F(residual_forward)(REAL *out, const REAL *a, const REAL *b, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) out[i] = a[i] + b[i];
}

void F(residual_backward)(REAL *da, REAL *db, const REAL *dout, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) { da[i] += dout[i]; db[i] += dout[i]; }
}

/* losses[N] = −log softmax(logits[N,V])[target]; probs[N,V] = softmax (kept for backward). */
void F(crossentropy_forward)(REAL *losses, REAL *probs, const REAL *logits, const int32_t *targets, int N, int V) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *l = logits + (size_t)i * V;
        REAL *p = probs + (size_t)i * V, maxv = l[0], sum = 0;
        for (int v = 1; v < V; v++) if (l[v] > maxv) maxv = l[v];
        for (int v = 0; v < V; v++) { p[v] = EXP(l[v] - maxv); sum += p[v]; }
        REAL inv = (REAL)1 / sum;
        for (int v = 0; v < V; v++) p[v] *= inv;
        losses[i] = LOG(sum) + maxv - l[targets[i]];
    }
}

/* dlogits += (probs − onehot(target)) · dloss, with the same dloss for every row (the mean's 1/N). */
void F(crossentropy_backward)(REAL *dlogits, const REAL *probs, const int32_t *targets, REAL dloss, int N, int V) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < N; i++) {
        const REAL *p = probs + (size_t)i * V;
        REAL *d = dlogits + (size_t)i * V;
        for (int v = 0; v < V; v++) d[v] += p[v] * dloss;
        d[targets[i]] -= dloss;
    }
}
