/* test_tokenizer_pretokenize.c — the pre-tokenizer splits tricky strings exactly as GPT-2's pattern
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * does. Expected splits were worked out by hand from the pattern (alternatives tried in order, each greedy) and
 * cross-checked against Python's re with the \p classes spelled out from unicodedata (docs/tokenizer.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_tokenizer.h"
#include "support.h"

typedef struct split_case {
    const char *text;  /* input (NUL-terminated unless len is set) */
    size_t len;        /* 0: strlen(text) */
    const char *pieces[12]; /* expected pieces, NULL-terminated */
} split_case;

static const split_case cases[] = {
    {"Hello world", 0, {"Hello", " world", NULL}},
    /* contractions: lowercase only, matched wherever an apostrophe starts a piece */
    {"it's", 0, {"it", "'s", NULL}},
    {"we're they've I'm", 0, {"we", "'re", " they", "'ve", " I", "'m", NULL}},
    {"you'll he'd don't", 0, {"you", "'ll", " he", "'d", " don", "'t", NULL}},
    {"IT'S", 0, {"IT", "'", "S", NULL}},
    {"'sup", 0, {"'s", "up", NULL}},
    {"''s", 0, {"''", "s", NULL}},
    {" 's", 0, {" '", "s", NULL}},
    {"I'll've", 0, {"I", "'ll", "'ve", NULL}},
    {"'r", 0, {"'", "r", NULL}},
    {"don't!", 0, {"don", "'t", "!", NULL}},
    /* digits are their own runs, led by at most one space */
    {"abc123def", 0, {"abc", "123", "def", NULL}},
    {" 2024 years", 0, {" 2024", " years", NULL}},
    {"3.14", 0, {"3", ".", "14", NULL}},
    {"x\xd9\xa3\xd9\xa4", 0, {"x", "\xd9\xa3\xd9\xa4", NULL}},        /* Arabic-Indic digits are \p{N} */
    {"\xe2\x85\xab" "5", 0, {"\xe2\x85\xab" "5", NULL}},               /* Roman numeral XII (Nl) + 5 */
    /* symbols */
    {"hi!!! ok", 0, {"hi", "!!!", " ok", NULL}},
    {"a !?b", 0, {"a", " !?", "b", NULL}},
    /* whitespace: (?!\S) leaves the last space of a run to lead the next piece */
    {"  hello", 0, {" ", " hello", NULL}},
    {"hello  ", 0, {"hello", "  ", NULL}},
    {"a\n\nb", 0, {"a", "\n", "\n", "b", NULL}},
    {"a\t\tb", 0, {"a", "\t", "\t", "b", NULL}},
    {"a \t b", 0, {"a", " \t", " b", NULL}},
    {"x \n", 0, {"x", " \n", NULL}},
    {" \nx", 0, {" ", "\n", "x", NULL}},
    {"   ", 0, {"   ", NULL}},
    {"\n", 0, {"\n", NULL}},
    {"end.\n\n\nNext", 0, {"end", ".", "\n\n", "\n", "Next", NULL}},
    {"a\xc2\xa0" "b", 0, {"a", "\xc2\xa0", "b", NULL}},                 /* NBSP is \s but not the optional ' ' */
    {"a\xe3\x80\x80\xe3\x80\x80" "b", 0, {"a", "\xe3\x80\x80", "\xe3\x80\x80", "b", NULL}}, /* U+3000 x2 */
    {"\xe2\x80\xa8x", 0, {"\xe2\x80\xa8", "x", NULL}},                  /* U+2028 line separator */
    /* emoji are symbols; a variation selector (Mn) is a symbol too */
    {"I \xe2\x9d\xa4\xef\xb8\x8f \xf0\x9f\x8d\x95!", 0, {"I", " \xe2\x9d\xa4\xef\xb8\x8f", " \xf0\x9f\x8d\x95!", NULL}},
    /* CJK ideographs and kana are letters; a fullwidth comma is a symbol */
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad", 0,
     {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad", NULL}},
    {"\xe4\xb8\xad\xe6\x96\x87\xef\xbc\x8c\xe6\xb5\x8b\xe8\xaf\x95", 0,
     {"\xe4\xb8\xad\xe6\x96\x87", "\xef\xbc\x8c", "\xe6\xb5\x8b\xe8\xaf\x95", NULL}},
    /* combining marks (Mn) are not letters: a decomposed é splits, a precomposed one does not */
    {"cafe\xcc\x81 ok", 0, {"cafe", "\xcc\x81", " ok", NULL}},
    {"caf\xc3\xa9 ok", 0, {"caf\xc3\xa9", " ok", NULL}},
    /* Unicode 16.0's new letters and numbers are letters and numbers (tiktoken's classes), although utf8proc 2.8
     * (Unicode 15.0) has them unassigned: U+A7DA (Latin), U+1E5F0 (Ol Onal letter), U+1E5F1..2 (its digits) */
    {"\xea\x9f\x9a\xe9\x86\x92", 0, {"\xea\x9f\x9a\xe9\x86\x92", NULL}},  /* U+A7DA then 醒: one letter run */
    {"a \xf0\x9e\x97\xb0 \xf0\x9e\x97\xb1\xf0\x9e\x97\xb2x", 0,
     {"a", " \xf0\x9e\x97\xb0", " \xf0\x9e\x97\xb1\xf0\x9e\x97\xb2", "x", NULL}},
    /* a code point still unassigned in 16.0 (U+A7DD) stays a symbol */
    {"a\xea\x9f\x9d" "b", 0, {"a", "\xea\x9f\x9d", "b", NULL}},
    /* invalid UTF-8: each bad byte is one symbol character */
    {"ab\xff\xfe" "cd", 0, {"ab", "\xff\xfe", "cd", NULL}},
    {" \xff", 0, {" \xff", NULL}},
    {"x\xc3(", 0, {"x", "\xc3(", NULL}},                /* truncated sequence + '(' form one symbol run */
    {"\xed\xa0\x80z", 0, {"\xed\xa0\x80", "z", NULL}},  /* an encoded surrogate is invalid */
    {"\xc0\xaf", 0, {"\xc0\xaf", NULL}},                /* overlong */
    {"a\0b", 3, {"a", "\0", "b", NULL}},               /* NUL is a control: a symbol */
};

static void test_table_of_splits(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const split_case *k = &cases[c];
        size_t n = k->len ? k->len : strlen(k->text), pos = 0, i = 0;
        while (pos < n) {
            size_t end = cllm_tokenizer_pretoken_end(k->text, n, pos);
            assert_true(end > pos && end <= n);
            const char *want = k->pieces[i];
            if (!want) fail_msg("case %zu: more pieces than expected", c);
            size_t wlen = (k->len && strlen(want) == 0) ? 1 : strlen(want); /* the NUL piece */
            if (end - pos != wlen || memcmp(k->text + pos, want, wlen) != 0)
                fail_msg("case %zu ('%s'): piece %zu is '%.*s', expected '%s'", c, k->text, i, (int)(end - pos),
                         k->text + pos, want);
            pos = end;
            i++;
        }
        if (k->pieces[i]) fail_msg("case %zu: fewer pieces than expected", c);
    }
}

/* Pieces tile any byte string: every piece is non-empty and they end exactly at n. */
static void test_pieces_tile_random_bytes(void **state) {
    (void)state;
    uint64_t rng = 7;
    uint8_t buf[300];
    for (int t = 0; t < 2000; t++) {
        size_t n = test_rand(&rng) % sizeof buf;
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)test_rand(&rng);
        size_t pos = 0;
        while (pos < n) {
            size_t end = cllm_tokenizer_pretoken_end(buf, n, pos);
            assert_true(end > pos && end <= n);
            pos = end;
        }
        assert_int_equal(cllm_tokenizer_pretoken_end(buf, n, n), n);
    }
}

/* A cut from cllm_tokenizer_next_cut never changes the pieces. */
static void test_cuts_keep_pieces(void **state) {
    (void)state;
    const char *text = "One line.\nTwo  lines\n\nthree\n four\n5\n!x\n \n's\nend\n";
    size_t n = strlen(text), cuts = 0;
    for (size_t from = 0; from < n;) {
        size_t cut = cllm_tokenizer_next_cut(text, n, from);
        if (cut == n) break;
        assert_int_equal(text[cut - 1], '\n');
        /* the whole text has a piece boundary at cut, and the piece before it is the "\n" alone */
        size_t pos = 0;
        while (pos < cut) pos = cllm_tokenizer_pretoken_end(text, n, pos);
        assert_int_equal(pos, cut);
        assert_int_equal(cllm_tokenizer_pretoken_end(text, n, cut - 1), cut);
        cuts++;
        from = cut + 1;
    }
    assert_int_equal(cuts, 4); /* after "line.", "four", "5", "'s": the others touch whitespace */
}

/* The version the classes follow is named, and it is at least tiktoken's (16.0). */
static void test_unicode_version_is_16(void **state) {
    (void)state;
    int major = 0, minor = 0;
    assert_int_equal(sscanf(cllm_tokenizer_unicode_version(), "%d.%d", &major, &minor), 2);
    assert_true(major >= 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_of_splits),
        cmocka_unit_test(test_pieces_tile_random_bytes),
        cmocka_unit_test(test_cuts_keep_pieces),
        cmocka_unit_test(test_unicode_version_is_16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
