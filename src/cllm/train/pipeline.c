/* pipeline.c — pipeline-parallel training (cllm_train_opts.pipeline_stages = S > 1, N = S·D processes): D pipelines
 * (data parallel between them), rank r is stage s = r mod S of pipeline d = r / S and runs layers [L·s/S, L·(s+1)/S)
 * of its pipeline's micro-batches; stage 0 also embeds the tokens, the last stage runs the final norm, the head and
 * the loss. Pipeline d takes micro-batches d·a .. d·a + a - 1 of the step's D·a (as data-parallel rank d would).
 * They go through the stages in a 1F1B schedule (stage s runs S - 1 - s forwards ahead, then alternates one
 * forward and one backward, then drains the backwards), the residual stream [B,T,C] forward and its gradient
 * backward point to point (cllm_comm.send/recv) between neighbouring ranks.
 *
 * Every rank keeps the whole model and optimizer: a stage's gradient holds its own tensors only (zeros elsewhere;
 * a tied wte's on stage 0, which receives the head's part of it from the last stage for each micro-batch), and the
 * trainer's all-reduce of the gradient arena puts them together (x + 0 = x: exact; between pipelines it adds them
 * in rank order, as data parallel does), so every rank applies the same
 * full update, clipping sees the whole norm, validation runs on rank 0 and checkpoints are those of one process.
 * Each micro-batch's gradient is formed on a zeroed arena and added to the step's sum in micro-batch order, as one
 * process accumulating M micro-batches does: the same additions, so the same bits as that process. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/internal.h"
#include "trainer_internal.h"

/* forward: the stream to the next stage; backward: its gradient back, and the head's part of a tied wte's */
enum { TAG_STREAM = 1, TAG_GRAD = 2, TAG_WTE = 3 };

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int trainer_pipeline_check(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    int S = o->pipeline_stages > 1 ? o->pipeline_stages : 1, N = t->comm.size;
    t->stages = S;
    if (S == 1) return 0;
    if (N % S)
        return cllm_error_set(err, CLLM_ERR_ARG, "--pipeline-stages %d needs a multiple of %d processes (pipelines of "
                              "%d stages), not %d", S, S, S, N);
    if (t->zero) return cllm_error_set(err, CLLM_ERR_ARG, "--zero 1 does not combine with --pipeline-stages");
    if (!t->comm.send || !t->comm.recv)
        return cllm_error_set(err, CLLM_ERR_ARG, "pipeline stages need a communicator with send and recv");
    return 0;
}

int trainer_pipeline_init(cllm_trainer *t, cllm_error *err) {
    if (t->stages == 1) return 0;
    int S = t->stages, s = t->comm.rank % S, L = cllm_model_config(t->model)->n_layer;
    if (S > L) return cllm_error_set(err, CLLM_ERR_ARG, "--pipeline-stages %d: the model has only %d layers", S, L);
    t->l0 = L * s / S;
    t->l1 = L * (s + 1) / S;
    /* 1F1B keeps at most S - s micro-batches in flight on stage s */
    t->slots = S - s < t->accum ? S - s : (int)t->accum;
    if (cllm_model_reserve_slots(t->model, t->s.B, t->s.T, t->slots, err)) return err ? err->code : 1;
    size_t n = (size_t)t->s.B * t->s.T * cllm_model_config(t->model)->n_embd;
    if (!(t->pipe_in = malloc(sizeof(float) * n)) || !(t->pipe_out = malloc(sizeof(float) * n)))
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the pipeline's buffers");
    return 0;
}

static int recv_timed(cllm_trainer *t, float *buf, size_t n, int from, int tag, cllm_error *err) {
    double t0 = now_s();
    int rc = t->comm.recv(t->comm.ctx, buf, n, from, tag, err);
    t->idle_s += now_s() - t0;
    return rc;
}

/* Micro-batch i through this stage, forward: the batch is drawn on every stage (the loader's state stays that of
 * one process); the loss (last stage) is added to *sum. */
static int stage_forward(cllm_trainer *t, int64_t i, size_t n, double *sum, cllm_error *err) {
    int r = t->comm.rank, s = r % t->stages, last = s == t->stages - 1;
    cllm_loader_next(t->loader, t->x, t->y);
    if (s > 0 && recv_timed(t, t->pipe_in, n, r - 1, TAG_STREAM, err)) return err ? err->code : 1;
    float loss = cllm_model_forward_layers(t->model, (int)(i % t->slots), t->l0, t->l1, t->x, t->pipe_in, t->y,
                                           t->pipe_out, t->s.B, t->s.T);
    if (last) *sum += loss;
    else if (t->comm.send(t->comm.ctx, t->pipe_out, n, r + 1, TAG_STREAM, err)) return err ? err->code : 1;
    return 0;
}

/* Micro-batch i backward: its gradient on a zeroed arena, scaled by 1/M, sent on, then added to the step's sum.
 * A tied wte: one process adds the embedding's part into the head's (wte = 0 + head, then += each token's row), so
 * the last stage sends its head part to stage 0, which starts from it: the same bits as one process. */
static int stage_backward(cllm_trainer *t, int64_t i, size_t n, cllm_error *err) {
    int S = t->stages, r = t->comm.rank, s = r % S, last = s == S - 1, tied = !cllm_model_config(t->model)->untied_head;
    const cllm_tensor *wte = cllm_model_tensor_find(t->model, "wte.weight");
    int64_t micro = t->s.total_batch / ((int64_t)t->s.B * t->s.T); /* the step's, over all pipelines */
    if (!last && recv_timed(t, t->pipe_in, n, r + 1, TAG_GRAD, err)) return err ? err->code : 1;
    cllm_model_zero_grad(t->model);
    if (s == 0 && tied && recv_timed(t, wte->grad, wte->numel, r + S - 1, TAG_WTE, err)) return err ? err->code : 1;
    cllm_model_backward_layers(t->model, (int)(i % t->slots), t->l0, t->l1, last ? NULL : t->pipe_in,
                               s > 0 ? t->pipe_out : NULL, 1.0f / (float)micro, t->s.B, t->s.T);
    if (s > 0 && t->comm.send(t->comm.ctx, t->pipe_out, n, r - 1, TAG_GRAD, err)) return err ? err->code : 1;
    if (last && tied) {
        if (t->comm.send(t->comm.ctx, wte->grad, wte->numel, r - S + 1, TAG_WTE, err)) return err ? err->code : 1;
        memset(wte->grad, 0, sizeof(float) * wte->numel);
    }
    trainer_add_micro_grad(t, i == 0);
    return 0;
}

int trainer_pipeline_grads(cllm_trainer *t, double *sum, cllm_error *err) {
    int64_t M = t->accum, warm = t->slots - 1, fwd = 0, bwd = 0, d = t->comm.rank / t->stages;
    int64_t D = t->comm.size / t->stages;
    size_t n = (size_t)t->s.B * t->s.T * cllm_model_config(t->model)->n_embd;
    t->idle_s = 0;
    /* every rank walks the step's D·M micro-batches (the loader's state is one process's); its pipeline's are d's */
    for (int64_t k = 0; k < d * M; k++) cllm_loader_next(t->loader, t->x, t->y);
    while (bwd < M) { /* a forward while fewer than warm + 1 micro-batches are in flight, else a backward */
        int rc = fwd < M && fwd - bwd <= warm ? stage_forward(t, fwd++, n, sum, err) : stage_backward(t, bwd++, n, err);
        if (rc) return rc;
    }
    for (int64_t k = (d + 1) * M; k < D * M; k++) cllm_loader_next(t->loader, t->x, t->y);
    return 0;
}
