/* positions.c — fixed (parameter-free) position encodings: the alternatives to GPT-2's learned wpe. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Transformer sinusoids: wpe[t, 2i] = sin(t / 10000^(2i/C)), wpe[t, 2i+1] = cos(same). */
static void fill_sinusoidal(float *wpe, int T, int C) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++) {
            double freq = pow(10000.0, -(double)(i / 2 * 2) / C);
            wpe[(size_t)t * C + i] = (float)(i % 2 == 0 ? sin(t * freq) : cos(t * freq));
        }
}

void cllm_positions_fill(const cllm_config *cfg, float *wpe) {
    switch (cfg->pos_kind) {
    case CLLM_POS_SINUSOIDAL: fill_sinusoidal(wpe, cfg->n_ctx, cfg->n_embd); break;
    default: break; /* learned: the parameters are the encoding */
    }
}
