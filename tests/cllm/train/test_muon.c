/* test_muon.c — Muon: the Newton–Schulz iteration against a double-precision reference, the whole optimizer step
 * against a slow reference (Muon on the hidden matrices, AdamW on the rest), and a checkpoint that resumes it
 * bit-exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm.h"
#include "cllm_io.h"
#include "cllm_simd.h"
#include "support.h"

/* The speedrun's iteration in double with plain loops: X = G/‖G‖ (transposed when tall), then
 * X ← a·X + (b·A + c·A²)·X with A = X·Xᵀ. out is rows×cols. */
static void ns_reference(const float *G, int rows, int cols, int ld, int steps, double *out) {
    const double a = 3.4445f, b = -4.7750f, c = 2.0315f; /* the float constants, widened */
    int tall = rows > cols, p = tall ? cols : rows, q = tall ? rows : cols;
    double *X = malloc(sizeof(double) * p * q), *Y = malloc(sizeof(double) * p * q);
    double *A = malloc(sizeof(double) * p * p), *B = malloc(sizeof(double) * p * p);
    assert_true(X && Y && A && B);
    double ss = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) ss += (double)G[i * ld + j] * G[i * ld + j];
    double inv = 1.0 / (sqrt(ss) + 1e-7);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            if (tall) X[j * q + i] = G[i * ld + j] * inv;
            else X[i * q + j] = G[i * ld + j] * inv;
        }
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) {
                double d = 0;
                for (int k = 0; k < q; k++) d += X[i * q + k] * X[j * q + k];
                A[i * p + j] = d;
            }
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) {
                double d = 0;
                for (int k = 0; k < p; k++) d += A[i * p + k] * A[k * p + j];
                B[i * p + j] = b * A[i * p + j] + c * d;
            }
        for (int i = 0; i < p; i++)
            for (int j = 0; j < q; j++) {
                double d = 0;
                for (int k = 0; k < p; k++) d += B[i * p + k] * X[k * q + j];
                Y[i * q + j] = a * X[i * q + j] + d;
            }
        memcpy(X, Y, sizeof(double) * p * q);
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[i * cols + j] = tall ? X[j * q + i] : X[i * q + j];
    free(X); free(Y); free(A); free(B);
}

static double max_abs_diff(const float *x, const double *y, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - y[i]);
        if (!(d <= worst)) worst = isnan(d) ? INFINITY : d; /* fmax would drop a NaN */
    }
    return worst;
}

/* Wide, tall and square shapes, with a row stride wider than the matrix: the float iteration stays within 2e-5 of
 * the double one (entries are about 1/√min(rows, cols)), and the result is near-orthogonal: every diagonal entry of
 * X·Xᵀ (the squared row norms, for the wide case) lies in the iteration's band of singular values. */
static void test_newton_schulz_matches_double(void **state) {
    (void)state;
    const int shapes[][3] = {{8, 20, 24}, {20, 8, 8}, {16, 16, 16}, {24, 72, 72}, {96, 24, 30}};
    uint64_t seed = 11;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int rows = shapes[s][0], cols = shapes[s][1], ld = shapes[s][2], p = rows < cols ? rows : cols;
        float *G = malloc(sizeof(float) * rows * ld), *out = malloc(sizeof(float) * rows * cols);
        float *work = malloc(sizeof(float) * (2 * rows * cols + 2 * p * p));
        double *want = malloc(sizeof(double) * rows * cols);
        assert_true(G && out && work && want);
        for (int i = 0; i < rows * ld; i++) G[i] = (float)test_rand_uniform(&seed);
        cllm_newton_schulz(G, rows, cols, ld, 5, out, work);
        ns_reference(G, rows, cols, ld, 5, want);
        double diff = max_abs_diff(out, want, (size_t)rows * cols);
        if (diff > 2e-5) {
            print_error("%dx%d (ld %d): float and double iterations differ by %g\n", rows, cols, ld, diff);
            fail();
        }
        for (int i = 0; i < p; i++) { /* the i-th row (wide) or column (tall) of out: its squared norm */
            double n2 = 0;
            for (int k = 0; k < (rows < cols ? cols : rows); k++) {
                double v = rows < cols ? want[i * cols + k] : want[k * cols + i];
                n2 += v * v;
            }
            assert_true(n2 > 0.3 && n2 < 1.6);
        }
        free(G); free(out); free(work); free(want);
    }
}

/* The bf16 iteration written out with the scalar bf16 product (cllm_gemm_bf16_reference), in the library's order. */
static void ns_bf16_reference(const float *G, int rows, int cols, int ld, int steps, float *out) {
    int tall = rows > cols, p = tall ? cols : rows, q = tall ? rows : cols;
    float *X = malloc(sizeof(float) * p * q), *Y = malloc(sizeof(float) * p * q);
    float *A = malloc(sizeof(float) * p * p), *B = malloc(sizeof(float) * p * p);
    assert_true(X && Y && A && B);
    double ss = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) ss += (double)G[i * ld + j] * G[i * ld + j];
    float inv = (float)(1.0 / (sqrt(ss) + 1e-7));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) *(tall ? &X[j * q + i] : &X[i * q + j]) = G[i * ld + j] * inv;
    for (int s = 0; s < steps; s++) {
        cllm_gemm_bf16_reference(0, 1, p, p, q, X, q, X, q, 0, A, p);
        cllm_gemm_bf16_reference(0, 0, p, p, p, A, p, A, p, 0, B, p);
        for (int k = 0; k < p * p; k++) B[k] = 2.0315f * B[k] + -4.7750f * A[k];
        cllm_gemm_bf16_reference(0, 0, p, q, p, B, p, X, q, 0, Y, q);
        for (int k = 0; k < p * q; k++) Y[k] += 3.4445f * X[k];
        float *t = X; X = Y; Y = t;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[i * cols + j] = tall ? X[j * q + i] : X[i * q + j];
    free(X); free(Y); free(A); free(B);
}

/* --precision bf16's iteration: the same bits as the scalar bf16 reference (every dispatch level and thread count
 * give cllm_gemm_bf16's bits), not the fp32 iteration's bits (the bf16 path is taken), and within bf16's
 * precision of the double iteration (entries about 1/√min(rows, cols); bf16 keeps 8 bits). */
static void test_newton_schulz_bf16(void **state) {
    (void)state;
    const int shapes[][3] = {{8, 20, 24}, {20, 8, 8}, {24, 72, 72}, {96, 24, 30}};
    uint64_t seed = 12;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int rows = shapes[s][0], cols = shapes[s][1], ld = shapes[s][2], p = rows < cols ? rows : cols;
        float *G = malloc(sizeof(float) * rows * ld), *out = malloc(sizeof(float) * rows * cols);
        float *ref = malloc(sizeof(float) * rows * cols), *f32 = malloc(sizeof(float) * rows * cols);
        float *work = malloc(sizeof(float) * (2 * rows * cols + 2 * p * p));
        double *want = malloc(sizeof(double) * rows * cols);
        assert_true(G && out && ref && f32 && work && want);
        for (int i = 0; i < rows * ld; i++) G[i] = (float)test_rand_uniform(&seed);
        cllm_newton_schulz_bf16(G, rows, cols, ld, 5, out, work);
        ns_bf16_reference(G, rows, cols, ld, 5, ref);
        cllm_newton_schulz(G, rows, cols, ld, 5, f32, work);
        ns_reference(G, rows, cols, ld, 5, want);
        assert_memory_equal(out, ref, sizeof(float) * rows * cols);
        assert_true(memcmp(out, f32, sizeof(float) * rows * cols) != 0);
        double diff = max_abs_diff(out, want, (size_t)rows * cols);
        if (diff > 0.05) {
            print_error("%dx%d: bf16 and double iterations differ by %g\n", rows, cols, diff);
            fail();
        }
        free(G); free(out); free(ref); free(f32); free(work); free(want);
    }
}

static cllm_model *fixture(void) {
    cllm_config cfg = {.n_layer = 2, .n_head = 2, .n_embd = 24, .n_ctx = 8, .vocab_size = 50};
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(&cfg, &err);
    assert_non_null(m);
    assert_int_equal(cllm_model_reserve(m, 1, 8, &err), 0);
    return m;
}

/* Parameters and gradients from a fixed seed; the gradients change with the step so that momentum matters. */
static void fill(cllm_model *m, uint64_t seed, int params) {
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        for (size_t j = 0; j < t->numel; j++) {
            double x = test_rand_uniform(&seed), g = test_rand_uniform(&seed);
            if (params) t->data[j] = (float)x;
            t->grad[j] = (float)(g * g * g);
        }
    }
}

enum { STEPS = 3 };
static const float LR[STEPS] = {1e-3f, 3e-4f, 5e-3f};
static const float LR_SCALE = 20.0f, MOMENTUM = 0.95f;

/* Muon by its definition, in double: per column block, buf = μ·buf + g, u = g + μ·buf, θ -= lr·√max(1, out/in)·NS(u). */
static void muon_reference(const cllm_tensor *t, int blocks, double *theta, double *buf, float lr) {
    int rows = (int)t->shape[0], ld = (int)t->shape[1], cols = ld / blocks;
    float *u = malloc(sizeof(float) * rows * cols);
    double *o = malloc(sizeof(double) * rows * cols);
    assert_true(u && o);
    double scale = cols > rows ? sqrt((double)cols / rows) : 1.0;
    for (int b = 0; b < blocks; b++) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                size_t k = (size_t)i * ld + (size_t)b * cols + j;
                buf[k] = MOMENTUM * buf[k] + t->grad[k];
                u[i * cols + j] = (float)(t->grad[k] + MOMENTUM * buf[k]);
            }
        ns_reference(u, rows, cols, cols, 5, o);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) theta[(size_t)i * ld + (size_t)b * cols + j] -= lr * LR_SCALE * scale * o[i * cols + j];
    }
    free(u); free(o);
}

static void test_step_matches_reference(void **state) {
    (void)state;
    cllm_model *muon = fixture(), *plain = fixture();
    cllm_error err = {0};
    size_t n = cllm_model_num_params(muon);
    cllm_adamw om, oa;
    assert_int_equal(cllm_adamw_init(&om, muon, &err), 0);
    assert_int_equal(cllm_adamw_set_muon(&om, muon, LR_SCALE, MOMENTUM, 5, &err), 0);
    assert_int_equal(cllm_adamw_init(&oa, plain, &err), 0);
    fill(muon, 3, 1);
    fill(plain, 3, 1);
    double *theta = malloc(n * sizeof(double)), *buf = calloc(n, sizeof(double));
    assert_true(theta && buf);
    for (size_t j = 0; j < n; j++) theta[j] = cllm_model_params(muon)[j];
    int muon_tensors = 0;
    for (int s = 0; s < STEPS; s++) {
        fill(muon, 100 + s, 0);
        fill(plain, 100 + s, 0);
        for (int i = 0; i < cllm_model_tensor_count(muon); i++) {
            const cllm_tensor *t = cllm_model_tensor(muon, i);
            int blocks = cllm_muon_blocks(t);
            if (blocks) muon_reference(t, blocks, theta + t->offset, buf + t->offset, LR[s]);
            muon_tensors += s == 0 && blocks;
        }
        cllm_adamw_step(&om, muon, LR[s]);
        cllm_adamw_step(&oa, plain, LR[s]);
    }
    assert_int_equal(muon_tensors, 4 * 2); /* c_attn, attn.c_proj, c_fc, mlp.c_proj in each of 2 layers */
    for (int i = 0; i < cllm_model_tensor_count(muon); i++) {
        const cllm_tensor *t = cllm_model_tensor(muon, i), *u = cllm_model_tensor(plain, i);
        if (!cllm_muon_blocks(t)) { /* AdamW's tensors: the bits of plain AdamW */
            assert_memory_equal(t->data, u->data, t->numel * sizeof(float));
            continue;
        }
        double diff = max_abs_diff(t->data, theta + t->offset, t->numel);
        double mdiff = max_abs_diff(om.m + t->offset, buf + t->offset, t->numel), vmax = 0;
        for (size_t j = 0; j < t->numel; j++) vmax = fmax(vmax, fabs(om.v[t->offset + j]));
        if (diff > 1e-6 || mdiff > 1e-6 || vmax != 0) {
            print_error("%s: parameters differ by %g, momentum by %g, v %g\n", t->name, diff, mdiff, vmax);
            fail();
        }
        /* Muon moved it elsewhere than AdamW did, by far more than the tolerance: the comparison can fail */
        assert_true(fabs(t->data[0] - u->data[0]) > 1e-4);
    }
    free(theta); free(buf);
    cllm_adamw_free(&om);
    cllm_adamw_free(&oa);
    cllm_model_free(muon);
    cllm_model_free(plain);
}

/* A checkpoint taken after one Muon step restores the settings and momentum; the next step from it gives the bits
 * the uninterrupted run gives. */
static void test_checkpoint_resumes_bit_exact(void **state) {
    (void)state;
    cllm_model *m = fixture();
    cllm_error err = {0};
    cllm_adamw opt;
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, LR_SCALE, MOMENTUM, 4, &err), 0);
    fill(m, 5, 1);
    cllm_adamw_step(&opt, m, LR[0]);
    cllm_train_state st = {.step = 1, .tokens = 8, .data_state_size = 0};
    strcpy(st.args_json, "{}");
    const char *path = test_path("muon.safetensors");
    assert_int_equal(cllm_checkpoint_save(path, m, NULL, &opt, &st, &err), 0);
    cllm_adamw back;
    cllm_train_state st2;
    cllm_model *r = cllm_checkpoint_load(path, NULL, &back, &st2, &err);
    assert_non_null(r);
    assert_int_equal(back.muon, 1);
    assert_int_equal(back.muon_ns_steps, 4);
    assert_true(back.muon_lr_scale == LR_SCALE && back.muon_momentum == MOMENTUM);
    assert_int_equal(cllm_model_reserve(r, 1, 8, &err), 0);
    size_t n = cllm_model_num_params(m);
    assert_memory_equal(back.m, opt.m, n * sizeof(float));
    fill(m, 200, 0);
    fill(r, 200, 0);
    cllm_adamw_step(&opt, m, LR[1]);
    cllm_adamw_step(&back, r, LR[1]);
    assert_memory_equal(cllm_model_params(r), cllm_model_params(m), n * sizeof(float));
    cllm_adamw_free(&back);
    cllm_model_free(r);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
}

static void test_bad_settings_refused(void **state) {
    (void)state;
    cllm_model *m = fixture();
    cllm_error err = {0};
    cllm_adamw opt;
    assert_int_equal(cllm_adamw_init(&opt, m, &err), 0);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, 1.0f, 1.0f, 5, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, 0.0f, 0.9f, 5, &err), CLLM_ERR_ARG);
    assert_int_equal(cllm_adamw_set_muon(&opt, m, 1.0f, 0.9f, 0, &err), CLLM_ERR_ARG);
    assert_int_equal(opt.muon, 0);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newton_schulz_matches_double),
        cmocka_unit_test(test_newton_schulz_bf16),
        cmocka_unit_test(test_step_matches_reference),
        cmocka_unit_test(test_checkpoint_resumes_bit_exact),
        cmocka_unit_test(test_bad_settings_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
