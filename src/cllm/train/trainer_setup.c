/* trainer_setup.c — everything a run needs before its first step: for a fresh run the tokenizer, the model, the
 * shards and the optimizer; for a resumed one the checkpoint, its validated settings and the data position. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_io.h"
#include "trainer_internal.h"

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

/* ---- tokenizer ---- */

/* No tokenizer given: BPE trained on the training text, its size chosen from the amount of text. */
static cllm_tokenizer *train_default_tokenizer(const cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    for (int i = 0; i < o->n_data; i++)
        if (strcmp(o->data[i], "-") == 0) {
            cllm_error_set(err, CLLM_ERR_ARG, "stdin input needs a tokenizer; pass --tokenizer FILE");
            return NULL;
        }
    char **files = NULL;
    int n = 0;
    if (cllm_corpus_files((const char *const *)o->data, o->n_data, &files, &n, err)) return NULL;
    uint64_t bytes = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(files[i]);
        struct stat st;
        if (len > 6 && strcmp(files[i] + len - 6, ".jsonl") == 0) {
            cllm_error_set(err, CLLM_ERR_ARG, "%s: JSONL input needs a tokenizer; make one with 'cllm tokenizer "
                           "train' and pass --tokenizer FILE", files[i]);
            cllm_corpus_files_free(files, n);
            return NULL;
        }
        if (stat(files[i], &st) == 0) bytes += (uint64_t)st.st_size;
    }
    cllm_tokenizer *tok = NULL;
    if (n == 0) {
        cllm_error_set(err, CLLM_ERR_ARG, "no files under --data");
    } else {
        /* 8192 from 4 MB: on the 5.4 MB Brown split it beat 4096 by 0.04 bits/byte in five minutes
         * (docs/speedrun.md) */
        int vocab = o->tokenizer_vocab ? o->tokenizer_vocab
                    : bytes < (1u << 20) ? 512 : bytes < (4u << 20) ? 4096 : bytes < (256u << 20) ? 8192 : 16384;
        trainer_note(t, "training a %d-token BPE tokenizer on %d files (%.1f MB)", vocab, n, (double)bytes / 1e6);
        tok = cllm_tokenizer_train((const char *const *)files, n, vocab, err);
    }
    cllm_corpus_files_free(files, n);
    return tok;
}

/* The model file's own tokenizer (or o->tokenizer_path's); a file without one works only at vocabulary 256. */
static int load_init_model(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    if (!(t->model = cllm_model_load(o->init_path, &t->tok, err))) return err ? err->code : CLLM_ERR_FORMAT;
    int V = cllm_model_config(t->model)->vocab_size;
    if (o->tokenizer_path) {
        cllm_tokenizer_free(t->tok);
        if (!(t->tok = cllm_tokenizer_load(o->tokenizer_path, err))) return err ? err->code : CLLM_ERR_FORMAT;
    }
    if (!t->tok) {
        if (V != 256)
            return cllm_error_set(err, CLLM_ERR_ARG, "%s has no tokenizer; pass --tokenizer FILE (GPT-2's vocab.json "
                                  "+ merges.txt import with 'cllm tokenizer import')", o->init_path);
        t->tok = cllm_tokenizer_byte_new();
    }
    if (cllm_tokenizer_vocab_size(t->tok) > V)
        return cllm_error_set(err, CLLM_ERR_ARG, "the tokenizer has %d ids but %s only %d",
                              cllm_tokenizer_vocab_size(t->tok), o->init_path, V);
    return 0;
}

static int setup_model(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    if (o->init_path) return load_init_model(t, o, err);
    if (o->tokenizer_path && !(t->tok = cllm_tokenizer_load(o->tokenizer_path, err))) return err ? err->code : 1;
    if (!t->tok && o->n_data > 0 && is_shard_dir(o->data[0]))
        return cllm_error_set(err, CLLM_ERR_ARG, "shards need the tokenizer that made them: pass --tokenizer FILE");
    if (!t->tok && !(t->tok = train_default_tokenizer(t, o, err))) return err ? err->code : 1;
    cllm_config cfg = o->config;
    int tv = cllm_tokenizer_vocab_size(t->tok);
    if (cfg.vocab_size == 0) cfg.vocab_size = tv;
    if (cfg.vocab_size < tv)
        return cllm_error_set(err, CLLM_ERR_ARG, "--vocab-size %d is smaller than the tokenizer's %d ids",
                              cfg.vocab_size, tv);
    if (!(t->model = cllm_model_new(&cfg, err))) return err ? err->code : 1;
    if (cllm_model_init_gpt2(t->model, t->s.seed)) /* a fixed encoding or lattice init that could not be made */
        return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory computing the model's %s position encoding%s",
                              cllm_pos_kind_name(cfg.pos_kind), cfg.embed_init ? " or lattice embedding" : "");
    return 0;
}

/* ---- data ---- */

static void prepare_note(void *ctx, const char *msg) { trainer_note(ctx, "%s", msg); }

static int prepare(cllm_trainer *t, const char *const *paths, int n, const char *dir, double val_fraction,
                   cllm_error *err) {
    cllm_prepare_opts o = cllm_prepare_defaults();
    o.tok = t->tok;
    o.out_dir = dir;
    o.inputs = paths;
    o.n_inputs = n;
    o.val_fraction = val_fraction;
    o.seed = t->s.seed;
    o.overwrite = 1;
    o.note = prepare_note;
    o.note_ctx = t;
    cllm_prepare_summary sum;
    cllm_error e = {0};
    if (cllm_prepare_run(&o, &sum, &e)) return cllm_error_set(err, e.code, "preparing data: %s", e.msg);
    trainer_note(t, "%s: %llu files, %llu+%llu documents, %llu+%llu tokens (train+val)", dir,
                 (unsigned long long)sum.files_read, (unsigned long long)sum.documents[0],
                 (unsigned long long)sum.documents[1], (unsigned long long)sum.tokens[0],
                 (unsigned long long)sum.tokens[1]);
    if (sum.tokens[0] + sum.tokens[1] == 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "--%s holds no usable text (%llu files read, %llu skipped as "
                              "binary or unreadable)", val_fraction == 1.0 ? "val" : "data",
                              (unsigned long long)sum.files_read,
                              (unsigned long long)sum.files_skipped);
    return 0;
}

/* Shards for a fresh run: a given shard folder is used as it is; text is tokenized into RUN_DIR/data* (by rank 0:
 * other ranks only take the folders' names). */
static int setup_data(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    int leader = t->comm.rank == 0;
    cllm_train_settings *s = &t->s;
    if (is_shard_dir(o->data[0])) {
        if (o->n_data != 1 || o->n_val > 1)
            return cllm_error_set(err, CLLM_ERR_ARG, "give one shard folder to --data (and at most one to --val)");
        snprintf(s->train_dir, sizeof s->train_dir, "%s", o->data[0]);
        snprintf(s->val_dir, sizeof s->val_dir, "%s", o->n_val ? o->val[0] : o->data[0]);
        return 0;
    }
    snprintf(s->train_dir, sizeof s->train_dir, "%s/data", t->out);
    if (leader && prepare(t, o->data, o->n_data, s->train_dir, o->n_val ? 0.0 : 0.05, err))
        return err ? err->code : 1;
    if (o->n_val) {
        snprintf(s->val_dir, sizeof s->val_dir, "%s/data-val", t->out);
        return leader ? prepare(t, o->val, o->n_val, s->val_dir, 1.0, err) : 0;
    }
    snprintf(s->val_dir, sizeof s->val_dir, "%s", s->train_dir);
    return 0;
}

int trainer_open_data(cllm_trainer *t, cllm_error *err) {
    const char *dir = t->s.train_dir;
    if (!(t->train = cllm_shards_open(&dir, 1, "train", err))) return err ? err->code : 1;
    int V = cllm_model_config(t->model)->vocab_size;
    if (cllm_shards_vocab_size(t->train) > V)
        return cllm_error_set(err, CLLM_ERR_ARG, "%s was tokenized with %d ids but the model has %d", dir,
                              cllm_shards_vocab_size(t->train), V);
    const char *vdir = t->s.val_dir;
    cllm_error verr = {0};
    t->val = *vdir ? cllm_shards_open(&vdir, 1, "val", &verr) : NULL;
    if (t->val && cllm_shards_count(t->val) < (uint64_t)t->s.T + 1) {
        cllm_shards_close(t->val);
        t->val = NULL;
    }
    if (!t->val) trainer_note(t, "no validation data (fewer than %d val tokens)", t->s.T + 1);
    /* one batch order for every rank (each takes its own micro-batches of it): see cllm_comm */
    uint64_t seed = t->s.seed + 1;
    return (t->loader = cllm_loader_new(t->train, t->s.B, t->s.T, seed, err)) ? 0 : err ? err->code : 1;
}

int trainer_setup_fresh(cllm_trainer *t, const cllm_train_opts *o, cllm_error *err) {
    char path[4200];
    if (!o->out_dir || !*o->out_dir) return cllm_error_set(err, CLLM_ERR_ARG, "no run directory given");
    if (o->n_data < 1) return cllm_error_set(err, CLLM_ERR_ARG, "no training data given");
    if (strlen(o->out_dir) >= sizeof t->out) return cllm_error_set(err, CLLM_ERR_ARG, "the run directory's path is too long");
    snprintf(t->out, sizeof t->out, "%s", o->out_dir);
    /* Multi-process: rank 0 locks the run directory, makes the tokenizer and the shards, then meets the others at
     * a barrier; they take the tokenizer from RUN_DIR/tokenizer.json and build the same model. */
    int leader = t->comm.rank == 0;
    if (leader && trainer_lock(t, t->out, 1, err)) return err ? err->code : 1;
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->out);
    if (leader && file_exists(path))
        return cllm_error_set(err, CLLM_ERR_ARG, "%s already holds a run; continue it with --resume or choose "
                              "another --out", t->out);
    cllm_train_opts follower;
    if (!leader) {
        if (t->comm.barrier(t->comm.ctx, err)) return err ? err->code : 1;
        follower = *o;
        snprintf(path, sizeof path, "%s/tokenizer.json", t->out);
        follower.tokenizer_path = path;
        o = &follower;
    }
    cllm_train_settings *s = &t->s;
    *s = o->settings;
    int clock_schedule = s->minutes > 0;
    if (clock_schedule) s->steps = CLLM_TRAIN_MAX_STEPS; /* the clock ends the run */
    if (s->warmup < 0) s->warmup = clock_schedule ? 20 : s->steps / 20 > 0 ? s->steps / 20 : 1;
    if (s->min_lr < 0) s->min_lr = s->schedule == CLLM_SCHEDULE_WSD ? 0 : s->lr / 10;
    /* everything but the shapes, now, so a bad flag fails before any slow work */
    s->T = 1;
    s->total_batch = o->settings.total_batch ? o->settings.total_batch : s->B;
    cllm_train_settings early = *s;
    early.total_batch = s->B;
    if (cllm_train_settings_check(&early, err)) return err->code;
    if (setup_model(t, o, err)) return err ? err->code : 1;
    char tok_path[4200];
    snprintf(tok_path, sizeof tok_path, "%s/tokenizer.json", t->out);
    if (leader && cllm_tokenizer_save(t->tok, tok_path, err)) return err ? err->code : 1;
    int n_ctx = cllm_model_config(t->model)->n_ctx;
    if (o->context > n_ctx)
        return cllm_error_set(err, CLLM_ERR_ARG, "--context %d is longer than the model's context %d", o->context,
                              n_ctx);
    s->T = o->context ? o->context : n_ctx;
    /* --batch B is each rank's micro-batch: the step is ranks·B rows unless total_batch says (a pipeline's stages
     * share each micro-batch: it counts as one rank) */
    int ranks = t->comm.size / t->stages, micro = o->micro_batches > 0 ? o->micro_batches : t->comm.size;
    if (o->micro_batches > 0 && o->settings.total_batch &&
        o->settings.total_batch != (int64_t)s->B * s->T * o->micro_batches)
        return cllm_error_set(err, CLLM_ERR_ARG, "--micro-batches %d of %dx%d is not --total-batch %lld",
                              o->micro_batches, s->B, s->T, (long long)o->settings.total_batch);
    s->total_batch = o->settings.total_batch ? o->settings.total_batch : (int64_t)s->B * s->T * micro;
    if (cllm_train_settings_check(s, err)) return err->code;
    if (s->total_batch % ((int64_t)s->B * s->T * ranks))
        return cllm_error_set(err, CLLM_ERR_ARG, "--total-batch %lld is not a whole number of %d×%d micro-batches for "
                              "each of %d processes: choose a multiple of %lld", (long long)s->total_batch, s->B, s->T,
                              ranks, (long long)s->B * s->T * ranks);
    if (setup_data(t, o, err)) return err ? err->code : 1;
    if (leader && t->comm.size > 1 && t->comm.barrier(t->comm.ctx, err)) return err ? err->code : 1;
    if (cllm_adamw_init(&t->opt, t->model, err)) return err ? err->code : 1;
    t->opt.weight_decay = (float)s->weight_decay;
    /* Muon's lr rides on the schedule's (AdamW's) lr as a ratio; a resumed run gets it back from cllm.muon */
    if (s->optimizer == CLLM_OPTIMIZER_MUON &&
        cllm_adamw_set_muon(&t->opt, t->model, (float)(s->muon_lr / s->lr), 0.95f, 5, err))
        return err->code;
    return trainer_open_data(t, err);
}

/* log.jsonl keeps only the lines up to the checkpoint's step, so a resumed run does not repeat steps. */
static int truncate_log(const char *out, int64_t step, cllm_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", out);
    size_t n = 0;
    cllm_error e = {0};
    char *text = (char *)cllm_file_read_all(path, &n, &e);
    if (!text) return 0; /* no log yet */
    size_t keep = 0;
    for (char *line = text; line < text + n;) {
        char *end = memchr(line, '\n', (size_t)(text + n - line));
        end = end ? end + 1 : text + n;
        const char *k = strstr(line, "\"step\":");
        long long s = k && k < end ? strtoll(k + 7, NULL, 10) : 0;
        if (s > step || end[-1] != '\n') break;
        keep = (size_t)(end - text);
        line = end;
    }
    int rc = keep == n ? 0 : cllm_write_file_atomic(path, text, keep, err);
    free(text);
    return rc;
}

int trainer_setup_resume(cllm_trainer *t, cllm_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", t->out);
    if (t->comm.rank == 0 && trainer_lock(t, t->out, 0, err)) return err ? err->code : 1;
    cllm_train_state st;
    if (!(t->model = cllm_checkpoint_load(path, &t->tok, &t->opt, &st, err))) return err ? err->code : 1;
    if (!t->tok) t->tok = cllm_tokenizer_byte_new();
    snprintf(t->history, sizeof t->history, "%s", trainer_history_of(cllm_model_trained(t->model)));
    cllm_error e = {0};
    if (trainer_settings_from_json(&t->s, &t->clock_before, t->out, st.args_json, &e))
        return cllm_error_set(err, e.code, "%s: %s", path, e.msg);
    if (t->s.T > cllm_model_config(t->model)->n_ctx)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: the stored context %d exceeds the model's %d", path, t->s.T,
                              cllm_model_config(t->model)->n_ctx);
    if (st.step < 0 || st.step > t->s.steps)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: step %lld is outside the run's %lld steps", path,
                              (long long)st.step, (long long)t->s.steps);
    t->opt.weight_decay = (float)t->s.weight_decay;
    t->step = t->start_step = st.step;
    if (trainer_open_data(t, err)) return err ? err->code : 1;
    cllm_loader_state ls;
    if (st.data_state_size != sizeof ls)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "%s: the data state has the wrong size", path);
    memcpy(&ls, st.data_state, sizeof ls);
    if (cllm_loader_set_state(t->loader, ls, err)) return err ? err->code : 1;
    return t->comm.rank == 0 ? truncate_log(t->out, st.step, err) : 0;
}
