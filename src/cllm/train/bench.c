/* bench.c — training and generation throughput (cllm_bench.h): the code `cllm bench` and the app's Bench tab run. */
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "cllm_bench.h"
#include "cllm_generate.h"
#include "cllm_simd.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Median of v[n] (reorders v). */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ru_maxrss is in kilobytes on Linux. */
static double peak_rss_mb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
}

static void random_tokens(cllm_rng *rng, int32_t *ids, size_t n, int V) {
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)(cllm_rng_next(rng) % (uint64_t)V);
}

/* A model of cfg with GPT-2 initialisation from seed; NULL with err. */
static cllm_model *bench_model(const cllm_config *cfg, uint64_t seed, cllm_error *err) {
    if (cllm_config_check(cfg, err)) return NULL;
    cllm_model *m = cllm_model_new(cfg, err);
    if (m && cllm_model_init_gpt2(m, seed)) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory computing the model's %s position encoding%s",
                       cllm_pos_kind_name(cfg->pos_kind), cfg->embed_init ? " or lattice embedding" : "");
        cllm_model_free(m);
        return NULL;
    }
    return m;
}

/* nanoGPT's estimate_mfu count per token: 6N for the matrix products of forward+backward over the parameters
 * (N without the position embeddings, which are looked up, not multiplied; the tied head counts once), plus
 * 12·L·C·T for attention's q·kᵀ and att·v, forward and backward. */
double cllm_bench_flops_per_token(const cllm_model *m) {
    const cllm_config *cfg = cllm_model_config(m);
    const cllm_tensor *wpe = cllm_model_tensor_find(m, "wpe.weight");
    double N = (double)cllm_model_num_params(m) - (wpe ? (double)wpe->numel : 0.0);
    return 6.0 * N + 12.0 * cfg->n_layer * cfg->n_embd * (double)cfg->n_ctx;
}

/* One optimizer step as `cllm train` takes it (no accumulation): returns the mean loss. */
static float train_step(cllm_model *m, cllm_adamw *opt, const int32_t *x, const int32_t *y, int B, int T) {
    cllm_model_zero_grad(m);
    float loss = cllm_model_forward(m, x, y, B, T);
    cllm_model_backward(m, 1.0f);
    cllm_clip_grad_norm(m, 1.0f);
    cllm_adamw_step(opt, m, 3e-4f);
    return loss;
}

int cllm_bench_train(const cllm_config *cfg, int B, int steps, uint64_t seed, int threads, cllm_precision precision,
                     cllm_bench_train_result *out, cllm_error *err) {
    if (B < 1 || steps < 1) return cllm_error_set(err, CLLM_ERR_ARG, "bench: batch and steps must be at least 1");
    cllm_model *m = bench_model(cfg, seed, err);
    if (!m) return err ? err->code : CLLM_ERR_ARG;
    int T = cfg->n_ctx, warmup = 2, rc = 0;
    size_t n = (size_t)B * T;
    cllm_adamw opt = {0};
    int32_t *x = malloc(sizeof(int32_t) * n), *y = malloc(sizeof(int32_t) * n);
    double *dt = malloc(sizeof(double) * (size_t)steps);
    if (!x || !y || !dt) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "bench: out of memory for %d×%d tokens", B, T);
    if (!rc) rc = cllm_model_reserve(m, B, T, err);
    if (!rc) rc = cllm_model_set_precision(m, precision, err);
    if (!rc) rc = cllm_adamw_init(&opt, m, err);
    if (!rc) {
        cllm_rng rng;
        cllm_rng_seed(&rng, seed + 1);
        float loss = 0;
        for (int s = -warmup; s < steps; s++) {
            random_tokens(&rng, x, n, cfg->vocab_size);
            random_tokens(&rng, y, n, cfg->vocab_size);
            double t0 = now_s();
            loss = train_step(m, &opt, x, y, B, T);
            if (s >= 0) dt[s] = now_s() - t0;
        }
        double step_s = median(dt, steps);
        *out = (cllm_bench_train_result){.ms_per_step = step_s * 1e3, .last_loss = loss,
                                         .peak_rss_mb = peak_rss_mb(), /* before the peak measurement's buffers */
                                         .params = cllm_model_num_params(m)};
        out->tokens_per_s = (double)n / step_s;
        out->gflops = cllm_bench_flops_per_token(m) * out->tokens_per_s * 1e-9;
        out->peak_gflops = cllm_sgemm_peak_gflops(threads);
        out->mfu = out->peak_gflops > 0 ? out->gflops / out->peak_gflops : 0.0;
        out->peak_bf16_gflops = cllm_gemm_bf16_peak_gflops(threads);
        out->mfu_bf16 = out->peak_bf16_gflops > 0 ? out->gflops / out->peak_bf16_gflops : 0.0;
    }
    free(x);
    free(y);
    free(dt);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    return rc;
}

static const cllm_sample_params greedy = {.temperature = 0, .top_k = 0, .top_p = 1};

/* One generation from an empty cache: *first_s covers feeding the prompt and picking the first token; returns the
 * seconds for the remaining n_gen - 1 tokens (push the previous, pick the next). */
static double generate_once(cllm_generator *g, const int32_t *prompt, int n_prompt, int n_gen, double *first_s) {
    cllm_rng rng;
    cllm_rng_seed(&rng, 1);
    cllm_generator_reset(g);
    double t0 = now_s();
    const float *logits = cllm_generator_feed(g, prompt, n_prompt);
    int tok = cllm_sample(g, logits, &greedy, &rng);
    double t1 = now_s();
    for (int i = 1; i < n_gen; i++) tok = cllm_sample(g, cllm_generator_push(g, tok), &greedy, &rng);
    *first_s = t1 - t0;
    return now_s() - t1;
}

int cllm_bench_generate(const cllm_config *cfg, int n_prompt, int n_gen, int rounds, uint64_t seed,
                        cllm_precision precision, cllm_bench_generate_result *out, cllm_error *err) {
    if (n_prompt < 1 || n_gen < 2 || rounds < 1)
        return cllm_error_set(err, CLLM_ERR_ARG, "bench: need prompt >= 1, generated tokens >= 2 (the first is "
                              "timed apart) and rounds >= 1");
    cllm_model *m = bench_model(cfg, seed, err);
    if (!m) return err ? err->code : CLLM_ERR_ARG;
    int rc = 0;
    cllm_generator *g = cllm_generator_new(m, err);
    int32_t *prompt = malloc(sizeof(int32_t) * (size_t)n_prompt);
    double *first = malloc(sizeof(double) * (size_t)rounds), *rest = malloc(sizeof(double) * (size_t)rounds);
    if (!g || cllm_generator_set_precision(g, precision, err)) rc = err && err->code ? err->code : CLLM_ERR_NOMEM;
    else if (!prompt || !first || !rest) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "bench: out of memory");
    if (!rc) {
        cllm_rng rng;
        cllm_rng_seed(&rng, seed + 1);
        random_tokens(&rng, prompt, (size_t)n_prompt, cfg->vocab_size);
        double warm;
        generate_once(g, prompt, n_prompt, n_gen < 8 ? n_gen : 8, &warm);
        for (int r = 0; r < rounds; r++) rest[r] = generate_once(g, prompt, n_prompt, n_gen, &first[r]);
        double per_token_s = median(rest, rounds) / (n_gen - 1);
        *out = (cllm_bench_generate_result){.tokens_per_s = 1 / per_token_s, .ms_per_token = per_token_s * 1e3,
                                            .first_token_ms = median(first, rounds) * 1e3,
                                            .peak_rss_mb = peak_rss_mb(), .params = cllm_model_num_params(m)};
    }
    free(prompt);
    free(first);
    free(rest);
    cllm_generator_free(g);
    cllm_model_free(m);
    return rc;
}
