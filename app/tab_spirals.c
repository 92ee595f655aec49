/* tab_spirals.c — the Spirals tab: 1..N on the Ulam, 12-fold clock or golden spiral (libprimemath's layouts),
 * primes marked; zoom (wheel, +/-), pan (drag, arrows), hover for n, primality, factorisation and coordinates;
 * export of the view as PNG or SVG.
 *
 * Speed: positions and primality are computed once per (kind, N). A frame with many points writes pixels straight
 * into an image surface (one store per point, no path); only when zoomed in far enough that a point is several
 * pixels wide does it draw cairo circles, and then only the visible ones. The frame time is measured and shown. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "plot.h"
#include "primemath.h"

#define MAX_POINTS 1000000
#define SVG_MAX_VISIBLE 100000 /* circles in an SVG at most: ~12 MB; more is too big for viewers */

struct spirals_tab {
    app *a;
    GtkWidget *area, *kind, *points, *info, *status;
    pm_spiral shown;        /* the kind of the computed points */
    size_t n;               /* integers 1..n computed */
    float *x, *y;           /* [n]: position of integer i+1 */
    uint8_t *prime;         /* [n]: 1 if i+1 is prime */
    double extent;          /* max |coordinate| */
    double cx, cy, scale;   /* the view: spiral point at the area's centre, pixels per unit (0: fit on next draw) */
    double drag_cx, drag_cy;
    double mouse_x, mouse_y;
    uint64_t hover;         /* integer under the pointer (0: none) */
    cairo_surface_t *raster;/* reused frame buffer */
    double frame_ms[31];    /* the last frames' render times, ring buffer */
    int n_frames;
    guint timer;            /* the frame-time label's refresh */
};

/* ---- data ---- */

static void spirals_compute(spirals_tab *t, pm_spiral kind, size_t n) {
    if (t->n == n && t->shown == kind && t->x) return;
    gint64 t0 = g_get_monotonic_time();
    free(t->x);
    free(t->y);
    free(t->prime);
    t->x = malloc(n * sizeof *t->x);
    t->y = malloc(n * sizeof *t->y);
    t->prime = calloc(n, 1);
    t->n = 0;
    cllm_error err = {0};
    uint64_t *primes = NULL;
    size_t count = 0;
    if (!t->x || !t->y || !t->prime || pm_primes_range_alloc(1, n, &primes, &count, &err)) {
        app_status(t->a, t->status, "spirals", 1, "%s", err.msg[0] ? err.msg : "out of memory");
        return;
    }
    for (size_t i = 0; i < count; i++) t->prime[primes[i] - 1] = 1;
    free(primes);
    double ext = 1;
    for (size_t i = 0; i < n; i++) {
        pm_point p;
        pm_spiral_point(kind, i + 1, &p, NULL); /* n >= 1 and a valid kind: cannot fail */
        t->x[i] = (float)p.x;
        t->y[i] = (float)p.y;
        ext = fmax(ext, fmax(fabs(p.x), fabs(p.y)));
    }
    t->n = n;
    t->shown = kind;
    t->extent = ext;
    t->scale = 0; /* fit */
    t->n_frames = 0;
    app_status(t->a, t->status, "spirals", 0, "%zu points, %zu primes (computed in %.0f ms)", n, count,
               (double)(g_get_monotonic_time() - t0) / 1000.0);
}

/* ---- drawing ---- */

static void fit_view(spirals_tab *t, int w, int h) {
    t->cx = t->cy = 0;
    t->scale = fmin(w, h) / (2.05 * t->extent + 1);
}

#define BACKGROUND 0xFFFFFFFFu
#define PRIME_RGB 0xFF1C3F94u
#define COMPOSITE_RGB 0xFFD0D4DCu
#define HOVER_RGB 0.85, 0.2, 0.1

/* Squares of side s pixels at every point of the class (prime or not), straight into the pixel buffer. */
static void splat(spirals_tab *t, uint32_t *px, int stride, int w, int h, int want_prime, int s, uint32_t colour) {
    double ox = w / 2.0 - t->cx * t->scale, oy = h / 2.0 + t->cy * t->scale, sc = t->scale;
    int half = s / 2;
    for (size_t i = 0; i < t->n; i++) {
        if (t->prime[i] != want_prime) continue;
        int X = (int)lrint(ox + t->x[i] * sc) - half, Y = (int)lrint(oy - t->y[i] * sc) - half;
        if (X < 0 || Y < 0 || X + s > w || Y + s > h) continue;
        for (int dy = 0; dy < s; dy++) {
            uint32_t *row = px + (size_t)(Y + dy) * stride + X;
            for (int dx = 0; dx < s; dx++) row[dx] = colour;
        }
    }
}

/* Circles for the visible points (zoomed in); at most `cap` of them (0: no cap); returns how many were drawn. */
static size_t circles(spirals_tab *t, cairo_t *cr, int w, int h, size_t cap) {
    double ox = w / 2.0 - t->cx * t->scale, oy = h / 2.0 + t->cy * t->scale, sc = t->scale, r = 0.38 * sc;
    size_t drawn = 0;
    for (int pass = sc < 0.9 ? 1 : 0; pass < 2; pass++) { /* composites only when they do not fill the view */
        for (size_t i = 0; i < t->n && (!cap || drawn < cap); i++) {
            if (t->prime[i] != pass) continue;
            double X = ox + t->x[i] * sc, Y = oy - t->y[i] * sc;
            if (X < -r || Y < -r || X > w + r || Y > h + r) continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, X, Y, pass ? r : r * 0.45, 0, 2 * M_PI);
            drawn++;
        }
        if (pass) cairo_set_source_rgb(cr, 0x1C / 255.0, 0x3F / 255.0, 0x94 / 255.0);
        else cairo_set_source_rgb(cr, 0xD0 / 255.0, 0xD4 / 255.0, 0xDC / 255.0);
        cairo_fill(cr);
    }
    if (sc >= 18) { /* big enough to label */
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_font_size(cr, fmin(0.3 * sc, 14));
        for (size_t i = 0; i < t->n; i++) {
            double X = ox + t->x[i] * sc, Y = oy - t->y[i] * sc;
            if (!t->prime[i] || X < 0 || Y < 0 || X > w || Y > h) continue;
            char buf[24];
            snprintf(buf, sizeof buf, "%zu", i + 1);
            cairo_text_extents_t e;
            cairo_text_extents(cr, buf, &e);
            cairo_move_to(cr, X - e.width / 2 - e.x_bearing, Y - e.height / 2 - e.y_bearing);
            cairo_show_text(cr, buf);
        }
    }
    return drawn;
}

/* Draws the view into (0, 0, w, h); vector = 1 never uses the pixel buffer (SVG export). */
static void spirals_render(spirals_tab *t, cairo_t *cr, int w, int h, int vector) {
    if (t->scale <= 0) fit_view(t, w, h);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double point_px = 0.8 * t->scale;
    if (vector || point_px >= 4) {
        circles(t, cr, w, h, vector ? SVG_MAX_VISIBLE : 0);
    } else {
        if (!t->raster || cairo_image_surface_get_width(t->raster) != w ||
            cairo_image_surface_get_height(t->raster) != h) {
            if (t->raster) cairo_surface_destroy(t->raster);
            t->raster = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        }
        cairo_surface_flush(t->raster);
        uint32_t *px = (uint32_t *)cairo_image_surface_get_data(t->raster);
        if (!px) return;
        int stride = cairo_image_surface_get_stride(t->raster) / 4;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) px[(size_t)y * stride + x] = BACKGROUND;
        int s = point_px < 1.5 ? 1 : (int)point_px;
        if (t->scale >= 0.9) splat(t, px, stride, w, h, 0, s, COMPOSITE_RGB); /* composites when they do not fill */
        splat(t, px, stride, w, h, 1, s, PRIME_RGB);
        cairo_surface_mark_dirty(t->raster);
        cairo_set_source_surface(cr, t->raster, 0, 0);
        cairo_paint(cr);
    }
    if (t->hover) { /* a ring around the point under the pointer */
        size_t i = t->hover - 1;
        double X = w / 2.0 + (t->x[i] - t->cx) * t->scale, Y = h / 2.0 - (t->y[i] - t->cy) * t->scale;
        cairo_set_source_rgb(cr, HOVER_RGB);
        cairo_set_line_width(cr, 2);
        cairo_arc(cr, X, Y, fmax(6, 0.6 * t->scale), 0, 2 * M_PI);
        cairo_stroke(cr);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median render time of the last frames, in ms (0 before the first). */
static double median_frame_ms(const spirals_tab *t) {
    int n = t->n_frames < 31 ? t->n_frames : 31;
    if (n == 0) return 0;
    double v[31];
    memcpy(v, t->frame_ms, sizeof(double) * (size_t)n);
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void on_draw(GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data) {
    (void)area;
    spirals_tab *t = data;
    gint64 t0 = g_get_monotonic_time();
    spirals_render(t, cr, w, h, 0);
    t->frame_ms[t->n_frames++ % 31] = (double)(g_get_monotonic_time() - t0) / 1000.0;
}

/* ---- interaction ---- */

/* The integer nearest to the area pixel (px, py) within a few pixels, or 0. */
static uint64_t point_at(spirals_tab *t, double px, double py) {
    int w = gtk_widget_get_width(t->area), h = gtk_widget_get_height(t->area);
    if (t->scale <= 0 || t->n == 0) return 0;
    double X = t->cx + (px - w / 2.0) / t->scale, Y = t->cy - (py - h / 2.0) / t->scale;
    double reach = fmax(4.0 / t->scale, 0.5), best = reach * reach;
    uint64_t found = 0;
    if (t->shown == PM_SPIRAL_ULAM) { /* integer lattice: invert the spiral */
        uint64_t n;
        if (fabs(X) < 2e9 && fabs(Y) < 2e9 && pm_ulam_n(llround(X), llround(Y), &n, NULL) == 0 && n <= t->n) found = n;
        return found;
    }
    for (size_t i = 0; i < t->n; i++) { /* 10^6 distances: about a millisecond */
        double dx = t->x[i] - X, dy = t->y[i] - Y, d = dx * dx + dy * dy;
        if (d < best) { best = d; found = i + 1; }
    }
    return found;
}

static void show_hover(spirals_tab *t) {
    if (!t->hover) { gtk_label_set_text(GTK_LABEL(t->info), "hover over a point"); return; }
    uint64_t n = t->hover;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "n = %" PRIu64 " · %s", n, t->prime[n - 1] ? "prime" : n == 1 ? "unit" : "composite");
    pm_factorization f;
    if (!t->prime[n - 1] && n > 1 && pm_factor(n, &f, NULL) == 0) {
        g_string_append(s, " = ");
        for (int i = 0; i < f.count; i++) {
            g_string_append_printf(s, "%s%" PRIu64, i ? "×" : "", f.prime[i]);
            if (f.exponent[i] > 1) g_string_append_printf(s, "^%u", f.exponent[i]);
        }
    }
    pm_point p;
    pm_spiral_point(t->shown, n, &p, NULL);
    g_string_append_printf(s, " · (x, y) = (%.3f, %.3f) · r %.3f, θ %.4f", p.x, p.y, p.r, p.theta);
    pm_clock_pos c;
    if (t->shown == PM_SPIRAL_CLOCK && pm_clock(n, &c, NULL) == 0)
        g_string_append_printf(s, " · ring %" PRIu64 ", hour %d", c.ring, c.hour);
    gtk_label_set_text(GTK_LABEL(t->info), s->str);
    g_string_free(s, TRUE);
}

static void on_motion(GtkEventControllerMotion *c, double x, double y, gpointer data) {
    (void)c;
    spirals_tab *t = data;
    t->mouse_x = x;
    t->mouse_y = y;
    uint64_t n = point_at(t, x, y);
    if (n != t->hover) {
        t->hover = n;
        show_hover(t);
        gtk_widget_queue_draw(t->area);
    }
}

/* Zooms by factor around the area pixel (px, py), which keeps pointing at the same spiral point. */
static void zoom_at(spirals_tab *t, double factor, double px, double py) {
    int w = gtk_widget_get_width(t->area), h = gtk_widget_get_height(t->area);
    if (t->scale <= 0) return;
    double X = t->cx + (px - w / 2.0) / t->scale, Y = t->cy - (py - h / 2.0) / t->scale;
    t->scale = fmin(fmax(t->scale * factor, 1e-4), 400);
    t->cx = X - (px - w / 2.0) / t->scale;
    t->cy = Y + (py - h / 2.0) / t->scale;
    gtk_widget_queue_draw(t->area);
}

static gboolean on_scroll(GtkEventControllerScroll *c, double dx, double dy, gpointer data) {
    (void)c;
    (void)dx;
    spirals_tab *t = data;
    zoom_at(t, pow(1.2, -dy), t->mouse_x, t->mouse_y);
    return TRUE;
}

static void on_drag_begin(GtkGestureDrag *g, double x, double y, gpointer data) {
    (void)g;
    (void)x;
    (void)y;
    spirals_tab *t = data;
    t->drag_cx = t->cx;
    t->drag_cy = t->cy;
    gtk_widget_grab_focus(t->area);
}

static void on_drag_update(GtkGestureDrag *g, double dx, double dy, gpointer data) {
    (void)g;
    spirals_tab *t = data;
    if (t->scale <= 0) return;
    t->cx = t->drag_cx - dx / t->scale;
    t->cy = t->drag_cy + dy / t->scale;
    gtk_widget_queue_draw(t->area);
}

static gboolean on_key(GtkEventControllerKey *c, guint key, guint code, GdkModifierType mods, gpointer data) {
    (void)c;
    (void)code;
    (void)mods;
    spirals_tab *t = data;
    int w = gtk_widget_get_width(t->area), h = gtk_widget_get_height(t->area);
    double step = 0.1 * fmin(w, h) / (t->scale > 0 ? t->scale : 1);
    switch (key) {
    case GDK_KEY_plus: case GDK_KEY_equal: case GDK_KEY_KP_Add: zoom_at(t, 1.25, w / 2.0, h / 2.0); break;
    case GDK_KEY_minus: case GDK_KEY_KP_Subtract: zoom_at(t, 0.8, w / 2.0, h / 2.0); break;
    case GDK_KEY_Left: t->cx -= step; break;
    case GDK_KEY_Right: t->cx += step; break;
    case GDK_KEY_Up: t->cy += step; break;
    case GDK_KEY_Down: t->cy -= step; break;
    case GDK_KEY_0: case GDK_KEY_Home: t->scale = 0; break;
    default: return FALSE;
    }
    gtk_widget_queue_draw(t->area);
    return TRUE;
}

static void on_settings_changed(spirals_tab *t) {
    static const pm_spiral kinds[] = {PM_SPIRAL_ULAM, PM_SPIRAL_CLOCK, PM_SPIRAL_GOLDEN};
    guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(t->kind));
    size_t n = (size_t)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->points));
    spirals_compute(t, kinds[k < 3 ? k : 0], n);
    t->hover = 0;
    show_hover(t);
    gtk_widget_queue_draw(t->area);
}

static void on_kind(GObject *o, GParamSpec *p, gpointer data) { (void)o; (void)p; on_settings_changed(data); }
static void on_points(GtkSpinButton *s, gpointer data) { (void)s; on_settings_changed(data); }

/* ---- export ---- */

typedef struct svg_view { spirals_tab *t; int w, h; } svg_view;
static void draw_svg(cairo_t *cr, void *ctx) { svg_view *v = ctx; spirals_render(v->t, cr, v->w, v->h, 1); }

/* Writes the current view to path (.svg: circles; anything else: PNG). */
static void spirals_export(spirals_tab *t, const char *path) {
    int w = gtk_widget_get_width(t->area), h = gtk_widget_get_height(t->area);
    if (w < 16 || h < 16) { w = 800; h = 600; }
    cllm_error err = {0};
    int rc;
    size_t len = strlen(path);
    if (len > 4 && g_ascii_strcasecmp(path + len - 4, ".svg") == 0) {
        svg_view v = {t, w, h};
        rc = cllm_plot_write_svg(draw_svg, &v, w, h, path, &err);
    } else {
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        cairo_t *cr = cairo_create(s);
        spirals_render(t, cr, w, h, 0);
        cairo_destroy(cr);
        rc = cllm_plot_write_png(s, path, &err);
        cairo_surface_destroy(s);
    }
    if (rc) app_status(t->a, t->status, "spirals", 1, "export failed: %s", err.msg);
    else app_status(t->a, t->status, "spirals", 0, "exported %dx%d view to %s", w, h, path);
}

static void export_chosen(app *a, const char *path) { spirals_export(a->spirals, path); }
static void on_export(GtkButton *b, gpointer data) {
    (void)b;
    spirals_tab *t = data;
    app_choose_file(t->a, "Export the view (.png or .svg)", 1, 0, export_chosen);
}

/* Once a second: the measured frame time beside the point count. */
static gboolean show_frame_time(gpointer data) {
    spirals_tab *t = data;
    if (t->n_frames > 0) {
        char buf[160];
        snprintf(buf, sizeof buf, "%zu points · render %.1f ms per frame (median of the last %d) · wheel/+/- zoom, "
                 "drag/arrows pan, 0 fits", t->n, median_frame_ms(t), t->n_frames < 31 ? t->n_frames : 31);
        if (strcmp(gtk_label_get_text(GTK_LABEL(t->status)), buf) && !gtk_widget_has_css_class(t->status, "error"))
            gtk_label_set_text(GTK_LABEL(t->status), buf);
    }
    return G_SOURCE_CONTINUE;
}

static void on_destroy(GtkWidget *w, gpointer data) {
    (void)w;
    spirals_tab *t = data;
    g_source_remove(t->timer);
    if (t->raster) cairo_surface_destroy(t->raster);
    free(t->x);
    free(t->y);
    free(t->prime);
    t->raster = NULL;
    t->x = t->y = NULL;
    t->prime = NULL;
    t->n = 0;
}

/* --spiral-frames: one pixel of pan per frame, so every frame renders every point again; prints the render
 * times (median and 95th percentile) when done. */
static gboolean pan_tick(GtkWidget *w, GdkFrameClock *clock, gpointer data) {
    (void)w;
    (void)clock;
    spirals_tab *t = data;
    static long left = -1, first_frame;
    if (left < 0) { left = t->a->opt.spiral_frames; first_frame = t->n_frames; }
    if (t->scale > 0) t->cx += 1.0 / t->scale;
    gtk_widget_queue_draw(t->area);
    if (--left > 0) return G_SOURCE_CONTINUE;
    int n = t->n_frames - (int)first_frame < 31 ? t->n_frames - (int)first_frame : 31;
    double v[31];
    for (int i = 0; i < n; i++) v[i] = t->frame_ms[(t->n_frames - 1 - i) % 31];
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    if (n > 0)
        printf("spirals: %zu points (%s), render median %.2f ms, p95 %.2f ms over the last %d of %ld frames (%dx%d)\n",
               t->n, pm_spiral_name(t->shown), v[n / 2], v[(int)(0.95 * (n - 1))], n, t->a->opt.spiral_frames,
               gtk_widget_get_width(t->area), gtk_widget_get_height(t->area));
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

/* The first frame has been laid out: do the command line's export. */
static gboolean export_at_start(gpointer data) {
    spirals_tab *t = data;
    if (gtk_widget_get_width(t->area) < 16 || t->n_frames == 0) return G_SOURCE_CONTINUE; /* not drawn yet */
    spirals_export(t, t->a->opt.export_path);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

GtkWidget *spirals_tab_new(app *a) {
    spirals_tab *t = g_new0(spirals_tab, 1);
    t->a = a;
    a->spirals = t;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4), *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_margin_start(bar, 8);
    gtk_widget_set_margin_end(bar, 8);
    const char *kinds[] = {"Ulam square spiral", "12-fold clock", "golden (sunflower)", NULL};
    t->kind = gtk_drop_down_new_from_strings(kinds);
    gtk_drop_down_set_selected(GTK_DROP_DOWN(t->kind), !strcmp(a->opt.kind, "clock") ? 1
                                                     : !strcmp(a->opt.kind, "golden") ? 2 : 0);
    t->points = gtk_spin_button_new_with_range(100, MAX_POINTS, 1000);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(t->points), (double)a->opt.points);
    GtkWidget *export = gtk_button_new_with_label("Export PNG/SVG…");
    gtk_box_append(GTK_BOX(bar), t->kind);
    gtk_box_append(GTK_BOX(bar), gtk_label_new("points"));
    gtk_box_append(GTK_BOX(bar), t->points);
    gtk_box_append(GTK_BOX(bar), export);
    t->info = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->info), 0);
    gtk_label_set_ellipsize(GTK_LABEL(t->info), PANGO_ELLIPSIZE_END);
    gtk_widget_set_hexpand(t->info, TRUE);
    gtk_box_append(GTK_BOX(bar), t->info);
    gtk_box_append(GTK_BOX(box), bar);

    t->area = gtk_drawing_area_new();
    gtk_widget_set_vexpand(t->area, TRUE);
    gtk_widget_set_focusable(t->area, TRUE);
    gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(t->area), on_draw, t, NULL);
    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(on_motion), t);
    gtk_widget_add_controller(t->area, motion);
    GtkEventController *scroll = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
    g_signal_connect(scroll, "scroll", G_CALLBACK(on_scroll), t);
    gtk_widget_add_controller(t->area, scroll);
    GtkGesture *drag = gtk_gesture_drag_new();
    g_signal_connect(drag, "drag-begin", G_CALLBACK(on_drag_begin), t);
    g_signal_connect(drag, "drag-update", G_CALLBACK(on_drag_update), t);
    gtk_widget_add_controller(t->area, GTK_EVENT_CONTROLLER(drag));
    GtkEventController *keys = gtk_event_controller_key_new();
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key), t);
    gtk_widget_add_controller(t->area, keys);
    gtk_box_append(GTK_BOX(box), t->area);

    t->status = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_widget_set_margin_start(t->status, 8);
    gtk_widget_set_margin_bottom(t->status, 4);
    gtk_box_append(GTK_BOX(box), t->status);
    on_settings_changed(t);
    g_signal_connect(t->kind, "notify::selected", G_CALLBACK(on_kind), t);
    g_signal_connect(t->points, "value-changed", G_CALLBACK(on_points), t);
    g_signal_connect(export, "clicked", G_CALLBACK(on_export), t);
    t->timer = g_timeout_add(1000, show_frame_time, t);
    g_signal_connect(box, "destroy", G_CALLBACK(on_destroy), t);
    if (a->opt.spiral_frames > 0) {
        app_busy(a, +1);
        gtk_widget_add_tick_callback(t->area, pan_tick, t, NULL);
    }
    if (a->opt.export_path) {
        app_busy(a, +1);
        g_timeout_add(100, export_at_start, t);
    }
    return box;
}
