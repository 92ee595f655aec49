/* test_tokenizer_train.c — training picks the most frequent pair first with documented tie-breaking, reaches the
 * requested size, streams files to the same result as a buffer, and GPT-2's vocab.json/merges.txt round-trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_tokenizer.h"
#include "support.h"

static void assert_merge(const cllm_tokenizer *tok, int rank, int l, int r, int x) {
    int gl, gr, gx;
    assert_int_equal(cllm_tokenizer_merge(tok, rank, &gl, &gr, &gx), 0);
    if (gl != l || gr != r || gx != x)
        fail_msg("merge %d is (%d, %d) -> %d, expected (%d, %d) -> %d", rank, gl, gr, gx, l, r, x);
}

static void test_first_merges_and_ties(void **state) {
    (void)state;
    /* pieces: "ab" x1, " ab" x4, " cd" x3 (each distinct piece counted once, weighted by frequency).
     * pair counts: (a,b) 5, (' ',a) 4, (' ',c) 3, (c,d) 3 → a+b first; then (' ',ab) 4; then the tie between
     * (' ',c) and (c,d) at 3 goes to the smaller (left, right) ids: (32, 99) before (99, 100). */
    const char *text = "ab ab ab ab ab cd cd cd";
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_train_buffer(text, strlen(text), 261, &err);
    assert_non_null(tok);
    assert_int_equal(cllm_tokenizer_merge_count(tok), 4);
    assert_merge(tok, 0, 'a', 'b', 256);
    assert_merge(tok, 1, ' ', 256, 257);
    assert_merge(tok, 2, ' ', 'c', 258);
    assert_merge(tok, 3, 258, 'd', 259);
    assert_int_equal(cllm_tokenizer_vocab_size(tok), 261);
    assert_int_equal(cllm_tokenizer_eot(tok), 260);
    size_t len;
    const uint8_t *b = cllm_tokenizer_token_bytes(tok, 259, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(b, " cd", 3);
    size_t n;
    int32_t *ids = cllm_tokenizer_encode(tok, "ab cd ab", 8, &n, &err);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 256);
    assert_int_equal(ids[1], 259);
    assert_int_equal(ids[2], 257);
    free(ids);
    cllm_tokenizer_free(tok);
    /* a corpus that runs out of pairs stops early: here after the 2 possible merges */
    tok = cllm_tokenizer_train_buffer("xyz", 3, 1000, &err);
    assert_non_null(tok);
    assert_int_equal(cllm_tokenizer_merge_count(tok), 2);
    assert_int_equal(cllm_tokenizer_vocab_size(tok), 259);
    cllm_tokenizer_free(tok);
    /* an empty corpus gives the bytes and <|endoftext|> */
    tok = cllm_tokenizer_train_buffer("", 0, 1000, &err);
    assert_non_null(tok);
    assert_int_equal(cllm_tokenizer_vocab_size(tok), 257);
    assert_int_equal(cllm_tokenizer_eot(tok), 256);
    cllm_tokenizer_free(tok);
    assert_null(cllm_tokenizer_train_buffer("xyz", 3, 256, &err));
    assert_int_equal(err.code, CLLM_ERR_ARG);
}

/* ~2.2 MB of mixed-script text whose 1 MiB chunk boundary falls inside a multi-byte character. */
static char *big_text(size_t *len, int numbers) {
    static const char *words[] = {" the", " caf\xc3\xa9", " \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", " it's", "\n\n",
                                  " \xd0\xbc\xd0\xb8\xd1\x80", " 12", "!", "  ", " quick", "ly", " \xf0\x9f\x8d\x95"};
    size_t cap = 2300000, n = 0;
    char *buf = malloc(cap + 64);
    uint64_t rng = 3;
    while (n < cap) {
        uint64_t r = test_rand(&rng);
        char num[32];
        const char *w = words[r % 12];
        if (numbers && r % 5 == 0) { /* variety: random numbers and made-up words give thousands of pairs */
            snprintf(num, sizeof num, r % 2 ? " %u" : " q%xz", (unsigned)(r >> 40));
            w = num;
        }
        size_t l = strlen(w);
        memcpy(buf + n, w, l);
        n += l;
    }
    /* shift until byte 1 MiB is a continuation byte */
    size_t shift = 0;
    while (((uint8_t)buf[(1u << 20) - shift] & 0xC0) != 0x80) shift++;
    buf[n] = 0;
    char *out = malloc(n + shift + 1);
    memset(out, 'x', shift);
    memcpy(out + shift, buf, n + 1);
    free(buf);
    *len = n + shift;
    assert_true(((uint8_t)out[1u << 20] & 0xC0) == 0x80);
    return out;
}

static void test_files_stream_like_a_buffer(void **state) {
    (void)state;
    size_t n;
    char *text = big_text(&n, 1);
    const char *p1 = test_path("part1.txt"), *p2 = test_path("part2.txt");
    size_t cut = n / 3;
    while (text[cut] != '\n' || text[cut - 1] != '\n' || text[cut + 1] != ' ') cut++; /* "\n\n" then a word */
    cut++; /* after "\n\n": a safe place to end a file (the next piece starts fresh) */
    test_write_file(p1, text, cut);
    test_write_file(p2, text + cut, n - cut);
    cllm_error err = {0};
    const char *paths[] = {p1, p2};
    cllm_tokenizer *a = cllm_tokenizer_train(paths, 2, 1200, &err);
    if (!a) fail_msg("%s", err.msg);
    cllm_tokenizer *b = cllm_tokenizer_train_buffer(text, n, 1200, &err);
    assert_non_null(b);
    char *ja = cllm_tokenizer_to_json(a), *jb = cllm_tokenizer_to_json(b);
    assert_string_equal(ja, jb); /* same words counted; deterministic merges */
    assert_int_equal(cllm_tokenizer_vocab_size(a), 1200);
    free(ja); free(jb); free(text);
    cllm_tokenizer_free(a);
    cllm_tokenizer_free(b);
    /* Without numbers there are only a dozen distinct words: training until no pair is left makes every piece
     * a token, so a piece cut wrongly at the 1 MiB boundary (inside a character) would show as extra tokens. */
    text = big_text(&n, 0);
    test_write_file(p1, text, n);
    a = cllm_tokenizer_train(paths, 1, 100000, &err);
    b = cllm_tokenizer_train_buffer(text, n, 100000, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(cllm_tokenizer_vocab_size(a) < 1000); /* ran out of pairs long before 100000 */
    ja = cllm_tokenizer_to_json(a);
    jb = cllm_tokenizer_to_json(b);
    assert_string_equal(ja, jb);
    free(ja); free(jb); free(text);
    cllm_tokenizer_free(a);
    cllm_tokenizer_free(b);
    const char *missing[] = {test_path("nope.txt")};
    assert_null(cllm_tokenizer_train(missing, 1, 300, &err));
    assert_int_equal(err.code, CLLM_ERR_IO);
    assert_non_null(strstr(err.msg, "nope.txt"));
}

static char *read_text(const char *path, size_t *n) {
    cllm_error err = {0};
    char *s = (char *)cllm_file_read_all(path, n, &err);
    if (!s) fail_msg("%s", err.msg);
    return s;
}

static void test_gpt2_files_round_trip(void **state) {
    (void)state;
    size_t n;
    char *text = big_text(&n, 1);
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_train_buffer(text, n / 4, 900, &err);
    assert_non_null(tok);
    const char *vocab = test_path("vocab.json"), *merges = test_path("merges.txt");
    assert_int_equal(cllm_tokenizer_export_gpt2(tok, vocab, merges, &err), 0);
    size_t ml;
    char *mt = read_text(merges, &ml);
    assert_memory_equal(mt, "#version: 0.2\n", 14);
    assert_non_null(strstr(mt, "\n\xc4\xa0 t\n")); /* "Ġ t": space spelled as U+0120 */
    cllm_tokenizer *back = cllm_tokenizer_import_gpt2(vocab, merges, &err);
    if (!back) fail_msg("%s", err.msg);
    char *ja = cllm_tokenizer_to_json(tok), *jb = cllm_tokenizer_to_json(back);
    assert_string_equal(ja, jb);
    /* and once more through the files: byte-identical */
    const char *vocab2 = test_path("vocab2.json"), *merges2 = test_path("merges2.txt");
    assert_int_equal(cllm_tokenizer_export_gpt2(back, vocab2, merges2, &err), 0);
    size_t vl, vl2, ml2;
    char *v1 = read_text(vocab, &vl), *v2 = read_text(vocab2, &vl2), *m2 = read_text(merges2, &ml2);
    assert_int_equal(vl, vl2);
    assert_memory_equal(v1, v2, vl);
    assert_int_equal(ml, ml2);
    assert_memory_equal(mt, m2, ml);
    free(v1); free(v2); free(m2); free(mt); free(ja); free(jb); free(text);
    cllm_tokenizer_free(tok);
    cllm_tokenizer_free(back);
}

/* GPT-2's own layout: ids 0..255 are bytes in bytes_to_unicode order ("!" = 0, "t" = 83, "Ġ" = 220). */
static char *gpt2_style_vocab(void) {
    char *out = malloc(8192);
    size_t n = (size_t)sprintf(out, "{");
    int id = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int b = 0; b < 256; b++) {
            int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            if (printable != (pass == 0)) continue;
            unsigned c = printable ? (unsigned)b : b <= 0x20 ? 256u + (unsigned)b : b == 0xAD ? 323u
                                                                                  : 289u + (unsigned)(b - 0x7F);
            n += (size_t)sprintf(out + n, "\"\\u%04x\": %d, ", c, id++);
        }
    sprintf(out + n, "\"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258, \"<|endoftext|>\": 259}");
    return out;
}

static void test_gpt2_layout_loads(void **state) {
    (void)state;
    char *vocab = gpt2_style_vocab();
    const char *merges = "#version: 0.2\n\xc4\xa0 t\nh e\n\xc4\xa0t he\n";
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_from_gpt2(vocab, strlen(vocab), merges, strlen(merges), &err);
    if (!tok) fail_msg("%s", err.msg);
    assert_int_equal(cllm_tokenizer_vocab_size(tok), 260);
    assert_int_equal(cllm_tokenizer_eot(tok), 259);
    size_t n;
    int32_t *ids = cllm_tokenizer_encode(tok, "the the", 7, &n, &err);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 83);  /* "t" */
    assert_int_equal(ids[1], 257); /* "he" */
    assert_int_equal(ids[2], 258); /* " the" */
    free(ids);
    ids = cllm_tokenizer_encode(tok, " ", 1, &n, &err);
    assert_int_equal(ids[0], 220);
    free(ids);
    cllm_tokenizer_free(tok);
    /* broken inputs fail with a message naming the problem */
    const char *bad_merges[] = {"#version: 0.2\n\xc4\xa0 q x\n", "#version: 0.2\nzz t\n", "#version: 0.2\nht\n",
                                "#version: 0.2\nt h\n" /* "th" is not in the vocabulary */};
    for (size_t i = 0; i < 4; i++) {
        memset(&err, 0, sizeof err);
        assert_null(cllm_tokenizer_from_gpt2(vocab, strlen(vocab), bad_merges[i], strlen(bad_merges[i]), &err));
        assert_int_equal(err.code, CLLM_ERR_FORMAT);
    }
    char *gap = strdup(vocab);
    char *p = strstr(gap, "259}");
    memcpy(p, "999}", 4);
    assert_null(cllm_tokenizer_from_gpt2(gap, strlen(gap), merges, strlen(merges), &err));
    assert_non_null(strstr(err.msg, "vocab.json"));
    assert_null(cllm_tokenizer_from_gpt2("{", 1, merges, strlen(merges), &err));
    assert_null(cllm_tokenizer_from_gpt2("[1,2]", 5, merges, strlen(merges), &err));
    free(gap);
    free(vocab);
}

/* Random corruptions of vocab.json / merges.txt either import to a tokenizer that round-trips or fail cleanly. */
static void test_gpt2_import_survives_mutations(void **state) {
    (void)state;
    const char *text = "the quick brown fox's 12 jumps\n\nover the lazy dog, the end. the quick";
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_train_buffer(text, strlen(text), 300, &err);
    assert_non_null(tok);
    const char *vocab = test_path("mv.json"), *merges = test_path("mm.txt");
    assert_int_equal(cllm_tokenizer_export_gpt2(tok, vocab, merges, &err), 0);
    size_t vl, ml;
    char *v = read_text(vocab, &vl), *m = read_text(merges, &ml);
    uint64_t rng = 17;
    int failed = 0;
    for (int t = 0; t < 300; t++) {
        char *vv = malloc(vl + 1), *mm = malloc(ml + 1);
        memcpy(vv, v, vl + 1);
        memcpy(mm, m, ml + 1);
        char *target = t % 2 ? vv : mm;
        size_t len = t % 2 ? vl : ml;
        static const char alphabet[] = " \n\"{}:,0129ab\xc4\xa0";
        for (int k = 0; k < 1 + t % 3; k++)
            target[test_rand(&rng) % len] = alphabet[test_rand(&rng) % (sizeof alphabet - 1)];
        memset(&err, 0, sizeof err);
        cllm_tokenizer *b = cllm_tokenizer_from_gpt2(vv, vl, mm, ml, &err);
        if (b) {
            size_t n;
            int32_t *ids = cllm_tokenizer_encode(b, text, strlen(text), &n, &err);
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                size_t l;
                const uint8_t *bytes = cllm_tokenizer_token_bytes(b, ids[i], &l);
                assert_memory_equal(bytes, text + k, l);
                k += l;
            }
            assert_int_equal(k, strlen(text));
            free(ids);
            cllm_tokenizer_free(b);
        } else {
            failed++;
            assert_true(err.code != 0 && err.msg[0]);
        }
        free(vv);
        free(mm);
    }
    assert_true(failed > 0);
    free(v);
    free(m);
    cllm_tokenizer_free(tok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_merges_and_ties),
        cmocka_unit_test(test_files_stream_like_a_buffer),
        cmocka_unit_test(test_gpt2_files_round_trip),
        cmocka_unit_test(test_gpt2_layout_loads),
        cmocka_unit_test(test_gpt2_import_survives_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
