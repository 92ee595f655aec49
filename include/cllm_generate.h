/* cllm_generate.h — token-by-token inference with a KV cache, and the samplers.
 *
 *     cllm_generator *g = cllm_generator_new(model, &err);
 *     const float *logits = cllm_generator_feed(g, prompt, n_prompt);   // the prompt, through the cache
 *     int next = cllm_sample(g, logits, &params, &rng);
 *     logits = cllm_generator_push(g, next);                              // then one token at a time
 */
#ifndef CLLM_GENERATE_H
#define CLLM_GENERATE_H

#include "cllm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cllm_generator cllm_generator;

typedef struct cllm_sample_params {
    float temperature; /* 0 = greedy (argmax) */
    int top_k;         /* keep the k most likely (0 = all) */
    float top_p;       /* nucleus: smallest set with probability ≥ top_p (1 = all) */
} cllm_sample_params;

/* A generator over model (borrowed; must outlive it): KV cache [L, n_ctx, C] ×2 and scratch, allocated once. */
CLLM_API cllm_generator *cllm_generator_new(const cllm_model *model, cllm_error *err);
CLLM_API void cllm_generator_free(cllm_generator *g);
/* Tokens in the cache (the next token's position). */
CLLM_API int cllm_generator_length(const cllm_generator *g);
/* Empties the cache. */
CLLM_API void cllm_generator_reset(cllm_generator *g);
/* Appends one token at the next position and returns the logits [V] for the token after it (owned by g, valid
 * until the next call). When the cache is full, the oldest tokens are dropped and the last 3/4·n_ctx are
 * re-fed first, so generation can go on indefinitely. NULL, with the cache untouched, when token is outside [0, V). */
CLLM_API const float *cllm_generator_push(cllm_generator *g, int token);
/* Appends tokens[0..n) as n pushes would and returns the logits after the last (NULL, with the cache untouched, if
 * n < 1 or any id is outside [0, V)). Up to 64
 * positions go through each layer together as matrix products, several times faster per token than pushing; the
 * logits equal the pushes' up to rounding (the full forward's summation order instead of the matrix-vector one).
 * A sliding window re-feeds its kept tokens this way too. */
CLLM_API const float *cllm_generator_feed(cllm_generator *g, const int32_t *tokens, int n);
/* The arithmetic of the generator's matrix products (default fp32, the model's own weights). bf16: weights (and
 * each token's activations) rounded to bf16, fp32 sums (cllm_gemv_bf16); int8: weights quantised to Q8_0 blocks
 * (cllm_gemv_q8), a quarter of the bytes. The low-bit copies of the weights are made here, once, and owned by g;
 * attention, layernorm and the KV cache stay fp32. Empties the cache. 0, or CLLM_ERR_NOMEM / CLLM_ERR_ARG. */
CLLM_API int cllm_generator_set_precision(cllm_generator *g, cllm_precision precision, cllm_error *err);
/* Picks the next token from logits [V] per params; uses g's scratch (no allocation). */
CLLM_API int cllm_sample(cllm_generator *g, const float *logits, const cllm_sample_params *params, cllm_rng *rng);

/* Called with each sampled token's bytes (len may be 0); return nonzero to stop after this token. */
typedef int (*cllm_token_fn)(void *ctx, int id, const uint8_t *bytes, size_t len);
/* The sampling loop of `cllm generate` / `cllm chat` and the app's chat: from logits (the generator's state after
 * the prompt), samples up to max_tokens tokens, pushing each into g and handing its bytes to on_token; stops at
 * <|endoftext|> (not pushed), when on_token asks, or — with stop_at_newline — after a token holding a newline
 * (not the first). Returns the tokens produced. tok: the model's tokenizer (cllm_tokenizer.h). */
struct cllm_tokenizer;
CLLM_API long cllm_generate_tokens(cllm_generator *g, const struct cllm_tokenizer *tok, const float *logits,
                                   const cllm_sample_params *params, cllm_rng *rng, long max_tokens,
                                   int stop_at_newline, cllm_token_fn on_token, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
