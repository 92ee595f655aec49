/* generate.c — incremental inference with a KV cache (a token at a time, or a prompt in chunks), and sampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_generate.h"
#include "cllm_simd.h"
#include "model/internal.h"
#include "model/ops.h"

typedef struct candidate { float p; int id; } candidate;

/* Positions fed through the layers together (a prompt, or the suffix re-fed when the window slides): their
 * products are matrix products with M = CHUNK rows, far faster per token than CHUNK matrix-vector ones. */
enum { CHUNK = 64 };

struct cllm_generator {
    const cllm_model *model;
    cllm_config cfg;
    const cllm_params *p;                 /* the model's parameters */
    float *k_cache, *v_cache;             /* [L, n_ctx, C]: keys and values of every cached position */
    int len;                              /* cached positions */
    int *history;                         /* the cached tokens [n_ctx], to re-feed when the window slides */
    float *x, *ln, *qkv, *atty, *tmp, *fch; /* up to CHUNK positions' activations: [CHUNK, C], qkv 3C, fch 4C */
    float *logits;                        /* [V] after the last position fed */
    float *ln_stats;                      /* [2, CHUNK] the layernorms' row means and 1/std (unused) */
    float *att, *att_sum;                 /* [NH, n_ctx] attention weights and [NH] their sums */
    candidate *cand;                      /* [V] sampling scratch */
    uint8_t *is_prime;                    /* [n_ctx] for the prime-distance option */
    float *rope;                          /* [n_ctx, hs] rotary cos | sin by position (rope_table); NULL without */
    cllm_precision precision;             /* of the products below; fp32 reads the model's weights */
    cllm_bf16_panels *bf16;               /* [4L + 1] bf16: qkv, attproj, fc, fcproj of each layer, then the head */
    cllm_q8_matrix *q8;                   /* [4L + 1] int8: the same products */
};

/* The low-bit weight slots: 4 per layer, then the LM head. */
enum { SLOT_QKV, SLOT_ATTPROJ, SLOT_FC, SLOT_FCPROJ, SLOTS_PER_LAYER };

cllm_generator *cllm_generator_new(const cllm_model *model, cllm_error *err) {
    cllm_generator *g = calloc(1, sizeof *g);
    if (!g) { cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the generator"); return NULL; }
    g->model = model;
    g->cfg = *cllm_model_config(model);
    g->p = cllm_model_weights(model);
    size_t L = g->cfg.n_layer, T = g->cfg.n_ctx, C = g->cfg.n_embd, V = g->cfg.vocab_size;
    g->k_cache = malloc((L * T * C + 1) * sizeof(float));
    g->v_cache = malloc((L * T * C + 1) * sizeof(float));
    g->history = malloc(T * sizeof(int));
    g->x = malloc(CHUNK * C * sizeof(float));
    g->ln = malloc(CHUNK * C * sizeof(float));
    g->qkv = malloc(CHUNK * 3 * C * sizeof(float));
    g->att = malloc((size_t)g->cfg.n_head * T * sizeof(float));
    g->att_sum = malloc((size_t)g->cfg.n_head * sizeof(float));
    g->atty = malloc(CHUNK * C * sizeof(float));
    g->tmp = malloc(CHUNK * C * sizeof(float));
    g->fch = malloc(CHUNK * 4 * C * sizeof(float));
    g->logits = malloc(V * sizeof(float));
    g->ln_stats = malloc(2 * CHUNK * sizeof(float));
    g->cand = malloc(V * sizeof *g->cand);
    g->is_prime = malloc(T);
    if (g->is_prime) cllm_prime_table(g->is_prime, (int)T);
    size_t hs = C / (size_t)g->cfg.n_head;
    if (g->cfg.rope && (g->rope = malloc(T * hs * sizeof(float)))) rope_table_f32(g->rope, (int)T, (int)hs);
    if (!g->is_prime || !g->k_cache || !g->v_cache || !g->history || !g->x || !g->ln || !g->qkv || !g->att ||
        !g->att_sum || !g->atty || !g->tmp || !g->fch || !g->logits || !g->cand || !g->ln_stats ||
        (g->cfg.rope && !g->rope)) {
        cllm_generator_free(g);
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the KV cache");
        return NULL;
    }
    return g;
}

static void lowbit_free(cllm_generator *g) {
    int slots = g->cfg.n_layer * SLOTS_PER_LAYER + 1;
    for (int i = 0; i < slots && g->bf16; i++) cllm_bf16_panels_free(&g->bf16[i]);
    for (int i = 0; i < slots && g->q8; i++) cllm_q8_free(&g->q8[i]);
    free(g->bf16);
    free(g->q8);
    g->bf16 = NULL;
    g->q8 = NULL;
    g->precision = CLLM_PRECISION_FP32;
}

/* Slot i's weight as op(W) [K, N]: a Conv1D [in, out] of layer i / 4, or (the last slot) the tied head, wte [V, C]
 * read transposed. */
static void slot_weight(const cllm_generator *g, int i, const float **w, int *trans, int *K, int *N) {
    int C = g->cfg.n_embd, l = i / SLOTS_PER_LAYER;
    const cllm_params *p = g->p;
    *trans = 0;
    if (l == g->cfg.n_layer) { /* the head: wte, or lm_head when untied */
        *w = g->cfg.untied_head ? p->lmhead : p->wte, *trans = 1, *K = C, *N = g->cfg.vocab_size;
        return;
    }
    switch (i - l * SLOTS_PER_LAYER) {
    case SLOT_QKV: *w = p->qkvw + (size_t)l * C * 3 * C, *K = C, *N = 3 * C; return;
    case SLOT_ATTPROJ: *w = p->attprojw + (size_t)l * C * C, *K = C, *N = C; return;
    case SLOT_FC: *w = p->fcw + (size_t)l * C * 4 * C, *K = C, *N = 4 * C; return;
    default: *w = p->fcprojw + (size_t)l * 4 * C * C, *K = 4 * C, *N = C; return;
    }
}

int cllm_generator_set_precision(cllm_generator *g, cllm_precision precision, cllm_error *err) {
    if (precision != CLLM_PRECISION_FP32 && precision != CLLM_PRECISION_BF16 && precision != CLLM_PRECISION_INT8)
        return cllm_error_set(err, CLLM_ERR_ARG, "unknown precision %d", (int)precision);
    lowbit_free(g);
    g->len = 0;
    if (precision == CLLM_PRECISION_FP32) return 0;
    int slots = g->cfg.n_layer * SLOTS_PER_LAYER + 1, bad = 0;
    if (precision == CLLM_PRECISION_BF16) bad = !(g->bf16 = calloc((size_t)slots, sizeof *g->bf16));
    else bad = !(g->q8 = calloc((size_t)slots, sizeof *g->q8));
    for (int i = 0; i < slots && !bad; i++) {
        const float *w;
        int trans, K, N;
        slot_weight(g, i, &w, &trans, &K, &N);
        bad = precision == CLLM_PRECISION_BF16 ? cllm_bf16_panels_init(&g->bf16[i], trans, K, N, w, trans ? K : N)
                                               : cllm_q8_init(&g->q8[i], trans, K, N, w, trans ? K : N);
    }
    g->precision = precision;
    if (bad) {
        lowbit_free(g);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the %s weights", cllm_precision_name(precision));
    }
    return 0;
}

void cllm_generator_free(cllm_generator *g) {
    if (!g) return;
    lowbit_free(g);
    free(g->k_cache); free(g->v_cache); free(g->history); free(g->x); free(g->ln); free(g->qkv);
    free(g->att); free(g->att_sum); free(g->atty); free(g->tmp); free(g->fch); free(g->logits); free(g->cand);
    free(g->ln_stats);
    free(g->is_prime);
    free(g->rope);
    free(g);
}

int cllm_generator_length(const cllm_generator *g) { return g->len; }
void cllm_generator_reset(cllm_generator *g) { g->len = 0; }

/* out[n, C] = the training forward's layernorm (or RMSNorm, with the option) of x[n, C] (on this thread; the row
 * statistics are scratch). */
static void layernorm(cllm_generator *g, float *out, const float *x, const float *w, const float *b, int n) {
    if (g->cfg.rmsnorm) rmsnorm_forward_serial_f32(out, g->ln_stats + CHUNK, x, w, n, g->cfg.n_embd);
    else layernorm_forward_serial_f32(out, g->ln_stats, g->ln_stats + CHUNK, x, w, b, n, g->cfg.n_embd);
}

/* out[n, OC] = x[n, C] · w[C, OC] + bias; at bf16 or int8, w's low-bit copy in `slot`, one row at a time. At
 * fp32 one row takes the matrix-vector path, more rows the training forward's matmul (the full forward's
 * rounding). */
static void linear(const cllm_generator *g, int slot, float *out, const float *x, const float *w, const float *bias,
                   int n, int C, int OC) {
    for (int i = 0; i < n && g->precision != CLLM_PRECISION_FP32; i++) {
        if (g->precision == CLLM_PRECISION_BF16) cllm_gemv_bf16(&g->bf16[slot], x + (size_t)i * C, bias, out + (size_t)i * OC);
        else cllm_gemv_q8(&g->q8[slot], x + (size_t)i * C, bias, out + (size_t)i * OC);
    }
    if (g->precision != CLLM_PRECISION_FP32) return;
    if (n == 1) cllm_sgemv(C, OC, x, w, OC, bias, out);
    else matmul_forward_f32(out, x, w, bias, n, C, OC, 0);
}

/* Causal attention of the token at pos (q: its row of qkv) over layer l's cache, all heads → out [C]. The loops
 * run over positions outermost, so each cached k and v row (all heads, C floats) is read once, in order; per
 * head, the dots and the weighted sum over t are the same calls in the same order as one head at a time. */
static void attend(cllm_generator *g, int l, int pos, const float *q, float *out) {
    int NH = g->cfg.n_head, C = g->cfg.n_embd, T = g->cfg.n_ctx, hs = C / NH;
    const float *kc = g->k_cache + (size_t)l * T * C, *vc = g->v_cache + (size_t)l * T * C;
    float scale = 1.0f / sqrtf((float)hs), *att = g->att; /* att[h·T + t] */
    const float *bias = g->cfg.attn_prime_bias ? g->p->prime_bias + l * NH : NULL;
    for (int t = 0; t <= pos; t++) {
        const float *k = kc + (size_t)t * C;
        float b = 0.0f;
        for (int h = 0; h < NH; h++) {
            if (bias) b = g->is_prime[pos - t] ? bias[h] : 0.0f;
            att[h * T + t] = cllm_dot(q + h * hs, k + h * hs, hs) * scale + b;
        }
    }
    for (int h = 0; h < NH; h++) {
        float *a = att + h * T, maxv = -INFINITY, sum = 0;
        for (int t = 0; t <= pos; t++) if (a[t] > maxv) maxv = a[t];
        for (int t = 0; t <= pos; t++) { a[t] = expf(a[t] - maxv); sum += a[t]; }
        g->att_sum[h] = sum;
    }
    memset(out, 0, C * sizeof(float));
    for (int t = 0; t <= pos; t++) {
        const float *v = vc + (size_t)t * C;
        for (int h = 0; h < NH; h++) cllm_axpy(att[h * T + t] / g->att_sum[h], v + h * hs, out + h * hs, hs);
    }
}

/* The forward of n <= CHUNK tokens at positions len .. len+n-1 (which must fit in n_ctx): appends their k, v to
 * the cache; with want_logits, the logits of the last one into g->logits. */
static void forward_rows(cllm_generator *g, const int *tokens, int n, int want_logits) {
    int L = g->cfg.n_layer, C = g->cfg.n_embd, V = g->cfg.vocab_size, T = g->cfg.n_ctx, pos = g->len;
    int nb = !g->cfg.no_bias; /* no biases: the training forward skips them too */
    const cllm_params *p = g->p;
    for (int i = 0; i < n; i++) {
        const float *we = p->wte + (size_t)tokens[i] * C, *pe = p->wpe + (size_t)(pos + i) * C;
        for (int c = 0; c < C; c++) g->x[i * C + c] = g->rope ? we[c] : we[c] + pe[c]; /* rope: wpe unused */
    }
    for (int l = 0; l < L; l++) {
        float *kc = g->k_cache + (size_t)l * T * C, *vc = g->v_cache + (size_t)l * T * C;
        layernorm(g, g->ln, g->x, p->ln1w + l * C, p->ln1b + l * C, n);
        linear(g, l * SLOTS_PER_LAYER + SLOT_QKV, g->qkv, g->ln, p->qkvw + (size_t)l * C * 3 * C,
               nb ? p->qkvb + l * 3 * C : NULL, n, C, 3 * C);
        /* the training forward's q and k: QK-norm, then each row rotated at its own position; the cache keeps k so */
        if (g->cfg.qk_norm) qknorm_forward_serial_f32(g->qkv, n, C, g->cfg.n_head);
        if (g->rope) rope_forward_serial_f32(g->qkv, g->rope, n, T, pos, C, g->cfg.n_head);
        for (int i = 0; i < n; i++) {
            memcpy(kc + (size_t)(pos + i) * C, g->qkv + (i * 3 + 1) * C, C * sizeof(float));
            memcpy(vc + (size_t)(pos + i) * C, g->qkv + (i * 3 + 2) * C, C * sizeof(float));
        }
        for (int i = 0; i < n; i++) attend(g, l, pos + i, g->qkv + i * 3 * C, g->atty + i * C);
        linear(g, l * SLOTS_PER_LAYER + SLOT_ATTPROJ, g->tmp, g->atty, p->attprojw + (size_t)l * C * C,
               nb ? p->attprojb + l * C : NULL, n, C, C);
        for (int c = 0; c < n * C; c++) g->x[c] += g->tmp[c];
        layernorm(g, g->ln, g->x, p->ln2w + l * C, p->ln2b + l * C, n);
        linear(g, l * SLOTS_PER_LAYER + SLOT_FC, g->fch, g->ln, p->fcw + (size_t)l * C * 4 * C,
               nb ? p->fcb + l * 4 * C : NULL, n, C, 4 * C);
        if (g->cfg.mlp_relu2) relu2_forward_serial_f32(g->fch, g->fch, (size_t)n * 4 * C);
        else gelu_forward_serial_f32(g->fch, g->fch, (size_t)n * 4 * C); /* the training forward's GELU, in place */
        linear(g, l * SLOTS_PER_LAYER + SLOT_FCPROJ, g->tmp, g->fch, p->fcprojw + (size_t)l * 4 * C * C,
               nb ? p->fcprojb + l * C : NULL, n, 4 * C, C);
        for (int c = 0; c < n * C; c++) g->x[c] += g->tmp[c];
    }
    for (int i = 0; i < n; i++) g->history[pos + i] = tokens[i];
    g->len += n;
    if (!want_logits) return;
    const float *last = g->x + (size_t)(n - 1) * C;
    layernorm(g, g->ln, last, p->lnfw, p->lnfb, 1);
    /* the head (wte when tied, else lm_head: slot_weight packs the same), then the training forward's soft-cap */
    int head = L * SLOTS_PER_LAYER;
    if (g->precision == CLLM_PRECISION_BF16) cllm_gemv_bf16(&g->bf16[head], g->ln, NULL, g->logits);
    else if (g->precision == CLLM_PRECISION_INT8) cllm_gemv_q8(&g->q8[head], g->ln, NULL, g->logits);
    else cllm_sgemv_t(V, C, g->cfg.untied_head ? p->lmhead : p->wte, C, g->ln, NULL, g->logits);
    if (g->cfg.logit_softcap > 0) softcap_forward_f32(g->logits, g->logits, g->cfg.logit_softcap, (size_t)V);
}

/* A full window slides: keep the newest 3/4 (at least 1 token) and recompute their cache, a chunk at a time. */
static void slide(cllm_generator *g) {
    int T = g->cfg.n_ctx, keep = T - T / 4 - 1;
    if (keep < 0) keep = 0;
    memmove(g->history, g->history + (T - keep), keep * sizeof(int));
    g->len = 0;
    for (int i = 0; i < keep; i += CHUNK) forward_rows(g, g->history + i, keep - i < CHUNK ? keep - i : CHUNK, 0);
}

/* Ids index wte: one outside [0, V) is refused (NULL, the cache untouched), never read out of bounds or replaced. */
static int valid_token(const cllm_generator *g, int token) { return token >= 0 && token < g->cfg.vocab_size; }

const float *cllm_generator_push(cllm_generator *g, int token) {
    if (!valid_token(g, token)) return NULL;
    if (g->len == g->cfg.n_ctx) slide(g);
    forward_rows(g, &token, 1, 1);
    return g->logits;
}

const float *cllm_generator_feed(cllm_generator *g, const int32_t *tokens, int n) {
    if (n < 1) return NULL;
    for (int i = 0; i < n; i++)
        if (!valid_token(g, tokens[i])) return NULL;
    int chunk[CHUNK];
    for (int i = 0; i < n;) {
        if (g->len == g->cfg.n_ctx) slide(g);
        int room = g->cfg.n_ctx - g->len, m = n - i;
        if (m > CHUNK) m = CHUNK;
        if (m > room) m = room;
        for (int j = 0; j < m; j++) chunk[j] = tokens[i + j];
        forward_rows(g, chunk, m, i + m == n);
        i += m;
    }
    return g->logits;
}

/* The sampling order: higher probability first, ties by lower id (a strict total order, so the ranking, and with
 * it the sampling, is deterministic). */
static int ranks_before(const candidate *a, const candidate *b) { return a->p != b->p ? a->p > b->p : a->id < b->id; }

/* Restores the heap below i in c[0..n): a parent never ranks before its children (the root is the lowest). */
static void sift_down(candidate *c, int n, int i) {
    for (;;) {
        int low = i, l = 2 * i + 1, r = l + 1;
        if (l < n && ranks_before(&c[low], &c[l])) low = l;
        if (r < n && ranks_before(&c[low], &c[r])) low = r;
        if (low == i) return;
        candidate t = c[i]; c[i] = c[low]; c[low] = t;
        i = low;
    }
}

/* Moves the k highest-ranked of c[0..n) to c[0..k), in rank order (the rest stay, permuted, in c[k..n)): a heap of
 * the k best so far, whose root, the worst of them, each later candidate that ranks before it replaces; then
 * heapsort. O(n log k) instead of sorting all n. */
static void select_top(candidate *c, int n, int k) {
    for (int i = k / 2 - 1; i >= 0; i--) sift_down(c, k, i);
    for (int i = k; i < n; i++)
        if (ranks_before(&c[i], &c[0])) { candidate t = c[0]; c[0] = c[i]; c[i] = t; sift_down(c, k, 0); }
    for (int m = k - 1; m > 0; m--) { candidate t = c[0]; c[0] = c[m]; c[m] = t; sift_down(c, m, 0); }
}

/* How many of the ranked c[0..n) the nucleus keeps: the shortest prefix with probability ≥ top_p·kept. */
static int nucleus_size(const candidate *c, int n, double top_p, double kept) {
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += c[i].p;
        if (acc >= top_p * kept) return i + 1;
    }
    return -1;
}

static int by_rank(const void *a, const void *b) { return ranks_before(b, a) - ranks_before(a, b); }

static void swap_candidates(candidate *a, candidate *b) { candidate t = *a; *a = *b; *b = t; }

/* Moves to c[0..m), unordered, the m highest-ranked candidates of c[0..n) for about the smallest m whose
 * probability reaches target (summed in no particular order); returns m (n when even all fall short). Quickselect
 * on mass, the middle element as pivot: expected O(n). */
static int select_mass(candidate *c, int n, double target) {
    int lo = 0, hi = n; /* c[0..lo) is in, c[hi..n) is out, c[lo..hi) undecided; mass(c[0..hi)) >= target */
    double have = 0;    /* mass of c[0..lo) */
    while (lo < hi) {
        candidate pivot = c[lo + (hi - lo) / 2];
        int i = lo;
        double mass = 0;
        for (int j = lo; j < hi; j++)
            if (ranks_before(&c[j], &pivot)) { swap_candidates(&c[i], &c[j]); mass += c[i].p; i++; }
        if (have + mass >= target) { hi = i; continue; }
        have += mass;
        lo = i;
        for (int j = lo; j < hi; j++) /* the pivot goes in next */
            if (c[j].id == pivot.id) { swap_candidates(&c[lo], &c[j]); break; }
        have += c[lo++].p;
        if (have >= target) return lo;
    }
    return lo;
}

/* The candidates top-k and top-p keep, ranked in cand[0..n); returns n. total: Σ p over all V. */
static int truncate_candidates(candidate *cand, int V, const cllm_sample_params *sp, double total) {
    if (sp->top_k > 0 && sp->top_k < V) {
        int n = sp->top_k;
        select_top(cand, V, n);
        if (sp->top_p >= 1.0f) return n;
        double kept = 0;
        for (int i = 0; i < n; i++) kept += cand[i].p;
        int m = nucleus_size(cand, n, sp->top_p, kept);
        return m > 0 ? m : n;
    }
    /* top-p alone: find the nucleus by mass (with a little to spare against rounding), then rank only it; the cut
     * is made on the ranked running sum, as a full sort would make it */
    int m = select_mass(cand, V, sp->top_p * total * (1 + 1e-6));
    qsort(cand, (size_t)m, sizeof *cand, by_rank);
    int n = nucleus_size(cand, m, sp->top_p, total);
    if (n > 0) return n;
    qsort(cand, (size_t)V, sizeof *cand, by_rank); /* fell short by rounding: rank everything */
    n = nucleus_size(cand, V, sp->top_p, total);
    return n > 0 ? n : V;
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
        n = truncate_candidates(g->cand, V, sp, sum);
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
