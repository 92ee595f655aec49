/* cmd_analyze.c — `cllm analyze`: the token embeddings of a model seen as a lattice basis, measured before and
 * after LLL reduction, next to a random Gaussian basis of the same shape and scale (the crystalline LLL option:
 * a measurement, not a training step — docs/crystalline.md says why). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "primemath.h"

static const char usage[] =
    "usage: cllm analyze --model FILE [--tokens K] [--scale-bits S] [--seed N]\n"
    "Takes the embeddings of token ids 0..K-1 (default min(64, n_embd)) as the rows of a lattice basis and prints\n"
    "its log orthogonality defect and Hermite factor before and after LLL (delta 0.99, eta 0.51; the reals are\n"
    "scaled by 2^S and rounded, default S = 24), and the same for a random Gaussian basis with the same shape and\n"
    "root-mean-square entry, as a reference. The last line is JSON.\n";

typedef struct measured { pm_basis_quality before, after; } measured;

static measured measure(const char *what, double *basis, size_t k, size_t c, int scale_bits) {
    measured r;
    cllm_error err = {0};
    if (pm_basis_quality_of(basis, k, c, &r.before, &err)) cli_die(2, "analyze: %s basis: %s", what, err.msg);
    pm_lll_params params = pm_lll_params_default();
    int used = 0;
    if (pm_lll_double(basis, k, c, scale_bits, &used, NULL, &params, &err))
        cli_die(2, "analyze: LLL on the %s basis: %s", what, err.msg);
    if (pm_basis_quality_of(basis, k, c, &r.after, &err)) cli_die(2, "analyze: reduced %s basis: %s", what, err.msg);
    printf("%-10s log orth defect %9.3f -> %9.3f after LLL   Hermite factor %.4f -> %.4f\n", what,
           r.before.log_orth_defect, r.after.log_orth_defect, r.before.hermite_factor, r.after.hermite_factor);
    return r;
}

int cmd_analyze(int argc, char **argv) {
    const char *model = NULL;
    long tokens = 0, scale_bits = 24, seed = 1;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, 0, 0, NULL}, {"tokens", OPT_INT, &tokens, 2, 4096, NULL},
        {"scale-bits", OPT_INT, &scale_bits, 1, 40, NULL}, {"seed", OPT_INT, &seed, 0, 9.2e18, NULL},
    };
    cli_parse(argc, argv, opts, 4, usage);
    if (!model) cli_die(2, "analyze: --model FILE is required");
    cllm_tokenizer *tok;
    cllm_model *m = cli_load_model("analyze", model, NULL, &tok);
    const cllm_config *cfg = cllm_model_config(m);
    size_t c = (size_t)cfg->n_embd, k = tokens ? (size_t)tokens : (c < 64 ? c : 64);
    if (k > c || k > (size_t)cfg->vocab_size)
        cli_die(2, "analyze: --tokens %zu exceeds n_embd %zu or the vocabulary (rows must be independent)", k, c);
    const float *wte = cllm_model_tensor_find(m, "wte.weight")->data;
    double *emb = malloc(sizeof(double) * k * c), *rnd = malloc(sizeof(double) * k * c), ss = 0;
    if (!emb || !rnd) cli_die(2, "analyze: out of memory");
    for (size_t i = 0; i < k * c; i++) { emb[i] = wte[i]; ss += emb[i] * emb[i]; }
    double rms = sqrt(ss / (double)(k * c));
    cllm_rng rng;
    cllm_rng_seed(&rng, (uint64_t)seed);
    for (size_t i = 0; i < k * c; i++) rnd[i] = rms * cllm_rng_normal(&rng);
    printf("model %s: embeddings of tokens 0..%zu in %zu dimensions (rms %.4g)\n", model, k - 1, c, rms);
    measured e = measure("embedding", emb, k, c, (int)scale_bits), r = measure("random", rnd, k, c, (int)scale_bits);
    printf("{\"tokens\":%zu,\"dim\":%zu,\"embedding\":{\"log_orth_defect\":%.6f,\"log_orth_defect_lll\":%.6f,"
           "\"hermite\":%.6f,\"hermite_lll\":%.6f},\"random\":{\"log_orth_defect\":%.6f,\"log_orth_defect_lll\":%.6f,"
           "\"hermite\":%.6f,\"hermite_lll\":%.6f}}\n", k, c, e.before.log_orth_defect, e.after.log_orth_defect,
           e.before.hermite_factor, e.after.hermite_factor, r.before.log_orth_defect, r.after.log_orth_defect,
           r.before.hermite_factor, r.after.hermite_factor);
    free(emb);
    free(rnd);
    cllm_model_free(m);
    cllm_tokenizer_free(tok);
    return 0;
}
