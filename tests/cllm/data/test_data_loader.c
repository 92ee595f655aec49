/* test_data_loader.c — batches are real windows of the stream, deterministic given the seed, and a saved loader
 * state continues the batch sequence bit-exactly; the eval iterator walks consecutive windows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_data.h"
#include "support.h"

enum { VOCAB = 251, B = 4, T = 16 };

/* Two shards holding ids i % VOCAB for stream positions i = 0..n-1, split at n/3. */
static cllm_shards *open_counting_stream(const char *dir, size_t n) {
    assert_int_equal(test_system("mkdir -p %s", test_path(dir)), 0);
    size_t cut = n / 3, pos = 0;
    for (int k = 0; k < 2; k++) {
        char name[256];
        snprintf(name, sizeof name, "%s/train-%05d.bin", dir, k);
        cllm_error err = {0};
        cllm_shard_writer *w = cllm_shard_writer_open(test_path(name), VOCAB, -1, &err);
        assert_non_null(w);
        for (size_t end = k == 0 ? cut : n; pos < end; pos++) {
            int32_t id = (int32_t)(pos % VOCAB);
            assert_int_equal(cllm_shard_writer_append(w, &id, 1, &err), 0);
        }
        assert_int_equal(cllm_shard_writer_close(w, &err), 0);
    }
    cllm_error err = {0};
    const char *path = test_path(dir);
    cllm_shards *s = cllm_shards_open(&path, 1, "train", &err);
    assert_non_null(s);
    assert_int_equal(cllm_shards_count(s), n);
    return s;
}

static void test_rows_are_windows_with_shifted_targets(void **state) {
    (void)state;
    cllm_shards *s = open_counting_stream("w", 5000);
    cllm_error err = {0};
    cllm_loader *ld = cllm_loader_new(s, B, T, 42, &err);
    assert_non_null(ld);
    int32_t in[B * T], tg[B * T];
    for (int step = 0; step < 50; step++) {
        cllm_loader_next(ld, in, tg);
        for (int i = 0; i < B * T; i++) {
            assert_int_equal(tg[i], (in[i] + 1) % VOCAB);
            if (i % T != T - 1) assert_int_equal(in[i + 1], tg[i]);
        }
    }
    assert_int_equal(cllm_loader_get_state(ld).batches, 50);
    cllm_loader_free(ld);
    cllm_shards_close(s);
}

/* Offsets cover the whole stream: the first and the last tenth both get drawn, and no window runs past the end.
 * In a stream of VOCAB tokens the id at a position is the position, so a row's first id is its offset. */
static void test_offsets_cover_the_stream(void **state) {
    (void)state;
    cllm_shards *s = open_counting_stream("c", VOCAB);
    cllm_error err = {0};
    cllm_loader *ld = cllm_loader_new(s, 1, T, 7, &err);
    assert_non_null(ld);
    int32_t in[T], tg[T];
    int seen_low = 0, seen_high = 0, span = VOCAB - T;
    for (int step = 0; step < 2000; step++) {
        cllm_loader_next(ld, in, tg);
        assert_true(in[0] >= 0 && in[0] < span);
        seen_low |= in[0] < span / 10;
        seen_high |= in[0] >= span - span / 10;
    }
    assert_true(seen_low && seen_high);
    cllm_loader_free(ld);
    cllm_shards_close(s);
}

static void test_deterministic_and_resumable(void **state) {
    (void)state;
    cllm_shards *s = open_counting_stream("d", 20000);
    cllm_error err = {0};
    cllm_loader *a = cllm_loader_new(s, B, T, 1234, &err), *b = cllm_loader_new(s, B, T, 1234, &err);
    cllm_loader *other = cllm_loader_new(s, B, T, 1235, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(other);
    int32_t ia[B * T], ta[B * T], ib[B * T], tb[B * T];
    int differs = 0;
    for (int step = 0; step < 10; step++) {
        cllm_loader_next(a, ia, ta);
        cllm_loader_next(b, ib, tb);
        assert_memory_equal(ia, ib, sizeof ia);
        assert_memory_equal(ta, tb, sizeof ta);
        cllm_loader_next(other, ib, tb);
        differs |= memcmp(ia, ib, sizeof ia) != 0;
    }
    assert_true(differs);

    /* save after 10 batches, record the next 10, restore into a fresh loader: the same 10 follow */
    cllm_loader_state saved = cllm_loader_get_state(a);
    int32_t expect[10][B * T];
    for (int step = 0; step < 10; step++) cllm_loader_next(a, expect[step], ta);
    cllm_loader *c = cllm_loader_new(s, B, T, 1234, &err);
    assert_non_null(c);
    cllm_loader_state copy;
    memcpy(&copy, &saved, sizeof copy); /* as a checkpoint would: plain bytes */
    assert_int_equal(cllm_loader_set_state(c, copy, &err), 0);
    for (int step = 0; step < 10; step++) {
        cllm_loader_next(c, ia, ta);
        assert_memory_equal(ia, expect[step], sizeof ia);
    }
    assert_int_equal(cllm_loader_get_state(c).batches, 20);
    /* a state from another seed is refused */
    assert_int_equal(cllm_loader_set_state(other, saved, &err), CLLM_ERR_STATE);
    cllm_loader_free(a);
    cllm_loader_free(b);
    cllm_loader_free(c);
    cllm_loader_free(other);
    cllm_shards_close(s);
}

static void test_too_short_stream_is_an_error(void **state) {
    (void)state;
    cllm_shards *s = open_counting_stream("short", 16);
    cllm_error err = {0};
    assert_null(cllm_loader_new(s, B, T, 1, &err)); /* 16 tokens, a window needs 17 */
    assert_int_equal(err.code, CLLM_ERR_ARG);
    cllm_loader *ld = cllm_loader_new(s, B, T - 1, 1, &err);
    assert_non_null(ld);
    cllm_loader_free(ld);
    cllm_shards_close(s);
}

static void test_window_iterator_walks_consecutively(void **state) {
    (void)state;
    size_t n = 1000;
    cllm_shards *s = open_counting_stream("it", n);
    cllm_window_iter it;
    cllm_window_iter_init(&it, s, T);
    int32_t in[B * T], tg[B * T];
    size_t rows = 0;
    int got;
    while ((got = cllm_window_iter_next(&it, B, in, tg)) > 0) {
        for (int r = 0; r < got; r++)
            for (int t = 0; t < T; t++) {
                size_t pos = (rows + (size_t)r) * T + (size_t)t;
                assert_int_equal(in[r * T + t], pos % VOCAB);
                assert_int_equal(tg[r * T + t], (pos + 1) % VOCAB);
            }
        rows += (size_t)got;
    }
    assert_int_equal(rows, (n - 1) / T); /* every complete window, the partial tail dropped */
    assert_int_equal(cllm_window_iter_next(&it, B, in, tg), 0);
    cllm_shards_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_are_windows_with_shifted_targets),
        cmocka_unit_test(test_offsets_cover_the_stream),
        cmocka_unit_test(test_deterministic_and_resumable),
        cmocka_unit_test(test_too_short_stream_is_an_error),
        cmocka_unit_test(test_window_iterator_walks_consecutively),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
