/* model64.c — the double-precision oracle (see model64.h): ops_impl.h and model.c instantiated for double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model64.h"

void cllm_dgemm_naive(int trans_a, int trans_b, int M, int N, int K, double alpha, const double *A, int lda,
                      const double *B, int ldb, double beta, double *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            double *c = &C[(size_t)i * ldc + j];
            *c = alpha * s + (beta == 0 ? 0 : beta * *c);
        }
}

static double dot_f64(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
static void axpy_f64(double alpha, const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

#define REAL double
#define F(name) name##_f64
#define GEMM cllm_dgemm_naive
#define GEMM_LOWP(lowp, ta, tb, M, N, K, A, lda, B, ldb, acc, C, ldc)                                             \
    ((void)(lowp), cllm_dgemm_naive(ta, tb, M, N, K, 1, A, lda, B, ldb, (acc) ? 1 : 0, C, ldc))
#define SQRT sqrt
#define EXP exp
#define LOG log
#define TANH tanh
#define DOT dot_f64
#define AXPY axpy_f64
#define PARAMS cllm_params64
#define ACTS cllm_acts64
#include "model/ops_impl.h"
#define CLLM_MODEL_ORACLE
#include "model/model.c"

int cllm_model64_new(cllm_model64 *d, const cllm_model *m, int B, int T) {
    memset(d, 0, sizeof *d);
    d->cfg = *cllm_model_config(m);
    d->B = B;
    d->T = T;
    size_t ps[CLLM_NUM_PARAM_KINDS], as[CLLM_NUM_ACT_KINDS], gs[CLLM_NUM_ACT_KINDS];
    cllm_param_sizes(&d->cfg, ps);
    cllm_act_sizes(&d->cfg, B, T, as);
    cllm_grad_act_sizes(&d->cfg, B, T, gs);
    d->num_params = carve_f64(NULL, ps, CLLM_NUM_PARAM_KINDS, d->p.kind);
    d->num_acts = carve_f64(NULL, as, CLLM_NUM_ACT_KINDS, d->a.kind);
    d->num_grad_acts = carve_f64(NULL, gs, CLLM_NUM_ACT_KINDS, d->ga.kind);
    d->params = calloc(d->num_params, sizeof(double));
    d->grads = calloc(d->num_params, sizeof(double));
    d->acts = calloc(d->num_acts, sizeof(double));
    d->grad_acts = calloc(d->num_grad_acts + 1, sizeof(double));
    d->is_prime = malloc((size_t)d->cfg.n_ctx);
    if (!d->params || !d->grads || !d->acts || !d->grad_acts || !d->is_prime) { cllm_model64_free(d); return -1; }
    cllm_prime_table(d->is_prime, d->cfg.n_ctx);
    carve_f64(d->params, ps, CLLM_NUM_PARAM_KINDS, d->p.kind);
    carve_f64(d->grads, ps, CLLM_NUM_PARAM_KINDS, d->g.kind);
    carve_f64(d->acts, as, CLLM_NUM_ACT_KINDS, d->a.kind);
    carve_f64(d->grad_acts, gs, CLLM_NUM_ACT_KINDS, d->ga.kind);
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
    gpt2_forward_f64(&d->p, &d->a, NULL, inputs, targets, d->is_prime, &d->cfg, d->B, d->T, rows, 0, 0, d->cfg.n_layer);
    double sum = 0;
    for (int i = 0; i < d->B * d->T; i++) sum += d->a.losses[i];
    return sum / (d->B * d->T);
}

void cllm_model64_backward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets) {
    memset(d->grads, 0, d->num_params * sizeof(double));
    int rows = cllm_head_rows(&d->cfg, d->B * d->T, d->head_rows);
    int L = d->cfg.n_layer;
    gpt2_forward_f64(&d->p, &d->a, &d->ga, inputs, targets, d->is_prime, &d->cfg, d->B, d->T, rows, 0, 0, L);
    gpt2_backward_f64(&d->p, &d->g, &d->a, &d->ga, inputs, d->is_prime, 1.0, &d->cfg, d->B, d->T, 0, 0, L);
}
