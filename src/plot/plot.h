/* plot.h — line charts with cairo, shared by `cllm plot` and hyper_prime_spiral (libcllmplot.a; libcllm itself
 * does not depend on cairo).
 *
 *     cllm_runlog log = {0};
 *     cllm_runlog_read("runs/brown", &log, &err);
 *     cllm_plot_png(&log, "curve.png", 900, 360, "runs/brown", &err);   // loss vs steps | loss vs minutes
 *
 * Everything draws into the rectangle (0, 0, w, h) of the caller's cairo context, so the app's drawing areas and
 * the PNG writer use the same code.
 */
#ifndef CLLM_PLOT_H
#define CLLM_PLOT_H

#include <cairo/cairo.h>
#include <stddef.h>

#include "cllm_error.h"
#include "cllm_runlog.h"

/* One line of a chart: points (x[i], y[i]), non-finite points skipped. */
typedef struct cllm_plot_series {
    const double *x, *y; /* [n] */
    size_t n;
    double r, g, b;      /* colour, 0..1 */
    double width;        /* line width in pixels (0: points only) */
    int markers;         /* 1: a dot at every point */
    const char *label;   /* legend text (NULL: not in the legend) */
} cllm_plot_series;

/* Draws a chart of series[0..count) into (0, 0, w, h): white background, title, axes with round-number ticks
 * and labels, the lines and a legend. The axes span the data (y from its minimum, never below it); with no finite
 * point, the frame and "no data yet". */
void cllm_plot_chart(cairo_t *cr, double w, double h, const char *title, const char *x_label, const char *y_label,
                     const cllm_plot_series *series, size_t count);

/* The x axis of a loss chart. */
typedef enum cllm_plot_axis { CLLM_PLOT_STEPS = 0, CLLM_PLOT_MINUTES = 1 } cllm_plot_axis;

/* Training loss (thin) and validation loss (dots) of log against steps or minutes, as one chart. Returns 0, or
 * CLLM_ERR_NOMEM (nothing drawn). */
int cllm_plot_losses(cairo_t *cr, double w, double h, const cllm_runlog *log, cllm_plot_axis axis,
                     const char *title, cllm_error *err);

/* Writes a width × height PNG of log: loss vs steps on the left, vs minutes on the right; atomically (a temp file
 * renamed into place). */
int cllm_plot_png(const cllm_runlog *log, const char *path, int width, int height, const char *title,
                  cllm_error *err);

/* Writes an SVG of w × h points drawn by draw(cr, ctx) to path, atomically. */
int cllm_plot_write_svg(void (*draw)(cairo_t *cr, void *ctx), void *ctx, double w, double h, const char *path,
                        cllm_error *err);

/* Writes a cairo image surface to path as PNG, atomically. */
int cllm_plot_write_png(cairo_surface_t *surface, const char *path, cllm_error *err);

#endif
