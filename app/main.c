/* main.c — hyper_prime_spiral: the window, its tabs, the command line and the headless screenshot.
 *
 *   hyper_prime_spiral                                       the app
 *   hyper_prime_spiral --screenshot TAB --out FILE.png [--model M] [--run DIR] [...]
 *                                                            renders one tab to a PNG once its work is done
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cllm_io.h"

/* Read by LeakSanitizer in sanitizer builds: fontconfig, GLib's type system and the display libraries keep
 * process-long caches that are never freed. */
const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\nleak:libflint.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libgtk-4.so\n"
           "leak:libpango\nleak:libX11.so\nleak:libEGL\nleak:libGLX\nleak:libdbus\n";
}

static const char usage[] =
    "usage: hyper_prime_spiral [--screenshot TAB --out FILE.png] [--model FILE] [--run DIR] [options]\n"
    "The crystalline desktop app: prime spirals, a prime calculator, training, chat, model analysis, benchmarks.\n"
    "  --screenshot TAB     render TAB (spirals|calculator|training|chat|model|bench) to --out and quit\n"
    "  --out FILE.png       where the screenshot goes (written atomically)\n"
    "  --model FILE         open a model file (Model and Chat tabs)\n"
    "  --run DIR            open a training run directory (its log.jsonl curve)\n"
    "  --prompt TEXT        send one chat message once the model is open\n"
    "  --kind ulam|clock|golden  --points N   the spiral shown (default ulam, 100000)\n"
    "  --export FILE        export the spiral view to FILE (.png or .svg)\n"
    "  --spiral-frames N    pan the spiral for N frames and print the render times (the docs' measurement)\n"
    "  --calc N             compute everything the calculator knows about N\n"
    "  --train-data PATH --train-steps N   start a tiny training run on PATH (text) into --run DIR\n"
    "  --pause-at STEP      ... and press Pause once past STEP, then Resume when the checkpoint is saved\n"
    "  --bench              run the benchmark once (tiny model)\n";

static const char *tab_names[] = {"spirals", "calculator", "training", "chat", "model", "bench"};

static int parse_args(app_options *o, int argc, char **argv) {
    *o = (app_options){.kind = "ulam", .points = 100000, .train_steps = 30};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **str = !strcmp(f, "--screenshot") ? &o->screenshot : !strcmp(f, "--out") ? &o->out
                         : !strcmp(f, "--model") ? &o->model : !strcmp(f, "--run") ? &o->run
                         : !strcmp(f, "--prompt") ? &o->prompt : !strcmp(f, "--kind") ? &o->kind
                         : !strcmp(f, "--export") ? &o->export_path : !strcmp(f, "--calc") ? &o->calc
                         : !strcmp(f, "--train-data") ? &o->train_data : NULL;
        long *num = !strcmp(f, "--points") ? &o->points : !strcmp(f, "--train-steps") ? &o->train_steps
                  : !strcmp(f, "--spiral-frames") ? &o->spiral_frames : !strcmp(f, "--pause-at") ? &o->pause_at : NULL;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) { fputs(usage, stdout); exit(0); }
        if (!strcmp(f, "--bench")) { o->bench = 1; continue; }
        if (!str && !num) { fprintf(stderr, "hyper_prime_spiral: error: unknown flag '%s' (see --help)\n", f); return 2; }
        if (!v) { fprintf(stderr, "hyper_prime_spiral: error: %s needs a value\n", f); return 2; }
        if (str) *str = v;
        else {
            char *end;
            *num = strtol(v, &end, 10);
            if (*end || end == v || *num < 1 || *num > 1000000) {
                fprintf(stderr, "hyper_prime_spiral: error: %s takes a whole number in 1..1000000, not '%s'\n", f, v);
                return 2;
            }
        }
        i++;
    }
    if (o->screenshot) {
        int ok = 0;
        for (size_t t = 0; t < G_N_ELEMENTS(tab_names); t++) ok |= !strcmp(o->screenshot, tab_names[t]);
        if (!ok) {
            fprintf(stderr, "hyper_prime_spiral: error: --screenshot takes spirals, calculator, training, chat, model "
                            "or bench, not '%s'\n", o->screenshot);
            return 2;
        }
        if (!o->out) { fprintf(stderr, "hyper_prime_spiral: error: --screenshot needs --out FILE.png\n"); return 2; }
    }
    if (strcmp(o->kind, "ulam") && strcmp(o->kind, "clock") && strcmp(o->kind, "golden")) {
        fprintf(stderr, "hyper_prime_spiral: error: --kind takes ulam, clock or golden, not '%s'\n", o->kind);
        return 2;
    }
    if (o->train_data && !o->run) { fprintf(stderr, "hyper_prime_spiral: error: --train-data needs --run DIR\n"); return 2; }
    return 0;
}

/* ---- helpers the tabs share ---- */

void app_status(app *a, GtkWidget *label, const char *tab, int is_error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gtk_label_set_text(GTK_LABEL(label), msg);
    if (is_error) gtk_widget_add_css_class(label, "error");
    else gtk_widget_remove_css_class(label, "error");
    if (a->opt.screenshot) {
        printf("%s: %s%s\n", tab, is_error ? "error: " : "", msg);
        fflush(stdout);
    }
    g_free(msg);
}

void app_busy(app *a, int delta) { a->busy += delta; }

void app_spawn(app *a, const char *name, GThreadFunc fn, gpointer data) {
    app_busy(a, +1);
    g_thread_unref(g_thread_new(name, fn, data));
}

GtkWidget *app_section(const char *title, GtkWidget **body) {
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    GtkWidget *head = gtk_label_new(NULL);
    char *markup = g_markup_printf_escaped("<b>%s</b>", title);
    gtk_label_set_markup(GTK_LABEL(head), markup);
    g_free(markup);
    gtk_label_set_xalign(GTK_LABEL(head), 0);
    gtk_box_append(GTK_BOX(box), head);
    *body = box;
    return box;
}

GtkWidget *app_spin(GtkWidget *grid, int row, const char *label, double lo, double hi, double step, double value,
                    int digits) {
    GtkWidget *l = gtk_label_new(label), *s = gtk_spin_button_new_with_range(lo, hi, step);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    gtk_spin_button_set_digits(GTK_SPIN_BUTTON(s), (guint)digits);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(s), value);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), s, 1, row, 1, 1);
    return s;
}

typedef struct choose_ctx {
    app *a;
    void (*done)(app *a, const char *path);
} choose_ctx;

static void on_chosen(GtkNativeDialog *d, int response, gpointer data) {
    choose_ctx *c = data;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        char *path = f ? g_file_get_path(f) : NULL;
        if (path) c->done(c->a, path);
        g_free(path);
        if (f) g_object_unref(f);
    }
    g_object_unref(d);
    g_free(c);
}

void app_choose_file(app *a, const char *title, int save, int folder, void (*done)(app *a, const char *path)) {
    GtkFileChooserAction act = folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                             : save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN;
    GtkFileChooserNative *d = gtk_file_chooser_native_new(title, GTK_WINDOW(a->window), act, NULL, NULL);
    choose_ctx *c = g_new0(choose_ctx, 1);
    *c = (choose_ctx){a, done};
    g_signal_connect(d, "response", G_CALLBACK(on_chosen), c);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* ---- the open model: loaded on a worker, swapped in on the main loop ---- */

typedef struct model_job {
    app *a;
    char *path;
    cllm_model *m;
    cllm_tokenizer *tok;
    cllm_error err;
} model_job;

static gboolean model_loaded(gpointer data) {
    model_job *j = data;
    app *a = j->a;
    snprintf(a->model_error, sizeof a->model_error, "%s", j->m ? "" : j->err.msg);
    if (j->m) { /* a failed open leaves the previous model open */
        cllm_model_free(a->model);
        cllm_tokenizer_free(a->tok);
        g_free(a->model_path);
        a->model = j->m;
        a->tok = j->tok;
        a->model_path = j->path;
        j->path = NULL;
    }
    model_tab_model_changed(a);
    chat_tab_model_changed(a);
    g_free(j->path);
    g_free(j);
    app_busy(a, -1);
    return G_SOURCE_REMOVE;
}

static gpointer model_load_thread(gpointer data) {
    model_job *j = data;
    j->m = cllm_model_load(j->path, &j->tok, &j->err);
    if (j->m && !j->tok) {
        if (cllm_model_config(j->m)->vocab_size == 256) j->tok = cllm_tokenizer_byte_new();
        else {
            cllm_error_set(&j->err, CLLM_ERR_FORMAT, "%s has no tokenizer (chat needs one)", j->path);
            cllm_model_free(j->m);
            j->m = NULL;
        }
    }
    if (j->m && cllm_tokenizer_vocab_size(j->tok) > cllm_model_config(j->m)->vocab_size) {
        cllm_error_set(&j->err, CLLM_ERR_FORMAT, "%s: the tokenizer has more ids than the model", j->path);
        cllm_model_free(j->m);
        cllm_tokenizer_free(j->tok);
        j->m = NULL;
        j->tok = NULL;
    }
    g_idle_add(model_loaded, j);
    return NULL;
}

void app_open_model(app *a, const char *path) {
    if (chat_tab_busy(a)) return; /* the chat's worker reads the open model: its Open button is off meanwhile */
    model_job *j = g_new0(model_job, 1);
    j->a = a;
    j->path = g_strdup(path);
    app_spawn(a, "model-load", model_load_thread, j);
}

/* ---- frame latency and the screenshot ---- */

/* Renders the page to a PNG through the window's own renderer (what is on screen), written atomically.
 * Returns 0, 2 on a write error, or 1 when the page has no render node to capture: a label set or a redraw
 * queued since the last paint drops the nodes until the next one. */
static int save_screenshot(app *a) {
    GtkWidget *w = gtk_window_get_child(GTK_WINDOW(a->window));
    int W = gtk_widget_get_width(w), H = gtk_widget_get_height(w);
    GdkPaintable *p = gtk_widget_paintable_new(w);
    GtkSnapshot *s = gtk_snapshot_new();
    gdk_paintable_snapshot(p, s, W, H);
    GskRenderNode *node = gtk_snapshot_free_to_node(s);
    g_object_unref(p);
    if (!node || W < 1 || H < 1) {
        if (node) gsk_render_node_unref(node);
        return 1;
    }
    GskRenderer *r = gtk_native_get_renderer(gtk_widget_get_native(w));
    GdkTexture *t = gsk_renderer_render_texture(r, node, &GRAPHENE_RECT_INIT(0, 0, (float)W, (float)H));
    gsk_render_node_unref(node);
    GBytes *png = gdk_texture_save_to_png_bytes(t);
    g_object_unref(t);
    gsize n;
    const void *bytes = g_bytes_get_data(png, &n);
    cllm_error err = {0};
    int rc = cllm_write_file_atomic(a->opt.out, bytes, n, &err);
    g_bytes_unref(png);
    if (rc) fprintf(stderr, "hyper_prime_spiral: error: %s\n", err.msg);
    return rc ? 2 : 0;
}

static int exit_code;

static gboolean close_window(gpointer data) {
    gtk_window_destroy(GTK_WINDOW(((app *)data)->window));
    return G_SOURCE_REMOVE;
}

/* After a paint every widget's render node is fresh. A capture from the tick (before layout and paint) found
 * nothing whenever something changed between two frames: CI once caught the spirals tab's status line, which a
 * timer updates every second. A paint that still leaves nothing queues another, up to a second of frames. */
static void on_after_paint(GdkFrameClock *clock, gpointer data) {
    app *a = data;
    int rc = save_screenshot(a);
    if (rc == 1 && ++a->shot_tries < 60) {
        gtk_widget_queue_draw(gtk_window_get_child(GTK_WINDOW(a->window)));
        return;
    }
    g_signal_handler_disconnect(clock, a->shot_handler);
    if (rc == 1) fprintf(stderr, "hyper_prime_spiral: error: the window drew nothing to capture in %d frames\n",
                         a->shot_tries);
    exit_code = rc ? 2 : 0;
    if (!rc) printf("screenshot: %s (%dx%d), max frame gap %.1f ms over %ld frames\n", a->opt.out,
                    gtk_widget_get_width(a->window), gtk_widget_get_height(a->window), a->max_gap_ms, a->ticks);
    g_idle_add(close_window, a);
}

/* Every frame: the gap since the last one (the main loop's latency); with --screenshot, once all work is done
 * and a few frames have been drawn since, the capture after the next paint. */
static gboolean on_tick(GtkWidget *w, GdkFrameClock *clock, gpointer data) {
    (void)w;
    app *a = data;
    gint64 t = gdk_frame_clock_get_frame_time(clock);
    if (a->last_tick_us) {
        double gap = (double)(t - a->last_tick_us) / 1000.0;
        if (gap > a->max_gap_ms) a->max_gap_ms = gap;
        if (a->gaps) g_array_append_val(a->gaps, gap);
    }
    a->last_tick_us = t;
    a->ticks++;
    static long idle_frames;
    if (!a->opt.screenshot || a->shot_handler) return G_SOURCE_CONTINUE;
    idle_frames = a->busy > 0 ? 0 : idle_frames + 1;
    if (a->ticks < 6 || idle_frames < 4) return G_SOURCE_CONTINUE;
    a->shot_handler = g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), a);
    gtk_widget_queue_draw(gtk_window_get_child(GTK_WINDOW(a->window)));
    return G_SOURCE_CONTINUE;
}

static void on_activate(GtkApplication *gtk, gpointer data) {
    app *a = data;
    GtkCssProvider *css = gtk_css_provider_new();
    gtk_css_provider_load_from_data(css, "label.error { color: #c01c28; font-weight: bold; }", -1);
    gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(css);
    a->window = gtk_application_window_new(gtk);
    gtk_window_set_title(GTK_WINDOW(a->window), "hyper_prime_spiral — crystalline");
    gtk_window_set_default_size(GTK_WINDOW(a->window), 800, 500);
    a->stack = gtk_stack_new();
    GtkWidget *(*make[])(app *) = {spirals_tab_new, calc_tab_new, train_tab_new, chat_tab_new, model_tab_new,
                                   bench_tab_new};
    const char *titles[] = {"Spirals", "Calculator", "Training", "Chat", "Model", "Bench"};
    for (size_t i = 0; i < G_N_ELEMENTS(make); i++)
        gtk_stack_add_titled(GTK_STACK(a->stack), make[i](a), tab_names[i], titles[i]);
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), *switcher = gtk_stack_switcher_new();
    gtk_stack_switcher_set_stack(GTK_STACK_SWITCHER(switcher), GTK_STACK(a->stack));
    gtk_widget_set_halign(switcher, GTK_ALIGN_CENTER);
    gtk_widget_set_margin_top(switcher, 4);
    gtk_widget_set_margin_bottom(switcher, 4);
    gtk_box_append(GTK_BOX(box), switcher);
    gtk_widget_set_vexpand(a->stack, TRUE);
    gtk_box_append(GTK_BOX(box), a->stack);
    gtk_window_set_child(GTK_WINDOW(a->window), box);
    if (a->opt.screenshot) gtk_stack_set_visible_child_name(GTK_STACK(a->stack), a->opt.screenshot);
    gtk_widget_add_tick_callback(a->window, on_tick, a, NULL);
    if (a->opt.model) app_open_model(a, a->opt.model);
    gtk_window_present(GTK_WINDOW(a->window));
}

int main(int argc, char **argv) {
    static app a;
    if (parse_args(&a.opt, argc, argv)) return 2;
    /* OpenMP threads that spin while waiting steal the main loop's core on a small machine (tools/cllm/main.c
     * measured ~100x slower steps); libgomp reads the policy before main, so choose PASSIVE and start again
     * unless the user chose a policy. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        execv("/proc/self/exe", argv); /* returns only on failure: then run as we are */
    }
    a.gtk = gtk_application_new("org.crystalline.HyperPrimeSpiral", G_APPLICATION_NON_UNIQUE);
    g_signal_connect(a.gtk, "activate", G_CALLBACK(on_activate), &a);
    char *gargv[] = {argv[0], NULL};
    int rc = g_application_run(G_APPLICATION(a.gtk), 1, gargv);
    g_object_unref(a.gtk);
    cllm_model_free(a.model);
    cllm_tokenizer_free(a.tok);
    g_free(a.model_path);
    return rc ? rc : exit_code;
}
