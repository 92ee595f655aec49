/* tab_model.c — the Model tab: the open model's config, parameter count and crystalline options, and its token
 * embeddings as a lattice (the figures of `cllm analyze`: orthogonality defect and Hermite factor before and
 * after LLL, beside a random Gaussian basis of the same shape and scale), with a picture of the Gram–Schmidt
 * profile log‖b*_i‖, which LLL flattens. The LLL runs on a worker on a copy of the embeddings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "plot.h"
#include "primemath.h"

#define ANALYZE_SCALE_BITS 24 /* as `cllm analyze` */

struct model_tab {
    app *a;
    GtkWidget *path, *status, *config, *figures, *area;
    int running;
    size_t k;              /* basis rows analysed */
    double *profile[4];    /* [k] log‖b*_i‖: embedding, embedding after LLL, random, random after LLL */
};

typedef struct analysis {
    model_tab *t;
    size_t k, c;
    double *emb, *rnd;       /* [k × c] */
    pm_basis_quality q[4];   /* as profile[] */
    double *profile[4];
    cllm_error err;
    int rc;
} analysis;

/* log‖b*_i‖ of basis into out[k]. */
static int gso_profile(const double *basis, size_t k, size_t c, double *out, cllm_error *err) {
    int rc = pm_gram_schmidt(basis, k, c, NULL, NULL, out, err);
    for (size_t i = 0; !rc && i < k; i++) out[i] = 0.5 * log(out[i]);
    return rc;
}

/* Quality and profile before and after LLL of basis (reduced in place); slots q[at], q[at + 1]. */
static int measure(analysis *j, double *basis, int at) {
    pm_lll_params params = pm_lll_params_default();
    int rc = pm_basis_quality_of(basis, j->k, j->c, &j->q[at], &j->err);
    if (!rc) rc = gso_profile(basis, j->k, j->c, j->profile[at], &j->err);
    if (!rc) rc = pm_lll_double(basis, j->k, j->c, ANALYZE_SCALE_BITS, NULL, NULL, &params, &j->err);
    if (!rc) rc = pm_basis_quality_of(basis, j->k, j->c, &j->q[at + 1], &j->err);
    if (!rc) rc = gso_profile(basis, j->k, j->c, j->profile[at + 1], &j->err);
    return rc;
}

static gboolean analysis_done(gpointer data) {
    analysis *j = data;
    model_tab *t = j->t;
    if (j->rc) {
        app_status(t->a, t->status, "model", 1, "lattice analysis failed: %s", j->err.msg);
    } else {
        char *s = g_strdup_printf(
            "Embeddings of tokens 0..%zu in %zu dimensions as a lattice basis (LLL δ 0.99, η 0.51):\n"
            "                 log orth. defect         Hermite factor\n"
            "  embedding      %8.3f → %8.3f     %.4f → %.4f\n"
            "  random         %8.3f → %8.3f     %.4f → %.4f   (Gaussian, same shape and rms)",
            j->k - 1, j->c, j->q[0].log_orth_defect, j->q[1].log_orth_defect, j->q[0].hermite_factor,
            j->q[1].hermite_factor, j->q[2].log_orth_defect, j->q[3].log_orth_defect, j->q[2].hermite_factor,
            j->q[3].hermite_factor);
        gtk_label_set_text(GTK_LABEL(t->figures), s);
        app_status(t->a, t->status, "model", 0, "lattice analysis done");
        if (t->a->opt.screenshot) printf("model: %s\n", s);
        g_free(s);
        for (int i = 0; i < 4; i++) {
            free(t->profile[i]);
            t->profile[i] = j->profile[i];
        }
        t->k = j->k;
        gtk_widget_queue_draw(t->area);
    }
    if (j->rc)
        for (int i = 0; i < 4; i++) free(j->profile[i]);
    free(j->emb);
    free(j->rnd);
    t->running = 0;
    g_free(j);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

static gpointer analysis_thread(gpointer data) {
    analysis *j = data;
    j->rc = measure(j, j->emb, 0);
    if (!j->rc) j->rc = measure(j, j->rnd, 2);
    g_idle_add(analysis_done, j);
    return NULL;
}

/* Copies the first k embeddings (and a random basis of the same rms) and starts the LLL on a worker. */
static void start_analysis(model_tab *t) {
    const cllm_config *cfg = cllm_model_config(t->a->model);
    size_t c = (size_t)cfg->n_embd, k = c < 64 ? c : 64;
    if (k > (size_t)cfg->vocab_size) k = (size_t)cfg->vocab_size;
    analysis *j = g_new0(analysis, 1);
    *j = (analysis){.t = t, .k = k, .c = c};
    j->emb = malloc(sizeof(double) * k * c);
    j->rnd = malloc(sizeof(double) * k * c);
    int ok = j->emb && j->rnd;
    for (int i = 0; i < 4; i++) ok &= (j->profile[i] = malloc(sizeof(double) * k)) != NULL;
    if (!ok) {
        j->rc = cllm_error_set(&j->err, CLLM_ERR_NOMEM, "out of memory");
        analysis_done(j);
        return;
    }
    const float *wte = cllm_model_tensor_find(t->a->model, "wte.weight")->data;
    double ss = 0;
    for (size_t i = 0; i < k * c; i++) { j->emb[i] = wte[i]; ss += j->emb[i] * j->emb[i]; }
    double rms = sqrt(ss / (double)(k * c));
    cllm_rng rng;
    cllm_rng_seed(&rng, 1); /* `cllm analyze`'s default seed */
    for (size_t i = 0; i < k * c; i++) j->rnd[i] = rms * cllm_rng_normal(&rng);
    t->running = 1;
    app_status(t->a, t->status, "model", 0, "LLL on %zu × %zu embeddings…", k, c);
    app_spawn(t->a, "lattice", analysis_thread, j);
}

void model_tab_model_changed(app *a) {
    model_tab *t = a->model_tab;
    if (a->model_error[0]) {
        app_status(a, t->status, "model", 1, "%s", a->model_error);
        return;
    }
    if (!a->model) return;
    const cllm_config *cfg = cllm_model_config(a->model);
    size_t params = cllm_model_num_params(a->model);
    char *s = g_strdup_printf(
        "layers L        %d\nheads NH        %d\nchannels C      %d\ncontext T       %d\nvocabulary V    %d\n"
        "parameters      %zu (%.2f M)\n\ncrystalline options\n  positions     %s\n  embed init    %s\n"
        "  prime bias    %s\n\ntokenizer       %d ids, %d merges%s",
        cfg->n_layer, cfg->n_head, cfg->n_embd, cfg->n_ctx, cfg->vocab_size, params, (double)params / 1e6,
        cllm_pos_kind_name(cfg->pos_kind), cfg->embed_init ? "lattice" : "GPT-2 normal(0.02)",
        cfg->attn_prime_bias ? "on" : "off", cllm_tokenizer_vocab_size(a->tok), cllm_tokenizer_merge_count(a->tok),
        cllm_tokenizer_eot(a->tok) >= 0 ? ", <|endoftext|>" : "");
    gtk_label_set_text(GTK_LABEL(t->config), s);
    g_free(s);
    gtk_label_set_text(GTK_LABEL(t->path), a->model_path);
    app_status(a, t->status, "model", 0, "opened %s", a->model_path);
    if (!t->running) start_analysis(t);
}

static void on_draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data) {
    (void)area;
    model_tab *t = data;
    size_t k = t->profile[0] ? t->k : 0;
    double *x = malloc(sizeof(double) * (k + 1));
    if (!x) return;
    for (size_t i = 0; i < k; i++) x[i] = (double)i;
    cllm_plot_series s[4] = {
        {x, t->profile[0], k, 0.12, 0.47, 0.71, 1.8, 0, "embedding"},
        {x, t->profile[1], k, 0.85, 0.33, 0.10, 1.0, 1, "embedding, LLL"},
        {x, t->profile[2], k, 0.6, 0.6, 0.6, 1.8, 0, "random"},
        {x, t->profile[3], k, 0.2, 0.6, 0.3, 1.0, 1, "random, LLL"},
    };
    cllm_plot_chart(cr, w, h, "Gram–Schmidt profile of the embedding lattice", "basis vector i", "log ‖b*_i‖", s,
                    k ? 4 : 0);
    free(x);
}

static void model_chosen(app *a, const char *path) { app_open_model(a, path); }
static void on_open(GtkButton *b, gpointer data) {
    (void)b;
    model_tab *t = data;
    app_choose_file(t->a, "Open a model (.safetensors)", 0, 0, model_chosen);
}

GtkWidget *model_tab_new(app *a) {
    model_tab *t = g_new0(model_tab, 1);
    t->a = a;
    a->model_tab = t;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6), *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_margin_start(box, 10);
    gtk_widget_set_margin_end(box, 10);
    GtkWidget *open = gtk_button_new_with_label("Open model…");
    g_signal_connect(open, "clicked", G_CALLBACK(on_open), t);
    t->path = gtk_label_new("no model open");
    gtk_label_set_ellipsize(GTK_LABEL(t->path), PANGO_ELLIPSIZE_START);
    gtk_box_append(GTK_BOX(bar), open);
    gtk_box_append(GTK_BOX(bar), t->path);
    gtk_box_append(GTK_BOX(box), bar);
    t->status = gtk_label_new("Open a model file written by `cllm train` (or a GPT-2 safetensors file).");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_label_set_wrap(GTK_LABEL(t->status), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(t->status), 90);
    gtk_box_append(GTK_BOX(box), t->status);
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    t->config = gtk_label_new("");
    gtk_label_set_yalign(GTK_LABEL(t->config), 0);
    gtk_label_set_xalign(GTK_LABEL(t->config), 0);
    gtk_widget_add_css_class(t->config, "monospace");
    gtk_box_append(GTK_BOX(row), t->config);
    t->area = gtk_drawing_area_new();
    gtk_widget_set_hexpand(t->area, TRUE);
    gtk_widget_set_vexpand(t->area, TRUE);
    gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(t->area), on_draw, t, NULL);
    gtk_box_append(GTK_BOX(row), t->area);
    gtk_widget_set_vexpand(row, TRUE);
    gtk_box_append(GTK_BOX(box), row);
    t->figures = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->figures), 0);
    gtk_widget_add_css_class(t->figures, "monospace");
    gtk_widget_set_margin_bottom(t->figures, 6);
    gtk_box_append(GTK_BOX(box), t->figures);
    return box;
}
