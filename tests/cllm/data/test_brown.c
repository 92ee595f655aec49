/* test_brown.c — Brown tagged text → plain text: a table of tagged inputs and the text a reader expects. */
#include <stdlib.h>
#include <string.h>

#include "cllm_data.h"
#include "support.h"

static const struct {
    const char *tagged;
    const char *text;
} cases[] = {
    /* tags with - $ * + stripped; possessives kept whole */
    {"\tThe/at Fulton/np-tl County/nn-tl said/vbd Atlanta's/np$ jury/nn did/dod not/* go/vb ./.",
     "The Fulton County said Atlanta's jury did not go.\n"},
    /* `` and '' become ASCII quotes glued inward; commas and periods glue left, and move inside a closing quote */
    {"``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd ./.",
     "\"Only a handful,\" the jury said.\n"},
    {"He/pps said/vbd ,/, ``/`` No/rb ,/, thanks/nns ''/'' ./.", "He said, \"No, thanks.\"\n"},
    {"``/`` Why/wrb ?/. ''/'' ;/. he/pps asked/vbd ./. ``/`` Go/vb ''/''", "\"Why?\"; he asked. \"Go\"\n"},
    /* brackets */
    {"a/at (/( big/jj )/) dog/nn ;/. yes/rb :/: no/rb !/. why/wrb ?/.", "a (big) dog; yes: no! why?\n"},
    /* sentences of a paragraph join with a space; a blank line starts a new paragraph (line) */
    {"\tOne/cd ./.\nTwo/cd ./.\n\n\n\tThree/cd ./.\n", "One. Two.\nThree.\n"},
    /* a headline line stands alone even without blank lines around it */
    {"Thirty-three/cd-hl\nScotty/np did/dod not/* go/vb ./.", "Thirty-three\nScotty did not go.\n"},
    /* single quotes alternate open/close; -- keeps its spaces */
    {"'/' Hi/uh '/' --/-- he/pps said/vbd", "'Hi' -- he said\n"},
    /* a word holding a slash keeps everything before the last one; no tag at all keeps the token */
    {"1/2/cd inch/nn and/cc plain", "1/2 inch and plain\n"},
    /* the sentence period after an abbreviation is not doubled */
    {"won/vbn by/in Ivan/np Allen/np Jr./np ./. Then/rb ./.", "won by Ivan Allen Jr. Then.\n"},
    /* empty and blank inputs give empty text */
    {"", ""},
    {"\n\n\t \n", ""},
    /* CRLF line ends and trailing spaces are tolerated */
    {"A/at b/nn ./.  \r\n\r\nC/np ./.\r\n", "A b.\nC.\n"},
};

static void test_brown_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cllm_error err = {0};
        size_t n = 12345;
        char *text = cllm_brown_to_text(cases[i].tagged, strlen(cases[i].tagged), &n, &err);
        assert_non_null(text);
        if (strcmp(text, cases[i].text) != 0)
            fail_msg("case %zu: got [%s] want [%s]", i, text, cases[i].text);
        assert_int_equal(n, strlen(cases[i].text));
        free(text);
    }
}

/* The CLI writes one document per input, documents separated by a blank line, and one file per input with
 * --out-dir. */
static void test_brown_cli_files(void **state) {
    (void)state;
    const char *a = "\tThe/at cat/nn sat/vbd ./.\n\n\tIt/pps slept/vbd ./.\n";
    const char *b = "A/at dog/nn ./.\n";
    test_write_file(test_path("ca01"), a, strlen(a));
    test_write_file(test_path("ca02"), b, strlen(b));
    const char *cllm = getenv("CLLM") ? getenv("CLLM") : "build/cllm";
    assert_int_equal(test_system("%s brown --out %s %s %s", cllm, test_path("all.txt"), test_path("ca01"),
                                 test_path("ca02")), 0);
    cllm_error err = {0};
    size_t n;
    char *all = (char *)cllm_file_read_all(test_path("all.txt"), &n, &err);
    assert_non_null(all);
    assert_string_equal(all, "The cat sat.\nIt slept.\n\nA dog.\n");
    free(all);
    assert_int_equal(test_system("mkdir -p %s && %s brown --out-dir %s %s %s", test_path("docs"), cllm,
                                 test_path("docs"), test_path("ca01"), test_path("ca02")), 0);
    char *one = (char *)cllm_file_read_all(test_path("docs/ca02.txt"), &n, &err);
    assert_non_null(one);
    assert_string_equal(one, "A dog.\n");
    free(one);
    /* a missing input is a one-line error with exit code 2 */
    assert_int_equal(test_system("%s brown --out %s %s 2>/dev/null", cllm, test_path("x.txt"),
                                 test_path("missing")), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brown_table),
        cmocka_unit_test(test_brown_cli_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
