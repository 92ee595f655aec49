/* model64.c — the double-precision oracle: the same model code in double, for the gradient checks. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ops.h"

int cllm_model64_new(cllm_model64 *d, const cllm_model *m, int B, int T) {
    memset(d, 0, sizeof *d);
    d->cfg = *cllm_model_config(m);
    d->B = B;
    d->T = T;
    size_t ps[CLLM_NUM_PARAM_KINDS], as[CLLM_NUM_ACT_KINDS], gs[CLLM_NUM_ACT_KINDS];
    cllm_param_sizes(&d->cfg, ps);
    cllm_act_sizes(&d->cfg, B, T, as);
    cllm_grad_act_sizes(&d->cfg, B, T, gs);
    d->num_params = cllm_carve(NULL, sizeof(double), ps, CLLM_NUM_PARAM_KINDS, d->p);
    d->num_acts = cllm_carve(NULL, sizeof(double), as, CLLM_NUM_ACT_KINDS, d->a);
    d->num_grad_acts = cllm_carve(NULL, sizeof(double), gs, CLLM_NUM_ACT_KINDS, d->ga);
    d->params = calloc(d->num_params, sizeof(double));
    d->grads = calloc(d->num_params, sizeof(double));
    d->acts = calloc(d->num_acts, sizeof(double));
    d->grad_acts = calloc(d->num_grad_acts + 1, sizeof(double));
    d->is_prime = malloc((size_t)d->cfg.n_ctx);
    if (!d->params || !d->grads || !d->acts || !d->grad_acts || !d->is_prime) { cllm_model64_free(d); return -1; }
    cllm_prime_table(d->is_prime, d->cfg.n_ctx);
    cllm_carve(d->params, sizeof(double), ps, CLLM_NUM_PARAM_KINDS, d->p);
    cllm_carve(d->grads, sizeof(double), ps, CLLM_NUM_PARAM_KINDS, d->g);
    cllm_carve(d->acts, sizeof(double), as, CLLM_NUM_ACT_KINDS, d->a);
    cllm_carve(d->grad_acts, sizeof(double), gs, CLLM_NUM_ACT_KINDS, d->ga);
    const float *src = cllm_model_params((cllm_model *)m);
    for (size_t i = 0; i < d->num_params; i++) d->params[i] = src[i];
    return 0;
}

void cllm_model64_free(cllm_model64 *d) {
    free(d->params); free(d->grads); free(d->acts); free(d->grad_acts); free(d->is_prime);
    memset(d, 0, sizeof *d);
}

double cllm_model64_forward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets) {
    int rows = cllm_head_rows(&d->cfg, d->B * d->T, d->head_rows);
    model_forward_f64(d->p, d->a, NULL, inputs, targets, d->is_prime, &d->cfg, d->B, d->T, rows);
    const double *losses = d->a[CLLM_A_LOSSES];
    double sum = 0;
    for (int i = 0; i < d->B * d->T; i++) sum += losses[i];
    return sum / (d->B * d->T);
}

void cllm_model64_backward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets) {
    memset(d->grads, 0, d->num_params * sizeof(double));
    int rows = cllm_head_rows(&d->cfg, d->B * d->T, d->head_rows);
    model_forward_f64(d->p, d->a, d->ga, inputs, targets, d->is_prime, &d->cfg, d->B, d->T, rows);
    model_backward_f64(d->p, d->g, d->a, d->ga, inputs, d->is_prime, 1.0, &d->cfg, d->B, d->T);
}
