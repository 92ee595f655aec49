/* train_setup.c — flags of `cllm train`, and a fresh run's preparation: RUN_DIR, tokenizer, shards, model. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cllm_io.h"
#include "train_setup.h"

/* The model config from --config and the overrides, checked now so bad flags fail before any slow work. */
static void check_config(train_run *run) {
    cllm_error err = {0};
    cllm_config *cfg = &run->cfg;
    if (cllm_config_preset(run->config_name ? run->config_name : "tiny", cfg, &err)) cli_die(2, "train: %s", err.msg);
    if (run->layers) cfg->n_layer = (int)run->layers;
    if (run->dim) cfg->n_embd = (int)run->dim;
    if (run->heads) cfg->n_head = (int)run->heads;
    if (run->context) cfg->n_ctx = (int)run->context;
    if (run->positions && (cfg->pos_kind = cllm_pos_kind_parse(run->positions)) < 0)
        cli_die(2, "train: unknown --positions '%s' (learned, sinusoidal, spiral, clock, prime)", run->positions);
    if (run->embed_init) {
        if (strcmp(run->embed_init, "lattice") == 0) cfg->embed_init = 1;
        else if (strcmp(run->embed_init, "gpt2") != 0)
            cli_die(2, "train: unknown --embed-init '%s' (gpt2, lattice)", run->embed_init);
    }
    cfg->attn_prime_bias = run->attn_prime_bias;
    cfg->mlp_relu2 = run->relu2;
    cfg->rmsnorm = run->rmsnorm;
    cfg->untied_head = run->untied_head;
    cfg->no_bias = run->no_bias;
    cfg->zero_init_proj = run->zero_init_proj;
    cfg->logit_softcap = (float)run->logit_softcap;
    cfg->vocab_size = run->vocab_size ? (int)run->vocab_size : 256; /* the tokenizer decides later */
    if (cllm_config_check(cfg, &err)) cli_die(2, "train: %s", err.msg);
}

void train_parse(train_run *run, int argc, char **argv, const char *usage) {
    memset(run, 0, sizeof *run);
    train_settings *s = &run->s;
    long B = 8, steps = 1000, warmup = -1, seed = 1337, val_every = 50, val_batches = 20, ckpt_every = 200;
    long total_batch = 0;
    double lr = 1e-3, min_lr = -1, wd = 0.1, clip = 1.0, muon_lr = 0.02;
    int seen[40] = {0}; /* flags with a seen slot define a run; the others may be given on --resume */
    cli_opt opts[] = {
        {"data", OPT_LIST, &run->data, 0, 0, &seen[0]},
        {"val", OPT_LIST, &run->val_paths, 0, 0, &seen[1]},
        {"out", OPT_STR, &run->out, 0, 0, &seen[2]},
        {"tokenizer", OPT_STR, &run->tokenizer_path, 0, 0, &seen[3]},
        {"tokenizer-vocab", OPT_INT, &run->tokenizer_vocab, 257, 1 << 20, &seen[4]},
        {"config", OPT_STR, &run->config_name, 0, 0, &seen[5]},
        {"layers", OPT_INT, &run->layers, 0, 256, &seen[6]},
        {"dim", OPT_INT, &run->dim, 1, 16384, &seen[7]},
        {"heads", OPT_INT, &run->heads, 1, 16384, &seen[8]},
        {"context", OPT_INT, &run->context, 1, 65536, &seen[9]},
        {"vocab-size", OPT_INT, &run->vocab_size, 2, 1 << 24, &seen[10]},
        {"positions", OPT_STR, &run->positions, 0, 0, &seen[11]},
        {"embed-init", OPT_STR, &run->embed_init, 0, 0, &seen[25]},
        {"attn-prime-bias", OPT_FLAG, &run->attn_prime_bias, 0, 0, &seen[26]},
        {"init", OPT_STR, &run->init_path, 0, 0, &seen[12]},
        {"batch", OPT_INT, &B, 1, 4096, &seen[13]},
        {"total-batch", OPT_INT, &total_batch, 1, 1L << 40, &seen[14]},
        {"steps", OPT_INT, &steps, 1, 1L << 40, &seen[15]},
        {"lr", OPT_FLOAT, &lr, 0, 10, &seen[16]},
        {"min-lr", OPT_FLOAT, &min_lr, 0, 10, &seen[17]},
        {"warmup", OPT_INT, &warmup, 0, 1L << 40, &seen[18]},
        {"weight-decay", OPT_FLOAT, &wd, 0, 10, &seen[19]},
        {"grad-clip", OPT_FLOAT, &clip, 0, 1e9, &seen[20]},
        {"seed", OPT_INT, &seed, 0, 9.2e18, &seen[21]},
        {"val-every", OPT_INT, &val_every, 1, 1L << 40, &seen[22]},
        {"val-batches", OPT_INT, &val_batches, 1, 1L << 40, &seen[23]},
        {"ckpt-every", OPT_INT, &ckpt_every, 1, 1L << 40, &seen[24]},
        {"optimizer", OPT_STR, &run->optimizer, 0, 0, &seen[27]},
        {"relu2", OPT_FLAG, &run->relu2, 0, 0, &seen[29]},
        {"rmsnorm", OPT_FLAG, &run->rmsnorm, 0, 0, &seen[30]},
        {"untied-head", OPT_FLAG, &run->untied_head, 0, 0, &seen[31]},
        {"no-bias", OPT_FLAG, &run->no_bias, 0, 0, &seen[32]},
        {"zero-init-proj", OPT_FLAG, &run->zero_init_proj, 0, 0, &seen[33]},
        {"logit-softcap", OPT_FLOAT, &run->logit_softcap, 0, 1e4, &seen[34]},
        {"muon-lr", OPT_FLOAT, &muon_lr, 1e-6, 10, &seen[28]},
        /* flags a resumed run may still give */
        {"threads", OPT_INT, &run->threads, 1, 4096, NULL},
        {"minutes", OPT_FLOAT, &run->minutes, 0.001, 1e7, NULL},
        {"stop-at", OPT_INT, &run->stop_at, 1, 1L << 40, NULL},
        {"resume", OPT_FLAG, &run->resume, 0, 0, NULL},
    };
    int nopts = (int)(sizeof opts / sizeof *opts);
    cli_parse(argc, argv, opts, nopts, usage);
    if (!run->out) cli_die(2, "train: --out RUN_DIR is required (see 'cllm train --help')");
    if (run->resume) {
        for (int i = 0; i < nopts; i++)
            if (opts[i].seen && *opts[i].seen && strcmp(opts[i].name, "out") != 0)
                cli_die(2, "train: --%s cannot change a resumed run (it continues with its saved settings)",
                        opts[i].name);
        return;
    }
    if (run->data.n == 0) cli_die(2, "train: --data PATH... is required (text files, folders or shard folders)");
    if (run->init_path && (run->config_name || run->layers || run->dim || run->heads || run->vocab_size ||
                           run->positions || run->embed_init || run->attn_prime_bias || run->relu2 || run->rmsnorm ||
                           run->untied_head || run->no_bias || run->zero_init_proj || run->logit_softcap > 0))
        cli_die(2, "train: --init takes the model's own config; drop --config/--layers/--dim/--heads/--vocab-size");
    run->steps_from_minutes = !seen[15] && run->minutes > 0;
    if (run->steps_from_minutes) steps = 0; /* set by cllm train from a timed step, before the first update */
    if (warmup < 0) warmup = run->steps_from_minutes ? 20 : steps / 20 > 0 ? steps / 20 : 1;
    s->B = (int)B;
    s->steps = steps;
    s->warmup = warmup;
    s->lr = lr;
    s->min_lr = min_lr >= 0 ? min_lr : lr / 10;
    s->weight_decay = wd;
    s->grad_clip = clip;
    s->seed = (uint64_t)seed;
    s->val_every = val_every;
    s->val_batches = val_batches;
    s->ckpt_every = ckpt_every;
    s->total_batch = total_batch; /* checked once T is known */
    s->muon_lr = muon_lr;
    if (run->optimizer && strcmp(run->optimizer, "muon") == 0) s->muon = 1;
    else if (run->optimizer && strcmp(run->optimizer, "adamw") != 0)
        cli_die(2, "train: unknown --optimizer '%s' (adamw, muon)", run->optimizer);
    if (!run->init_path) check_config(run);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* A folder that 'cllm prepare' made: it holds train-*.bin files. */
static int is_shard_dir(const char *path) {
    DIR *d = is_dir(path) ? opendir(path) : NULL;
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        found = strncmp(e->d_name, "train-", 6) == 0 && n > 4 && strcmp(e->d_name + n - 4, ".bin") == 0;
    }
    closedir(d);
    return found;
}

static void note(void *ctx, const char *msg) {
    (void)ctx;
    fprintf(stderr, "train: note: %s\n", msg);
}

static void prepare(const train_run *run, const cli_list *paths, const char *dir, double val_fraction) {
    cllm_prepare_opts o = cllm_prepare_defaults();
    o.tok = run->tok;
    o.out_dir = dir;
    o.inputs = (const char *const *)paths->items;
    o.n_inputs = paths->n;
    o.val_fraction = val_fraction;
    o.seed = run->s.seed;
    o.overwrite = 1;
    o.note = note;
    cllm_prepare_summary sum;
    cllm_error err = {0};
    if (cllm_prepare_run(&o, &sum, &err)) cli_die(2, "train: preparing data: %s", err.msg);
    fprintf(stderr, "train: %s: %llu files, %llu+%llu documents, %llu+%llu tokens (train+val)\n", dir,
            (unsigned long long)sum.files_read, (unsigned long long)sum.documents[0],
            (unsigned long long)sum.documents[1], (unsigned long long)sum.tokens[0], (unsigned long long)sum.tokens[1]);
}

/* Shards for a fresh run: given folders are used as they are; text is tokenized into RUN_DIR/data*. */
static void setup_data(train_run *run) {
    train_settings *s = &run->s;
    if (is_shard_dir(run->data.items[0])) {
        if (run->data.n != 1 || run->val_paths.n > 1)
            cli_die(2, "train: give one shard folder to --data (and at most one to --val)");
        snprintf(s->train_dir, sizeof s->train_dir, "%s", run->data.items[0]);
        snprintf(s->val_dir, sizeof s->val_dir, "%s", run->val_paths.n ? run->val_paths.items[0] : run->data.items[0]);
        return;
    }
    snprintf(s->train_dir, sizeof s->train_dir, "%s/data", run->out);
    prepare(run, &run->data, s->train_dir, run->val_paths.n ? 0.0 : 0.05);
    if (run->val_paths.n) {
        snprintf(s->val_dir, sizeof s->val_dir, "%s/data-val", run->out);
        prepare(run, &run->val_paths, s->val_dir, 1.0);
    } else {
        snprintf(s->val_dir, sizeof s->val_dir, "%s", s->train_dir);
    }
}

/* Appends the regular, non-hidden files under path (recursively, in name order) to *files. */
static void collect_files(const char *path, char ***files, int *n, int *cap, uint64_t *bytes) {
    struct stat st;
    if (stat(path, &st) != 0) cli_die(2, "train: %s: %s", path, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        size_t len = strlen(path);
        if (len > 6 && strcmp(path + len - 6, ".jsonl") == 0)
            cli_die(2, "train: %s: JSONL input needs a tokenizer; make one with 'cllm tokenizer train' and pass "
                       "--tokenizer FILE", path);
        if (*n == *cap && !(*files = realloc(*files, sizeof **files * (size_t)(*cap = *cap * 2 + 16))))
            cli_die(2, "train: out of memory");
        if (!((*files)[(*n)++] = strdup(path))) cli_die(2, "train: out of memory");
        *bytes += (uint64_t)st.st_size;
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    struct dirent **list;
    int k = scandir(path, &list, NULL, alphasort);
    if (k < 0) cli_die(2, "train: %s: %s", path, strerror(errno));
    for (int i = 0; i < k; i++) {
        if (list[i]->d_name[0] != '.') {
            char child[4200];
            snprintf(child, sizeof child, "%s/%s", path, list[i]->d_name);
            collect_files(child, files, n, cap, bytes);
        }
        free(list[i]);
    }
    free(list);
}

/* No tokenizer given: BPE trained on the training text, its size chosen from the amount of text. */
static cllm_tokenizer *train_default_tokenizer(const train_run *run) {
    char **files = NULL;
    int n = 0, cap = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < run->data.n; i++) {
        if (strcmp(run->data.items[i], "-") == 0)
            cli_die(2, "train: stdin input needs a tokenizer; pass --tokenizer FILE");
        collect_files(run->data.items[i], &files, &n, &cap, &bytes);
    }
    if (n == 0) cli_die(2, "train: no files under --data");
    int vocab = run->tokenizer_vocab ? (int)run->tokenizer_vocab
                : bytes < (1u << 20) ? 512 : bytes < (16u << 20) ? 4096 : bytes < (256u << 20) ? 8192 : 16384;
    fprintf(stderr, "train: training a %d-token BPE tokenizer on %d files (%.1f MB)\n", vocab, n, (double)bytes / 1e6);
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_train((const char *const *)files, n, vocab, &err);
    if (!tok) cli_die(2, "train: training the tokenizer: %s", err.msg);
    for (int i = 0; i < n; i++) free(files[i]);
    free(files);
    return tok;
}

static void setup_tokenizer(train_run *run) {
    if (run->tokenizer_path) {
        cllm_tokenizer_free(run->tok);
        run->tok = cli_load_tokenizer("train", run->tokenizer_path);
    }
    if (!run->tok) run->tok = is_shard_dir(run->data.items[0]) ? NULL : train_default_tokenizer(run);
    if (!run->tok) cli_die(2, "train: shards need the tokenizer that made them: pass --tokenizer FILE");
}

/* RUN_DIR/tokenizer.json: the run's tokenizer, for 'cllm prepare' and 'cllm tokenizer'. */
static void save_tokenizer(const train_run *run) {
    char path[4200];
    cllm_error err = {0};
    snprintf(path, sizeof path, "%s/tokenizer.json", run->out);
    if (cllm_tokenizer_save(run->tok, path, &err)) cli_die(2, "train: %s", err.msg);
}

static void setup_model(train_run *run) {
    cllm_error err = {0};
    if (run->init_path) {
        cllm_tokenizer *tok = NULL;
        run->model = cli_load_model("train", run->init_path, run->tokenizer_path, &tok);
        cllm_tokenizer_free(run->tok);
        run->tok = tok;
        return;
    }
    cllm_config cfg = run->cfg;
    cfg.vocab_size = run->vocab_size ? (int)run->vocab_size : cllm_tokenizer_vocab_size(run->tok);
    if (cfg.vocab_size < cllm_tokenizer_vocab_size(run->tok))
        cli_die(2, "train: --vocab-size %d is smaller than the tokenizer's %d ids", cfg.vocab_size,
                cllm_tokenizer_vocab_size(run->tok));
    if (!(run->model = cllm_model_new(&cfg, &err))) cli_die(2, "train: %s", err.msg);
    cllm_model_init_gpt2(run->model, run->s.seed);
}

void train_open_data(train_run *run) {
    cllm_error err = {0};
    const char *dir = run->s.train_dir;
    if (!(run->train = cllm_shards_open(&dir, 1, "train", &err))) cli_die(2, "train: %s", err.msg);
    if (cllm_shards_vocab_size(run->train) > cllm_model_config(run->model)->vocab_size)
        cli_die(2, "train: %s was tokenized with %d ids but the model has %d", dir, cllm_shards_vocab_size(run->train),
                cllm_model_config(run->model)->vocab_size);
    const char *vdir = run->s.val_dir;
    cllm_error verr = {0};
    run->val = *vdir ? cllm_shards_open(&vdir, 1, "val", &verr) : NULL;
    if (run->val && cllm_shards_count(run->val) < (uint64_t)run->s.T + 1) {
        cllm_shards_free(run->val);
        run->val = NULL;
    }
    if (!run->val) fprintf(stderr, "train: note: no validation data (fewer than %d val tokens)\n", run->s.T + 1);
    if (!(run->loader = cllm_loader_new(run->train, run->s.B, run->s.T, run->s.seed + 1, &err)))
        cli_die(2, "train: %s", err.msg);
}

/* --minutes without --steps: the schedule's length is what fits, from the time of two forward+backward passes
 * on a dummy batch (neither the optimizer nor the data order is touched, so the run stays reproducible). */
void train_fit_steps(train_run *run, int32_t *x, int32_t *y) {
    train_settings *s = &run->s;
    int64_t accum = s->total_batch / ((int64_t)s->B * s->T);
    memset(x, 0, sizeof(int32_t) * s->B * s->T);
    memset(y, 0, sizeof(int32_t) * s->B * s->T);
    double best = 1e30;
    for (int i = 0; i < 2; i++) {
        double t0 = cli_now();
        cllm_model_forward(run->model, x, y, s->B, s->T);
        cllm_model_backward(run->model, 1.0f);
        double dt = cli_now() - t0;
        best = dt < best ? dt : best;
    }
    cllm_model_zero_grad(run->model);
    /* + optimizer and data (a few %), + validation: val_batches forward passes (a third of forward+backward)
     * every val_every steps, when there is validation data */
    double per_step = best * (double)accum * 1.03;
    if (run->val) per_step += best / 3.0 * (double)s->val_batches / (double)s->val_every;
    s->steps = (int64_t)(run->minutes * 60.0 / per_step);
    if (s->steps < s->warmup + 1) s->steps = s->warmup + 1;
    fprintf(stderr, "train: %.2f s per step measured; %lld steps fit in %.1f minutes\n", per_step,
            (long long)s->steps, run->minutes);
}

void train_setup_fresh(train_run *run) {
    char path[4200];
    if (mkdir(run->out, 0755) != 0 && errno != EEXIST) cli_die(2, "train: cannot create %s (%s)", run->out, strerror(errno));
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", run->out);
    if (file_exists(path)) cli_die(2, "train: %s already holds a run; continue it with --resume or choose another --out", run->out);
    if (!run->init_path) setup_tokenizer(run); /* with --init, the model's own (or --tokenizer) */
    setup_model(run);
    save_tokenizer(run);
    train_settings *s = &run->s;
    const cllm_config *cfg = cllm_model_config(run->model);
    s->T = run->context && run->context < cfg->n_ctx ? (int)run->context : cfg->n_ctx;
    int64_t bt = (int64_t)s->B * s->T;
    if (s->total_batch == 0) s->total_batch = bt;
    if (s->total_batch % bt != 0)
        cli_die(2, "train: --total-batch %lld is not a multiple of batch×context = %lld", (long long)s->total_batch,
                (long long)bt);
    setup_data(run);
    cllm_error err = {0};
    if (cllm_adamw_init(&run->opt, run->model, &err)) cli_die(2, "train: %s", err.msg);
    run->opt.weight_decay = (float)s->weight_decay;
    if (s->muon && cllm_adamw_set_muon(&run->opt, run->model, (float)(s->muon_lr / s->lr), 0.95f, 5, &err))
        cli_die(2, "train: %s", err.msg);
    train_open_data(run);
}

void train_run_free(train_run *run) {
    cllm_loader_free(run->loader);
    cllm_shards_free(run->train);
    cllm_shards_free(run->val);
    cllm_adamw_free(&run->opt);
    cllm_model_free(run->model);
    cllm_tokenizer_free(run->tok);
}
