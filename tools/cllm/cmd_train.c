/* cmd_train.c — `cllm train`: data → tokenizer → shards → model → AdamW steps, with validation, JSONL log,
 * checkpoints (every N steps, at the end, on Ctrl-C) and bit-exact --resume. */
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cllm_data.h"
#include "cllm_io.h"
#include "train_setup.h"

static const char usage[] =
    "usage: cllm train --data PATH... --out RUN_DIR [options]\n"
    "       cllm train --out RUN_DIR --resume [--threads N] [--stop-at STEP]\n"
    "\n"
    "Trains a GPT-2-architecture model. PATH: text files, folders, .jsonl files, or folders of shards made by\n"
    "'cllm prepare'. RUN_DIR receives model.safetensors, checkpoint.safetensors, log.jsonl and the shards.\n"
    "\n"
    "data and tokenizer:\n"
    "  --val PATH...          validation text (default: 5% of the documents of --data)\n"
    "  --tokenizer FILE       tokenizer to use (default: the --init model's, else one trained on --data)\n"
    "  --tokenizer-vocab N    vocabulary size of that trained tokenizer (default: chosen from the data size)\n"
    "model:\n"
    "  --config NAME          tiny (L4 C256 H4 T256, default) | small (L6 C384 H6 T256)\n"
    "  --layers N --dim C --heads H --context T --vocab-size V    override the preset\n"
    "  --positions KIND       learned (GPT-2, default) | sinusoidal | spiral | clock | prime (fixed, crystalline)\n"
    "  --embed-init KIND      gpt2 (normal 0.02, default) | lattice (token id -> prime -> Ulam-spiral features)\n"
    "  --attn-prime-bias      a learned per-head attention bias on prime token distances (crystalline)\n"
    "  --relu2 --rmsnorm --untied-head --no-bias --zero-init-proj --logit-softcap CAP\n"
    "                         the speedrun's architecture options (docs/speedrun.md); none: GPT-2 exactly\n"
    "  --init MODEL           start from this model file (fine-tuning; its config and tokenizer are used)\n"
    "optimisation:\n"
    "  --batch B              sequences per micro-batch (default 8)\n"
    "  --total-batch N        tokens per optimizer step, a multiple of B*T (default B*T: no accumulation)\n"
    "  --steps N              optimizer steps (default 1000)\n"
    "  --minutes M            stop (with a checkpoint) after M minutes; without --steps, the schedule is fitted\n"
    "                         to M minutes from a timed pass (warmup then defaults to 20 steps)\n"
    "  --lr LR                peak learning rate (default 1e-3)  --min-lr LR   end of the cosine (default lr/10)\n"
    "  --warmup N             linear warmup steps (default 5% of steps)\n"
    "  --weight-decay W       AdamW decoupled decay on matrices (default 0.1)\n"
    "  --grad-clip G          global gradient-norm clip, 0 = off (default 1.0)\n"
    "  --optimizer KIND       adamw (default) | muon (hidden matrices on Muon, the rest on AdamW at --lr)\n"
    "  --muon-lr LR           Muon's peak learning rate (default 0.02)\n"
    "  --seed S               initialisation and batch order (default 1337)\n"
    "  --threads N            OpenMP threads (default: physical cores)\n"
    "run:\n"
    "  --val-every N          validate every N steps (default 50)    --val-batches N  batches per validation (20)\n"
    "  --ckpt-every N         checkpoint every N steps (default 200)\n"
    "  --resume               continue RUN_DIR's checkpoint with its saved settings, bit-exactly\n"
    "  --stop-at STEP         stop with a checkpoint after STEP steps (as Ctrl-C would)\n";

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

/* ---- settings that make a run; saved in every checkpoint so --resume continues the same run ---- */

static char *settings_to_json(const train_settings *s) {
    json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:f, s:f, s:I, s:f, s:f, s:I, s:I, s:I, s:I}",
                          "train_dir", s->train_dir, "val_dir", s->val_dir, "B", s->B, "T", s->T,
                          "total_batch", (json_int_t)s->total_batch, "steps", (json_int_t)s->steps, "lr", s->lr,
                          "min_lr", s->min_lr, "warmup", (json_int_t)s->warmup, "weight_decay", s->weight_decay,
                          "grad_clip", s->grad_clip, "seed", (json_int_t)s->seed, "val_every", (json_int_t)s->val_every,
                          "val_batches", (json_int_t)s->val_batches, "ckpt_every", (json_int_t)s->ckpt_every);
    if (o && s->muon) json_object_set_new(o, "muon_lr", json_real(s->muon_lr));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    return text;
}

static int settings_from_json(train_settings *s, const char *text) {
    json_t *o = json_loads(text, 0, NULL);
    const char *train_dir = NULL, *val_dir = NULL;
    json_int_t total, steps, warmup, seed, ve, vb, ce;
    int B, T;
    double lr, min_lr, wd, clip;
    int rc = !o || json_unpack(o, "{s:s, s:s, s:i, s:i, s:I, s:I, s:F, s:F, s:I, s:F, s:F, s:I, s:I, s:I, s:I}",
                               "train_dir", &train_dir, "val_dir", &val_dir, "B", &B, "T", &T, "total_batch", &total,
                               "steps", &steps, "lr", &lr, "min_lr", &min_lr, "warmup", &warmup, "weight_decay", &wd,
                               "grad_clip", &clip, "seed", &seed, "val_every", &ve, "val_batches", &vb,
                               "ckpt_every", &ce);
    if (!rc) {
        snprintf(s->train_dir, sizeof s->train_dir, "%s", train_dir);
        snprintf(s->val_dir, sizeof s->val_dir, "%s", val_dir);
        s->B = B; s->T = T; s->total_batch = total; s->steps = steps; s->lr = lr; s->min_lr = min_lr;
        s->warmup = warmup; s->weight_decay = wd; s->grad_clip = clip; s->seed = (uint64_t)seed;
        s->val_every = ve; s->val_batches = vb; s->ckpt_every = ce;
        json_t *mlr = json_object_get(o, "muon_lr"); /* present for Muon runs (the optimizer is in cllm.muon) */
        s->muon = mlr != NULL;
        s->muon_lr = mlr ? json_number_value(mlr) : 0;
    }
    json_decref(o);
    return rc;
}

/* ---- validation: mean loss over the first val_batches windows (the same ones every time) ---- */

typedef struct val_result { double loss, bpb; int64_t tokens; } val_result;

static val_result validate(cllm_model *m, const cllm_tokenizer *tok, const cllm_shards *val, int B, int T,
                           int64_t max_batches, int32_t *x, int32_t *y) {
    val_result r = {0, 0, 0};
    cllm_window_iter it;
    cllm_window_iter_init(&it, val, T);
    double nats = 0, bytes = 0;
    for (int64_t b = 0; b < max_batches; b++) {
        int rows = cllm_window_iter_next(&it, B, x, y);
        if (rows == 0) break;
        cllm_model_evaluate(m, x, y, rows, T);
        const float *losses = cllm_model_losses(m);
        for (int i = 0; i < rows * T; i++) {
            size_t len = 0;
            cllm_tokenizer_token_bytes(tok, y[i], &len);
            nats += losses[i];
            bytes += (double)len;
        }
        r.tokens += (int64_t)rows * T;
    }
    if (r.tokens > 0) {
        r.loss = nats / (double)r.tokens;
        r.bpb = bytes > 0 ? nats / log(2.0) / bytes : 0;
    }
    return r;
}

/* ---- checkpoints ---- */

static void save_all(const train_run *run, int64_t step) {
    cllm_error err = {0};
    cllm_train_state st = {.step = step, .tokens = (uint64_t)step * (uint64_t)run->s.total_batch};
    cllm_loader_state ls = cllm_loader_get_state(run->loader);
    memcpy(st.data_state, &ls, sizeof ls);
    st.data_state_size = sizeof ls;
    char *args = settings_to_json(&run->s);
    if (!args || strlen(args) >= sizeof st.args_json) cli_die(2, "train: settings too long to checkpoint");
    strcpy(st.args_json, args);
    free(args);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", run->out);
    if (cllm_checkpoint_save(path, run->model, run->tok, &run->opt, &st, &err)) cli_die(2, "train: %s", err.msg);
    snprintf(path, sizeof path, "%s/model.safetensors", run->out);
    if (cllm_model_save(run->model, run->tok, path, &err)) cli_die(2, "train: %s", err.msg);
}

static int resume(train_run *run) {
    cllm_error err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", run->out);
    cllm_train_state st;
    run->model = cllm_checkpoint_load(path, &run->tok, &run->opt, &st, &err);
    if (!run->model) cli_die(2, "train --resume: %s", err.msg);
    if (!run->tok) run->tok = cllm_tokenizer_byte_new();
    if (settings_from_json(&run->s, st.args_json)) cli_die(2, "train --resume: %s: settings unreadable", path);
    run->start_step = st.step;
    train_open_data(run);
    cllm_loader_state ls;
    if (st.data_state_size != sizeof ls) cli_die(2, "train --resume: %s: data state has the wrong size", path);
    memcpy(&ls, st.data_state, sizeof ls);
    if (cllm_loader_set_state(run->loader, ls, &err)) cli_die(2, "train --resume: %s", err.msg);
    return 0;
}

/* ---- the loop ---- */

static void log_line(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(FILE *log, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
    fputc('\n', log);
    fflush(log);
}

static void progress(int64_t step, int64_t steps, float loss, float lr, double tok_per_s, double eta_s, int tty) {
    int width = 24, filled = steps > 0 ? (int)(width * (double)step / (double)steps) : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "%s[%s] step %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %dm%02ds%s", tty ? "\r" : "", bar,
            (long long)step, (long long)steps, loss, lr, tok_per_s, (int)eta_s / 60, (int)eta_s % 60, tty ? "" : "\n");
    fflush(stderr);
}

int cmd_train(int argc, char **argv) {
    train_run run;
    train_parse(&run, argc, argv, usage);
    int threads = cli_set_threads(run.threads);
    if (run.resume) resume(&run);
    else train_setup_fresh(&run);

    cllm_error err = {0};
    const train_settings *s = &run.s;
    int64_t accum = s->total_batch / ((int64_t)s->B * s->T);
    if (cllm_model_reserve(run.model, s->B, s->T, &err)) cli_die(2, "train: %s", err.msg);
    int32_t *x = malloc(sizeof(int32_t) * s->B * s->T), *y = malloc(sizeof(int32_t) * s->B * s->T);
    if (!x || !y) cli_die(2, "train: out of memory");

    if (run.steps_from_minutes && !run.resume) train_fit_steps(&run, x, y);
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", run.out);
    FILE *log = fopen(path, run.resume ? "a" : "w");
    if (!log) cli_die(2, "train: cannot write %s (%s)", path, strerror(errno));
    const cllm_config *cfg = cllm_model_config(run.model);
    fprintf(stderr, "train: %zu parameters (L%d C%d H%d T%d V%d), %d threads, batch %d×%d×%lld = %lld tokens/step, "
                    "steps %lld..%lld\n", cllm_model_num_params(run.model), cfg->n_layer, cfg->n_embd, cfg->n_head,
            cfg->n_ctx, cfg->vocab_size, threads, s->B, s->T, (long long)accum, (long long)s->total_batch,
            (long long)run.start_step, (long long)s->steps);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int tty = isatty(2);
    double t0 = cli_now(), deadline = run.minutes > 0 ? t0 + run.minutes * 60 : 0;
    int64_t step = run.start_step, stop_at = run.stop_at > 0 && run.stop_at < s->steps ? run.stop_at : s->steps;
    const char *why = "done";
    if (step == 0 && run.val) {
        val_result v = validate(run.model, run.tok, run.val, s->B, s->T, s->val_batches, x, y);
        log_line(log, "{\"step\":0,\"val_loss\":%.6f,\"val_bpb\":%.6f,\"elapsed_s\":0}", v.loss, v.bpb);
        fprintf(stderr, "%sstep 0: val loss %.4f  bpb %.4f\n", "", v.loss, v.bpb);
    }
    while (step < stop_at) {
        double ts = cli_now();
        cllm_model_zero_grad(run.model);
        double loss = 0;
        for (int64_t a = 0; a < accum; a++) {
            cllm_loader_next(run.loader, x, y);
            loss += cllm_model_forward(run.model, x, y, s->B, s->T);
            cllm_model_backward(run.model, 1.0f / (float)accum);
        }
        loss /= (double)accum;
        float norm = cllm_clip_grad_norm(run.model, (float)s->grad_clip);
        float lr = cllm_lr_schedule(step, s->warmup, s->steps, (float)s->lr, (float)s->min_lr);
        cllm_adamw_step(&run.opt, run.model, lr);
        step++;
        double now = cli_now(), dt = now - ts, tps = (double)s->total_batch / dt;
        log_line(log, "{\"step\":%lld,\"loss\":%.6f,\"lr\":%.6g,\"grad_norm\":%.4f,\"ms\":%.1f,\"tokens_per_s\":%.1f,"
                      "\"elapsed_s\":%.2f}", (long long)step, loss, lr, norm, dt * 1e3, tps, now - t0);
        progress(step, s->steps, (float)loss, lr, tps, dt * (double)(s->steps - step), tty);
        if (!isfinite(loss)) { why = "loss is not finite"; break; }
        if (run.val && (step % s->val_every == 0 || step == s->steps)) {
            val_result v = validate(run.model, run.tok, run.val, s->B, s->T, s->val_batches, x, y);
            log_line(log, "{\"step\":%lld,\"val_loss\":%.6f,\"val_bpb\":%.6f,\"elapsed_s\":%.2f}", (long long)step,
                     v.loss, v.bpb, cli_now() - t0);
            fprintf(stderr, "%sstep %lld: val loss %.4f  bpb %.4f\n", tty ? "\n" : "", (long long)step, v.loss, v.bpb);
        }
        if (step % s->ckpt_every == 0) save_all(&run, step);
        if (interrupted) { why = "interrupted"; break; }
        if (deadline > 0 && cli_now() >= deadline) { why = "time limit"; break; }
    }
    if (step >= stop_at && stop_at < s->steps) why = "stop-at";
    save_all(&run, step);
    fprintf(stderr, "%strain: %s at step %lld; saved %s/model.safetensors and checkpoint.safetensors\n", tty ? "\n" : "",
            why, (long long)step, run.out);
    fclose(log);
    free(x);
    free(y);
    train_run_free(&run);
    return strcmp(why, "loss is not finite") == 0 ? 1 : 0;
}
