/* test_shard.c — shards round-trip, span several files as one stream, and a damaged shard is refused with an
 * error that names the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_data.h"
#include "support.h"

/* Writes a shard of ids first, first+1, ... (mod vocab) and returns its path. */
static const char *write_shard(const char *name, int vocab, int32_t first, size_t n) {
    const char *path = test_path(name);
    cllm_error err = {0};
    cllm_shard_writer *w = cllm_shard_writer_open(path, vocab, -1, &err);
    assert_non_null(w);
    for (size_t i = 0; i < n; i++) {
        int32_t id = (int32_t)((first + (int64_t)i) % vocab);
        assert_int_equal(cllm_shard_writer_append(w, &id, 1, &err), 0);
    }
    cllm_shard_writer_end_document(w);
    assert_int_equal(cllm_shard_writer_count(w), n);
    assert_int_equal(cllm_shard_writer_close(w, &err), 0);
    return path;
}

static void test_crc32_check_value(void **state) {
    (void)state;
    assert_int_equal(cllm_crc32(0, "123456789", 9), 0xCBF43926u); /* the standard CRC-32 check value */
    uint32_t part = cllm_crc32(cllm_crc32(0, "12345", 5), "6789", 4);
    assert_int_equal(part, 0xCBF43926u);
}

static void test_round_trip_both_widths(void **state) {
    (void)state;
    int vocabs[] = {256, 70000};
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "rt%d.bin", k);
        size_t n = 3 * (1 << 20) / 2 + 7; /* crosses the writer's 1 MiB buffer and the checker's chunks */
        const char *path = write_shard(name, vocabs[k], 5, n);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, CLLM_SHARD_HEADER_BYTES + n * (vocabs[k] <= 65536 ? 2 : 4));
        cllm_error err = {0};
        cllm_shards *s = cllm_shards_open(&path, 1, NULL, &err);
        assert_non_null(s);
        assert_int_equal(cllm_shards_count(s), n);
        assert_int_equal(cllm_shards_vocab_size(s), vocabs[k]);
        assert_int_equal(cllm_shards_eot(s), -1);
        int32_t buf[100];
        cllm_shards_read(s, n - 100, buf, 100);
        for (int i = 0; i < 100; i++) assert_int_equal(buf[i], (5 + (int64_t)(n - 100 + i)) % vocabs[k]);
        cllm_shards_close(s);
    }
}

static void test_directory_is_one_stream(void **state) {
    (void)state;
    assert_int_equal(test_system("mkdir -p %s", test_path("set")), 0);
    write_shard("set/train-00000.bin", 1000, 0, 300);
    write_shard("set/train-00001.bin", 1000, 300, 0); /* an empty shard in the middle is harmless */
    write_shard("set/train-00002.bin", 1000, 300, 500);
    write_shard("set/val-00000.bin", 1000, 7, 10);
    cllm_error err = {0};
    const char *dir = test_path("set");
    cllm_shards *s = cllm_shards_open(&dir, 1, "train", &err);
    assert_non_null(s);
    assert_int_equal(cllm_shards_files(s), 3);
    assert_int_equal(cllm_shards_count(s), 800);
    int32_t buf[800];
    cllm_shards_read(s, 0, buf, 800);
    for (int i = 0; i < 800; i++) assert_int_equal(buf[i], i);
    cllm_shards_read(s, 290, buf, 20); /* across the boundary */
    for (int i = 0; i < 20; i++) assert_int_equal(buf[i], 290 + i);
    cllm_shards_close(s);
    s = cllm_shards_open(&dir, 1, "val", &err);
    assert_non_null(s);
    assert_int_equal(cllm_shards_count(s), 10);
    cllm_shards_close(s);
    assert_null(cllm_shards_open(&dir, 1, "test", &err));
    assert_non_null(strstr(err.msg, "no test-*.bin shards"));
}

/* Opens path expecting failure; the message must name the file and contain `what`. */
static void expect_rejected(const char *path, const char *what) {
    cllm_error err = {0};
    cllm_shards *s = cllm_shards_open(&path, 1, NULL, &err);
    if (s) fail_msg("%s was accepted (expected: %s)", path, what);
    assert_int_equal(err.code, CLLM_ERR_FORMAT);
    if (!strstr(err.msg, path) || !strstr(err.msg, what)) fail_msg("message [%s] lacks [%s]", err.msg, what);
}

static void patch(const char *path, long offset, const void *bytes, size_t n) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_damaged_shards_are_rejected(void **state) {
    (void)state;
    const char *p = write_shard("trunc.bin", 300, 0, 1000);
    assert_int_equal(truncate(p, CLLM_SHARD_HEADER_BYTES + 2 * 1000 - 2), 0);
    expect_rejected(p, "truncated");
    p = write_shard("short.bin", 300, 0, 10);
    assert_int_equal(truncate(p, 20), 0);
    expect_rejected(p, "truncated");
    p = write_shard("flip.bin", 300, 0, 1000);
    patch(p, CLLM_SHARD_HEADER_BYTES + 777, "\x55", 1);
    expect_rejected(p, "CRC-32");
    p = write_shard("magic.bin", 300, 0, 10);
    patch(p, 0, "GGUF", 4);
    expect_rejected(p, "bad magic");
    p = write_shard("version.bin", 300, 0, 10);
    patch(p, 8, "\x09", 1);
    expect_rejected(p, "version");
    /* ids up to 299 with a valid CRC, but the header claims a vocabulary of 200 */
    p = write_shard("vocab.bin", 300, 0, 1000);
    patch(p, 28, "\xC8\x00\x00\x00", 4);
    expect_rejected(p, "outside the vocabulary");
    /* one bad file fails the whole set */
    assert_int_equal(test_system("mkdir -p %s && cp %s %s", test_path("mixed"), test_path("flip.bin"),
                                 test_path("mixed/train-00001.bin")), 0);
    write_shard("mixed/train-00000.bin", 300, 0, 10);
    cllm_error err = {0};
    const char *dir = test_path("mixed");
    assert_null(cllm_shards_open(&dir, 1, "train", &err));
    assert_non_null(strstr(err.msg, "train-00001.bin"));
}

static void test_writer_refuses_out_of_range_ids(void **state) {
    (void)state;
    cllm_error err = {0};
    cllm_shard_writer *w = cllm_shard_writer_open(test_path("range.bin"), 256, -1, &err);
    assert_non_null(w);
    int32_t ids[] = {1, 2, 256};
    assert_int_equal(cllm_shard_writer_append(w, ids, 3, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "256"));
    cllm_shard_writer_abort(w);
    assert_int_not_equal(access(test_path("range.bin"), F_OK), 0); /* nothing appeared */
}

/* The separator id and the document count survive the round trip; mixing tokenizers in one set is refused. */
static void test_eot_recorded_and_mixing_refused(void **state) {
    (void)state;
    assert_int_equal(test_system("mkdir -p %s", test_path("eot")), 0);
    cllm_error err = {0};
    cllm_shard_writer *w = cllm_shard_writer_open(test_path("eot/train-00000.bin"), 300, 299, &err);
    assert_non_null(w);
    int32_t ids[] = {5, 6, 299, 7, 299};
    assert_int_equal(cllm_shard_writer_append(w, ids, 5, &err), 0);
    cllm_shard_writer_end_document(w);
    cllm_shard_writer_end_document(w);
    assert_int_equal(cllm_shard_writer_close(w, &err), 0);
    const char *path = test_path("eot/train-00000.bin");
    cllm_shards *s = cllm_shards_open(&path, 1, NULL, &err);
    assert_non_null(s);
    assert_int_equal(cllm_shards_eot(s), 299);
    cllm_shards_close(s);
    cllm_mapped_file m;
    assert_int_equal(cllm_mapped_file_open(path, &m, &err), 0);
    assert_int_equal(m.data[40], 2); /* documents, u64 at offset 40 */
    cllm_mapped_file_close(&m);
    write_shard("eot/train-00001.bin", 300, 0, 10); /* same vocabulary, no separator */
    const char *dir = test_path("eot");
    assert_null(cllm_shards_open(&dir, 1, "train", &err));
    assert_non_null(strstr(err.msg, "different tokenizers"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_round_trip_both_widths),
        cmocka_unit_test(test_directory_is_one_stream),
        cmocka_unit_test(test_damaged_shards_are_rejected),
        cmocka_unit_test(test_writer_refuses_out_of_range_ids),
        cmocka_unit_test(test_eot_recorded_and_mixing_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
