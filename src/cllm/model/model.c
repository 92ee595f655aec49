/* model.c — GPT-2 in one room: the tensor sizes, the forward and the backward of the whole model top to bottom
 * (in the order of llm.c's gpt2_forward / gpt2_backward), and the float model's lifecycle. The shape of every
 * parameter and activation is on its struct field in internal.h; the ops (one per layer kind, forward and
 * backward side by side) are in ops_impl.h.
 *
 * The forward and backward are written once for a scalar type REAL. The library builds them for float. The tests'
 * double-precision oracle (tests/support/model64.c) includes this file with REAL = double and
 * CLLM_MODEL_ORACLE defined, which keeps only the forward and the backward (and the carver they need). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ops.h"

#ifndef CLLM_MODEL_ORACLE
#include "cllm_simd.h"
#include "real_f32.h"
#define AXPY cllm_axpy
#define PARAMS cllm_params
#define ACTS cllm_acts

/* The struct views and their CLLM_*_ kind indices must agree field for field. */
#define SLOT(U, field, k) _Static_assert(offsetof(U, field) == (k) * sizeof(float *), #field " is not slot " #k)
SLOT(cllm_params, wte, CLLM_P_WTE); SLOT(cllm_params, wpe, CLLM_P_WPE); SLOT(cllm_params, ln1w, CLLM_P_LN1W);
SLOT(cllm_params, ln1b, CLLM_P_LN1B); SLOT(cllm_params, qkvw, CLLM_P_QKVW); SLOT(cllm_params, qkvb, CLLM_P_QKVB);
SLOT(cllm_params, attprojw, CLLM_P_ATTPROJW); SLOT(cllm_params, attprojb, CLLM_P_ATTPROJB);
SLOT(cllm_params, ln2w, CLLM_P_LN2W); SLOT(cllm_params, ln2b, CLLM_P_LN2B); SLOT(cllm_params, fcw, CLLM_P_FCW);
SLOT(cllm_params, fcb, CLLM_P_FCB); SLOT(cllm_params, fcprojw, CLLM_P_FCPROJW);
SLOT(cllm_params, fcprojb, CLLM_P_FCPROJB); SLOT(cllm_params, lnfw, CLLM_P_LNFW); SLOT(cllm_params, lnfb, CLLM_P_LNFB);
SLOT(cllm_params, prime_bias, CLLM_P_PRIMEBIAS); SLOT(cllm_params, lmhead, CLLM_P_LMHEAD);
_Static_assert(sizeof(cllm_params) == CLLM_NUM_PARAM_KINDS * sizeof(float *), "cllm_params has a stray field");
SLOT(cllm_acts, encoded, CLLM_A_ENCODED); SLOT(cllm_acts, ln1, CLLM_A_LN1); SLOT(cllm_acts, ln1_mean, CLLM_A_LN1_MEAN);
SLOT(cllm_acts, ln1_rstd, CLLM_A_LN1_RSTD); SLOT(cllm_acts, qkv, CLLM_A_QKV); SLOT(cllm_acts, atty, CLLM_A_ATTY);
SLOT(cllm_acts, att_lse, CLLM_A_ATT_LSE); SLOT(cllm_acts, attproj, CLLM_A_ATTPROJ);
SLOT(cllm_acts, residual2, CLLM_A_RESIDUAL2); SLOT(cllm_acts, ln2, CLLM_A_LN2); SLOT(cllm_acts, ln2_mean, CLLM_A_LN2_MEAN);
SLOT(cllm_acts, ln2_rstd, CLLM_A_LN2_RSTD); SLOT(cllm_acts, fch, CLLM_A_FCH); SLOT(cllm_acts, fch_gelu, CLLM_A_FCH_GELU);
SLOT(cllm_acts, fcproj, CLLM_A_FCPROJ); SLOT(cllm_acts, residual3, CLLM_A_RESIDUAL3); SLOT(cllm_acts, lnf, CLLM_A_LNF);
SLOT(cllm_acts, lnf_mean, CLLM_A_LNF_MEAN); SLOT(cllm_acts, lnf_rstd, CLLM_A_LNF_RSTD);
SLOT(cllm_acts, logits, CLLM_A_LOGITS); SLOT(cllm_acts, losses, CLLM_A_LOSSES);
SLOT(cllm_acts, head_dwte, CLLM_A_HEAD_DWTE); SLOT(cllm_acts, prime_part, CLLM_A_PRIMEPART);
SLOT(cllm_acts, att_scratch, CLLM_A_ATT_SCRATCH); SLOT(cllm_acts, qk_rstd, CLLM_A_QK_RSTD);
SLOT(cllm_acts, rope, CLLM_A_ROPE);
_Static_assert(sizeof(cllm_acts) == CLLM_NUM_ACT_KINDS * sizeof(float *), "cllm_acts has a stray field");
#undef SLOT

/* ---- sizes ------------------------------------------------------------------------------------------------ */

void cllm_param_sizes(const cllm_config *cfg, size_t s[CLLM_NUM_PARAM_KINDS]) {
    size_t L = cfg->n_layer, C = cfg->n_embd;
    s[CLLM_P_WTE] = (size_t)cfg->vocab_size * C;
    s[CLLM_P_WPE] = (size_t)cfg->n_ctx * C;
    s[CLLM_P_LN1W] = s[CLLM_P_LN1B] = L * C;
    s[CLLM_P_QKVW] = L * C * 3 * C;
    s[CLLM_P_QKVB] = L * 3 * C;
    s[CLLM_P_ATTPROJW] = L * C * C;
    s[CLLM_P_ATTPROJB] = L * C;
    s[CLLM_P_LN2W] = s[CLLM_P_LN2B] = L * C;
    s[CLLM_P_FCW] = L * C * 4 * C;
    s[CLLM_P_FCB] = L * 4 * C;
    s[CLLM_P_FCPROJW] = L * 4 * C * C;
    s[CLLM_P_FCPROJB] = L * C;
    s[CLLM_P_LNFW] = s[CLLM_P_LNFB] = C;
    s[CLLM_P_PRIMEBIAS] = cfg->attn_prime_bias ? L * (size_t)cfg->n_head : 0;
    s[CLLM_P_LMHEAD] = cfg->untied_head ? (size_t)cfg->vocab_size * C : 0;
}

void cllm_act_sizes(const cllm_config *cfg, int B, int T, size_t s[CLLM_NUM_ACT_KINDS]) {
    size_t L = cfg->n_layer, C = cfg->n_embd, NH = cfg->n_head, V = cfg->vocab_size, N = (size_t)B * T;
    s[CLLM_A_ENCODED] = N * C;
    s[CLLM_A_LN1] = L * N * C;
    s[CLLM_A_LN1_MEAN] = s[CLLM_A_LN1_RSTD] = L * N;
    s[CLLM_A_QKV] = L * N * 3 * C;
    s[CLLM_A_ATTY] = L * N * C;
    s[CLLM_A_ATT_LSE] = L * B * NH * T;
    s[CLLM_A_ATT_SCRATCH] = (size_t)B * NH * 2 * T * T;
    s[CLLM_A_ATTPROJ] = s[CLLM_A_RESIDUAL2] = s[CLLM_A_LN2] = L * N * C;
    s[CLLM_A_LN2_MEAN] = s[CLLM_A_LN2_RSTD] = L * N;
    s[CLLM_A_FCH] = s[CLLM_A_FCH_GELU] = L * N * 4 * C;
    s[CLLM_A_FCPROJ] = s[CLLM_A_RESIDUAL3] = L * N * C;
    s[CLLM_A_LNF] = N * C;
    s[CLLM_A_LNF_MEAN] = s[CLLM_A_LNF_RSTD] = N;
    size_t head_rows = (size_t)cllm_head_rows(cfg, (int)N, 0);
    s[CLLM_A_LOGITS] = (head_rows > (size_t)B ? head_rows : (size_t)B) * V * (cfg->logit_softcap > 0 ? 2 : 1);
    s[CLLM_A_LOSSES] = N;
    s[CLLM_A_HEAD_DWTE] = 0; /* a gradient only */
    s[CLLM_A_PRIMEPART] = cfg->attn_prime_bias ? (size_t)B * NH : 0;
    s[CLLM_A_QK_RSTD] = cfg->qk_norm ? L * N * 2 * NH : 0;
    s[CLLM_A_ROPE] = cfg->rope ? (size_t)T * (C / NH) : 0;
}

void cllm_grad_act_sizes(const cllm_config *cfg, int B, int T, size_t s[CLLM_NUM_ACT_KINDS]) {
    size_t C = cfg->n_embd, V = cfg->vocab_size, N = (size_t)B * T;
    for (int k = 0; k < CLLM_NUM_ACT_KINDS; k++) s[k] = 0;
    s[CLLM_A_RESIDUAL3] = N * C; /* the residual stream */
    s[CLLM_A_LN1] = s[CLLM_A_ATTY] = s[CLLM_A_LN2] = s[CLLM_A_LNF] = N * C;
    s[CLLM_A_QKV] = N * 3 * C;
    s[CLLM_A_FCH] = s[CLLM_A_FCH_GELU] = N * 4 * C;
    s[CLLM_A_HEAD_DWTE] = V * C;
    s[CLLM_A_PRIMEPART] = cfg->attn_prime_bias ? (size_t)B * cfg->n_head : 0;
}

int cllm_head_rows(const cllm_config *cfg, int N, int cap) {
    int rows = (1 << 21) / cfg->vocab_size;
    rows = rows < 64 ? 64 : rows;
    rows = rows < N ? rows : N;
    return cap > 0 && cap < rows ? cap : rows;
}
#endif /* !CLLM_MODEL_ORACLE */

/* Points ptrs[k] at consecutive regions of base (NULL: leaves them NULL) sized sizes[k]; returns the total. */
static size_t F(carve)(REAL *base, const size_t *sizes, int n, REAL **ptrs) {
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        ptrs[k] = base ? base + total : NULL;
        total += sizes[k];
    }
    return total;
}

/* ---- forward ---------------------------------------------------------------------------------------------- */

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

/* With targets: the per-position losses into a->losses, the LM head in chunks of head_rows rows; with ga also
 * non-NULL the head's gradient of the mean loss is formed in the same pass: ga->lnf and ga->head_dwte (assigned),
 * which backward scales and carries on from. Without targets: the logits of each sequence's last position into
 * a->logits [B, V]. Layers [l0, l1) only (0, L: the whole model; pipeline stages run a range): l0 > 0 starts from
 * the stream the caller put in residual3's layer l0 - 1; l1 < L stops at residual3's layer l1 - 1, with no norm or
 * head. */
static void F(gpt2_forward)(const PARAMS *p, const ACTS *a, const ACTS *ga, const int32_t *inp,
                            const int32_t *targets, const uint8_t *is_prime, const cllm_config *cfg, int B, int T,
                            int head_rows, int lowp, int l0, int l1) {
    int L = cfg->n_layer, NH = cfg->n_head, C = cfg->n_embd, V = cfg->vocab_size, N = B * T, nb = !cfg->no_bias;
    size_t BTC = (size_t)N * C, lse_size = (size_t)B * NH * T;
    const REAL *head = cfg->untied_head ? p->lmhead : p->wte; /* [V, C] */
    if (l0 == 0) F(encoder_forward)(a->encoded, inp, p->wte, cfg->rope ? NULL : p->wpe, B, T, C);
    if (cfg->rope) F(rope_table)(a->rope, T, C / NH); /* T·hs/2 sines and cosines: nothing next to a layer */
    for (int l = l0; l < l1; l++) {
        REAL *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BTC;
        /* this layer's slices: [B, T, ·] of the [L, B, T, ·] activations, [·] of the [L, ·] parameters */
        REAL *ln1 = a->ln1 + l * BTC, *ln1_mean = a->ln1_mean + (size_t)l * N, *ln1_rstd = a->ln1_rstd + (size_t)l * N;
        REAL *qkv = a->qkv + l * 3 * BTC, *atty = a->atty + l * BTC, *att_lse = a->att_lse + l * lse_size;
        REAL *attproj = a->attproj + l * BTC, *residual2 = a->residual2 + l * BTC;
        REAL *ln2 = a->ln2 + l * BTC, *ln2_mean = a->ln2_mean + (size_t)l * N, *ln2_rstd = a->ln2_rstd + (size_t)l * N;
        REAL *fch = a->fch + l * 4 * BTC, *fch_gelu = a->fch_gelu + l * 4 * BTC;
        REAL *fcproj = a->fcproj + l * BTC, *residual3 = a->residual3 + l * BTC;
        const REAL *prime_bias = cfg->attn_prime_bias ? p->prime_bias + l * NH : NULL;
        F(norm_forward)(ln1, ln1_mean, ln1_rstd, residual, p->ln1w + l * C, p->ln1b + l * C, N, C, cfg->rmsnorm);
        F(matmul_forward)(qkv, ln1, p->qkvw + (size_t)l * C * 3 * C, nb ? p->qkvb + l * 3 * C : NULL, N, C, 3 * C,
                          lowp);
        /* q and k as attention reads them, in place: QK-norm, then the rotation */
        if (cfg->qk_norm) F(qknorm_forward)(qkv, a->qk_rstd + (size_t)l * N * 2 * NH, N, C, NH);
        if (cfg->rope) F(rope_forward)(qkv, a->rope, N, T, 0, C, NH);
        F(attention_forward)(atty, att_lse, a->att_scratch, qkv, prime_bias, is_prime, B, T, C, NH, lowp);
        F(matmul_forward)(attproj, atty, p->attprojw + (size_t)l * C * C, nb ? p->attprojb + l * C : NULL, N, C, C,
                          lowp);
        F(residual_forward)(residual2, residual, attproj, BTC);
        F(norm_forward)(ln2, ln2_mean, ln2_rstd, residual2, p->ln2w + l * C, p->ln2b + l * C, N, C, cfg->rmsnorm);
        F(matmul_forward)(fch, ln2, p->fcw + (size_t)l * C * 4 * C, nb ? p->fcb + l * 4 * C : NULL, N, C, 4 * C,
                          lowp);
        if (cfg->mlp_relu2) F(relu2_forward)(fch_gelu, fch, 4 * BTC); /* fch_gelu holds the activation either way */
        else F(gelu_forward)(fch_gelu, fch, 4 * BTC);
        F(matmul_forward)(fcproj, fch_gelu, p->fcprojw + (size_t)l * 4 * C * C, nb ? p->fcprojb + l * C : NULL, N,
                          4 * C, C, lowp);
        F(residual_forward)(residual3, residual2, fcproj, BTC);
    }
    if (l1 < L) return; /* a pipeline stage before the last: its output is the stream leaving layer l1 - 1 */
    REAL *last = L > 0 ? a->residual3 + (L - 1) * BTC : a->encoded;
    F(norm_forward)(a->lnf, a->lnf_mean, a->lnf_rstd, last, p->lnfw, p->lnfb, N, C, cfg->rmsnorm);
    if (targets) {
        F(lmhead_crossentropy)(a->losses, ga ? ga->lnf : NULL, ga ? ga->head_dwte : NULL, a->logits, a->lnf, head,
                               targets, (REAL)1 / N, N, C, V, head_rows, (REAL)cfg->logit_softcap, lowp);
    } else { /* the LM head (wte [V, C] when tied), last position of each row: logits = lnf · headᵀ */
        GEMM_LOWP(lowp, 0, 1, B, V, C, a->lnf + (size_t)(T - 1) * C, T * C, head, C, 0, a->logits, V);
        if (cfg->logit_softcap > 0) F(softcap_forward)(a->logits, a->logits, (REAL)cfg->logit_softcap, (size_t)B * V);
    }
}

/* ---- backward --------------------------------------------------------------------------------------------- */

/* Adds scale·∂(mean loss)/∂θ into the gradients g (which the caller zeroed or wants accumulated into), carrying on
 * from the head's gradient that a forward with targets and ga left in ga->lnf and ga->head_dwte. ga views the
 * gradient arena (cllm_grad_act_sizes): the per-layer gradients hold one layer and are reused by every layer (each
 * is assigned before it is read, or zeroed), and the residual stream's gradient is one buffer, dres: a residual add
 * passes its gradient on unchanged to both branches, so the branch reads dres and the branch's layernorm adds
 * into it. Layers [l0, l1) only: l1 < L starts from the gradient of the stage's output, which the caller put in
 * ga->residual3 (already scaled), and l0 > 0 leaves the gradient of the stage's input there. */
static void F(gpt2_backward)(const PARAMS *p, const PARAMS *g, const ACTS *a, const ACTS *ga, const int32_t *inp,
                             const uint8_t *is_prime, REAL scale, const cllm_config *cfg, int B, int T, int lowp,
                             int l0, int l1) {
    int L = cfg->n_layer, NH = cfg->n_head, C = cfg->n_embd, V = cfg->vocab_size, N = B * T, nb = !cfg->no_bias;
    size_t BTC = (size_t)N * C, lse_size = (size_t)B * NH * T;
    REAL *dres = ga->residual3; /* a stage before the last: the caller put the gradient of its output here */
    if (l1 == L) {
        if (scale != 1) {
            REAL *dlnf = ga->lnf;
#pragma omp parallel for simd schedule(static)
            for (size_t i = 0; i < BTC; i++) dlnf[i] *= scale;
        }
        AXPY(scale, ga->head_dwte, cfg->untied_head ? g->lmhead : g->wte, (size_t)V * C);
        memset(dres, 0, BTC * sizeof(REAL));
        REAL *last = L > 0 ? a->residual3 + (L - 1) * BTC : a->encoded;
        F(norm_backward)(dres, g->lnfw, g->lnfb, ga->lnf, last, p->lnfw, a->lnf_mean, a->lnf_rstd, N, C, cfg->rmsnorm);
    }
    for (int l = l1 - 1; l >= l0; l--) {
        REAL *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BTC;
        size_t lb = l * BTC, ln = (size_t)l * N;
        /* residual3 = residual2 + fcproj: dfcproj = dres, and dres carries on as dresidual2 */
        F(matmul_backward)(ga->fch_gelu, g->fcprojw + (size_t)l * 4 * C * C, nb ? g->fcprojb + l * C : NULL, dres,
                           a->fch_gelu + 4 * lb, p->fcprojw + (size_t)l * 4 * C * C, N, 4 * C, C, lowp);
        if (cfg->mlp_relu2) F(relu2_backward)(ga->fch, a->fch + 4 * lb, ga->fch_gelu, 4 * BTC);
        else F(gelu_backward)(ga->fch, a->fch + 4 * lb, ga->fch_gelu, 4 * BTC);
        F(matmul_backward)(ga->ln2, g->fcw + (size_t)l * C * 4 * C, nb ? g->fcb + l * 4 * C : NULL, ga->fch,
                           a->ln2 + lb, p->fcw + (size_t)l * C * 4 * C, N, C, 4 * C, lowp);
        F(norm_backward)(dres, g->ln2w + l * C, g->ln2b + l * C, ga->ln2, a->residual2 + lb, p->ln2w + l * C,
                         a->ln2_mean + ln, a->ln2_rstd + ln, N, C, cfg->rmsnorm);
        /* residual2 = residual + attproj: dattproj = dres, and dres carries on as dresidual */
        F(matmul_backward)(ga->atty, g->attprojw + (size_t)l * C * C, nb ? g->attprojb + l * C : NULL, dres,
                           a->atty + lb, p->attprojw + (size_t)l * C * C, N, C, C, lowp);
        const REAL *prime_bias = cfg->attn_prime_bias ? p->prime_bias + l * NH : NULL;
        REAL *dprime_bias = cfg->attn_prime_bias ? g->prime_bias + l * NH : NULL;
        memset(ga->qkv, 0, 3 * BTC * sizeof(REAL)); /* attention accumulates dq, dk, dv */
        F(attention_backward)(ga->qkv, dprime_bias, ga->prime_part, a->att_scratch, ga->atty, a->qkv + 3 * lb,
                              a->att_lse + l * lse_size, prime_bias, is_prime, B, T, C, NH, lowp);
        /* back through the rotation and QK-norm, in place; QK-norm's backward may read the rotated q and k (see
         * qknorm_backward), so it comes first */
        if (cfg->qk_norm) F(qknorm_backward)(ga->qkv, a->qkv + 3 * lb, a->qk_rstd + (size_t)l * N * 2 * NH, N, C, NH);
        if (cfg->rope) F(rope_backward)(ga->qkv, a->rope, N, T, 0, C, NH);
        F(matmul_backward)(ga->ln1, g->qkvw + (size_t)l * C * 3 * C, nb ? g->qkvb + l * 3 * C : NULL, ga->qkv,
                           a->ln1 + lb, p->qkvw + (size_t)l * C * 3 * C, N, C, 3 * C, lowp);
        F(norm_backward)(dres, g->ln1w + l * C, g->ln1b + l * C, ga->ln1, residual, p->ln1w + l * C,
                         a->ln1_mean + ln, a->ln1_rstd + ln, N, C, cfg->rmsnorm);
    }
    if (l0 == 0) F(encoder_backward)(g->wte, cfg->rope ? NULL : g->wpe, dres, inp, B, T, C);
}

/* ---- the float model: arenas, init, the public forward and backward -------------------------------------- */
#ifndef CLLM_MODEL_ORACLE

struct cllm_model {
    cllm_config cfg;
    float *params, *grads;        /* arenas of num_params floats; grads NULL until reserve */
    size_t num_params;
    cllm_params p, g;             /* typed views of params and grads */
    cllm_tensor *tensors;         /* the named views, cllm_tensor_count */
    int num_tensors;
    uint8_t *is_prime;            /* [n_ctx]: is_prime[d] for the prime-distance option */
    float *acts, *grad_acts;      /* activation arena; gradient arena (cllm_grad_act_sizes: one layer's worth) */
    size_t acts_capacity, grad_capacity; /* floats in each */
    size_t tokens_capacity;       /* ids in inputs */
    int B, T;                     /* shape of the last carve (0 before any forward) */
    cllm_acts a, ga;              /* typed views of acts and grad_acts for B×T */
    int grad_ready;               /* the last forward formed the head's gradient and no backward used it yet */
    int refused;                  /* the last forward refused an id outside [0, V): its backward adds nothing */
    int head_rows;                /* LM-head chunk rows, 0: cllm_head_rows's choice (tests set it smaller) */
    cllm_precision precision;     /* of the linear layers' and the head's products (fp32 or bf16) */
    int32_t *inputs;              /* copy: backward must not depend on the caller keeping them */
    int slots;                    /* micro-batches whose activations fit at once (pipeline stages; 1 otherwise) */
    char trained[1024];           /* how it was trained (cllm_model_set_trained), "" when not recorded */
};

static void *alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

cllm_model *cllm_model_new(const cllm_config *cfg, cllm_error *err) {
    if (cllm_config_check(cfg, err)) return NULL;
    cllm_model *m = calloc(1, sizeof *m);
    if (!m) { cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory allocating the model"); return NULL; }
    m->cfg = *cfg;
    size_t sizes[CLLM_NUM_PARAM_KINDS];
    cllm_param_sizes(cfg, sizes);
    m->num_params = carve_f32(NULL, sizes, CLLM_NUM_PARAM_KINDS, m->p.kind);
    m->num_tensors = cllm_tensor_count(cfg);
    m->params = alloc_floats(m->num_params);
    m->tensors = calloc((size_t)m->num_tensors, sizeof *m->tensors);
    m->is_prime = malloc((size_t)cfg->n_ctx);
    if (!m->params || !m->tensors || !m->is_prime) {
        cllm_model_free(m);
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory allocating %zu parameters", sizes[0]);
        return NULL;
    }
    memset(m->params, 0, m->num_params * sizeof(float));
    carve_f32(m->params, sizes, CLLM_NUM_PARAM_KINDS, m->p.kind);
    cllm_tensor_table(cfg, m->params, NULL, m->tensors, m->num_tensors);
    cllm_prime_table(m->is_prime, cfg->n_ctx);
    return m;
}

void cllm_model_free(cllm_model *m) {
    if (!m) return;
    free(m->params); free(m->grads); free(m->acts); free(m->grad_acts);
    free(m->tensors); free(m->inputs); free(m->is_prime);
    free(m);
}

const cllm_config *cllm_model_config(const cllm_model *m) { return &m->cfg; }
size_t cllm_model_num_params(const cllm_model *m) { return m->num_params; }
float *cllm_model_params(cllm_model *m) { return m->params; }
float *cllm_model_grads(cllm_model *m) { return m->grads; }
const cllm_params *cllm_model_weights(const cllm_model *m) { return &m->p; }
int cllm_model_tensor_count(const cllm_model *m) { return m->num_tensors; }
const cllm_tensor *cllm_model_tensor(const cllm_model *m, int i) {
    return i >= 0 && i < m->num_tensors ? &m->tensors[i] : NULL;
}
const cllm_tensor *cllm_model_tensor_find(const cllm_model *m, const char *name) {
    for (int i = 0; i < m->num_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

int cllm_model_init_gpt2(cllm_model *m, uint64_t seed) {
    cllm_rng rng;
    cllm_rng_seed(&rng, seed);
    float resid_std = 0.02f / sqrtf(2.0f * (float)(m->cfg.n_layer > 0 ? m->cfg.n_layer : 1));
    for (int i = 0; i < m->num_tensors; i++) {
        cllm_tensor *t = &m->tensors[i];
        const char *n = t->name;
        size_t len = strlen(n);
        int is_bias = len > 5 && strcmp(n + len - 5, ".bias") == 0;
        int is_ln = strstr(n, "ln_") != NULL;
        if (strstr(n, "prime_bias")) is_bias = 1; /* starts at 0: the model begins as plain GPT-2 */
        int zero = (m->cfg.zero_init_proj && (strstr(n, "c_proj.weight") || strcmp(n, "lm_head.weight") == 0)) ||
                   (m->cfg.rope && strcmp(n, "wpe.weight") == 0); /* rope: wpe stays 0, unused */
        if (is_bias || zero) memset(t->data, 0, t->numel * sizeof(float));
        else if (is_ln) for (size_t j = 0; j < t->numel; j++) t->data[j] = 1.0f;
        else {
            float std = strstr(n, "c_proj.weight") ? resid_std : 0.02f;
            for (size_t j = 0; j < t->numel; j++) t->data[j] = (float)(std * cllm_rng_normal(&rng));
        }
    }
    int rc = m->cfg.embed_init ? cllm_embed_init_lattice(&m->cfg, m->p.wte) : 0;
    int rc2 = cllm_model_fill_positions(m);
    return rc ? rc : rc2;
}

int cllm_model_fill_positions(cllm_model *m) {
    return cllm_positions_fill(&m->cfg, m->p.wpe);
}

/* Floats of the activation arena for B×T, and (in *grad_floats) of the gradient arena. */
static size_t act_floats(const cllm_config *cfg, int B, int T, size_t *grad_floats) {
    size_t sizes[CLLM_NUM_ACT_KINDS], total = 0;
    cllm_grad_act_sizes(cfg, B, T, sizes);
    for (int k = 0; k < CLLM_NUM_ACT_KINDS; k++) total += sizes[k];
    *grad_floats = total;
    cllm_act_sizes(cfg, B, T, sizes);
    total = 0;
    for (int k = 0; k < CLLM_NUM_ACT_KINDS; k++) total += sizes[k];
    return total;
}

int cllm_model_reserve(cllm_model *m, int B, int T, cllm_error *err) {
    if (B < 1 || T < 1 || T > m->cfg.n_ctx || (int64_t)B * T > INT32_MAX)
        return cllm_error_set(err, CLLM_ERR_ARG, "batch %d×%d does not fit (T must be 1..%d, B·T below 2^31)", B, T,
                              m->cfg.n_ctx);
    size_t need_grads, need = act_floats(&m->cfg, B, T, &need_grads);
    if (!m->grads) {
        if (!(m->grads = alloc_floats(m->num_params)))
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for gradients");
        memset(m->grads, 0, m->num_params * sizeof(float));
        size_t psizes[CLLM_NUM_PARAM_KINDS];
        cllm_param_sizes(&m->cfg, psizes);
        carve_f32(m->grads, psizes, CLLM_NUM_PARAM_KINDS, m->g.kind);
        cllm_tensor_table(&m->cfg, m->params, m->grads, m->tensors, m->num_tensors);
    }
    size_t tokens = (size_t)B * T;
    if (need > m->acts_capacity || need_grads > m->grad_capacity || tokens > m->tokens_capacity) {
        need = need > m->acts_capacity ? need : m->acts_capacity;
        need_grads = need_grads > m->grad_capacity ? need_grads : m->grad_capacity;
        tokens = tokens > m->tokens_capacity ? tokens : m->tokens_capacity;
        free(m->acts); free(m->grad_acts); free(m->inputs);
        m->acts = alloc_floats(need);
        m->grad_acts = alloc_floats(need_grads);
        m->inputs = malloc(tokens * sizeof(int32_t));
        if (!m->acts || !m->grad_acts || !m->inputs) {
            free(m->acts); free(m->grad_acts); free(m->inputs);
            m->acts = m->grad_acts = NULL; m->inputs = NULL;
            m->acts_capacity = m->grad_capacity = m->tokens_capacity = 0;
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for activations of %d×%d (%zu MB)", B, T,
                                  (need + need_grads) * sizeof(float) >> 20);
        }
        m->acts_capacity = need;
        m->grad_capacity = need_grads;
        m->tokens_capacity = tokens;
    }
    m->B = m->T = 0;
    m->grad_ready = 0;
    return 0;
}

/* Points the activation views at the arenas for this B×T (no allocation: reserve sized them). */
static void carve_acts(cllm_model *m, int B, int T) {
    if (m->B == B && m->T == T) return;
    size_t sizes[CLLM_NUM_ACT_KINDS];
    cllm_act_sizes(&m->cfg, B, T, sizes);
    carve_f32(m->acts, sizes, CLLM_NUM_ACT_KINDS, m->a.kind);
    cllm_grad_act_sizes(&m->cfg, B, T, sizes);
    carve_f32(m->grad_acts, sizes, CLLM_NUM_ACT_KINDS, m->ga.kind);
    m->B = B;
    m->T = T;
}

/* Whether every one of the n ids is in [0, V): ids index wte and the head, and come from callers' files. */
static int ids_in_range(const int32_t *ids, size_t n, int V) {
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= ids[i] < 0 || ids[i] >= V;
    return !bad;
}

/* The forward pass behind cllm_model_forward and cllm_model_evaluate; grad: also form the head's gradient. */
static float forward(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T, int grad) {
    size_t need_grads, need = act_floats(&m->cfg, B, T, &need_grads);
    /* a caller bug, not bad input: reserve a batch of this shape first */
    if (B < 1 || T < 1 || T > m->cfg.n_ctx || need > m->acts_capacity || need_grads > m->grad_capacity ||
        (size_t)B * T > m->tokens_capacity)
        abort();
    m->grad_ready = 0;
    m->refused = !ids_in_range(inputs, (size_t)B * T, m->cfg.vocab_size) ||
                 (targets && !ids_in_range(targets, (size_t)B * T, m->cfg.vocab_size));
    if (m->refused) return NAN;
    carve_acts(m, B, T);
    memcpy(m->inputs, inputs, (size_t)B * T * sizeof(int32_t));
    int N = B * T, rows = cllm_head_rows(&m->cfg, N, m->head_rows);
    gpt2_forward_f32(&m->p, &m->a, grad ? &m->ga : NULL, m->inputs, targets, m->is_prime, &m->cfg, B, T, rows,
                     m->precision == CLLM_PRECISION_BF16, 0, m->cfg.n_layer);
    m->grad_ready = grad;
    if (!targets) return 0.0f;
    double sum = 0;
    for (int i = 0; i < N; i++) sum += m->a.losses[i];
    return (float)(sum / N);
}

float cllm_model_forward(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T) {
    return forward(m, inputs, targets, B, T, targets != NULL);
}

float cllm_model_evaluate(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T) {
    if (!targets) abort(); /* caller bug: evaluation needs targets */
    return forward(m, inputs, targets, B, T, 0);
}

const float *cllm_model_logits(const cllm_model *m) { return m->a.logits; }
const float *cllm_model_losses(const cllm_model *m) { return m->a.losses; }

void cllm_model_zero_grad(cllm_model *m) {
    if (m->grads) memset(m->grads, 0, m->num_params * sizeof(float));
}

void cllm_model_backward(cllm_model *m, float scale) {
    if (m->refused) return;
    if (!m->grad_ready) abort(); /* caller bug: backward needs a forward with targets, once */
    gpt2_backward_f32(&m->p, &m->g, &m->a, &m->ga, m->inputs, m->is_prime, scale, &m->cfg, m->B, m->T,
                      m->precision == CLLM_PRECISION_BF16, 0, m->cfg.n_layer);
    m->grad_ready = 0;
}

void cllm_model_set_head_rows(cllm_model *m, int rows) { m->head_rows = rows; }

/* ---- pipeline stages: a range of layers, several micro-batches in flight (train/pipeline.c) ---- */

int cllm_model_reserve_slots(cllm_model *m, int B, int T, int slots, cllm_error *err) {
    if (slots < 1 || slots > 1024) return cllm_error_set(err, CLLM_ERR_ARG, "%d micro-batches in flight", slots);
    if (cllm_model_reserve(m, B, T, err)) return err ? err->code : 1;
    size_t need_grads, need = act_floats(&m->cfg, B, T, &need_grads) * (size_t)slots, tokens = (size_t)B * T * slots;
    if (need > m->acts_capacity || tokens > m->tokens_capacity) {
        free(m->acts);
        free(m->inputs);
        m->acts = alloc_floats(need); /* pages a stage never touches (other stages' layers) stay unbacked */
        m->inputs = malloc(tokens * sizeof(int32_t));
        m->acts_capacity = m->acts ? need : 0;
        m->tokens_capacity = m->inputs ? tokens : 0;
        if (!m->acts || !m->inputs)
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for %d micro-batches' activations (%zu MB)",
                                  slots, need * sizeof(float) >> 20);
    }
    m->slots = slots;
    m->B = m->T = 0;
    return 0;
}

/* Points the views at micro-batch slot's activations (the gradient arena is shared: one backward at a time). */
static int32_t *carve_slot(cllm_model *m, int slot, int B, int T) {
    size_t need_grads, per = act_floats(&m->cfg, B, T, &need_grads), sizes[CLLM_NUM_ACT_KINDS];
    if (slot < 0 || slot >= m->slots || (size_t)(slot + 1) * per > m->acts_capacity) abort(); /* caller bug */
    carve_acts(m, B, T);
    cllm_act_sizes(&m->cfg, B, T, sizes);
    carve_f32(m->acts + (size_t)slot * per, sizes, CLLM_NUM_ACT_KINDS, m->a.kind);
    m->B = m->T = 0; /* the next carve_acts carves slot 0 again */
    return m->inputs + (size_t)slot * B * T;
}

float cllm_model_forward_layers(cllm_model *m, int slot, int l0, int l1, const int32_t *inputs, const float *in,
                                const int32_t *targets, float *out, int B, int T) {
    int L = m->cfg.n_layer, V = m->cfg.vocab_size;
    if (l0 < 0 || l1 <= l0 || l1 > L || (l0 == 0 ? !inputs : !in) || (l1 == L ? !targets : !out)) abort();
    int32_t *ids = carve_slot(m, slot, B, T);
    size_t N = (size_t)B * T, BTC = N * m->cfg.n_embd;
    m->grad_ready = 0;
    if (l0 == 0) { /* refused ids: zeros keep every index in range; the NaN output spoils the loss */
        int bad = !ids_in_range(inputs, N, V);
        if (bad) memset(ids, 0, N * sizeof(int32_t));
        else memcpy(ids, inputs, N * sizeof(int32_t));
        if (bad) {
            for (size_t i = 0; l1 < L && i < BTC; i++) out[i] = NAN;
            return NAN;
        }
    } else {
        memcpy(m->a.residual3 + (size_t)(l0 - 1) * BTC, in, BTC * sizeof(float));
    }
    if (l1 == L && !ids_in_range(targets, N, V)) return NAN;
    int lowp = m->precision == CLLM_PRECISION_BF16, rows = cllm_head_rows(&m->cfg, (int)N, m->head_rows);
    gpt2_forward_f32(&m->p, &m->a, l1 == L ? &m->ga : NULL, ids, targets, m->is_prime, &m->cfg, B, T, rows, lowp, l0,
                     l1);
    if (l1 < L) {
        memcpy(out, m->a.residual3 + (size_t)(l1 - 1) * BTC, BTC * sizeof(float));
        return 0;
    }
    m->grad_ready = slot + 1;
    double sum = 0;
    for (size_t i = 0; i < N; i++) sum += m->a.losses[i];
    return (float)(sum / (double)N);
}

void cllm_model_backward_layers(cllm_model *m, int slot, int l0, int l1, const float *dout, float *din, float scale,
                                int B, int T) {
    int L = m->cfg.n_layer;
    if (l0 < 0 || l1 <= l0 || l1 > L || (l1 < L && !dout) || (l0 > 0 && !din)) abort();
    int32_t *ids = carve_slot(m, slot, B, T);
    size_t BTC = (size_t)B * T * m->cfg.n_embd;
    if (l1 == L && m->grad_ready != slot + 1) { /* the forward refused its ids: nothing to add */
        if (din) for (size_t i = 0; i < BTC; i++) din[i] = NAN;
        return;
    }
    if (l1 < L) memcpy(m->ga.residual3, dout, BTC * sizeof(float));
    gpt2_backward_f32(&m->p, &m->g, &m->a, &m->ga, ids, m->is_prime, scale, &m->cfg, B, T,
                      m->precision == CLLM_PRECISION_BF16, l0, l1);
    if (l0 > 0) memcpy(din, m->ga.residual3, BTC * sizeof(float));
    m->grad_ready = 0;
}

int cllm_model_set_precision(cllm_model *m, cllm_precision precision, cllm_error *err) {
    if (precision != CLLM_PRECISION_FP32 && precision != CLLM_PRECISION_BF16)
        return cllm_error_set(err, CLLM_ERR_ARG, "precision %s is not one the model trains in (fp32, bf16)",
                              cllm_precision_name(precision));
    m->precision = precision;
    return 0;
}

cllm_precision cllm_model_precision(const cllm_model *m) { return m->precision; }

const char *cllm_model_trained(const cllm_model *m) { return m->trained; }

void cllm_model_set_trained(cllm_model *m, const char *text) {
    size_t n = 0; /* the line comes from files too: only printable ASCII reaches a terminal */
    for (; text && text[n] && n < sizeof m->trained - 1; n++)
        m->trained[n] = text[n] >= 0x20 && text[n] < 0x7f ? text[n] : '?';
    m->trained[n] = 0;
}

const char *cllm_precision_name(cllm_precision precision) {
    switch (precision) {
    case CLLM_PRECISION_FP32: return "fp32";
    case CLLM_PRECISION_BF16: return "bf16";
    case CLLM_PRECISION_INT8: return "int8";
    }
    return "unknown";
}

int cllm_precision_parse(const char *name, cllm_precision *out) {
    static const cllm_precision all[] = {CLLM_PRECISION_FP32, CLLM_PRECISION_BF16, CLLM_PRECISION_INT8};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && strcmp(name, cllm_precision_name(all[i])) == 0) { *out = all[i]; return 0; }
    return -1;
}
#endif /* !CLLM_MODEL_ORACLE */
