/* tab_calc.c — the Calculator tab: everything libprimemath says about one 64-bit number, computed on a worker
 * (π(n) and the n-th prime sieve, which takes a while for large n). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "primemath.h"

/* π(n) and the n-th prime sieve up to ~n (or p_n): beyond this they take minutes, and primesieve cannot be
 * interrupted, so the tab says so instead of starting. */
#define SIEVE_LIMIT UINT64_C(10000000000)  /* 10^10: ~1-5 s on 2 busy cores */

struct calc_tab {
    app *a;
    GtkWidget *entry, *button, *status, *result;
    int running;
};

/* Parses a whole number 0..2^64-1 (spaces, '_' and ',' between digits allowed); 0 or a message in err. */
static int parse_u64(const char *text, uint64_t *out, cllm_error *err) {
    char digits[64];
    size_t n = 0, seen = 0;
    for (const char *p = text; *p; p++) {
        if (isspace((unsigned char)*p) || *p == '_' || *p == ',') continue;
        if (*p == '-' && seen == 0) return cllm_error_set(err, CLLM_ERR_ARG, "negative numbers are not covered: "
                                                          "type a whole number from 0 to 18446744073709551615");
        if (!isdigit((unsigned char)*p))
            return cllm_error_set(err, CLLM_ERR_ARG, "'%.40s' is not a whole number (digits 0-9 only)", text);
        seen++;
        if (n == 0 && *p == '0' && p[1] && isdigit((unsigned char)p[1])) continue; /* leading zeros */
        if (n < sizeof digits - 1) digits[n++] = *p;
    }
    digits[n] = 0;
    if (seen == 0) return cllm_error_set(err, CLLM_ERR_ARG, "type a whole number, e.g. 1000003");
    if (n > 20 || (n == 20 && strcmp(digits, "18446744073709551615") > 0))
        return cllm_error_set(err, CLLM_ERR_ARG, "%zu digits is more than 64 bits: the largest is "
                              "18446744073709551615", n);
    errno = 0;
    *out = n ? strtoull(digits, NULL, 10) : 0;
    return 0;
}

typedef struct calc_job {
    calc_tab *t;
    uint64_t n;
    GString *text;
} calc_job;

static void line(GString *s, const char *what, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void line(GString *s, const char *what, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    g_string_append(s, what); /* padded by characters, not bytes: "π(n)" is 5 bytes */
    for (glong pad = 19 - g_utf8_strlen(what, -1); pad > 0; pad--) g_string_append_c(s, ' ');
    g_string_append_vprintf(s, fmt, ap);
    g_string_append_c(s, '\n');
    va_end(ap);
}

/* Everything about n, as lines of text (runs on the worker). */
static void describe(uint64_t n, GString *s) {
    cllm_error err = {0};
    line(s, "n", "%" PRIu64, n);
    line(s, "prime?", "%s", pm_is_prime(n) ? "yes" : "no");
    pm_factorization f;
    if (n == 0) line(s, "factorisation", "0 has none");
    else if (pm_factor(n, &f, &err) == 0) {
        GString *fs = g_string_new(n == 1 ? "1 (the empty product)" : "");
        for (int i = 0; i < f.count; i++)
        {
            g_string_append_printf(fs, "%s%" PRIu64, i ? " × " : "", f.prime[i]);
            if (f.exponent[i] > 1) g_string_append_printf(fs, "^%u", f.exponent[i]);
        }
        line(s, "factorisation", "%s", fs->str);
        g_string_free(fs, TRUE);
    }
    uint64_t p;
    if (pm_next_prime(n, &p, &err) == 0) line(s, "next prime", "%" PRIu64 "  (gap %" PRIu64 ")", p, p - n);
    else line(s, "next prime", "%s", err.msg);
    if (pm_prev_prime(n, &p, &err) == 0) line(s, "previous prime", "%" PRIu64 "  (gap %" PRIu64 ")", p, n - p);
    else line(s, "previous prime", "%s", err.msg);
    if (n > SIEVE_LIMIT) line(s, "π(n)", "not counted here above 10^10 (minutes of sieving): `primemath count`");
    else if (pm_prime_count(n, &p, &err) == 0) line(s, "π(n)", "%" PRIu64 " primes ≤ n", p);
    else line(s, "π(n)", "%s", err.msg);
    if (n == 0) line(s, "n-th prime", "counting starts at 1 (p_1 = 2)");
    else if (n > SIEVE_LIMIT / 25) line(s, "n-th prime", "not sieved here for n > 4·10^8: `primemath nth`");
    else if (pm_nth_prime(n, &p, &err) == 0) line(s, "n-th prime", "p_n = %" PRIu64, p);
    else line(s, "n-th prime", "%s", err.msg);
    if (n == 0) return;
    int64_t x, y;
    if (pm_ulam_xy(n, &x, &y, &err) == 0) line(s, "Ulam spiral", "(%" PRId64 ", %" PRId64 ")", x, y);
    pm_clock_pos c;
    if (pm_clock(n, &c, &err) == 0)
        line(s, "12-fold clock", "ring %" PRIu64 ", hour %d  (ρ %.0f, θ %.4f rad)", c.ring, c.hour, c.p.r, c.p.theta);
    pm_point g;
    if (pm_golden(n, 1.0, &g, &err) == 0)
        line(s, "golden spiral", "r %.4f, θ %.6f rad  (x %.4f, y %.4f)", g.r, g.theta, g.x, g.y);
}

static gboolean calc_done(gpointer data) {
    calc_job *j = data;
    calc_tab *t = j->t;
    gtk_label_set_text(GTK_LABEL(t->result), j->text->str);
    app_status(t->a, t->status, "calculator", 0, "done");
    if (t->a->opt.screenshot) fputs(j->text->str, stdout);
    t->running = 0;
    gtk_widget_set_sensitive(t->button, TRUE);
    g_string_free(j->text, TRUE);
    g_free(j);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

static gpointer calc_thread(gpointer data) {
    calc_job *j = data;
    describe(j->n, j->text);
    g_idle_add(calc_done, j);
    return NULL;
}

static void calc_run(calc_tab *t, const char *text) {
    if (t->running) return;
    cllm_error err = {0};
    uint64_t n = 0;
    if (parse_u64(text, &n, &err)) {
        app_status(t->a, t->status, "calculator", 1, "%s", err.msg);
        return;
    }
    calc_job *j = g_new0(calc_job, 1);
    *j = (calc_job){t, n, g_string_new(NULL)};
    t->running = 1;
    gtk_widget_set_sensitive(t->button, FALSE);
    app_status(t->a, t->status, "calculator", 0, "computing…");
    app_spawn(t->a, "calc", calc_thread, j);
}

static void on_compute(GtkWidget *w, gpointer data) {
    (void)w;
    calc_tab *t = data;
    calc_run(t, gtk_editable_get_text(GTK_EDITABLE(t->entry)));
}

GtkWidget *calc_tab_new(app *a) {
    calc_tab *t = g_new0(calc_tab, 1);
    t->a = a;
    a->calc = t;
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8), *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_set_margin_start(box, 16);
    gtk_widget_set_margin_end(box, 16);
    gtk_widget_set_margin_top(box, 12);
    GtkWidget *intro = gtk_label_new("Primality, factorisation, neighbouring primes, π(n), the n-th prime and the "
                                     "spiral positions of any 64-bit number (libprimemath: FLINT and primesieve).");
    gtk_label_set_wrap(GTK_LABEL(intro), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(intro), 90);
    gtk_label_set_xalign(GTK_LABEL(intro), 0);
    gtk_box_append(GTK_BOX(box), intro);
    t->entry = gtk_entry_new();
    gtk_editable_set_text(GTK_EDITABLE(t->entry), a->opt.calc ? a->opt.calc : "1000003");
    gtk_widget_set_hexpand(t->entry, TRUE);
    t->button = gtk_button_new_with_label("Compute");
    g_signal_connect(t->entry, "activate", G_CALLBACK(on_compute), t);
    g_signal_connect(t->button, "clicked", G_CALLBACK(on_compute), t);
    gtk_box_append(GTK_BOX(row), gtk_label_new("n ="));
    gtk_box_append(GTK_BOX(row), t->entry);
    gtk_box_append(GTK_BOX(row), t->button);
    gtk_box_append(GTK_BOX(box), row);
    t->status = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_box_append(GTK_BOX(box), t->status);
    t->result = gtk_label_new("");
    gtk_label_set_xalign(GTK_LABEL(t->result), 0);
    gtk_label_set_yalign(GTK_LABEL(t->result), 0);
    gtk_label_set_selectable(GTK_LABEL(t->result), TRUE);
    gtk_widget_add_css_class(t->result, "monospace");
    gtk_box_append(GTK_BOX(box), t->result);
    calc_run(t, gtk_editable_get_text(GTK_EDITABLE(t->entry)));
    return box;
}
