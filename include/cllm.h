/* cllm.h — CLLM, a GPT-2-architecture language model that trains on CPU.
 *
 *     cllm_config cfg; cllm_config_preset("tiny", &cfg); cfg.vocab_size = 256;
 *     cllm_error err = {0};
 *     cllm_model *m = cllm_model_new(&cfg, &err);          // parameters: one arena, zeroed
 *     cllm_model_init_gpt2(m, 1234);                         // GPT-2 initialisation
 *     cllm_model_reserve(m, B, T, &err);                     // activations: one arena, sized once
 *     float loss = cllm_model_forward(m, inputs, targets, B, T);   // inputs/targets: B·T token ids
 *     cllm_model_zero_grad(m); cllm_model_backward(m, 1.0f);        // gradients of the mean loss
 *     cllm_model_free(m);
 *
 * The architecture is GPT-2's exactly: token + learned position embeddings; L blocks of LayerNorm (eps 1e-5) →
 * causal multi-head attention (fused qkv, scale 1/√head_dim) → projection → residual → LayerNorm → MLP C→4C,
 * GELU (tanh approximation) → 4C→C → residual; final LayerNorm; LM head tied to the token embedding.
 */
#ifndef CLLM_H
#define CLLM_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How positions enter the model. LEARNED is GPT-2's (and the only kind GPT-2 weights use); the others are fixed
 * encodings with no trainable parameters (the crystalline options; see docs/crystalline.md). */
typedef enum cllm_pos_kind {
    CLLM_POS_LEARNED = 0,
    CLLM_POS_SINUSOIDAL = 1,
    CLLM_POS_SPIRAL = 2,
    CLLM_POS_CLOCK = 3,
    CLLM_POS_PRIME = 4,
} cllm_pos_kind;

typedef struct cllm_config {
    int n_layer;    /* L: transformer blocks */
    int n_head;     /* NH: attention heads; n_embd % n_head == 0 */
    int n_embd;     /* C: channels */
    int n_ctx;      /* maximum sequence length T (GPT-2's n_positions) */
    int vocab_size; /* V: token ids 0..V-1 */
    int pos_kind;   /* a cllm_pos_kind */
    int embed_init; /* 0: GPT-2 normal(0.02); 1: lattice (crystalline) */
    int attn_prime_bias; /* 1: a learned per-head score bias on prime token distances (crystalline) */
    /* The speedrun options (docs/speedrun.md). All zero is GPT-2 exactly, the file format's default; a model file
     * names the ones it uses in metadata cllm.arch. */
    int mlp_relu2;       /* 1: the MLP's activation is ReLU² instead of GELU */
    int rmsnorm;         /* 1: RMSNorm (x·rstd·weight) instead of LayerNorm; the norms' biases stay 0, frozen */
    int untied_head;     /* 1: the LM head is its own matrix lm_head.weight [V, C] instead of wte */
    int no_bias;         /* 1: every bias stays 0, frozen (the GPT-2 tensors remain, as zeros) */
    int zero_init_proj;  /* 1: the output projections (attn.c_proj, mlp.c_proj) and an untied head start at 0 */
    float logit_softcap; /* > 0: logits = cap·tanh(z/cap); 0: off */
    int qk_norm;         /* 1: q and k of each head RMS-normalised over the head (no weight) before attention */
    int rope;            /* 1: rotary positions (base 10000) on q and k instead of wpe, which stays 0, frozen */
} cllm_config;

/* Named presets (crystalline options off): "tiny" (L4 C256 H4 T256), "small" (L6 C384 H6 T256), "gpt2" (L12 C768 H12 T1024 V50257).
 * vocab_size is 50257 for gpt2 and 4096 otherwise (callers set it from their tokenizer). */
CLLM_API int cllm_config_preset(const char *name, cllm_config *out, cllm_error *err);
/* Checks every field's range and consistency; the message names the field. */
CLLM_API int cllm_config_check(const cllm_config *cfg, cllm_error *err);
/* The speedrun options cfg uses, as metadata cllm.arch spells them: "gpt2" when none, else a comma-separated list
 * of relu2, rmsnorm, untied_head, no_bias, zero_init_proj, qk_norm, rope, softcap=CAP. Writes at most cap bytes (NUL
 * included). */
CLLM_API void cllm_config_arch(const cllm_config *cfg, char *out, size_t cap);
/* Sets the options named in arch (cllm_config_arch's form) on cfg; CLLM_ERR_FORMAT naming the first unknown one. */
CLLM_API int cllm_config_arch_parse(cllm_config *cfg, const char *arch, cllm_error *err);
/* Name of a cllm_pos_kind ("learned", ...) and its inverse (-1 when unknown). */
CLLM_API const char *cllm_pos_kind_name(int kind);
CLLM_API int cllm_pos_kind_parse(const char *name);

/* ---------------------------------------------------------------------------------------------------------- */
/* Parameter tensors, in arena order. Per-layer kinds hold all L layers back to back: [L, ...]. */
enum {
    CLLM_P_WTE, CLLM_P_WPE, CLLM_P_LN1W, CLLM_P_LN1B, CLLM_P_QKVW, CLLM_P_QKVB, CLLM_P_ATTPROJW, CLLM_P_ATTPROJB,
    CLLM_P_LN2W, CLLM_P_LN2B, CLLM_P_FCW, CLLM_P_FCB, CLLM_P_FCPROJW, CLLM_P_FCPROJB, CLLM_P_LNFW, CLLM_P_LNFB,
    CLLM_P_PRIMEBIAS, /* [L, NH], empty unless attn_prime_bias */
    CLLM_P_LMHEAD,    /* [V, C], empty unless untied_head */
    CLLM_NUM_PARAM_KINDS
};

/* One named tensor as GPT-2 files name it ("h.3.attn.c_attn.weight"), viewing the model's arenas. */
typedef struct cllm_tensor {
    char name[48];    /* Hugging Face GPT-2 name */
    int ndim;         /* 1 or 2 */
    int64_t shape[2]; /* GPT-2 file shape, e.g. [C, 3C] for c_attn.weight */
    float *data;      /* into the parameter arena */
    float *grad;      /* into the gradient arena (NULL before cllm_model_reserve) */
    size_t offset;    /* element offset in the arena */
    size_t numel;     /* elements */
    int decay;        /* 1 if AdamW weight decay applies (matrices other than wpe) */
    int trainable;    /* 0 for fixed (non-learned) position encodings */
} cllm_tensor;

typedef struct cllm_model cllm_model;

/* Allocates a model with zeroed parameters (one arena); NULL with err on a bad config or no memory. */
CLLM_API cllm_model *cllm_model_new(const cllm_config *cfg, cllm_error *err);
/* Frees everything the model owns; NULL is fine. */
CLLM_API void cllm_model_free(cllm_model *m);
/* The model's configuration. */
CLLM_API const cllm_config *cllm_model_config(const cllm_model *m);
/* Total parameters (elements of the arena), and the arena itself (fp32, arena order). */
CLLM_API size_t cllm_model_num_params(const cllm_model *m);
CLLM_API float *cllm_model_params(cllm_model *m);
/* Gradients (same layout as params), NULL before cllm_model_reserve. */
CLLM_API float *cllm_model_grads(cllm_model *m);
/* The named tensors (L*12 + 4, plus L with attn_prime_bias), in file order. */
CLLM_API int cllm_model_tensor_count(const cllm_model *m);
CLLM_API const cllm_tensor *cllm_model_tensor(const cllm_model *m, int i);
CLLM_API const cllm_tensor *cllm_model_tensor_find(const cllm_model *m, const char *name);

/* GPT-2 initialisation from seed: weights normal(0, 0.02), residual projections 0.02/√(2L), biases 0,
 * LayerNorm weight 1 / bias 0; fixed position encodings filled by their formula. Returns 0, or CLLM_ERR_NOMEM when
 * the spiral features of a crystalline option could not be made (those tensors are then zero, never partial). */
CLLM_API int cllm_model_init_gpt2(cllm_model *m, uint64_t seed);
/* Fills fixed (non-learned) position encodings; call after loading parameters. No-op for LEARNED. Returns 0, or
 * CLLM_ERR_NOMEM (wpe then zero). */
CLLM_API int cllm_model_fill_positions(cllm_model *m);

/* Sizes the activation and gradient arenas for batches up to B×T (T ≤ n_ctx); allocates once. */
CLLM_API int cllm_model_reserve(cllm_model *m, int B, int T, cllm_error *err);
/* Forward pass on B×T ids (B ≤ reserved B, T ≤ reserved T). With targets, returns the mean cross-entropy
 * (nats/token) and prepares cllm_model_backward: the LM head's gradient is formed in the same pass, chunk by chunk,
 * so the B×T×V logits are never stored whole. Without targets (NULL), returns 0 and leaves the logits of each
 * sequence's last position for cllm_model_logits. An id (input or target) outside [0, V) is refused: nothing is
 * computed, NaN is returned and the following cllm_model_backward adds nothing. */
CLLM_API float cllm_model_forward(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T);
/* The same forward with targets for evaluation only: mean loss and per-position losses, none of the gradient work
 * (the LM head costs a third of what it does in cllm_model_forward); cllm_model_backward may not follow it. */
CLLM_API float cllm_model_evaluate(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T);
/* Logits [B,V] of each sequence's last position, after a forward without targets. */
CLLM_API const float *cllm_model_logits(const cllm_model *m);
/* Per-position losses [B,T] of the last forward with targets. */
CLLM_API const float *cllm_model_losses(const cllm_model *m);
/* Zeroes the parameter gradients. */
CLLM_API void cllm_model_zero_grad(cllm_model *m);
/* Backward of the last cllm_model_forward (which had targets), once: ADDS scale·∂(mean loss)/∂θ into the gradients.
 * scale = 1/accumulation_steps gives the gradient of the mean over an accumulated batch. */
CLLM_API void cllm_model_backward(cllm_model *m, float scale);

/* The arithmetic of the matrix products. fp32 everywhere by default. bf16 (training and inference): the linear
 * layers' and the LM head's products take bf16-rounded inputs and sum in fp32 (cllm_gemm_bf16, vdpbf16ps or its
 * exact emulation); parameters, optimizer state, layernorm, softmax, attention, cross-entropy, the residual
 * stream and every other sum stay fp32. int8: generation only (cllm_generator_set_precision). */
typedef enum cllm_precision { CLLM_PRECISION_FP32 = 0, CLLM_PRECISION_BF16 = 1, CLLM_PRECISION_INT8 = 2 } cllm_precision;
/* "fp32", "bf16", "int8". */
CLLM_API const char *cllm_precision_name(cllm_precision precision);
/* The precision named name ("fp32", "bf16", "int8") into *out: 0, or -1 for an unknown name. */
CLLM_API int cllm_precision_parse(const char *name, cllm_precision *out);
/* Sets the model's forward/backward precision (fp32 or bf16; default fp32). 0, or CLLM_ERR_ARG. Files written from
 * the model stay fp32 whatever it is. */
CLLM_API int cllm_model_set_precision(cllm_model *m, cllm_precision precision, cllm_error *err);
/* The precision set on the model. */
CLLM_API cllm_precision cllm_model_precision(const cllm_model *m);
/* How the model was trained (one printable ASCII line; "" when not recorded): the trainer sets it, model files and
 * checkpoints keep it as metadata cllm.trained, `cllm info` shows it. Owned by the model. */
CLLM_API const char *cllm_model_trained(const cllm_model *m);
/* Sets that line (copied, at most 1023 bytes; a byte outside printable ASCII becomes '?'). NULL clears it. */
CLLM_API void cllm_model_set_trained(cllm_model *m, const char *text);

/* ---------------------------------------------------------------------------------------------------------- */
/* AdamW (decoupled weight decay) over the model's trainable tensors; decay only where cllm_tensor.decay.
 * With Muon switched on (cllm_adamw_set_muon), the hidden matrices (h.*.attn.c_attn — Q, K and V apart —,
 * attn.c_proj, mlp.c_fc, mlp.c_proj) take Muon's update instead and keep its momentum in m (v stays 0 there):
 * the checkpoint format is the same for both. Embeddings, the head, gains and biases stay on AdamW. */
typedef struct cllm_adamw {
    float beta1, beta2, eps, weight_decay;
    float *m, *v;  /* first and second moments, one arena each (same layout as params), owned */
    size_t n;      /* elements */
    int64_t step;  /* updates done */
    int muon;            /* 1: Muon on the hidden matrices */
    float muon_lr_scale; /* Muon's learning rate = the step's lr × this (the schedule's lr is AdamW's) */
    float muon_momentum; /* Nesterov momentum (0.95) */
    int muon_ns_steps;   /* Newton–Schulz iterations per update (5) */
    float *muon_work;    /* scratch for the orthogonalisation, owned */
    size_t shard_lo, shard_n; /* sharded (cllm_adamw_shard): m, v hold arena elements [shard_lo, shard_lo + shard_n)
                                 only, and a step updates only those parameters; shard_n 0: all n */
} cllm_adamw;

/* Allocates zeroed moments for m; defaults beta1 0.9, beta2 0.95, eps 1e-8, weight_decay 0.1. */
CLLM_API int cllm_adamw_init(cllm_adamw *opt, const cllm_model *m, cllm_error *err);
CLLM_API void cllm_adamw_free(cllm_adamw *opt);
/* One update at learning rate lr from the model's gradients (of the shard's parameters only, when sharded). */
CLLM_API void cllm_adamw_step(cllm_adamw *opt, cllm_model *m, float lr);
/* ZeRO stage 1: keeps the moments of arena elements [lo, lo + count) only (the values already there are kept), so
 * that N processes each hold 1/N of the optimizer state; the others' parameters are theirs to update. With Muon on
 * (switch it on first), each hidden matrix must lie wholly inside or outside the range: Newton–Schulz needs the
 * whole matrix. CLLM_ERR_ARG for an empty range, one outside the arena or the current shard, or one that cuts a
 * hidden matrix under Muon. */
CLLM_API int cllm_adamw_shard(cllm_adamw *opt, const cllm_model *m, size_t lo, size_t count, cllm_error *err);
/* The bounds of n shards of m's arena for cllm_adamw_shard: bounds[0] = 0 ≤ bounds[1] ≤ … ≤ bounds[n] = the
 * number of parameters, evenly split (bounds[r] = P·r/n), except that under Muon a bound that would cut a hidden
 * matrix moves to the nearer end of it (a shard may then be empty). */
CLLM_API void cllm_adamw_split(const cllm_adamw *opt, const cllm_model *m, int n, size_t *bounds);
/* Switches the hidden matrices to Muon: momentum SGD (Nesterov) whose update is orthogonalised by ns_steps
 * Newton–Schulz iterations and scaled by √max(1, out/in), at lr × lr_scale. Leaves the moments as they are. */
CLLM_API int cllm_adamw_set_muon(cllm_adamw *opt, const cllm_model *m, float lr_scale, float momentum, int ns_steps,
                                 cllm_error *err);
/* Column blocks Muon orthogonalises t in, each on its own (3 for c_attn: Q, K, V); 0 when AdamW updates t. */
CLLM_API int cllm_muon_blocks(const cllm_tensor *t);
/* The speedrun's quintic Newton–Schulz iteration: out [rows, cols] (contiguous) ≈ the orthogonal factor U·Vᵀ of
 * G [rows, cols] (row stride ld), after steps iterations from G/‖G‖_F. work: 2·rows·cols + 2·min(rows, cols)²
 * floats; out may be G when ld == cols. */
CLLM_API void cllm_newton_schulz(const float *G, int rows, int cols, int ld, int steps, float *out, float *work);
/* The same iteration with each product's inputs rounded to bf16 and summed in fp32 (cllm_gemm_bf16): what
 * cllm_adamw_step runs when the model's precision is bf16. */
CLLM_API void cllm_newton_schulz_bf16(const float *G, int rows, int cols, int ld, int steps, float *out,
                                      float *work);
/* Global L2 norm of the gradients; if max_norm > 0 and the norm exceeds it, scales them to max_norm.
 * Returns the norm before clipping. */
CLLM_API float cllm_clip_grad_norm(cllm_model *m, float max_norm);
/* Learning rate at step (0-based): linear warmup over `warmup` steps to lr_max, then cosine to lr_min at
 * `total` steps (and lr_min after). The same as cllm_lr_at with a COSINE plan counted in steps. */
CLLM_API float cllm_lr_schedule(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min);

/* The shape of the learning rate after warmup. COSINE: GPT-2's half cosine from the peak to the floor over the
 * run. WSD (warmup-stable-decay, the public speedrun's warm-down): the peak held, then a straight line to the
 * floor over the run's last `warmdown` share. */
typedef enum cllm_schedule_kind { CLLM_SCHEDULE_COSINE = 0, CLLM_SCHEDULE_WSD = 1 } cllm_schedule_kind;

/* A run's learning-rate schedule, in the run's own units: steps, or seconds of a time budget. */
typedef struct cllm_lr_plan {
    cllm_schedule_kind kind;
    int64_t warmup;       /* linear warmup over the first `warmup` steps (always counted in steps) */
    double total;         /* the run's length: the decay reaches lr_min there */
    double start;         /* COSINE starts falling here (the warmup's end in steps; 0 on a clock); WSD not before */
    double warmdown;      /* WSD: the share of total the decay takes, (0, 1] */
    float lr_max, lr_min; /* peak and floor */
} cllm_lr_plan;

/* Learning rate of step `step` (0-based) taken when `done` units of plan->total have passed (done = step when
 * counted in steps): COSINE lr_min + ½(lr_max − lr_min)(1 + cos π·(done − start)/(total − start)); WSD lr_max
 * until max(start, (1 − warmdown)·total), then linear to lr_min at total; lr_min from total on. Times
 * (step + 1)/warmup during warmup. */
CLLM_API float cllm_lr_at(const cllm_lr_plan *plan, int64_t step, double done);

/* ---------------------------------------------------------------------------------------------------------- */
/* A small deterministic random generator (xoshiro256**): the whole state is 4 words, saved in checkpoints. */
typedef struct cllm_rng { uint64_t s[4]; } cllm_rng;
CLLM_API void cllm_rng_seed(cllm_rng *r, uint64_t seed);
CLLM_API uint64_t cllm_rng_next(cllm_rng *r);
/* Uniform in [0, 1). */
CLLM_API double cllm_rng_uniform(cllm_rng *r);
/* Standard normal (Box–Muller, one value per call). */
CLLM_API double cllm_rng_normal(cllm_rng *r);

#ifdef __cplusplus
}
#endif

#endif
