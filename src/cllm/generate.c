/* generate.c — incremental inference with a KV cache (one token at a time), and sampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_generate.h"
#include "cllm_simd.h"
#include "internal.h"

typedef struct candidate { float p; int id; } candidate;

struct cllm_generator {
    const cllm_model *model;
    cllm_config cfg;
    const float *p[CLLM_NUM_PARAM_KINDS]; /* parameter views (model arena) */
    float *k_cache, *v_cache;             /* [L, n_ctx, C]: keys and values of every cached position */
    int len;                              /* cached positions */
    int *history;                         /* the cached tokens [n_ctx], to re-feed when the window slides */
    float *x, *ln, *qkv, *att, *atty, *tmp, *fch, *logits; /* one position's activations */
    candidate *cand;                      /* [V] sampling scratch */
    uint8_t *is_prime;                    /* [n_ctx] for the prime-distance option */
};

cllm_generator *cllm_generator_new(const cllm_model *model, cllm_error *err) {
    cllm_generator *g = calloc(1, sizeof *g);
    if (!g) { cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the generator"); return NULL; }
    g->model = model;
    g->cfg = *cllm_model_config(model);
    size_t sizes[CLLM_NUM_PARAM_KINDS];
    cllm_param_sizes(&g->cfg, sizes);
    cllm_carve(cllm_model_params((cllm_model *)model), sizeof(float), sizes, CLLM_NUM_PARAM_KINDS, (void **)g->p);
    size_t L = g->cfg.n_layer, T = g->cfg.n_ctx, C = g->cfg.n_embd, V = g->cfg.vocab_size;
    g->k_cache = malloc((L * T * C + 1) * sizeof(float));
    g->v_cache = malloc((L * T * C + 1) * sizeof(float));
    g->history = malloc(T * sizeof(int));
    g->x = malloc(C * sizeof(float));
    g->ln = malloc(C * sizeof(float));
    g->qkv = malloc(3 * C * sizeof(float));
    g->att = malloc(T * sizeof(float));
    g->atty = malloc(C * sizeof(float));
    g->tmp = malloc(C * sizeof(float));
    g->fch = malloc(4 * C * sizeof(float));
    g->logits = malloc(V * sizeof(float));
    g->cand = malloc(V * sizeof *g->cand);
    g->is_prime = malloc(T);
    if (g->is_prime) cllm_prime_table(g->is_prime, (int)T);
    if (!g->is_prime || !g->k_cache || !g->v_cache || !g->history || !g->x || !g->ln || !g->qkv || !g->att || !g->atty ||
        !g->tmp || !g->fch || !g->logits || !g->cand) {
        cllm_generator_free(g);
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the KV cache");
        return NULL;
    }
    return g;
}

void cllm_generator_free(cllm_generator *g) {
    if (!g) return;
    free(g->k_cache); free(g->v_cache); free(g->history); free(g->x); free(g->ln); free(g->qkv);
    free(g->att); free(g->atty); free(g->tmp); free(g->fch); free(g->logits); free(g->cand);
    free(g->is_prime);
    free(g);
}

int cllm_generator_length(const cllm_generator *g) { return g->len; }
void cllm_generator_reset(cllm_generator *g) { g->len = 0; }

static void layernorm(float *out, const float *x, const float *w, const float *b, int C) {
    float m = 0, v = 0;
    for (int c = 0; c < C; c++) m += x[c];
    m /= C;
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    v /= C;
    float s = 1.0f / sqrtf(v + 1e-5f);
    for (int c = 0; c < C; c++) out[c] = (x[c] - m) * s * w[c] + b[c];
}

/* out[OC] = x[C] · w[C,OC] + bias */
static void linear(float *out, const float *x, const float *w, const float *bias, int C, int OC) {
    cllm_sgemm(0, 0, 1, OC, C, 1.0f, x, C, w, OC, 0.0f, out, OC);
    for (int o = 0; o < OC; o++) out[o] += bias[o];
}

/* The forward of one token at position pos = g->len; appends its k, v to the cache. */
static const float *forward_one(cllm_generator *g, int token) {
    int L = g->cfg.n_layer, NH = g->cfg.n_head, C = g->cfg.n_embd, V = g->cfg.vocab_size, T = g->cfg.n_ctx;
    int hs = C / NH, pos = g->len;
    float scale = 1.0f / sqrtf((float)hs);
    const float *const *p = g->p;
    for (int c = 0; c < C; c++) g->x[c] = p[CLLM_P_WTE][(size_t)token * C + c] + p[CLLM_P_WPE][(size_t)pos * C + c];
    for (int l = 0; l < L; l++) {
        float *kc = g->k_cache + (size_t)l * T * C, *vc = g->v_cache + (size_t)l * T * C;
        layernorm(g->ln, g->x, p[CLLM_P_LN1W] + l * C, p[CLLM_P_LN1B] + l * C, C);
        linear(g->qkv, g->ln, p[CLLM_P_QKVW] + (size_t)l * C * 3 * C, p[CLLM_P_QKVB] + l * 3 * C, C, 3 * C);
        memcpy(kc + (size_t)pos * C, g->qkv + C, C * sizeof(float));
        memcpy(vc + (size_t)pos * C, g->qkv + 2 * C, C * sizeof(float));
        for (int h = 0; h < NH; h++) {
            const float *q = g->qkv + h * hs;
            float maxv = -INFINITY, sum = 0;
            float bias = g->cfg.attn_prime_bias ? p[CLLM_P_PRIMEBIAS][l * NH + h] : 0.0f;
            for (int t = 0; t <= pos; t++) {
                g->att[t] = cllm_dot(q, kc + (size_t)t * C + h * hs, hs) * scale + (g->is_prime[pos - t] ? bias : 0.0f);
                if (g->att[t] > maxv) maxv = g->att[t];
            }
            for (int t = 0; t <= pos; t++) { g->att[t] = expf(g->att[t] - maxv); sum += g->att[t]; }
            float *y = g->atty + h * hs;
            memset(y, 0, hs * sizeof(float));
            for (int t = 0; t <= pos; t++) cllm_axpy(g->att[t] / sum, vc + (size_t)t * C + h * hs, y, hs);
        }
        linear(g->tmp, g->atty, p[CLLM_P_ATTPROJW] + (size_t)l * C * C, p[CLLM_P_ATTPROJB] + l * C, C, C);
        for (int c = 0; c < C; c++) g->x[c] += g->tmp[c];
        layernorm(g->ln, g->x, p[CLLM_P_LN2W] + l * C, p[CLLM_P_LN2B] + l * C, C);
        linear(g->fch, g->ln, p[CLLM_P_FCW] + (size_t)l * C * 4 * C, p[CLLM_P_FCB] + l * 4 * C, C, 4 * C);
        for (int i = 0; i < 4 * C; i++) {
            float x = g->fch[i];
            g->fch[i] = 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        }
        linear(g->tmp, g->fch, p[CLLM_P_FCPROJW] + (size_t)l * 4 * C * C, p[CLLM_P_FCPROJB] + l * C, 4 * C, C);
        for (int c = 0; c < C; c++) g->x[c] += g->tmp[c];
    }
    layernorm(g->ln, g->x, p[CLLM_P_LNFW], p[CLLM_P_LNFB], C);
    cllm_sgemm(0, 1, 1, V, C, 1.0f, g->ln, C, p[CLLM_P_WTE], C, 0.0f, g->logits, V);
    g->history[pos] = token;
    g->len++;
    return g->logits;
}

const float *cllm_generator_push(cllm_generator *g, int token) {
    int T = g->cfg.n_ctx;
    if (token < 0 || token >= g->cfg.vocab_size) token = 0; /* ids come from our tokenizer; never index out */
    if (g->len == T) {
        /* slide: keep the newest 3/4 of the window (at least 1 token), recompute their cache */
        int keep = T - T / 4 - 1;
        if (keep < 0) keep = 0;
        int start = T - keep;
        memmove(g->history, g->history + start, keep * sizeof(int));
        g->len = 0;
        for (int i = 0; i < keep; i++) forward_one(g, g->history[i]);
    }
    return forward_one(g, token);
}

static int by_prob_desc(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id); /* ties: lower id first, so sampling is deterministic */
}

int cllm_sample(cllm_generator *g, const float *logits, const cllm_sample_params *sp, cllm_rng *rng) {
    int V = g->cfg.vocab_size;
    if (sp->temperature <= 0.0f) {
        int best = 0;
        for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
        return best;
    }
    float maxv = logits[0];
    for (int v = 1; v < V; v++) if (logits[v] > maxv) maxv = logits[v];
    double sum = 0;
    for (int v = 0; v < V; v++) {
        g->cand[v].p = expf((logits[v] - maxv) / sp->temperature);
        g->cand[v].id = v;
        sum += g->cand[v].p;
    }
    int n = V;
    if ((sp->top_k > 0 && sp->top_k < V) || sp->top_p < 1.0f) {
        qsort(g->cand, V, sizeof *g->cand, by_prob_desc);
        if (sp->top_k > 0 && sp->top_k < n) n = sp->top_k;
        double kept = 0;
        for (int i = 0; i < n; i++) kept += g->cand[i].p;
        if (sp->top_p < 1.0f) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += g->cand[i].p;
                if (acc >= sp->top_p * kept) { n = i + 1; break; }
            }
        }
        sum = 0;
        for (int i = 0; i < n; i++) sum += g->cand[i].p;
    }
    double r = cllm_rng_uniform(rng) * sum, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += g->cand[i].p;
        if (r < acc) return g->cand[i].id;
    }
    return g->cand[n - 1].id;
}
