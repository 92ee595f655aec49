/* test_trainer.c — the library's trainer: events arrive in order, step-by-step driving and stop/resume give the
 * same weights as one run, a non-finite step is never applied or saved, stored settings are validated like
 * flags, a run directory is locked, and a resumed log does not repeat steps. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cllm_error.h"
#include "cllm_io.h"
#include "cllm_simd.h"
#include "cllm_train.h"
#include "support.h"

typedef struct counts {
    int start, steps, vals, ckpts, skipped, notes;
    int64_t last_step;
    double first_loss, last_loss;
} counts;

static void count(void *ctx, const cllm_train_event *ev) {
    counts *c = ctx;
    switch (ev->kind) {
    case CLLM_TRAIN_START: c->start++; break;
    case CLLM_TRAIN_STEP:
        assert_int_equal(ev->step, c->last_step + 1); /* one event per step, in order */
        c->last_step = ev->step;
        if (c->steps++ == 0) c->first_loss = ev->loss;
        c->last_loss = ev->loss;
        assert_true(isfinite(ev->grad_norm) && ev->tokens_per_s > 0 && ev->elapsed_s >= 0);
        break;
    case CLLM_TRAIN_VALIDATION: c->vals++; assert_true(ev->val_loss > 0 && ev->val_bpb > 0); break;
    case CLLM_TRAIN_CHECKPOINT: c->ckpts++; break;
    case CLLM_TRAIN_SKIPPED: c->skipped++; c->last_step = ev->step; break;
    case CLLM_TRAIN_NOTE: c->notes++; break;
    }
}

static const char *corpus(void) {
    static int made;
    const char *dir = test_path("text");
    static char keep[1024];
    snprintf(keep, sizeof keep, "%s", dir);
    if (!made) {
        assert_int_equal(test_system("mkdir -p %s && for d in $(seq 1 40); do for i in $(seq 1 20); do "
                                     "echo \"the cat $d sat on the mat $i. the dog ran to the cat.\"; done "
                                     ">%s/doc$d.txt; done", keep, keep), 0);
        made = 1;
    }
    return keep;
}

static cllm_train_opts opts_for(const char *out, counts *c) {
    static const char *data[1];
    data[0] = corpus();
    cllm_train_opts o = cllm_train_defaults();
    o.out_dir = out;
    o.data = data;
    o.n_data = 1;
    o.tokenizer_vocab = 300;
    o.config.n_layer = 1; o.config.n_embd = 32; o.config.n_head = 2; o.config.n_ctx = 32;
    o.settings.B = 2;
    o.settings.steps = 8;
    o.settings.lr = 3e-3;
    o.settings.val_every = 4;
    o.settings.val_batches = 2;
    o.settings.ckpt_every = 4;
    o.on_event = count;
    o.ctx = c;
    return o;
}

static void read_all(const char *path, char **data, size_t *n) {
    cllm_error err = {0};
    *data = (char *)cllm_file_read_all(path, n, &err);
    assert_non_null(*data);
}

static int same_file(const char *a, const char *b) {
    char *x, *y;
    size_t nx, ny;
    read_all(a, &x, &nx);
    read_all(b, &y, &ny);
    int same = nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

/* The same tensors' bytes past the safetensors header (whose metadata says how each run was trained). */
static int same_tensors(const char *a, const char *b) {
    char *x, *y;
    size_t nx, ny;
    read_all(a, &x, &nx);
    read_all(b, &y, &ny);
    uint64_t hx = 0, hy = 0;
    if (nx >= 8) memcpy(&hx, x, 8);
    if (ny >= 8) memcpy(&hy, y, 8);
    int same = nx >= 8 + hx && ny >= 8 + hy && nx - hx == ny - hy && memcmp(x + 8 + hx, y + 8 + hy, nx - 8 - hx) == 0;
    free(x);
    free(y);
    return same;
}

static char *path_in(const char *dir, const char *name) {
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* One run: every event in order, validations at 0, 4 and the final one, checkpoints at 4 and 8; the loss falls. */
static void test_run_events(void **state) {
    (void)state;
    counts c = {0};
    cllm_train_opts o = opts_for(test_path("a"), &c);
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    assert_int_equal(cllm_trainer_should_stop(t), CLLM_STOP_DONE);
    cllm_trainer_free(t);
    assert_int_equal(c.start, 1);
    assert_int_equal(c.steps, 8);
    assert_int_equal(c.vals, 3);
    assert_int_equal(c.ckpts, 2);
    assert_true(c.last_loss < c.first_loss - 0.3);
    assert_int_equal(access(path_in(test_path("a"), "model.safetensors"), R_OK), 0);
}

/* Driven step by step, stopped at 3 on request, resumed: the same model bytes as the straight run of test 1. */
static void test_stop_and_resume_bit_exact(void **state) {
    (void)state;
    counts c = {0};
    const char *out = test_path("b");
    cllm_train_opts o = opts_for(out, &c);
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    for (int i = 0; i < 3; i++) assert_int_equal(cllm_trainer_step(t, &err), 0);
    assert_int_equal(cllm_trainer_should_stop(t), 0);
    cllm_trainer_request_stop(t);
    assert_int_equal(cllm_trainer_should_stop(t), CLLM_STOP_REQUESTED);
    assert_int_equal(cllm_trainer_finish(t, &err), 0);
    cllm_trainer_free(t);
    counts c2 = {.last_step = 3};
    cllm_train_opts r = opts_for(out, &c2);
    t = cllm_trainer_resume(&r, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_step_count(t), 3);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    assert_int_equal(c2.steps, 5);
    assert_true(same_file(path_in(test_path("a"), "model.safetensors"), path_in(out, "model.safetensors")));
}

/* A bf16 run (mixed precision) stopped at 4 and resumed: the straight run's model bytes. The resume asks for fp32,
 * which the stored settings override; had it run in fp32 the bytes would differ. */
static void test_bf16_resume_bit_exact(void **state) {
    (void)state;
    counts c = {0};
    const char *straight = test_path("bf16a"), *split = test_path("bf16b");
    cllm_error err = {0};
    cllm_train_opts o = opts_for(straight, &c);
    o.settings.precision = CLLM_PRECISION_BF16;
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    counts c2 = {0};
    o = opts_for(split, &c2);
    o.settings.precision = CLLM_PRECISION_BF16;
    t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    for (int i = 0; i < 4; i++) assert_int_equal(cllm_trainer_step(t, &err), 0);
    cllm_trainer_request_stop(t);
    assert_int_equal(cllm_trainer_finish(t, &err), 0);
    cllm_trainer_free(t);
    counts c3 = {.last_step = 4};
    o = opts_for(split, &c3);
    t = cllm_trainer_resume(&o, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    assert_true(same_file(path_in(straight, "model.safetensors"), path_in(split, "model.safetensors")));
}

/* Weights ×5e8: a NaN gradient under a finite loss. The step fails naming itself, nothing is written, and the last
 * good checkpoint still resumes; with skip_nonfinite the step is skipped and counted instead. */
static void test_nonfinite_step_not_applied(void **state) {
    (void)state;
    for (int skip = 0; skip < 2; skip++) {
        counts c = {0};
        const char *out = test_path(skip ? "nan_skip" : "nan");
        cllm_train_opts o = opts_for(out, &c);
        o.settings.ckpt_every = 2;
        o.skip_nonfinite = skip;
        cllm_error err = {0};
        cllm_trainer *t = cllm_trainer_new(&o, &err);
        assert_non_null(t);
        for (int i = 0; i < 2; i++) assert_int_equal(cllm_trainer_step(t, &err), 0);
        char *before;
        size_t n_before;
        read_all(path_in(out, "checkpoint.safetensors"), &before, &n_before);
        cllm_model *m = cllm_trainer_model(t);
        float *p = cllm_model_params(m);
        for (size_t i = 0; i < cllm_model_num_params(m); i++) p[i] *= 5e8f;
        int rc = cllm_trainer_step(t, &err);
        if (!skip) {
            assert_int_equal(rc, CLLM_ERR_STATE);
            assert_non_null(strstr(err.msg, "step 3"));
            assert_non_null(strstr(err.msg, "not finite"));
            assert_int_not_equal(cllm_trainer_finish(t, &err), 0); /* a failed run saves nothing */
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(c.skipped, 1);
            assert_int_equal(cllm_trainer_step_count(t), 3);
        }
        cllm_trainer_free(t);
        char *after;
        size_t n_after;
        read_all(path_in(out, "checkpoint.safetensors"), &after, &n_after);
        assert_true(n_before == n_after && memcmp(before, after, n_before) == 0);
        free(before);
        free(after);
        if (!skip) {
            counts c2 = {.last_step = 2};
            cllm_train_opts r = opts_for(out, &c2);
            t = cllm_trainer_resume(&r, &err);
            assert_non_null(t);
            assert_int_equal(cllm_trainer_run(t, &err), 0);
            cllm_trainer_free(t);
            assert_int_equal(c2.steps, 6);
        }
    }
}

static void test_settings_check(void **state) {
    (void)state;
    cllm_train_settings good = cllm_train_defaults().settings;
    good.T = 32;
    good.total_batch = (int64_t)good.B * good.T;
    good.warmup = 10;
    good.min_lr = good.lr / 10;
    cllm_error err = {0};
    assert_int_equal(cllm_train_settings_check(&good, &err), 0);
    cllm_train_settings s;
#define REFUSED(field, value, word)                                         \
    s = good;                                                               \
    s.field = value;                                                        \
    assert_int_equal(cllm_train_settings_check(&s, &err), CLLM_ERR_ARG);    \
    assert_non_null(strstr(err.msg, word));
    REFUSED(ckpt_every, 0, "ckpt every");
    REFUSED(val_every, 0, "val every");
    REFUSED(val_batches, -1, "val batches");
    REFUSED(B, 70000, "batch");
    REFUSED(lr, 1e300, "lr");
    REFUSED(lr, NAN, "lr");
    REFUSED(min_lr, 1.0, "min lr");
    REFUSED(warmup, 2000, "warmup");
    REFUSED(warmup, -1, "warmup");
    REFUSED(steps, -5, "steps");
    REFUSED(total_batch, good.total_batch + 1, "multiple");
#undef REFUSED
}

/* A checkpoint whose stored settings were edited (ckpt_every 0, B 70000, lr 1e300) is refused on resume with the
 * field named, where it used to divide by zero or train to NaN. */
/* The recipes: the values docs/speedrun.md measured, bf16 only where the CPU has it, an unknown name refused with
 * the names there are, and the list a menu shows (the default first) holding exactly the recipes found by name. */
static void test_recipes(void **state) {
    (void)state;
    cllm_error err = {0};
    const cllm_train_recipe *fast = cllm_train_recipe_find("fast", &err), *gpt2 = cllm_train_recipe_find("gpt2", &err);
    assert_non_null(fast);
    assert_non_null(gpt2);
    assert_null(cllm_train_recipe_find("fastest", &err));
    assert_int_equal(err.code, CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "'fastest'"));
    assert_non_null(strstr(err.msg, "(fast, gpt2)"));
    assert_ptr_equal(cllm_train_recipe_at(0), fast);
    assert_ptr_equal(cllm_train_recipe_at(1), gpt2);
    assert_null(cllm_train_recipe_at(2));
    assert_null(cllm_train_recipe_at(-1));
    for (int i = 0; cllm_train_recipe_at(i); i++) {
        const cllm_train_recipe *r = cllm_train_recipe_at(i);
        assert_ptr_equal(cllm_train_recipe_find(r->name, &err), r);
        assert_true(r->summary && *r->summary);
    }
    cllm_train_opts o = cllm_train_defaults();
    cllm_train_recipe_apply(fast, &o.settings);
    assert_int_equal(o.settings.optimizer, CLLM_OPTIMIZER_MUON);
    assert_true(o.settings.lr == 1e-2 && o.settings.muon_lr == 0.02);
    assert_int_equal(o.settings.precision, cllm_gemm_bf16_faster(NULL) ? CLLM_PRECISION_BF16 : CLLM_PRECISION_FP32);
    /* bf16 pays only where native and measured at least 1.25x fp32; the answer is measured once */
    double rates[2] = {-1, -1}, again[2] = {-1, -1};
    int faster = cllm_gemm_bf16_faster(rates);
    if (cllm_gemm_bf16_native()) {
        assert_true(rates[0] > 0 && rates[1] > 0);
        assert_int_equal(faster, rates[1] > 1.25 * rates[0]);
    } else {
        assert_int_equal(faster, 0);
        assert_true(rates[0] == 0 && rates[1] == 0);
    }
    assert_int_equal(cllm_gemm_bf16_faster(again), faster);
    assert_true(again[0] == rates[0] && again[1] == rates[1]);
    assert_int_equal(fast->layers, 1);
    cllm_train_recipe_apply(gpt2, &o.settings);
    assert_int_equal(o.settings.optimizer, CLLM_OPTIMIZER_ADAMW);
    assert_true(o.settings.lr == 1e-3);
    assert_int_equal(o.settings.precision, CLLM_PRECISION_FP32);
    assert_int_equal(gpt2->layers, 0);
}

static void test_resume_validates_stored_settings(void **state) {
    (void)state;
    const char *out = test_path("a");
    const char *edits[][2] = {{"\"ckpt_every\":4", "\"ckpt_every\":0"}, {"\"B\":2", "\"B\":70000"},
                              {"\"lr\":0.0030000000000000001", "\"lr\":1e300"}};
    char *orig;
    size_t n_orig;
    read_all(path_in(out, "checkpoint.safetensors"), &orig, &n_orig);
    const char *words[] = {"ckpt every", "batch", "lr"};
    for (int i = 0; i < 3; i++) {
        test_write_file(path_in(out, "checkpoint.safetensors"), orig, n_orig); /* one edit at a time */
        cllm_error err = {0};
        cllm_tokenizer *tok = NULL;
        cllm_adamw opt;
        cllm_train_state st;
        cllm_model *m = cllm_checkpoint_load(path_in(out, "checkpoint.safetensors"), &tok, &opt, &st, &err);
        assert_non_null(m);
        char *at = strstr(st.args_json, edits[i][0]);
        if (!at) fail_msg("%s not in %s", edits[i][0], st.args_json);
        char edited[sizeof st.args_json];
        snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - st.args_json), st.args_json, edits[i][1],
                 at + strlen(edits[i][0]));
        strcpy(st.args_json, edited);
        assert_int_equal(cllm_checkpoint_save(path_in(out, "checkpoint.safetensors"), m, tok, &opt, &st, &err), 0);
        cllm_model_free(m);
        cllm_tokenizer_free(tok);
        cllm_adamw_free(&opt);
        counts c = {0};
        cllm_train_opts r = opts_for(out, &c);
        assert_null(cllm_trainer_resume(&r, &err));
        assert_int_equal(err.code, CLLM_ERR_FORMAT);
        if (!strstr(err.msg, words[i])) fail_msg("%s", err.msg);
    }
    test_write_file(path_in(out, "checkpoint.safetensors"), orig, n_orig);
    free(orig);
}

/* While one trainer holds a run directory, a second (fresh or resumed) is refused. */
static void test_lock(void **state) {
    (void)state;
    counts c = {0};
    const char *out = test_path("lock");
    cllm_train_opts o = opts_for(out, &c);
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    cllm_error e2 = {0};
    assert_null(cllm_trainer_new(&o, &e2));
    assert_int_equal(e2.code, CLLM_ERR_STATE);
    assert_non_null(strstr(e2.msg, "in use"));
    assert_int_equal(cllm_trainer_finish(t, &err), 0);
    assert_null(cllm_trainer_resume(&o, &e2));
    assert_non_null(strstr(e2.msg, "in use"));
    cllm_trainer_free(t);
    cllm_trainer *r = cllm_trainer_resume(&o, &err);
    assert_non_null(r); /* released by free */
    cllm_trainer_free(r);
}

/* A process that dies after step 6 (checkpoint at 4) leaves log lines 5 and 6 and a temp file; the resumed run
 * removes the temp and logs each step exactly once. */
static void test_resume_log_and_temps(void **state) {
    (void)state;
    counts c = {0};
    const char *out = test_path("log");
    cllm_train_opts o = opts_for(out, &c);
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    for (int i = 0; i < 6; i++) assert_int_equal(cllm_trainer_step(t, &err), 0);
    cllm_trainer_free(t); /* as a kill would: nothing saved after step 4 */
    test_write_file(path_in(out, "checkpoint.safetensors.tmp.99999"), "x", 1);
    counts c2 = {.last_step = 4};
    o.ctx = &c2;
    t = cllm_trainer_resume(&o, &err);
    assert_non_null(t);
    assert_int_not_equal(access(path_in(out, "checkpoint.safetensors.tmp.99999"), F_OK), 0);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    char *log;
    size_t n;
    read_all(path_in(out, "log.jsonl"), &log, &n);
    for (int s = 1; s <= 8; s++) {
        char key[64];
        snprintf(key, sizeof key, "{\"step\":%d,\"loss\"", s);
        char *first = strstr(log, key);
        if (!first || strstr(first + 1, key)) fail_msg("step %d logged %s", s, first ? "twice" : "never");
    }
    free(log);
}

/* The communicator seam, with two ranks as two threads of this process (a barrier-based stand-in for MPI): rank 0
 * of 2 with the default total batch (2·B·T) ends bit-identical to one process accumulating 2 micro-batches per
 * step, rank 1 writes no file and emits no event, and both stop together. */
typedef struct thread_comm {
    pthread_barrier_t barrier;
    void *slot[2];        /* each rank's buffer for the collective in progress */
    int sums, broadcasts; /* counted by rank 0 */
} thread_comm;
typedef struct rank_ctx { thread_comm *c; int rank; } rank_ctx;

/* slot[0] += slot[1] on rank 0 (rank order), then rank 1 copies: the same bits on both. */
#define THREAD_SUM(name, type)                                                             \
    static int name(void *ctx, type *data, size_t n, cllm_error *err) {                    \
        (void)err;                                                                         \
        rank_ctx *r = ctx;                                                                 \
        r->c->slot[r->rank] = data;                                                        \
        pthread_barrier_wait(&r->c->barrier);                                              \
        if (r->rank == 0) {                                                                \
            const type *other = r->c->slot[1];                                             \
            for (size_t i = 0; i < n; i++) data[i] += other[i];                            \
            r->c->sums++;                                                                  \
        }                                                                                  \
        pthread_barrier_wait(&r->c->barrier);                                              \
        if (r->rank == 1) memcpy(data, r->c->slot[0], n * sizeof(type));                   \
        pthread_barrier_wait(&r->c->barrier);                                              \
        return 0;                                                                          \
    }
THREAD_SUM(thread_sum, float)
THREAD_SUM(thread_sum_f64, double)

static int thread_broadcast(void *ctx, void *data, size_t bytes, int root, cllm_error *err) {
    (void)err;
    rank_ctx *r = ctx;
    r->c->slot[r->rank] = data;
    pthread_barrier_wait(&r->c->barrier);
    if (r->rank != root) memcpy(data, r->c->slot[root], bytes);
    if (r->rank == 0) r->c->broadcasts++;
    pthread_barrier_wait(&r->c->barrier);
    return 0;
}

static int thread_barrier(void *ctx, cllm_error *err) {
    (void)err;
    pthread_barrier_wait(&((rank_ctx *)ctx)->c->barrier);
    return 0;
}

typedef struct rank_run { rank_ctx ctx; counts c; int rc; int64_t steps; char msg[512]; } rank_run;

static void *run_rank(void *arg) {
    rank_run *r = arg;
    cllm_comm comm = {.ctx = &r->ctx, .rank = r->ctx.rank, .size = 2, .allreduce_sum = thread_sum,
                      .allreduce_sum_f64 = thread_sum_f64, .broadcast = thread_broadcast, .barrier = thread_barrier};
    cllm_train_opts o = opts_for(test_path("comm"), &r->c);
    o.comm = &comm;
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    r->rc = t ? cllm_trainer_run(t, &err) : -1;
    r->steps = t ? cllm_trainer_step_count(t) : -1;
    snprintf(r->msg, sizeof r->msg, "%s", err.msg);
    cllm_trainer_free(t);
    return NULL;
}

static void test_comm_seam(void **state) {
    (void)state;
    counts c = {0};
    cllm_train_opts o = opts_for(test_path("accum2"), &c); /* one process, 2 micro-batches per step */
    o.settings.total_batch = 2 * 2 * 32;
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);

    (void)corpus(); /* made before the threads start */
    thread_comm tc = {0};
    pthread_barrier_init(&tc.barrier, NULL, 2);
    rank_run ranks[2] = {{.ctx = {&tc, 0}}, {.ctx = {&tc, 1}}};
    pthread_t th[2];
    for (int r = 0; r < 2; r++) assert_int_equal(pthread_create(&th[r], NULL, run_rank, &ranks[r]), 0);
    for (int r = 0; r < 2; r++) pthread_join(th[r], NULL);
    pthread_barrier_destroy(&tc.barrier);
    for (int r = 0; r < 2; r++)
        if (ranks[r].rc != 0) fail_msg("rank %d: %s", r, ranks[r].msg);
    assert_int_equal(ranks[0].steps, 8);
    assert_int_equal(ranks[1].steps, 8);
    assert_int_equal(tc.sums, 3 * 8);       /* gradients, loss and the ranks' stop requests, every step */
    assert_int_equal(tc.broadcasts, 2 + 8); /* the precision, the initial parameters, each step's stop decision */
    assert_int_equal(ranks[0].c.steps, 8);
    assert_int_equal(ranks[1].c.steps + ranks[1].c.vals + ranks[1].c.ckpts + ranks[1].c.start, 0);
    assert_true(same_tensors(path_in(test_path("accum2"), "model.safetensors"),
                             path_in(test_path("comm"), "model.safetensors")));
}

/* Data paths: a run started in one directory resumes from another (they are stored relative to the run
 * directory); a checkpoint of the first format, with paths relative to where training started, still resumes
 * from there. */
static void test_paths(void **state) {
    (void)state;
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(test_tmpdir()), 0);
    counts c = {0};
    cllm_train_opts o = opts_for("rel", &c);
    o.stop_at = 4;
    cllm_error err = {0};
    cllm_trainer *t = cllm_trainer_new(&o, &err);
    assert_non_null(t);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    assert_int_equal(chdir("/"), 0);
    o = opts_for(path_in(test_tmpdir(), "rel"), &c);
    o.stop_at = 6;
    t = cllm_trainer_resume(&o, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    cllm_trainer_free(t);
    /* the first format: no "paths" key, "rel/data" relative to the directory training started in */
    const char *ckpt = path_in(test_tmpdir(), "rel/checkpoint.safetensors");
    cllm_tokenizer *tok = NULL;
    cllm_adamw opt;
    cllm_train_state st;
    cllm_model *m = cllm_checkpoint_load(ckpt, &tok, &opt, &st, &err);
    assert_non_null(m);
    char *a = strstr(st.args_json, "\"paths\":\"run_dir\",");
    assert_non_null(a);
    memmove(a, a + 18, strlen(a + 18) + 1);
    char old[sizeof st.args_json];
    const char *tail = strstr(st.args_json, "\"train_dir\":\"data\"");
    assert_non_null(tail);
    snprintf(old, sizeof old, "%.*s\"train_dir\":\"rel/data\",\"val_batches\":2,\"val_dir\":\"rel/data\"%s",
             (int)(tail - st.args_json), st.args_json, strstr(tail, ",\"val_every\""));
    strcpy(st.args_json, old);
    assert_int_equal(cllm_checkpoint_save(ckpt, m, tok, &opt, &st, &err), 0);
    cllm_model_free(m);
    cllm_tokenizer_free(tok);
    cllm_adamw_free(&opt);
    o.stop_at = 7;
    t = cllm_trainer_resume(&o, &err); /* from "/": rel/data is not there */
    assert_null(t);
    assert_int_equal(chdir(test_tmpdir()), 0);
    o.out_dir = "rel";
    t = cllm_trainer_resume(&o, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(cllm_trainer_run(t, &err), 0);
    assert_int_equal(cllm_trainer_step_count(t), 7);
    cllm_trainer_free(t);
    assert_int_equal(chdir(cwd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_events),
        cmocka_unit_test(test_stop_and_resume_bit_exact),
        cmocka_unit_test(test_bf16_resume_bit_exact),
        cmocka_unit_test(test_nonfinite_step_not_applied),
        cmocka_unit_test(test_settings_check),
        cmocka_unit_test(test_recipes),
        cmocka_unit_test(test_resume_validates_stored_settings),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_resume_log_and_temps),
        cmocka_unit_test(test_comm_seam),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
