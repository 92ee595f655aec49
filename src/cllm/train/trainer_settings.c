/* trainer_settings.c — a run's settings: defaults, the one check that flags and stored checkpoints both pass,
 * the JSON stored in checkpoints, and the run directory's lock. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_simd.h"
#include "trainer_internal.h"

cllm_train_opts cllm_train_defaults(void) {
    cllm_train_opts o;
    memset(&o, 0, sizeof o);
    cllm_config_preset("tiny", &o.config, NULL);
    o.config.vocab_size = 0; /* the tokenizer's */
    cllm_train_settings *s = &o.settings;
    s->B = 8;
    s->steps = 1000;
    s->warmup = -1; /* 5% of steps (20 when the schedule follows the clock) */
    s->lr = 1e-3;
    s->min_lr = -1; /* lr / 10 */
    s->weight_decay = 0.1;
    s->grad_clip = 1.0;
    s->seed = 1337;
    s->val_every = 50;
    s->val_batches = 20;
    s->ckpt_every = 200;
    s->optimizer = CLLM_OPTIMIZER_ADAMW;
    s->muon_lr = 0.02;
    s->precision = CLLM_PRECISION_FP32;
    s->schedule = CLLM_SCHEDULE_COSINE;
    s->warmdown = 0.3; /* the public speedrun's last third, near enough */
    return o;
}

/* Each value measured in docs/speedrun.md (the five-minute record and its sweep). The architecture stays GPT-2's
 * in both: no architecture option has made the measured cut yet. */
static const cllm_train_recipe recipes[] = {
    {"fast", CLLM_OPTIMIZER_MUON, 1e-2, 0.02, 1, CLLM_SCHEDULE_COSINE, 1, "Muon, bf16 where faster"},
    {"gpt2", CLLM_OPTIMIZER_ADAMW, 1e-3, 0.02, 0, CLLM_SCHEDULE_COSINE, 0, "AdamW, fp32"},
};
enum { N_RECIPES = sizeof recipes / sizeof *recipes };

const cllm_train_recipe *cllm_train_recipe_at(int i) { return i >= 0 && i < N_RECIPES ? &recipes[i] : NULL; }

const cllm_train_recipe *cllm_train_recipe_find(const char *name, cllm_error *err) {
    char names[64] = "";
    for (int i = 0; i < N_RECIPES; i++) {
        if (name && strcmp(recipes[i].name, name) == 0) return &recipes[i];
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", recipes[i].name);
    }
    cllm_error_set(err, CLLM_ERR_ARG, "unknown recipe '%s' (%s)", name ? name : "(null)", names);
    return NULL;
}

void cllm_train_recipe_apply(const cllm_train_recipe *r, cllm_train_settings *s) {
    s->optimizer = r->optimizer;
    s->lr = r->lr;
    s->muon_lr = r->muon_lr;
    s->schedule = r->schedule;
    s->precision = r->bf16 && cllm_gemm_bf16_faster(NULL) ? CLLM_PRECISION_BF16 : CLLM_PRECISION_FP32;
}

static int in_range(double v, double lo, double hi) { return isfinite(v) && v >= lo && v <= hi; }

int cllm_train_settings_check(const cllm_train_settings *s, cllm_error *err) {
    const int64_t big = (int64_t)1 << 40;
    if (s->B < 1 || s->B > 4096) return cllm_error_set(err, CLLM_ERR_ARG, "batch %d is out of range [1, 4096]", s->B);
    if (s->T < 1 || s->T > 65536) return cllm_error_set(err, CLLM_ERR_ARG, "context %d is out of range [1, 65536]", s->T);
    int64_t bt = (int64_t)s->B * s->T;
    if (s->total_batch < bt || s->total_batch > big || s->total_batch % bt != 0)
        return cllm_error_set(err, CLLM_ERR_ARG, "total batch %lld is not a multiple of batch×context = %lld",
                              (long long)s->total_batch, (long long)bt);
    if (s->steps < 1 || s->steps > big)
        return cllm_error_set(err, CLLM_ERR_ARG, "steps %lld is out of range [1, 2^40]", (long long)s->steps);
    if (s->warmup < 0 || s->warmup > s->steps)
        return cllm_error_set(err, CLLM_ERR_ARG, "warmup %lld is not within [0, steps = %lld]", (long long)s->warmup,
                              (long long)s->steps);
    if (!in_range(s->lr, 0, 10)) return cllm_error_set(err, CLLM_ERR_ARG, "lr %g is out of range [0, 10]", s->lr);
    if (!in_range(s->min_lr, 0, s->lr))
        return cllm_error_set(err, CLLM_ERR_ARG, "min lr %g is not within [0, lr = %g]", s->min_lr, s->lr);
    if (!in_range(s->weight_decay, 0, 10))
        return cllm_error_set(err, CLLM_ERR_ARG, "weight decay %g is out of range [0, 10]", s->weight_decay);
    if (!in_range(s->grad_clip, 0, 1e9))
        return cllm_error_set(err, CLLM_ERR_ARG, "grad clip %g is out of range [0, 1e9]", s->grad_clip);
    if (s->val_every < 1 || s->val_every > big)
        return cllm_error_set(err, CLLM_ERR_ARG, "val every %lld is out of range [1, 2^40]", (long long)s->val_every);
    if (s->val_batches < 1 || s->val_batches > big)
        return cllm_error_set(err, CLLM_ERR_ARG, "val batches %lld is out of range [1, 2^40]",
                              (long long)s->val_batches);
    if (s->ckpt_every < 1 || s->ckpt_every > big)
        return cllm_error_set(err, CLLM_ERR_ARG, "ckpt every %lld is out of range [1, 2^40]", (long long)s->ckpt_every);
    if (s->optimizer != CLLM_OPTIMIZER_ADAMW && s->optimizer != CLLM_OPTIMIZER_MUON)
        return cllm_error_set(err, CLLM_ERR_ARG, "unknown optimizer %d", (int)s->optimizer);
    if (s->optimizer == CLLM_OPTIMIZER_MUON && !(in_range(s->muon_lr, 1e-6, 10) && s->lr > 0))
        return cllm_error_set(err, CLLM_ERR_ARG, "Muon lr %g is out of range [1e-6, 10] (and lr must be > 0)",
                              s->muon_lr);
    if (s->precision != CLLM_PRECISION_FP32 && s->precision != CLLM_PRECISION_BF16)
        return cllm_error_set(err, CLLM_ERR_ARG, "precision %d is not one training uses (fp32, bf16)",
                              (int)s->precision);
    if (s->schedule != CLLM_SCHEDULE_COSINE && s->schedule != CLLM_SCHEDULE_WSD)
        return cllm_error_set(err, CLLM_ERR_ARG, "unknown schedule %d", (int)s->schedule);
    if (!(in_range(s->warmdown, 0, 1) && s->warmdown > 0))
        return cllm_error_set(err, CLLM_ERR_ARG, "warm-down %g is not a share of the run in (0, 1]", s->warmdown);
    if (!in_range(s->minutes, 0, 1e7))
        return cllm_error_set(err, CLLM_ERR_ARG, "minutes %g is out of range [0, 1e7]", s->minutes);
    return 0;
}

/* ---- JSON: the keys of the first checkpoints stay; later fields are optional with today's defaults ---- */

static const char *const optimizer_names[] = {"adamw", "muon"};
static const char *const precision_names[] = {"fp32", "bf16"}; /* by cllm_precision value */
static const char *const schedule_names[] = {"cosine", "wsd"};  /* by cllm_schedule_kind value */

static int name_index(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

/* A path inside out is stored relative to it, so a run directory can move; others are made absolute. */
static void store_path(const char *path, const char *out, char *dst, size_t cap) {
    size_t n = strlen(out);
    if (strncmp(path, out, n) == 0 && path[n] == '/') {
        snprintf(dst, cap, "%s", path + n + 1);
        return;
    }
    char *abs = *path ? realpath(path, NULL) : NULL;
    snprintf(dst, cap, "%s", abs ? abs : path);
    free(abs);
}

int trainer_settings_to_json(const cllm_train_settings *s, double clock_s, const char *out, char *buf, size_t cap,
                             cllm_error *err) {
    char train_dir[4096], val_dir[4096];
    store_path(s->train_dir, out, train_dir, sizeof train_dir);
    store_path(s->val_dir, out, val_dir, sizeof val_dir);
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:f, s:f, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:s, "
                          "s:s, s:f, s:f}",
                          "paths", "run_dir", "train_dir", train_dir, "val_dir", val_dir, "B", s->B, "T", s->T,
                          "total_batch", (json_int_t)s->total_batch, "steps", (json_int_t)s->steps, "lr", s->lr,
                          "min_lr", s->min_lr, "warmup", (json_int_t)s->warmup, "weight_decay", s->weight_decay,
                          "grad_clip", s->grad_clip, "seed", (json_int_t)s->seed, "val_every", (json_int_t)s->val_every,
                          "val_batches", (json_int_t)s->val_batches, "ckpt_every", (json_int_t)s->ckpt_every,
                          "optimizer", optimizer_names[s->optimizer], "precision", precision_names[s->precision],
                          "minutes", s->minutes, "clock_s", clock_s);
    if (o && s->optimizer == CLLM_OPTIMIZER_MUON) json_object_set_new(o, "muon_lr", json_real(s->muon_lr));
    if (o && s->schedule != CLLM_SCHEDULE_COSINE) { /* absent: cosine, as every checkpoint before the option */
        json_object_set_new(o, "schedule", json_string(schedule_names[s->schedule]));
        json_object_set_new(o, "warmdown", json_real(s->warmdown));
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    if (!text) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory writing the run's settings");
    int too_long = strlen(text) >= cap;
    if (!too_long) strcpy(buf, text);
    free(text);
    if (too_long) return cllm_error_set(err, CLLM_ERR_ARG, "the run's settings (data paths) are too long to checkpoint");
    return 0;
}

/* A stored path: absolute as it is; relative to out in checkpoints that say so ("paths": "run_dir"); older ones
 * stored paths relative to where training started, which keeps working when resumed from there. */
static int load_path(const char *stored, const char *out, int run_relative, char *dst, size_t cap) {
    int n = run_relative && *stored && stored[0] != '/' ? snprintf(dst, cap, "%s/%s", out, stored)
                                                         : snprintf(dst, cap, "%s", stored);
    return n < 0 || (size_t)n >= cap;
}

int trainer_settings_from_json(cllm_train_settings *s, double *clock_s, const char *out, const char *text,
                               cllm_error *err) {
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    const char *train_dir = NULL, *val_dir = NULL;
    json_int_t total, steps, warmup, seed, ve, vb, ce;
    int B, T;
    double lr, min_lr, wd, clip;
    int rc = !o || json_unpack(o, "{s:s, s:s, s:i, s:i, s:I, s:I, s:F, s:F, s:I, s:F, s:F, s:I, s:I, s:I, s:I}",
                               "train_dir", &train_dir, "val_dir", &val_dir, "B", &B, "T", &T, "total_batch", &total,
                               "steps", &steps, "lr", &lr, "min_lr", &min_lr, "warmup", &warmup, "weight_decay", &wd,
                               "grad_clip", &clip, "seed", &seed, "val_every", &ve, "val_batches", &vb,
                               "ckpt_every", &ce);
    if (rc) {
        json_decref(o);
        return cllm_error_set(err, CLLM_ERR_FORMAT, "the stored settings are unreadable");
    }
    memset(s, 0, sizeof *s);
    const char *paths = json_string_value(json_object_get(o, "paths"));
    int run_relative = paths && strcmp(paths, "run_dir") == 0;
    if (load_path(train_dir, out, run_relative, s->train_dir, sizeof s->train_dir) ||
        load_path(val_dir, out, run_relative, s->val_dir, sizeof s->val_dir))
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "a stored data path is too long");
    s->B = B; s->T = T; s->total_batch = total; s->steps = steps; s->lr = lr; s->min_lr = min_lr;
    s->warmup = warmup; s->weight_decay = wd; s->grad_clip = clip; s->seed = (uint64_t)seed;
    s->val_every = ve; s->val_batches = vb; s->ckpt_every = ce;
    const char *opt = json_string_value(json_object_get(o, "optimizer"));
    const char *prec = json_string_value(json_object_get(o, "precision"));
    json_t *minutes = json_object_get(o, "minutes");
    json_t *muon_lr = json_object_get(o, "muon_lr");
    s->muon_lr = muon_lr && json_is_number(muon_lr) ? json_number_value(muon_lr) : 0.02;
    const char *schedule = json_string_value(json_object_get(o, "schedule"));
    json_t *warmdown = json_object_get(o, "warmdown");
    int k_sched = schedule ? name_index(schedule_names, 2, schedule) : 0;
    if (!rc && (k_sched < 0 || (json_object_get(o, "schedule") && !schedule)))
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "unknown schedule in the stored settings");
    s->schedule = (cllm_schedule_kind)(k_sched < 0 ? 0 : k_sched);
    s->warmdown = !warmdown ? 0.3 : json_is_number(warmdown) ? json_number_value(warmdown) : -1;
    int k_opt = opt ? name_index(optimizer_names, 2, opt) : 0, k_prec = prec ? name_index(precision_names, 2, prec) : 0;
    if (!rc && (k_opt < 0 || k_prec < 0))
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "unknown %s in the stored settings",
                            k_opt < 0 ? "optimizer" : "precision");
    s->optimizer = (cllm_optimizer_kind)(k_opt < 0 ? 0 : k_opt);
    s->precision = (cllm_precision)(k_prec < 0 ? 0 : k_prec);
    if (minutes) s->minutes = json_is_number(minutes) ? json_number_value(minutes) : -1;
    json_t *clock = json_object_get(o, "clock_s");
    *clock_s = clock ? (json_is_number(clock) ? json_number_value(clock) : -1) : 0;
    if (!rc && !(*clock_s >= 0 && *clock_s < 1e12))
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "the stored training time is invalid");
    json_decref(o);
    if (rc) return rc;
    if (cllm_train_settings_check(s, err)) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return cllm_error_set(err, CLLM_ERR_FORMAT, "the stored settings are invalid: %s", why);
    }
    return 0;
}

/* ---- the run directory's lock ---- */

/* Temporaries (NAME.tmp.PID) that a killed process left; only called while holding the lock, so none is live. */
static void remove_stale_temps(const char *out) {
    DIR *d = opendir(out);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strstr(e->d_name, ".tmp.")) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        unlink(path);
    }
    closedir(d);
}

int trainer_lock(cllm_trainer *t, const char *out, int create, cllm_error *err) {
    if (create && mkdir(out, 0755) != 0 && errno != EEXIST)
        return cllm_error_set(err, CLLM_ERR_IO, "cannot create %s (%s)", out, strerror(errno));
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", out);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (!create && errno == ENOENT)
            return cllm_error_set(err, CLLM_ERR_IO, "%s: no checkpoint here to resume (cannot open the run directory)",
                                  out);
        return cllm_error_set(err, CLLM_ERR_IO, "cannot open %s (%s)", path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return cllm_error_set(err, CLLM_ERR_STATE, "%s is in use by another training process; wait for it or "
                                  "choose another --out", out);
        return cllm_error_set(err, CLLM_ERR_IO, "cannot lock %s (%s)", path, strerror(e));
    }
    t->lock_fd = fd;
    remove_stale_temps(out);
    return 0;
}

/* ---- events ---- */

void trainer_emit(const cllm_trainer *t, const cllm_train_event *ev) {
    if (t->on_event && t->comm.rank == 0) t->on_event(t->ctx, ev);
}

void trainer_note(const cllm_trainer *t, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cllm_train_event ev = {.kind = CLLM_TRAIN_NOTE, .step = t->step, .steps = t->s.steps, .msg = msg};
    trainer_emit(t, &ev);
}

/* ---- cllm.trained: how a run was trained, for `cllm info` ---- */

/* This process's share of the work: "1 process" or "N ranks, data parallel (...)". */
static void layout_of(const cllm_trainer *t, char *buf, size_t cap) {
    const char *es = t->accum == 1 ? "" : "es";
    if (t->stages > 1)
        snprintf(buf, cap, "%d ranks, %d pipeline%s of %d stages (1F1B), %lld micro-batch%s per pipeline per step",
                 t->comm.size, t->comm.size / t->stages, t->comm.size > t->stages ? "s" : "", t->stages,
                 (long long)t->accum, es);
    else if (t->comm.size == 1) snprintf(buf, cap, "1 process, %lld micro-batch%s per step", (long long)t->accum, es);
    else snprintf(buf, cap, "%d ranks, data parallel%s, %lld micro-batch%s per rank per step", t->comm.size,
                  t->zero ? " with --zero 1" : "", (long long)t->accum, es);
}

const char *trainer_history_of(const char *trained) {
    const char *spans = trained ? strstr(trained, "; steps ") : NULL;
    return spans ? spans + 2 : "";
}

void trainer_describe(cllm_trainer *t) {
    const cllm_train_settings *s = &t->s;
    char layout[160], span[256], line[2048];
    layout_of(t, layout, sizeof layout);
    snprintf(span, sizeof span, "steps %lld-%lld: %s", (long long)t->start_step, (long long)t->step, layout);
    /* a resumed run on the same layout continues the previous span rather than starting one */
    char history[sizeof t->history];
    snprintf(history, sizeof history, "%s", t->history);
    char *last = strrchr(history, ';'), *prev = last ? last + 2 : history;
    long long from = 0, to = -1;
    int n = 0;
    if (*prev && sscanf(prev, "steps %lld-%lld: %n", &from, &to, &n) == 2 && n > 0 && to == t->start_step &&
        strcmp(prev + n, layout) == 0) {
        snprintf(span, sizeof span, "steps %lld-%lld: %s", from, (long long)t->step, layout);
        *prev = 0;
        if (last) *last = 0;
    } else if (!*history && t->start_step > 0) {
        snprintf(history, sizeof history, "steps 0-%lld: not recorded", (long long)t->start_step);
    }
    size_t len = strlen(history);
    const char *cut = len > 600 ? strchr(history + len - 600, ';') : NULL; /* the line must fit the model's 1023 */
    if (cut) memmove(history, cut + 2, strlen(cut + 2) + 1);
    snprintf(line, sizeof line, "%lld tokens/step in %dx%d micro-batches, %s, %s; %s%s%s%s", (long long)s->total_batch,
             s->B, s->T, precision_names[s->precision], optimizer_names[s->optimizer], cut ? "(earlier spans left "
             "out); " : "", history, *history ? "; " : "", span);
    cllm_model_set_trained(t->model, line);
}
