/* ops.h — the op declarations for an instantiation of ops_impl.h: float (_f32) here, in the library; the tests
 * declare the double oracle's (_f64) with the same macro. */
#ifndef CLLM_OPS_H
#define CLLM_OPS_H

#include <stddef.h>
#include <stdint.h>

#define CLLM_DECLARE_OPS(REAL, S)                                                                              \
    void encoder_forward##S(REAL *out, const int32_t *inp, const REAL *wte, const REAL *wpe, int B, int T, int C); \
    void encoder_backward##S(REAL *dwte, REAL *dwpe, const REAL *dout, const int32_t *inp, int B, int T, int C); \
    void layernorm_forward##S(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight,             \
                              const REAL *bias, int N, int C);                                                   \
    void layernorm_forward_serial##S(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *weight,      \
                                     const REAL *bias, int N, int C);                                            \
    void layernorm_backward##S(REAL *dinp, REAL *dweight, REAL *dbias, const REAL *dout, const REAL *inp,         \
                               const REAL *weight, const REAL *mean, const REAL *rstd, int N, int C);            \
    void matmul_forward##S(REAL *out, const REAL *inp, const REAL *w, const REAL *bias, int N, int C, int OC,   \
                           int lowp);                                                                        \
    void matmul_backward##S(REAL *dinp, REAL *dw, REAL *dbias, const REAL *dout, const REAL *inp, const REAL *w, \
                            int N, int C, int OC, int lowp);                                                     \
    void attention_forward##S(REAL *out, REAL *lse, REAL *scratch, const REAL *inp, const REAL *prime_bias,      \
                              const uint8_t *is_prime, int B, int T, int C, int NH, int lowp);                  \
    void attention_backward##S(REAL *dinp, REAL *dprime_bias, REAL *dprime_part, REAL *scratch,                  \
                               const REAL *dout, const REAL *inp, const REAL *lse, const REAL *prime_bias,       \
                               const uint8_t *is_prime, int B, int T, int C, int NH, int lowp);                  \
    void gelu_forward##S(REAL *out, const REAL *inp, size_t N);                                                  \
    void gelu_forward_serial##S(REAL *out, const REAL *inp, size_t N);                                           \
    void gelu_backward##S(REAL *dinp, const REAL *inp, const REAL *dout, size_t N);                              \
    void residual_forward##S(REAL *out, const REAL *a, const REAL *b, size_t N);                                 \
    void residual_backward##S(REAL *da, REAL *db, const REAL *dout, size_t N);                                   \
    void crossentropy_forward##S(REAL *losses, REAL *dlogits, const REAL *logits, const int32_t *targets,        \
                                 REAL dloss, int N, int V);                                                      \
    void lmhead_crossentropy##S(REAL *losses, REAL *dlnf, REAL *dwte, REAL *scratch, const REAL *lnf,            \
                                const REAL *wte, const int32_t *targets, REAL dloss, int N, int C, int V, int R, \
                                REAL cap, int lowp);                                                             \
    void relu2_forward##S(REAL *out, const REAL *inp, size_t N);                                                 \
    void relu2_forward_serial##S(REAL *out, const REAL *inp, size_t N);                                          \
    void relu2_backward##S(REAL *dinp, const REAL *inp, const REAL *dout, size_t N);                             \
    void rmsnorm_forward##S(REAL *out, REAL *rstd, const REAL *inp, const REAL *weight, int N, int C);           \
    void rmsnorm_forward_serial##S(REAL *out, REAL *rstd, const REAL *inp, const REAL *weight, int N, int C);    \
    void rmsnorm_backward##S(REAL *dinp, REAL *dweight, const REAL *dout, const REAL *inp, const REAL *weight,   \
                             const REAL *rstd, int N, int C);                                                    \
    void softcap_forward##S(REAL *out, const REAL *z, REAL cap, size_t N);                                       \
    void softcap_backward##S(REAL *dout, const REAL *out, REAL cap, size_t N);                                 \
    void qknorm_forward##S(REAL *qkv, REAL *rstd, int N, int C, int NH);                                         \
    void qknorm_forward_serial##S(REAL *qkv, int N, int C, int NH);                                              \
    void qknorm_backward##S(REAL *dqkv, const REAL *qkv, const REAL *rstd, int N, int C, int NH);                \
    void rope_table##S(REAL *table, int T, int hs);                                                              \
    void rope_forward##S(REAL *qkv, const REAL *table, int N, int T, int t0, int C, int NH);                     \
    void rope_forward_serial##S(REAL *qkv, const REAL *table, int N, int T, int t0, int C, int NH);              \
    void rope_backward##S(REAL *dqkv, const REAL *table, int N, int T, int t0, int C, int NH);

#include "cllm.h"
CLLM_DECLARE_OPS(float, _f32)

#endif
