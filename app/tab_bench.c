/* tab_bench.c — the Bench tab: the library's cllm_bench_train / cllm_bench_generate (the code `cllm bench` runs)
 * on a chosen model shape and thread count, on a worker: tokens/s, ms per step, GFLOP/s and MFU against this
 * machine's measured matrix-product peak. Every run is kept in a table so shapes and threads can be compared. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cllm_bench.h"
#include "cllm_simd.h"

struct bench_tab {
    app *a;
    GtkWidget *preset, *mode, *precision, *layers, *dim, *heads, *context, *batch, *steps, *threads, *run, *status, *results;
    GString *table;
    int running;
};

typedef struct bench_job {
    bench_tab *t;
    cllm_config cfg;
    int generate, B, steps, threads;
    cllm_precision precision; /* fp32, bf16 (training and generation) or int8 (generation only) */
    cllm_bench_train_result tr;
    cllm_bench_generate_result gr;
    cllm_error err;
    int rc;
} bench_job;

/* The presets' shapes, plus "micro" (L2 C64 H2 T64), small enough to measure in a second. */
static void on_preset(GObject *o, GParamSpec *p, gpointer data) {
    (void)o;
    (void)p;
    bench_tab *t = data;
    static const char *names[] = {"tiny", "small", "micro"};
    guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(t->preset));
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 64, .n_ctx = 64};
    if (k < 2) cllm_config_preset(names[k], &cfg, NULL);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->layers), cfg.n_layer);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->dim), cfg.n_embd);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->heads), cfg.n_head);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->context), cfg.n_ctx);
}

static gboolean bench_done(gpointer data) {
    bench_job *j = data;
    bench_tab *t = j->t;
    if (j->rc) {
        app_status(t->a, t->status, "bench", 1, "%s", j->err.msg);
    } else if (j->generate) {
        g_string_append_printf(t->table, "%-8s %-4s L%-2d C%-4d T%-5d %2d thr  %9.0f tok/s  %7.2f ms/token  first %.1f "
                               "ms\n", "generate", cllm_precision_name(j->precision), j->cfg.n_layer, j->cfg.n_embd, j->cfg.n_ctx, j->threads,
                               j->gr.tokens_per_s, j->gr.ms_per_token, j->gr.first_token_ms);
        app_status(t->a, t->status, "bench", 0, "generation: %.0f tokens/s (%zu parameters)", j->gr.tokens_per_s,
                   j->gr.params);
    } else {
        g_string_append_printf(t->table, "%-8s %-4s L%-2d C%-4d T%-5d %2d thr  %9.0f tok/s  %7.1f ms/step  %6.2f of %6.2f "
                               "GFLOP/s  MFU %4.1f%%\n", "train", cllm_precision_name(j->precision), j->cfg.n_layer, j->cfg.n_embd, j->cfg.n_ctx,
                               j->threads, j->tr.tokens_per_s, j->tr.ms_per_step, j->tr.gflops, j->tr.peak_gflops,
                               100 * j->tr.mfu);
        app_status(t->a, t->status, "bench", 0, "training: %.0f tokens/s, %.2f GFLOP/s, MFU %.1f%% of the measured "
                   "%.2f GFLOP/s peak (%s kernels, %zu parameters)", j->tr.tokens_per_s, j->tr.gflops,
                   100 * j->tr.mfu, j->tr.peak_gflops, cllm_sgemm_backend(), j->tr.params);
    }
    gtk_label_set_text(GTK_LABEL(t->results), t->table->str);
    t->running = 0;
    gtk_widget_set_sensitive(t->run, TRUE);
    g_free(j);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

static gpointer bench_thread(gpointer data) {
    bench_job *j = data;
    omp_set_num_threads(j->threads); /* this thread's OpenMP team size */
    j->rc = j->generate ? cllm_bench_generate(&j->cfg, 16, 64, 3, 1337, j->precision, &j->gr, &j->err)
                        : cllm_bench_train(&j->cfg, j->B, j->steps, 1337, j->threads, j->precision, &j->tr, &j->err);
    g_idle_add(bench_done, j);
    return NULL;
}

static int spin(GtkWidget *w) { return (int)gtk_spin_button_get_value(GTK_SPIN_BUTTON(w)); }

static void on_run(GtkButton *b, gpointer data) {
    (void)b;
    bench_tab *t = data;
    if (t->running) return;
    bench_job *j = g_new0(bench_job, 1);
    j->t = t;
    j->cfg = (cllm_config){.n_layer = spin(t->layers), .n_head = spin(t->heads), .n_embd = spin(t->dim),
                           .n_ctx = spin(t->context), .vocab_size = 4096};
    j->generate = gtk_drop_down_get_selected(GTK_DROP_DOWN(t->mode)) == 1;
    static const cllm_precision precisions[] = {CLLM_PRECISION_FP32, CLLM_PRECISION_BF16, CLLM_PRECISION_INT8};
    guint pk = gtk_drop_down_get_selected(GTK_DROP_DOWN(t->precision));
    j->precision = precisions[pk < 3 ? pk : 0];
    j->B = spin(t->batch);
    j->steps = spin(t->steps);
    j->threads = spin(t->threads);
    cllm_error err = {0};
    if (cllm_config_check(&j->cfg, &err)) {
        app_status(t->a, t->status, "bench", 1, "%s", err.msg);
        g_free(j);
        return;
    }
    t->running = 1;
    gtk_widget_set_sensitive(t->run, FALSE);
    app_status(t->a, t->status, "bench", 0, "running %s on L%d C%d H%d T%d, %d threads…",
               j->generate ? "generation" : "training steps", j->cfg.n_layer, j->cfg.n_embd, j->cfg.n_head,
               j->cfg.n_ctx, j->threads);
    app_spawn(t->a, "bench", bench_thread, j);
}

GtkWidget *bench_tab_new(app *a) {
    bench_tab *t = g_new0(bench_tab, 1);
    t->a = a;
    a->bench = t;
    t->table = g_string_new(NULL);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
    gtk_widget_set_margin_start(box, 12);
    gtk_widget_set_margin_end(box, 12);
    gtk_widget_set_margin_top(box, 6);
    GtkWidget *intro = gtk_label_new("Full optimizer steps (forward, backward, clip, AdamW) on random tokens of a "
                                     "randomly initialised model, or greedy generation with the KV cache: the "
                                     "library code `cllm bench` runs. GFLOP/s counts 6N + 12·L·C·T per token; MFU is "
                                     "against this machine's matrix-product rate, measured after the steps.");
    gtk_label_set_wrap(GTK_LABEL(intro), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(intro), 90);
    gtk_label_set_xalign(GTK_LABEL(intro), 0);
    gtk_box_append(GTK_BOX(box), intro);
    GtkWidget *grid = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
    gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
    const char *presets[] = {"tiny (L4 C256 T256)", "small (L6 C384 T256)", "micro (L2 C64 T64)", NULL};
    const char *modes[] = {"training steps", "generation", NULL};
    t->preset = gtk_drop_down_new_from_strings(presets);
    t->mode = gtk_drop_down_new_from_strings(modes);
    gtk_grid_attach(GTK_GRID(grid), gtk_label_new("shape"), 0, 0, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), t->preset, 1, 0, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), gtk_label_new("measure"), 2, 0, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), t->mode, 3, 0, 1, 1);
    const char *precisions[] = {"fp32", "bf16", "int8 (generation)", NULL};
    t->precision = gtk_drop_down_new_from_strings(precisions);
    gtk_grid_attach(GTK_GRID(grid), t->precision, 4, 0, 1, 1);
    t->layers = app_spin(grid, 1, "layers", 1, 48, 1, 4, 0);
    t->dim = app_spin(grid, 2, "channels", 8, 2048, 8, 256, 0);
    t->heads = app_spin(grid, 3, "heads", 1, 32, 1, 4, 0);
    t->context = app_spin(grid, 4, "context", 8, 2048, 8, 256, 0);
    GtkWidget *right = gtk_grid_new();
    gtk_grid_set_column_spacing(GTK_GRID(right), 8);
    t->batch = app_spin(right, 0, "batch", 1, 256, 1, 4, 0);
    t->steps = app_spin(right, 1, "timed steps", 1, 1000, 1, 5, 0);
    t->threads = app_spin(right, 2, "threads", 1, 256, 1, omp_get_max_threads(), 0);
    gtk_grid_attach(GTK_GRID(grid), right, 2, 1, 2, 4);
    gtk_box_append(GTK_BOX(box), grid);
    t->run = gtk_button_new_with_label("Run");
    gtk_widget_set_halign(t->run, GTK_ALIGN_START);
    g_signal_connect(t->run, "clicked", G_CALLBACK(on_run), t);
    gtk_box_append(GTK_BOX(box), t->run);
    t->status = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_label_set_wrap(GTK_LABEL(t->status), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(t->status), 90);
    gtk_box_append(GTK_BOX(box), t->status);
    t->results = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->results), 0);
    gtk_label_set_selectable(GTK_LABEL(t->results), TRUE);
    gtk_widget_add_css_class(t->results, "monospace");
    gtk_box_append(GTK_BOX(box), t->results);
    g_signal_connect(t->preset, "notify::selected", G_CALLBACK(on_preset), t);
    if (a->opt.bench) {
        gtk_drop_down_set_selected(GTK_DROP_DOWN(t->preset), 2); /* micro: a quick run for the screenshot */
        on_run(NULL, t);
    }
    return box;
}
