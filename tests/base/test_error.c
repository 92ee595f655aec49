/* test_error.c — atomic writes leave either the old or the new file, never a torn one; maps read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_error.h"
#include "support.h"

static void test_atomic_write_replaces_and_abort_keeps_old(void **state) {
    (void)state;
    const char *path = test_path("atomic.bin");
    cllm_error err = {0};
    assert_int_equal(cllm_write_file_atomic(path, "old", 3, &err), 0);
    cllm_atomic_file *f = cllm_atomic_open(path, &err);
    assert_non_null(f);
    assert_int_equal(cllm_atomic_write(f, "newer", 5, &err), 0);
    cllm_atomic_abort(f); /* a crash before commit: the old content stays */
    cllm_mapped_file m;
    assert_int_equal(cllm_mapped_file_open(path, &m, &err), 0);
    assert_int_equal(m.size, 3);
    assert_memory_equal(m.data, "old", 3);
    cllm_mapped_file_close(&m);
    assert_int_equal(cllm_write_file_atomic(path, "newer", 5, &err), 0);
    size_t n;
    uint8_t *buf = cllm_file_read_all(path, &n, &err);
    assert_non_null(buf);
    assert_int_equal(n, 5);
    assert_string_equal((char *)buf, "newer");
    free(buf);
}

static void test_errors_name_the_file(void **state) {
    (void)state;
    cllm_error err = {0};
    cllm_mapped_file m;
    assert_int_not_equal(cllm_mapped_file_open("/nonexistent/dir/x.bin", &m, &err), 0);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.bin"));
    assert_int_equal(err.code, CLLM_ERR_IO);
    assert_null(cllm_atomic_open("/nonexistent/dir/y.bin", &err));
    assert_non_null(strstr(err.msg, "y.bin"));
}

static void test_escape_makes_one_printable_line(void **state) {
    (void)state;
    char out[64];
    /* newline, ESC sequence, backslash, a C1 control (U+009B, CSI), a stray continuation byte, then "é" kept */
    const char in[] = "a\n\x1b[31mb\\c\xc2\x9b" "d\x80" "e\xc3\xa9";
    assert_string_equal(cllm_escape(in, sizeof in - 1, out, sizeof out),
                        "a\\n\\x1b[31mb\\\\c\\xc2\\x9bd\\x80e\xc3\xa9");
    /* a cut never splits a character or an escape, and says so */
    char small[8];
    cllm_escape("abc\xc3\xa9\xc3\xa9xyz", 11, small, sizeof small);
    assert_string_equal(small, "abc...");
    cllm_escape("\x01\x02", 2, small, sizeof small);
    assert_string_equal(small, "\\x01...");
    assert_string_equal(cllm_escape("", 0, small, sizeof small), "");
}

static void test_error_messages_are_one_line(void **state) {
    (void)state;
    cllm_error err = {0};
    assert_int_equal(cllm_error_set(&err, CLLM_ERR_FORMAT, "token '%s' in %s", "x\ny\x1b]0;title\x07", "C:\\dir"),
                     CLLM_ERR_FORMAT);
    assert_true(test_printable_line(err.msg));
    assert_string_equal(err.msg, "token 'x\\ny\\x1b]0;title\\x07' in C:\\dir"); /* backslashes of the text kept */
    /* a path holding a newline, from the operating system's error path */
    cllm_mapped_file m;
    assert_int_not_equal(cllm_mapped_file_open("/nonexistent/a\nb.bin", &m, &err), 0);
    assert_true(test_printable_line(err.msg));
    assert_non_null(strstr(err.msg, "a\\nb.bin"));
}

/* A symlink planted at the old predictable temporary name (PATH.tmp.PID) is not followed: the file it points to
 * keeps its bytes, and the result has the usual permissions (issue 10, finding 7). */
static void test_atomic_write_ignores_planted_symlink(void **state) {
    (void)state;
    const char *victim = test_path("victim.txt"), *path = test_path("model.bin");
    test_write_file(victim, "precious", 8);
    char planted[4096];
    snprintf(planted, sizeof planted, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(symlink(victim, planted), 0);
    mode_t old = umask(027);
    cllm_error err = {0};
    assert_int_equal(cllm_write_file_atomic(path, "model", 5, &err), 0);
    umask(old);
    size_t n;
    uint8_t *buf = cllm_file_read_all(victim, &n, &err);
    assert_non_null(buf);
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "precious", 8);
    free(buf);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    unlink(planted);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_replaces_and_abort_keeps_old),
        cmocka_unit_test(test_errors_name_the_file),
        cmocka_unit_test(test_escape_makes_one_printable_line),
        cmocka_unit_test(test_error_messages_are_one_line),
        cmocka_unit_test(test_atomic_write_ignores_planted_symlink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
