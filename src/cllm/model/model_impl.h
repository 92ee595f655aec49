/* model_impl.h — the whole model's forward and backward over the ops, written once for a scalar type
 * (included by ops.c after ops_impl.h). p/g: parameter and gradient pointers in CLLM_P_* order; a/ga:
 * activation and activation-gradient pointers in CLLM_A_* order, carved for this B×T. */

/* LayerNorm, or RMSNorm with the option (no mean, no bias: those stay unwritten, unread) */
static void F(norm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight, const REAL *bias,
                            int N, int C, int rms) {
    if (rms) F(rmsnorm_forward)(out, rstd, inp, weight, N, C);
    else F(layernorm_forward)(out, mean, rstd, inp, weight, bias, N, C);
}

static void F(norm_backward)(REAL *dinp, REAL *dweight, REAL *dbias, const REAL *dout, const REAL *inp,
                             const REAL *weight, const REAL *mean, const REAL *rstd, int N, int C, int rms) {
    if (rms) F(rmsnorm_backward)(dinp, dweight, dout, inp, weight, rstd, N, C);
    else F(layernorm_backward)(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}

#define P(k) ((REAL *)p[CLLM_P_##k])
#define G(k) ((REAL *)g[CLLM_P_##k])
#define A(k) ((REAL *)a[CLLM_A_##k])
#define GA(k) ((REAL *)ga[CLLM_A_##k])

/* With targets: the per-position losses into A(LOSSES), the LM head in chunks of head_rows rows; with ga also
 * non-NULL (zeroed by the caller) the head's gradient of the mean loss is formed in the same pass: GA(LNF) and
 * GA(HEAD_DWTE), which backward scales and carries on from. Without targets: the logits of each sequence's last
 * position into A(LOGITS) [B,V]. */
void F(model_forward)(void *const *p, void *const *a, void *const *ga, const int32_t *inp, const int32_t *targets,
                      const uint8_t *is_prime, const cllm_config *cfg, int B, int T, int head_rows) {
    int L = cfg->n_layer, NH = cfg->n_head, C = cfg->n_embd, V = cfg->vocab_size, N = B * T, nb = !cfg->no_bias;
    size_t BTC = (size_t)N * C, lse_size = (size_t)B * NH * T;
    const REAL *head = cfg->untied_head ? P(LMHEAD) : P(WTE); /* [V, C] */
    F(encoder_forward)(A(ENCODED), inp, P(WTE), P(WPE), B, T, C);
    for (int l = 0; l < L; l++) {
        REAL *residual = l == 0 ? A(ENCODED) : A(RESIDUAL3) + (l - 1) * BTC;
        REAL *ln1 = A(LN1) + l * BTC, *ln1_mean = A(LN1_MEAN) + (size_t)l * N, *ln1_rstd = A(LN1_RSTD) + (size_t)l * N;
        REAL *qkv = A(QKV) + l * 3 * BTC, *atty = A(ATTY) + l * BTC;
        REAL *attproj = A(ATTPROJ) + l * BTC, *residual2 = A(RESIDUAL2) + l * BTC;
        REAL *ln2 = A(LN2) + l * BTC, *ln2_mean = A(LN2_MEAN) + (size_t)l * N, *ln2_rstd = A(LN2_RSTD) + (size_t)l * N;
        REAL *fch = A(FCH) + l * 4 * BTC, *fch_gelu = A(FCH_GELU) + l * 4 * BTC;
        REAL *fcproj = A(FCPROJ) + l * BTC, *residual3 = A(RESIDUAL3) + l * BTC;
        F(norm_forward)(ln1, ln1_mean, ln1_rstd, residual, P(LN1W) + l * C, P(LN1B) + l * C, N, C, cfg->rmsnorm);
        F(matmul_forward)(qkv, ln1, P(QKVW) + (size_t)l * C * 3 * C, nb ? P(QKVB) + l * 3 * C : NULL, N, C, 3 * C);
        const REAL *prime_bias = cfg->attn_prime_bias ? P(PRIMEBIAS) + l * NH : NULL;
        F(attention_forward)(atty, A(ATT_LSE) + l * lse_size, A(ATT_SCRATCH), qkv, prime_bias, is_prime, B, T, C, NH);
        F(matmul_forward)(attproj, atty, P(ATTPROJW) + (size_t)l * C * C, nb ? P(ATTPROJB) + l * C : NULL, N, C, C);
        F(residual_forward)(residual2, residual, attproj, BTC);
        F(norm_forward)(ln2, ln2_mean, ln2_rstd, residual2, P(LN2W) + l * C, P(LN2B) + l * C, N, C, cfg->rmsnorm);
        F(matmul_forward)(fch, ln2, P(FCW) + (size_t)l * C * 4 * C, nb ? P(FCB) + l * 4 * C : NULL, N, C, 4 * C);
        if (cfg->mlp_relu2) F(relu2_forward)(fch_gelu, fch, 4 * BTC);
        else F(gelu_forward)(fch_gelu, fch, 4 * BTC);
        F(matmul_forward)(fcproj, fch_gelu, P(FCPROJW) + (size_t)l * 4 * C * C, nb ? P(FCPROJB) + l * C : NULL, N,
                          4 * C, C);
        F(residual_forward)(residual3, residual2, fcproj, BTC);
    }
    REAL *last = L > 0 ? A(RESIDUAL3) + (L - 1) * BTC : A(ENCODED);
    F(norm_forward)(A(LNF), A(LNF_MEAN), A(LNF_RSTD), last, P(LNFW), P(LNFB), N, C, cfg->rmsnorm);
    if (targets) {
        F(lmhead_crossentropy)(A(LOSSES), ga ? GA(LNF) : NULL, ga ? GA(HEAD_DWTE) : NULL, A(LOGITS), A(LNF), head,
                               targets, (REAL)1 / N, N, C, V, head_rows, (REAL)cfg->logit_softcap);
    } else { /* LM head (wte [V,C] when tied), last position of each row: logits = lnf · headᵀ */
        GEMM(0, 1, B, V, C, 1, A(LNF) + (size_t)(T - 1) * C, T * C, head, C, 0, A(LOGITS), V);
        if (cfg->logit_softcap > 0) F(softcap_forward)(A(LOGITS), A(LOGITS), (REAL)cfg->logit_softcap, (size_t)B * V);
    }
}

/* Adds scale·∂(mean loss)/∂θ into the gradients g (which the caller zeroed or wants accumulated into), carrying on
 * from the head's gradient that a forward with targets and ga left in GA(LNF) and GA(HEAD_DWTE). ga is carved by
 * cllm_grad_act_sizes: the per-layer gradients hold one layer and are reused by every layer (each is assigned
 * before it is read, or zeroed), and the residual stream's gradient is one buffer, dres: a residual add passes its
 * gradient on unchanged to both branches, so the branch reads dres and the branch's layernorm adds into it. */
void F(model_backward)(void *const *p, void *const *g, void *const *a, void *const *ga, const int32_t *inp,
                       const uint8_t *is_prime, REAL scale, const cllm_config *cfg, int B, int T) {
    int L = cfg->n_layer, NH = cfg->n_head, C = cfg->n_embd, V = cfg->vocab_size, N = B * T, nb = !cfg->no_bias;
    size_t BTC = (size_t)N * C, lse_size = (size_t)B * NH * T;
    if (scale != 1) {
        REAL *dlnf = GA(LNF);
#pragma omp parallel for simd schedule(static)
        for (size_t i = 0; i < BTC; i++) dlnf[i] *= scale;
    }
    AXPY(scale, GA(HEAD_DWTE), cfg->untied_head ? G(LMHEAD) : G(WTE), (size_t)V * C);
    REAL *dres = GA(RESIDUAL3);
    memset(dres, 0, BTC * sizeof(REAL));
    REAL *last = L > 0 ? A(RESIDUAL3) + (L - 1) * BTC : A(ENCODED);
    F(norm_backward)(dres, G(LNFW), G(LNFB), GA(LNF), last, P(LNFW), A(LNF_MEAN), A(LNF_RSTD), N, C, cfg->rmsnorm);
    for (int l = L - 1; l >= 0; l--) {
        REAL *residual = l == 0 ? A(ENCODED) : A(RESIDUAL3) + (l - 1) * BTC;
        size_t lb = l * BTC, ln = (size_t)l * N;
        /* residual3 = residual2 + fcproj: dfcproj = dres, and dres carries on as dresidual2 */
        F(matmul_backward)(GA(FCH_GELU), G(FCPROJW) + (size_t)l * 4 * C * C, nb ? G(FCPROJB) + l * C : NULL, dres,
                           A(FCH_GELU) + 4 * lb, P(FCPROJW) + (size_t)l * 4 * C * C, N, 4 * C, C);
        if (cfg->mlp_relu2) F(relu2_backward)(GA(FCH), A(FCH) + 4 * lb, GA(FCH_GELU), 4 * BTC);
        else F(gelu_backward)(GA(FCH), A(FCH) + 4 * lb, GA(FCH_GELU), 4 * BTC);
        F(matmul_backward)(GA(LN2), G(FCW) + (size_t)l * C * 4 * C, nb ? G(FCB) + l * 4 * C : NULL, GA(FCH),
                           A(LN2) + lb, P(FCW) + (size_t)l * C * 4 * C, N, C, 4 * C);
        F(norm_backward)(dres, G(LN2W) + l * C, G(LN2B) + l * C, GA(LN2), A(RESIDUAL2) + lb, P(LN2W) + l * C,
                         A(LN2_MEAN) + ln, A(LN2_RSTD) + ln, N, C, cfg->rmsnorm);
        /* residual2 = residual + attproj: dattproj = dres, and dres carries on as dresidual */
        F(matmul_backward)(GA(ATTY), G(ATTPROJW) + (size_t)l * C * C, nb ? G(ATTPROJB) + l * C : NULL, dres,
                           A(ATTY) + lb, P(ATTPROJW) + (size_t)l * C * C, N, C, C);
        const REAL *prime_bias = cfg->attn_prime_bias ? P(PRIMEBIAS) + l * NH : NULL;
        REAL *dprime_bias = cfg->attn_prime_bias ? G(PRIMEBIAS) + l * NH : NULL;
        memset(GA(QKV), 0, 3 * BTC * sizeof(REAL)); /* attention accumulates dq, dk, dv */
        F(attention_backward)(GA(QKV), dprime_bias, GA(PRIMEPART), A(ATT_SCRATCH), GA(ATTY), A(QKV) + 3 * lb,
                              A(ATT_LSE) + l * lse_size, prime_bias, is_prime, B, T, C, NH);
        F(matmul_backward)(GA(LN1), G(QKVW) + (size_t)l * C * 3 * C, nb ? G(QKVB) + l * 3 * C : NULL, GA(QKV),
                           A(LN1) + lb, P(QKVW) + (size_t)l * C * 3 * C, N, C, 3 * C);
        F(norm_backward)(dres, G(LN1W) + l * C, G(LN1B) + l * C, GA(LN1), residual, P(LN1W) + l * C,
                         A(LN1_MEAN) + ln, A(LN1_RSTD) + ln, N, C, cfg->rmsnorm);
    }
    F(encoder_backward)(G(WTE), G(WPE), dres, inp, B, T, C);
}

#undef P
#undef G
#undef A
#undef GA
