/* internal.h — what the library's files (and its white-box tests) share but users do not see. */
#ifndef CLLM_INTERNAL_H
#define CLLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cllm.h"

/* Activation tensors, in arena order. */
enum {
    CLLM_A_ENCODED, CLLM_A_LN1, CLLM_A_LN1_MEAN, CLLM_A_LN1_RSTD, CLLM_A_QKV, CLLM_A_ATTY,
    CLLM_A_ATT_LSE,     /* [L, B, NH, T] log-sum-exp of each attention score row */
    CLLM_A_ATTPROJ, CLLM_A_RESIDUAL2, CLLM_A_LN2, CLLM_A_LN2_MEAN, CLLM_A_LN2_RSTD, CLLM_A_FCH,
    CLLM_A_FCH_GELU, CLLM_A_FCPROJ, CLLM_A_RESIDUAL3, CLLM_A_LNF, CLLM_A_LNF_MEAN, CLLM_A_LNF_RSTD,
    CLLM_A_LOGITS,    /* [max(head rows, B), V]: one chunk of the LM head's logits, or the last positions' */
    CLLM_A_LOSSES,    /* [B, T] */
    CLLM_A_HEAD_DWTE, /* [V, C] the LM head's part of the wte gradient (gradient arena only) */
    CLLM_A_PRIMEPART, /* [B, NH] scratch of the prime-bias gradient, empty unless attn_prime_bias */
    CLLM_A_ATT_SCRATCH, /* [B, NH, 2, T, T] score squares for forward and backward, shared by all layers */
    CLLM_NUM_ACT_KINDS
};

/* Element counts of each parameter kind / activation kind for cfg (and batch B×T). */
void cllm_param_sizes(const cllm_config *cfg, size_t sizes[CLLM_NUM_PARAM_KINDS]);
void cllm_act_sizes(const cllm_config *cfg, int B, int T, size_t sizes[CLLM_NUM_ACT_KINDS]);
/* The gradient arena's sizes, by the same kinds: one layer's worth of each per-layer gradient (backward reuses
 * them layer after layer), RESIDUAL3 for the residual stream's gradient (one [N,C] buffer through all layers;
 * the kinds that alias it, and those with no gradient, are empty), LNF and HEAD_DWTE for the head. */
void cllm_grad_act_sizes(const cllm_config *cfg, int B, int T, size_t sizes[CLLM_NUM_ACT_KINDS]);
/* LM-head chunk rows for the float model's next forwards (white-box tests): 0 restores the default; larger than
 * the default is ignored. */
void cllm_model_set_head_rows(cllm_model *m, int rows);
/* Rows of lnf per LM-head chunk for N rows: about 2M logits (8 MB) per chunk, at least 64 rows, at most N; and at
 * most cap when cap > 0 (tests force small chunks). */
int cllm_head_rows(const cllm_config *cfg, int N, int cap);
/* Points ptrs[i] at consecutive regions of base sized sizes[i] elements of elem bytes; returns the total. */
size_t cllm_carve(void *base, size_t elem, const size_t *sizes, int n, void **ptrs);

/* Number of named tensors for cfg. */
int cllm_tensor_count(const cllm_config *cfg);
/* is_prime[d] for d < n (0 and 1 are not prime), into a caller array of n bytes. */
void cllm_prime_table(uint8_t *is_prime, int n);

/* Builds the named-tensor table for cfg over the given arenas (grads may be NULL); returns the count. */
int cllm_tensor_table(const cllm_config *cfg, float *params, float *grads, cllm_tensor *out, int cap);

/* Fills a fixed position encoding [n_ctx, C] for cfg->pos_kind into wpe (no-op for LEARNED). */
void cllm_positions_fill(const cllm_config *cfg, float *wpe);
/* The lattice initialisation of wte [V, C] (embed_init 1). */
void cllm_embed_init_lattice(const cllm_config *cfg, float *wte);

/* The Muon half of cllm_adamw_step (train/muon.c): updates the tensors cllm_muon_blocks picks, at lr·lr_scale. */
void cllm_muon_step(cllm_adamw *opt, cllm_model *m, float lr);

/* ---- the double-precision oracle: the same ops and model code instantiated for double (tests only) ---- */
typedef struct cllm_model64 {
    cllm_config cfg;
    int B, T;
    double *params, *grads, *acts, *grad_acts; /* arenas, same layouts as the float model */
    size_t num_params, num_acts, num_grad_acts;
    uint8_t *is_prime;                         /* [n_ctx], for the prime-distance option */
    int head_rows;                             /* LM-head chunk rows (0: cllm_head_rows's choice) */
    void *p[CLLM_NUM_PARAM_KINDS], *g[CLLM_NUM_PARAM_KINDS];
    void *a[CLLM_NUM_ACT_KINDS], *ga[CLLM_NUM_ACT_KINDS];
} cllm_model64;

/* A double model for B×T with parameters copied from the float model m. 0 on success. */
int cllm_model64_new(cllm_model64 *d, const cllm_model *m, int B, int T);
void cllm_model64_free(cllm_model64 *d);
/* Mean loss (targets required); no gradient work. */
double cllm_model64_forward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets);
/* Zeroes then fills d->grads with ∂(mean loss)/∂θ (runs its own forward, with the head's gradient). */
void cllm_model64_backward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets);

#endif
