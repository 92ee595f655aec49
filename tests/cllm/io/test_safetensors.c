/* test_safetensors.c — safetensors write → read round trips bit-exactly, writes are atomic, and every kind of
 * malformed header built by hand is refused with one line naming the file and the problem. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cllm_safetensors.h"
#include "support.h"

/* ---------------------------------------------------------------------------------------------------------------
 * round trip */

static const uint16_t f16_bits[8] = {0x3c00, 0xc000, 0x0001, 0x7c00, 0x7bff, 0x8000, 0x03ff, 0xfc00};
static const float f16_vals[8] = {1.0f, -2.0f, 0x1p-24f, INFINITY, 65504.0f, -0.0f, 1023 * 0x1p-24f, -INFINITY};

static void test_round_trip_bit_exact(void **state) {
    (void)state;
    uint64_t rng = 42;
    float wte[12], scalar = -0.0f, empty[1];
    for (int i = 0; i < 12; i++) wte[i] = (float)test_rand_uniform(&rng);
    uint16_t bf16[4] = {0x3f80, 0xc049, 0x7fc0, 0x0001}; /* 1, -3.140625, NaN, smallest subnormal */
    double f64[3] = {0.1, -1e300, 5e-324};
    int64_t i64[2] = {INT64_MIN, 1234567890123LL};
    int32_t i32[6] = {1, -2, 3, -4, 5, INT32_MAX};
    uint8_t u8[7] = {0, 1, 2, 127, 128, 254, 255}; /* 7 bytes: what follows is unaligned */
    cllm_st_tensor in[] = {
        {"wte", CLLM_DT_F32, 2, {3, 4}, wte, sizeof wte},
        {"h.0.ln_1.bias", CLLM_DT_F16, 1, {8}, f16_bits, sizeof f16_bits},
        {"empty", CLLM_DT_F32, 2, {0, 5}, empty, 0},
        {"u8", CLLM_DT_U8, 1, {7}, u8, sizeof u8},
        {"bf16", CLLM_DT_BF16, 2, {2, 2}, bf16, sizeof bf16},
        {"f64", CLLM_DT_F64, 1, {3}, f64, sizeof f64},
        {"i64", CLLM_DT_I64, 1, {2}, i64, sizeof i64},
        {"i32", CLLM_DT_I32, 3, {2, 1, 3}, i32, sizeof i32},
        {"scalar", CLLM_DT_F32, 0, {0}, &scalar, sizeof scalar},
    };
    const int n = (int)(sizeof in / sizeof in[0]);
    const char *keys[] = {"format", "note", "tokenizer"};
    const char *vals[] = {"pt", "grüße ✓", "{\"vocab\": [\"a\\n\", \"\\\"q\\\"\"],\n \"eot\": 50256}"};
    const char *path = test_path("round.safetensors");
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write(path, in, n, keys, vals, 3, &err), 0);

    cllm_safetensors *st = cllm_safetensors_open(path, &err);
    assert_non_null(st);
    assert_int_equal(cllm_safetensors_count(st), n);
    for (int i = 0; i < n; i++) {
        const cllm_st_tensor *t = cllm_safetensors_get(st, i);
        assert_string_equal(t->name, in[i].name); /* file order is write order */
        assert_ptr_equal(cllm_safetensors_find(st, in[i].name), t);
        assert_int_equal(t->dtype, in[i].dtype);
        assert_int_equal(t->ndim, in[i].ndim);
        for (int d = 0; d < t->ndim; d++) assert_int_equal(t->shape[d], in[i].shape[d]);
        assert_int_equal(t->nbytes, in[i].nbytes);
        if (t->nbytes) assert_memory_equal(t->data, in[i].data, t->nbytes);
    }
    assert_null(cllm_safetensors_get(st, n));
    assert_null(cllm_safetensors_get(st, -1));
    assert_null(cllm_safetensors_find(st, "wt"));
    const cllm_st_tensor *t32 = cllm_safetensors_find(st, "i32");
    assert_ptr_equal(cllm_safetensors_expect(st, "i32", 3, (int64_t[]){2, 1, 3}, &err), t32);
    assert_null(cllm_safetensors_expect(st, "i32", 3, (int64_t[]){2, 3, 1}, &err));
    assert_int_equal(err.code, CLLM_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "round.safetensors: tensor 'i32' has shape [2, 1, 3], expected [2, 3, 1]"));
    assert_null(cllm_safetensors_expect(st, "scalar", 1, (int64_t[]){1}, &err));
    assert_non_null(strstr(err.msg, "has shape [], expected [1]"));
    assert_null(cllm_safetensors_expect(st, "wpe", 2, (int64_t[]){3, 4}, &err));
    assert_non_null(strstr(err.msg, "tensor 'wpe' is missing"));
    assert_int_equal(cllm_safetensors_meta_count(st), 3);
    for (int i = 0; i < 3; i++) {
        const char *k, *v;
        assert_int_equal(cllm_safetensors_meta_at(st, i, &k, &v), 0);
        assert_string_equal(k, keys[i]);
        assert_string_equal(v, vals[i]);
        assert_string_equal(cllm_safetensors_meta(st, keys[i]), vals[i]);
    }
    assert_null(cllm_safetensors_meta(st, "absent"));

    /* conversions to float, on data that is unaligned ("bf16" follows 7 bytes of u8) */
    float out[12];
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "wte"), out, 12, &err), 0);
    assert_memory_equal(out, wte, sizeof wte);
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "h.0.ln_1.bias"), out, 8, &err), 0);
    assert_memory_equal(out, f16_vals, sizeof f16_vals); /* bit-exact, -0 included */
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "bf16"), out, 4, &err), 0);
    assert_true(out[0] == 1.0f && out[1] == -3.140625f && isnan(out[2]) && out[3] == 0x1p-133f);
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "f64"), out, 3, &err), 0);
    assert_true(out[0] == 0.1f && isinf(out[1]) && out[1] < 0 && out[2] == 0.0f);
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "empty"), out, 0, &err), 0);
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "wte"), out, 11, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "'wte' has 12 elements"));
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "i32"), out, 6, &err), CLLM_ERR_STATE);
    assert_non_null(strstr(err.msg, "I32"));
    cllm_safetensors_close(st);

    /* the header is padded with spaces to a multiple of 8, so the data starts 8-byte aligned */
    size_t size;
    uint8_t *raw = cllm_file_read_all(path, &size, &err);
    assert_non_null(raw);
    uint64_t hlen;
    memcpy(&hlen, raw, 8);
    assert_int_equal(hlen % 8, 0);
    assert_true(hlen + 8 <= size);
    size_t last = (size_t)hlen + 7;
    while (raw[last] == ' ') last--;
    assert_int_equal(raw[last], '}');
    assert_true(hlen + 8 - last - 1 < 8);
    free(raw);
}

static void test_empty_file_round_trip(void **state) {
    (void)state;
    const char *path = test_path("none.safetensors");
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write(path, NULL, 0, NULL, NULL, 0, &err), 0);
    cllm_safetensors *st = cllm_safetensors_open(path, &err);
    assert_non_null(st);
    assert_int_equal(cllm_safetensors_count(st), 0);
    assert_int_equal(cllm_safetensors_meta_count(st), 0);
    assert_null(cllm_safetensors_find(st, "x"));
    cllm_safetensors_close(st);
    cllm_safetensors_close(NULL);
}

/* ---------------------------------------------------------------------------------------------------------------
 * writer errors */

static int tmp_files_left(void) {
    DIR *d = opendir(test_tmpdir());
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_write_rejects_bad_arguments(void **state) {
    (void)state;
    float x[4] = {0};
    const char *path = test_path("never.safetensors");
    cllm_error err = {0};
    struct { cllm_st_tensor t[2]; int n; const char *want; } cases[] = {
        {{{"a", CLLM_DT_F32, 1, {4}, x, 16}, {"a", CLLM_DT_F32, 1, {4}, x, 16}}, 2, "given twice"},
        {{{"a", CLLM_DT_F32, 1, {4}, x, 12}}, 1, "need 16"},
        {{{"a", CLLM_DT_F32, 1, {-4}, x, 16}}, 1, "bad shape"},
        {{{"a", CLLM_DT_F32, 9, {1, 1, 1, 1, 1, 1, 1, 1}, x, 4}}, 1, "bad shape"},
        {{{"a", CLLM_DT_COUNT, 1, {4}, x, 16}}, 1, "not a cllm_dtype"},
        {{{"__metadata__", CLLM_DT_F32, 1, {4}, x, 16}}, 1, "reserved"},
        {{{"bad\xff", CLLM_DT_F32, 1, {4}, x, 16}}, 1, "UTF-8"},
        {{{NULL, CLLM_DT_F32, 1, {4}, x, 16}}, 1, "no name"},
        {{{"a", CLLM_DT_F32, 1, {4}, NULL, 16}}, 1, "NULL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(cllm_safetensors_write(path, cases[i].t, cases[i].n, NULL, NULL, 0, &err), CLLM_ERR_ARG);
        if (!strstr(err.msg, cases[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
    }
    const char *k2[] = {"k", "k"}, *v2[] = {"1", "2"}, *bad[] = {"\xc3\x28"};
    assert_int_equal(cllm_safetensors_write(path, NULL, 0, k2, v2, 2, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "given twice"));
    assert_int_equal(cllm_safetensors_write(path, NULL, 0, k2, bad, 1, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "UTF-8"));
    FILE *f = fopen(path, "rb");
    assert_null(f); /* nothing was created */
    assert_int_equal(tmp_files_left(), 0);
}

static void test_write_to_missing_directory_fails(void **state) {
    (void)state;
    float x = 1;
    cllm_st_tensor t = {"x", CLLM_DT_F32, 0, {0}, &x, 4};
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write("/nonexistent-dir/m.safetensors", &t, 1, NULL, NULL, 0, &err),
                     CLLM_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/m.safetensors"));
}

/* A write that fails half way (here: the file size limit, as a full disk would) leaves the old file intact and
 * no temporary behind. */
static void test_failed_write_keeps_old_file(void **state) {
    (void)state;
    const char *path = test_path("keep.safetensors");
    float small[4] = {1, 2, 3, 4};
    cllm_st_tensor t = {"w", CLLM_DT_F32, 1, {4}, small, sizeof small};
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write(path, &t, 1, NULL, NULL, 0, &err), 0);

    enum { BIG = 1 << 18 };
    float *big = calloc(BIG, sizeof *big);
    assert_non_null(big);
    cllm_st_tensor tb = {"w", CLLM_DT_F32, 1, {BIG}, big, BIG * sizeof *big};
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1 << 16; /* bytes; the header fits, the data does not */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of killing us */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = cllm_safetensors_write(path, &tb, 1, NULL, NULL, 0, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    free(big);
    assert_int_equal(rc, CLLM_ERR_IO);
    assert_non_null(strstr(err.msg, "write failed"));
    assert_int_equal(tmp_files_left(), 0);

    cllm_safetensors *st = cllm_safetensors_open(path, &err);
    assert_non_null(st);
    float out[4];
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "w"), out, 4, &err), 0);
    assert_memory_equal(out, small, sizeof small);
    cllm_safetensors_close(st);
}

/* ---------------------------------------------------------------------------------------------------------------
 * hostile files */

/* 8-byte length + header + data_len bytes of data (value 0xab), malloc'd to the exact size. */
static uint8_t *make_file(const char *header, size_t data_len, size_t *size) {
    size_t h = strlen(header);
    *size = 8 + h + data_len;
    uint8_t *buf = malloc(*size);
    assert_non_null(buf);
    uint64_t h64 = h;
    memcpy(buf, &h64, 8);
    memcpy(buf + 8, header, h);
    memset(buf + 8 + h, 0xab, data_len);
    return buf;
}

static void expect_rejected(const uint8_t *buf, size_t size, const char *want) {
    cllm_error err = {0};
    cllm_safetensors *st = cllm_safetensors_open_memory(buf, size, "hostile.st", &err);
    if (st) fail_msg("accepted a file that should fail with '%s'", want);
    assert_int_equal(err.code, CLLM_ERR_FORMAT);
    if (strncmp(err.msg, "hostile.st: ", 12) != 0 || !strstr(err.msg, want))
        fail_msg("message '%s' should name the file and contain '%s'", err.msg, want);
    assert_null(strchr(err.msg, '\n'));
}

static void expect_header_rejected(const char *header, size_t data_len, const char *want) {
    size_t size;
    uint8_t *buf = make_file(header, data_len, &size);
    expect_rejected(buf, size, want);
    free(buf);
}

static void test_rejects_bad_framing(void **state) {
    (void)state;
    uint8_t raw[64] = {0};
    expect_rejected(raw, 0, "too short");
    expect_rejected(raw, 7, "too short");
    uint64_t big = 1ULL << 40;
    memcpy(raw, &big, 8);
    expect_rejected(raw, sizeof raw, "absurd");
    big = 57; /* one more than the 56 bytes there are */
    memcpy(raw, &big, 8);
    expect_rejected(raw, sizeof raw, "exceeds");
    big = 0;
    memcpy(raw, &big, 8);
    expect_rejected(raw, 8, "not valid JSON");
    /* the same through a real file: the message names the path */
    const char *path = test_path("short.safetensors");
    test_write_file(path, raw, 5);
    cllm_error err = {0};
    assert_null(cllm_safetensors_open(path, &err));
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "too short"));
    assert_null(cllm_safetensors_open(test_path("missing.safetensors"), &err));
    assert_int_equal(err.code, CLLM_ERR_IO);
}

static void test_rejects_bad_json(void **state) {
    (void)state;
    expect_header_rejected("{\"a\": \xff\xfe}", 0, "not valid UTF-8");
    expect_header_rejected("{\"\xed\xa0\x80\": 1}", 0, "not valid UTF-8"); /* an encoded surrogate */
    expect_header_rejected("{\"\xc0\x80\": 1}", 0, "not valid UTF-8");     /* an overlong NUL */
    expect_header_rejected("{\"\xf4\x90\x80\x80\": 1}", 0, "not valid UTF-8"); /* above U+10FFFF */
    expect_header_rejected("{\"a\\ud800\": 1}", 0, "not valid JSON");    /* a lone surrogate escape */
    expect_header_rejected("not json", 0, "not valid JSON");
    expect_header_rejected("{\"a\": {}", 0, "not valid JSON");
    expect_header_rejected("{} {}", 0, "not valid JSON");
    expect_header_rejected("[1, 2]", 0, "not a JSON object");
    size_t size;
    uint8_t *nul = make_file("{\"aX\": 1}", 0, &size);
    nul[8 + 3] = 0; /* a raw NUL inside a name */
    expect_rejected(nul, size, "not valid JSON");
    free(nul);
    expect_header_rejected("{\"a\\u0000b\": 1}", 0, "not valid JSON");
    expect_header_rejected("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                           " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
                           8, "duplicate");
    expect_header_rejected("{\"a\": {\"dtype\": \"F32\", \"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}",
                           4,
                           "duplicate"); /* inside an entry too: a parser keeping either one reads differently */
    expect_header_rejected("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 99999999999999999999]}}",
                           4, "not valid JSON");
    /* deep nesting stops at the parser's depth limit instead of overflowing the stack */
    enum { DEPTH = 100000 };
    char *deep = malloc(2 * DEPTH + 8);
    assert_non_null(deep);
    strcpy(deep, "{\"a\":");
    memset(deep + 5, '[', DEPTH);
    memset(deep + 5 + DEPTH, ']', DEPTH);
    strcpy(deep + 5 + 2 * DEPTH, "}");
    expect_header_rejected(deep, 0, "not valid JSON");
    free(deep);
}

#define T(body) "{\"t\": " body "}"
static void test_rejects_bad_entries(void **state) {
    (void)state;
    expect_header_rejected(T("5"), 0, "'t': entry is not a JSON object");
    expect_header_rejected(T("{\"shape\": [1], \"data_offsets\": [0, 4]}"), 4, "'t': \"dtype\" is missing");
    expect_header_rejected(T("{\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 4]}"),
                           4, "\"dtype\" is missing or not");
    expect_header_rejected(T("{\"dtype\": \"F33\", \"shape\": [1], \"data_offsets\": [0, 4]}"),
                           4, "unknown dtype \"F33\"");
    expect_header_rejected(T("{\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}"), 4, "unknown dtype");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"data_offsets\": [0, 4]}"), 4, "\"shape\" is missing");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}"),
                           4, "\"shape\" is missing");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}"), 4, "shape[0] is not");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]}"), 4, "shape[0] is not");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1, \"2\"], \"data_offsets\": [0, 8]}"),
                           8, "shape[1] is not");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}"), 4,
                           "9 dimensions");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296],"
                             " \"data_offsets\": [0, 4]}"), 4, "overflows");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [9223372036854775807, 2], \"data_offsets\": [0, 4]}"), 4,
                           "overflows");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1]}"), 4, "\"data_offsets\" is missing");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}"),
                           4, "\"data_offsets\" is missing");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}"), 8, "[begin, end]");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [\"0\", \"4\"]}"), 4,
                           "not non-negative integers");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [-4, -4]}"), 4,
                           "not non-negative integers");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}"), 8, "begin 8 > end 4");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}"),
                           3, "beyond the data buffer");
    expect_header_rejected(T("{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}"), 4, "need 8");
    expect_header_rejected(T("{\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 8]}"), 8, "need 4");
}

static void test_rejects_bad_layout_and_metadata(void **state) {
    (void)state;
    expect_header_rejected("{\"a\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]},"
                           " \"b\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [4, 12]}}",
                           12, "tensors 'a' and 'b' overlap");
    expect_header_rejected("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]},"
                           " \"b\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}",
                           4, "overlap");
    expect_header_rejected("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]},"
                           " \"b\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [8, 12]}}",
                           12, "4 bytes before tensor 'b' belong to no tensor");
    expect_header_rejected("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [4, 8]}}", 8,
                           "4 bytes before tensor 'a'");
    expect_header_rejected("{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 8,
                           "last 4 bytes of the data buffer belong to no tensor");
    expect_header_rejected("{}", 1, "last 1 bytes");
    expect_header_rejected("{\"__metadata__\": [\"a\"]}", 0, "\"__metadata__\" is not a JSON object");
    expect_header_rejected("{\"__metadata__\": null}", 0, "\"__metadata__\" is not a JSON object");
    expect_header_rejected("{\"__metadata__\": {\"k\": 1}}", 0, "metadata \"k\" is not a string");
    expect_header_rejected("{\"__metadata__\": {\"k\": \"v\", \"n\": {\"x\": \"y\"}}}", 0, "metadata \"n\"");
    /* hostile names cannot break the one-line message or flood it */
    expect_header_rejected("{\"a\\nb\\u001b[31m\": 5}", 0, "'a\\nb\\x1b[31m'");
    char longname[2100] = "{\"";
    memset(longname + 2, 'x', 2000);
    strcpy(longname + 2002, "\": 5}");
    expect_header_rejected(longname, 0, "xxx...'");
    char wide[400] = "{\"";
    for (int i = 0; i < 100; i++) memcpy(wide + 2 + 3 * i, "\xe2\x9c\x93", 3); /* U+2713, 3 bytes each */
    strcpy(wide + 302, "\": 5}");
    expect_header_rejected(wide, 0, "\xe2\x9c\x93...'"); /* cut between characters, never inside one */
}
#undef T

/* What foreign writers may legally do: no padding (data unaligned), spaces around, unknown keys, any entry order,
 * a header entry for "__metadata__" after the tensors, empty tensors anywhere. */
static void test_accepts_unpadded_foreign_files(void **state) {
    (void)state;
    const char *header = "  {\"z\": {\"data_offsets\": [4, 12], \"shape\": [2], \"dtype\": \"F32\", \"extra\": [1]},"
                         " \"e\": {\"dtype\": \"F64\", \"shape\": [3, 0], \"data_offsets\": [4, 4]},"
                         " \"y\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [0, 4]},"
                         " \"__metadata__\": {\"format\": \"pt\"}}\t\n ";
    size_t size;
    uint8_t *buf = make_file(header, 12, &size);
    float vals[2] = {1.5f, -2.25f};
    uint16_t bf[2] = {0x4040, 0xbf80}; /* 3, -1 */
    memcpy(buf + size - 8, vals, 8);
    memcpy(buf + size - 12, bf, 4);
    assert_int_not_equal((size - 8) % 4, 0); /* the F32 data really is unaligned */
    cllm_error err = {0};
    cllm_safetensors *st = cllm_safetensors_open_memory(buf, size, "foreign.st", &err);
    if (!st) fail_msg("%s", err.msg);
    assert_int_equal(cllm_safetensors_count(st), 3);
    assert_string_equal(cllm_safetensors_get(st, 0)->name, "y"); /* data order, not header order */
    assert_string_equal(cllm_safetensors_get(st, 1)->name, "e");
    assert_string_equal(cllm_safetensors_get(st, 2)->name, "z");
    assert_string_equal(cllm_safetensors_meta(st, "format"), "pt");
    float out[2];
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "z"), out, 2, &err), 0);
    assert_memory_equal(out, vals, sizeof vals);
    assert_int_equal(cllm_safetensors_read_f32(st, cllm_safetensors_find(st, "y"), out, 2, &err), 0);
    assert_true(out[0] == 3.0f && out[1] == -1.0f);
    cllm_safetensors_close(st);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_bit_exact),
        cmocka_unit_test(test_empty_file_round_trip),
        cmocka_unit_test(test_write_rejects_bad_arguments),
        cmocka_unit_test(test_write_to_missing_directory_fails),
        cmocka_unit_test(test_failed_write_keeps_old_file),
        cmocka_unit_test(test_rejects_bad_framing),
        cmocka_unit_test(test_rejects_bad_json),
        cmocka_unit_test(test_rejects_bad_entries),
        cmocka_unit_test(test_rejects_bad_layout_and_metadata),
        cmocka_unit_test(test_accepts_unpadded_foreign_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
