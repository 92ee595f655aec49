/* trainer_internal.h — (internal to src/cllm/train) the trainer object, shared by the loop (trainer.c) and
 * the setup of fresh and resumed runs (trainer_setup.c, trainer_settings.c). */
#ifndef CLLM_TRAINER_INTERNAL_H
#define CLLM_TRAINER_INTERNAL_H

#include <stdatomic.h>
#include <stdio.h>

#include "cllm.h"
#include "cllm_data.h"
#include "cllm_tokenizer.h"
#include "cllm_train.h"

struct cllm_trainer {
    cllm_train_settings s;    /* what defines the run (paths absolute here; stored relative to out) */
    char out[1024];           /* run directory */
    int lock_fd;              /* flock'd RUN_DIR/.lock, -1 when none */
    cllm_model *model;
    cllm_tokenizer *tok;
    cllm_adamw opt;
    cllm_shards *train, *val; /* val NULL without validation data */
    cllm_loader *loader;
    int32_t *x, *y;           /* [B*T] batch buffers */
    int64_t step, start_step; /* steps done; where this process started */
    int64_t stop_at;          /* stop after this step (≤ s.steps) */
    int64_t accum;            /* this rank's micro-batches per step: total_batch / (B·T·comm.size) */
    float *gsum;              /* [params] the step's gradient sum, micro-batches kept apart (accum > 1), else NULL */
    double t0, deadline;      /* clock at the first step; wall-clock limit (0: none) */
    double eval_s;            /* seconds spent validating since t0 */
    int started;              /* t0 is set */
    /* a time-budgeted run (s.minutes > 0): the clock is the schedule */
    double budget_s;          /* s.minutes · 60; 0 when the run is counted in steps */
    double clock_before;      /* training seconds of earlier processes (from the checkpoint) */
    double step_s;            /* a running estimate of one step's seconds (validation excluded) */
    double val_batch_s;       /* measured seconds per validation batch (0 before the first) */
    double save_s;            /* seconds the last checkpoint took (0 before the first) */
    int64_t val_windows;      /* windows in the validation split: the final evaluation's size */
    FILE *log;                /* log.jsonl (rank 0 only; NULL elsewhere) */
    atomic_int stop;          /* cllm_trainer_request_stop was called */
    int skip_nonfinite;
    int zero;                 /* the optimizer holds this rank's shard only (ZeRO stage 1) */
    size_t *bounds;           /* zero: [comm.size + 1] the shards' bounds in the arena (cllm_adamw_split) */
    int64_t skipped;          /* non-finite steps skipped */
    int failed;               /* a step failed: finish saves nothing */
    int agreed_stop;          /* multi-process: rank 0's stop decision after the last step, broadcast to all */
    cllm_comm comm;           /* size 1, rank 0 and no functions when single-process */
    /* pipeline parallel (pipeline.c): rank s is stage s of `stages`, running layers [l0, l1) */
    int stages;               /* 1: no pipeline */
    int l0, l1;
    int slots;                /* micro-batches in flight on this stage at most (1F1B: stages - s) */
    float *pipe_in, *pipe_out; /* [B, T, C] the stream (or its gradient) received and sent */
    double idle_s;            /* seconds of the last step spent waiting for another stage */
    char history[1024];       /* how the steps before start_step were trained ("steps A-B: ...; ..."), from the
                                 checkpoint's cllm.trained; "" for a fresh run */
    cllm_train_event_fn on_event;
    void *ctx;
};

/* Emits an event (when there is a listener and this is rank 0). */
void trainer_emit(const cllm_trainer *t, const cllm_train_event *ev);
/* Emits a NOTE with a printf-style message. */
void trainer_note(const cllm_trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Settings ⇄ the JSON stored in checkpoints; paths inside out are stored relative to it. */
/* clock_s: the training seconds so far, which a time-budgeted run continues from. */
int trainer_settings_to_json(const cllm_train_settings *s, double clock_s, const char *out, char *buf, size_t cap,
                             cllm_error *err);
int trainer_settings_from_json(cllm_train_settings *s, double *clock_s, const char *out, const char *text,
                               cllm_error *err);

/* Adds the model's gradient arena (one micro-batch's gradient) to the step's sum t->gsum, or copies it there for
 * the step's first micro-batch; nothing with one micro-batch per step (the arena is the sum). */
void trainer_add_micro_grad(cllm_trainer *t, int first);
/* Pipeline stages from o (t->stages), refused where not built: 0 or CLLM_ERR_ARG. */
int trainer_pipeline_check(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err);
/* This stage's layers, micro-batch slots and buffers (after the model, accum and the batch shape are known). */
int trainer_pipeline_init(cllm_trainer *t, cllm_error *err);
/* This stage's part of the step's gradient (in the model's gradient arena, via gsum) and, on the last stage, the
 * sum of the micro-batches' losses added to *sum; 1F1B over t->accum micro-batches. */
int trainer_pipeline_grads(cllm_trainer *t, double *sum, cllm_error *err);

/* Sets the model's cllm.trained line for the steps done so far: the run's batch and arithmetic, then each span of
 * steps with the processes that trained it ("steps 0-4: 2 ranks, data parallel; steps 4-8: 1 process"). */
void trainer_describe(cllm_trainer *t);
/* The span list of a stored cllm.trained line (what follows its first "; "), for history; "" when none. */
const char *trainer_history_of(const char *trained);

/* Locks out (creating it if need be) for this process; a second trainer gets CLLM_ERR_STATE. Removes the temp
 * files a killed run left behind. */
int trainer_lock(cllm_trainer *t, const char *out, int create, cllm_error *err);
/* Opens shards and the loader from t->s (model and tokenizer already set). */
int trainer_open_data(cllm_trainer *t, cllm_error *err);
/* Fresh run setup: tokenizer, model, shards, optimizer. */
int trainer_setup_fresh(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err);
/* Resume setup: checkpoint, settings (validated), data, loader state, log truncated to the checkpoint's step. */
int trainer_setup_resume(cllm_trainer *t, cllm_error *err);

#endif
