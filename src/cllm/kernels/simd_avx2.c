/* simd_avx2.c — the vector kernels on AVX2 + FMA (8 floats a register); tails fall back to scalar steps. */
#include "kernels.h"

#if CLLM_HAVE_X86
#include <immintrin.h>
#include <math.h>

float cllm_dot_avx2(const float *a, const float *b, size_t n) {
    /* Four accumulators hide the FMA latency; the order of the final sum is fixed, so results repeat. */
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

void cllm_axpy_avx2(float alpha, const float *x, float *y, size_t n) {
    __m256 va = _mm256_set1_ps(alpha);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

void cllm_vadd_avx2(const float *a, const float *b, float *out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) out[i] = a[i] + b[i];
}

void cllm_vscale_avx2(float alpha, float *x, size_t n) {
    __m256 va = _mm256_set1_ps(alpha);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] *= alpha;
}

float cllm_vmax_avx2(const float *x, size_t n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; i < n; i++) r = x[i] > r ? x[i] : r;
    return r;
}

/* exp of 8 lanes by the polynomial in kernels.h. */
static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(CLLM_EXP_LO)), _mm256_set1_ps(CLLM_EXP_HI));
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(CLLM_EXP_LOG2E), _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CLLM_EXP_C1), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CLLM_EXP_C2), r);
    __m256 p = _mm256_set1_ps(CLLM_EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CLLM_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CLLM_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CLLM_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CLLM_EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CLLM_EXP_P5));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

float cllm_vexp_avx2(const float *x, float shift, float *out, size_t n) {
    __m256 vs = _mm256_set1_ps(shift), sum = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
        _mm256_storeu_ps(out + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (i < n) { /* the tail through a zero-padded copy; padded lanes are dropped before the sum */
        float tx[8] = {0}, te[8];
        for (size_t j = 0; j < n - i; j++) tx[j] = x[i + j];
        _mm256_storeu_ps(te, exp8(_mm256_sub_ps(_mm256_loadu_ps(tx), vs)));
        float tail = 0.0f;
        for (size_t j = 0; j < n - i; j++) { out[i + j] = te[j]; tail += te[j]; }
        sum = _mm256_add_ps(sum, _mm256_setr_ps(tail, 0, 0, 0, 0, 0, 0, 0));
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}
#endif
