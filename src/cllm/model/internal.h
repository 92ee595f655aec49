/* internal.h — what the library's files (and its white-box tests) share but users do not see: the model's typed
 * parameter and activation structs (a shape on every field), their sizes, and the GPT-2 tensor table.
 *
 * Shapes: L layers, B batch, T time, C channels (n_embd), NH heads, V vocabulary, N = B·T rows. Linear weights are
 * [in, out] (GPT-2's Conv1D layout). Per-layer tensors stack the L layers back to back: layer l of ln1w is
 * ln1w + l·C, of qkvw is qkvw + l·C·3C, and so on. */
#ifndef CLLM_INTERNAL_H
#define CLLM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cllm.h"

/* The parameters (or their gradients), pointers into one arena, carved in CLLM_P_* order (cllm.h). Written for a
 * scalar type so that the tests' double-precision oracle has the same struct; cllm_params is the float one. The
 * array view `kind` is the same pointers by CLLM_P_* index, for carving and for code that walks every tensor. */
#define CLLM_PARAMS_OF(REAL)                                                                                   \
    union {                                                                                                    \
        struct {                                                                                               \
            REAL *wte;        /* [V, C]      token embedding; also the LM head (tied): logits = lnf · wteᵀ */  \
            REAL *wpe;        /* [n_ctx, C]  position embedding (learned, or fixed: cllm_positions_fill; 0, unused, with rope) */ \
            REAL *ln1w;       /* [L, C]      LayerNorm before attention: weight */                              \
            REAL *ln1b;       /* [L, C]      and bias */                                                        \
            REAL *qkvw;       /* [L, C, 3C]  attention's fused q, k, v projection (c_attn) */                  \
            REAL *qkvb;       /* [L, 3C] */                                                                     \
            REAL *attprojw;   /* [L, C, C]   attention's output projection (attn.c_proj) */                    \
            REAL *attprojb;   /* [L, C] */                                                                      \
            REAL *ln2w;       /* [L, C]      LayerNorm before the MLP: weight */                                \
            REAL *ln2b;       /* [L, C]      and bias */                                                        \
            REAL *fcw;        /* [L, C, 4C]  MLP up-projection (c_fc) */                                        \
            REAL *fcb;        /* [L, 4C] */                                                                     \
            REAL *fcprojw;    /* [L, 4C, C]  MLP down-projection (mlp.c_proj) */                                \
            REAL *fcprojb;    /* [L, C] */                                                                      \
            REAL *lnfw;       /* [C]         final LayerNorm: weight */                                         \
            REAL *lnfb;       /* [C]         and bias */                                                        \
            REAL *prime_bias; /* [L, NH]     score bias on prime distances; empty unless attn_prime_bias */    \
            REAL *lmhead;     /* [V, C]      the untied LM head (lm_head.weight); empty unless untied_head */   \
        };                                                                                                     \
        REAL *kind[CLLM_NUM_PARAM_KINDS];                                                                      \
    }
typedef CLLM_PARAMS_OF(float) cllm_params;

/* Activation tensors, in arena order: the index of each field of CLLM_ACTS_OF in its `kind` view. */
enum {
    CLLM_A_ENCODED, CLLM_A_LN1, CLLM_A_LN1_MEAN, CLLM_A_LN1_RSTD, CLLM_A_QKV, CLLM_A_ATTY, CLLM_A_ATT_LSE,
    CLLM_A_ATTPROJ, CLLM_A_RESIDUAL2, CLLM_A_LN2, CLLM_A_LN2_MEAN, CLLM_A_LN2_RSTD, CLLM_A_FCH, CLLM_A_FCH_GELU,
    CLLM_A_FCPROJ, CLLM_A_RESIDUAL3, CLLM_A_LNF, CLLM_A_LNF_MEAN, CLLM_A_LNF_RSTD, CLLM_A_LOGITS, CLLM_A_LOSSES,
    CLLM_A_HEAD_DWTE, CLLM_A_PRIMEPART, CLLM_A_ATT_SCRATCH, CLLM_A_QK_RSTD, CLLM_A_ROPE,
    CLLM_NUM_ACT_KINDS
};

/* The activations of one forward over B×T (cllm_act_sizes), carved from one arena in CLLM_A_* order. The same
 * struct views the gradient arena (cllm_grad_act_sizes), where each per-layer field holds ONE layer (backward
 * reuses it layer after layer), residual3 is the residual stream's gradient [N, C] (one buffer through all layers),
 * and the fields with no gradient are empty. */
#define CLLM_ACTS_OF(REAL)                                                                                     \
    union {                                                                                                    \
        struct {                                                                                               \
            REAL *encoded;     /* [B, T, C]      wte[token] + wpe[t]: the residual stream entering layer 0 */  \
            REAL *ln1;         /* [L, B, T, C]   LayerNorm 1's output */                                       \
            REAL *ln1_mean;    /* [L, B, T]      its row means */                                              \
            REAL *ln1_rstd;    /* [L, B, T]      its row 1/std */                                              \
            REAL *qkv;         /* [L, B, T, 3C]  q | k | v, head h at channels h·C/NH.. of each (q, k as attention \
                                                   reads them: after QK-norm and rotation with the options) */  \
            REAL *atty;        /* [L, B, T, C]   attention's output, heads side by side */                     \
            REAL *att_lse;     /* [L, B, NH, T]  log-sum-exp of each score row (backward recomputes scores) */ \
            REAL *attproj;     /* [L, B, T, C]   attention's projection */                                     \
            REAL *residual2;   /* [L, B, T, C]   residual + attproj */                                         \
            REAL *ln2;         /* [L, B, T, C]   LayerNorm 2's output */                                       \
            REAL *ln2_mean;    /* [L, B, T] */                                                                 \
            REAL *ln2_rstd;    /* [L, B, T] */                                                                 \
            REAL *fch;         /* [L, B, T, 4C]  MLP up-projection */                                          \
            REAL *fch_gelu;    /* [L, B, T, 4C]  its GELU */                                                   \
            REAL *fcproj;      /* [L, B, T, C]   MLP down-projection */                                        \
            REAL *residual3;   /* [L, B, T, C]   residual2 + fcproj: the stream leaving layer l */             \
            REAL *lnf;         /* [B, T, C]      final LayerNorm's output */                                   \
            REAL *lnf_mean;    /* [B, T] */                                                                    \
            REAL *lnf_rstd;    /* [B, T] */                                                                    \
            REAL *logits;      /* [max(head rows, B), V] one chunk of the LM head, or each row's last position */ \
            REAL *losses;      /* [B, T]         cross-entropy per position */                                 \
            REAL *head_dwte;   /* [V, C]         the LM head's part of wte's gradient (gradient arena only) */ \
            REAL *prime_part;  /* [B, NH]        prime-bias gradient partial sums; empty unless attn_prime_bias */ \
            REAL *att_scratch; /* [B, NH, 2, T, T] score squares for forward and backward, shared by all layers */ \
            REAL *qk_rstd;     /* [L, B, T, 2NH] QK-norm's 1/rms of each head's q, then k; empty unless qk_norm */ \
            REAL *rope;        /* [T, hs]        rotary cos | sin by position (rope_table); empty unless rope */   \
        };                                                                                                     \
        REAL *kind[CLLM_NUM_ACT_KINDS];                                                                        \
    }
typedef CLLM_ACTS_OF(float) cllm_acts;

/* Element counts of each parameter kind / activation kind for cfg (and batch B×T). */
void cllm_param_sizes(const cllm_config *cfg, size_t sizes[CLLM_NUM_PARAM_KINDS]);
void cllm_act_sizes(const cllm_config *cfg, int B, int T, size_t sizes[CLLM_NUM_ACT_KINDS]);
/* The gradient arena's sizes, by the same kinds: one layer's worth of each per-layer gradient, residual3 for the
 * residual stream's gradient, lnf and head_dwte for the head; the rest empty. */
void cllm_grad_act_sizes(const cllm_config *cfg, int B, int T, size_t sizes[CLLM_NUM_ACT_KINDS]);
/* Rows of lnf per LM-head chunk for N rows: about 2M logits (8 MB) per chunk, at least 64 rows, at most N; and at
 * most cap when cap > 0 (tests force small chunks). */
int cllm_head_rows(const cllm_config *cfg, int N, int cap);
/* LM-head chunk rows for the float model's next forwards (white-box tests): 0 restores the default; larger than
 * the default is ignored. */
void cllm_model_set_head_rows(cllm_model *m, int rows);
/* The model's parameters as typed views into its arena (for the generator, which runs the same weights). */
const cllm_params *cllm_model_weights(const cllm_model *m);

/* Number of named tensors for cfg. */
int cllm_tensor_count(const cllm_config *cfg);
/* is_prime[d] for d < n (0 and 1 are not prime), into a caller array of n bytes. */
void cllm_prime_table(uint8_t *is_prime, int n);

/* Builds the named-tensor table for cfg over the given arenas (grads may be NULL); returns the count. */
int cllm_tensor_table(const cllm_config *cfg, float *params, float *grads, cllm_tensor *out, int cap);

/* Fills a fixed position encoding [n_ctx, C] for cfg->pos_kind into wpe (no-op for LEARNED). */
int cllm_positions_fill(const cllm_config *cfg, float *wpe);
/* The lattice initialisation of wte [V, C] (embed_init 1). */
int cllm_embed_init_lattice(const cllm_config *cfg, float *wte);

/* ---- pipeline stages (train/pipeline.c): a range of the layers, several micro-batches in flight ---- */
/* Activation arenas for `slots` micro-batches of B×T (and cllm_model_reserve's gradients). 0 or an error code. */
int cllm_model_reserve_slots(cllm_model *m, int B, int T, int slots, cllm_error *err);
/* Forward of layers [l0, l1) of micro-batch `slot`: l0 == 0 embeds inputs [B,T], else in [B,T,C] is the residual
 * stream entering layer l0; l1 == L: final norm, head and loss on targets, returning the mean loss with the head's
 * gradient formed (for this slot's backward, which must come next); else the stream leaving layer l1 - 1 goes to
 * out [B,T,C] and 0 is returned. Ids outside [0, V) give NaN (and a NaN out). */
float cllm_model_forward_layers(cllm_model *m, int slot, int l0, int l1, const int32_t *inputs, const float *in,
                                const int32_t *targets, float *out, int B, int T);
/* Backward of that slot's forward, ADDING scale·gradients: l1 == L from the head's gradient, else from dout [B,T,C]
 * (the gradient of the stage's output, already scaled); l0 == 0 ends in the embeddings, else din [B,T,C] receives
 * the gradient of the stream entering layer l0. */
void cllm_model_backward_layers(cllm_model *m, int slot, int l0, int l1, const float *dout, float *din, float scale,
                                int B, int T);

/* The Muon half of cllm_adamw_step (train/muon.c): updates the tensors cllm_muon_blocks picks, at lr·lr_scale. */
void cllm_muon_step(cllm_adamw *opt, cllm_model *m, float lr);

#endif
