/* model.c — the fp32 model: parameter, gradient and activation arenas, init, forward and backward. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ops.h"

struct cllm_model {
    cllm_config cfg;
    float *params, *grads;        /* arenas of num_params floats; grads NULL until reserve */
    size_t num_params;
    void *p[CLLM_NUM_PARAM_KINDS], *g[CLLM_NUM_PARAM_KINDS];
    cllm_tensor *tensors;         /* the named views, L*12+4 */
    int num_tensors;
    uint8_t *is_prime;            /* [n_ctx]: is_prime[d] for the prime-distance option */
    float *acts, *grad_acts;      /* activation arena; gradient arena (cllm_grad_act_sizes: one layer's worth) */
    size_t acts_capacity, grad_capacity; /* floats in each */
    size_t tokens_capacity;       /* ids in inputs */
    int B, T;                     /* shape of the last carve (0 before any forward) */
    void *a[CLLM_NUM_ACT_KINDS], *ga[CLLM_NUM_ACT_KINDS];
    int grad_ready;               /* the last forward formed the head's gradient and no backward used it yet */
    int head_rows;                /* LM-head chunk rows, 0: cllm_head_rows's choice (tests set it smaller) */
    int32_t *inputs;              /* copy: backward must not depend on the caller keeping them */
};

static void *alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

cllm_model *cllm_model_new(const cllm_config *cfg, cllm_error *err) {
    if (cllm_config_check(cfg, err)) return NULL;
    cllm_model *m = calloc(1, sizeof *m);
    if (!m) { cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory allocating the model"); return NULL; }
    m->cfg = *cfg;
    size_t sizes[CLLM_NUM_PARAM_KINDS];
    cllm_param_sizes(cfg, sizes);
    m->num_params = cllm_carve(NULL, sizeof(float), sizes, CLLM_NUM_PARAM_KINDS, m->p);
    m->num_tensors = cllm_tensor_count(cfg);
    m->params = alloc_floats(m->num_params);
    m->tensors = calloc((size_t)m->num_tensors, sizeof *m->tensors);
    m->is_prime = malloc((size_t)cfg->n_ctx);
    if (!m->params || !m->tensors || !m->is_prime) {
        cllm_model_free(m);
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory allocating %zu parameters", sizes[0]);
        return NULL;
    }
    memset(m->params, 0, m->num_params * sizeof(float));
    cllm_carve(m->params, sizeof(float), sizes, CLLM_NUM_PARAM_KINDS, m->p);
    cllm_tensor_table(cfg, m->params, NULL, m->tensors, m->num_tensors);
    cllm_prime_table(m->is_prime, cfg->n_ctx);
    return m;
}

void cllm_model_free(cllm_model *m) {
    if (!m) return;
    free(m->params); free(m->grads); free(m->acts); free(m->grad_acts);
    free(m->tensors); free(m->inputs); free(m->is_prime);
    free(m);
}

const cllm_config *cllm_model_config(const cllm_model *m) { return &m->cfg; }
size_t cllm_model_num_params(const cllm_model *m) { return m->num_params; }
float *cllm_model_params(cllm_model *m) { return m->params; }
float *cllm_model_grads(cllm_model *m) { return m->grads; }
int cllm_model_tensor_count(const cllm_model *m) { return m->num_tensors; }
const cllm_tensor *cllm_model_tensor(const cllm_model *m, int i) {
    return i >= 0 && i < m->num_tensors ? &m->tensors[i] : NULL;
}
const cllm_tensor *cllm_model_tensor_find(const cllm_model *m, const char *name) {
    for (int i = 0; i < m->num_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

void cllm_model_init_gpt2(cllm_model *m, uint64_t seed) {
    cllm_rng rng;
    cllm_rng_seed(&rng, seed);
    float resid_std = 0.02f / sqrtf(2.0f * (float)(m->cfg.n_layer > 0 ? m->cfg.n_layer : 1));
    for (int i = 0; i < m->num_tensors; i++) {
        cllm_tensor *t = &m->tensors[i];
        const char *n = t->name;
        size_t len = strlen(n);
        int is_bias = len > 5 && strcmp(n + len - 5, ".bias") == 0;
        int is_ln = strstr(n, "ln_") != NULL;
        if (strstr(n, "prime_bias")) is_bias = 1; /* starts at 0: the model begins as plain GPT-2 */
        int zero = m->cfg.zero_init_proj && (strstr(n, "c_proj.weight") || strcmp(n, "lm_head.weight") == 0);
        if (is_bias || zero) memset(t->data, 0, t->numel * sizeof(float));
        else if (is_ln) for (size_t j = 0; j < t->numel; j++) t->data[j] = 1.0f;
        else {
            float std = strstr(n, "c_proj.weight") ? resid_std : 0.02f;
            for (size_t j = 0; j < t->numel; j++) t->data[j] = (float)(std * cllm_rng_normal(&rng));
        }
    }
    if (m->cfg.embed_init) cllm_embed_init_lattice(&m->cfg, (float *)m->p[CLLM_P_WTE]);
    cllm_model_fill_positions(m);
}

void cllm_model_fill_positions(cllm_model *m) {
    cllm_positions_fill(&m->cfg, (float *)m->p[CLLM_P_WPE]);
}

/* Floats of the activation arena for B×T, and (in *grad_floats) of the gradient arena. */
static size_t act_floats(const cllm_config *cfg, int B, int T, size_t *grad_floats) {
    size_t sizes[CLLM_NUM_ACT_KINDS], total = 0;
    cllm_grad_act_sizes(cfg, B, T, sizes);
    for (int k = 0; k < CLLM_NUM_ACT_KINDS; k++) total += sizes[k];
    *grad_floats = total;
    cllm_act_sizes(cfg, B, T, sizes);
    total = 0;
    for (int k = 0; k < CLLM_NUM_ACT_KINDS; k++) total += sizes[k];
    return total;
}

int cllm_model_reserve(cllm_model *m, int B, int T, cllm_error *err) {
    if (B < 1 || T < 1 || T > m->cfg.n_ctx)
        return cllm_error_set(err, CLLM_ERR_ARG, "batch %d×%d does not fit (T must be 1..%d)", B, T, m->cfg.n_ctx);
    size_t need_grads, need = act_floats(&m->cfg, B, T, &need_grads);
    if (!m->grads) {
        if (!(m->grads = alloc_floats(m->num_params)))
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for gradients");
        memset(m->grads, 0, m->num_params * sizeof(float));
        size_t psizes[CLLM_NUM_PARAM_KINDS];
        cllm_param_sizes(&m->cfg, psizes);
        cllm_carve(m->grads, sizeof(float), psizes, CLLM_NUM_PARAM_KINDS, m->g);
        cllm_tensor_table(&m->cfg, m->params, m->grads, m->tensors, m->num_tensors);
    }
    size_t tokens = (size_t)B * T;
    if (need > m->acts_capacity || need_grads > m->grad_capacity || tokens > m->tokens_capacity) {
        need = need > m->acts_capacity ? need : m->acts_capacity;
        need_grads = need_grads > m->grad_capacity ? need_grads : m->grad_capacity;
        tokens = tokens > m->tokens_capacity ? tokens : m->tokens_capacity;
        free(m->acts); free(m->grad_acts); free(m->inputs);
        m->acts = alloc_floats(need);
        m->grad_acts = alloc_floats(need_grads);
        m->inputs = malloc(tokens * sizeof(int32_t));
        if (!m->acts || !m->grad_acts || !m->inputs) {
            free(m->acts); free(m->grad_acts); free(m->inputs);
            m->acts = m->grad_acts = NULL; m->inputs = NULL;
            m->acts_capacity = m->grad_capacity = m->tokens_capacity = 0;
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for activations of %d×%d (%zu MB)", B, T,
                                  (need + need_grads) * sizeof(float) >> 20);
        }
        m->acts_capacity = need;
        m->grad_capacity = need_grads;
        m->tokens_capacity = tokens;
    }
    m->B = m->T = 0;
    m->grad_ready = 0;
    return 0;
}

/* Points the activation views at the arenas for this B×T (no allocation: reserve sized them). */
static void carve_acts(cllm_model *m, int B, int T) {
    if (m->B == B && m->T == T) return;
    size_t sizes[CLLM_NUM_ACT_KINDS];
    cllm_act_sizes(&m->cfg, B, T, sizes);
    cllm_carve(m->acts, sizeof(float), sizes, CLLM_NUM_ACT_KINDS, m->a);
    cllm_grad_act_sizes(&m->cfg, B, T, sizes);
    cllm_carve(m->grad_acts, sizeof(float), sizes, CLLM_NUM_ACT_KINDS, m->ga);
    m->B = B;
    m->T = T;
}

/* The forward pass behind cllm_model_forward and cllm_model_evaluate; grad: also form the head's gradient. */
static float forward(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T, int grad) {
    size_t need_grads, need = act_floats(&m->cfg, B, T, &need_grads);
    /* a caller bug, not bad input: reserve a batch of this shape first */
    if (B < 1 || T < 1 || T > m->cfg.n_ctx || need > m->acts_capacity || need_grads > m->grad_capacity ||
        (size_t)B * T > m->tokens_capacity)
        abort();
    carve_acts(m, B, T);
    memcpy(m->inputs, inputs, (size_t)B * T * sizeof(int32_t));
    int N = B * T, rows = cllm_head_rows(&m->cfg, N, m->head_rows);
    model_forward_f32(m->p, m->a, grad ? m->ga : NULL, m->inputs, targets, m->is_prime, &m->cfg, B, T, rows);
    m->grad_ready = grad;
    if (!targets) return 0.0f;
    const float *losses = m->a[CLLM_A_LOSSES];
    double sum = 0;
    for (int i = 0; i < N; i++) sum += losses[i];
    return (float)(sum / N);
}

float cllm_model_forward(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T) {
    return forward(m, inputs, targets, B, T, targets != NULL);
}

float cllm_model_evaluate(cllm_model *m, const int32_t *inputs, const int32_t *targets, int B, int T) {
    if (!targets) abort(); /* caller bug: evaluation needs targets */
    return forward(m, inputs, targets, B, T, 0);
}

const float *cllm_model_logits(const cllm_model *m) { return m->a[CLLM_A_LOGITS]; }
const float *cllm_model_losses(const cllm_model *m) { return m->a[CLLM_A_LOSSES]; }

void cllm_model_zero_grad(cllm_model *m) {
    if (m->grads) memset(m->grads, 0, m->num_params * sizeof(float));
}

void cllm_model_backward(cllm_model *m, float scale) {
    if (!m->grad_ready) abort(); /* caller bug: backward needs a forward with targets, once */
    model_backward_f32(m->p, m->g, m->a, m->ga, m->inputs, m->is_prime, scale, &m->cfg, m->B, m->T);
    m->grad_ready = 0;
}

void cllm_model_set_head_rows(cllm_model *m, int rows) { m->head_rows = rows; }
