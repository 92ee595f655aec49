/* test_data_prepare.c — raw inputs → shards: hostile folders finish with the right counts and the exact bytes,
 * JSONL problems are reported with file:line, the train/val split is by document, deterministic and disjoint,
 * and the output does not depend on the thread count. Uses the byte tokenizer (no separator), so a split's
 * token stream is the concatenation of its documents' bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_data.h"
#include "support.h"

typedef struct notes {
    char text[64][256];
    int n;
} notes;

static void collect(void *ctx, const char *msg) {
    notes *ns = ctx;
    if (ns->n < 64) snprintf(ns->text[ns->n++], sizeof ns->text[0], "%s", msg);
}

static int notes_have(const notes *ns, const char *a, const char *b) {
    for (int i = 0; i < ns->n; i++)
        if (strstr(ns->text[i], a) && (!b || strstr(ns->text[i], b))) return 1;
    return 0;
}

/* Runs prepare on the given inputs into out (overwriting); returns the summary. */
static int blank_line_docs; /* passed to run() */

static cllm_prepare_summary run(const char *out, const char *const *inputs, int n, double val, uint64_t seed,
                                int threads, uint64_t shard_tokens, notes *ns) {
    cllm_tokenizer *tok = cllm_tokenizer_byte_new();
    cllm_prepare_opts o = cllm_prepare_defaults();
    o.tok = tok;
    o.out_dir = test_path(out);
    o.inputs = inputs;
    o.n_inputs = n;
    o.val_fraction = val;
    o.seed = seed;
    o.threads = threads;
    o.overwrite = 1;
    o.blank_line_docs = blank_line_docs;
    if (shard_tokens) o.shard_tokens = shard_tokens;
    o.note = ns ? collect : NULL;
    o.note_ctx = ns;
    cllm_prepare_summary sum;
    cllm_error err = {0};
    int rc = cllm_prepare_run(&o, &sum, &err);
    if (rc) fail_msg("prepare failed: %s", err.msg);
    cllm_tokenizer_free(tok);
    return sum;
}

/* The whole token stream of a split, as bytes (byte tokenizer); *n tokens. NULL-free: empty gives "". */
static char *read_split(const char *out, const char *split, size_t *n) {
    cllm_error err = {0};
    const char *dir = test_path(out);
    cllm_shards *s = cllm_shards_open(&dir, 1, split, &err);
    if (!s) { *n = 0; return calloc(1, 1); }
    *n = (size_t)cllm_shards_count(s);
    int32_t *ids = malloc((*n + 1) * sizeof *ids);
    char *text = malloc(*n + 1);
    assert_non_null(ids);
    assert_non_null(text);
    cllm_shards_read(s, 0, ids, *n);
    for (size_t i = 0; i < *n; i++) text[i] = (char)ids[i];
    text[*n] = 0;
    free(ids);
    cllm_shards_close(s);
    return text;
}

static void test_hostile_folder(void **state) {
    (void)state;
    assert_int_equal(test_system("mkdir -p %s/sub/deeper %s/.git", test_path("in"), test_path("in")), 0);
    test_write_file(test_path("in/a.txt"), "alpha\n", 6);
    test_write_file(test_path("in/empty.txt"), "", 0);
    test_write_file(test_path("in/nul.bin"), "abc\0def", 7);
    test_write_file(test_path("in/.git/HEAD"), "hidden\n", 7);
    uint8_t junk[4096];
    uint64_t r = 99;
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(0x80 | (test_rand(&r) & 0x7F)); /* never NUL */
    test_write_file(test_path("in/sub/latin.dat"), junk, sizeof junk); /* mostly invalid UTF-8: binary */
    /* a little invalid UTF-8 in real text is kept as is */
    test_write_file(test_path("in/sub/mixed.txt"), "caf\xe9 ol\xc3\xa9\n", 10);
    /* one 3 MB line without a newline, with 2-byte characters across every piece boundary */
    size_t huge_n = 3 * 1000 * 1000;
    char *huge = malloc(huge_n);
    assert_non_null(huge);
    for (size_t i = 0; i < huge_n; i += 3) memcpy(huge + i, "x\xc3\xa9", 3);
    test_write_file(test_path("in/sub/deeper/huge.txt"), huge, huge_n);

    notes ns = {0};
    const char *inputs[] = {test_path("in")};
    cllm_prepare_summary s = run("in/out1", inputs, 1, 0.0, 1, 2, 0, &ns); /* the output inside the input */
    s = run("in/out1", inputs, 1, 0.0, 1, 2, 0, &ns);                     /* again: its shards are not read */
    assert_int_equal(s.files_read, 4); /* a.txt, empty.txt, mixed.txt, huge.txt */
    assert_int_equal(s.files_skipped, 2);
    assert_int_equal(s.documents[0], 3); /* the empty file gives no document */
    assert_int_equal(s.documents[1], 0);
    assert_true(notes_have(&ns, "nul.bin", "binary"));
    assert_true(notes_have(&ns, "latin.dat", "binary"));
    assert_false(notes_have(&ns, "HEAD", NULL));
    /* the stream is the documents in name order: a.txt, sub/deeper/huge.txt, sub/mixed.txt */
    size_t n;
    char *text = read_split("in/out1", "train", &n);
    assert_int_equal(n, 6 + huge_n + 10);
    assert_memory_equal(text, "alpha\n", 6);
    assert_memory_equal(text + 6, huge, huge_n);
    assert_memory_equal(text + 6 + huge_n, "caf\xe9 ol\xc3\xa9\n", 10);
    assert_int_equal(s.tokens[0], n);
    free(text);
    free(huge);
}

static void test_jsonl_documents_and_bad_lines(void **state) {
    (void)state;
    const char *jsonl = "{\"text\": \"one\"}\n"
                        "\n"
                        "{\"title\": \"no text\"}\n"
                        "{\"text\": \"broken\"\n"
                        "[1, 2]\n"
                        "{\"text\": 5}\n"
                        "{\"text\": \"two \\u00e9\\n\", \"id\": 2}\n"
                        "{\"text\": \"three\"}"; /* no final newline */
    test_write_file(test_path("docs.jsonl"), jsonl, strlen(jsonl));
    test_write_file(test_path("bom.JSONL"), "\xEF\xBB\xBF{\"text\": \"four\"}\r\n", 22); /* BOM, CRLF */
    notes ns = {0};
    const char *inputs[] = {test_path("docs.jsonl"), test_path("bom.JSONL")};
    cllm_prepare_summary s = run("out2", inputs, 2, 0.0, 1, 2, 0, &ns);
    assert_int_equal(s.documents[0], 4);
    assert_int_equal(s.bad_lines, 4);
    assert_int_equal(s.files_read, 2);
    assert_true(notes_have(&ns, "docs.jsonl:3:", "no string field \"text\""));
    assert_true(notes_have(&ns, "docs.jsonl:4:", "malformed JSON"));
    assert_true(notes_have(&ns, "docs.jsonl:5:", "no string field"));
    assert_true(notes_have(&ns, "docs.jsonl:6:", "no string field"));
    size_t n;
    char *text = read_split("out2", "train", &n);
    assert_string_equal(text, "onetwo \xc3\xa9\nthreefour");
    free(text);
}

/* 300 documents "<doc N>\n" as JSONL; returns which went to val, parsed back from the val stream. */
static void split_of(const char *out, uint64_t seed, int threads, char in_val[300], char in_train[300]) {
    const char *inputs[] = {test_path("many.jsonl")};
    cllm_prepare_summary s = run(out, inputs, 1, 0.25, seed, threads, 1024, NULL);
    assert_int_equal(s.documents[0] + s.documents[1], 300);
    memset(in_val, 0, 300);
    memset(in_train, 0, 300);
    const char *splits[2] = {"train", "val"};
    for (int k = 0; k < 2; k++) {
        size_t n;
        char *text = read_split(out, splits[k], &n);
        int docs = 0;
        for (char *p = text; (p = strstr(p, "<doc ")); p++) {
            int id = atoi(p + 5);
            assert_true(id >= 0 && id < 300);
            (k ? in_val : in_train)[id]++;
            docs++;
        }
        assert_int_equal(docs, s.documents[k]);
        free(text);
    }
}

static void test_split_by_document_is_deterministic_and_disjoint(void **state) {
    (void)state;
    FILE *f = fopen(test_path("many.jsonl"), "w");
    assert_non_null(f);
    for (int i = 0; i < 300; i++) fprintf(f, "{\"text\": \"<doc %d> some words to make it longer\\n\"}\n", i);
    fclose(f);
    char val1[300], train1[300], val2[300], train2[300], val3[300], train3[300];
    split_of("s1", 7, 1, val1, train1);
    split_of("s2", 7, 2, val2, train2);
    split_of("s3", 8, 2, val3, train3);
    int n_val = 0, differs = 0;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(val1[i] + train1[i], 1); /* every document exactly once: disjoint and complete */
        assert_int_equal(val1[i], cllm_prepare_is_val((uint64_t)i, 7, 0.25));
        assert_int_equal(val1[i], val2[i]); /* threads do not matter */
        n_val += val1[i];
        differs |= val1[i] != val3[i];
    }
    assert_true(n_val > 40 && n_val < 110); /* about a quarter of 300 */
    assert_true(differs);                   /* the seed decides */
    /* same seed, different threads: byte-identical shards (1024-token shards, so several files) */
    assert_int_equal(test_system("cmp -s %s/train-00002.bin %s/train-00002.bin", test_path("s1"), test_path("s2")),
                     0);
}

static void test_existing_shards_need_overwrite(void **state) {
    (void)state;
    test_write_file(test_path("small.txt"), "hello\n", 6);
    const char *inputs[] = {test_path("small.txt")};
    run("ow", inputs, 1, 0, 1, 1, 0, NULL);
    cllm_tokenizer *tok = cllm_tokenizer_byte_new();
    cllm_prepare_opts o = cllm_prepare_defaults();
    o.tok = tok;
    o.out_dir = test_path("ow");
    o.inputs = inputs;
    o.n_inputs = 1;
    cllm_prepare_summary sum;
    cllm_error err = {0};
    assert_int_equal(cllm_prepare_run(&o, &sum, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "--overwrite"));
    const char *missing[] = {test_path("nope.txt")};
    o.inputs = missing;
    o.overwrite = 1;
    assert_int_not_equal(cllm_prepare_run(&o, &sum, &err), 0);
    assert_non_null(strstr(err.msg, "nope.txt"));
    cllm_tokenizer_free(tok);
}

/* With blank_line_docs a blank line ends a document, also when the blank line straddles two pieces. */
static void test_blank_line_documents(void **state) {
    (void)state;
    const char *text = "\n\nfirst\nstill first\n\nsecond\n\n\n\nthird\r\n\r\nfourth";
    test_write_file(test_path("blank.txt"), text, strlen(text));
    size_t piece = 256 << 10; /* DATA_PIECE_BYTES: the first piece ends exactly after the first newline */
    char *straddle = malloc(piece + 16);
    assert_non_null(straddle);
    memset(straddle, 'x', piece - 1);
    memcpy(straddle + piece - 1, "\n\nnext\n", 8);
    test_write_file(test_path("straddle.txt"), straddle, piece + 6);
    const char *inputs[] = {test_path("blank.txt"), test_path("straddle.txt")};
    blank_line_docs = 1;
    cllm_prepare_summary s = run("blank", inputs, 2, 0.0, 1, 2, 0, NULL);
    blank_line_docs = 0;
    assert_int_equal(s.documents[0], 6);
    size_t n;
    char *got = read_split("blank", "train", &n);
    const char *head = "first\nstill first\nsecond\nthird\r\nfourth";
    assert_int_equal(n, strlen(head) + piece + 5);
    assert_memory_equal(got, head, strlen(head));
    assert_memory_equal(got + strlen(head), straddle, piece);
    assert_memory_equal(got + strlen(head) + piece, "next\n", 5);
    free(got);
    free(straddle);
    /* without the option each file is one document, blank lines kept */
    s = run("blank1", inputs, 1, 0.0, 1, 2, 0, NULL);
    assert_int_equal(s.documents[0], 1);
    assert_int_equal(s.tokens[0], strlen(text));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_folder),
        cmocka_unit_test(test_jsonl_documents_and_bad_lines),
        cmocka_unit_test(test_split_by_document_is_deterministic_and_disjoint),
        cmocka_unit_test(test_existing_shards_need_overwrite),
        cmocka_unit_test(test_blank_line_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
