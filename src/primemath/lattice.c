/* lattice.c — LLL reduction through FLINT's fmpz_lll (integer and scaled real bases), Gram–Schmidt in double,
 * and basis measures (log volume, orthogonality defect, Hermite factor). Rows are basis vectors throughout. */
#include "primemath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <flint/flint.h>
#include <flint/fmpz.h>
#include <flint/fmpz_lll.h>
#include <flint/fmpz_mat.h>

pm_lll_params pm_lll_params_default(void) { return (pm_lll_params){0.99, 0.51}; }

/* FLINT asserts or loops forever on out-of-range parameters and empty matrices, so they stop here. */
static int check_lll_args(size_t rows, size_t cols, const pm_lll_params *p, cllm_error *err) {
    if (rows == 0 || cols == 0) return cllm_error_set(err, CLLM_ERR_ARG, "LLL: empty basis (%zu × %zu)", rows, cols);
    if (rows > 4096 || cols > 4096)
        return cllm_error_set(err, CLLM_ERR_ARG, "LLL: basis %zu × %zu is larger than 4096 × 4096", rows, cols);
    if (!(p->delta > 0.25 && p->delta < 1.0))
        return cllm_error_set(err, CLLM_ERR_ARG, "LLL: delta %g must lie in (0.25, 1)", p->delta);
    if (!(p->eta >= 0.5 && p->eta * p->eta < p->delta))
        return cllm_error_set(err, CLLM_ERR_ARG, "LLL: eta %g must lie in [0.5, sqrt(delta))", p->eta);
    return 0;
}

/* Copies an fmpz matrix into int64 storage; CLLM_ERR_ARG (dst untouched) if any entry does not fit. */
static int fmpz_mat_to_int64(int64_t *dst, const fmpz_mat_t M, const char *what, cllm_error *err) {
    slong r = fmpz_mat_nrows(M), c = fmpz_mat_ncols(M);
    for (slong i = 0; i < r; i++)
        for (slong j = 0; j < c; j++)
            if (!fmpz_fits_si(fmpz_mat_entry(M, i, j)))
                return cllm_error_set(err, CLLM_ERR_ARG, "LLL: an entry of the %s exceeds int64", what);
    for (slong i = 0; i < r; i++)
        for (slong j = 0; j < c; j++) dst[i * c + j] = fmpz_get_si(fmpz_mat_entry(M, i, j));
    return 0;
}

/* Reduces B in place with FLINT and copies it (and U) out as int64. */
static int lll_fmpz(fmpz_mat_t B, int64_t *out, int64_t *U_out, const pm_lll_params *p, cllm_error *err) {
    fmpz_lll_t fl;
    fmpz_lll_context_init(fl, p->delta, p->eta, Z_BASIS, APPROX);
    slong rows = fmpz_mat_nrows(B);
    fmpz_mat_t U;
    fmpz_mat_init(U, rows, rows);
    fmpz_mat_one(U);
    fmpz_lll(B, U_out ? U : NULL, fl);
    int rc = 0;
    if (U_out) {
        /* check both before writing either, so a failure leaves the caller's arrays as they were */
        int64_t *tmp = malloc((size_t)(rows * rows) * sizeof *tmp);
        if (!tmp) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "LLL: out of memory for the transform");
        else if (!(rc = fmpz_mat_to_int64(tmp, U, "transform", err)) &&
                 !(rc = fmpz_mat_to_int64(out, B, "reduced basis", err)))
            memcpy(U_out, tmp, (size_t)(rows * rows) * sizeof *tmp);
        free(tmp);
    } else {
        rc = fmpz_mat_to_int64(out, B, "reduced basis", err);
    }
    fmpz_mat_clear(U);
    return rc;
}

int pm_lll_int64(int64_t *basis, size_t rows, size_t cols, int64_t *U, const pm_lll_params *params,
                 cllm_error *err) {
    pm_lll_params p = params ? *params : pm_lll_params_default();
    int rc = check_lll_args(rows, cols, &p, err);
    if (rc) return rc;
    if (!basis) return cllm_error_set(err, CLLM_ERR_ARG, "LLL: NULL basis");
    fmpz_mat_t B;
    fmpz_mat_init(B, (slong)rows, (slong)cols);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) fmpz_set_si(fmpz_mat_entry(B, i, j), basis[i * cols + j]);
    /* FLINT 2.9's fmpz_lll aborts (a division by zero in its reducedness check) on dependent rows: refuse them */
    slong rank = rows <= cols ? fmpz_mat_rank(B) : -1;
    if (rank != (slong)rows)
        rc = cllm_error_set(err, CLLM_ERR_ARG, "LLL: the %zu rows are linearly dependent (rank %ld); remove the "
                            "redundant vectors first", rows, rank < 0 ? (long)cols : (long)rank);
    else
        rc = lll_fmpz(B, basis, U, &p, err);
    fmpz_mat_clear(B);
    return rc;
}

/* The s that puts the largest |entry| just below 2^40: enough bits to resolve the basis, and 2^13 of headroom
 * under double's 2^53 so the rounded integers are exact and the reduction's entries stay small. */
static int auto_scale(const double *basis, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(basis[i]));
    if (m == 0) return 0;
    int e;
    frexp(m, &e); /* m < 2^e */
    int s = 40 - e;
    return s < 0 ? 0 : s > 62 ? 62 : s;
}

int pm_lll_double(double *basis, size_t rows, size_t cols, int scale_bits, int *scale_used, int64_t *U,
                  const pm_lll_params *params, cllm_error *err) {
    pm_lll_params p = params ? *params : pm_lll_params_default();
    int rc = check_lll_args(rows, cols, &p, err);
    if (rc) return rc;
    if (!basis) return cllm_error_set(err, CLLM_ERR_ARG, "LLL: NULL basis");
    if (scale_bits < -1 || scale_bits > 62)
        return cllm_error_set(err, CLLM_ERR_ARG, "LLL: scale bits %d must be in 0..62, or -1 for automatic",
                              scale_bits);
    size_t n = rows * cols;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(basis[i]))
            return cllm_error_set(err, CLLM_ERR_ARG, "LLL: entry (%zu, %zu) is not finite", i / cols, i % cols);
    int s = scale_bits < 0 ? auto_scale(basis, n) : scale_bits;
    for (size_t i = 0; i < n; i++)
        if (fabs(ldexp(basis[i], s)) >= 0x1p62)
            return cllm_error_set(err, CLLM_ERR_ARG, "LLL: entry (%zu, %zu) = %g times 2^%d overflows int64; use a "
                                  "smaller scale", i / cols, i % cols, basis[i], s);
    int64_t *ib = malloc(n * sizeof *ib);
    if (!ib) return cllm_error_set(err, CLLM_ERR_NOMEM, "LLL: out of memory for a %zu × %zu basis", rows, cols);
    for (size_t i = 0; i < n; i++) ib[i] = (int64_t)llround(ldexp(basis[i], s));
    rc = pm_lll_int64(ib, rows, cols, U, &p, err);
    if (!rc) {
        for (size_t i = 0; i < n; i++) basis[i] = ldexp((double)ib[i], -s);
        if (scale_used) *scale_used = s;
    }
    free(ib);
    return rc;
}

int pm_gram_schmidt(const double *basis, size_t rows, size_t cols, double *bstar, double *mu, double *norm2,
                    cllm_error *err) {
    if (!basis || rows == 0 || cols == 0) return cllm_error_set(err, CLLM_ERR_ARG, "Gram-Schmidt: empty basis");
    if (rows > cols)
        return cllm_error_set(err, CLLM_ERR_ARG, "Gram-Schmidt: %zu rows in dimension %zu cannot be independent",
                              rows, cols);
    double *bs = malloc(rows * cols * sizeof *bs), *nn = malloc(rows * sizeof *nn);
    if (!bs || !nn) {
        free(bs); free(nn);
        return cllm_error_set(err, CLLM_ERR_NOMEM, "Gram-Schmidt: out of memory");
    }
    memcpy(bs, basis, rows * cols * sizeof *bs);
    int rc = 0;
    for (size_t i = 0; i < rows && !rc; i++) {
        double *v = bs + i * cols, orig = 0;
        for (size_t k = 0; k < cols; k++) orig += v[k] * v[k];
        /* modified GS: subtract each projection from the running vector, which keeps rounding errors from piling up */
        for (size_t j = 0; j < i; j++) {
            const double *w = bs + j * cols;
            double dot = 0;
            for (size_t k = 0; k < cols; k++) dot += v[k] * w[k];
            double m = dot / nn[j];
            for (size_t k = 0; k < cols; k++) v[k] -= m * w[k];
            if (mu) mu[i * rows + j] = m;
        }
        double s = 0;
        for (size_t k = 0; k < cols; k++) s += v[k] * v[k];
        nn[i] = s;
        if (mu) {
            mu[i * rows + i] = 1;
            for (size_t j = i + 1; j < rows; j++) mu[i * rows + j] = 0;
        }
        if (!(s > 1e-24 * orig))
            rc = cllm_error_set(err, CLLM_ERR_ARG, "Gram-Schmidt: row %zu depends on the rows before it", i);
    }
    if (!rc) {
        if (bstar) memcpy(bstar, bs, rows * cols * sizeof *bs);
        if (norm2) memcpy(norm2, nn, rows * sizeof *nn);
    }
    free(bs);
    free(nn);
    return rc;
}

int pm_basis_quality_of(const double *basis, size_t rows, size_t cols, pm_basis_quality *q, cllm_error *err) {
    if (!q) return cllm_error_set(err, CLLM_ERR_ARG, "pm_basis_quality_of: NULL output");
    double *n2 = malloc((rows ? rows : 1) * sizeof *n2);
    if (!n2) return cllm_error_set(err, CLLM_ERR_NOMEM, "basis quality: out of memory");
    int rc = pm_gram_schmidt(basis, rows, cols, NULL, NULL, n2, err);
    if (!rc) {
        double logvol = 0, lognorms = 0;
        for (size_t i = 0; i < rows; i++) {
            double b = 0;
            for (size_t k = 0; k < cols; k++) b += basis[i * cols + k] * basis[i * cols + k];
            logvol += 0.5 * log(n2[i]);
            lognorms += 0.5 * log(b);
        }
        double b1 = 0;
        for (size_t k = 0; k < cols; k++) b1 += basis[k] * basis[k];
        q->log_volume = logvol;
        q->log_orth_defect = lognorms - logvol;
        q->orth_defect = exp(q->log_orth_defect);
        q->b1_norm = sqrt(b1);
        q->hermite_factor = exp(log(q->b1_norm) - logvol / (double)rows);
    }
    free(n2);
    return rc;
}

int pm_log_volume(const double *basis, size_t rows, size_t cols, double *out, cllm_error *err) {
    if (!out) return cllm_error_set(err, CLLM_ERR_ARG, "pm_log_volume: NULL output");
    pm_basis_quality q;
    int rc = pm_basis_quality_of(basis, rows, cols, &q, err);
    if (!rc) *out = q.log_volume;
    return rc;
}
