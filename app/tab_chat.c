/* tab_chat.c — the Chat tab: the open model continues the conversation, token by token, as `cllm chat` does:
 * each message is appended to the generator's cache (the whole conversation stays in context; the generator
 * slides its window when it fills), then tokens are sampled with cllm_sample until a newline, <|endoftext|>,
 * the token limit or Stop. Generation runs on a worker; each token's bytes reach the transcript via g_idle_add. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cllm_generate.h"

struct chat_tab {
    app *a;
    GtkWidget *model, *status, *view, *entry, *send, *stop, *reset;
    GtkWidget *temperature, *top_k, *top_p, *seed, *max_tokens;
    GtkTextBuffer *buffer;
    cllm_generator *g;      /* over a->model; rebuilt when the model changes */
    cllm_rng rng;
    int seeded;
    int generating;
    volatile int stop_flag; /* set by Stop, read by the worker between tokens */
    GByteArray *pending;    /* bytes not yet valid UTF-8 (a character split across tokens) */
    int prompted;           /* the command line's --prompt was sent */
};

typedef struct chat_job {
    chat_tab *t;
    char *text;             /* the user's message, newline-terminated */
    cllm_sample_params sp;
    long max_tokens;
    cllm_error err;
    int rc;
    long produced;
} chat_job;

typedef struct chat_piece {
    chat_tab *t;
    GByteArray *bytes;
} chat_piece;

static void append_text(chat_tab *t, const char *s, gssize n) {
    GtkTextIter end;
    gtk_text_buffer_get_end_iter(t->buffer, &end);
    gtk_text_buffer_insert(t->buffer, &end, s, (int)n);
    gtk_text_buffer_get_end_iter(t->buffer, &end);
    GtkTextMark *mark = gtk_text_buffer_create_mark(t->buffer, NULL, &end, FALSE);
    gtk_text_view_scroll_mark_onscreen(GTK_TEXT_VIEW(t->view), mark);
    gtk_text_buffer_delete_mark(t->buffer, mark);
}

/* Moves the valid UTF-8 prefix of t->pending into the transcript; a byte that can never start valid UTF-8
 * becomes U+FFFD (GtkTextBuffer takes only valid UTF-8; model output need not be). */
static void flush_pending(chat_tab *t, int final) {
    GByteArray *p = t->pending;
    while (p->len > 0) {
        const gchar *end;
        g_utf8_validate((const gchar *)p->data, (gssize)p->len, &end);
        size_t ok = (size_t)((const guint8 *)end - p->data);
        if (ok > 0) {
            append_text(t, (const char *)p->data, (gssize)ok);
            g_byte_array_remove_range(p, 0, (guint)ok);
            continue;
        }
        /* an incomplete character at the end may still be completed by the next token */
        if (!final && p->len < 4 && g_utf8_get_char_validated((const gchar *)p->data, (gssize)p->len) == (gunichar)-2)
            break;
        append_text(t, "\xEF\xBF\xBD", 3);
        g_byte_array_remove_index(p, 0);
    }
}

static gboolean piece_arrived(gpointer data) {
    chat_piece *c = data;
    g_byte_array_append(c->t->pending, c->bytes->data, c->bytes->len);
    flush_pending(c->t, 0);
    g_byte_array_unref(c->bytes);
    g_free(c);
    return G_SOURCE_REMOVE;
}

static void set_generating(chat_tab *t, int on) {
    t->generating = on;
    gtk_widget_set_sensitive(t->send, !on && t->a->model);
    gtk_widget_set_sensitive(t->reset, !on && t->a->model);
    gtk_widget_set_sensitive(t->stop, on);
}

static gboolean reply_done(gpointer data) {
    chat_job *j = data;
    chat_tab *t = j->t;
    flush_pending(t, 1);
    append_text(t, "\n", 1);
    if (j->rc) app_status(t->a, t->status, "chat", 1, "%s", j->err.msg);
    else app_status(t->a, t->status, "chat", 0, "%ld tokens%s; %d in context", j->produced,
                    t->stop_flag ? " (stopped)" : "", cllm_generator_length(t->g));
    if (t->a->opt.screenshot) {
        GtkTextIter a, b;
        gtk_text_buffer_get_bounds(t->buffer, &a, &b);
        char *all = gtk_text_buffer_get_text(t->buffer, &a, &b, FALSE);
        printf("chat transcript: %s\n", all);
        g_free(all);
    }
    set_generating(t, 0);
    g_free(j->text);
    g_free(j);
    app_busy(t->a, -1);
    return G_SOURCE_REMOVE;
}

/* One sampled token of the reply: its bytes to the UI (the newline that ends the reply is not shown). */
static int reply_token(void *ctx, int id, const uint8_t *b, size_t len) {
    (void)id;
    chat_job *j = ctx;
    chat_tab *t = j->t;
    j->produced++;
    if (len == 0 || (memchr(b, '\n', len) && j->produced > 1)) return t->stop_flag;
    chat_piece *c = g_new0(chat_piece, 1);
    c->t = t;
    c->bytes = g_byte_array_new();
    g_byte_array_append(c->bytes, b, (guint)len);
    g_idle_add(piece_arrived, c);
    return t->stop_flag;
}

/* The reply: feed the message, then the library's sampling loop (that of `cllm chat`), streamed to the UI. */
static gpointer reply_thread(gpointer data) {
    chat_job *j = data;
    chat_tab *t = j->t;
    const cllm_tokenizer *tok = t->a->tok;
    size_t count = 0;
    int32_t *ids = cllm_tokenizer_encode(tok, j->text, strlen(j->text), &count, &j->err);
    if (!ids) {
        j->rc = j->err.code ? j->err.code : CLLM_ERR_FORMAT;
        g_idle_add(reply_done, j);
        return NULL;
    }
    const float *logits = count ? cllm_generator_feed(t->g, ids, (int)count) : NULL;
    free(ids);
    cllm_generate_tokens(t->g, tok, logits, &j->sp, &t->rng, j->max_tokens, 1, reply_token, j);
    g_idle_add(reply_done, j);
    return NULL;
}

static void chat_send(chat_tab *t, const char *text) {
    if (t->generating || !t->a->model || !t->g || !*text) return;
    if (!t->seeded) {
        cllm_rng_seed(&t->rng, (uint64_t)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->seed)));
        t->seeded = 1;
    }
    chat_job *j = g_new0(chat_job, 1);
    j->t = t;
    j->text = g_strdup_printf("%s\n", text);
    j->sp = (cllm_sample_params){(float)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->temperature)),
                                 (int)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->top_k)),
                                 (float)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->top_p))};
    j->max_tokens = (long)gtk_spin_button_get_value(GTK_SPIN_BUTTON(t->max_tokens));
    char *shown = g_strdup_printf("> %s\n", text);
    g_byte_array_set_size(t->pending, 0);
    /* the user's own text may be any bytes too */
    g_byte_array_append(t->pending, (const guint8 *)shown, (guint)strlen(shown));
    flush_pending(t, 1);
    g_free(shown);
    t->stop_flag = 0;
    set_generating(t, 1);
    app_status(t->a, t->status, "chat", 0, "generating…");
    app_spawn(t->a, "chat", reply_thread, j);
}

static void on_send(GtkWidget *w, gpointer data) {
    (void)w;
    chat_tab *t = data;
    char *text = g_strdup(gtk_editable_get_text(GTK_EDITABLE(t->entry)));
    gtk_editable_set_text(GTK_EDITABLE(t->entry), "");
    chat_send(t, text);
    g_free(text);
}

static void on_stop(GtkButton *b, gpointer data) { (void)b; ((chat_tab *)data)->stop_flag = 1; }

static void on_reset(GtkButton *b, gpointer data) {
    (void)b;
    chat_tab *t = data;
    if (t->generating || !t->g) return;
    cllm_generator_reset(t->g);
    t->seeded = 0;
    gtk_text_buffer_set_text(t->buffer, "", 0);
    app_status(t->a, t->status, "chat", 0, "conversation forgotten");
}

int chat_tab_busy(app *a) { return a->chat && a->chat->generating; }

void chat_tab_model_changed(app *a) {
    chat_tab *t = a->chat;
    if (a->model_error[0]) {
        app_status(a, t->status, "chat", 1, "%s", a->model_error);
        return;
    }
    cllm_generator_free(t->g);
    t->g = NULL;
    cllm_error err = {0};
    if (a->model && !(t->g = cllm_generator_new(a->model, &err))) {
        app_status(a, t->status, "chat", 1, "%s", err.msg);
        return;
    }
    t->seeded = 0;
    gtk_text_buffer_set_text(t->buffer, "", 0);
    gtk_label_set_text(GTK_LABEL(t->model), a->model_path ? a->model_path : "no model open");
    app_status(a, t->status, "chat", 0, "model open: type a message");
    set_generating(t, 0);
    if (a->opt.prompt && !t->prompted) {
        t->prompted = 1;
        chat_send(t, a->opt.prompt);
    }
}

static void model_chosen(app *a, const char *path) { app_open_model(a, path); }
static void on_open(GtkButton *b, gpointer data) {
    (void)b;
    chat_tab *t = data;
    if (t->generating) return;
    app_choose_file(t->a, "Open a model (.safetensors)", 0, 0, model_chosen);
}

GtkWidget *chat_tab_new(app *a) {
    chat_tab *t = g_new0(chat_tab, 1);
    t->a = a;
    a->chat = t;
    t->pending = g_byte_array_new();
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
    gtk_widget_set_margin_start(box, 10);
    gtk_widget_set_margin_end(box, 10);
    gtk_widget_set_margin_bottom(box, 8);
    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6), *open = gtk_button_new_with_label("Open model…");
    g_signal_connect(open, "clicked", G_CALLBACK(on_open), t);
    t->model = gtk_label_new("no model open");
    gtk_label_set_ellipsize(GTK_LABEL(t->model), PANGO_ELLIPSIZE_START);
    gtk_box_append(GTK_BOX(bar), open);
    gtk_box_append(GTK_BOX(bar), t->model);
    gtk_box_append(GTK_BOX(box), bar);
    GtkWidget *row = gtk_grid_new(); /* two rows of settings, so the window stays ~800 pixels wide */
    gtk_grid_set_column_spacing(GTK_GRID(row), 14);
    gtk_grid_set_row_spacing(GTK_GRID(row), 4);
    const char *names[] = {"temperature", "top-k", "top-p", "seed", "max tokens"};
    GtkWidget **spins[] = {&t->temperature, &t->top_k, &t->top_p, &t->seed, &t->max_tokens};
    /* `cllm chat`'s defaults */
    const double lo[] = {0, 0, 0.01, 0, 1}, hi[] = {5, 100000, 1, 1e9, 4096}, step[] = {0.05, 1, 0.01, 1, 16},
                 val[] = {0.8, 40, 0.95, 1337, 256};
    const int digits[] = {2, 0, 2, 0, 0};
    for (int i = 0; i < 5; i++) {
        GtkWidget *g = gtk_grid_new();
        gtk_grid_set_column_spacing(GTK_GRID(g), 4);
        *spins[i] = app_spin(g, 0, names[i], lo[i], hi[i], step[i], val[i], digits[i]);
        gtk_editable_set_width_chars(GTK_EDITABLE(*spins[i]), i == 3 ? 6 : 4);
        gtk_grid_attach(GTK_GRID(row), g, i % 3, i / 3, 1, 1);
    }
    gtk_box_append(GTK_BOX(box), row);
    t->view = gtk_text_view_new();
    gtk_text_view_set_editable(GTK_TEXT_VIEW(t->view), FALSE);
    gtk_text_view_set_wrap_mode(GTK_TEXT_VIEW(t->view), GTK_WRAP_WORD_CHAR);
    gtk_text_view_set_monospace(GTK_TEXT_VIEW(t->view), TRUE);
    t->buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(t->view));
    GtkWidget *scroll = gtk_scrolled_window_new();
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), t->view);
    gtk_widget_set_vexpand(scroll, TRUE);
    gtk_box_append(GTK_BOX(box), scroll);
    GtkWidget *input = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    t->entry = gtk_entry_new();
    gtk_entry_set_placeholder_text(GTK_ENTRY(t->entry), "a message; Enter sends it");
    gtk_widget_set_hexpand(t->entry, TRUE);
    t->send = gtk_button_new_with_label("Send");
    t->stop = gtk_button_new_with_label("Stop");
    t->reset = gtk_button_new_with_label("Reset");
    g_signal_connect(t->entry, "activate", G_CALLBACK(on_send), t);
    g_signal_connect(t->send, "clicked", G_CALLBACK(on_send), t);
    g_signal_connect(t->stop, "clicked", G_CALLBACK(on_stop), t);
    g_signal_connect(t->reset, "clicked", G_CALLBACK(on_reset), t);
    gtk_box_append(GTK_BOX(input), t->entry);
    gtk_box_append(GTK_BOX(input), t->send);
    gtk_box_append(GTK_BOX(input), t->stop);
    gtk_box_append(GTK_BOX(input), t->reset);
    gtk_box_append(GTK_BOX(box), input);
    t->status = gtk_label_new("Open a model to chat with it.");
    gtk_label_set_xalign(GTK_LABEL(t->status), 0);
    gtk_label_set_wrap(GTK_LABEL(t->status), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(t->status), 90);
    gtk_box_append(GTK_BOX(box), t->status);
    set_generating(t, 0);
    return box;
}
