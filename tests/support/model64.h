/* model64.h — the double-precision oracle for the gradient checks: the library's ops (ops_impl.h) and model
 * (model.c's forward and backward) compiled for double. Built into the tests only, never into libcllm. */
#ifndef CLLM_MODEL64_H
#define CLLM_MODEL64_H

#include "model/internal.h"
#include "model/ops.h"

CLLM_DECLARE_OPS(double, _f64)
typedef CLLM_PARAMS_OF(double) cllm_params64;
typedef CLLM_ACTS_OF(double) cllm_acts64;

typedef struct cllm_model64 {
    cllm_config cfg;
    int B, T;
    double *params, *grads, *acts, *grad_acts; /* arenas, same layouts as the float model */
    size_t num_params, num_acts, num_grad_acts;
    uint8_t *is_prime;                         /* [n_ctx], for the prime-distance option */
    int head_rows;                             /* LM-head chunk rows (0: cllm_head_rows's choice) */
    cllm_params64 p, g;                        /* typed views of params and grads */
    cllm_acts64 a, ga;                         /* typed views of acts and grad_acts */
} cllm_model64;

/* A double model for B×T with parameters copied from the float model m. 0 on success. */
int cllm_model64_new(cllm_model64 *d, const cllm_model *m, int B, int T);
void cllm_model64_free(cllm_model64 *d);
/* Mean loss (targets required); no gradient work. */
double cllm_model64_forward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets);
/* Zeroes then fills d->grads with ∂(mean loss)/∂θ (runs its own forward, with the head's gradient). */
void cllm_model64_backward(cllm_model64 *d, const int32_t *inputs, const int32_t *targets);

/* The double GEMM behind the oracle: naive, same semantics as cllm_sgemm. */
void cllm_dgemm_naive(int trans_a, int trans_b, int M, int N, int K, double alpha, const double *A, int lda,
                      const double *B, int ldb, double beta, double *C, int ldc);

#endif
