/* tab_train.c — the Training tab: a real run of the library trainer (cllm_train.h) on a worker thread — start,
 * pause (stop with a checkpoint), resume, stop — with live curves read from the run's own log.jsonl (the same
 * reader and chart code as `cllm plot`), progress, tokens/s and ETA from the trainer's events. Opening an existing
 * run directory shows its whole curve. Nothing of the loop lives here: the worker calls cllm_trainer_step until
 * cllm_trainer_should_stop, then cllm_trainer_finish. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cllm_runlog.h"
#include "cllm_simd.h"
#include "cllm_train.h"
#include "plot.h"

struct train_tab {
    app *a;
    GtkWidget *data, *out, *preset, *recipe, *steps, *batch, *lr;
    GtkWidget *start, *pause, *resume, *stop, *open, *progress, *figures, *status, *area;
    GMutex lock;             /* guards trainer */
    cllm_trainer *trainer;   /* while the worker runs (owned by the worker) */
    int running, pausing;
    char *run_dir;           /* the run shown */
    cllm_runlog log;         /* its curves */
    size_t log_offset;       /* bytes of log.jsonl read (whole lines) */
    guint timer;             /* re-reads the log while a run is live */
    int64_t step, total;     /* progress from the last step event */
    int scripted_pause;         /* --pause-at: 0 not yet, 1 pause requested, 2 resumed */
    cllm_train_event last_step; /* the newest step event (under lock): shown by the timer, not per step */
    int have_step;
};

typedef struct train_job {
    train_tab *t;
    cllm_train_opts o;
    char *out, *data;
    const char *data_list[1];
    int resume;
    cllm_error err;
    int rc, why;
    int64_t step;
} train_job;

typedef struct train_msg {
    train_tab *t;
    cllm_train_event ev;
    char *msg;
} train_msg;

/* ---- the curve: tail the run's log.jsonl ---- */

/* Reads what log.jsonl gained since the last call; a shorter file (a resume trims it to the checkpoint) is read
 * again from the start. Returns 0 or an error code with err filled. */
static int read_log(train_tab *t, cllm_error *err) {
    char path[4200];
    snprintf(path, sizeof path, "%s/log.jsonl", t->run_dir);
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT && t->running ? 0 : cllm_error_set(err, CLLM_ERR_IO, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (size < (long)t->log_offset) { cllm_runlog_free(&t->log); t->log_offset = 0; }
    size_t n = (size_t)size - t->log_offset;
    char *buf = malloc(n + 1);
    int rc = 0;
    if (!buf) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory reading %s", path);
    else if (fseek(f, (long)t->log_offset, SEEK_SET) || fread(buf, 1, n, f) != n)
        rc = cllm_error_set(err, CLLM_ERR_IO, "%s: read failed", path);
    size_t used = 0;
    if (!rc && (rc = cllm_runlog_add_text(&t->log, buf, n, &used, err)) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        cllm_error_set(err, rc, "%s: %s", path, msg);
    }
    t->log_offset += used;
    free(buf);
    fclose(f);
    return rc;
}

static void request_stop(train_tab *t, int pausing);
static void start_job(train_tab *t, int resume);

/* Progress, loss, tokens/s and ETA from the newest step event. */
static void show_progress(train_tab *t) {
    g_mutex_lock(&t->lock);
    cllm_train_event ev = t->last_step;
    int have = t->have_step;
    t->have_step = 0;
    g_mutex_unlock(&t->lock);
    if (!have) return;
    t->step = ev.step;
    t->total = ev.steps;
    gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(t->progress), ev.progress); /* by steps, or by time in a budget */
    char buf[96];
    snprintf(buf, sizeof buf, "step %lld / %lld", (long long)ev.step, (long long)ev.steps);
    gtk_progress_bar_set_text(GTK_PROGRESS_BAR(t->progress), buf);
    char *s = g_strdup_printf("loss %.4f   lr %.2e   %.0f tokens/s   elapsed %.0f s   ETA %dm%02ds", ev.loss, ev.lr,
                              ev.tokens_per_s, ev.elapsed_s, (int)ev.eta_s / 60, (int)ev.eta_s % 60);
    gtk_label_set_text(GTK_LABEL(t->figures), s);
    g_free(s);
    if (t->a->opt.pause_at > 0 && ev.step >= t->a->opt.pause_at && t->scripted_pause == 0) {
        t->scripted_pause = 1;
        request_stop(t, 1); /* what the Pause button does */
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Ends a frame-gap measurement: median, 95th percentile and maximum, shown and (headless) printed. */
static void report_latency(train_tab *t, const char *when) {
    GArray *g = t->a->gaps;
    t->a->gaps = NULL;
    if (!g) return;
    if (g->len > 0) {
        double *v = (double *)(void *)g->data;
        qsort(v, g->len, sizeof *v, cmp_double);
        char *s = g_strdup_printf("frame gaps %s: median %.1f ms, p95 %.1f ms, max %.1f ms over %u frames",
                                  when, v[g->len / 2], v[(size_t)(0.95 * (g->len - 1))], v[g->len - 1], g->len);
        if (t->a->opt.screenshot) printf("training: %s\n", s);
        gtk_widget_set_tooltip_text(t->progress, s);
        g_free(s);
    }
    g_array_free(g, TRUE);
}

static gboolean refresh_curve(gpointer data) {
    train_tab *t = data;
    cllm_error err = {0};
    show_progress(t);
    if (t->run_dir && read_log(t, &err)) app_status(t->a, t->status, "training", 1, "%s", err.msg);
    gtk_widget_queue_draw(t->area);
    return G_SOURCE_CONTINUE;
}

static void on_draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data) {
    (void)area;
    train_tab *t = data;
    double half = w / 2.0;
    cllm_plot_losses(cr, half, h, &t->log, CLLM_PLOT_STEPS, "loss vs steps", NULL);
    cairo_translate(cr, half, 0);
    cllm_plot_losses(cr, w - half, h, &t->log, CLLM_PLOT_MINUTES, "loss vs minutes", NULL);
}

static void set_buttons(train_tab *t) {
    int have_run = t->run_dir != NULL;
    gtk_widget_set_sensitive(t->start, !t->running);
    gtk_widget_set_sensitive(t->open, !t->running);
    gtk_widget_set_sensitive(t->pause, t->running);
    gtk_widget_set_sensitive(t->stop, t->running);
    gtk_widget_set_sensitive(t->resume, !t->running && have_run);
}

/* Shows the run in dir (its whole curve so far). */
static int show_run(train_tab *t, const char *dir) {
    g_free(t->run_dir);
    t->run_dir = g_strdup(dir);
    cllm_runlog_free(&t->log);
    t->log_offset = 0;
    cllm_error err = {0};
    int rc = read_log(t, &err);
    if (rc) app_status(t->a, t->status, "training", 1, "%s", err.msg);
    else if (!t->running)
        app_status(t->a, t->status, "training", 0, "%s: %zu training and %zu validation points, last step %lld", dir,
                   t->log.n_train, t->log.n_val, t->log.n_train ? (long long)t->log.train[t->log.n_train - 1].step : 0LL);
    gtk_widget_queue_draw(t->area);
    set_buttons(t);
    return rc;
}

/* ---- the worker ---- */

static gboolean event_arrived(gpointer data) {
    train_msg *m = data;
    train_tab *t = m->t;
    const cllm_train_event *ev = &m->ev;
    switch (ev->kind) {
    case CLLM_TRAIN_NOTE: case CLLM_TRAIN_SKIPPED: app_status(t->a, t->status, "training", 0, "%s", m->msg); break;
    case CLLM_TRAIN_START:
        app_status(t->a, t->status, "training", 0, "%s", m->msg);
        /* the frame-latency measurement covers the steps, not the setup */
        if (t->a->gaps) g_array_free(t->a->gaps, TRUE);
        t->a->gaps = g_array_new(FALSE, FALSE, sizeof(double));
        t->a->last_tick_us = 0;
        break;
    case CLLM_TRAIN_STEP: break; /* coalesced: see show_progress */
    case CLLM_TRAIN_VALIDATION:
        app_status(t->a, t->status, "training", 0, "step %lld: validation loss %.4f, %.4f bits/byte",
                   (long long)ev->step, ev->val_loss, ev->val_bpb);
        break;
    case CLLM_TRAIN_CHECKPOINT: break;
    }
    g_free(m->msg);
    g_free(m);
    return G_SOURCE_REMOVE;
}

/* Called on the worker: copies the event to the main loop. Step events only replace the newest one, which the
 * timer shows: a fast run makes thousands a second, and the window must not queue work per step. */
static void on_event(void *ctx, const cllm_train_event *ev) {
    if (ev->kind == CLLM_TRAIN_STEP) {
        train_tab *t = ctx;
        g_mutex_lock(&t->lock);
        t->last_step = *ev;
        t->last_step.msg = NULL;
        t->have_step = 1;
        g_mutex_unlock(&t->lock);
        return;
    }
    train_msg *m = g_new0(train_msg, 1);
    m->t = ctx;
    m->ev = *ev;
    m->msg = ev->msg ? g_strdup(ev->msg) : NULL;
    m->ev.msg = NULL;
    g_idle_add(event_arrived, m);
}

static gboolean train_done(gpointer data) {
    train_job *j = data;
    train_tab *t = j->t;
    t->running = 0;
    if (t->timer) g_source_remove(t->timer);
    t->timer = 0;
    if (!j->rc) refresh_curve(t); /* a run that failed to start has no log to read */
    report_latency(t, "while training");
    static const char *const why[] = {"", "done", "stopped at the chosen step", "time limit", "paused"};
    if (j->rc) app_status(t->a, t->status, "training", 1, "%s", j->err.msg);
    else if (t->pausing) app_status(t->a, t->status, "training", 0, "paused at step %lld: checkpoint saved in %s; Resume "
                                    "continues bit-exactly", (long long)j->step, j->out);
    else app_status(t->a, t->status, "training", 0, "%s at step %lld: model and checkpoint saved in %s",
                    j->why == CLLM_STOP_REQUESTED ? "stopped" : why[j->why > 0 && j->why < 5 ? j->why : 0],
                    (long long)j->step, j->out);
    if (t->a->opt.screenshot && t->log.n_train > 1)
        printf("training: curve %zu points, loss %.4f at step %lld -> %.4f at step %lld\n", t->log.n_train,
               t->log.train[0].loss, (long long)t->log.train[0].step, t->log.train[t->log.n_train - 1].loss,
               (long long)t->log.train[t->log.n_train - 1].step);
    int resume_now = t->pausing && t->scripted_pause == 1 && !j->rc;
    t->pausing = 0;
    set_buttons(t);
    if (resume_now) {
        t->scripted_pause = 2;
        start_job(t, 1); /* what the Resume button does */
    }
    g_free(j->out);
    g_free(j->data);
    g_free(j);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

static gpointer train_thread(gpointer data) {
    train_job *j = data;
    train_tab *t = j->t;
    /* below the window's priority: the OpenMP team this thread starts inherits it, so a busy machine runs the
     * main loop first (the frame-latency check in tests/app/app.sh) */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    cllm_trainer *tr = j->resume ? cllm_trainer_resume(&j->o, &j->err) : cllm_trainer_new(&j->o, &j->err);
    g_mutex_lock(&t->lock);
    t->trainer = tr;
    if (tr && t->pausing) cllm_trainer_request_stop(tr); /* Pause pressed during setup */
    g_mutex_unlock(&t->lock);
    if (!tr) j->rc = j->err.code ? j->err.code : CLLM_ERR_STATE;
    while (tr && !j->rc && !(j->why = cllm_trainer_should_stop(tr))) j->rc = cllm_trainer_step(tr, &j->err);
    if (tr && !j->rc) j->rc = cllm_trainer_finish(tr, &j->err);
    g_mutex_lock(&t->lock);
    t->trainer = NULL;
    g_mutex_unlock(&t->lock);
    if (tr) j->step = cllm_trainer_step_count(tr);
    cllm_trainer_free(tr);
    g_idle_add(train_done, j);
    return NULL;
}

/* The drop-down lists the library's recipes in cllm_train_recipe_at's order. */
static const cllm_train_recipe *selected_recipe(train_tab *t) {
    const cllm_train_recipe *r = cllm_train_recipe_at((int)gtk_drop_down_get_selected(GTK_DROP_DOWN(t->recipe)));
    return r ? r : cllm_train_recipe_at(0);
}

/* A recipe chosen: the lr field shows its learning rate (which the user may still change). */
static void on_recipe(GObject *o, GParamSpec *p, gpointer data) {
    (void)o, (void)p;
    train_tab *t = data;
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->lr), selected_recipe(t)->lr);
}

static void start_job(train_tab *t, int resume) {
    if (t->running) return;
    const char *out = gtk_editable_get_text(GTK_EDITABLE(t->out)), *data = gtk_editable_get_text(GTK_EDITABLE(t->data));
    if (!*out) { app_status(t->a, t->status, "training", 1, "choose a run directory"); return; }
    if (!resume && !*data) { app_status(t->a, t->status, "training", 1, "choose text to train on"); return; }
    train_job *j = g_new0(train_job, 1);
    j->t = t;
    j->resume = resume;
    j->out = g_strdup(out);
    j->data = g_strdup(data);
    j->data_list[0] = j->data;
    j->o = cllm_train_defaults();
    const cllm_train_recipe *r = selected_recipe(t);
    cllm_train_recipe_apply(r, &j->o.settings);
    j->o.out_dir = j->out;
    j->o.on_event = on_event;
    j->o.ctx = t;
    if (!resume) {
        static const char *names[] = {"tiny", "tiny", "small"};
        guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(t->preset));
        if (k < 3) cllm_config_preset(names[k], &j->o.config, NULL);
        else j->o.config = (cllm_config){.n_layer = 1, .n_head = 2, .n_embd = 32, .n_ctx = 32}; /* micro */
        if (k == 0) j->o.config.n_layer = 1; /* the five-minute record's depth (docs/speedrun.md) */
        j->o.config.vocab_size = 0; /* the tokenizer's */
        j->o.data = j->data_list;
        j->o.n_data = 1;
        cllm_train_settings *s = &j->o.settings;
        s->steps = (int64_t)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->steps));
        s->B = (int)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->batch));
        s->lr = gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->lr));
        s->val_every = s->steps / 10 > 0 ? s->steps / 10 : 1;
        s->val_batches = 4;
        s->ckpt_every = s->steps / 2 > 0 ? s->steps / 2 : 1;
    }
    t->running = 1;
    t->pausing = 0;
    show_run(t, out);
    set_buttons(t);
    app_status(t->a, t->status, "training", 0, "%s %s…", resume ? "resuming" : "preparing", out);
    t->timer = g_timeout_add(200, refresh_curve, t);
    app_spawn(t->a, "train", train_thread, j);
}

static void on_start(GtkButton *b, gpointer data) { (void)b; start_job(data, 0); }
static void on_resume(GtkButton *b, gpointer data) { (void)b; start_job(data, 1); }

/* Pause and Stop both end the worker with a checkpoint; Pause keeps Resume at hand. */
static void request_stop(train_tab *t, int pausing) {
    g_mutex_lock(&t->lock);
    t->pausing = pausing;
    if (t->trainer) cllm_trainer_request_stop(t->trainer);
    g_mutex_unlock(&t->lock);
    app_status(t->a, t->status, "training", 0, "%s after this step (saving a checkpoint)…", pausing ? "pausing" : "stopping");
}
static void on_pause(GtkButton *b, gpointer data) { (void)b; request_stop(data, 1); }
static void on_stop(GtkButton *b, gpointer data) { (void)b; request_stop(data, 0); }

static void run_chosen(app *a, const char *path) {
    gtk_editable_set_text(GTK_EDITABLE(a->train->out), path);
    show_run(a->train, path);
}
static void data_chosen(app *a, const char *path) { gtk_editable_set_text(GTK_EDITABLE(a->train->data), path); }
static void on_open(GtkButton *b, gpointer data) {
    (void)b;
    app_choose_file(((train_tab *)data)->a, "Open a run directory", 0, 1, run_chosen);
}
static void on_choose_data(GtkButton *b, gpointer data) {
    (void)b;
    app_choose_file(((train_tab *)data)->a, "Text to train on (a file or folder)", 0, 1, data_chosen);
}

/* The command line's training run starts once the window has drawn 60 frames with nothing running: their gaps
 * are the baseline the machine's own load gives, printed beside the gaps while training. */
static gboolean scripted_start(gpointer data) {
    train_tab *t = data;
    if (t->a->ticks < 3) return G_SOURCE_CONTINUE;
    if (!t->a->gaps) t->a->gaps = g_array_new(FALSE, FALSE, sizeof(double));
    if (t->a->gaps->len < 60) return G_SOURCE_CONTINUE;
    report_latency(t, "before training");
    start_job(t, 0);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

static GtkWidget *labelled_entry(GtkWidget *grid, int row, const char *label, GtkWidget **entry, GtkWidget *button) {
    GtkWidget *l = gtk_label_new(label);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    *entry = gtk_entry_new();
    gtk_widget_set_hexpand(*entry, TRUE);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), *entry, 1, row, 3, 1);
    gtk_grid_attach(GTK_GRID(grid), button, 4, row, 1, 1);
    return *entry;
}

/* The fast recipe asks once per process whether bf16 products pay here, timing them (about 0.1 s where bf16 is
 * native): asked at start on a thread of its own, so that Start never waits for it on the main loop. */
static gpointer check_bf16(gpointer data) {
    (void)data;
    cllm_gemm_bf16_faster(NULL);
    return NULL;
}

GtkWidget *train_tab_new(app *a) {
    g_thread_unref(g_thread_new("bf16-check", check_bf16, NULL));
    train_tab *t = g_new0(train_tab, 1);
    t->a = a;
    a->train = t;
    g_mutex_init(&t->lock);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    gtk_widget_set_margin_start(box, 10);
    gtk_widget_set_margin_end(box, 10);
    gtk_widget_set_margin_bottom(box, 6);
    GtkWidget *grid = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(grid), 6);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 3);
    GtkWidget *choose = gtk_button_new_with_label("Choose…");
    g_signal_connect(choose, "clicked", G_CALLBACK(on_choose_data), t);
    labelled_entry(grid, 0, "text (file, folder, .jsonl, shards)", &t->data, choose);
    t->open = gtk_button_new_with_label("Open run…");
    g_signal_connect(t->open, "clicked", G_CALLBACK(on_open), t);
    labelled_entry(grid, 1, "run directory", &t->out, t->open);
    if (a->opt.train_data) gtk_editable_set_text(GTK_EDITABLE(t->data), a->opt.train_data);
    if (a->opt.run) gtk_editable_set_text(GTK_EDITABLE(t->out), a->opt.run);
    gtk_box_append(GTK_BOX(box), grid);
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
    const char *presets[] = {"tiny, 1 layer (L1 C256)", "tiny (L4 C256)", "small (L6 C384)", "micro (L1 C32 T32)",
                             NULL};
    t->preset = gtk_drop_down_new_from_strings(presets);
    gtk_drop_down_set_selected(GTK_DROP_DOWN(t->preset), a->opt.train_data ? 3 : 0);
    gtk_box_append(GTK_BOX(row), t->preset);
    /* the recipes of `cllm train --recipe`, "name (summary)" */
    GtkStringList *recipes = gtk_string_list_new(NULL);
    const cllm_train_recipe *r;
    for (int i = 0; (r = cllm_train_recipe_at(i)); i++) {
        char *label = g_strdup_printf("%s (%s)", r->name, r->summary);
        gtk_string_list_append(recipes, label);
        g_free(label);
    }
    t->recipe = gtk_drop_down_new(G_LIST_MODEL(recipes), NULL);
    gtk_box_append(GTK_BOX(row), t->recipe);
    GtkWidget *g = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(g), 4);
    t->steps = app_spin(g, 0, "steps", 1, 1e7, 10, a->opt.train_data ? (double)a->opt.train_steps : 1000, 0);
    gtk_box_append(GTK_BOX(row), g);
    g = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(g), 4);
    t->batch = app_spin(g, 0, "batch", 1, 512, 1, a->opt.train_data ? 2 : 8, 0);
    gtk_box_append(GTK_BOX(row), g);
    g = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(g), 4);
    t->lr = app_spin(g, 0, "lr", 1e-5, 1, 1e-4, a->opt.train_data ? 3e-3 : selected_recipe(t)->lr, 4);
    g_signal_connect(t->recipe, "notify::selected", G_CALLBACK(on_recipe), t);
    gtk_box_append(GTK_BOX(row), g);
    gtk_box_append(GTK_BOX(box), row);
    GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    t->start = gtk_button_new_with_label("Start");
    t->pause = gtk_button_new_with_label("Pause");
    t->resume = gtk_button_new_with_label("Resume");
    t->stop = gtk_button_new_with_label("Stop");
    g_signal_connect(t->start, "clicked", G_CALLBACK(on_start), t);
    g_signal_connect(t->pause, "clicked", G_CALLBACK(on_pause), t);
    g_signal_connect(t->resume, "clicked", G_CALLBACK(on_resume), t);
    g_signal_connect(t->stop, "clicked", G_CALLBACK(on_stop), t);
    GtkWidget *btns[] = {t->start, t->pause, t->resume, t->stop};
    for (int i = 0; i < 4; i++) gtk_box_append(GTK_BOX(buttons), btns[i]);
    t->progress = gtk_progress_bar_new();
    gtk_progress_bar_set_show_text(GTK_PROGRESS_BAR(t->progress), TRUE);
    gtk_progress_bar_set_text(GTK_PROGRESS_BAR(t->progress), "not running");
    gtk_widget_set_hexpand(t->progress, TRUE);
    gtk_widget_set_valign(t->progress, GTK_ALIGN_CENTER);
    gtk_box_append(GTK_BOX(buttons), t->progress);
    gtk_box_append(GTK_BOX(box), buttons);
    t->figures = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->figures), 0);
    gtk_box_append(GTK_BOX(box), t->figures);
    t->area = gtk_drawing_area_new();
    gtk_widget_set_vexpand(t->area, TRUE);
    gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(t->area), on_draw, t, NULL);
    gtk_box_append(GTK_BOX(box), t->area);
    t->status = gtk_label_new("Choose text and a new run directory and press Start, or open an existing run.");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_label_set_ellipsize(GTK_LABEL(t->status), PANGO_ELLIPSIZE_MIDDLE);
    gtk_box_append(GTK_BOX(box), t->status);
    set_buttons(t);
    if (a->opt.train_data) {
        app_busy(a, +1);
        g_timeout_add(50, scripted_start, t);
    } else if (a->opt.run) {
        show_run(t, a->opt.run);
    }
    return box;
}
