/* trainer.c — the training loop as an object: one optimizer step per call, validation, JSONL log, checkpoints,
 * stop rules. Setup of fresh and resumed runs is in trainer_setup.c; settings and the lock in trainer_settings.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cllm_io.h"
#include "cllm_simd.h"
#include "trainer_internal.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_line(const cllm_trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const cllm_trainer *t, const char *fmt, ...) {
    if (!t->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(t->log, fmt, ap);
    va_end(ap);
    fputc('\n', t->log);
    fflush(t->log);
}

static double elapsed(const cllm_trainer *t) { return t->started ? now_s() - t->t0 : 0; }

/* Training seconds of the whole run: earlier processes' (from the checkpoint) and this one's. */
static double clock_s(const cllm_trainer *t) { return t->clock_before + elapsed(t); }

/* ---- the schedule ---- */

static double end_reserve(const cllm_trainer *t);

/* The learning rate of the next step: cllm_lr_at, counted in steps, or on a time budget in training seconds, so
 * that the decay ends with the last step however fast the steps go (the first, cold steps are slower, and the
 * machine may be shared). The budget's end belongs to the closing validation and checkpoint (end_reserve): the
 * schedule ends before them, where the steps end. */
static float next_lr(const cllm_trainer *t) {
    const cllm_train_settings *s = &t->s;
    cllm_lr_plan plan = {.kind = s->schedule, .warmup = s->warmup, .total = (double)s->steps,
                         .start = (double)s->warmup, .warmdown = s->warmdown, .lr_max = (float)s->lr,
                         .lr_min = (float)s->min_lr};
    if (t->budget_s <= 0) return cllm_lr_at(&plan, t->step, (double)t->step);
    plan.total = fmax(t->budget_s - end_reserve(t), 0.5 * t->budget_s);
    plan.start = 0;
    return cllm_lr_at(&plan, t->step, clock_s(t));
}

/* Seconds the end of a time-budgeted run needs after its last step: the whole validation split (at the measured
 * speed of validation batches) and the last checkpoint (as long as the previous one took, or a guess from the
 * bytes before there was one). */
static double val_batch_seconds(const cllm_trainer *t) {
    /* before a validation was timed (a resumed run): a forward pass costs about a third of forward+backward */
    return t->val_batch_s > 0 ? t->val_batch_s : t->step_s / (double)t->accum / 3;
}

/* Batches of the closing validation: the whole split, unless on a time budget that would take over a tenth of the
 * budget (a large split, a short budget or a crowded machine); then as many as fit in that tenth. */
static int64_t final_val_batches(const cllm_trainer *t) {
    int64_t all = (t->val_windows + t->s.B - 1) / t->s.B;
    double batch_s = val_batch_seconds(t);
    if (t->budget_s <= 0 || batch_s <= 0 || (double)all * batch_s <= 0.1 * t->budget_s) return all;
    int64_t fit = (int64_t)(0.1 * t->budget_s / batch_s);
    return fit > 1 ? fit : 1;
}

static double save_seconds(const cllm_trainer *t) {
    double bytes = 12.0 * (double)cllm_model_num_params(t->model); /* model + two moments */
    return t->save_s > 0 ? t->save_s : 0.05 + bytes / 200e6;
}

static double end_reserve(const cllm_trainer *t) {
    double val = t->val ? val_batch_seconds(t) * (double)final_val_batches(t) : 0;
    return val + save_seconds(t);
}

/* ---- validation: mean loss and bits per byte over the first max_batches windows (the same ones every time) ---- */

static int64_t validate(cllm_trainer *t, int64_t max_batches, double until) {
    if (t->comm.rank != 0) return 0; /* every rank holds the same weights: one evaluation is enough */
    double t_start = now_s(), nats = 0, bytes = 0;
    int64_t tokens = 0;
    int B = t->s.B, T = t->s.T;
    cllm_window_iter it;
    cllm_window_iter_init(&it, t->val, T);
    int64_t b = 0;
    for (; b < max_batches && !(until > 0 && b > 0 && clock_s(t) >= until); b++) {
        int rows = cllm_window_iter_next(&it, B, t->x, t->y);
        if (rows == 0) break;
        cllm_model_evaluate(t->model, t->x, t->y, rows, T);
        const float *losses = cllm_model_losses(t->model);
        for (int i = 0; i < rows * T; i++) {
            size_t len = 0;
            cllm_tokenizer_token_bytes(t->tok, t->y[i], &len);
            nats += losses[i];
            bytes += (double)len;
        }
        tokens += (int64_t)rows * T;
    }
    double loss = tokens > 0 ? nats / (double)tokens : 0, bpb = bytes > 0 ? nats / log(2.0) / bytes : 0;
    double dt = now_s() - t_start;
    t->eval_s += dt;
    if (tokens > 0) t->val_batch_s = dt / ceil((double)tokens / ((double)B * T));
    double el = clock_s(t);
    log_line(t, "{\"step\":%lld,\"val_loss\":%.6f,\"val_bpb\":%.6f,\"val_tokens\":%lld,\"elapsed_s\":%.2f,"
                "\"eval_s\":%.2f}", (long long)t->step, loss, bpb, (long long)tokens, el, t->eval_s);
    cllm_train_event ev = {.kind = CLLM_TRAIN_VALIDATION, .step = t->step, .steps = t->s.steps, .val_loss = loss,
                           .val_bpb = bpb, .elapsed_s = el, .eval_s = t->eval_s, .skipped = t->skipped};
    trainer_emit(t, &ev);
    return b;
}

/* A resumed time budget must know what its closing validation will cost before it decides to stop: one batch,
 * timed and not logged. */
static void time_val_batch(cllm_trainer *t) {
    double t_start = now_s();
    cllm_window_iter it;
    cllm_window_iter_init(&it, t->val, t->s.T);
    int rows = cllm_window_iter_next(&it, t->s.B, t->x, t->y);
    if (rows > 0) cllm_model_evaluate(t->model, t->x, t->y, rows, t->s.T);
    double dt = now_s() - t_start;
    t->eval_s += dt;
    t->val_batch_s = dt;
}

/* ---- checkpoints: only rank 0 writes ---- */

/* The whole optimizer state of a sharded run, gathered into full-size moments on rank 0 (the only writer; the
 * other ranks only send their shards). full->m, v are the caller's to free (NULL off rank 0). */
static int gather_moments(cllm_trainer *t, cllm_adamw *full, cllm_error *err) {
    size_t P = t->opt.n;
    *full = t->opt;
    full->shard_lo = full->shard_n = 0;
    full->m = full->v = NULL;
    if (t->comm.rank == 0 && (!(full->m = malloc(sizeof(float) * P)) || !(full->v = malloc(sizeof(float) * P))))
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory gathering the optimizer state");
    if (t->comm.gather(t->comm.ctx, t->opt.m, full->m, t->bounds, err) ||
        t->comm.gather(t->comm.ctx, t->opt.v, full->v, t->bounds, err))
        return err ? err->code : 1;
    return 0;
}

static int save_checkpoint(cllm_trainer *t, const cllm_adamw *opt, cllm_error *err);

static int save_all(cllm_trainer *t, cllm_error *err) {
    if (!t->zero) return t->comm.rank == 0 ? save_checkpoint(t, &t->opt, err) : 0;
    cllm_adamw full;
    int rc = gather_moments(t, &full, err);
    if (!rc && t->comm.rank == 0) rc = save_checkpoint(t, &full, err);
    free(full.m);
    free(full.v);
    return rc;
}

/* Rank 0: checkpoint (model, optimizer opt, data position, settings) and model file, each written atomically. */
static int save_checkpoint(cllm_trainer *t, const cllm_adamw *opt, cllm_error *err) {
    cllm_train_state st;
    memset(&st, 0, sizeof st);
    st.step = t->step;
    st.tokens = (uint64_t)t->step * (uint64_t)t->s.total_batch;
    cllm_loader_state ls = cllm_loader_get_state(t->loader);
    memcpy(st.data_state, &ls, sizeof ls);
    st.data_state_size = sizeof ls;
    double t_start = now_s();
    if (trainer_settings_to_json(&t->s, clock_s(t), t->out, st.args_json, sizeof st.args_json, err))
        return err ? err->code : 1;
    trainer_describe(t);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->out);
    if (cllm_checkpoint_save(path, t->model, t->tok, opt, &st, err)) return err ? err->code : 1;
    snprintf(path, sizeof path, "%s/model.safetensors", t->out);
    if (cllm_model_save(t->model, t->tok, path, err)) return err ? err->code : 1;
    t->save_s = now_s() - t_start;
    cllm_train_event ev = {.kind = CLLM_TRAIN_CHECKPOINT, .step = t->step, .steps = t->s.steps,
                           .elapsed_s = clock_s(t), .skipped = t->skipped};
    trainer_emit(t, &ev);
    return 0;
}

/* ---- setup shared by fresh and resumed runs ---- */

static cllm_trainer *trainer_alloc(const cllm_train_opts *o) {
    cllm_trainer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->lock_fd = -1;
    atomic_init(&t->stop, 0);
    t->comm.size = 1;
    t->stages = 1;
    if (o->comm) t->comm = *o->comm;
    t->skip_nonfinite = o->skip_nonfinite;
    t->zero = o->zero && t->comm.size > 1;
    t->on_event = o->on_event;
    t->ctx = o->ctx;
    return t;
}

static int trainer_start(cllm_trainer *t, const cllm_train_opts *o, int resume, cllm_error *err) {
    cllm_train_settings *s = &t->s;
    int64_t micro = s->total_batch / ((int64_t)s->B * s->T), replicas = t->comm.size / t->stages;
    if (micro % replicas)
        return cllm_error_set(err, CLLM_ERR_ARG, "%lld micro-batches of %d×%d per step do not divide among %d "
                              "processes: choose --total-batch as a multiple of %lld", (long long)micro, s->B, s->T,
                              (int)replicas, (long long)s->B * s->T * replicas);
    t->accum = micro / replicas; /* a pipeline's stages all see every micro-batch */
    if (t->accum > 1 && !(t->gsum = malloc(sizeof(float) * cllm_model_num_params(t->model))))
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for the gradient sum");
    if (cllm_model_reserve(t->model, s->B, s->T, err)) return err ? err->code : 1;
    /* the recipe measures whether bf16 pays on each machine: every process takes the first process's answer */
    if (t->comm.size > 1 && t->comm.broadcast(t->comm.ctx, &s->precision, sizeof s->precision, 0, err))
        return err ? err->code : 1;
    if (cllm_model_set_precision(t->model, s->precision, err)) return err ? err->code : 1;
    if (trainer_pipeline_init(t, err)) return err ? err->code : 1;
    if (s->precision == CLLM_PRECISION_BF16 && !cllm_gemm_bf16_native())
        trainer_note(t, "precision bf16 is emulated on this CPU (no AVX512_BF16): the same results, slower than fp32");
    size_t bt = (size_t)s->B * (size_t)s->T;
    if (!(t->x = malloc(sizeof(int32_t) * bt)) || !(t->y = malloc(sizeof(int32_t) * bt)))
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for a %d×%d batch", s->B, s->T);
    if (t->comm.size > 1 &&
        t->comm.broadcast(t->comm.ctx, cllm_model_params(t->model), sizeof(float) * cllm_model_num_params(t->model),
                          0, err))
        return err ? err->code : 1;
    if (t->zero) { /* rank r keeps the moments of elements [bounds[r], bounds[r + 1]), as comm.allgather splits */
        int N = t->comm.size, r = t->comm.rank;
        if (!(t->bounds = malloc(sizeof(size_t) * (size_t)(N + 1))))
            return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
        cllm_adamw_split(&t->opt, t->model, N, t->bounds);
        for (int k = 0; k < N; k++)
            if (t->bounds[k] == t->bounds[k + 1]) /* Muon keeps each hidden matrix on one process */
                return cllm_error_set(err, CLLM_ERR_ARG, "--zero 1: process %d of %d would keep no optimizer state%s; "
                                      "use fewer processes", k, N,
                                      t->opt.muon ? " (Muon keeps each hidden matrix whole)" : "");
        if (cllm_adamw_shard(&t->opt, t->model, t->bounds[r], t->bounds[r + 1] - t->bounds[r], err))
            return err ? err->code : 1;
    }
    t->budget_s = s->minutes * 60;
    if (t->budget_s > 0 && t->comm.size > 1) /* each rank's clock would end the schedule at a different step */
        return cllm_error_set(err, CLLM_ERR_ARG, "a run whose schedule follows the clock (--minutes without --steps) "
                              "trains in one process only");
    if (t->val) t->val_windows = (int64_t)((cllm_shards_count(t->val) - 1) / (uint64_t)s->T);
    t->stop_at = o->stop_at > 0 && o->stop_at < s->steps ? o->stop_at : s->steps;
    t->deadline = o->minutes * 60; /* relative to t0, which is set by the first step */
    if (t->comm.rank == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/log.jsonl", t->out);
        if (!(t->log = fopen(path, resume ? "a" : "w")))
            return cllm_error_set(err, CLLM_ERR_IO, "cannot write %s", path);
    }
    const cllm_config *cfg = cllm_model_config(t->model);
    char msg[512];
    char ranks[48] = "";
    if (t->stages > 1) snprintf(ranks, sizeof ranks, "×%d pipelines of %d stages", t->comm.size / t->stages,
                                t->stages);
    else if (t->comm.size > 1) snprintf(ranks, sizeof ranks, "×%d processes", t->comm.size);
    int n = snprintf(msg, sizeof msg, "%zu parameters (L%d C%d H%d T%d V%d), batch %d×%d×%lld%s = %lld tokens/step, ",
                     cllm_model_num_params(t->model), cfg->n_layer, cfg->n_embd, cfg->n_head, cfg->n_ctx,
                     cfg->vocab_size, s->B, s->T, (long long)t->accum, ranks, (long long)s->total_batch);
    if (t->budget_s > 0)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%.2f of %.2f minutes done", t->clock_before / 60, s->minutes);
    else
        n += snprintf(msg + n, sizeof msg - (size_t)n, "steps %lld..%lld", (long long)t->step, (long long)s->steps);
    if (n > 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, ", %s", cllm_precision_name(s->precision));
    cllm_train_event ev = {.kind = CLLM_TRAIN_START, .step = t->step, .steps = s->steps, .msg = msg};
    trainer_emit(t, &ev);
    return 0;
}

cllm_trainer *cllm_trainer_new(const cllm_train_opts *o, cllm_error *err) {
    cllm_trainer *t = trainer_alloc(o);
    if (!t) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (trainer_pipeline_check(t, o, err) || trainer_setup_fresh(t, o, err) || trainer_start(t, o, 0, err)) {
        cllm_trainer_free(t);
        return NULL;
    }
    return t;
}

cllm_trainer *cllm_trainer_resume(const cllm_train_opts *o, cllm_error *err) {
    cllm_trainer *t = trainer_alloc(o);
    if (!t) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const char *out = o->out_dir ? o->out_dir : "";
    if (!*out || strlen(out) >= sizeof t->out) cllm_error_set(err, CLLM_ERR_ARG, "no run directory given, or too long");
    else snprintf(t->out, sizeof t->out, "%s", out);
    if (!*t->out || trainer_pipeline_check(t, o, err) || trainer_setup_resume(t, err) ||
        trainer_start(t, o, 1, err)) {
        cllm_trainer_free(t);
        return NULL;
    }
    return t;
}

/* ---- one step ---- */

static int local_stop(const cllm_trainer *t);

/* Clocks and Ctrl-C differ between processes: after each step all of them take rank 0's decision. */
static int agree_stop(cllm_trainer *t, cllm_error *err) {
    if (t->comm.size == 1) return 0;
    /* A stop request (a signal) may reach any rank first — mpirun hands Ctrl-C to the ranks as SIGTERM, one after
     * the other — so the ranks add their requests; the rest (steps, budget, stop-at) is rank 0's clock. */
    double requested = atomic_load(&t->stop) ? 1 : 0;
    t->agreed_stop = t->comm.rank == 0 ? local_stop(t) : 0;
    if (t->comm.allreduce_sum_f64(t->comm.ctx, &requested, 1, err) ||
        t->comm.broadcast(t->comm.ctx, &t->agreed_stop, sizeof t->agreed_stop, 0, err)) {
        t->failed = 1;
        return err ? err->code : 1;
    }
    if (!t->agreed_stop && requested > 0) t->agreed_stop = CLLM_STOP_REQUESTED;
    return 0;
}

/* The first tensor whose gradient holds a non-finite value, or NULL. */
static const char *nonfinite_tensor(const cllm_model *m) {
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *tn = cllm_model_tensor(m, i);
        if (!tn->grad) continue;
        for (size_t k = 0; k < tn->numel; k++)
            if (!isfinite(tn->grad[k])) return tn->name;
    }
    return NULL;
}

/* A step whose loss or gradient is not finite: skipped and counted, or the run fails with nothing written. */
static int nonfinite_step(cllm_trainer *t, double loss, float norm, cllm_error *err) {
    char what[160];
    const char *tensor = isfinite(loss) ? nonfinite_tensor(t->model) : NULL;
    if (!isfinite(loss)) snprintf(what, sizeof what, "the loss is %g", loss);
    else if (tensor) snprintf(what, sizeof what, "the gradient of %s is not finite (norm %g)", tensor, (double)norm);
    else snprintf(what, sizeof what, "the gradient norm is %g", (double)norm);
    if (t->skip_nonfinite) {
        t->skipped++;
        t->step++;
        char msg[256];
        snprintf(msg, sizeof msg, "step %lld skipped: %s", (long long)t->step, what);
        log_line(t, "{\"step\":%lld,\"skipped\":%lld,\"elapsed_s\":%.2f}", (long long)t->step, (long long)t->skipped,
                 elapsed(t));
        cllm_train_event ev = {.kind = CLLM_TRAIN_SKIPPED, .step = t->step, .steps = t->s.steps,
                               .elapsed_s = elapsed(t), .skipped = t->skipped, .msg = msg};
        trainer_emit(t, &ev);
        return 0;
    }
    t->failed = 1;
    return cllm_error_set(err, CLLM_ERR_STATE, "step %lld: %s; the update was not applied and the checkpoint on disk "
                          "is the last good one: lower --lr or --grad-clip and continue with --resume, or pass "
                          "--skip-nonfinite", (long long)t->step + 1, what);
}

/* The step's gradient (into the model's gradient arena) and loss. Every rank draws all N·a micro-batches of the
 * step, so the batch order (and the loader state in checkpoints) is the same at any N, and computes its own a of
 * them. Each micro-batch's gradient is formed on a zeroed arena, scaled by 1/(N·a), and added to the sum only
 * then: one process with a = 2 adds g0 + g1 exactly as two ranks' all-reduce does, where accumulating in the arena
 * (g0 + d1 + d2 ... term by term) would not. With N ranks the ranks' sums (and losses) are added in rank order. */
void trainer_add_micro_grad(cllm_trainer *t, int first) {
    if (t->accum == 1) return;
    const float *g = cllm_model_grads(t->model);
    size_t P = cllm_model_num_params(t->model);
    if (first) memcpy(t->gsum, g, sizeof(float) * P);
    else
        for (size_t k = 0; k < P; k++) t->gsum[k] += g[k];
}

static int accumulate(cllm_trainer *t, double *loss, cllm_error *err) {
    const cllm_train_settings *s = &t->s;
    int64_t a = t->accum, N = t->comm.size, first = t->comm.rank * a, micro = s->total_batch / ((int64_t)s->B * s->T);
    float *g = cllm_model_grads(t->model);
    size_t P = cllm_model_num_params(t->model);
    double sum = 0;
    if (t->stages > 1 && trainer_pipeline_grads(t, &sum, err)) return err ? err->code : 1;
    for (int64_t i = 0; t->stages == 1 && i < N * a; i++) {
        cllm_loader_next(t->loader, t->x, t->y);
        if (i < first || i >= first + a) continue;
        cllm_model_zero_grad(t->model);
        sum += cllm_model_forward(t->model, t->x, t->y, s->B, s->T);
        cllm_model_backward(t->model, 1.0f / (float)micro);
        trainer_add_micro_grad(t, i == first);
    }
    if (a > 1) memcpy(g, t->gsum, sizeof(float) * P);
    if (N > 1) { /* data parallel: the ranks' sums; pipeline: each stage's layers (zeros elsewhere) */
        if (t->comm.allreduce_sum(t->comm.ctx, g, P, err) || t->comm.allreduce_sum_f64(t->comm.ctx, &sum, 1, err))
            return err ? err->code : 1;
    }
    *loss = sum / (double)micro;
    return 0;
}

/* A pipeline's idle seconds per rank this step, as the log's ,"idle_s":[...] (rank 0); "" without stages. */
static int pipeline_idle(cllm_trainer *t, char *buf, size_t cap, cllm_error *err) {
    if (t->stages == 1) return 0;
    double idle[64] = {0};
    int S = t->comm.size < 64 ? t->comm.size : 64; /* by rank: stage r mod stages of pipeline r / stages */
    if (t->comm.rank < 64) idle[t->comm.rank] = t->idle_s;
    if (t->comm.allreduce_sum_f64(t->comm.ctx, idle, (size_t)S, err)) return err ? err->code : 1;
    size_t n = (size_t)snprintf(buf, cap, ",\"idle_s\":[");
    for (int s = 0; s < S && n < cap; s++) n += (size_t)snprintf(buf + n, cap - n, "%s%.4f", s ? "," : "", idle[s]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return 0;
}

int cllm_trainer_step(cllm_trainer *t, cllm_error *err) {
    if (t->failed) return cllm_error_set(err, CLLM_ERR_STATE, "the run has already failed");
    const cllm_train_settings *s = &t->s;
    if (!t->started) {
        t->started = 1;
        t->t0 = now_s();
        /* on a time budget the step-0 validation takes at most 2% of it (a crowded machine: 25% was measured) */
        if (t->step == 0 && t->val) validate(t, s->val_batches, t->budget_s > 0 ? 0.02 * t->budget_s : 0);
        else if (t->budget_s > 0 && t->val) time_val_batch(t);
    }
    double ts = now_s(), loss = 0;
    char idle[64 * 12] = ""; /* a pipeline: each stage's seconds waiting for the others, for the log */
    if (accumulate(t, &loss, err) || pipeline_idle(t, idle, sizeof idle, err)) {
        t->failed = 1;
        return err ? err->code : 1;
    }
    float norm = cllm_clip_grad_norm(t->model, (float)s->grad_clip);
    if (!isfinite(loss) || !isfinite(norm)) {
        int rc = nonfinite_step(t, loss, norm, err);
        return rc ? rc : agree_stop(t, err);
    }
    float lr = next_lr(t);
    cllm_adamw_step(&t->opt, t->model, lr);
    /* sharded: this rank updated its part of the weights; everyone's parts make the whole model again */
    if (t->zero && t->comm.allgather(t->comm.ctx, cllm_model_params(t->model), t->bounds, err)) {
        t->failed = 1;
        return err ? err->code : 1;
    }
    t->step++;
    double now = now_s(), dt = now - ts, el = clock_s(t), tps = (double)s->total_batch / dt;
    t->step_s = t->step_s > 0 ? 0.8 * t->step_s + 0.2 * dt : dt; /* follows the warm-up of caches and clocks */
    log_line(t, "{\"step\":%lld,\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.4f,\"ms\":%.1f,\"tokens_per_s\":%.1f,"
                "\"elapsed_s\":%.2f%s}", (long long)t->step, loss, lr, norm, dt * 1e3, tps, el, idle);
    cllm_train_event ev = {.kind = CLLM_TRAIN_STEP, .step = t->step, .steps = s->steps, .loss = loss, .lr = lr,
                           .grad_norm = norm, .tokens_per_s = tps, .elapsed_s = el, .eval_s = t->eval_s,
                           .skipped = t->skipped};
    if (t->budget_s > 0) {
        double left = fmax(t->budget_s - el, 0);
        ev.progress = fmin(el / t->budget_s, 1);
        ev.eta_s = left;
        ev.steps = t->step + (int64_t)(fmax(left - end_reserve(t), 0) / t->step_s);
    } else {
        ev.progress = (double)t->step / (double)s->steps;
        ev.eta_s = (elapsed(t) - t->eval_s) / (double)(t->step - t->start_step) * (double)(t->stop_at - t->step);
    }
    trainer_emit(t, &ev);
    /* The last step's validation is the final one, over the whole split, in cllm_trainer_finish. On a time budget,
     * a periodic validation waits while validating has taken over 5% of the time (the step-0 one included). */
    int due = t->val && t->step % s->val_every == 0 && t->step < s->steps;
    if (due && (t->budget_s <= 0 || t->eval_s <= 0.05 * elapsed(t))) validate(t, s->val_batches, 0);
    if (t->step % s->ckpt_every == 0 && t->step < s->steps && save_all(t, err)) { /* the last: finish */
        t->failed = 1;
        return err ? err->code : 1;
    }
    return agree_stop(t, err);
}

/* This process's view of whether to stop; with several processes only rank 0's counts (see cllm_trainer_step). */
static int local_stop(const cllm_trainer *t) {
    if (t->step >= t->s.steps) return CLLM_STOP_DONE;
    /* a budget ends when one more step would overrun it by more than half a step, the end included */
    if (t->budget_s > 0 && t->budget_s - clock_s(t) < 0.5 * t->step_s + (t->started ? end_reserve(t) : 0))
        return CLLM_STOP_DONE;
    if (t->step >= t->stop_at) return CLLM_STOP_AT;
    if (atomic_load(&t->stop)) return CLLM_STOP_REQUESTED;
    if (t->started && t->deadline > 0 && now_s() - t->t0 >= t->deadline) return CLLM_STOP_TIME;
    return 0;
}

int cllm_trainer_should_stop(const cllm_trainer *t) {
    return t->comm.size > 1 && t->step > t->start_step ? t->agreed_stop : local_stop(t);
}

int cllm_trainer_finish(cllm_trainer *t, cllm_error *err) {
    if (t->failed) return cllm_error_set(err, CLLM_ERR_STATE, "the run failed; nothing was saved");
    int done = cllm_trainer_should_stop(t) == CLLM_STOP_DONE;
    if (t->val && done && t->step > t->start_step) {
        /* on a time budget it stops short only where going on would overrun the budget by over 2% (the machine
         * slowed down since the stop was decided), leaving the checkpoint its time */
        int64_t all = (t->val_windows + t->s.B - 1) / t->s.B;
        double until = t->budget_s > 0 ? 1.02 * t->budget_s - save_seconds(t) : 0;
        int64_t batches = validate(t, final_val_batches(t), until);
        if (batches < all && t->comm.rank == 0)
            trainer_note(t, "the closing validation covers %lld of the val split's %lld batches: all of them would "
                         "overrun the time budget", (long long)batches, (long long)all);
    }
    if (save_all(t, err)) return err ? err->code : 1;
    log_line(t, "{\"step\":%lld,\"end\":\"%s\",\"elapsed_s\":%.2f,\"eval_s\":%.2f,\"skipped\":%lld}",
             (long long)t->step, done ? "done" : "stopped", clock_s(t),
             t->eval_s, (long long)t->skipped);
    return 0;
}

int cllm_trainer_run(cllm_trainer *t, cllm_error *err) {
    while (!cllm_trainer_should_stop(t))
        if (cllm_trainer_step(t, err)) return err ? err->code : 1;
    return cllm_trainer_finish(t, err);
}

void cllm_trainer_request_stop(cllm_trainer *t) { atomic_store(&t->stop, 1); }

int64_t cllm_trainer_step_count(const cllm_trainer *t) { return t->step; }

const cllm_train_settings *cllm_trainer_settings(const cllm_trainer *t) { return &t->s; }

cllm_model *cllm_trainer_model(cllm_trainer *t) { return t->model; }

void cllm_trainer_free(cllm_trainer *t) {
    if (!t) return;
    if (t->log) fclose(t->log);
    free(t->x);
    free(t->y);
    free(t->gsum);
    free(t->bounds);
    free(t->pipe_in);
    free(t->pipe_out);
    cllm_loader_free(t->loader);
    cllm_shards_close(t->train);
    cllm_shards_close(t->val);
    cllm_adamw_free(&t->opt);
    cllm_model_free(t->model);
    cllm_tokenizer_free(t->tok);
    if (t->lock_fd >= 0) close(t->lock_fd);
    free(t);
}
