/* test_tokenizer_hostile.c — what hostile tokenizer files get back: one printable error line, the bytes escaped. */
#include <stdio.h>
#include <string.h>

#include "cllm_tokenizer.h"
#include "support.h"

/* A vocab.json of 256 plain entries k0..k255 after `first` (a JSON member, or ""): big enough to be parsed. */
static const char *vocab_with(const char *first) {
    static char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{%s", first);
    for (int i = 0; i < 256; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\": %d", i || *first ? ", " : "", i, i);
    snprintf(buf + n, sizeof buf - n, "}");
    return buf;
}

static void test_vocab_json_token_is_escaped(void **state) {
    (void)state;
    /* a key holding a newline and an escape sequence, with an id out of range */
    const char *vocab = vocab_with("\"a\\n\\u001b[2J\\u001b]0;pwned\\u0007\": 999");
    cllm_error err = {0};
    assert_null(cllm_tokenizer_from_gpt2(vocab, strlen(vocab), "", 0, &err));
    assert_int_equal(err.code, CLLM_ERR_FORMAT);
    assert_true(test_printable_line(err.msg));
    assert_non_null(strstr(err.msg, "'a\\n\\x1b[2J\\x1b]0;pwned\\x07'"));
}

static void test_merges_line_is_escaped(void **state) {
    (void)state;
    const char *vocab = vocab_with(""), merges[] = "k1 k2\nk1 \x1b[31mk2\r\n";
    cllm_error err = {0};
    assert_null(cllm_tokenizer_from_gpt2(vocab, strlen(vocab), merges, strlen(merges), &err));
    assert_true(test_printable_line(err.msg));
    assert_non_null(strstr(err.msg, "'k1 \\x1b[31mk2'"));
}

static void test_our_json_token_is_escaped(void **state) {
    (void)state;
    const char json[] = "{\"type\": \"\\u001b[5mbpe\\n\"}";
    cllm_error err = {0};
    assert_null(cllm_tokenizer_from_json(json, strlen(json), &err));
    assert_true(test_printable_line(err.msg));
    assert_non_null(strstr(err.msg, "\\x1b[5mbpe\\n"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_json_token_is_escaped),
        cmocka_unit_test(test_merges_line_is_escaped),
        cmocka_unit_test(test_our_json_token_is_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
