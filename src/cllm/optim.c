/* optim.c — AdamW, global-norm clipping and the warmup + cosine learning-rate schedule. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"

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
    opt->m = opt->v = NULL;
}

void cllm_adamw_step(cllm_adamw *opt, cllm_model *model, float lr) {
    opt->step++;
    float b1 = opt->beta1, b2 = opt->beta2;
    float c1 = 1.0f - powf(b1, (float)opt->step), c2 = 1.0f - powf(b2, (float)opt->step);
    int nt = cllm_model_tensor_count(model);
    for (int i = 0; i < nt; i++) {
        const cllm_tensor *t = cllm_model_tensor(model, i);
        if (!t->trainable) continue;
        float wd = t->decay ? opt->weight_decay : 0.0f;
        float *p = t->data, *g = t->grad, *m = opt->m + t->offset, *v = opt->v + t->offset;
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < t->numel; j++) {
            float gj = g[j];
            m[j] = b1 * m[j] + (1.0f - b1) * gj;
            v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
            float mhat = m[j] / c1, vhat = v[j] / c2;
            p[j] -= lr * (mhat / (sqrtf(vhat) + opt->eps) + wd * p[j]);
        }
    }
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

float cllm_lr_schedule(int64_t step, int64_t warmup, int64_t total, float lr_max, float lr_min) {
    if (step < warmup) return lr_max * (float)(step + 1) / (float)warmup;
    if (step >= total) return lr_min;
    double progress = (double)(step - warmup) / (double)(total - warmup > 0 ? total - warmup : 1);
    return lr_min + 0.5f * (lr_max - lr_min) * (float)(1.0 + cos(3.141592653589793 * progress));
}
