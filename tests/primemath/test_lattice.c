/* test_lattice.c — LLL through pm_lll_*: the output is checked in exact rational arithmetic (size reduction and
 * Lovász), spans the same lattice as the input (equal Hermite normal forms), and is compared with the fplll CLI
 * on lattices made by fplll's latticegen. Gram–Schmidt and the basis measures against hand-computed values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint/flint.h>
#include <flint/fmpq.h>
#include <flint/fmpz.h>
#include <flint/fmpz_mat.h>

#include "primemath.h"
#include "support.h"

typedef struct lat {
    int64_t *b; /* rows × cols */
    size_t rows, cols;
} lat;

static void to_fmpz(fmpz_mat_t M, const lat *L) {
    fmpz_mat_init(M, (slong)L->rows, (slong)L->cols);
    for (size_t i = 0; i < L->rows; i++)
        for (size_t j = 0; j < L->cols; j++) fmpz_set_si(fmpz_mat_entry(M, i, j), L->b[i * L->cols + j]);
}

/* Exact Gram–Schmidt over Q: mu[i][j] and B[i] = ‖b*_i‖², from the integer Gram matrix. Rows must be independent. */
static void exact_gso(const lat *L, fmpq *mu, fmpq *B) {
    size_t n = L->rows;
    fmpz_mat_t M, G;
    to_fmpz(M, L);
    fmpz_mat_init(G, (slong)n, (slong)n);
    fmpz_mat_gram(G, M);
    fmpq_t r, t;
    fmpq_init(r);
    fmpq_init(t);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            /* r_ij = <b_i, b_j> − Σ_{k<j} mu_jk r_ik, and r_ik = mu_ik B_k */
            fmpq_set_fmpz_frac(r, fmpz_mat_entry(G, i, j), (fmpz[]){1});
            for (size_t k = 0; k < j; k++) {
                fmpq_mul(t, mu + j * n + k, mu + i * n + k);
                fmpq_mul(t, t, B + k);
                fmpq_sub(r, r, t);
            }
            if (j == i) fmpq_set(B + i, r);
            else fmpq_div(mu + i * n + j, r, B + j);
        }
    }
    fmpq_clear(r);
    fmpq_clear(t);
    fmpz_mat_clear(G);
    fmpz_mat_clear(M);
}

/* 1 if L satisfies |mu_ij| <= eta and (delta − mu_{i,i−1}²)·B_{i−1} <= B_i exactly, with delta = dn/dd, eta = en/ed. */
static int is_lll_reduced(const lat *L, long dn, long dd, long en, long ed) {
    size_t n = L->rows;
    fmpq *mu = _fmpq_vec_init((slong)(n * n)), *B = _fmpq_vec_init((slong)n);
    exact_gso(L, mu, B);
    fmpq_t eta, delta, a, t;
    fmpq_init(eta); fmpq_init(delta); fmpq_init(a); fmpq_init(t);
    fmpq_set_si(eta, en, (ulong)ed);
    fmpq_set_si(delta, dn, (ulong)dd);
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        for (size_t j = 0; j < i; j++) {
            fmpq_abs(a, mu + i * n + j);
            if (fmpq_cmp(a, eta) > 0) ok = 0;
        }
        if (i > 0) {
            fmpq_mul(t, mu + i * n + i - 1, mu + i * n + i - 1);
            fmpq_sub(t, delta, t);
            fmpq_mul(t, t, B + i - 1);
            if (fmpq_cmp(t, B + i) > 0) ok = 0;
        }
    }
    fmpq_clear(eta); fmpq_clear(delta); fmpq_clear(a); fmpq_clear(t);
    _fmpq_vec_clear(mu, (slong)(n * n));
    _fmpq_vec_clear(B, (slong)n);
    return ok;
}

/* 1 if the rows of X and Y generate the same lattice: equal Hermite normal forms. */
static int same_lattice(const lat *X, const lat *Y) {
    fmpz_mat_t A, B, HA, HB;
    to_fmpz(A, X);
    to_fmpz(B, Y);
    fmpz_mat_init(HA, (slong)X->rows, (slong)X->cols);
    fmpz_mat_init(HB, (slong)Y->rows, (slong)Y->cols);
    fmpz_mat_hnf(HA, A);
    fmpz_mat_hnf(HB, B);
    int eq = fmpz_mat_equal(HA, HB);
    fmpz_mat_clear(A); fmpz_mat_clear(B); fmpz_mat_clear(HA); fmpz_mat_clear(HB);
    return eq;
}

static double row_norm(const lat *L, size_t i) {
    double s = 0;
    for (size_t j = 0; j < L->cols; j++) s += (double)L->b[i * L->cols + j] * (double)L->b[i * L->cols + j];
    return sqrt(s);
}

/* Parses fplll's text form "[[a b c]\n[d e f]\n]" (also latticegen's); rows counted by the inner '['. */
static lat parse_fplll(const char *text) {
    lat L = {0};
    size_t cap = 1024, n = 0, rows = 0, cols = 0, in_row = 0;
    L.b = malloc(cap * sizeof *L.b);
    const char *p = strchr(text, '[');
    assert_non_null(p);
    for (p++; *p; p++) {
        if (*p == '[') { rows++; in_row = 0; }
        else if (*p == ']') { if (rows && !cols) cols = in_row; }
        else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (n == cap) L.b = realloc(L.b, (cap *= 2) * sizeof *L.b);
            L.b[n++] = v;
            in_row++;
            p = end - 1;
        }
    }
    L.rows = rows;
    L.cols = cols;
    assert_int_equal(n, rows * cols);
    return L;
}

static lat read_lattice(const char *path) {
    size_t n;
    uint8_t *t = cllm_file_read_all(path, &n, NULL);
    assert_non_null(t);
    lat L = parse_fplll((char *)t);
    free(t);
    return L;
}

static void require_fplll(void) {
    if (test_system("command -v fplll >/dev/null 2>&1 && command -v latticegen >/dev/null 2>&1") != 0)
        fail_msg("the fplll and latticegen commands are missing: install Debian's fplll-tools to run this test");
}

/* Reduces one latticegen lattice with pm_lll_int64 and with the fplll CLI (same delta, eta) and compares. */
static void compare_with_fplll(const char *gen_args, int seed) {
    const char *in = test_path("in.txt"), *ref = test_path("fplll.txt");
    assert_int_equal(test_system("latticegen -randseed %d %s > '%s'", seed, gen_args, in), 0);
    assert_int_equal(test_system("fplll -a lll -d 0.99 -e 0.51 '%s' > '%s'", in, ref), 0);
    lat orig = read_lattice(in), ours = read_lattice(in), theirs = read_lattice(ref);
    assert_int_equal(theirs.rows, orig.rows);
    assert_int_equal(theirs.cols, orig.cols);
    size_t n = orig.rows;
    int64_t *U = malloc(n * n * sizeof *U);
    cllm_error err = {0};
    if (pm_lll_int64(ours.b, ours.rows, ours.cols, U, NULL, &err)) fail_msg("pm_lll_int64: %s", err.msg);
    /* 1. both bases are (0.99, 0.51)-LLL-reduced, checked exactly over Q */
    assert_true(is_lll_reduced(&ours, 99, 100, 51, 100));
    assert_true(is_lll_reduced(&theirs, 99, 100, 51, 100));
    /* 2. both span the input lattice (so |det| agrees); ours = U·input exactly */
    assert_true(same_lattice(&ours, &orig));
    assert_true(same_lattice(&theirs, &orig));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < orig.cols; j++) {
            __extension__ __int128 s = 0;
            for (size_t k = 0; k < n; k++) s += (__int128)U[i * n + k] * orig.b[k * orig.cols + j];
            assert_true(s == ours.b[i * orig.cols + j]);
        }
    /* 3. LLL-reduced bases are not unique, so the vectors may differ; what must agree is the lattice (above) and
     * the size of the reduced basis. Σ log‖b*_i‖ = log vol is equal by (2); the first vectors' norms must be within
     * the LLL guarantee of each other (‖b1‖ <= α^((n−1)/2)·λ1 with α = 1/(δ−η²) for both), and in practice the
     * two implementations land on first vectors of equal or nearly equal length — we require a ratio <= 1.5. */
    double q1 = row_norm(&ours, 0), q2 = row_norm(&theirs, 0);
    double alpha = 1 / (0.99 - 0.51 * 0.51), bound = pow(alpha, (double)(n - 1) / 2);
    assert_true(q1 / q2 <= bound && q2 / q1 <= bound);
    assert_true(q1 / q2 <= 1.5 && q2 / q1 <= 1.5);
    /* 4. the Gram–Schmidt log-norm profiles (pm_gram_schmidt in double): equal sums (log vol), and the largest
     * per-index gap is printed — the profiles need not match index by index. */
    double gap = 0, sum1 = 0, sum2 = 0;
    if (orig.rows <= orig.cols) {
        double *d1 = malloc(n * orig.cols * sizeof *d1), *d2 = malloc(n * orig.cols * sizeof *d2);
        double *n1 = malloc(n * sizeof *n1), *n2 = malloc(n * sizeof *n2);
        for (size_t i = 0; i < n * orig.cols; i++) { d1[i] = (double)ours.b[i]; d2[i] = (double)theirs.b[i]; }
        assert_int_equal(pm_gram_schmidt(d1, n, orig.cols, NULL, NULL, n1, NULL), 0);
        assert_int_equal(pm_gram_schmidt(d2, n, orig.cols, NULL, NULL, n2, NULL), 0);
        for (size_t i = 0; i < n; i++) {
            sum1 += 0.5 * log(n1[i]);
            sum2 += 0.5 * log(n2[i]);
            gap = fmax(gap, fabs(0.5 * log(n1[i]) - 0.5 * log(n2[i])));
        }
        assert_true(fabs(sum1 - sum2) < 1e-9 * (1 + fabs(sum1)));
        free(d1); free(d2); free(n1); free(n2);
    }
    printf("  %-12s seed %d: ‖b1‖ ours %.6g fplll %.6g, max GS log-norm gap %.3g%s\n", gen_args, seed, q1, q2, gap,
           memcmp(ours.b, theirs.b, n * orig.cols * sizeof *ours.b) == 0 ? " (identical bases)" : "");
    free(orig.b); free(ours.b); free(theirs.b); free(U);
}

static void test_matches_fplll(void **state) {
    (void)state;
    require_fplll();
    for (int seed = 1; seed <= 4; seed++) {
        compare_with_fplll("r 10 30", seed);     /* knapsack-style integer relations */
        compare_with_fplll("u 12 20", seed);     /* uniform random square */
        compare_with_fplll("q 16 8 20 b", seed); /* q-ary */
    }
    compare_with_fplll("r 30 40", 7);
    compare_with_fplll("s 12 20 10", 3);         /* simultaneous Diophantine approximation */
}

static void test_dependent_rows(void **state) {
    (void)state;
    /* FLINT 2.9 aborts on dependent rows; pm_lll_int64 must refuse them with an error and leave the basis alone */
    int64_t b[] = {3, 1, 4, 1, 7, 2};
    cllm_error err = {0};
    assert_int_equal(pm_lll_int64(b, 3, 2, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "dependent"));
    int64_t c[] = {1, 2, 3, 2, 4, 6, 0, 1, 1};
    assert_int_equal(pm_lll_int64(c, 3, 3, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_true(c[3] == 2 && c[4] == 4 && c[5] == 6);
    /* the independent pair alone reduces fine */
    int64_t d[] = {3, 1, 4, 1};
    assert_int_equal(pm_lll_int64(d, 2, 2, NULL, NULL, &err), 0);
    lat red = {d, 2, 2}, orig = {(int64_t[]){3, 1, 4, 1}, 2, 2};
    assert_true(same_lattice(&red, &orig));
    assert_true(is_lll_reduced(&red, 99, 100, 51, 100));
}

static void test_double_basis(void **state) {
    (void)state;
    enum { N = 8 };
    double B[N * N], orig[N * N];
    uint64_t s = 99;
    for (int i = 0; i < N * N; i++) B[i] = orig[i] = test_rand_uniform(&s) * 1000.0 + (i % (N + 1) == 0 ? 5e4 : 0);
    pm_basis_quality before, after;
    assert_int_equal(pm_basis_quality_of(B, N, N, &before, NULL), 0);
    int scale = -2;
    int64_t U[N * N];
    cllm_error err = {0};
    assert_int_equal(pm_lll_double(B, N, N, -1, &scale, U, NULL, &err), 0);
    /* the largest |entry| ~ 5e4 < 2^16, so the automatic scale puts it just under 2^40 */
    assert_int_equal(scale, 40 - 16);
    /* the result is exactly (U · round(2^s B)) / 2^s, so it is reduced as an integer lattice */
    lat red = {malloc(sizeof(int64_t) * N * N), N, N};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            __extension__ __int128 acc = 0;
            for (int k = 0; k < N; k++) acc += (__int128)U[i * N + k] * llround(ldexp(orig[k * N + j], scale));
            red.b[i * N + j] = (int64_t)acc;
            assert_true(ldexp(B[i * N + j], scale) == (double)acc);
        }
    assert_true(is_lll_reduced(&red, 99, 100, 51, 100));
    free(red.b);
    assert_int_equal(pm_basis_quality_of(B, N, N, &after, NULL), 0);
    /* same volume (up to rounding to 2^-s), smaller orthogonality defect */
    assert_true(fabs(after.log_volume - before.log_volume) < 1e-6);
    assert_true(after.log_orth_defect <= before.log_orth_defect + 1e-9);
    /* an explicit scale is honoured */
    memcpy(B, orig, sizeof B);
    assert_int_equal(pm_lll_double(B, N, N, 10, &scale, NULL, NULL, &err), 0);
    assert_int_equal(scale, 10);
}

static void test_gram_schmidt_and_quality(void **state) {
    (void)state;
    /* b1 = (2, 0), b2 = (1, 3): b*_2 = (0, 3), mu21 = 1/2, vol = 6, ‖b1‖ = 2, Hermite factor 2/√6 */
    double b[] = {2, 0, 1, 3}, bstar[4], mu[4], n2[2];
    assert_int_equal(pm_gram_schmidt(b, 2, 2, bstar, mu, n2, NULL), 0);
    assert_true(bstar[0] == 2 && bstar[1] == 0 && fabs(bstar[2]) < 1e-15 && fabs(bstar[3] - 3) < 1e-15);
    assert_true(mu[0] == 1 && mu[1] == 0 && fabs(mu[2] - 0.5) < 1e-15 && mu[3] == 1);
    assert_true(fabs(n2[0] - 4) < 1e-15 && fabs(n2[1] - 9) < 1e-14);
    pm_basis_quality q;
    assert_int_equal(pm_basis_quality_of(b, 2, 2, &q, NULL), 0);
    assert_true(fabs(q.log_volume - log(6.0)) < 1e-14);
    assert_true(fabs(q.b1_norm - 2) < 1e-15);
    assert_true(fabs(q.hermite_factor - 2 / sqrt(6.0)) < 1e-14);
    assert_true(fabs(q.orth_defect - 2 * sqrt(10.0) / 6) < 1e-14); /* ‖b1‖‖b2‖ / vol */
    double lv;
    assert_int_equal(pm_log_volume(b, 2, 2, &lv, NULL), 0);
    assert_true(fabs(lv - log(6.0)) < 1e-14);
    /* an orthogonal basis has defect 1; a non-square basis (2 vectors in R^3) works too */
    double o[] = {3, 0, 0, 0, 0, 5};
    assert_int_equal(pm_basis_quality_of(o, 2, 3, &q, NULL), 0);
    assert_true(fabs(q.orth_defect - 1) < 1e-15 && fabs(q.log_volume - log(15.0)) < 1e-14);
    cllm_error err = {0};
    double dep[] = {1, 2, 2, 4};
    assert_int_equal(pm_gram_schmidt(dep, 2, 2, NULL, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "depends"));
    assert_int_equal(pm_gram_schmidt(o, 3, 2, NULL, NULL, NULL, &err), CLLM_ERR_ARG);
}

static void test_bad_arguments(void **state) {
    (void)state;
    int64_t b[] = {1, 0, 0, 1};
    double d[] = {1, 0, 0, 1};
    cllm_error err = {0};
    pm_lll_params p = pm_lll_params_default();
    assert_true(p.delta == 0.99 && p.eta == 0.51);
    p.delta = 0.2;
    assert_int_equal(pm_lll_int64(b, 2, 2, NULL, &p, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "delta"));
    p.delta = 1.5;
    assert_int_equal(pm_lll_int64(b, 2, 2, NULL, &p, &err), CLLM_ERR_ARG);
    p = (pm_lll_params){0.99, 0.4};
    assert_int_equal(pm_lll_int64(b, 2, 2, NULL, &p, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "eta"));
    p.eta = 0.999; /* >= sqrt(0.99) */
    assert_int_equal(pm_lll_int64(b, 2, 2, NULL, &p, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_lll_int64(b, 0, 2, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_lll_int64(NULL, 2, 2, NULL, NULL, &err), CLLM_ERR_ARG);
    d[1] = NAN;
    assert_int_equal(pm_lll_double(d, 2, 2, -1, NULL, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_non_null(strstr(err.msg, "finite"));
    d[1] = 1e300;
    assert_int_equal(pm_lll_double(d, 2, 2, 0, NULL, NULL, NULL, &err), CLLM_ERR_ARG);
    assert_int_equal(pm_lll_double(d, 2, 2, 63, NULL, NULL, NULL, &err), CLLM_ERR_ARG);
    /* a custom (delta, eta) is applied: the output meets the looser conditions */
    p = (pm_lll_params){0.75, 0.5};
    int64_t k[] = {1, 0, 0, 0, 123456789, 0, 1, 0, 0, 987654321, 0, 0, 1, 0, 555555555, 0, 0, 0, 1, 314159265};
    lat L = {k, 4, 5};
    assert_int_equal(pm_lll_int64(k, 4, 5, NULL, &p, &err), 0);
    assert_true(is_lll_reduced(&L, 75, 100, 50, 100));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_fplll),    cmocka_unit_test(test_dependent_rows),
        cmocka_unit_test(test_double_basis),     cmocka_unit_test(test_gram_schmidt_and_quality),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
