/* gemm.c — cllm_sgemm: packed, cache-blocked matrix product (GotoBLAS / BLIS loop order) on the dispatched
 * micro-kernel, OpenMP inside; the scalar micro-kernel; the slow reference; the optional OpenBLAS route.
 *
 * Each thread owns a block of C (see thread_grid) and runs, over it, outermost first:  jc (nc columns)  →  pc
 * (kc of K: pack op(B) block)  →  ic (mc rows: pack op(A) block)  →  jr (nr columns)  →  ir (mr rows): the
 * micro-kernel. Packing buffers are the thread's own; threads never wait for each other.
 *
 * Determinism: every element of C is computed by the same micro-kernel call sequence whatever the thread count
 * (threads split rows at multiples of mr and columns at multiples of nr; K is never split; kc blocks are added in
 * order), so results are bit-identical across runs AND across thread counts.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef CLLM_USE_OPENBLAS
#include <cblas.h>
#endif

#include "kernels.h"

/* ---------------------------------------------------------------------------------------------------------------
 * Scalar micro-kernel. */

void cllm_gemm_micro_scalar(int kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
    enum { MR = CLLM_SCALAR_MR, NR = CLLM_SCALAR_NR };
    float acc[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++, a += MR, b += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] += a[r] * b[j];
    for (int r = 0; r < MR; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int j = 0; j < NR; j++) cr[j] = beta == 0.0f ? alpha * acc[r][j] : alpha * acc[r][j] + beta * cr[j];
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Packing. A block: ceil(m/mr) panels, each kc groups of mr values (column k of the panel's rows), zero-padded
 * past row m. B block: ceil(n/nr) panels, each kc groups of nr values (row k of the panel's columns), zero-padded
 * past column n. The padding makes every micro-kernel call a full tile; edges are cut on the way out. */

static int min_int(int a, int b) { return a < b ? a : b; }

typedef struct gemm_problem {
    int trans_a, trans_b, M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    size_t lda, ldb, ldc;
} gemm_problem;

/* The portable transposing pack (see cllm_gemm_pack_fn): rows of src become columns of the panel. */
static void pack_t_portable(const float *src, size_t ld, int rows, int kc, int width, float *dst) {
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < kc; k++) dst[(size_t)k * width + r] = src[(size_t)r * ld + k];
    for (int r = rows; r < width; r++)
        for (int k = 0; k < kc; k++) dst[(size_t)k * width + r] = 0.0f;
}

/* n floats: the tile widths with a constant size, which the compiler inlines as a few vector moves (a library
 * memcpy call per 48 or 128 bytes cost ~3 % of a training step). */
static inline void copy_floats(float *d, const float *s, int n) {
    switch (n) {
    case 32: memcpy(d, s, 32 * sizeof(float)); break;
    case 16: memcpy(d, s, 16 * sizeof(float)); break;
    case 12: memcpy(d, s, 12 * sizeof(float)); break;
    case 8: memcpy(d, s, 8 * sizeof(float)); break;
    case 6: memcpy(d, s, 6 * sizeof(float)); break;
    case 4: memcpy(d, s, 4 * sizeof(float)); break;
    default: memcpy(d, s, sizeof(float) * (size_t)n);
    }
}

/* The copying pack: kc runs of n contiguous floats, ld apart, each padded with zeros to width. */
static void pack_n(const float *src, size_t ld, int n, int kc, int width, float *dst) {
    for (int k = 0; k < kc; k++) {
        float *d = dst + (size_t)k * width;
        copy_floats(d, src + (size_t)k * ld, n);
        for (int j = n; j < width; j++) d[j] = 0.0f;
    }
}

/* A block: rows [i0, i0+m) × columns [p0, p0+kc) of op(A), as ceil(m/mr) panels of kc×mr. */
static void pack_a_block(const cllm_kernels *kr, const gemm_problem *g, int i0, int m, int p0, int kc, float *dst) {
    const int mr = kr->mr;
    if (g->trans_a) {
        /* op(A)(i,k) = A[k][i]: walk each stored row once, end to end. Panel by panel instead would read mr
         * floats from each of kc rows lda apart, which with lda a multiple of 4 KiB all fall in one L1 set. */
        for (int k = 0; k < kc; k++) {
            const float *src = g->A + (size_t)(p0 + k) * g->lda + i0;
            for (int ir = 0; ir < m; ir += mr) pack_n(src + ir, 0, min_int(mr, m - ir), 1, mr, dst + (size_t)ir * kc + (size_t)k * mr);
        }
        return;
    }
    cllm_gemm_pack_fn pack_t = kr->gemm_pack_t ? kr->gemm_pack_t : pack_t_portable;
    for (int ir = 0; ir < m; ir += mr)
        pack_t(g->A + (size_t)(i0 + ir) * g->lda + p0, g->lda, min_int(mr, m - ir), kc, mr, dst + (size_t)ir * kc);
}

/* One B panel: columns [j0, j0+n) (n <= nr) × rows [p0, p0+kc) of op(B). */
static void pack_b_panel(const cllm_kernels *kr, const gemm_problem *g, int j0, int n, int p0, int kc, float *dst) {
    if (!g->trans_b) { /* op(B)(k,j) = B[k][j]: each k is a contiguous run of n values */
        pack_n(g->B + (size_t)p0 * g->ldb + j0, g->ldb, n, kc, kr->nr, dst);
        return;
    }
    cllm_gemm_pack_fn pack_t = kr->gemm_pack_t ? kr->gemm_pack_t : pack_t_portable;
    pack_t(g->B + (size_t)j0 * g->ldb + p0, g->ldb, n, kc, kr->nr, dst);
}

/* ---------------------------------------------------------------------------------------------------------------
 * The blocked driver. */

static int ceil_div(int a, int b) { return (a + b - 1) / b; }
/* Start of part i of n items cut into parts nearly equal parts. */
static int part_start(int i, int n, int parts) { return (int)((int64_t)n * i / parts); }

/* Splits nt threads into a tm × tn grid over the tile grid. Each thread packs its own rows of A and columns of
 * B, so splitting M repeats B's packing in every row group and splitting N repeats A's: the cost counts the
 * busiest thread's tiles and what it packs, a packed float weighted like one 16-lane FMA. */
static void thread_grid(int nt, int tiles_m, int tiles_n, int mr, int nr, int *tm, int *tn) {
    int64_t best = INT64_MAX;
    for (int d = 1; d <= nt; d++) {
        if (nt % d) continue;
        int64_t rows = ceil_div(tiles_m, d), cols = ceil_div(tiles_n, nt / d);
        int64_t cost = rows * cols * mr * nr / 16 + rows * mr + cols * nr;
        if (cost <= best) { best = cost; *tm = d; *tn = nt / d; }
    }
}

/* One full tile: A packed (cs == 0) or read in place at a[r·rs + k·cs] (see cllm_gemm_micro_strided_fn). */
static void tile(const cllm_kernels *kr, int kc, const float *ap, size_t rs, size_t cs, const float *bp, float *c,
                 size_t ldc, float alpha, float beta) {
    if (cs == 0) kr->gemm_micro(kc, ap, bp, c, ldc, alpha, beta);
    else kr->gemm_micro_strided(kc, ap, rs, cs, bp, c, ldc, alpha, beta);
}

/* An edge tile: the micro-kernel writes a full tile into tmp, the valid m×n corner goes to C. */
static void edge_tile(const cllm_kernels *kr, int kc, const float *ap, size_t rs, size_t cs, const float *bp,
                      float *c, size_t ldc, int m, int n, float alpha, float beta) {
    float tmp[CLLM_GEMM_MR_MAX * CLLM_GEMM_NR_MAX];
    tile(kr, kc, ap, rs, cs, bp, tmp, (size_t)kr->nr, 1.0f, 0.0f);
    for (int r = 0; r < m; r++) {
        float *cr = c + (size_t)r * ldc;
        const float *tr = tmp + (size_t)r * kr->nr;
        for (int j = 0; j < n; j++) cr[j] = beta == 0.0f ? alpha * tr[j] : alpha * tr[j] + beta * cr[j];
    }
}

/* Whether the micro-kernel reads op(A) in place instead of from packed panels: at every level that has the
 * strided kernel. Packing A costs a pass over the mc×kc block per (jc, pc) block, paid back only by the jr panels
 * that reuse it: with few columns (N up to a few hundred, and attention's per-head products) that pass was a large
 * share. In place, each k step reads one value from each of 12 rows of A (12 streams, each a cache line per 16
 * steps) or 12 consecutive values of a transposed A. Measured (bench/gemm_bench.c, 1 thread, Zen 4): never
 * slower, also where lda is a multiple of 4 KiB and the rows share an L1 set (fcproj, fc dinp: equal; the LM
 * head's dwte, a transposed A with lda 4096: 1.13-1.2x). The short last row panel of a block is still packed. */
static int a_in_place(const cllm_kernels *kr) { return kr->gemm_micro_strided != NULL; }

/* Rows [m0, m1) × the `panels` packed B panels from column jc, for one kc block. */
static void gemm_block_rows(const cllm_kernels *kr, const gemm_problem *g, int m0, int m1, int jc, int panels,
                            int pc, int kc, float beta, const float *bbuf, float *abuf) {
    const int MR = kr->mr, NR = kr->nr;
    int direct = a_in_place(kr);
    size_t rs = direct ? (g->trans_a ? 1 : g->lda) : 1, cs = direct ? (g->trans_a ? g->lda : 1) : 0;
    for (int ic = m0; ic < m1; ic += kr->mc) {
        int mc = min_int(kr->mc, m1 - ic), full = mc / MR * MR;
        if (!direct) pack_a_block(kr, g, ic, mc, pc, kc, abuf);
        else if (full < mc) pack_a_block(kr, g, ic + full, mc - full, pc, kc, abuf); /* the short last panel */
        for (int jr = 0; jr < panels; jr++) {
            int j = jc + jr * NR, n = min_int(NR, g->N - j);
            const float *bp = bbuf + (size_t)jr * NR * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int m = min_int(MR, mc - ir), i = ic + ir;
                float *c = g->C + (size_t)i * g->ldc + j;
                const float *ap = abuf + (size_t)ir * kc;
                size_t trs = rs, tcs = cs;
                if (direct && m < MR) ap = abuf, trs = 1, tcs = 0;
                else if (direct) ap = g->trans_a ? g->A + (size_t)pc * g->lda + i : g->A + (size_t)i * g->lda + pc;
                if (m == MR && n == NR) tile(kr, kc, ap, trs, tcs, bp, c, g->ldc, g->alpha, beta);
                else edge_tile(kr, kc, ap, trs, tcs, bp, c, g->ldc, m, n, g->alpha, beta);
            }
        }
    }
}

/* Thread t of nt: its block of C, rows [m0, m1) × columns [n0, n1), cut at tile boundaries, by the whole loop
 * nest with its own packing buffers. No thread waits for another: on a shared machine a barrier can cost a
 * descheduled thread's whole time slice. */
void cllm_gemm_thread_block(int t, int nt, int M, int N, int mr, int nr, int *m0, int *m1, int *n0, int *n1) {
    int tiles_m = ceil_div(M, mr), tiles_n = ceil_div(N, nr), tm = 1, tn = 1;
    thread_grid(nt, tiles_m, tiles_n, mr, nr, &tm, &tn);
    int ti = t / tn, tj = t % tn;
    *m0 = mr * part_start(ti, tiles_m, tm), *m1 = min_int(M, mr * part_start(ti + 1, tiles_m, tm));
    *n0 = nr * part_start(tj, tiles_n, tn), *n1 = min_int(N, nr * part_start(tj + 1, tiles_n, tn));
}

static void gemm_thread(const cllm_kernels *kr, const gemm_problem *g, int t, int nt, float *bbuf, float *abuf) {
    const int NR = kr->nr;
    int m0, m1, n0, n1;
    cllm_gemm_thread_block(t, nt, g->M, g->N, kr->mr, NR, &m0, &m1, &n0, &n1);
    if (m0 >= m1) return;
    for (int jc = n0; jc < n1; jc += kr->nc) {
        int nc = min_int(kr->nc, n1 - jc), panels = ceil_div(nc, NR);
        for (int pc = 0; pc < g->K; pc += kr->kc) {
            int kc = min_int(kr->kc, g->K - pc);
            for (int p = 0; p < panels; p++)
                pack_b_panel(kr, g, jc + p * NR, min_int(NR, n1 - jc - p * NR), pc, kc, bbuf + (size_t)p * NR * kc);
            float beta = pc == 0 ? g->beta : 1.0f; /* later kc blocks add onto the first */
            gemm_block_rows(kr, g, m0, m1, jc, panels, pc, kc, beta, bbuf, abuf);
        }
    }
}

/* C = beta·C (beta == 0: zeros, C unread): the whole product when alpha == 0 or K == 0, as in BLAS. */
static void scale_c(const gemm_problem *g) {
    for (int i = 0; i < g->M; i++) {
        float *c = g->C + (size_t)i * g->ldc;
        if (g->beta == 0.0f) memset(c, 0, sizeof(float) * (size_t)g->N);
        else if (g->beta != 1.0f) for (int j = 0; j < g->N; j++) c[j] *= g->beta;
    }
}

/* Threads worth using: at least ~8 MFLOP (~50 us) each. Below that the fork and join cost a few per cent when
 * the cores are free, and far more when they are shared: the join then waits for a descheduled thread's next
 * time slice (milliseconds; measured 0.5 GFLOP/s for 2 threads on a 256×256×64 product under load 8). */
int cllm_gemm_threads_for(int M, int N, int K, int mr, int nr, int threads) {
    double flops = 2.0 * M * N * K;
    int by_work = (int)(flops / 8e6), tiles = ceil_div(M, mr) * ceil_div(N, nr);
    int nt = min_int(threads, min_int(by_work, tiles));
    return nt < 1 ? 1 : nt;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* The packing workspace of the calling thread: grown when a product needs more, never shrunk, so a training step
 * (the same shapes every time) allocates only on its first call of each size. Thread-local, so products called
 * from different threads (two models, or the attention's per-head tasks) never share one. A thread that exits
 * frees its own (the key's destructor); cllm_gemm_workspace_release frees the caller's (the main thread's, whose
 * destructors never run). */
static _Thread_local float *workspace;
static _Thread_local size_t workspace_floats;
static pthread_key_t workspace_key;
static pthread_once_t workspace_key_once = PTHREAD_ONCE_INIT;
static int workspace_key_ok;

static void workspace_at_thread_exit(void *p) { free(p); }
static void workspace_key_make(void) { workspace_key_ok = pthread_key_create(&workspace_key, workspace_at_thread_exit) == 0; }

/* The workspace is freed when its thread ends (an OpenMP team that shrinks ends threads): a key's destructor. */
static pthread_key_t workspace_key;
static pthread_once_t workspace_once = PTHREAD_ONCE_INIT;
static void workspace_key_init(void) { (void)pthread_key_create(&workspace_key, free); }

void *cllm_gemm_workspace(size_t bytes) {
    size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
    if (floats <= workspace_floats) return workspace;
    pthread_once(&workspace_key_once, workspace_key_make);
    float *grown = aligned_alloc(64, sizeof(float) * round16(floats));
    if (!grown) return NULL;
    free(workspace);
    pthread_once(&workspace_once, workspace_key_init);
    (void)pthread_setspecific(workspace_key, grown);
    workspace = grown;
    workspace_floats = round16(floats);
    if (workspace_key_ok) pthread_setspecific(workspace_key, workspace);
    return workspace;
}

void cllm_gemm_workspace_release(void) {
    free(workspace);
    workspace = NULL;
    workspace_floats = 0;
    pthread_once(&workspace_key_once, workspace_key_make);
    if (workspace_key_ok) pthread_setspecific(workspace_key, NULL);
}

void cllm_gemm_run_threads(int nt, void (*fn)(void *ctx, int t, int nt), void *ctx) {
#ifdef _OPENMP
    /* one thread: no parallel region at all (libgomp allocates a team even for a serialised nested region) */
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        fn(ctx, omp_get_thread_num(), omp_get_num_threads()); /* the runtime may grant fewer than asked */
        return;
    }
#endif
    (void)nt;
    fn(ctx, 0, 1);
}

/* One thread's share of a product: its slice of the workspace, packed B first. */
typedef struct gemm_task {
    const cllm_kernels *kr;
    const gemm_problem *g;
    float *buf;
    size_t per_thread, bfloats;
} gemm_task;

static void gemm_task_run(void *ctx, int t, int nt) {
    const gemm_task *task = ctx;
    float *mine = task->buf + task->per_thread * (size_t)t;
    gemm_thread(task->kr, task->g, t, nt, mine, mine + task->bfloats);
}

int cllm_gemm_blocked(const cllm_kernels *kr, int threads, int trans_a, int trans_b, int M, int N, int K,
                      float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    gemm_problem g = {trans_a, trans_b, M, N, K, alpha, beta, A, B, C, (size_t)lda, (size_t)ldb, (size_t)ldc};
    if (M <= 0 || N <= 0) return 0;
    if (K <= 0 || alpha == 0.0f) { scale_c(&g); return 0; }
    if (M == 1 && !trans_a) { /* one token at generation: packing would cost more than the product */
        cllm_gemv_run(kr, threads, trans_b, K, N, alpha, A, B, (size_t)ldb, beta, NULL, C);
        return 0;
    }
    int nt = cllm_gemm_threads_for(M, N, K, kr->mr, kr->nr, threads < 1 ? 1 : threads), kc = min_int(kr->kc, K);
    size_t bfloats = round16((size_t)kc * kr->nr * ceil_div(min_int(N, kr->nc), kr->nr));
    size_t afloats = round16((size_t)kc * kr->mr * ceil_div(min_int(M, kr->mc), kr->mr));
    size_t per_thread = bfloats + afloats;
    float *buf = cllm_gemm_workspace(sizeof(float) * per_thread * (size_t)nt);
    if (!buf) return -1;
    gemm_task task = {kr, &g, buf, per_thread, bfloats};
    cllm_gemm_run_threads(nt, gemm_task_run, &task);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Public entry points. */

int cllm_gemm_max_threads(void) {
#ifdef _OPENMP
    if (omp_get_active_level() >= omp_get_max_active_levels()) return 1; /* no more nesting allowed */
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void cllm_sgemm_reference(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                          const float *B, int ldb, float beta, float *C, int ldc) {
#pragma omp parallel for schedule(static) if ((double)M * N * K > 1e6) /* small: not worth a fork */
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

void cllm_sgemm_native(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc) {
    if (cllm_gemm_blocked(cllm_kernels_get(), cllm_gemm_max_threads(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb,
                          beta, C, ldc) != 0)
        cllm_sgemm_reference(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); /* out of memory */
}

void cllm_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
#ifdef CLLM_USE_OPENBLAS
    if (M <= 0 || N <= 0) return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
                alpha, A, lda, B, ldb, beta, C, ldc);
#else
    cllm_sgemm_native(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

const char *cllm_sgemm_backend(void) {
#ifdef CLLM_USE_OPENBLAS
    return "openblas";
#else
    return cllm_simd_level_name(cllm_simd_level_get());
#endif
}
