/* gemv.c — matrix-vector products for one token at a time (generation), with an OpenMP split for large ones.
 *
 * x·W streams the rows of W through axpy into y, in memory order: one sequential stream is what the hardware
 * prefetchers serve best when W comes from DRAM (column strips that keep y in registers, or four rows at a time,
 * measured 1.8-3× slower there, and no faster from L3). Every y[j] is summed over k in order, one fused step each
 * (the rounding of cllm_sgemm's M = 1 path); threads split the columns at multiples of 16 and never K, so results
 * are bit-identical across runs and thread counts. */
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

/* Products below this many multiply-adds (16 MiB of weights) run on the calling thread. A fork and join costs
 * microseconds on an idle machine, but on a busy one a descheduled worker stalls every product for a time slice
 * (milliseconds); tiny's and small's products (at most 1M multiply-adds) measured slower on 2 threads there. */
#define GEMV_THREAD_MIN_MACS (1 << 22)

/* Threads for a product of macs multiply-adds over `units` splittable units. */
static int gemv_threads(double macs, int units) {
#ifdef _OPENMP
    if (macs < GEMV_THREAD_MIN_MACS || omp_get_active_level() >= omp_get_max_active_levels()) return 1;
    int nt = omp_get_max_threads();
    return nt < units ? nt : units > 0 ? units : 1;
#else
    (void)macs; (void)units;
    return 1;
#endif
}

/* [lo, hi) of `units` for part t of nt, by a fixed formula (balanced to one unit). */
static void split(int units, int t, int nt, int *lo, int *hi) {
    *lo = (int)((int64_t)units * t / nt);
    *hi = (int)((int64_t)units * (t + 1) / nt);
}

static void cols_part(const cllm_kernels *kr, int K, int N, const float *x, const float *W, size_t ldw,
                      const float *bias, float *y, int t, int nt) {
    int lo, hi;
    split((N + 15) / 16, t, nt, &lo, &hi);
    int j0 = lo * 16, j1 = hi * 16 < N ? hi * 16 : N;
    if (j1 <= j0) return;
    memset(y + j0, 0, sizeof(float) * (size_t)(j1 - j0));
    for (int k = 0; k < K; k++) kr->axpy(x[k], W + (size_t)k * ldw + j0, y + j0, (size_t)(j1 - j0));
    if (bias)
        for (int j = j0; j < j1; j++) y[j] += bias[j];
}

void cllm_sgemv(int K, int N, const float *x, const float *W, int ldw, const float *bias, float *y) {
    if (N <= 0) return;
    const cllm_kernels *kr = cllm_kernels_get();
    int nt = gemv_threads((double)K * N, (N + 15) / 16);
    if (nt == 1) { cols_part(kr, K, N, x, W, (size_t)ldw, bias, y, 0, 1); return; }
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        cols_part(kr, K, N, x, W, (size_t)ldw, bias, y, omp_get_thread_num(), omp_get_num_threads());
#endif
    }
}

static void rows_part(const cllm_kernels *kr, int N, int K, const float *W, size_t ldw, const float *x,
                      const float *bias, float *y, int t, int nt) {
    int lo, hi;
    split(N, t, nt, &lo, &hi);
    for (int j = lo; j < hi; j++) {
        float d = kr->dot(x, W + (size_t)j * ldw, (size_t)K);
        y[j] = bias ? d + bias[j] : d;
    }
}

void cllm_sgemv_t(int N, int K, const float *W, int ldw, const float *x, const float *bias, float *y) {
    if (N <= 0) return;
    const cllm_kernels *kr = cllm_kernels_get();
    int nt = gemv_threads((double)K * N, N);
    if (nt == 1) { rows_part(kr, N, K, W, (size_t)ldw, x, bias, y, 0, 1); return; }
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        rows_part(kr, N, K, W, (size_t)ldw, x, bias, y, omp_get_thread_num(), omp_get_num_threads());
#endif
    }
}
