/* simd.c — placeholder scalar kernels and level selection; the speed work replaces this with dispatch. */
#include "cllm_simd.h"

#include <string.h>

cllm_simd_level cllm_simd_level_detect(void) { return CLLM_SIMD_SCALAR; }
cllm_simd_level cllm_simd_level_get(void) { return CLLM_SIMD_SCALAR; }
int cllm_simd_level_set(cllm_simd_level level) { return level == CLLM_SIMD_SCALAR ? 0 : -1; }
const char *cllm_simd_level_name(cllm_simd_level level) {
    return level == CLLM_SIMD_AVX512 ? "avx512" : level == CLLM_SIMD_AVX2 ? "avx2" : "scalar";
}

float cllm_dot(const float *a, const float *b, size_t n) {
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}
void cllm_axpy(float alpha, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += alpha * x[i];
}
void cllm_vadd(const float *a, const float *b, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}
void cllm_vscale(float alpha, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= alpha;
}

/* Row-parallel reference GEMM: correct for every transpose, not fast. */
void cllm_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)N);
        else if (beta != 1.0f) for (int j = 0; j < N; j++) c[j] *= beta;
        for (int k = 0; k < K; k++) {
            float a = alpha * (trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
            if (!trans_b) {
                const float *b = B + (size_t)k * ldb;
                for (int j = 0; j < N; j++) c[j] += a * b[j];
            } else {
                for (int j = 0; j < N; j++) c[j] += a * B[(size_t)j * ldb + k];
            }
        }
    }
}
