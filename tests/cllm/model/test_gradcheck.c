/* test_gradcheck.c — every gradient, checked by central finite differences in double precision:
 * each op on its own (loss = Σ w·out for random w), then the whole model at a small config on every parameter.
 * Finally the fp32 model (the one that trains, with the fast kernels) must agree with the double oracle.
 * Tolerances are per tensor: max |analytic − numeric| ≤ 1e-6 · max |numeric| — dropping any gradient term
 * moves some entry by far more than that. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model64.h"
#include "support.h"

static uint64_t seed = 42;

/* every fixture allocation, freed by the group teardown (keeps LeakSanitizer quiet) */
static void *allocs[256];
static int nallocs;
static void *track(void *p) {
    assert_true(nallocs < 256);
    return allocs[nallocs++] = p;
}
static int free_all(void **state) {
    (void)state;
    while (nallocs > 0) free(allocs[--nallocs]);
    return 0;
}

static double *rand_vec(size_t n, double scale) {
    double *v = track(malloc(n * sizeof *v));
    for (size_t i = 0; i < n; i++) v[i] = scale * test_rand_uniform(&seed);
    return v;
}

static double *zeros(size_t n) { return track(calloc(n, sizeof(double))); }

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Compares analytic gradient g of x (n entries) with central differences of f; fails with the entry. */
typedef double (*loss_fn)(void *ctx);
static void check_grad(const char *what, double *x, const double *g, size_t n, loss_fn f, void *ctx) {
    const double h = 1e-5;
    double max_num = 0, max_err = 0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + h;
        double fp = f(ctx);
        x[i] = saved - h;
        double fm = f(ctx);
        x[i] = saved;
        double num = (fp - fm) / (2 * h), err = fabs(num - g[i]);
        if (fabs(num) > max_num) max_num = fabs(num);
        if (err > max_err) { max_err = err; worst = i; }
    }
    if (max_err > 1e-6 * (max_num > 1e-3 ? max_num : 1e-3)) {
        fprintf(stderr, "%s: gradient mismatch at [%zu]: analytic %.10g, max |numeric| %.3g, max err %.3g\n",
                what, worst, g[worst], max_num, max_err);
        fail();
    }
}

/* ---- per-op checks: a context holds inputs, and the loss is Σ w·output ---- */
enum { B = 2, T = 5, C = 8, NH = 2, V = 13 };
#define N (B * T)

typedef struct {
    double *inp, *w, *bias, *out, *w_out, *aux1, *aux2;
    int32_t *ids;
    int op;
    uint8_t *is_prime; /* attention: distances that are prime */
    double cap;        /* the LM head's logit soft-cap (0: off) */
} op_ctx;

enum { OP_LAYERNORM, OP_MATMUL, OP_ATTENTION, OP_GELU, OP_ENCODER, OP_CROSSENTROPY, OP_LMHEAD, OP_RESIDUAL,
       OP_RELU2, OP_RMSNORM, OP_QKNORM, OP_ROPE };

static double op_loss(void *vctx) {
    op_ctx *c = vctx;
    switch (c->op) {
    case OP_LAYERNORM:
        layernorm_forward_f64(c->out, c->aux1, c->aux2, c->inp, c->w, c->bias, N, C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_MATMUL:
        matmul_forward_f64(c->out, c->inp, c->w, c->bias, N, C, 3 * C, 0);
        return dot(c->out, c->w_out, (size_t)N * 3 * C);
    case OP_ATTENTION:
        attention_forward_f64(c->out, c->aux1, c->aux2, c->inp, c->bias, c->is_prime, B, T, C, NH, 0);
        /* aux1: log-sum-exp [B,NH,T]; aux2: scratch [B,NH,2,T,T] */
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_GELU:
        gelu_forward_f64(c->out, c->inp, (size_t)N * C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_ENCODER:
        encoder_forward_f64(c->out, c->ids, c->inp, c->w, B, T, C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_CROSSENTROPY: {
        crossentropy_forward_f64(c->out, NULL, c->inp, c->ids, 0, N, V);
        double s = 0;
        for (int i = 0; i < N; i++) s += c->out[i];
        return 0.7 * s; /* dloss = 0.7 for every row */
    }
    case OP_LMHEAD: { /* inp: lnf [N,C], w: wte [V,C]; 4-row chunks (the last one partial), no gradient */
        lmhead_crossentropy_f64(c->out, NULL, NULL, c->aux1, c->inp, c->w, c->ids, 0, N, C, V, 4, c->cap, 0);
        double s = 0;
        for (int i = 0; i < N; i++) s += c->out[i];
        return 0.7 * s;
    }
    case OP_RESIDUAL:
        residual_forward_f64(c->out, c->inp, c->w, (size_t)N * C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_RELU2:
        relu2_forward_f64(c->out, c->inp, (size_t)N * C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_RMSNORM:
        rmsnorm_forward_f64(c->out, c->aux1, c->inp, c->w, N, C);
        return dot(c->out, c->w_out, (size_t)N * C);
    case OP_QKNORM: /* in place, on a copy of inp [N, 3C]; aux1: rstd [N, 2NH] */
        memcpy(c->out, c->inp, sizeof(double) * N * 3 * C);
        qknorm_forward_f64(c->out, c->aux1, N, C, NH);
        return dot(c->out, c->w_out, (size_t)N * 3 * C);
    case OP_ROPE: /* in place, on a copy of inp [N, 3C]; w: the table [T, hs]; row i at position (2 + i) mod T */
        memcpy(c->out, c->inp, sizeof(double) * N * 3 * C);
        rope_forward_f64(c->out, c->w, N, T, 2, C, NH);
        return dot(c->out, c->w_out, (size_t)N * 3 * C);
    }
    return 0;
}

static void test_layernorm(void **state) {
    (void)state;
    op_ctx c = {.op = OP_LAYERNORM, .inp = rand_vec(N * C, 2), .w = rand_vec(C, 1), .bias = rand_vec(C, 1),
                .out = zeros(N * C), .w_out = rand_vec(N * C, 1), .aux1 = zeros(N), .aux2 = zeros(N)};
    double *dinp = zeros(N * C), *dw = zeros(C), *db = zeros(C);
    op_loss(&c);
    layernorm_backward_f64(dinp, dw, db, c.w_out, c.inp, c.w, c.aux1, c.aux2, N, C);
    check_grad("layernorm dinp", c.inp, dinp, N * C, op_loss, &c);
    check_grad("layernorm dweight", c.w, dw, C, op_loss, &c);
    check_grad("layernorm dbias", c.bias, db, C, op_loss, &c);
}

static void test_matmul(void **state) {
    (void)state;
    op_ctx c = {.op = OP_MATMUL, .inp = rand_vec(N * C, 1), .w = rand_vec(C * 3 * C, 1), .bias = rand_vec(3 * C, 1),
                .out = zeros(N * 3 * C), .w_out = rand_vec(N * 3 * C, 1)};
    double *dinp = zeros(N * C), *dw = zeros(C * 3 * C), *db = zeros(3 * C);
    matmul_backward_f64(dinp, dw, db, c.w_out, c.inp, c.w, N, C, 3 * C, 0);
    check_grad("matmul dinp", c.inp, dinp, N * C, op_loss, &c);
    check_grad("matmul dweight", c.w, dw, C * 3 * C, op_loss, &c);
    check_grad("matmul dbias", c.bias, db, 3 * C, op_loss, &c);
}

static void test_attention(void **state) {
    (void)state;
    size_t lse = (size_t)B * NH * T, scratch = (size_t)B * NH * 2 * T * T;
    uint8_t is_prime[T];
    cllm_prime_table(is_prime, T);
    assert_true(!is_prime[0] && !is_prime[1] && is_prime[2] && is_prime[3] && !is_prime[4]);
    op_ctx c = {.op = OP_ATTENTION, .inp = rand_vec(N * 3 * C, 1.5), .out = zeros(N * C),
                .w_out = rand_vec(N * C, 1), .aux1 = zeros(lse), .aux2 = zeros(scratch), .is_prime = is_prime};
    double *dinp = zeros(N * 3 * C), *bscratch = zeros(scratch);
    op_loss(&c);
    attention_backward_f64(dinp, NULL, NULL, bscratch, c.w_out, c.inp, c.aux1, NULL, is_prime, B, T, C, NH, 0);
    check_grad("attention dqkv", c.inp, dinp, N * 3 * C, op_loss, &c);
    /* with the prime-distance bias: gradients for qkv and for the per-head bias */
    c.bias = rand_vec(NH, 1);
    double *dinp2 = zeros(N * 3 * C), *dbias = zeros(NH), *part = zeros(B * NH);
    op_loss(&c);
    attention_backward_f64(dinp2, dbias, part, bscratch, c.w_out, c.inp, c.aux1, c.bias, is_prime, B, T, C, NH, 0);
    check_grad("attention+prime dqkv", c.inp, dinp2, N * 3 * C, op_loss, &c);
    check_grad("attention+prime dbias", c.bias, dbias, NH, op_loss, &c);
    c.bias = NULL;
    /* causality: the output at t must not depend on any input after t */
    double *out0 = zeros(N * C);
    attention_forward_f64(out0, c.aux1, c.aux2, c.inp, NULL, is_prime, B, T, C, NH, 0);
    c.inp[(size_t)(T - 1) * 3 * C + C] += 1.0; /* a key at the last position of batch 0 */
    attention_forward_f64(c.out, c.aux1, c.aux2, c.inp, NULL, is_prime, B, T, C, NH, 0);
    assert_memory_equal(out0, c.out, (size_t)(T - 1) * C * sizeof(double));
    assert_true(memcmp(out0 + (T - 1) * C, c.out + (T - 1) * C, C * sizeof(double)) != 0);
}

/* ---- attention over several of its row blocks (64 rows; the last one partial), where the masked blocks are
 * skipped: the forward against a direct evaluation, the gradients along random directions (all of qkv and the
 * prime bias at once: a few evaluations instead of one per entry), and the fp32 path against the double one. ---- */
enum { BT = 150, BB = 2, BNH = 2 };

typedef struct {
    double *inp, *bias, *out, *w_out, *lse, *scratch;
    const uint8_t *is_prime;
} blocks_ctx;

static double blocks_loss(void *vctx) {
    blocks_ctx *c = vctx;
    attention_forward_f64(c->out, c->lse, c->scratch, c->inp, c->bias, c->is_prime, BB, BT, C, BNH, 0);
    return dot(c->out, c->w_out, (size_t)BB * BT * C);
}

/* out[b,t] = Σ_{t2 ≤ t} softmax(scale·q_t·k_t2 + bias)·v_t2, straight from the definition. */
static void attention_direct(double *out, const double *inp, const double *bias, const uint8_t *is_prime) {
    int hs = C / BNH;
    double p[BT];
    for (int b = 0; b < BB; b++)
        for (int h = 0; h < BNH; h++)
            for (int t = 0; t < BT; t++) {
                const double *q = inp + ((size_t)b * BT + t) * 3 * C + h * hs;
                double maxv = -INFINITY, sum = 0;
                for (int t2 = 0; t2 <= t; t2++) {
                    p[t2] = dot(q, inp + ((size_t)b * BT + t2) * 3 * C + C + h * hs, hs) / sqrt(hs);
                    if (bias && is_prime[t - t2]) p[t2] += bias[h];
                    maxv = fmax(maxv, p[t2]);
                }
                for (int t2 = 0; t2 <= t; t2++) sum += p[t2] = exp(p[t2] - maxv);
                double *o = out + ((size_t)b * BT + t) * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    o[i] = 0;
                    for (int t2 = 0; t2 <= t; t2++)
                        o[i] += p[t2] / sum * inp[((size_t)b * BT + t2) * 3 * C + 2 * C + h * hs + i];
                }
            }
}

static void test_attention_blocks(void **state) {
    (void)state;
    size_t n_inp = (size_t)BB * BT * 3 * C, n_out = (size_t)BB * BT * C;
    uint8_t is_prime[BT];
    cllm_prime_table(is_prime, BT);
    double *prime_bias = rand_vec(BNH, 1);
    blocks_ctx c = {.inp = rand_vec(n_inp, 1.5), .out = zeros(n_out),
                    .w_out = rand_vec(n_out, 1), .lse = zeros((size_t)BB * BNH * BT),
                    .scratch = zeros((size_t)BB * BNH * 2 * BT * BT), .is_prime = is_prime};
    double *want = zeros(n_out), *dinp = zeros(n_inp), *dbias = zeros(BNH), *part = zeros(BB * BNH);
    for (int with_bias = 0; with_bias <= 1; with_bias++) {
        double *bias = c.bias = with_bias ? prime_bias : NULL;
        blocks_loss(&c);
        attention_direct(want, c.inp, bias, is_prime);
        for (size_t i = 0; i < n_out; i++) assert_true(fabs(c.out[i] - want[i]) < 1e-12);
        memset(dinp, 0, n_inp * sizeof *dinp);
        memset(dbias, 0, BNH * sizeof *dbias);
        attention_backward_f64(dinp, bias ? dbias : NULL, part, c.scratch, c.w_out, c.inp, c.lse, bias, is_prime, BB,
                               BT, C, BNH, 0);
        for (int dir = 0; dir < 3; dir++) {
            const double h = 1e-5;
            double *u = rand_vec(n_inp, 1), ub[BNH] = {0}, saved_b[BNH] = {0};
            double *x = track(malloc(n_inp * sizeof *x));
            memcpy(x, c.inp, n_inp * sizeof *x);
            double slope = dot(dinp, u, n_inp), loss[2];
            if (bias) {
                for (int i = 0; i < BNH; i++) ub[i] = test_rand_uniform(&seed), saved_b[i] = bias[i];
                slope += dot(dbias, ub, BNH);
            }
            for (int side = 0; side < 2; side++) {
                double step = side ? -h : h;
                for (size_t i = 0; i < n_inp; i++) c.inp[i] = x[i] + step * u[i];
                for (int i = 0; bias && i < BNH; i++) bias[i] = saved_b[i] + step * ub[i];
                loss[side] = blocks_loss(&c);
            }
            memcpy(c.inp, x, n_inp * sizeof *x);
            for (int i = 0; bias && i < BNH; i++) bias[i] = saved_b[i];
            double numeric = (loss[0] - loss[1]) / (2 * h);
            if (fabs(numeric - slope) > 1e-6 * fabs(numeric)) {
                fprintf(stderr, "attention blocks (bias %d): directional derivative %.10g, analytic %.10g\n",
                        with_bias, numeric, slope);
                fail();
            }
        }
    }
    /* fp32 (cllm_sgemm on the same blocks) against double, with the bias */
    float *in32 = track(malloc(n_inp * sizeof(float))), *out32 = track(malloc(n_out * sizeof(float)));
    float *d32 = track(calloc(n_inp, sizeof(float))), *w32 = track(malloc(n_out * sizeof(float)));
    float *lse32 = track(malloc((size_t)BB * BNH * BT * sizeof(float)));
    float bias32[BNH], dbias32[BNH] = {0}, part32[BB * BNH];
    float *scratch32 = track(malloc((size_t)BB * BNH * 2 * BT * BT * sizeof(float)));
    for (size_t i = 0; i < n_inp; i++) in32[i] = (float)c.inp[i];
    for (size_t i = 0; i < n_out; i++) w32[i] = (float)c.w_out[i];
    for (int i = 0; i < BNH; i++) bias32[i] = (float)prime_bias[i];
    attention_forward_f32(out32, lse32, scratch32, in32, bias32, is_prime, BB, BT, C, BNH, 0);
    attention_backward_f32(d32, dbias32, part32, scratch32, w32, in32, lse32, bias32, is_prime, BB, BT, C, BNH, 0);
    blocks_loss(&c); /* c.out at the unperturbed inputs, with the bias */
    for (size_t i = 0; i < n_out; i++) assert_true(fabs(out32[i] - c.out[i]) < 1e-5);
    double max_d = 0;
    for (size_t i = 0; i < n_inp; i++) max_d = fmax(max_d, fabs(dinp[i]));
    for (size_t i = 0; i < n_inp; i++) assert_true(fabs(d32[i] - dinp[i]) < 1e-5 * max_d);
    for (int i = 0; i < BNH; i++) assert_true(fabs(dbias32[i] - dbias[i]) < 1e-5 * fabs(dbias[i]) + 1e-5);
    /* the bf16 products (lowp): inputs rounded to 8 significant bits, so a percent of the largest value; a product
     * left unscaled or a wrong operand is off by tens of percent */
    double max_o = 0, max_bias = 0;
    for (size_t i = 0; i < n_out; i++) max_o = fmax(max_o, fabs(c.out[i]));
    for (int i = 0; i < BNH; i++) max_bias = fmax(max_bias, fabs(dbias[i]));
    memset(d32, 0, n_inp * sizeof *d32);
    memset(dbias32, 0, sizeof dbias32);
    attention_forward_f32(out32, lse32, scratch32, in32, bias32, is_prime, BB, BT, C, BNH, 1);
    attention_backward_f32(d32, dbias32, part32, scratch32, w32, in32, lse32, bias32, is_prime, BB, BT, C, BNH, 1);
    double err_o = 0, err_d = 0, err_b = 0;
    for (size_t i = 0; i < n_out; i++) err_o = fmax(err_o, fabs(out32[i] - c.out[i]));
    for (size_t i = 0; i < n_inp; i++) err_d = fmax(err_d, fabs(d32[i] - dinp[i]));
    for (int i = 0; i < BNH; i++) err_b = fmax(err_b, fabs(dbias32[i] - dbias[i]));
    assert_true(err_o > 0 && err_o < 1e-2 * max_o);
    assert_true(err_d < 2e-2 * max_d);
    assert_true(err_b < 2e-2 * max_bias);
}

static void test_gelu(void **state) {
    (void)state;
    op_ctx c = {.op = OP_GELU, .inp = rand_vec(N * C, 3), .out = zeros(N * C), .w_out = rand_vec(N * C, 1)};
    double *dinp = zeros(N * C);
    gelu_backward_f64(dinp, c.inp, c.w_out, N * C);
    check_grad("gelu", c.inp, dinp, N * C, op_loss, &c);
    /* the tanh approximation, not erf: gelu(1) = 0.841191990... (erf form gives 0.841344746) */
    double one = 1, y;
    gelu_forward_f64(&y, &one, 1);
    assert_true(fabs(y - 0.8411919906082768) < 1e-12);
}

static void test_encoder(void **state) {
    (void)state;
    op_ctx c = {.op = OP_ENCODER, .inp = rand_vec(V * C, 1), .w = rand_vec(T * C, 1), .out = zeros(N * C),
                .w_out = rand_vec(N * C, 1), .ids = track(malloc(N * sizeof(int32_t)))};
    for (int i = 0; i < N; i++) c.ids[i] = (int32_t)(test_rand(&seed) % 4); /* repeats: gradients must add */
    double *dwte = zeros(V * C), *dwpe = zeros(T * C);
    encoder_backward_f64(dwte, dwpe, c.w_out, c.ids, B, T, C);
    check_grad("encoder dwte", c.inp, dwte, V * C, op_loss, &c);
    check_grad("encoder dwpe", c.w, dwpe, T * C, op_loss, &c);
}

static void test_crossentropy(void **state) {
    (void)state;
    op_ctx c = {.op = OP_CROSSENTROPY, .inp = rand_vec(N * V, 3), .out = zeros(N),
                .ids = track(malloc(N * sizeof(int32_t)))};
    for (int i = 0; i < N; i++) c.ids[i] = (int32_t)(test_rand(&seed) % V);
    double *dlogits = zeros(N * V), *losses = zeros(N);
    crossentropy_forward_f64(losses, dlogits, c.inp, c.ids, 0.7, N, V);
    op_loss(&c);
    for (int i = 0; i < N; i++) assert_true(losses[i] == c.out[i]); /* the gradient does not change the loss */
    check_grad("crossentropy dlogits", c.inp, dlogits, N * V, op_loss, &c);
    /* in place: the gradient may overwrite the logits it is computed from */
    double *inplace = zeros(N * V);
    memcpy(inplace, c.inp, sizeof(double) * N * V);
    crossentropy_forward_f64(losses, inplace, inplace, c.ids, 0.7, N, V);
    for (int i = 0; i < N * V; i++) assert_true(inplace[i] == dlogits[i]);
    /* uniform logits: loss is exactly log V */
    double *flat = zeros(V), loss;
    int32_t target = 3;
    crossentropy_forward_f64(&loss, NULL, flat, &target, 0, 1, V);
    assert_true(fabs(loss - log((double)V)) < 1e-12);
}

/* The LM head + cross-entropy in 4-row chunks: gradients of lnf and wte by central differences, and the losses
 * equal to one unchunked pass. */
static void test_lmhead(void **state) {
    (void)state;
    op_ctx c = {.op = OP_LMHEAD, .inp = rand_vec(N * C, 1), .w = rand_vec(V * C, 1), .out = zeros(N),
                .aux1 = zeros(4 * V), .ids = track(malloc(N * sizeof(int32_t)))};
    for (int i = 0; i < N; i++) c.ids[i] = (int32_t)(test_rand(&seed) % V);
    double *dlnf = zeros(N * C), *dwte = zeros(V * C), *losses = zeros(N), *whole = zeros(N * V);
    lmhead_crossentropy_f64(losses, dlnf, dwte, c.aux1, c.inp, c.w, c.ids, 0.7, N, C, V, 4, 0, 0);
    check_grad("lmhead dlnf", c.inp, dlnf, N * C, op_loss, &c);
    check_grad("lmhead dwte", c.w, dwte, V * C, op_loss, &c);
    double *one_pass = zeros(N);
    lmhead_crossentropy_f64(one_pass, NULL, NULL, whole, c.inp, c.w, c.ids, 0, N, C, V, N, 0, 0);
    for (int i = 0; i < N; i++) assert_true(fabs(losses[i] - one_pass[i]) < 1e-12);
}

/* The speedrun options' ops: ReLU², RMSNorm, and the LM head with a logit soft-cap. */
static void test_relu2(void **state) {
    (void)state;
    op_ctx c = {.op = OP_RELU2, .inp = rand_vec(N * C, 3), .out = zeros(N * C), .w_out = rand_vec(N * C, 1)};
    double *dinp = zeros(N * C), x[2] = {-1.5, 1.5}, y[2];
    relu2_backward_f64(dinp, c.inp, c.w_out, N * C);
    check_grad("relu2", c.inp, dinp, N * C, op_loss, &c);
    relu2_forward_f64(y, x, 2);
    assert_true(y[0] == 0 && y[1] == 2.25);
}

static void test_rmsnorm(void **state) {
    (void)state;
    op_ctx c = {.op = OP_RMSNORM, .inp = rand_vec(N * C, 2), .w = rand_vec(C, 1), .out = zeros(N * C),
                .w_out = rand_vec(N * C, 1), .aux1 = zeros(N)};
    double *dinp = zeros(N * C), *dw = zeros(C);
    op_loss(&c);
    rmsnorm_backward_f64(dinp, dw, c.w_out, c.inp, c.w, c.aux1, N, C);
    check_grad("rmsnorm dinp", c.inp, dinp, N * C, op_loss, &c);
    check_grad("rmsnorm dweight", c.w, dw, C, op_loss, &c);
}

/* QK-norm, in place on qkv: the gradient of all of qkv (v's passes through), and each head of q and k coming out
 * with RMS 1 (up to the eps) while v is untouched. */
static void test_qknorm(void **state) {
    (void)state;
    op_ctx c = {.op = OP_QKNORM, .inp = rand_vec(N * 3 * C, 2), .out = zeros(N * 3 * C),
                .w_out = rand_vec(N * 3 * C, 1), .aux1 = zeros(N * 2 * NH)};
    double *dqkv = zeros(N * 3 * C);
    op_loss(&c);
    memcpy(dqkv, c.w_out, sizeof(double) * N * 3 * C); /* the gradient of the output, turned in place */
    qknorm_backward_f64(dqkv, c.out, c.aux1, N, C, NH);
    check_grad("qknorm dqkv", c.inp, dqkv, N * 3 * C, op_loss, &c);
    op_loss(&c); /* the output at the unperturbed input */
    int hs = C / NH;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 3 * NH; j++) {
            const double *x = c.inp + (size_t)i * 3 * C + j * hs, *y = c.out + (size_t)i * 3 * C + j * hs;
            double ms = dot(x, x, hs) / hs;
            if (j < 2 * NH) assert_true(fabs(dot(y, y, hs) / hs - ms / (ms + 1e-5)) < 1e-12);
            else assert_memory_equal(x, y, hs * sizeof(double));
        }
}

/* Rotary positions, in place on qkv: the gradient of all of qkv (v's passes through); the table's angles; and what
 * the rotation is for: q at t against k at s gives the dot product of q at t + 3 against k at s + 3. */
static void test_rope(void **state) {
    (void)state;
    int hs = C / NH;
    double *table = zeros(T * hs);
    rope_table_f64(table, T, hs);
    op_ctx c = {.op = OP_ROPE, .inp = rand_vec(N * 3 * C, 2), .w = table, .out = zeros(N * 3 * C),
                .w_out = rand_vec(N * 3 * C, 1)};
    double *dqkv = zeros(N * 3 * C);
    memcpy(dqkv, c.w_out, sizeof(double) * N * 3 * C);
    rope_backward_f64(dqkv, table, N, T, 2, C, NH);
    check_grad("rope dqkv", c.inp, dqkv, N * 3 * C, op_loss, &c);
    assert_true(fabs(table[3 * hs + 1] - cos(3 * pow(10000.0, -2.0 / hs))) < 1e-15);
    assert_true(fabs(table[3 * hs + hs / 2 + 1] - sin(3 * pow(10000.0, -2.0 / hs))) < 1e-15);
    double at0[2 * 3 * C], at3[2 * 3 * C];
    memcpy(at0, c.inp, sizeof at0);
    memcpy(at3, c.inp, sizeof at3);
    rope_forward_f64(at0, table, 2, T, 0, C, NH); /* the two rows at positions 0 and 1 */
    rope_forward_f64(at3, table, 2, T, 3, C, NH); /* and at 3 and 4 */
    assert_memory_equal(at0, c.inp, 3 * C * sizeof(double)); /* position 0 turns nothing */
    assert_memory_equal(at3 + 2 * C, c.inp + 2 * C, C * sizeof(double)); /* v is left alone */
    for (int h = 0; h < NH; h++) {
        double near = dot(at0 + h * hs, at0 + 3 * C + C + h * hs, hs); /* q at 0 · k at 1 */
        double far = dot(at3 + h * hs, at3 + 3 * C + C + h * hs, hs);   /* q at 3 · k at 4 */
        assert_true(fabs(near - far) < 1e-12 * (1 + fabs(near)));
        assert_true(fabs(at3[h * hs] - c.inp[h * hs]) > 1e-6); /* position 3 does turn q */
    }
}

static void test_lmhead_softcap(void **state) {
    (void)state;
    /* logits of size ~5 against a cap of 2: deep in tanh's bend, where the soft-cap's derivative matters */
    op_ctx c = {.op = OP_LMHEAD, .inp = rand_vec(N * C, 1), .w = rand_vec(V * C, 1), .out = zeros(N),
                .aux1 = zeros(2 * 4 * V), .ids = track(malloc(N * sizeof(int32_t))), .cap = 2};
    for (int i = 0; i < N; i++) c.ids[i] = (int32_t)(test_rand(&seed) % V);
    double *dlnf = zeros(N * C), *dwte = zeros(V * C), *losses = zeros(N);
    lmhead_crossentropy_f64(losses, dlnf, dwte, c.aux1, c.inp, c.w, c.ids, 0.7, N, C, V, 4, c.cap, 0);
    check_grad("softcap lmhead dlnf", c.inp, dlnf, N * C, op_loss, &c);
    check_grad("softcap lmhead dwte", c.w, dwte, V * C, op_loss, &c);
    double z = 3, capped;
    softcap_forward_f64(&capped, &z, 2, 1);
    assert_true(fabs(capped - 2 * tanh(1.5)) < 1e-12);
}

static void test_residual(void **state) {
    (void)state;
    op_ctx c = {.op = OP_RESIDUAL, .inp = rand_vec(N * C, 1), .w = rand_vec(N * C, 1), .out = zeros(N * C),
                .w_out = rand_vec(N * C, 1)};
    double *da = zeros(N * C), *db = zeros(N * C);
    residual_backward_f64(da, db, c.w_out, N * C);
    check_grad("residual da", c.inp, da, N * C, op_loss, &c);
    check_grad("residual db", c.w, db, N * C, op_loss, &c);
}

/* ---- whole model ---- */
typedef struct {
    cllm_model64 *d;
    int32_t *in, *tg;
} model_ctx;

static double model_loss(void *vctx) {
    model_ctx *c = vctx;
    return cllm_model64_forward(c->d, c->in, c->tg);
}

static cllm_model *small_model(cllm_config *cfg) {
    cllm_error err = {0};
    cllm_model *m = cllm_model_new(cfg, &err);
    assert_non_null(m);
    /* large random parameters: every path carries signal (GPT-2 init's 0.02 would make terms tiny) */
    float *p = cllm_model_params(m);
    for (size_t i = 0; i < cllm_model_num_params(m); i++) p[i] = (float)(0.4 * test_rand_uniform(&seed));
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        if (strstr(t->name, "ln_") && strstr(t->name, "weight"))
            for (size_t j = 0; j < t->numel; j++) t->data[j] += 1.0f;
    }
    return m;
}

static void random_batch(int32_t *in, int32_t *tg, int n, int vocab) {
    for (int i = 0; i < n; i++) {
        in[i] = (int32_t)(test_rand(&seed) % vocab);
        tg[i] = (int32_t)(test_rand(&seed) % vocab);
    }
}

static void check_whole_model(cllm_config cfg) {
    cllm_model *m = small_model(&cfg);
    cllm_model_fill_positions(m); /* fixed encodings stay fixed: overwrite the random values */
    cllm_model64 d;
    assert_int_equal(cllm_model64_new(&d, m, B, T), 0);
    d.head_rows = 3; /* the LM head in chunks of 3, 3, 3 and 1 rows */
    int32_t in[N], tg[N];
    random_batch(in, tg, N, V);
    cllm_model64_backward(&d, in, tg);
    model_ctx ctx = {&d, in, tg};
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *t = cllm_model_tensor(m, i);
        check_grad(t->name, d.params + t->offset, d.grads + t->offset, t->numel, model_loss, &ctx);
    }
    cllm_model64_free(&d);
    cllm_model_free(m);
}

static void test_whole_model_every_parameter(void **state) {
    (void)state;
    check_whole_model((cllm_config){.n_layer = 2, .n_head = NH, .n_embd = C, .n_ctx = T + 1, .vocab_size = V});
}

/* the crystalline options change the forward pass: each must keep every gradient right */
static void test_whole_model_crystalline_options(void **state) {
    (void)state;
    cllm_config base = {.n_layer = 2, .n_head = NH, .n_embd = C, .n_ctx = T + 1, .vocab_size = V};
    cllm_config prime_bias = base, spiral = base, lattice = base;
    prime_bias.attn_prime_bias = 1;
    spiral.pos_kind = CLLM_POS_SPIRAL;
    lattice.embed_init = 1;
    lattice.pos_kind = CLLM_POS_PRIME;
    check_whole_model(prime_bias);
    check_whole_model(spiral);
    check_whole_model(lattice);
}

/* the speedrun options together: every gradient through the model right */
static void test_whole_model_speedrun_options(void **state) {
    (void)state;
    cllm_config base = {.n_layer = 2, .n_head = NH, .n_embd = C, .n_ctx = T + 1, .vocab_size = V};
    cllm_config all = base; /* each op alone is checked above; here their wiring into the model */
    all.mlp_relu2 = all.rmsnorm = all.untied_head = all.no_bias = all.qk_norm = all.rope = 1;
    all.logit_softcap = 1.5f;
    check_whole_model(all);
    cllm_config qk = base; /* QK-norm alone, on GPT-2's layernorms and biases */
    qk.qk_norm = 1;
    check_whole_model(qk);
    cllm_config rope = base; /* rotary positions alone: wpe's gradient must be 0, as the forward ignores it */
    rope.rope = 1;
    check_whole_model(rope);
}

/* The fp32 model with its fast kernels against the double oracle, at a shape where GEMM blocking matters. */
static void float_matches_double(cllm_config cfg) {
    int b = 3, t = 37;
    cllm_model *m = small_model(&cfg);
    cllm_error err = {0};
    assert_int_equal(cllm_model_reserve(m, 4, 40, &err), 0); /* reserved larger than used */
    int32_t *in = malloc(sizeof(int32_t) * b * t), *tg = malloc(sizeof(int32_t) * b * t);
    random_batch(in, tg, b * t, cfg.vocab_size);
    cllm_model_set_head_rows(m, 16); /* 111 rows: six chunks of 16 and one of 15 */
    cllm_model_zero_grad(m);
    float loss = cllm_model_forward(m, in, tg, b, t);
    cllm_model_backward(m, 1.0f);
    assert_true(cllm_model_evaluate(m, in, tg, b, t) == loss); /* no gradient work, same loss */
    cllm_model64 d;
    assert_int_equal(cllm_model64_new(&d, m, b, t), 0);
    double loss64 = cllm_model64_forward(&d, in, tg);
    cllm_model64_backward(&d, in, tg);
    assert_true(fabs(loss - loss64) < 1e-4 * fabs(loss64));
    const float *g = cllm_model_grads(m);
    for (int i = 0; i < cllm_model_tensor_count(m); i++) {
        const cllm_tensor *tt = cllm_model_tensor(m, i);
        double max_ref = 0, max_err = 0;
        for (size_t j = 0; j < tt->numel; j++) {
            double r = d.grads[tt->offset + j], e = fabs(g[tt->offset + j] - r);
            if (fabs(r) > max_ref) max_ref = fabs(r);
            if (e > max_err) max_err = e;
        }
        if (max_err > 2e-3 * max_ref + 1e-7) {
            fprintf(stderr, "%s: fp32 grad differs from fp64 by %.3g (max |g| %.3g)\n", tt->name, max_err, max_ref);
            fail();
        }
    }
    /* backward's scale multiplies every gradient: by a power of two, exactly (all of backward is linear in it) */
    size_t n = cllm_model_num_params(m);
    float *full = malloc(sizeof(float) * n);
    memcpy(full, g, sizeof(float) * n);
    cllm_model_zero_grad(m);
    cllm_model_forward(m, in, tg, b, t);
    cllm_model_backward(m, 0.25f);
    for (size_t j = 0; j < n; j++) assert_true(g[j] == 0.25f * full[j]);
    free(full);
    cllm_model64_free(&d);
    cllm_model_free(m);
    free(in);
    free(tg);
}

static void test_float_model_matches_double(void **state) {
    (void)state;
    cllm_config cfg = {.n_layer = 2, .n_head = 4, .n_embd = 64, .n_ctx = 40, .vocab_size = 97, .attn_prime_bias = 1};
    float_matches_double(cfg);
    cllm_config fast = {.n_layer = 2, .n_head = 4, .n_embd = 64, .n_ctx = 40, .vocab_size = 97, .mlp_relu2 = 1,
                        .rmsnorm = 1, .untied_head = 1, .no_bias = 1, .logit_softcap = 5, .qk_norm = 1,
                        .rope = 1};
    float_matches_double(fast);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm),     cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_attention),     cmocka_unit_test(test_attention_blocks), cmocka_unit_test(test_gelu),
        cmocka_unit_test(test_encoder),       cmocka_unit_test(test_crossentropy),
        cmocka_unit_test(test_lmhead),
        cmocka_unit_test(test_residual),      cmocka_unit_test(test_whole_model_every_parameter),
        cmocka_unit_test(test_whole_model_crystalline_options),
        cmocka_unit_test(test_relu2),         cmocka_unit_test(test_rmsnorm),
        cmocka_unit_test(test_lmhead_softcap), cmocka_unit_test(test_qknorm), cmocka_unit_test(test_rope),
        cmocka_unit_test(test_whole_model_speedrun_options),
        cmocka_unit_test(test_float_model_matches_double),
    };
    return cmocka_run_group_tests(tests, NULL, free_all);
}
