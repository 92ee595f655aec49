/* cllm_train.h — a training run as one object: data → tokenizer → shards → model → optimizer steps, with
 * validation, a JSONL log, checkpoints and bit-exact resume. `cllm train`, the desktop app and multi-process
 * training all drive this object; none of them owns a training loop.
 *
 *     cllm_train_opts o = cllm_train_defaults();
 *     o.out_dir = "run"; o.data = paths; o.n_data = 1; o.settings.steps = 500;
 *     o.on_event = show; o.ctx = ui;                        // progress: steps, validations, checkpoints, notes
 *     cllm_error err = {0};
 *     cllm_trainer *t = cllm_trainer_new(&o, &err);          // or cllm_trainer_resume(&o, &err) on "run"
 *     while (t && !cllm_trainer_should_stop(t))              // one optimizer step per call: interleave your work
 *         if (cllm_trainer_step(t, &err)) break;
 *     if (t && !err.code) cllm_trainer_finish(t, &err);     // final validation, checkpoint + model saved
 *     cllm_trainer_free(t);
 *
 * The library never prints: everything a user should see arrives through on_event; failures come back as a code
 * and one line in cllm_error. A step whose loss or gradient norm is not finite is never applied: the step fails
 * with CLLM_ERR_STATE naming it (or, with skip_nonfinite, it is skipped and counted) and the files on disk stay
 * those of the last good checkpoint.
 *
 * Seams for others, kept here so they are saved in checkpoints and travel with a run:
 *  (a) cllm_comm: multi-process training. The trainer all-reduces the gradient arena after backward and before
 *      clipping, broadcasts the parameters from rank 0 at the start, and only rank 0 writes files, the log and
 *      takes the run directory's lock; the ranks agree on when to stop. NULL = one process.
 *  (b) cllm_train_settings.optimizer: the update rule (AdamW today; others add their kind and its state).
 *  (c) cllm_train_settings.precision: the arithmetic of forward/backward (fp32 today).
 */
#ifndef CLLM_TRAIN_H
#define CLLM_TRAIN_H

#include <stdint.h>

#include "cllm.h"
#include "cllm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLLM_TRAIN_MAX_STEPS = 1 << 30 }; /* steps of a time-budgeted run: the clock ends it first */

/* ADAMW: AdamW on every tensor. MUON: Muon on the hidden matrices (cllm_adamw_set_muon), AdamW on the rest. */
typedef enum cllm_optimizer_kind { CLLM_OPTIMIZER_ADAMW = 0, CLLM_OPTIMIZER_MUON = 1 } cllm_optimizer_kind;

/* What defines a run: saved (as JSON) in every checkpoint and restored on resume. Paths are stored relative to
 * the run directory when they lie inside it, else absolute. */
typedef struct cllm_train_settings {
    char train_dir[2048], val_dir[2048]; /* shard directories ("" for no validation) */
    int B, T;                            /* micro-batch rows and sequence length */
    int64_t total_batch;                 /* tokens per optimizer step (a multiple of B·T) */
    int64_t steps, warmup;               /* schedule length and linear warmup, in optimizer steps */
    double lr, min_lr, weight_decay, grad_clip;
    uint64_t seed;                       /* init and batch order */
    int64_t val_every, val_batches, ckpt_every;
    cllm_optimizer_kind optimizer;       /* (b) */
    double muon_lr;                      /* MUON: the hidden matrices' peak lr (lr stays AdamW's), scheduled alike */
    cllm_precision precision;            /* (c) */
    double minutes;                      /* > 0: a time budget: training (validation included) ends after this
                                            many minutes of wall time, the learning rate's schedule follows the
                                            clock to end with the last step, and steps is ignored */
    cllm_schedule_kind schedule;         /* COSINE (default) or WSD: constant, then linear to min_lr */
    double warmdown;                     /* WSD: the share of the run (steps, or the time budget) the decay takes,
                                            (0, 1]; default 0.3 */
} cllm_train_settings;

/* (a) Multi-process training (data parallel): every function returns 0 or an error code with err filled.
 * Every rank walks the same batch order and takes its own micro-batches of each step (rank r: micro-batches
 * r·a .. r·a + a - 1 of the N·a in a step, a = total_batch / (B·T·N)); each micro-batch's gradient is scaled by
 * 1/(N·a) and kept apart until it is added, and the ranks' sums are added in rank order. So N ranks do exactly the
 * additions of one process accumulating N micro-batches when a = 1 (bit-identical, docs/scaling.md), and the loader
 * state in a checkpoint does not depend on N: a run resumes on any number of ranks. */
typedef struct cllm_comm {
    void *ctx;
    int rank, size; /* this process, and how many take part */
    /* In place: data[i] = Σ over ranks of data[i], added in rank order (rank 0's value first, as is, then + rank
     * 1's, ...), the same bits on every rank. */
    int (*allreduce_sum)(void *ctx, float *data, size_t n, cllm_error *err);
    /* The same for a few doubles (n ≤ 64: the step's loss sum). */
    int (*allreduce_sum_f64)(void *ctx, double *data, size_t n, cllm_error *err);
    /* In place: bytes at data on every rank become root's. */
    int (*broadcast)(void *ctx, void *data, size_t bytes, int root, cllm_error *err);
    int (*barrier)(void *ctx, cllm_error *err);
    /* In place: rank r's part of data, elements [bounds[r], bounds[r + 1]), reaches every rank; bounds has size + 1
     * entries, from 0 to the length of data, and a part may be empty (zero only: cllm_adamw_split's bounds). */
    int (*allgather)(void *ctx, float *data, const size_t *bounds, cllm_error *err);
    /* Rank r's part (its elements [bounds[r], bounds[r + 1]), at part) into full[0..bounds[size]) on rank 0; full
     * is not used on the other ranks (zero only: checkpoints of the sharded optimizer state). */
    int (*gather)(void *ctx, const float *part, float *full, const size_t *bounds, cllm_error *err);
    /* Point to point (pipeline stages): n floats to rank `to`, returning at once (the data is copied; the send
     * completes whenever `to` receives), so no schedule of sends and receives can deadlock on a send. */
    int (*send)(void *ctx, const float *data, size_t n, int to, int tag, cllm_error *err);
    /* Waits for n floats from rank `from` with that tag (messages of one sender and tag arrive in order). */
    int (*recv)(void *ctx, float *data, size_t n, int from, int tag, cllm_error *err);
} cllm_comm;

typedef enum cllm_train_event_kind {
    CLLM_TRAIN_NOTE,       /* msg: something worth a line (data prepared, tokenizer trained, no validation data) */
    CLLM_TRAIN_START,      /* the run is ready: step (start), steps, msg (a one-line summary of the model/batch) */
    CLLM_TRAIN_STEP,       /* an optimizer step: step, steps, loss, lr, grad_norm, tokens_per_s, elapsed_s, eta_s */
    CLLM_TRAIN_VALIDATION, /* step, val_loss, val_bpb, elapsed_s */
    CLLM_TRAIN_CHECKPOINT, /* step: checkpoint.safetensors and model.safetensors are on disk */
    CLLM_TRAIN_SKIPPED,    /* step was not applied (non-finite, skip_nonfinite on): msg says why, skipped counts */
} cllm_train_event_kind;

typedef struct cllm_train_event {
    cllm_train_event_kind kind;
    int64_t step, steps;      /* steps done, and the schedule's length (estimated in a time-budgeted run) */
    double progress;          /* share of the schedule done, [0, 1]: steps, or time in a time-budgeted run */
    double loss, lr, grad_norm, tokens_per_s;
    double elapsed_s, eta_s;  /* training wall time so far (excluding setup), estimated time left */
    double eval_s;            /* of elapsed_s, seconds spent validating */
    double val_loss, val_bpb; /* nats/token and bits/byte on the validation split */
    int64_t skipped;          /* steps skipped as non-finite so far */
    const char *msg;          /* NOTE, START, SKIPPED: one line, valid during the call */
} cllm_train_event;

typedef void (*cllm_train_event_fn)(void *ctx, const cllm_train_event *ev);

/* Everything a fresh run needs; resume reads only the fields marked "resume too". */
typedef struct cllm_train_opts {
    const char *out_dir;              /* run directory (resume too): created; must not hold a run */
    const char *const *data;          /* text files, folders, .jsonl files, or one folder of shards */
    int n_data;
    const char *const *val;           /* validation text (or one shard folder); none: 5% of data's documents */
    int n_val;
    const char *tokenizer_path;       /* tokenizer JSON; NULL: the init model's, else BPE trained on data */
    int tokenizer_vocab;              /* that trained tokenizer's size; 0: chosen from the data size (512 under
                                       * 1 MB, 4096 under 4 MB, 8192 under 256 MB, else 16384) */
    cllm_config config;               /* model shape; vocab_size 0: the tokenizer's */
    const char *init_path;            /* start from this model file (its config and tokenizer); NULL: new */
    int context;                      /* train on T = context < n_ctx; 0: n_ctx */
    cllm_train_settings settings;     /* train_dir/val_dir/T are filled by the trainer; warmup, min_lr < 0: default
                                         (min_lr: lr/10 for COSINE, 0 for WSD) */
    /* resume too: */
    int64_t stop_at;                  /* stop (with a checkpoint) after this step; 0: at settings.steps */
    double minutes;                   /* resume too: a wall-clock limit for this process's steps; 0: none */
    int skip_nonfinite;               /* skip-and-count non-finite steps instead of failing */
    int zero;                         /* resume too: 1 = with comm, each rank keeps AdamW's moments for its 1/size of
                                         the parameters (ZeRO stage 1), updates those and all-gathers the weights */
    int pipeline_stages;              /* resume too: > 1 = pipeline parallel over that many processes (comm.size):
                                         rank s runs the s-th share of the layers, micro-batches scheduled 1F1B */
    int micro_batches;                /* fresh runs: micro-batches per step (total_batch = micro_batches·B·T);
                                         0: from total_batch, else the number of processes */
    const cllm_comm *comm;            /* NULL: one process; with N, a fresh run's default total_batch is N·B·T */
    cllm_train_event_fn on_event;     /* may be NULL */
    void *ctx;                        /* passed to on_event */
} cllm_train_opts;

/* Defaults of `cllm train`: tiny config, B 8, 1000 steps, lr 1e-3, AdamW, fp32, seed 1337. */
CLLM_API cllm_train_opts cllm_train_defaults(void);
/* A recipe: the measured values (docs/speedrun.md) for the settings a caller leaves to it. `cllm train` and the
 * app's Training tab both start from one. */
typedef struct cllm_train_recipe {
    const char *name;             /* "fast" (the default for new models) or "gpt2" (GPT-2's recipe exactly) */
    cllm_optimizer_kind optimizer;
    double lr, muon_lr;           /* AdamW's peak lr (under Muon: for the tensors that are not hidden matrices), Muon's */
    int bf16;                     /* bf16 products where they pay (cllm_gemm_bf16_faster: native and measured faster) */
    cllm_schedule_kind schedule;
    int layers;                   /* the depth when the caller chooses none (0: the preset's) */
    const char *summary;          /* a few words for a menu: "Muon, bf16 where faster" */
} cllm_train_recipe;

/* The i-th recipe, 0 being the default ("fast"), or NULL from the count on: what a menu of recipes lists. */
CLLM_API const cllm_train_recipe *cllm_train_recipe_at(int i);
/* The recipe called `name`, or NULL with err (CLLM_ERR_ARG, naming the recipes there are). */
CLLM_API const cllm_train_recipe *cllm_train_recipe_find(const char *name, cllm_error *err);
/* Sets the recipe's optimizer, lr, Muon lr, schedule and precision (bf16 when the recipe asks for it and the CPU
 * has it natively, else fp32) in s; the caller then sets what it wants otherwise. */
CLLM_API void cllm_train_recipe_apply(const cllm_train_recipe *r, cllm_train_settings *s);
/* Checks settings as flags and stored checkpoints must both satisfy; 0 or CLLM_ERR_ARG naming the field. */
CLLM_API int cllm_train_settings_check(const cllm_train_settings *s, cllm_error *err);

typedef struct cllm_trainer cllm_trainer;

/* A fresh run in o->out_dir: locks it, prepares data and tokenizer, builds the model. NULL with err on failure. */
CLLM_API cllm_trainer *cllm_trainer_new(const cllm_train_opts *o, cllm_error *err);
/* Continues the run in o->out_dir from its checkpoint, with its stored (validated) settings. NULL on failure. */
CLLM_API cllm_trainer *cllm_trainer_resume(const cllm_train_opts *o, cllm_error *err);
/* One optimizer step (with validation and checkpoint when due). 0, or an error code (CLLM_ERR_STATE: the step
 * was not finite and was not applied; nothing was written). */
CLLM_API int cllm_trainer_step(cllm_trainer *t, cllm_error *err);
/* Why the run should stop now: 0 (go on) or one of CLLM_STOP_*. */
CLLM_API int cllm_trainer_should_stop(const cllm_trainer *t);
enum { CLLM_STOP_DONE = 1, CLLM_STOP_AT = 2, CLLM_STOP_TIME = 3, CLLM_STOP_REQUESTED = 4 };
/* Ends the run: final validation (the whole split) when the schedule is done, checkpoint and model saved. */
CLLM_API int cllm_trainer_finish(cllm_trainer *t, cllm_error *err);
/* should_stop / step until done, then finish. 0 or an error code. */
CLLM_API int cllm_trainer_run(cllm_trainer *t, cllm_error *err);
/* Asks the run to stop after the current step; safe from another thread and from a signal handler. */
CLLM_API void cllm_trainer_request_stop(cllm_trainer *t);
/* Steps done so far. */
CLLM_API int64_t cllm_trainer_step_count(const cllm_trainer *t);
/* The run's settings (for display). */
CLLM_API const cllm_train_settings *cllm_trainer_settings(const cllm_trainer *t);
/* The model being trained (owned by the trainer; valid until cllm_trainer_free). */
CLLM_API cllm_model *cllm_trainer_model(cllm_trainer *t);
/* Releases the run directory's lock and everything the trainer owns; NULL is fine. Saves nothing. */
CLLM_API void cllm_trainer_free(cllm_trainer *t);

#ifdef __cplusplus
}
#endif
#endif
