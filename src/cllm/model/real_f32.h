/* real_f32.h — the float instantiation of the code written once for a scalar type (ops_impl.h, model.c): the
 * names and products both of them use. The double oracle (tests/support/model64.c) defines its own. */
#ifndef CLLM_REAL_F32_H
#define CLLM_REAL_F32_H
#include "cllm_simd.h"
#define REAL float
#define F(name) name##_f32
#define GEMM cllm_sgemm
/* The mixed-precision product: bf16 inputs, fp32 sums (cllm_gemm_bf16), or plain fp32. */
#define GEMM_LOWP(lowp, ta, tb, M, N, K, A, lda, B, ldb, acc, C, ldc)                                             \
    ((lowp) ? cllm_gemm_bf16(ta, tb, M, N, K, A, lda, B, ldb, acc, C, ldc)                                       \
            : cllm_sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, (acc) ? 1.0f : 0.0f, C, ldc))
#endif
