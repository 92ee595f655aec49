/* simd.c — kernel level detection and dispatch, the scalar vector kernels, and the public vector API. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#if CLLM_HAVE_X86
#include <cpuid.h>
#endif

/* ---------------------------------------------------------------------------------------------------------------
 * Scalar kernels: the portable baseline and the reference every SIMD level is tested against. */

float cllm_dot_scalar(const float *a, const float *b, size_t n) {
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

void cllm_axpy_scalar(float alpha, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void cllm_vadd_scalar(const float *a, const float *b, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void cllm_vscale_scalar(float alpha, float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= alpha;
}

float cllm_vmax_scalar(const float *x, size_t n) {
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

float cllm_vexp_scalar(const float *x, float shift, float *out, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        out[i] = cllm_exp_approx(x[i] - shift);
        sum += out[i];
    }
    return sum;
}

/* ---------------------------------------------------------------------------------------------------------------
 * The tables. Block sizes, for a 48 KiB L1 and 1 MiB L2 a core: the mc×kc A block (4·mc·kc bytes) stays in L2
 * while kc×nr B micro-panels stream past it; the kc×nc B block is shared in L3. AVX-512 takes kc = 512 (a
 * 64 KiB B micro-panel, served from L2): at K >= 1024 it measured a few per cent above kc = 256, as C is
 * read and written half as often. mc is a multiple of mr, nc of nr, so tiles never straddle blocks. */

static const cllm_kernels kernels_scalar = {
    CLLM_SIMD_SCALAR, cllm_dot_scalar, cllm_axpy_scalar, cllm_vadd_scalar, cllm_vscale_scalar,
    cllm_vmax_scalar, cllm_vexp_scalar,
    cllm_gemm_micro_scalar, NULL, NULL, CLLM_SCALAR_MR, CLLM_SCALAR_NR, 256, 128, 4096,
};
#if CLLM_HAVE_X86
static const cllm_kernels kernels_avx2 = {
    CLLM_SIMD_AVX2, cllm_dot_avx2, cllm_axpy_avx2, cllm_vadd_avx2, cllm_vscale_avx2,
    cllm_vmax_avx2, cllm_vexp_avx2,
    cllm_gemm_micro_avx2, cllm_gemm_pack_t_avx2, cllm_gemm_micro_strided_avx2, CLLM_AVX2_MR, CLLM_AVX2_NR, 256, 192, 4096,
};
static const cllm_kernels kernels_avx512 = {
    CLLM_SIMD_AVX512, cllm_dot_avx512, cllm_axpy_avx512, cllm_vadd_avx512, cllm_vscale_avx512,
    cllm_vmax_avx512, cllm_vexp_avx512,
    cllm_gemm_micro_avx512, cllm_gemm_pack_t_avx512, cllm_gemm_micro_strided_avx512,
    CLLM_AVX512_MR, CLLM_AVX512_NR, 512, 240, 4096,
};
/* The bf16 level runs the fp32 kernels of AVX-512; only the bf16 GEMM (gemm_bf16.c) tells them apart. */
static const cllm_kernels kernels_avx512bf16 = {
    CLLM_SIMD_AVX512BF16, cllm_dot_avx512, cllm_axpy_avx512, cllm_vadd_avx512, cllm_vscale_avx512,
    cllm_vmax_avx512, cllm_vexp_avx512,
    cllm_gemm_micro_avx512, cllm_gemm_pack_t_avx512, cllm_gemm_micro_strided_avx512,
    CLLM_AVX512_MR, CLLM_AVX512_NR, 512, 240, 4096,
};
#endif

const cllm_kernels *cllm_kernels_of(cllm_simd_level level) {
#if CLLM_HAVE_X86
    if (level == CLLM_SIMD_AVX512BF16) return &kernels_avx512bf16;
    if (level == CLLM_SIMD_AVX512) return &kernels_avx512;
    if (level == CLLM_SIMD_AVX2) return &kernels_avx2;
#endif
    (void)level;
    return &kernels_scalar;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Detection: the CPU must report the instructions AND the OS must save the registers (XCR0), or the first
 * AVX instruction faults. */

#if CLLM_HAVE_X86
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

static cllm_simd_level detect_uncached(void) {
#if CLLM_HAVE_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return CLLM_SIMD_SCALAR;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx || !fma) return CLLM_SIMD_SCALAR;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return CLLM_SIMD_SCALAR; /* XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return CLLM_SIMD_SCALAR;
    int avx2 = (b >> 5) & 1;
    if (!avx2) return CLLM_SIMD_SCALAR;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1); /* F DQ BW VL */
    if (avx512 && (xcr0 & 0xe6) == 0xe6) { /* + opmask, ZMM0-15 high, ZMM16-31 */
        int vnni = (c >> 11) & 1; /* leaf 7.0 ECX: AVX512_VNNI (every CPU with BF16 so far has it too) */
        int bf16 = __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1); /* leaf 7.1 EAX: AVX512_BF16 */
        return bf16 && vnni ? CLLM_SIMD_AVX512BF16 : CLLM_SIMD_AVX512;
    }
    return CLLM_SIMD_AVX2;
#else
    return CLLM_SIMD_SCALAR;
#endif
}

/* CPUID traps to the hypervisor in a virtual machine (microseconds), so ask once. -1: not yet known. */
static _Atomic int detected = -1;

cllm_simd_level cllm_simd_level_detect(void) {
    int level = atomic_load_explicit(&detected, memory_order_relaxed);
    if (level < 0) {
        level = (int)detect_uncached();
        atomic_store_explicit(&detected, level, memory_order_relaxed);
    }
    return (cllm_simd_level)level;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Dispatch. The table pointer is the one piece of process-wide state: every thread computing it on first use
 * gets the same answer, so a race only repeats the work. */

static _Atomic(const cllm_kernels *) active;

static cllm_simd_level level_from_env(cllm_simd_level best) {
    const char *v = getenv("CLLM_SIMD");
    if (!v || !*v) return best;
    cllm_simd_level want = best;
    if (strcmp(v, "scalar") == 0) want = CLLM_SIMD_SCALAR;
    else if (strcmp(v, "avx2") == 0) want = CLLM_SIMD_AVX2;
    else if (strcmp(v, "avx512") == 0) want = CLLM_SIMD_AVX512;
    else if (strcmp(v, "avx512bf16") == 0) want = CLLM_SIMD_AVX512BF16;
    return want < best ? want : best; /* never above what the CPU has */
}

const cllm_kernels *cllm_kernels_get(void) {
    const cllm_kernels *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k) return k;
    k = cllm_kernels_of(level_from_env(cllm_simd_level_detect()));
    const cllm_kernels *expected = NULL;
    if (!atomic_compare_exchange_strong(&active, &expected, k)) k = expected; /* a forced level won the race */
    return k;
}

cllm_simd_level cllm_simd_level_get(void) { return cllm_kernels_get()->level; }

int cllm_simd_level_set(cllm_simd_level level) {
    if (level < CLLM_SIMD_SCALAR || level > CLLM_SIMD_AVX512BF16 || level > cllm_simd_level_detect()) return -1;
    atomic_store_explicit(&active, cllm_kernels_of(level), memory_order_release);
    return 0;
}

const char *cllm_simd_level_name(cllm_simd_level level) {
    return level == CLLM_SIMD_AVX512BF16 ? "avx512bf16"
           : level == CLLM_SIMD_AVX512   ? "avx512"
           : level == CLLM_SIMD_AVX2     ? "avx2"
                                         : "scalar";
}

float cllm_dot(const float *a, const float *b, size_t n) { return cllm_kernels_get()->dot(a, b, n); }
void cllm_axpy(float alpha, const float *x, float *y, size_t n) { cllm_kernels_get()->axpy(alpha, x, y, n); }
void cllm_vadd(const float *a, const float *b, float *out, size_t n) { cllm_kernels_get()->vadd(a, b, out, n); }
void cllm_vscale(float alpha, float *x, size_t n) { cllm_kernels_get()->vscale(alpha, x, n); }
float cllm_vmax(const float *x, size_t n) { return cllm_kernels_get()->vmax(x, n); }
float cllm_vexp(const float *x, float shift, float *out, size_t n) { return cllm_kernels_get()->vexp(x, shift, out, n); }
