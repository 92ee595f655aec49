/* ops.c — instantiates ops_impl.h for float, the model that trains (the tests instantiate it for double, the
 * gradient checks' oracle: tests/support/model64.c). */
#include <math.h>
#include <string.h>

#include "cllm_simd.h"
#include "internal.h"
#include "ops.h"

#define REAL float
#define F(name) name##_f32
#define GEMM cllm_sgemm
/* The mixed-precision product: bf16 inputs, fp32 sums (cllm_gemm_bf16), or plain fp32. */
#define GEMM_LOWP(lowp, ta, tb, M, N, K, A, lda, B, ldb, acc, C, ldc)                                             \
    ((lowp) ? cllm_gemm_bf16(ta, tb, M, N, K, A, lda, B, ldb, acc, C, ldc)                                       \
            : cllm_sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, (acc) ? 1.0f : 0.0f, C, ldc))
#define SQRT sqrtf
#define EXP expf
#define LOG logf
#define TANH tanhf
#define DOT cllm_dot
#define AXPY cllm_axpy
#include "ops_impl.h"
