/* train_setup.h — `cllm train`'s flags, and everything a run needs before its first step. */
#ifndef CLLM_TRAIN_SETUP_H
#define CLLM_TRAIN_SETUP_H

#include <stdint.h>

#include "cllm.h"
#include "cllm_data.h"
#include "cllm_tokenizer.h"
#include "cli.h"

/* What defines a run; saved in every checkpoint, restored by --resume. */
typedef struct train_settings {
    char train_dir[2048], val_dir[2048]; /* shard directories ("" for no validation) */
    int B, T;                            /* micro-batch rows and sequence length */
    int64_t total_batch;                 /* tokens per optimizer step (multiple of B·T) */
    int64_t steps, warmup;               /* schedule length and linear warmup */
    double lr, min_lr, weight_decay, grad_clip;
    uint64_t seed;                       /* init and batch order */
    int64_t val_every, val_batches, ckpt_every;
    int muon;                            /* 1: Muon on the hidden matrices (--optimizer muon) */
    double muon_lr;                      /* Muon's peak learning rate (the schedule scales it as it scales lr) */
} train_settings;

typedef struct train_run {
    train_settings s;
    const char *out;        /* RUN_DIR */
    long threads;           /* 0: physical cores */
    double minutes;         /* wall-clock limit, 0: none */
    long stop_at;           /* stop after this step, 0: at s.steps */
    int resume;
    int steps_from_minutes; /* --minutes without --steps: fit the schedule to the time */
    int64_t start_step;
    cllm_model *model;
    cllm_tokenizer *tok;
    cllm_adamw opt;
    cllm_shards *train, *val; /* val NULL when there is no validation data */
    cllm_loader *loader;
    /* flags only a fresh run uses */
    cli_list data, val_paths;
    const char *tokenizer_path, *init_path, *config_name, *positions, *embed_init, *optimizer;
    int attn_prime_bias, relu2, rmsnorm, untied_head, no_bias, zero_init_proj;
    double logit_softcap;
    long tokenizer_vocab, layers, dim, heads, context, vocab_size;
    cllm_config cfg;        /* from --config and overrides (vocab_size set once the tokenizer is known) */
} train_run;

/* Parses argv into run (dies with exit 2 on bad flags or combinations). */
void train_parse(train_run *run, int argc, char **argv, const char *usage);
/* A new run: RUN_DIR, tokenizer, shards, model, optimizer (dies with exit 2 on any bad input). */
void train_setup_fresh(train_run *run);
/* Opens run->s.train_dir / val_dir and the batch loader. */
void train_open_data(train_run *run);
void train_run_free(train_run *run);
/* Sets run->s.steps to what fits in run->minutes (x, y: B·T scratch ids). */
void train_fit_steps(train_run *run, int32_t *x, int32_t *y);

#endif
