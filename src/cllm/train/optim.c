/* optim.c — AdamW (and the switch to Muon for the hidden matrices, muon.c), global-norm clipping and the learning-rate schedule
 * (warmup, then cosine or warm-down). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_simd.h"
#include "model/internal.h"

/* No a·b + c fused into one rounding anywhere here: AdamW must give the same bits at every vector width (gcc does
 * not contract under -std=c11; clang would, also inside its intrinsics, which are plain vector + and *). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

int cllm_adamw_init(cllm_adamw *opt, const cllm_model *m, cllm_error *err) {
    memset(opt, 0, sizeof *opt);
    opt->beta1 = 0.9f;
    opt->beta2 = 0.95f;
    opt->eps = 1e-8f;
    opt->weight_decay = 0.1f;
    opt->n = cllm_model_num_params(m);
    opt->m = calloc(opt->n ? opt->n : 1, sizeof(float));
    opt->v = calloc(opt->n ? opt->n : 1, sizeof(float));
    if (!opt->m || !opt->v) {
        cllm_adamw_free(opt);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for AdamW moments (%zu MB)", 2 * opt->n * 4 >> 20);
    }
    return 0;
}

void cllm_adamw_free(cllm_adamw *opt) {
    free(opt->m);
    free(opt->v);
    free(opt->muon_work);
    opt->m = opt->v = opt->muon_work = NULL;
    opt->muon = 0;
}

/* The update of one tensor's slice, with the constants it needs. The vector versions below compute exactly these
 * operations in this order (IEEE division and square root are correctly rounded at any width, and nothing is
 * contracted into an FMA), so every level gives the same bits: a resumed run stays bit-exact on any CPU. */
typedef struct adamw_consts {
    float b1, one_minus_b1, b2, one_minus_b2, c1, c2, lr, eps, wd;
} adamw_consts;

static void adamw_scalar(float *p, const float *g, float *m, float *v, size_t n, const adamw_consts *k) {
    for (size_t j = 0; j < n; j++) {
        float gj = g[j];
        m[j] = k->b1 * m[j] + k->one_minus_b1 * gj;
        v[j] = k->b2 * v[j] + k->one_minus_b2 * gj * gj;
        float mhat = m[j] / k->c1, vhat = v[j] / k->c2;
        p[j] -= k->lr * (mhat / (sqrtf(vhat) + k->eps) + k->wd * p[j]);
    }
}

/* The compiler will not vectorise adamw_scalar itself: sqrtf may set errno, a branch to a call per element. So the
 * wide versions are written with intrinsics, for the level the kernels' dispatch chose (CLLM_SIMD included). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ADAMW_X86 1

/* adamw_scalar's loop, W floats at a time (V the vector type, P the intrinsics' prefix), the tail by adamw_scalar. */
#define ADAMW_VECTOR(name, isa, V, P, W)                                                                           \
    __attribute__((target(isa))) static void name(float *p, const float *g, float *m, float *v, size_t n,         \
                                                  const adamw_consts *k) {                                        \
        V b1 = P##_set1_ps(k->b1), ob1 = P##_set1_ps(k->one_minus_b1), b2 = P##_set1_ps(k->b2);                    \
        V ob2 = P##_set1_ps(k->one_minus_b2), c1 = P##_set1_ps(k->c1), c2 = P##_set1_ps(k->c2);                    \
        V lr = P##_set1_ps(k->lr), eps = P##_set1_ps(k->eps), wd = P##_set1_ps(k->wd);                             \
        size_t j = 0;                                                                                              \
        for (; j + W <= n; j += W) {                                                                               \
            V gj = P##_loadu_ps(g + j), pj = P##_loadu_ps(p + j);                                                  \
            V mj = P##_add_ps(P##_mul_ps(b1, P##_loadu_ps(m + j)), P##_mul_ps(ob1, gj));                           \
            V vj = P##_add_ps(P##_mul_ps(b2, P##_loadu_ps(v + j)), P##_mul_ps(P##_mul_ps(ob2, gj), gj));           \
            P##_storeu_ps(m + j, mj);                                                                              \
            P##_storeu_ps(v + j, vj);                                                                              \
            V mhat = P##_div_ps(mj, c1), vhat = P##_div_ps(vj, c2);                                                \
            V step = P##_add_ps(P##_div_ps(mhat, P##_add_ps(P##_sqrt_ps(vhat), eps)), P##_mul_ps(wd, pj));         \
            P##_storeu_ps(p + j, P##_sub_ps(pj, P##_mul_ps(lr, step)));                                            \
        }                                                                                                          \
        adamw_scalar(p + j, g + j, m + j, v + j, n - j, k);                                                        \
    }
ADAMW_VECTOR(adamw_avx2, "avx2", __m256, _mm256, 8)
ADAMW_VECTOR(adamw_avx512, "avx512f", __m512, _mm512, 16)
#endif

typedef void (*adamw_fn)(float *p, const float *g, float *m, float *v, size_t n, const adamw_consts *k);

static adamw_fn adamw_pick(void) {
#ifdef ADAMW_X86
    switch (cllm_simd_level_get()) {
    case CLLM_SIMD_AVX512BF16:
    case CLLM_SIMD_AVX512: return adamw_avx512;
    case CLLM_SIMD_AVX2: return adamw_avx2;
    default: break;
    }
#endif
    return adamw_scalar;
}

void cllm_adamw_step(cllm_adamw *opt, cllm_model *model, float lr) {
    enum { CHUNK = 1 << 14 }; /* elements per task: each tensor is cut the same way for any thread count */
    opt->step++;
    float b1 = opt->beta1, b2 = opt->beta2;
    float c1 = 1.0f - powf(b1, (float)opt->step), c2 = 1.0f - powf(b2, (float)opt->step);
    adamw_fn update = adamw_pick();
    int nt = cllm_model_tensor_count(model), muon = opt->muon;
    if (muon) cllm_muon_step(opt, model, lr);
    /* one parallel region; the tensors' loops do not wait for each other (each element is updated once) */
    /* the part of the arena this optimizer owns: [first, last); its moments start at element first */
    size_t first = opt->shard_n ? opt->shard_lo : 0, last = opt->shard_n ? opt->shard_lo + opt->shard_n : opt->n;
#pragma omp parallel
    for (int i = 0; i < nt; i++) {
        const cllm_tensor *t = cllm_model_tensor(model, i);
        if (!t->trainable || (muon && cllm_muon_blocks(t))) continue;
        adamw_consts k = {b1, 1.0f - b1, b2, 1.0f - b2, c1, c2, lr, opt->eps, t->decay ? opt->weight_decay : 0.0f};
        /* the tensor's elements inside [first, last), relative to the tensor: [a, b) */
        size_t o = t->offset, a = first > o ? first - o : 0, b = last - o < t->numel ? last - o : t->numel;
        if (last <= o || a >= b) continue;
        size_t chunks = (b - a + CHUNK - 1) / CHUNK;
#pragma omp for schedule(static) nowait
        for (size_t c = 0; c < chunks; c++) {
            size_t lo = a + c * CHUNK, n = b - lo < CHUNK ? b - lo : CHUNK; /* element-wise: any cut, same bits */
            update(t->data + lo, t->grad + lo, opt->m + (o + lo - first), opt->v + (o + lo - first), n, &k);
        }
    }
}

/* The hidden matrix (under Muon) that a shard bound at element b would cut, or NULL. */
static const cllm_tensor *muon_cut(const cllm_adamw *opt, const cllm_model *m, size_t b) {
    for (int i = 0; opt->muon && i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        if (cllm_muon_blocks(t) && b > t->offset && b < t->offset + t->numel) return t;
    }
    return NULL;
}

void cllm_adamw_split(const cllm_adamw *opt, const cllm_model *m, int n, size_t *bounds) {
    size_t P = cllm_model_num_params(m);
    for (int r = 0; r <= n; r++) {
        size_t b = P * (size_t)r / (size_t)n;
        const cllm_tensor *t = muon_cut(opt, m, b);
        if (t) b = b - t->offset <= t->offset + t->numel - b ? t->offset : t->offset + t->numel;
        bounds[r] = b; /* the matrices do not overlap, so moving each bound to a nearer end keeps the order */
    }
}

int cllm_adamw_shard(cllm_adamw *opt, const cllm_model *model, size_t lo, size_t count, cllm_error *err) {
    size_t first = opt->shard_n ? opt->shard_lo : 0, last = opt->shard_n ? opt->shard_lo + opt->shard_n : opt->n;
    if (count == 0 || lo < first || lo + count > last)
        return cllm_error_set(err, CLLM_ERR_ARG, "optimizer shard [%zu, %zu) is outside [%zu, %zu)", lo, lo + count,
                              first, last);
    const cllm_tensor *cut = muon_cut(opt, model, lo);
    if (cut || (cut = muon_cut(opt, model, lo + count)))
        return cllm_error_set(err, CLLM_ERR_ARG, "optimizer shard [%zu, %zu) cuts %s, which Muon needs whole", lo,
                              lo + count, cut->name);
    float *m = malloc(sizeof(float) * count), *v = calloc(count, sizeof(float));
    if (!m || !v) {
        free(m);
        free(v);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the optimizer shard");
    }
    memcpy(m, opt->m + (lo - first), sizeof(float) * count);
    /* v, tensor by tensor: under Muon the hidden matrices' part stays 0 and is not copied, so its pages are never
     * touched (as in the whole optimizer, whose zeroed moments cost no memory where they are not used) */
    for (int i = 0; i < cllm_model_tensor_count(model); i++) {
        const cllm_tensor *t = cllm_model_tensor(model, i);
        size_t a = t->offset > lo ? t->offset : lo, b = t->offset + t->numel < lo + count ? t->offset + t->numel : lo + count;
        if (a < b && !(opt->muon && cllm_muon_blocks(t)))
            memcpy(v + (a - lo), opt->v + (a - first), sizeof(float) * (b - a));
    }
    free(opt->m);
    free(opt->v);
    opt->m = m;
    opt->v = v;
    opt->shard_lo = lo;
    opt->shard_n = count;
    return 0;
}

/* Σ x² in double over fixed chunks summed in order: the same bits for any thread count. */
static double sum_squares(const float *x, size_t n) {
    enum { CHUNKS = 64 };
    double part[CHUNKS];
#pragma omp parallel for schedule(static)
    for (int c = 0; c < CHUNKS; c++) {
        size_t lo = n * (size_t)c / CHUNKS, hi = n * (size_t)(c + 1) / CHUNKS;
        double s = 0;
        for (size_t j = lo; j < hi; j++) s += (double)x[j] * x[j];
        part[c] = s;
    }
    double total = 0;
    for (int c = 0; c < CHUNKS; c++) total += part[c];
    return total;
}

float cllm_clip_grad_norm(cllm_model *model, float max_norm) {
    int nt = cllm_model_tensor_count(model);
    double sum = 0;
    for (int i = 0; i < nt; i++) {
        const cllm_tensor *t = cllm_model_tensor(model, i);
        if (t->trainable) sum += sum_squares(t->grad, t->numel);
    }
    float norm = (float)sqrt(sum);
    if (max_norm > 0 && norm > max_norm) {
        float k = max_norm / (norm + 1e-6f);
        for (int i = 0; i < nt; i++) {
            const cllm_tensor *t = cllm_model_tensor(model, i);
            if (!t->trainable) continue;
            float *g = t->grad;
#pragma omp parallel for schedule(static)
            for (size_t j = 0; j < t->numel; j++) g[j] *= k;
        }
    }
    return norm;
}

float cllm_lr_at(const cllm_lr_plan *plan, int64_t step, double done) {
    float lr_max = plan->lr_max, lr_min = plan->lr_min, lr = lr_min;
    if (done < plan->total && plan->kind == CLLM_SCHEDULE_WSD) {
        double from = fmax(plan->start, (1 - plan->warmdown) * plan->total);
        lr = done <= from ? lr_max : lr_max + (lr_min - lr_max) * (float)((done - from) / (plan->total - from));
    } else if (done < plan->start) { /* counted in steps: still warming up */
        lr = lr_max;
    } else if (done < plan->total) { /* the float arithmetic of the first cosine, so step-counted runs keep their bits */
        double span = plan->total - plan->start, progress = (done - plan->start) / (span > 0 ? span : 1);
        lr = lr_min + 0.5f * (lr_max - lr_min) * (float)(1.0 + cos(3.141592653589793 * progress));
    }
    if (step < plan->warmup) lr = lr * (float)(step + 1) / (float)plan->warmup;
    return lr;
}

float cllm_lr_schedule(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min) {
    cllm_lr_plan plan = {.kind = CLLM_SCHEDULE_COSINE, .warmup = warmup, .total = (double)total,
                         .start = (double)warmup, .lr_max = lr_max, .lr_min = lr_min};
    return cllm_lr_at(&plan, step, (double)step);
}
