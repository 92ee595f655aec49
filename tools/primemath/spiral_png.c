/* spiral_png.c — `primemath spiral`: draws 1..N on the Ulam, clock or golden spiral with cairo, the primes lit,
 * and writes the PNG atomically (temp file beside the target, fsync, rename) through cllm_atomic_*. */
#include <cairo/cairo.h> /* the Makefile passes no pkg-config -I for cairo; this form needs none */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pm_cli.h"
#include "primemath.h"

#define MAX_N 4000000 /* beyond this the picture is mud and cairo takes minutes */

/* Read by LeakSanitizer in sanitizer builds (make test SANITIZE=1), ignored otherwise: fontconfig, which cairo
 * loads for the caption, keeps a cache for the life of the process and never frees it. Our allocations stay checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }

typedef struct spiral_opts {
    pm_spiral kind;
    int size;         /* image side, pixels */
    uint64_t n;       /* draw 1..n */
    const char *out;  /* PNG path */
} spiral_opts;

typedef struct rgb {
    double r, g, b;
} rgb;

/* HSV with s, v in [0,1] and h in turns; enough colour science for a palette. */
static rgb hsv(double h, double s, double v) {
    h = (h - floor(h)) * 6;
    int i = (int)h;
    double f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i % 6) {
    case 0: return (rgb){v, t, p};
    case 1: return (rgb){q, v, p};
    case 2: return (rgb){p, v, t};
    case 3: return (rgb){p, q, v};
    case 4: return (rgb){t, p, v};
    default: return (rgb){v, p, q};
    }
}

static void dot(cairo_t *cr, double x, double y, double r, rgb c, double alpha) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_fill(cr);
}

/* A lit prime: a soft halo under a bright core. */
static void glow(cairo_t *cr, double x, double y, double r, rgb c) {
    dot(cr, x, y, r * 2.6, c, 0.10);
    dot(cr, x, y, r * 1.6, c, 0.22);
    dot(cr, x, y, r, c, 0.95);
}

static void background(cairo_t *cr, int S) {
    cairo_pattern_t *g = cairo_pattern_create_radial(S / 2.0, S / 2.0, 0, S / 2.0, S / 2.0, S * 0.75);
    cairo_pattern_add_color_stop_rgb(g, 0, 0.09, 0.10, 0.20);
    cairo_pattern_add_color_stop_rgb(g, 1, 0.015, 0.02, 0.045);
    cairo_set_source(cr, g);
    cairo_paint(cr);
    cairo_pattern_destroy(g);
}

/* Primes up to n as a byte map (1 = prime); NULL when out of memory. */
static uint8_t *prime_map(uint64_t n, uint64_t *count) {
    uint8_t *is_p = calloc(n + 1, 1);
    uint64_t *ps = NULL;
    size_t np = 0;
    if (!is_p || pm_primes_range_alloc(0, n, &ps, &np, NULL)) {
        free(is_p);
        return NULL;
    }
    for (size_t i = 0; i < np; i++) is_p[ps[i]] = 1;
    free(ps);
    *count = np;
    return is_p;
}

static void draw_ulam(cairo_t *cr, const spiral_opts *o, const uint8_t *is_p) {
    double side = ceil(sqrt((double)o->n)), cell = o->size * 0.94 / side, c = o->size / 2.0;
    for (uint64_t n = 1; n <= o->n; n++) {
        int64_t x, y;
        pm_ulam_xy(n, &x, &y, NULL);
        double px = c + x * cell, py = c - y * cell;
        double dist = hypot((double)x, (double)y) / (side / 2);
        if (is_p[n]) glow(cr, px, py, fmax(cell * 0.42, 0.6), hsv(0.12 - 0.55 * dist, 0.75, 1.0));
        else if (cell >= 3) dot(cr, px, py, cell * 0.16, (rgb){0.45, 0.5, 0.7}, 0.18);
    }
}

static void draw_golden(cairo_t *cr, const spiral_opts *o, const uint8_t *is_p) {
    double c = o->size * 0.46 / sqrt((double)o->n), mid = o->size / 2.0;
    for (uint64_t n = 1; n <= o->n; n++) {
        pm_point p;
        pm_golden(n, c, &p, NULL);
        double px = mid + p.x, py = mid - p.y;
        if (is_p[n]) glow(cr, px, py, fmax(c * 0.38, 0.6), hsv(p.theta / (2 * M_PI), 0.65, 1.0));
        else dot(cr, px, py, fmax(c * 0.22, 0.4), (rgb){0.50, 0.56, 0.80}, 0.35);
    }
}

static void draw_clock(cairo_t *cr, const spiral_opts *o, const uint8_t *is_p) {
    double S = o->size, mid = S / 2.0, r0 = S * 0.07, rmax = S * 0.40;
    double rings = ceil((double)o->n / 12.0), dr = (rmax - r0) / fmax(rings - 1, 1);
    /* the face: 12 spokes and the hour numerals, 12 at the top */
    cairo_set_line_width(cr, fmax(S / 1200.0, 0.5));
    for (int h = 0; h < 12; h++) {
        double t = M_PI / 2 - 2 * M_PI * h / 12;
        cairo_set_source_rgba(cr, 0.6, 0.65, 0.9, 0.16);
        cairo_move_to(cr, mid + r0 * 0.6 * cos(t), mid - r0 * 0.6 * sin(t));
        cairo_line_to(cr, mid + (rmax + S * 0.02) * cos(t), mid - (rmax + S * 0.02) * sin(t));
        cairo_stroke(cr);
        char label[4];
        snprintf(label, sizeof label, "%d", h == 0 ? 12 : h);
        cairo_text_extents_t te;
        cairo_set_font_size(cr, S * 0.035);
        cairo_text_extents(cr, label, &te);
        int lit = h == 1 || h == 5 || h == 7 || h == 11;
        cairo_set_source_rgba(cr, 0.85, 0.88, 1.0, lit ? 0.95 : 0.45);
        double lr = rmax + S * 0.055;
        cairo_move_to(cr, mid + lr * cos(t) - te.width / 2 - te.x_bearing, mid - lr * sin(t) - te.height / 2 - te.y_bearing);
        cairo_show_text(cr, label);
    }
    static const double hour_hue[12] = {0, 0.13, 0.6, 0.33, 0, 0.02, 0, 0.52, 0, 0, 0, 0.78};
    for (uint64_t n = 1; n <= o->n; n++) {
        pm_clock_pos c;
        pm_clock(n, &c, NULL);
        double rr = r0 + (double)c.ring * dr, px = mid + rr * cos(c.p.theta), py = mid - rr * sin(c.p.theta);
        double size = fmin(dr * 0.36, S * 0.012);
        if (is_p[n]) glow(cr, px, py, fmax(size, 0.7), hsv(hour_hue[c.hour], n <= 3 ? 0.1 : 0.7, 1.0));
        else dot(cr, px, py, fmax(size * 0.6, 0.5), (rgb){0.55, 0.6, 0.85}, 0.45);
    }
}

static void caption(cairo_t *cr, const spiral_opts *o, uint64_t primes) {
    static const char *const title[] = {"Ulam spiral", "12-fold clock", "golden-angle spiral"};
    char text[160];
    snprintf(text, sizeof text, "%s  \xc2\xb7  n \xe2\x89\xa4 %llu  \xc2\xb7  %llu primes", title[o->kind],
             (unsigned long long)o->n, (unsigned long long)primes);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, fmax(o->size * 0.018, 8));
    cairo_set_source_rgba(cr, 0.8, 0.84, 1.0, 0.7);
    cairo_move_to(cr, o->size * 0.02, o->size * 0.98);
    cairo_show_text(cr, text);
}

typedef struct png_sink {
    cllm_atomic_file *f; /* NULL once a write failed (the temp file is then already gone) */
    cllm_error err;
} png_sink;

static cairo_status_t write_png_chunk(void *closure, const unsigned char *data, unsigned int length) {
    png_sink *s = closure;
    if (!s->f) return CAIRO_STATUS_WRITE_ERROR;
    if (cllm_atomic_write(s->f, data, length, &s->err)) {
        s->f = NULL;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

/* Streams the PNG into the temporary opened by the caller, then fsyncs and renames it over the target. */
static void write_png(cairo_surface_t *surface, png_sink s) {
    cairo_status_t st = cairo_surface_write_to_png_stream(surface, write_png_chunk, &s);
    if (st != CAIRO_STATUS_SUCCESS) {
        if (s.f) cllm_atomic_abort(s.f);
        pm_cli_die(2, "spiral: %s", s.err.msg[0] ? s.err.msg : cairo_status_to_string(st));
    }
    if (cllm_atomic_commit(s.f, &s.err)) pm_cli_die(2, "spiral: %s", s.err.msg);
}

static spiral_opts parse_spiral_args(int argc, char **argv) {
    spiral_opts o = {PM_SPIRAL_ULAM, 1024, 0, NULL};
    const char *kind = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '='), *val;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (strncmp(a, "--", 2) != 0) pm_cli_die(2, "spiral: unexpected argument '%s' (flags start with --)", a);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else pm_cli_die(2, "spiral: %s needs a value", a);
        if (len == 6 && strncmp(a, "--kind", 6) == 0) kind = val;
        else if (len == 6 && strncmp(a, "--size", 6) == 0) {
            uint64_t s = pm_cli_u64(val, "spiral: --size");
            if (s < 64 || s > 8192) pm_cli_die(2, "spiral: --size %s is outside 64..8192 pixels", val);
            o.size = (int)s;
        } else if (len == 5 && strncmp(a, "--out", 5) == 0) o.out = val;
        else if (len == 3 && strncmp(a, "--n", 3) == 0) {
            o.n = pm_cli_u64(val, "spiral: --n");
            if (o.n < 1 || o.n > MAX_N) pm_cli_die(2, "spiral: --n %s is outside 1..%d", val, MAX_N);
        } else pm_cli_die(2, "spiral: unknown flag '%.*s' (expected --kind, --size, --out, --n)", (int)len, a);
    }
    cllm_error err = {0};
    if (!kind) pm_cli_die(2, "spiral: --kind is required (ulam, clock or golden)");
    if (pm_spiral_from_name(kind, &o.kind, &err)) pm_cli_die(2, "spiral: --kind: %s", err.msg);
    if (!o.out || !*o.out) pm_cli_die(2, "spiral: --out FILE.png is required");
    if (o.n == 0) {
        /* defaults sized so each number gets a few pixels */
        uint64_t s = (uint64_t)o.size;
        o.n = o.kind == PM_SPIRAL_ULAM ? (s / 4) * (s / 4) : o.kind == PM_SPIRAL_GOLDEN ? s * s / 80 : 12 * (s / 16);
    }
    return o;
}

int pm_cmd_spiral(int argc, char **argv) {
    spiral_opts o = parse_spiral_args(argc, argv);
    /* open the temporary first: a bad --out fails before any rendering work */
    png_sink sink = {0};
    if (!(sink.f = cllm_atomic_open(o.out, &sink.err))) pm_cli_die(2, "spiral: %s", sink.err.msg);
    uint64_t primes;
    uint8_t *is_p = prime_map(o.n, &primes);
    if (!is_p) {
        cllm_atomic_abort(sink.f);
        pm_cli_die(2, "spiral: out of memory for the primes up to %llu", (unsigned long long)o.n);
    }
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, o.size, o.size);
    cairo_t *cr = cairo_create(surface);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cllm_atomic_abort(sink.f);
        pm_cli_die(2, "spiral: cairo cannot make a %d × %d image (%s)", o.size, o.size,
                   cairo_status_to_string(cairo_status(cr)));
    }
    background(cr, o.size);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    if (o.kind == PM_SPIRAL_ULAM) draw_ulam(cr, &o, is_p);
    else if (o.kind == PM_SPIRAL_GOLDEN) draw_golden(cr, &o, is_p);
    else draw_clock(cr, &o, is_p);
    caption(cr, &o, primes);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    write_png(surface, sink);
    cairo_surface_destroy(surface);
    /* drops cairo's font caches, so leak checkers (make test SANITIZE=1) see a clean exit */
    cairo_debug_reset_static_data();
    free(is_p);
    printf("%s\n", o.out);
    return 0;
}
