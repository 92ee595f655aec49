/* test_runlog.c — log.jsonl → curves: values, the resume rules (repeated steps replaced, minutes carried over), a
 * growing file read in pieces, and malformed logs rejected with the line named. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cllm_runlog.h"
#include "support.h"

static const char two_runs[] =
    "{\"step\":0,\"val_loss\":5.5,\"val_bpb\":8,\"elapsed_s\":0}\n"
    "{\"step\":1,\"loss\":5.4,\"lr\":1e-3,\"grad_norm\":1,\"ms\":10,\"tokens_per_s\":100,\"elapsed_s\":30}\n"
    "{\"step\":2,\"loss\":5.0,\"lr\":1e-3,\"grad_norm\":1,\"ms\":10,\"tokens_per_s\":120,\"elapsed_s\":60}\n"
    "{\"step\":3,\"skipped\":1,\"elapsed_s\":80}\n" /* a non-finite step the trainer skipped: no point */
    "{\"step\":3,\"loss\":4.0,\"lr\":1e-3,\"grad_norm\":1,\"ms\":10,\"tokens_per_s\":120,\"elapsed_s\":90}\n"
    /* a resume from the checkpoint at step 2: step 3 is taken again, elapsed restarts */
    "\n"
    "{\"step\":3,\"loss\":4.5,\"lr\":1e-3,\"grad_norm\":1,\"ms\":10,\"tokens_per_s\":110,\"elapsed_s\":6}\n"
    "{\"step\":3,\"val_loss\":4.7,\"val_bpb\":6,\"elapsed_s\":12}\n"
    "{\"step\":3,\"end\":\"done\",\"elapsed_s\":12.5,\"eval_s\":1,\"skipped\":0}\n";

static void test_curves_and_resume(void **state) {
    (void)state;
    cllm_runlog log = {0};
    cllm_error err = {0};
    assert_int_equal(cllm_runlog_add_text(&log, two_runs, strlen(two_runs), NULL, &err), 0);
    assert_int_equal(log.n_train, 3); /* steps 1, 2 and the resumed 3 */
    assert_int_equal(log.train[2].step, 3);
    assert_true(fabs(log.train[2].loss - 4.5) < 1e-12);       /* the later run's value wins */
    assert_true(fabs(log.train[2].minutes - 1.6) < 1e-9);     /* (90 + 6) s: the first invocation's time carried */
    assert_true(fabs(log.train[0].tokens_per_s - 100) < 1e-9);
    assert_int_equal(log.n_val, 2);
    assert_true(fabs(log.val[0].loss - 5.5) < 1e-12);
    assert_true(fabs(log.val[1].minutes - 1.7) < 1e-9);
    cllm_runlog_free(&log);
    assert_null(log.train);
}

/* A file tailed while it grows: the unfinished line is left for the next call. */
static void test_partial_line_waits(void **state) {
    (void)state;
    cllm_runlog log = {0};
    size_t n = strlen(two_runs), cut = 150, used = 0;
    assert_int_equal(cllm_runlog_add_text(&log, two_runs, cut, &used, NULL), 0);
    assert_true(used <= cut && used > 0 && two_runs[used - 1] == '\n');
    size_t before = log.n_train + log.n_val;
    assert_int_equal(cllm_runlog_add_text(&log, two_runs + used, n - used, NULL, NULL), 0);
    assert_true(log.n_train + log.n_val > before);
    assert_int_equal(log.n_train, 3);
    assert_int_equal(log.n_val, 2);
    cllm_runlog_free(&log);
}

static void expect_bad(const char *text, const char *needle) {
    cllm_runlog log = {0};
    cllm_error err = {0};
    assert_int_equal(cllm_runlog_add_text(&log, text, strlen(text), NULL, &err), CLLM_ERR_FORMAT);
    if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
    cllm_runlog_free(&log);
}

static void test_malformed_lines(void **state) {
    (void)state;
    expect_bad("{\"step\":1,\"loss\":2}\n{\"step\":2,\"loss\":\n", "line 2");
    expect_bad("[1,2]\n", "step");
    expect_bad("{\"step\":-1,\"loss\":2}\n", "step");
    expect_bad("{\"step\":1.5,\"loss\":2}\n", "step");
    expect_bad("{\"step\":1}\n", "neither");
    expect_bad("{\"step\":1,\"loss\":\"x\"}\n", "neither");
    expect_bad("\x01\xff garbage\n", "line 1");
}

static void test_read_dir_and_errors(void **state) {
    (void)state;
    const char *dir = test_path("run");
    mkdir(dir, 0755);
    char file[512];
    snprintf(file, sizeof file, "%s/log.jsonl", dir);
    cllm_runlog log = {0};
    cllm_error err = {0};
    assert_int_equal(cllm_runlog_read(dir, &log, &err), CLLM_ERR_IO); /* no log yet */
    test_write_file(file, "", 0);
    assert_int_equal(cllm_runlog_read(dir, &log, &err), CLLM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "no training"));
    test_write_file(file, two_runs, strlen(two_runs));
    assert_int_equal(cllm_runlog_read(dir, &log, &err), 0);
    assert_int_equal(log.n_train, 3);
    assert_int_equal(cllm_runlog_read(file, &log, &err), 0); /* the file itself, log emptied first */
    assert_int_equal(log.n_train, 3);
    const char *bad = "{\"step\":1,\"loss\":2}\nnot json\n";
    test_write_file(file, bad, strlen(bad));
    assert_int_equal(cllm_runlog_read(dir, &log, &err), CLLM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "log.jsonl: line 2"));
    cllm_runlog_free(&log);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curves_and_resume),
        cmocka_unit_test(test_partial_line_waits),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_read_dir_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
