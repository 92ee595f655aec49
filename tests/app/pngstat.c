/* pngstat.c — `pngstat FILE.png`: prints "W H DISTINCT_COLOURS INK" where INK is the fraction of pixels that
 * differ from the most common colour (the background). The app tests call a screenshot blank when INK is ~0. */
#include <cairo/cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: pngstat FILE.png\n"); return 2; }
    cairo_surface_t *s = cairo_image_surface_create_from_png(argv[1]);
    if (cairo_surface_status(s)) { fprintf(stderr, "pngstat: %s: not a readable PNG\n", argv[1]); return 2; }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    size_t n = (size_t)w * h;
    uint32_t *px = malloc(n * sizeof *px);
    if (!px) return 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) px[(size_t)y * w + x] = ((const uint32_t *)(data + (size_t)y * stride))[x];
    qsort(px, n, sizeof *px, cmp_u32);
    size_t distinct = 0, best = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        run = i > 0 && px[i] == px[i - 1] ? run + 1 : 1;
        if (run == 1) distinct++;
        if (run > best) best = run;
    }
    printf("%d %d %zu %.4f\n", w, h, distinct, n ? 1.0 - (double)best / (double)n : 0.0);
    free(px);
    cairo_surface_destroy(s);
    return 0;
}
