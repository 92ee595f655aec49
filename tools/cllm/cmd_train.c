/* cmd_train.c — `cllm train`: flags, a progress line and Ctrl-C over the library's trainer (cllm_train.h), which
 * owns the run: data → tokenizer → shards → model → steps, validation, JSONL log, checkpoints, bit-exact resume. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cllm_simd.h"
#include "cllm_train.h"
#include "train_comm.h"

static const char usage[] =
    "usage: cllm train --data PATH... --out RUN_DIR [options]\n"
    "       cllm train --out RUN_DIR --resume [--threads N] [--stop-at STEP] [--minutes M]\n"
    "\n"
    "Trains a GPT-2-architecture model. PATH: text files, folders, .jsonl files, or folders of shards made by\n"
    "'cllm prepare'. RUN_DIR receives model.safetensors, checkpoint.safetensors, log.jsonl and the shards.\n"
    "\n"
    "data and tokenizer:\n"
    "  --val PATH...          validation text (default: 5% of the documents of --data)\n"
    "  --tokenizer FILE       tokenizer to use (default: the --init model's, else one trained on --data)\n"
    "  --tokenizer-vocab N    vocabulary size of that trained tokenizer (default: from the data size: 512 under\n"
    "                         1 MB, 4096 under 4 MB, 8192 under 256 MB, else 16384)\n"
    "model:\n"
    "  --config NAME          tiny (L4 C256 H4 T256; the default, with 1 layer under --recipe fast) | small (L6\n"
    "                         C384 H6 T256)\n"
    "  --layers N --dim C --heads H --context T --vocab-size V    override the preset\n"
    "  --positions KIND       learned (GPT-2, default) | sinusoidal | spiral | clock | prime (fixed, crystalline)\n"
    "  --embed-init KIND      gpt2 (normal 0.02, default) | lattice (token id -> prime -> Ulam-spiral features)\n"
    "  --attn-prime-bias      a learned per-head attention bias on prime token distances (crystalline)\n"
    "  --relu2 --rmsnorm --untied-head --no-bias --zero-init-proj --logit-softcap CAP --qk-norm --rope\n"
    "                         the speedrun's architecture options (docs/speedrun.md), added to the recipe's\n"
    "  --init MODEL           start from this model file (fine-tuning; its config and tokenizer are used;\n"
    "                         --context T < its context trains on shorter windows)\n"
    "recipe:\n"
    "  --recipe NAME          fast (default; gpt2 with --init): the best measured in five minutes on two cores\n"
    "                         (docs/speedrun.md): tiny with 1 layer, Muon on the hidden matrices, AdamW at lr\n"
    "                         1e-2 on the rest, bf16 products where the CPU has AVX512_BF16 and they measure\n"
    "                         faster than fp32 (a 0.1 s check at start); for longer runs give\n"
    "                         --layers or --config (deeper learns more per step) | gpt2: GPT-2's recipe exactly\n"
    "                         (tiny, AdamW at lr 1e-3, fp32). Flags override the recipe's values\n"
    "optimisation:\n"
    "  --batch B              sequences per micro-batch (default 8)\n"
    "  --total-batch N        tokens per optimizer step, a multiple of B*T (default B*T: no accumulation)\n"
    "  --steps N              optimizer steps (default 1000)\n"
    "  --minutes M            without --steps: train for M minutes of wall time (validation included); the\n"
    "                         learning rate's schedule follows the clock and ends with the last step, a validation\n"
    "                         of the whole val split closes the run, periodic validations keep under 5% of\n"
    "                         the time, warmup defaults to 20 steps. With --steps, or on --resume: stop (with a\n"
    "                         checkpoint) after M minutes\n"
    "  --lr LR                peak learning rate (default: the recipe's)\n"
    "  --min-lr LR            where the schedule ends (default lr/10 with cosine, 0 with wsd)\n"
    "  --warmup N             linear warmup steps (default 5% of steps)\n"
    "  --schedule KIND        after warmup: cosine (to --min-lr at the end, default) | wsd (constant at --lr,\n"
    "                         then linear to --min-lr, default 0, over the last --warmdown of the run)\n"
    "  --warmdown F           wsd: the share of the run (of --steps, or of the --minutes budget) the decay\n"
    "                         takes, in (0, 1] (default 0.3)\n"
    "  --weight-decay W       AdamW decoupled decay on matrices (default 0.1)\n"
    "  --grad-clip G          global gradient-norm clip, 0 = off (default 1.0)\n"
    "  --optimizer KIND       adamw | muon (hidden matrices on Muon, the rest on AdamW at --lr)\n"
    "  --muon-lr LR           Muon's peak learning rate (default: the recipe's)\n"
    "  --seed S               initialisation and batch order (default 1337)\n"
    "  --precision P          fp32 | bf16 (default: the recipe's): bf16 rounds the matrix products' inputs; sums and\n"
    "                         weights stay fp32 (vdpbf16ps where the CPU has AVX512_BF16, else an exact emulation:\n"
    "                         slower)\n"
    "  --threads N            OpenMP threads (default: physical cores)\n"
    "run:\n"
    "  --val-every N          validate every N steps (default 50)    --val-batches N  batches per validation (20)\n"
    "  --ckpt-every N         checkpoint every N steps (default 200)\n"
    "  --resume               continue RUN_DIR's checkpoint with its saved settings, bit-exactly\n"
    "  --stop-at STEP         stop with a checkpoint after STEP steps (as Ctrl-C would)\n"
    "  --skip-nonfinite       skip (and count) a step whose loss or gradient is not finite, instead of stopping\n"
    "several processes (build-mpi/cllm under mpirun; docs/scaling.md):\n"
    "                         data parallel: --batch B rows per process, the step N*B rows unless --total-batch\n"
    "  --zero 1               each process keeps the optimizer state of about 1/N of the parameters (ZeRO\n"
    "                         stage 1; under Muon each hidden matrix whole on one process)\n"
    "  --pipeline-stages S    pipeline parallel over S = N processes: each runs 1/S of the layers, 1F1B\n"
    "  --micro-batches M      micro-batches per step (the step is M*B rows; default N)\n";

/* Ctrl-C asks the trainer to stop after the current step; cllm_trainer_request_stop is one atomic store. */
static cllm_trainer *volatile running;
static void on_signal(int sig) {
    (void)sig;
    if (running) cllm_trainer_request_stop(running);
}

typedef struct cli_train {
    cllm_train_opts o;
    cli_list data, val;
    const char *config_name, *positions, *embed_init, *optimizer, *recipe, *schedule;
    long layers, dim, heads, context, vocab_size, tokenizer_vocab, threads, stop_at;
    int resume, attn_prime_bias, tty, relu2, rmsnorm, untied_head, no_bias, zero_init_proj, qk_norm, rope;
    double logit_softcap;
    const char *recipe_bf16; /* a recipe that wants bf16 where it pays, left to choose (no --precision) */
} cli_train;

/* The model config from --config and the overrides, checked now so bad flags fail before any slow work. */
static void check_config(cli_train *c) {
    cllm_error err = {0};
    cllm_config *cfg = &c->o.config;
    if (cllm_config_preset(c->config_name ? c->config_name : "tiny", cfg, &err)) cli_die(2, "train: %s", err.msg);
    if (c->layers) cfg->n_layer = (int)c->layers;
    if (c->dim) cfg->n_embd = (int)c->dim;
    if (c->heads) cfg->n_head = (int)c->heads;
    if (c->context) cfg->n_ctx = (int)c->context;
    if (c->positions && (cfg->pos_kind = cllm_pos_kind_parse(c->positions)) < 0)
        cli_die(2, "train: unknown --positions '%s' (learned, sinusoidal, spiral, clock, prime)", c->positions);
    if (c->embed_init) {
        if (strcmp(c->embed_init, "lattice") == 0) cfg->embed_init = 1;
        else if (strcmp(c->embed_init, "gpt2") != 0)
            cli_die(2, "train: unknown --embed-init '%s' (gpt2, lattice)", c->embed_init);
    }
    cfg->attn_prime_bias = c->attn_prime_bias;
    cfg->mlp_relu2 |= c->relu2;
    cfg->rmsnorm |= c->rmsnorm;
    cfg->untied_head |= c->untied_head;
    cfg->no_bias |= c->no_bias;
    cfg->zero_init_proj |= c->zero_init_proj;
    cfg->qk_norm |= c->qk_norm;
    cfg->rope |= c->rope;
    if (c->logit_softcap > 0) cfg->logit_softcap = (float)c->logit_softcap;
    cfg->vocab_size = c->vocab_size ? (int)c->vocab_size : 256; /* checked here; the tokenizer decides later */
    if (cllm_config_check(cfg, &err)) cli_die(2, "train: %s", err.msg);
    cfg->vocab_size = (int)c->vocab_size;
}

static void parse(cli_train *c, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    c->o = cllm_train_defaults();
    cllm_train_settings *s = &c->o.settings;
    long B = s->B, steps = s->steps, warmup = -1, seed = (long)s->seed, val_every = s->val_every;
    long val_batches = s->val_batches, ckpt_every = s->ckpt_every, total_batch = 0;
    double lr = s->lr, min_lr = -1, wd = s->weight_decay, clip = s->grad_clip, minutes = 0, muon_lr = s->muon_lr;
    double warmdown = s->warmdown;
    long zero = 0, stages = 0, micro_batches = 0;
    const char *precision = NULL;
    int seen[48] = {0}; /* flags with a seen slot define a run; the others may be given on --resume */
    cli_opt opts[] = {
        {"data", OPT_LIST, &c->data, 0, 0, &seen[0]},
        {"val", OPT_LIST, &c->val, 0, 0, &seen[1]},
        {"out", OPT_STR, &c->o.out_dir, 0, 0, &seen[2]},
        {"tokenizer", OPT_STR, &c->o.tokenizer_path, 0, 0, &seen[3]},
        {"tokenizer-vocab", OPT_INT, &c->tokenizer_vocab, 257, 1 << 20, &seen[4]},
        {"precision", OPT_STR, &precision, 0, 0, &seen[27]},
        {"config", OPT_STR, &c->config_name, 0, 0, &seen[5]},
        {"layers", OPT_INT, &c->layers, 0, 256, &seen[6]},
        {"dim", OPT_INT, &c->dim, 1, 16384, &seen[7]},
        {"heads", OPT_INT, &c->heads, 1, 16384, &seen[8]},
        {"context", OPT_INT, &c->context, 1, 65536, &seen[9]},
        {"vocab-size", OPT_INT, &c->vocab_size, 2, 1 << 24, &seen[10]},
        {"positions", OPT_STR, &c->positions, 0, 0, &seen[11]},
        {"embed-init", OPT_STR, &c->embed_init, 0, 0, &seen[25]},
        {"attn-prime-bias", OPT_FLAG, &c->attn_prime_bias, 0, 0, &seen[26]},
        {"relu2", OPT_FLAG, &c->relu2, 0, 0, &seen[36]},
        {"rmsnorm", OPT_FLAG, &c->rmsnorm, 0, 0, &seen[28]},
        {"untied-head", OPT_FLAG, &c->untied_head, 0, 0, &seen[29]},
        {"no-bias", OPT_FLAG, &c->no_bias, 0, 0, &seen[30]},
        {"zero-init-proj", OPT_FLAG, &c->zero_init_proj, 0, 0, &seen[31]},
        {"logit-softcap", OPT_FLOAT, &c->logit_softcap, 0, 1e4, &seen[32]},
        {"qk-norm", OPT_FLAG, &c->qk_norm, 0, 0, &seen[39]},
        {"rope", OPT_FLAG, &c->rope, 0, 0, &seen[42]},
        {"recipe", OPT_STR, &c->recipe, 0, 0, &seen[33]},
        {"optimizer", OPT_STR, &c->optimizer, 0, 0, &seen[34]},
        {"muon-lr", OPT_FLOAT, &muon_lr, 1e-6, 10, &seen[35]},
        {"init", OPT_STR, &c->o.init_path, 0, 0, &seen[12]},
        {"batch", OPT_INT, &B, 1, 4096, &seen[13]},
        {"total-batch", OPT_INT, &total_batch, 1, 1L << 40, &seen[14]},
        {"steps", OPT_INT, &steps, 1, 1L << 40, &seen[15]},
        {"lr", OPT_FLOAT, &lr, 0, 10, &seen[16]},
        {"min-lr", OPT_FLOAT, &min_lr, 0, 10, &seen[17]},
        {"warmup", OPT_INT, &warmup, 0, 1L << 40, &seen[18]},
        {"schedule", OPT_STR, &c->schedule, 0, 0, &seen[40]},
        {"warmdown", OPT_FLOAT, &warmdown, 0, 0, &seen[41]}, /* checked with the rest: cllm_train_settings_check */
        {"weight-decay", OPT_FLOAT, &wd, 0, 10, &seen[19]},
        {"grad-clip", OPT_FLOAT, &clip, 0, 1e9, &seen[20]},
        {"seed", OPT_INT, &seed, 0, 9.2e18, &seen[21]},
        {"val-every", OPT_INT, &val_every, 1, 1L << 40, &seen[22]},
        {"val-batches", OPT_INT, &val_batches, 1, 1L << 40, &seen[23]},
        {"ckpt-every", OPT_INT, &ckpt_every, 1, 1L << 40, &seen[24]},
        /* flags a resumed run may still give */
        {"threads", OPT_INT, &c->threads, 1, 4096, NULL},
        {"minutes", OPT_FLOAT, &minutes, 0.001, 1e7, NULL},
        {"stop-at", OPT_INT, &c->stop_at, 1, 1L << 40, NULL},
        {"resume", OPT_FLAG, &c->resume, 0, 0, NULL},
        {"skip-nonfinite", OPT_FLAG, &c->o.skip_nonfinite, 0, 0, NULL},
        {"zero", OPT_INT, &zero, 0, 1, NULL},
        {"pipeline-stages", OPT_INT, &stages, 1, 4096, NULL},
        {"micro-batches", OPT_INT, &micro_batches, 1, 1L << 30, &seen[37]},
    };
    int nopts = (int)(sizeof opts / sizeof *opts);
    cli_parse(argc, argv, opts, nopts, usage);
    c->o.minutes = c->resume || seen[15] ? minutes : 0; /* a limit on this process; else the run's budget */
    c->o.stop_at = c->stop_at;
    c->o.zero = (int)zero;
    c->o.pipeline_stages = (int)stages;
    c->o.micro_batches = (int)micro_batches;
    if (!c->o.out_dir) cli_die(2, "train: --out RUN_DIR is required (see 'cllm train --help')");
    if (c->resume) {
        for (int i = 0; i < nopts; i++)
            if (opts[i].seen && *opts[i].seen && strcmp(opts[i].name, "out") != 0)
                cli_die(2, "train: --%s cannot change a resumed run (it continues with its saved settings)",
                        opts[i].name);
        return;
    }
    if (c->data.n == 0) cli_die(2, "train: --data PATH... is required (text files, folders or shard folders)");
    if (c->o.init_path && (c->config_name || c->layers || c->dim || c->heads || c->vocab_size || c->positions ||
                           c->embed_init || c->attn_prime_bias || c->relu2 || c->rmsnorm || c->untied_head ||
                           c->no_bias || c->zero_init_proj || c->logit_softcap > 0 || c->qk_norm ||
                           c->rope))
        cli_die(2, "train: --init takes the model's own config; drop --config/--layers/--dim/--heads/--vocab-size");
    c->o.data = (const char *const *)c->data.items;
    c->o.n_data = c->data.n;
    c->o.val = (const char *const *)c->val.items;
    c->o.n_val = c->val.n;
    c->o.tokenizer_vocab = (int)c->tokenizer_vocab;
    c->o.context = c->o.init_path ? (int)c->context : 0; /* a new model's context is its n_ctx */
    s->B = (int)B;
    s->steps = steps;
    s->warmup = warmup;
    s->min_lr = min_lr;
    s->weight_decay = wd;
    s->grad_clip = clip;
    s->seed = (uint64_t)seed;
    s->val_every = val_every;
    s->val_batches = val_batches;
    s->ckpt_every = ckpt_every;
    s->total_batch = total_batch;
    s->minutes = seen[15] ? 0 : minutes;
    if (precision && (cllm_precision_parse(precision, &s->precision) || s->precision == CLLM_PRECISION_INT8))
        cli_die(2, "train: --precision must be fp32 or bf16, not '%s'", precision);
    /* the recipe's values, then the flags given over them (fine-tuning starts from GPT-2's recipe) */
    cllm_error err = {0};
    const cllm_train_recipe *r = cllm_train_recipe_find(c->recipe ? c->recipe : c->o.init_path ? "gpt2" : "fast", &err);
    if (!r) cli_die(2, "train: --recipe: %s", err.msg);
    cllm_precision given = s->precision;
    cllm_train_recipe chosen = *r;
    if (seen[27]) chosen.bf16 = 0; /* --precision decides: no need to time bf16 against fp32 */
    cllm_train_recipe_apply(&chosen, s);
    if (seen[16]) s->lr = lr;
    if (seen[35]) s->muon_lr = muon_lr;
    if (seen[27]) s->precision = given;
    if (chosen.bf16) c->recipe_bf16 = r->name;
    if (!c->config_name && !c->layers) c->layers = r->layers;
    s->warmdown = warmdown;
    if (c->schedule && strcmp(c->schedule, "wsd") == 0) s->schedule = CLLM_SCHEDULE_WSD;
    else if (c->schedule && strcmp(c->schedule, "cosine") == 0) s->schedule = CLLM_SCHEDULE_COSINE;
    else if (c->schedule) cli_die(2, "train: unknown --schedule '%s' (cosine, wsd)", c->schedule);
    if (seen[41] && s->schedule != CLLM_SCHEDULE_WSD) cli_die(2, "train: --warmdown applies to --schedule wsd");
    if (c->optimizer && strcmp(c->optimizer, "muon") == 0) s->optimizer = CLLM_OPTIMIZER_MUON;
    else if (c->optimizer && strcmp(c->optimizer, "adamw") == 0) s->optimizer = CLLM_OPTIMIZER_ADAMW;
    else if (c->optimizer) cli_die(2, "train: unknown --optimizer '%s' (adamw, muon)", c->optimizer);
    if (!c->o.init_path) check_config(c);
}

/* ---- what the user sees ---- */

static void progress(const cli_train *c, const cllm_train_event *ev) {
    int width = 24, filled = (int)(width * ev->progress);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    int eta = (int)ev->eta_s;
    fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %dm%02ds%s", c->tty ? "\r" : "", bar,
            (long long)ev->step, (long long)ev->steps, ev->loss, ev->lr, ev->tokens_per_s, eta / 60, eta % 60,
            c->tty ? "" : "\n");
}

static void on_event(void *ctx, const cllm_train_event *ev) {
    const cli_train *c = ctx;
    const char *nl = c->tty ? "\n" : "";
    switch (ev->kind) {
    case CLLM_TRAIN_NOTE: fprintf(stderr, "train: %s\n", ev->msg); break;
    case CLLM_TRAIN_START: fprintf(stderr, "train: %s, %d threads\n", ev->msg, cli_set_threads(c->threads)); break;
    case CLLM_TRAIN_STEP: progress(c, ev); break;
    case CLLM_TRAIN_VALIDATION:
        fprintf(stderr, "%sstep %lld: val loss %.4f  bpb %.4f\n", ev->step ? nl : "", (long long)ev->step,
                ev->val_loss, ev->val_bpb);
        break;
    case CLLM_TRAIN_CHECKPOINT: break;
    case CLLM_TRAIN_SKIPPED: fprintf(stderr, "%strain: %s\n", nl, ev->msg); break;
    }
    fflush(stderr);
}

int cmd_train(int argc, char **argv) {
    cli_train c;
    parse(&c, argc, argv);
    cli_set_threads(c.threads);
    c.tty = isatty(2);
    c.o.on_event = on_event;
    c.o.ctx = &c;
    cllm_error err = {0};
    const cllm_comm *comm = cli_comm_open(&argc, &argv); /* under mpirun with the MPI build; else NULL */
    c.o.comm = comm;
    cllm_trainer *t = c.resume ? cllm_trainer_resume(&c.o, &err) : cllm_trainer_new(&c.o, &err);
    if (!t) cli_die(2, "train%s: %s", c.resume ? " --resume" : "", err.msg);
    double rates[2]; /* why the recipe's bf16 was not taken, where the CPU has it (under MPI: rank 0's measurement) */
    if (c.recipe_bf16 && cllm_trainer_settings(t)->precision == CLLM_PRECISION_FP32 && cllm_gemm_bf16_native() &&
        !cllm_gemm_bf16_faster(rates) && (!comm || comm->rank == 0))
        fprintf(stderr, "train: the %s recipe trains in fp32: this CPU's bf16 products measured %.0f GFLOP/s against "
                "fp32's %.0f on one thread (--precision bf16 forces them)\n", c.recipe_bf16, rates[1], rates[0]);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    running = t;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int why;
    while (!(why = cllm_trainer_should_stop(t)))
        if (cllm_trainer_step(t, &err)) {
            running = NULL;
            cllm_trainer_free(t);
            fprintf(stderr, "%s", c.tty ? "\n" : "");
            cli_die(err.code == CLLM_ERR_STATE ? 1 : 2, "train: %s", err.msg);
        }
    int rc = cllm_trainer_finish(t, &err);
    running = NULL;
    int64_t step = cllm_trainer_step_count(t);
    cllm_trainer_free(t);
    if (rc) cli_die(2, "train: %s", err.msg);
    static const char *const reasons[] = {"", "done", "stop-at", "time limit", "interrupted"};
    if (!comm || comm->rank == 0)
        fprintf(stderr, "%strain: %s at step %lld; saved %s/model.safetensors and checkpoint.safetensors\n",
                c.tty ? "\n" : "", reasons[why], (long long)step, c.o.out_dir);
    cli_comm_close();
    return 0;
}
