/* ops.c — instantiates ops_impl.h and model_impl.h for float (the trained model) and double (the oracle). */
#include <math.h>
#include <string.h>

#include "cllm_simd.h"
#include "internal.h"
#include "ops.h"

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

#define REAL float
#define F(name) name##_f32
#define GEMM cllm_sgemm
#define SQRT sqrtf
#define EXP expf
#define LOG logf
#define TANH tanhf
#define DOT cllm_dot
#define AXPY cllm_axpy
#include "ops_impl.h"
#include "model_impl.h"
#undef REAL
#undef F
#undef GEMM
#undef SQRT
#undef EXP
#undef LOG
#undef TANH
#undef GELU_SCALE
#undef DOT
#undef AXPY

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
#define SQRT sqrt
#define EXP exp
#define LOG log
#define TANH tanh
#define DOT dot_f64
#define AXPY axpy_f64
#include "ops_impl.h"
#include "model_impl.h"
