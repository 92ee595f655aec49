/* gemv.c — matrix-vector products for one token at a time (generation), with an OpenMP split for large ones.
 *
 * x·W streams the rows of W through axpy into y, in memory order: one sequential stream is what the hardware
 * prefetchers serve best when W comes from DRAM (column strips that keep y in registers, or four rows at a time,
 * measured 1.8-3× slower there, and no faster from L3). Every y[j] is summed over k in order, one fused step
 * each; threads split the columns at multiples of 16 and never K, so results are bit-identical across runs and
 * thread counts. cllm_sgemm's M = 1 path, with its alpha and beta, runs through here too. */
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

/* Threads for a product of macs multiply-adds over `units` splittable units, at most max_threads (< 1: OpenMP's). */
static int gemv_threads(double macs, int units, int max_threads) {
#ifdef _OPENMP
    if (macs < GEMV_THREAD_MIN_MACS || omp_get_active_level() >= omp_get_max_active_levels()) return 1;
    int nt = max_threads > 0 ? max_threads : omp_get_max_threads();
    return nt < units ? nt : units > 0 ? units : 1;
#else
    (void)macs; (void)units; (void)max_threads;
    return 1;
#endif
}

/* [lo, hi) of `units` for part t of nt, by a fixed formula (balanced to one unit). */
static void split(int units, int t, int nt, int *lo, int *hi) {
    *lo = (int)((int64_t)units * t / nt);
    *hi = (int)((int64_t)units * (t + 1) / nt);
}

/* One product's operands: y = alpha·op(W)·x + beta·y (+ bias). */
typedef struct gemv_problem {
    int trans, K, N;       /* trans 0: y[N] = x[K]·W[K,N]; 1: y[N] = W[N,K]·x[K] */
    float alpha, beta;
    const float *x, *W, *bias;
    size_t ldw;
    float *y;
} gemv_problem;

/* Columns [16·lo, 16·hi) of y for part t of nt: x·W streams the rows of W through axpy; W·x is a dot per row. */
static void gemv_part(const cllm_kernels *kr, const gemv_problem *g, int t, int nt) {
    int lo, hi, units = g->trans ? g->N : (g->N + 15) / 16, scale = g->trans ? 1 : 16;
    split(units, t, nt, &lo, &hi);
    int j0 = lo * scale, j1 = hi * scale < g->N ? hi * scale : g->N;
    float *y = g->y;
    if (j1 <= j0) return;
    if (g->trans) {
        for (int j = j0; j < j1; j++) {
            float d = g->alpha * kr->dot(g->x, g->W + (size_t)j * g->ldw, (size_t)g->K);
            y[j] = g->beta == 0.0f ? d : d + g->beta * y[j];
        }
    } else {
        if (g->beta == 0.0f) memset(y + j0, 0, sizeof(float) * (size_t)(j1 - j0));
        else if (g->beta != 1.0f) kr->vscale(g->beta, y + j0, (size_t)(j1 - j0));
        for (int k = 0; k < g->K; k++)
            kr->axpy(g->alpha * g->x[k], g->W + (size_t)k * g->ldw + j0, y + j0, (size_t)(j1 - j0));
    }
    if (g->bias)
        for (int j = j0; j < j1; j++) y[j] += g->bias[j];
}

void cllm_gemv_run(const cllm_kernels *kr, int threads, int trans, int K, int N, float alpha, const float *x,
                   const float *W, size_t ldw, float beta, const float *bias, float *y) {
    if (N <= 0) return;
    gemv_problem g = {trans, K, N, alpha, beta, x, W, bias, ldw, y};
    int nt = gemv_threads((double)K * N, trans ? N : (N + 15) / 16, threads);
    if (nt == 1) { gemv_part(kr, &g, 0, 1); return; }
#pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        gemv_part(kr, &g, omp_get_thread_num(), omp_get_num_threads());
#endif
    }
}

void cllm_sgemv(int K, int N, const float *x, const float *W, int ldw, const float *bias, float *y) {
    cllm_gemv_run(cllm_kernels_get(), 0, 0, K, N, 1.0f, x, W, (size_t)ldw, 0.0f, bias, y);
}

void cllm_sgemv_t(int N, int K, const float *W, int ldw, const float *x, const float *bias, float *y) {
    cllm_gemv_run(cllm_kernels_get(), 0, 1, K, N, 1.0f, x, W, (size_t)ldw, 0.0f, bias, y);
}
