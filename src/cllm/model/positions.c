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

/* Spiral features of count ranks into out [count, C], scaled; on failure (out of memory for the frequencies or
 * the primes) out is zeroed, never left partial, and the error code returned. */
static int spiral_fill(pm_spiral kind, pm_index_map map, size_t count, size_t C, float *out) {
    int rc = pm_spiral_features(kind, map, count, C, out, NULL);
    if (rc) memset(out, 0, count * C * sizeof *out);
    else scale_to_rms(out, count * C, CLLM_EMBED_RMS);
    return rc;
}

int cllm_positions_fill(const cllm_config *cfg, float *wpe) {
    size_t T = (size_t)cfg->n_ctx, C = (size_t)cfg->n_embd;
    /* position t ↦ the integer t+1 (or the (t+1)-th prime) on a spiral, as sinusoidal features of (x, y) */
    switch (cfg->pos_kind) {
    case CLLM_POS_SINUSOIDAL: fill_sinusoidal(wpe, cfg->n_ctx, cfg->n_embd); scale_to_rms(wpe, T * C, CLLM_EMBED_RMS); return 0;
    case CLLM_POS_SPIRAL: return spiral_fill(PM_SPIRAL_ULAM, PM_INDEX_NATURAL, T, C, wpe);
    case CLLM_POS_CLOCK: return spiral_fill(PM_SPIRAL_CLOCK, PM_INDEX_NATURAL, T, C, wpe);
    case CLLM_POS_PRIME: return spiral_fill(PM_SPIRAL_ULAM, PM_INDEX_PRIME, T, C, wpe);
    default: return 0; /* learned: the parameters are the encoding */
    }
}

int cllm_embed_init_lattice(const cllm_config *cfg, float *wte) {
    /* token id v ↦ the (v+1)-th prime on the Ulam spiral, as sinusoidal features of its (x, y) */
    return spiral_fill(PM_SPIRAL_ULAM, PM_INDEX_PRIME, (size_t)cfg->vocab_size, (size_t)cfg->n_embd, wte);
}
