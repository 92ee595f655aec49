/* plot.c — line charts with cairo (plot.h): axes with round-number ticks, lines, legend; loss curves; PNG. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo/cairo-svg.h>

#include "plot.h"

/* A tick spacing of 1, 2 or 5 × 10^k giving about `want` ticks over span. */
static double nice_step(double span, int want) {
    double raw = span / want, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* The finite bounds of every series; 0 when there is no finite point. */
static int data_bounds(const cllm_plot_series *s, size_t count, double *x0, double *x1, double *y0, double *y1) {
    int any = 0;
    for (size_t k = 0; k < count; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            double x = s[k].x[i], y = s[k].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            if (!any) { *x0 = *x1 = x; *y0 = *y1 = y; any = 1; continue; }
            if (x < *x0) *x0 = x;
            if (x > *x1) *x1 = x;
            if (y < *y0) *y0 = y;
            if (y > *y1) *y1 = y;
        }
    if (any && *x1 - *x0 < 1e-12) *x1 = *x0 + 1;
    if (any && *y1 - *y0 < 1e-12) { *y0 -= 0.5; *y1 += 0.5; }
    return any;
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align_x, double align_y) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - align_x * e.width - e.x_bearing, y - align_y * e.height - e.y_bearing);
    cairo_show_text(cr, s);
}

/* Ticks and grid of one axis: value v maps to pixel a + (v - lo)·scale along x (vertical = 0) or y (1). */
static void draw_ticks(cairo_t *cr, double lo, double hi, double a, double scale, double across0, double across1,
                       int vertical) {
    double step = nice_step(hi - lo, vertical ? 5 : 6);
    char buf[32];
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
        double p = a + (v - lo) * scale;
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        if (vertical) { cairo_move_to(cr, across0, p); cairo_line_to(cr, across1, p); }
        else { cairo_move_to(cr, p, across0); cairo_line_to(cr, p, across1); }
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", fabs(v) < step * 1e-9 ? 0.0 : v);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        if (vertical) text_at(cr, across0 - 4, p, buf, 1, 0.5);
        else text_at(cr, p, across1 + 4, buf, 0.5, 0);
    }
}

void cllm_plot_chart(cairo_t *cr, double w, double h, const char *title, const char *x_label, const char *y_label,
                     const cllm_plot_series *series, size_t count) {
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_fill(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 11);
    cairo_set_line_width(cr, 1);
    double L = 52, R = w - 12, T = 26, B = h - 36; /* the plot area */
    if (title) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, w / 2, 8, title, 0.5, 0);
    }
    double x0, x1, y0, y1;
    if (R - L < 20 || B - T < 20 || !data_bounds(series, count, &x0, &x1, &y0, &y1)) {
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        text_at(cr, w / 2, h / 2, "no data yet", 0.5, 0.5);
        cairo_restore(cr);
        return;
    }
    double pad = 0.04 * (y1 - y0);
    y1 += pad;
    y0 -= pad;
    double sx = (R - L) / (x1 - x0), sy = -(B - T) / (y1 - y0);
    draw_ticks(cr, x0, x1, L, sx, T, B, 0);
    draw_ticks(cr, y0, y1, B, sy, L, R, 1);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_stroke(cr);
    if (x_label) text_at(cr, (L + R) / 2, h - 4, x_label, 0.5, 1);
    if (y_label) {
        cairo_save(cr);
        cairo_translate(cr, 10, (T + B) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, y_label, 0.5, 0.5);
        cairo_restore(cr);
    }
    cairo_save(cr);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_clip(cr);
    for (size_t k = 0; k < count; k++) {
        const cllm_plot_series *s = &series[k];
        cairo_set_source_rgb(cr, s->r, s->g, s->b);
        if (s->width > 0) {
            cairo_set_line_width(cr, s->width);
            int pen = 0;
            for (size_t i = 0; i < s->n; i++) {
                if (!isfinite(s->x[i]) || !isfinite(s->y[i])) { pen = 0; continue; }
                double px = L + (s->x[i] - x0) * sx, py = B + (s->y[i] - y0) * sy;
                if (pen) cairo_line_to(cr, px, py);
                else cairo_move_to(cr, px, py);
                pen = 1;
            }
            cairo_stroke(cr);
        }
        if (s->markers)
            for (size_t i = 0; i < s->n; i++) {
                if (!isfinite(s->x[i]) || !isfinite(s->y[i])) continue;
                cairo_arc(cr, L + (s->x[i] - x0) * sx, B + (s->y[i] - y0) * sy, 2.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
    }
    cairo_restore(cr);
    double ly = T + 8; /* legend, top right */
    for (size_t k = 0; k < count; k++) {
        if (!series[k].label) continue;
        cairo_set_source_rgb(cr, series[k].r, series[k].g, series[k].b);
        cairo_rectangle(cr, R - 110, ly - 4, 14, 8);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, R - 92, ly, series[k].label, 0, 0.5);
        ly += 15;
    }
    cairo_restore(cr);
}

int cllm_plot_losses(cairo_t *cr, double w, double h, const cllm_runlog *log, cllm_plot_axis axis,
                     const char *title, cllm_error *err) {
    size_t nt = log->n_train, nv = log->n_val;
    double *buf = malloc(sizeof(double) * 2 * (nt + nv + 1));
    if (!buf) return cllm_error_set(err, CLLM_ERR_NOMEM, "plot: out of memory");
    double *tx = buf, *ty = buf + nt, *vx = buf + 2 * nt, *vy = buf + 2 * nt + nv;
    for (size_t i = 0; i < nt; i++) {
        tx[i] = axis == CLLM_PLOT_STEPS ? (double)log->train[i].step : log->train[i].minutes;
        ty[i] = log->train[i].loss;
    }
    for (size_t i = 0; i < nv; i++) {
        vx[i] = axis == CLLM_PLOT_STEPS ? (double)log->val[i].step : log->val[i].minutes;
        vy[i] = log->val[i].loss;
    }
    cllm_plot_series s[2] = {
        {tx, ty, nt, 0.12, 0.47, 0.71, 1.2, nt < 40, "train loss"},
        {vx, vy, nv, 0.85, 0.33, 0.10, 1.8, 1, "val loss"},
    };
    cllm_plot_chart(cr, w, h, title, axis == CLLM_PLOT_STEPS ? "steps" : "minutes", "loss (nats/token)", s, 2);
    free(buf);
    return 0;
}

/* cairo writes PNG and SVG through this into a cllm_atomic_file. */
typedef struct png_sink {
    cllm_atomic_file *f;
    int failed; /* a write failed: cllm_atomic_write has already removed the temp file and freed f */
} png_sink;

static cairo_status_t write_chunk(void *closure, const unsigned char *data, unsigned int length) {
    png_sink *sink = closure;
    if (sink->failed) return CAIRO_STATUS_WRITE_ERROR;
    sink->failed = cllm_atomic_write(sink->f, data, length, NULL) != 0;
    return sink->failed ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

int cllm_plot_write_png(cairo_surface_t *surface, const char *path, cllm_error *err) {
    png_sink sink = {cllm_atomic_open(path, err), 0};
    if (!sink.f) return err ? err->code : CLLM_ERR_IO;
    if (cairo_surface_write_to_png_stream(surface, write_chunk, &sink) != CAIRO_STATUS_SUCCESS) {
        if (!sink.failed) cllm_atomic_abort(sink.f);
        return cllm_error_set(err, CLLM_ERR_IO, "%s: could not write the PNG", path);
    }
    return cllm_atomic_commit(sink.f, err);
}

int cllm_plot_write_svg(void (*draw)(cairo_t *cr, void *ctx), void *ctx, double w, double h, const char *path,
                        cllm_error *err) {
    png_sink sink = {cllm_atomic_open(path, err), 0};
    if (!sink.f) return err ? err->code : CLLM_ERR_IO;
    cairo_surface_t *s = cairo_svg_surface_create_for_stream(write_chunk, &sink, w, h);
    cairo_t *cr = cairo_create(s);
    draw(cr, ctx);
    cairo_destroy(cr);
    cairo_surface_finish(s); /* the SVG is written here */
    int bad = cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || sink.failed;
    cairo_surface_destroy(s);
    if (bad) {
        if (!sink.failed) cllm_atomic_abort(sink.f);
        return cllm_error_set(err, CLLM_ERR_IO, "%s: could not write the SVG", path);
    }
    return cllm_atomic_commit(sink.f, err);
}

int cllm_plot_png(const cllm_runlog *log, const char *path, int width, int height, const char *title,
                  cllm_error *err) {
    if (width < 100 || height < 80 || width > 8000 || height > 8000)
        return cllm_error_set(err, CLLM_ERR_ARG, "plot: size %dx%d out of range (100x80 .. 8000x8000)", width, height);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(s);
    int rc = cairo_status(cr) ? cllm_error_set(err, CLLM_ERR_NOMEM, "plot: cairo: out of memory") : 0;
    double half = width / 2.0;
    char t[300];
    if (!rc) {
        snprintf(t, sizeof t, "%s%sloss vs steps", title ? title : "", title ? ": " : "");
        rc = cllm_plot_losses(cr, half, height, log, CLLM_PLOT_STEPS, t, err);
    }
    if (!rc) {
        cairo_translate(cr, half, 0);
        snprintf(t, sizeof t, "%s%sloss vs minutes", title ? title : "", title ? ": " : "");
        rc = cllm_plot_losses(cr, width - half, height, log, CLLM_PLOT_MINUTES, t, err);
    }
    cairo_destroy(cr);
    if (!rc) rc = cllm_plot_write_png(s, path, err);
    cairo_surface_destroy(s);
    return rc;
}
