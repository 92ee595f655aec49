/* positions.c — fixed (parameter-free) position encodings and the lattice embedding init: the crystalline
 * alternatives to GPT-2's learned wpe and normal(0.02) wte. Definitions: docs/crystalline.md. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "primemath.h"

/* Every fixed encoding is scaled to RMS 0.02, the spread GPT-2's learned embeddings start with, so that it
 * neither drowns nor vanishes next to the token embedding. */
#define CLLM_EMBED_RMS 0.02

static void scale_to_rms(float *x, size_t n, double rms) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
    double k = ss > 0 ? rms / sqrt(ss / (double)n) : 0;
    for (size_t i = 0; i < n; i++) x[i] = (float)(x[i] * k);
}

/* Transformer sinusoids: wpe[t, 2i] = sin(t / 10000^(2i/C)), wpe[t, 2i+1] = cos(same). */
static void fill_sinusoidal(float *wpe, int T, int C) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C; i++) {
            double freq = pow(10000.0, -(double)(i / 2 * 2) / C);
            wpe[(size_t)t * C + i] = (float)(i % 2 == 0 ? sin(t * freq) : cos(t * freq));
        }
}

void cllm_positions_fill(const cllm_config *cfg, float *wpe) {
    size_t n = (size_t)cfg->n_ctx * cfg->n_embd;
    switch (cfg->pos_kind) {
    case CLLM_POS_SINUSOIDAL: fill_sinusoidal(wpe, cfg->n_ctx, cfg->n_embd); break;
    /* position t ↦ the integer t+1 (or the (t+1)-th prime) on a spiral, as sinusoidal features of (x, y).
     * The arguments were checked by cllm_config_check (n_embd % 4 == 0), so these calls cannot fail. */
    case CLLM_POS_SPIRAL: pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, cfg->n_ctx, cfg->n_embd, wpe, NULL); break;
    case CLLM_POS_CLOCK: pm_spiral_features(PM_SPIRAL_CLOCK, PM_INDEX_NATURAL, cfg->n_ctx, cfg->n_embd, wpe, NULL); break;
    case CLLM_POS_PRIME: pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_PRIME, cfg->n_ctx, cfg->n_embd, wpe, NULL); break;
    default: return; /* learned: the parameters are the encoding */
    }
    scale_to_rms(wpe, n, CLLM_EMBED_RMS);
}

void cllm_embed_init_lattice(const cllm_config *cfg, float *wte) {
    /* token id v ↦ the (v+1)-th prime on the Ulam spiral, as sinusoidal features of its (x, y) */
    pm_spiral_features(PM_SPIRAL_ULAM, PM_INDEX_PRIME, cfg->vocab_size, cfg->n_embd, wte, NULL);
    scale_to_rms(wte, (size_t)cfg->vocab_size * cfg->n_embd, CLLM_EMBED_RMS);
}
