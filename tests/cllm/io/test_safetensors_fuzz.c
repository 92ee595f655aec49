/* test_safetensors_fuzz.c — a valid file, mutated thousands of ways (seeded): the reader either accepts it with
 * every tensor inside the buffer, or refuses it with one error line; and no truncation of a valid file opens.
 * Each mutant lives in a malloc'd buffer of its exact size, so under `make test SANITIZE=1` any read past the end
 * is caught by ASan rather than landing in a mapping's slack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_safetensors.h"
#include "support.h"

/* A small valid file from our writer, read back into memory; malloc'd, *size bytes. */
static uint8_t *valid_file(size_t *size) {
    float a[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
    uint16_t h[5] = {0x3c00, 0x7c00, 0x0001, 0x8000, 0x7e00};
    uint16_t bf[3] = {0x3f80, 0xff80, 0x7fc1};
    double d[2] = {1.0 / 3, -1e200};
    int32_t i[3] = {7, -8, 9};
    uint8_t u[3] = {1, 2, 3};
    cllm_st_tensor t[] = {
        {"a", CLLM_DT_F32, 2, {2, 3}, a, sizeof a}, {"h.0.w", CLLM_DT_F16, 1, {5}, h, sizeof h},
        {"u", CLLM_DT_U8, 1, {3}, u, sizeof u},     {"bf", CLLM_DT_BF16, 3, {1, 3, 1}, bf, sizeof bf},
        {"d", CLLM_DT_F64, 1, {2}, d, sizeof d},    {"z", CLLM_DT_F32, 2, {0, 4}, a, 0},
        {"i", CLLM_DT_I32, 1, {3}, i, sizeof i},
    };
    const char *k[] = {"format", "n"}, *v[] = {"pt", "12"};
    cllm_error err = {0};
    const char *path = test_path("fuzz-seed.safetensors");
    assert_int_equal(cllm_safetensors_write(path, t, 7, k, v, 2, &err), 0);
    uint8_t *buf = cllm_file_read_all(path, size, &err);
    assert_non_null(buf);
    return buf;
}

/* Opens buf and checks the outcome is one of the two allowed; returns 1 if accepted. */
static int open_and_check(const uint8_t *buf, size_t size) {
    cllm_error err = {0};
    cllm_safetensors *st = cllm_safetensors_open_memory(buf, size, "mutant", &err);
    if (!st) {
        assert_int_equal(err.code, CLLM_ERR_FORMAT);
        if (strncmp(err.msg, "mutant: ", 8) != 0 || strchr(err.msg, '\n')) fail_msg("bad message '%s'", err.msg);
        return 0;
    }
    uint64_t hlen;
    memcpy(&hlen, buf, 8);
    const uint8_t *data = buf + 8 + hlen, *end = buf + size;
    size_t covered = 0;
    float out[64];
    for (int i = 0; i < cllm_safetensors_count(st); i++) {
        const cllm_st_tensor *t = cllm_safetensors_get(st, i);
        const uint8_t *p = t->data;
        assert_true(p >= data && p <= end && t->nbytes <= (size_t)(end - p));
        assert_true(t->ndim >= 0 && t->ndim <= CLLM_ST_MAX_DIMS);
        size_t nb;
        assert_int_equal(cllm_st_shape_nbytes(t->dtype, t->ndim, t->shape, &nb), 0);
        assert_int_equal(nb, t->nbytes);
        assert_ptr_equal(cllm_safetensors_find(st, t->name), t);
        covered += t->nbytes;
        size_t count = t->nbytes / cllm_dtype_size(t->dtype);
        if (count <= 64) { /* touches every byte: ASan sees any overrun */
            int rc = cllm_safetensors_read_f32(st, t, out, count, &err);
            assert_true(rc == 0 || rc == CLLM_ERR_STATE);
        }
    }
    assert_int_equal(covered, (size_t)(end - data)); /* the tensors tile the data exactly */
    for (int i = 0; i < cllm_safetensors_meta_count(st); i++) {
        const char *k, *v;
        assert_int_equal(cllm_safetensors_meta_at(st, i, &k, &v), 0);
        assert_ptr_equal(cllm_safetensors_meta(st, k), v);
    }
    cllm_safetensors_close(st);
    return 1;
}

static void test_no_truncation_opens(void **state) {
    (void)state;
    size_t size;
    uint8_t *good = valid_file(&size);
    assert_int_equal(open_and_check(good, size), 1);
    for (size_t n = 0; n < size; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, good, n);
        if (open_and_check(cut, n)) fail_msg("a file truncated to %zu of %zu bytes opened", n, size);
        free(cut);
    }
    free(good);
}

/* Bytes that steer the JSON parser into interesting places more often than random bytes do. */
static const char json_bytes[] = "{}[]\":,0123456789-+.eE \\nu\x80\xff";

/* One random mutation of buf[0..*n) in place (buf has room for cap bytes): flip bits, overwrite with JSON-ish
 * bytes, change the length prefix, delete or duplicate a run (shifting offsets), or truncate. */
static void mutate(uint8_t *buf, size_t *n, size_t cap, size_t hend, uint64_t *rng) {
    uint64_t r = test_rand(rng);
    size_t len = *n;
    if (len == 0) return;
    /* mostly hit the header (data bytes are accepted whatever they are), a quarter of the time the data */
    size_t lo = 0, hi = hend < len ? hend : len;
    if ((r & 3) == 0 && hend < len) lo = hend, hi = len;
    size_t pos = lo + (size_t)(test_rand(rng) % (hi - lo)), run = 1 + (size_t)(test_rand(rng) % 8);
    switch ((r >> 8) % 7) {
    case 0: buf[pos] ^= (uint8_t)(1u << (test_rand(rng) % 8)); break;
    case 1: buf[pos] = json_bytes[test_rand(rng) % (sizeof json_bytes - 1)]; break;
    case 2: buf[pos] = (uint8_t)test_rand(rng); break;
    case 3: buf[test_rand(rng) % 8 % len] = (uint8_t)test_rand(rng); break; /* the length prefix */
    case 4: /* delete a run */
        if (pos + run > len) run = len - pos;
        memmove(buf + pos, buf + pos + run, len - pos - run);
        *n = len - run;
        break;
    case 5: /* duplicate a run */
        if (pos + run > len) run = len - pos;
        if (len + run > cap) break;
        memmove(buf + pos + run, buf + pos, len - pos);
        *n = len + run;
        break;
    default: *n = (size_t)(test_rand(rng) % len); break; /* truncate */
    }
}

static void test_mutants_open_cleanly_or_fail_cleanly(void **state) {
    (void)state;
    size_t size;
    uint8_t *good = valid_file(&size);
    uint64_t hlen;
    memcpy(&hlen, good, 8);
    const size_t cap = size + 64;
    uint8_t *work = malloc(cap);
    assert_non_null(work);
    /* TEST_FUZZ_ITERATIONS / TEST_FUZZ_SEED run a longer or different campaign by hand; the default is quick. */
    const char *env_iters = getenv("TEST_FUZZ_ITERATIONS"), *env_seed = getenv("TEST_FUZZ_SEED");
    long iters = env_iters ? atol(env_iters) : 4000;
    uint64_t rng = env_seed ? strtoull(env_seed, NULL, 0) | 1 : 0x5eed5afe7e25ULL;
    int accepted = 0, rejected = 0;
    for (long iter = 0; iter < iters; iter++) {
        size_t n = size;
        memcpy(work, good, size);
        int rounds = 1 + (int)(test_rand(&rng) % 3);
        for (int m = 0; m < rounds; m++) mutate(work, &n, cap, 8 + (size_t)hlen, &rng);
        uint8_t *exact = malloc(n ? n : 1); /* exact size, so ASan flags any overrun */
        assert_non_null(exact);
        memcpy(exact, work, n);
        if (open_and_check(exact, n)) accepted++;
        else rejected++;
        free(exact);
    }
    print_message("accepted %d, rejected %d\n", accepted, rejected);
    /* both outcomes must really be exercised, or the loop proves nothing */
    assert_true(accepted > iters / 40);
    assert_true(rejected > iters / 4);
    free(work);
    free(good);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_truncation_opens),
        cmocka_unit_test(test_mutants_open_cleanly_or_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
