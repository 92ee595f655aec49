/* test_corpus_files.c — the one corpus walker's public face: regular files in name order, recursively; hidden
 * entries, symlinked directories and non-regular files left out; a named file taken as is; a missing path an
 * error naming it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_data.h"
#include "support.h"

static void test_walk_order_and_exclusions(void **state) {
    (void)state;
    const char *root = test_tmpdir();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/corpus", root);
    assert_int_equal(test_system("mkdir -p '%s/b/deep' '%s/a' '%s/.git' && mkfifo '%s/a/pipe' && "
                                 "ln -s '%s/b' '%s/link' && ln -s '%s/b/x.txt' '%s/filelink'",
                                 dir, dir, dir, dir, dir, dir, dir, dir), 0);
    const char *names[] = {"b/x.txt", "b/deep/y.txt", "a/z.txt", "a/.hidden", ".git/config", "top.txt", "B.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        test_write_file(p, "text\n", 5);
    }
    char extra[600];
    snprintf(extra, sizeof extra, "%s/top.txt", dir);
    const char *paths[] = {dir, extra};
    char **files = NULL;
    int n = 0;
    cllm_error err = {0};
    assert_int_equal(cllm_corpus_files(paths, 2, &files, &n, &err), 0);
    /* name order (bytes: uppercase first), depth first; the symlinked file is a regular file, the symlinked
     * directory, the fifo and the hidden entries are not walked; the named file comes after, as given */
    const char *want[] = {"B.txt", "a/z.txt", "b/deep/y.txt", "b/x.txt", "filelink", "top.txt"};
    assert_int_equal(n, 7);
    for (int i = 0; i < 6; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", dir, want[i]);
        assert_string_equal(files[i], p);
    }
    assert_string_equal(files[6], extra);
    cllm_corpus_files_free(files, n);
}

static void test_missing_path_is_an_error(void **state) {
    (void)state;
    const char *paths[] = {test_tmpdir(), "/nonexistent/corpus"};
    char **files = (char **)1;
    int n = -1;
    cllm_error err = {0};
    assert_int_equal(cllm_corpus_files(paths, 2, &files, &n, &err), CLLM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/corpus"));
    assert_true(files == (char **)1 && n == -1); /* untouched on failure */
    cllm_corpus_files_free(NULL, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_order_and_exclusions),
        cmocka_unit_test(test_missing_path_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
