/* tiny_forward.c — a program outside the tree using libcllm: a tiny GPT-2 with random initialisation, one forward
 * pass with targets, then one training step. Build against an installed libcllm:
 *     cc tiny_forward.c $(pkg-config --cflags --libs cllm) -o tiny_forward && ./tiny_forward
 * Prints the loss before and after the step; exits 1 if the first is not about ln(V) (what an untrained model
 * scores) or the step does not lower it. */
#include <math.h>
#include <stdio.h>

#include "cllm.h"

int main(void) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 32, .n_ctx = 16, .vocab_size = 64};
    enum { B = 2, T = 16 };
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    if (!m || cllm_model_reserve(m, B, T, &err)) {
        fprintf(stderr, "tiny_forward: %s\n", err.msg);
        return 1;
    }
    cllm_model_init_gpt2(m, 1234);
    int32_t inputs[B * T], targets[B * T];
    for (int i = 0; i < B * T; i++) { /* a repeating pattern: the next id is the current one plus 1 */
        inputs[i] = i % cfg.vocab_size;
        targets[i] = (i + 1) % cfg.vocab_size;
    }
    cllm_adamw opt;
    if (cllm_adamw_init(&opt, m, &err)) {
        fprintf(stderr, "tiny_forward: %s\n", err.msg);
        return 1;
    }
    cllm_model_zero_grad(m);
    float before = cllm_model_forward(m, inputs, targets, B, T);
    cllm_model_backward(m, 1.0f);
    cllm_adamw_step(&opt, m, 1e-2f);
    float after = cllm_model_evaluate(m, inputs, targets, B, T);
    printf("libcllm %s: loss %.4f -> %.4f after one step (ln V = %.4f)\n", cllm_version(), before, after,
           log(cfg.vocab_size));
    int ok = fabs(before - log(cfg.vocab_size)) < 0.5 && after < before;
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    return ok ? 0 : 1;
}
