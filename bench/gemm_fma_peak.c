/* gemm_fma_peak.c — the FMA ceiling of one core: 12 independent chains of fused multiply-adds on 256-bit and
 * 512-bit registers (no memory traffic), best of 3; where the CPU has AVX512_BF16, the same chains of vdpbf16ps
 * (two multiply-adds per lane each), whose rate against the FMA's says whether bf16 products can beat fp32 ones.
 * Built and run by bench/gemm.sh when the CPU has AVX-512.
 *     cc -O2 -mavx512f -mfma bench/gemm_fma_peak.c -o fma_peak && ./fma_peak */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

/* GFLOP/s of 12 vdpbf16ps chains (64 flops each: 16 lanes x 2 pairs x multiply and add), best of 3. */
__attribute__((target("avx512f,avx512bf16"))) static double dpbf16_peak(long n, float *sink) {
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
#define DB(i) __m512 d##i = _mm512_set1_ps(i * 0.1f);
        CHAINS(DB)
        __m512bh x = (__m512bh)_mm512_set1_epi32(0x3f7f3f7f), y = x; /* bf16 0.996 pairs */
        double t = now();
#define FB(i) d##i = _mm512_dpbf16_ps(d##i, x, y);
        for (long i = 0; i < n; i++) { CHAINS(FB) }
        double r = n * 12 * 64.0 / (now() - t) * 1e-9;
        if (r > best) best = r;
#define SB(i) *sink += _mm512_reduce_add_ps(d##i);
        CHAINS(SB)
    }
    return best;
}

int main(void) {
    const long n = 20000000;
    double best512 = 0, best256 = 0;
    float sink = 0;
    for (int rep = 0; rep < 3; rep++) {
#define D5(i) __m512 a##i = _mm512_set1_ps(i * 0.1f);
#define D2(i) __m256 b##i = _mm256_set1_ps(i * 0.1f);
        CHAINS(D5) CHAINS(D2)
        __m512 x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(1e-5f);
        __m256 x2 = _mm256_set1_ps(0.9999f), y2 = _mm256_set1_ps(1e-5f);
        double t = now();
#define F5(i) a##i = _mm512_fmadd_ps(a##i, x, y);
        for (long i = 0; i < n; i++) { CHAINS(F5) }
        double r = n * 12 * 32.0 / (now() - t) * 1e-9;
        if (r > best512) best512 = r;
        t = now();
#define F2(i) b##i = _mm256_fmadd_ps(b##i, x2, y2);
        for (long i = 0; i < n; i++) { CHAINS(F2) }
        r = n * 12 * 16.0 / (now() - t) * 1e-9;
        if (r > best256) best256 = r;
#define S(i) sink += _mm512_reduce_add_ps(a##i) + b##i[0];
        CHAINS(S)
    }
    printf("FMA peak, one core: %.1f GFLOP/s with 512-bit registers, %.1f with 256-bit (checksum %g)\n", best512,
           best256, (double)sink);
    if (__builtin_cpu_supports("avx512bf16")) {
        double bf = dpbf16_peak(n / 4, &sink);
        printf("vdpbf16ps peak, one core: %.1f GFLOP/s, x%.2f of the 512-bit FMA's (checksum %g)\n", bf, bf / best512,
               (double)sink);
    }
    return 0;
}
