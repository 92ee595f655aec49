/* sample_loop.c — the one sampling loop every front end streams through (cllm generate/chat, the app's chat). */
#include <string.h>

#include "cllm_generate.h"
#include "cllm_tokenizer.h"

long cllm_generate_tokens(cllm_generator *g, const cllm_tokenizer *tok, const float *logits,
                          const cllm_sample_params *params, cllm_rng *rng, long max_tokens, int stop_at_newline,
                          cllm_token_fn on_token, void *ctx) {
    int eot = cllm_tokenizer_eot(tok);
    long produced = 0;
    for (long i = 0; logits && i < max_tokens; i++) {
        int id = cllm_sample(g, logits, params, rng);
        if (id == eot) break;
        size_t len = 0;
        const uint8_t *b = cllm_tokenizer_token_bytes(tok, id, &len); /* NULL past the tokenizer's ids */
        logits = cllm_generator_push(g, id);
        produced++;
        if (on_token && on_token(ctx, id, b, b ? len : 0)) break;
        if (stop_at_newline && b && len > 0 && memchr(b, '\n', len) && i > 0) break;
    }
    return produced;
}
