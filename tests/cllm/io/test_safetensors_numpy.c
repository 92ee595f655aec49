/* test_safetensors_numpy.c — our files against an independent implementation: tests/support/safetensors_np.py
 * (numpy only, written from the format description) reads what C wrote, and C reads what numpy wrote, with equal
 * names, dtypes, shapes and values. Runs $PYTHON (make test sets it to a python3 with numpy); no skipping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cllm_safetensors.h"
#include "support.h"

static const char *support_dir = "tests/support"; /* the tests run from the repository root */

static const char *python(void) {
    const char *p = getenv("PYTHON");
    return p && *p ? p : "python3";
}

/* Fails the test unless $PYTHON can import numpy and our module is where we expect it. */
static void require_numpy(void) {
    if (access("tests/support/safetensors_np.py", R_OK) != 0)
        fail_msg("tests/support/safetensors_np.py not found: run the test from the repository root");
    if (test_system("'%s' -c 'import numpy' >/dev/null 2>&1", python()) != 0)
        fail_msg("'%s' cannot import numpy: set PYTHON to a python3 that has numpy (make test does)", python());
}

/* Writes text to a file in the scratch dir and runs it with $PYTHON, args appended; returns the exit status. */
static int run_python(const char *name, const char *text, const char *args) {
    const char *script = test_path(name);
    test_write_file(script, text, strlen(text));
    return test_system("'%s' '%s' '%s' %s", python(), script, support_dir, args);
}

/* The shared fixture values: k(i) = (37 i mod 101) - 50, floats k/8 — exact in F16, BF16, F32 and F64. */
static long k_of(size_t i) { return (long)(i * 37 % 101) - 50; }
static double value_of(size_t i) { return (double)k_of(i) / 8.0; }

/* Half-precision bits of v, for v = k/8 with |k| <= 50: normal halves with few significant bits, so exact. */
static uint16_t half_bits(double v) {
    if (v == 0) return 0;
    int e;
    double m = frexp(fabs(v), &e); /* |v| = m 2^e, m in [0.5, 1) = (2m) 2^(e-1) */
    uint16_t bits = (uint16_t)(((e - 1 + 15) << 10) | (int)((2 * m - 1) * 1024));
    return v < 0 ? (uint16_t)(bits | 0x8000) : bits;
}

static uint16_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)(u >> 16); /* exact for our values: at most 7 significant bits */
}

static const char c_to_numpy_check[] =
    "import sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import numpy as np\n"
    "import safetensors_np as st\n"
    "path = sys.argv[2]\n"
    "tensors, meta = st.load(path)\n"
    "header = st.load_header(path)\n"
    "k = lambda n: np.arange(n, dtype=np.int64) * 37 % 101 - 50\n"
    "expect = {  # name: (dtype in the file, numpy dtype loaded, shape, values)\n"
    "    'f32': ('F32', np.float32, (3, 5), k(15) / 8),\n"
    "    'f16': ('F16', np.float16, (4, 3), k(12) / 8),\n"
    "    'bf16': ('BF16', np.float32, (2, 3, 2), k(12) / 8),\n"
    "    'f64': ('F64', np.float64, (7,), k(7) / 8),\n"
    "    'i32': ('I32', np.int32, (2, 2), k(4)),\n"
    "    'i64': ('I64', np.int64, (3,), k(3) * 2**40 + np.arange(3)),\n"
    "    'u8': ('U8', np.uint8, (9,), np.arange(9) * 37 % 256),\n"
    "    'scalar': ('F32', np.float32, (), k(1) / 8),\n"
    "    'empty': ('F32', np.float32, (2, 0), np.zeros(0)),\n"
    "    'unicode \\u2713 name': ('F32', np.float32, (2,), k(2) / 8),\n"
    "}\n"
    "bad = []\n"
    "if list(tensors) != list(expect): bad.append(f'names/order {list(tensors)}')\n"
    "for name, (fdt, npdt, shape, vals) in expect.items():\n"
    "    a = tensors.get(name)\n"
    "    if a is None: continue\n"
    "    if header[name]['dtype'] != fdt: bad.append(f'{name}: dtype {header[name][\"dtype\"]}')\n"
    "    if a.dtype != npdt or a.shape != shape: bad.append(f'{name}: {a.dtype} {a.shape}')\n"
    "    elif not np.array_equal(a.reshape(-1), np.asarray(vals).reshape(-1)): bad.append(f'{name}: {a}')\n"
    "if meta != {'format': 'pt', 'note': 'gr\\u00fc\\u00dfe \\u2713 \"quoted\"\\n'}: bad.append(f'metadata {meta}')\n"
    "with open(path, 'rb') as f: n = int.from_bytes(f.read(8), 'little')\n"
    "if n % 8: bad.append(f'header length {n} is not a multiple of 8')\n"
    "print('\\n'.join(bad) or 'ok')\n"
    "sys.exit(1 if bad else 0)\n";

static void test_c_file_read_by_numpy(void **state) {
    (void)state;
    require_numpy();
    float f32[15], bf_vals[12], scalar = (float)value_of(0), u2[2] = {(float)value_of(0), (float)value_of(1)};
    uint16_t f16[12], bf16[12];
    double f64[7];
    int32_t i32[4];
    int64_t i64[3];
    uint8_t u8[9];
    for (size_t i = 0; i < 15; i++) f32[i] = (float)value_of(i);
    for (size_t i = 0; i < 12; i++) {
        f16[i] = half_bits(value_of(i));
        bf_vals[i] = (float)value_of(i);
        bf16[i] = bf16_bits(bf_vals[i]);
    }
    for (size_t i = 0; i < 7; i++) f64[i] = value_of(i);
    for (size_t i = 0; i < 4; i++) i32[i] = (int32_t)k_of(i);
    for (size_t i = 0; i < 3; i++) i64[i] = (int64_t)k_of(i) * (1LL << 40) + (int64_t)i;
    for (size_t i = 0; i < 9; i++) u8[i] = (uint8_t)(i * 37 % 256);
    cllm_st_tensor t[] = {
        {"f32", CLLM_DT_F32, 2, {3, 5}, f32, sizeof f32},      {"f16", CLLM_DT_F16, 2, {4, 3}, f16, sizeof f16},
        {"bf16", CLLM_DT_BF16, 3, {2, 3, 2}, bf16, sizeof bf16}, {"f64", CLLM_DT_F64, 1, {7}, f64, sizeof f64},
        {"i32", CLLM_DT_I32, 2, {2, 2}, i32, sizeof i32},      {"i64", CLLM_DT_I64, 1, {3}, i64, sizeof i64},
        {"u8", CLLM_DT_U8, 1, {9}, u8, sizeof u8},             {"scalar", CLLM_DT_F32, 0, {0}, &scalar, 4},
        {"empty", CLLM_DT_F32, 2, {2, 0}, f32, 0},
        {"unicode \xe2\x9c\x93 name", CLLM_DT_F32, 1, {2}, u2, 8},
    };
    const char *keys[] = {"format", "note"}, *vals[] = {"pt", "gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \"quoted\"\n"};
    const char *path = test_path("from_c.safetensors");
    cllm_error err = {0};
    assert_int_equal(cllm_safetensors_write(path, t, 10, keys, vals, 2, &err), 0);
    char args[4200];
    snprintf(args, sizeof args, "'%s'", path);
    assert_int_equal(run_python("check_c.py", c_to_numpy_check, args), 0);
}

static const char numpy_writer[] =
    "import sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import numpy as np\n"
    "import safetensors_np as st\n"
    "k = lambda n: np.arange(n, dtype=np.int64) * 37 % 101 - 50\n"
    "st.save(sys.argv[2], {\n"
    "    'f32': (k(20) / 8).astype(np.float32).reshape(4, 5),\n"
    "    'f16': (k(6) / 8).astype(np.float16),\n"
    "    'f16_special': np.array([np.inf, -np.inf, np.nan, 2**-24, 65504, -0.0, 1023 * 2**-24, 0.1], np.float16),\n"
    "    'bf16': st.BF16((k(8) / 8).astype(np.float32).reshape(2, 2, 2)),\n"
    "    'bf16_round': st.BF16(np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8 + 2**-20)], np.float32)),\n"
    "    'f64': k(3) / 8,\n"
    "    'i64': k(4) * 2**40,\n"
    "    'bool': np.array([True, False]),\n"
    "}, {'made_by': 'numpy', 'unicode': 'gr\\u00fc\\u00dfe \\u2713'})\n";

/* Expects tensor name with dtype dt and shape {d0, d1, d2} (ndim of them) in st, and its values as floats. */
static void expect_floats(const cllm_safetensors *st, const char *name, cllm_dtype dt, int ndim, const int64_t *shape,
                          float *out, size_t count) {
    const cllm_st_tensor *t = cllm_safetensors_find(st, name);
    if (!t) fail_msg("tensor '%s' missing", name);
    assert_int_equal(t->dtype, dt);
    assert_int_equal(t->ndim, ndim);
    for (int d = 0; d < ndim; d++) assert_int_equal(t->shape[d], shape[d]);
    cllm_error err = {0};
    if (cllm_safetensors_read_f32(st, t, out, count, &err)) fail_msg("%s", err.msg);
}

static void test_numpy_file_read_by_c(void **state) {
    (void)state;
    require_numpy();
    const char *path = test_path("from_numpy.safetensors");
    char args[4200];
    snprintf(args, sizeof args, "'%s'", path);
    assert_int_equal(run_python("write_np.py", numpy_writer, args), 0);
    cllm_error err = {0};
    cllm_safetensors *st = cllm_safetensors_open(path, &err);
    if (!st) fail_msg("%s", err.msg);
    assert_int_equal(cllm_safetensors_count(st), 8);
    float out[20];
    expect_floats(st, "f32", CLLM_DT_F32, 2, (int64_t[]){4, 5}, out, 20);
    for (size_t i = 0; i < 20; i++) assert_true(out[i] == (float)value_of(i));
    expect_floats(st, "f16", CLLM_DT_F16, 1, (int64_t[]){6}, out, 6);
    for (size_t i = 0; i < 6; i++) assert_true(out[i] == (float)value_of(i));
    expect_floats(st, "f16_special", CLLM_DT_F16, 1, (int64_t[]){8}, out, 8);
    assert_true(isinf(out[0]) && out[0] > 0 && isinf(out[1]) && out[1] < 0 && isnan(out[2]));
    assert_true(out[3] == 0x1p-24f && out[4] == 65504.0f && out[5] == 0.0f && signbit(out[5]));
    assert_true(out[6] == 1023 * 0x1p-24f && out[7] == 0.0999755859375f); /* the half nearest 0.1 */
    expect_floats(st, "bf16", CLLM_DT_BF16, 3, (int64_t[]){2, 2, 2}, out, 8);
    for (size_t i = 0; i < 8; i++) assert_true(out[i] == (float)value_of(i));
    expect_floats(st, "bf16_round", CLLM_DT_BF16, 1, (int64_t[]){3}, out, 3);
    assert_true(out[0] == 1.0f && out[1] == 1.015625f && out[2] == -1.0078125f); /* ties to even; above half up */
    expect_floats(st, "f64", CLLM_DT_F64, 1, (int64_t[]){3}, out, 3);
    for (size_t i = 0; i < 3; i++) assert_true(out[i] == (float)value_of(i));
    const cllm_st_tensor *t = cllm_safetensors_find(st, "i64");
    assert_non_null(t);
    assert_int_equal(t->dtype, CLLM_DT_I64);
    for (size_t i = 0; i < 4; i++) {
        int64_t v;
        memcpy(&v, (const uint8_t *)t->data + 8 * i, 8);
        assert_true(v == (int64_t)k_of(i) * (1LL << 40));
    }
    t = cllm_safetensors_find(st, "bool");
    assert_non_null(t);
    assert_int_equal(t->dtype, CLLM_DT_BOOL);
    assert_memory_equal(t->data, "\x01\x00", 2);
    assert_string_equal(cllm_safetensors_meta(st, "made_by"), "numpy");
    assert_string_equal(cllm_safetensors_meta(st, "unicode"), "gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93");
    cllm_safetensors_close(st);
}

/* ---------------------------------------------------------------------------------------------------------------
 * both readers agree on what is malformed */

static const char verdicts[] =
    "import sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import safetensors_np as st\n"
    "wrong = []\n"
    "for arg in sys.argv[2:]:\n"
    "    want, path = arg.split(':', 1)\n"
    "    try:\n"
    "        st.load(path)\n"
    "        got = 'good'\n"
    "    except ValueError as e:\n"
    "        got = 'bad'\n"
    "    if got != want: wrong.append(f'{path}: numpy says {got}, C says {want}')\n"
    "print('\\n'.join(wrong) or 'agree')\n"
    "sys.exit(1 if wrong else 0)\n";

#define U8(b, e) "{\"dtype\": \"U8\", \"shape\": [" #e "], \"data_offsets\": [" #b ", " #e "]}"
static const struct {
    const char *header; /* JSON text */
    size_t data_len;    /* bytes of data after it */
    int good;           /* 1 if both readers must accept it */
} agreement_cases[] = {
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [3, 7]}, \"b\": " U8(0, 3) "}", 7, 1},
    {"{}", 0, 1},
    {" {\"__metadata__\": {\"k\": \"v\"},"
     " \"e\": {\"dtype\": \"F16\", \"shape\": [0, 9], \"data_offsets\": [0, 0]}} ", 0, 1},
    {"{\"a\": " U8(0, 8) ", \"b\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [4, 12]}}", 12, 0},
    {"{\"a\": " U8(0, 4) ", \"b\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [8, 12]}}", 12, 0},
    {"{\"a\": " U8(0, 4) "}", 5, 0},
    {"{\"a\": " U8(0, 4) ", \"a\": " U8(0, 4) "}", 4, 0},
    {"{\"a\xff\": " U8(0, 4) "}", 4, 0},
    {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [-4], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [4.0], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 1]}}", 1, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 8]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"Q4\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": 1}", 0, 0},
    {"{\"__metadata__\": {\"k\": 1}}", 0, 0},
    {"{\"__metadata__\": null}", 0, 0},
    {"{\"a\\ud800\": " U8(0, 4) "}", 4, 0},
    {"{\"a\\u0000\": " U8(0, 4) "}", 4, 0},
    {"{\"__metadata__\": {\"k\": \"v\\u0000\"}}", 0, 0},
    {"{\"a\": {\"dtype\": [\"U8\"], \"shape\": [4], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [NaN], \"data_offsets\": [0, 4]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4], \"x\": [\"\\u0000\"]}}", 4, 0},
    {"{\"a\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4], \"x\": [[[{\"y\": 1}]]]}}", 4, 1},
    {"[]", 0, 0},
    {"{", 0, 0},
};
#undef U8

static void test_both_readers_agree_on_malformed_files(void **state) {
    (void)state;
    require_numpy();
    const int n = (int)(sizeof agreement_cases / sizeof agreement_cases[0]);
    char args[16384] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        const char *h = agreement_cases[i].header;
        size_t hl = strlen(h), size = 8 + hl + agreement_cases[i].data_len;
        uint8_t *buf = calloc(1, size);
        assert_non_null(buf);
        uint64_t h64 = hl;
        memcpy(buf, &h64, 8);
        memcpy(buf + 8, h, hl);
        char name[32];
        snprintf(name, sizeof name, "agree%02d.safetensors", i);
        const char *path = test_path(name);
        test_write_file(path, buf, size);
        free(buf);
        cllm_error err = {0};
        cllm_safetensors *st = cllm_safetensors_open(path, &err);
        int good = st != NULL;
        cllm_safetensors_close(st);
        if (good != agreement_cases[i].good) fail_msg("case %d: C says %s", i, good ? "good" : err.msg);
        used += (size_t)snprintf(args + used, sizeof args - used, " '%s:%s'", good ? "good" : "bad", path);
        assert_true(used < sizeof args);
    }
    assert_int_equal(run_python("verdicts.py", verdicts, args), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_file_read_by_numpy),
        cmocka_unit_test(test_numpy_file_read_by_c),
        cmocka_unit_test(test_both_readers_agree_on_malformed_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
