/* app.h — hyper_prime_spiral: one window, a tab per page (spirals, calculator, training, chat, model, bench).
 * A thin layer over the public headers: libprimemath for the numbers, libcllm for models, generation, training
 * and benchmarks, libcllmplot for the charts. Slow work runs on worker threads and hands its results back to the
 * main loop with g_idle_add, so the window never waits on the library. */
#ifndef APP_H
#define APP_H

#include <gtk/gtk.h>

#include "cllm.h"
#include "cllm_tokenizer.h"

/* What the command line asked for. */
typedef struct app_options {
    const char *screenshot; /* tab to render to a PNG and quit (NULL: interactive) */
    const char *out;        /* the screenshot's PNG */
    const char *model;      /* model file opened at start (Model and Chat tabs) */
    const char *run;        /* run directory opened at start (Training tab) */
    const char *prompt;     /* a chat message sent once the model is open */
    const char *kind;       /* spirals: ulam | clock | golden */
    long points;            /* spirals: how many integers */
    const char *export_path;/* spirals: export the view to this .png/.svg at start */
    const char *calc;       /* calculator: an input computed at start */
    const char *train_data; /* training: text to train on at start (the scripted run) */
    long train_steps;       /* training: steps of the scripted run */
    long pause_at;          /* training: the script presses Pause once past this step, then Resume */
    int bench;              /* bench: run once at start */
    long spiral_frames;     /* spirals: redraw this many frames while panning, and print the render times */
} app_options;

typedef struct spirals_tab spirals_tab;
typedef struct calc_tab calc_tab;
typedef struct model_tab model_tab;
typedef struct chat_tab chat_tab;
typedef struct bench_tab bench_tab;
typedef struct train_tab train_tab;

typedef struct app {
    app_options opt;
    GtkApplication *gtk;
    GtkWidget *window, *stack;
    int busy;                 /* jobs on worker threads; a screenshot waits until none is left */
    /* the open model, shared by the Model and Chat tabs (owned; replaced only while no chat is generating) */
    cllm_model *model;
    cllm_tokenizer *tok;
    char *model_path;
    char model_error[512];    /* why the last open failed ("" when it did not) */
    spirals_tab *spirals;
    calc_tab *calc;
    model_tab *model_tab;
    chat_tab *chat;
    bench_tab *bench;
    train_tab *train;
    /* frame latency: gaps between frame-clock ticks, in milliseconds */
    gint64 last_tick_us;
    double max_gap_ms;        /* since start (or the last reset) */
    long ticks;
    GArray *gaps;             /* of double: every gap while non-NULL (the training tab measures its runs) */
    /* --screenshot: taken after a paint (see main.c) */
    gulong shot_handler;      /* the frame clock's after-paint handler, once the window is ready for it */
    int shot_tries;           /* paints that left nothing to capture */
} app;

/* The tabs: each builds its page; the tab struct lives as long as the window. */
GtkWidget *spirals_tab_new(app *a);
GtkWidget *calc_tab_new(app *a);
GtkWidget *model_tab_new(app *a);
GtkWidget *chat_tab_new(app *a);
GtkWidget *bench_tab_new(app *a);
GtkWidget *train_tab_new(app *a);

/* Called on the main loop when a->model changes (NULL: closed). */
void chat_tab_model_changed(app *a);
/* 1 while the chat is generating (the open model must not be replaced then). */
int chat_tab_busy(app *a);
void model_tab_model_changed(app *a);
/* Opens a model file on a worker thread; on success it becomes a->model and the tabs are told. */
void app_open_model(app *a, const char *path);

/* Shows msg in a tab's status label (red when is_error); in screenshot mode also prints "TAB: msg" on stdout,
 * so tests can read what the window says. */
void app_status(app *a, GtkWidget *label, const char *tab, int is_error, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
/* Runs fn(data) on a new worker thread, counted as busy until the job's done-callback calls app_busy(a, -1). */
void app_spawn(app *a, const char *name, GThreadFunc fn, gpointer data);
/* Counts a job started (+1) or finished (-1) on a worker thread. */
void app_busy(app *a, int delta);
/* A box with a small bold heading, for grouping controls. */
GtkWidget *app_section(const char *title, GtkWidget **body);
/* A labelled spin button in grid row `row`. */
GtkWidget *app_spin(GtkWidget *grid, int row, const char *label, double lo, double hi, double step, double value,
                    int digits);
/* The file the user picked in a chooser (NULL: cancelled); `save` for a save dialog. Calls done(a, path). */
void app_choose_file(app *a, const char *title, int save, int folder, void (*done)(app *a, const char *path));

#endif
