/* cmd_bench.c — `cllm bench`: training throughput (tokens/s, GFLOP/s, MFU) of full optimizer steps on random
 * tokens, or with --generate the KV-cache generation speed. Ends with one JSON line on stdout for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "cllm_generate.h"
#include "cllm_simd.h"

static const char usage[] =
    "usage: cllm bench [--config tiny|small] [--batch B] [--steps N] [--threads N] [--precision fp32|bf16]\n"
    "       cllm bench --generate [--config NAME] [--prompt-tokens N] [--gen-tokens N] [--rounds R]\n"
    "                  [--precision fp32|bf16|int8]\n"
    "\n"
    "Times full training steps (zero_grad, forward, backward, clip, AdamW) on random token batches after 2\n"
    "warm-up steps, and prints a summary on stderr and one JSON line on stdout:\n"
    "  {\"tokens_per_s\", \"ms_per_step\" (median), \"gflops\", \"peak_gflops\", \"mfu\", \"peak_bf16_gflops\",\n"
    "   \"mfu_bf16\", \"precision\", \"peak_rss_mb\"}\n"
    "gflops counts nanoGPT's 6N + 12*L*C*T FLOPs per token (N: parameters without the position embeddings);\n"
    "peak_gflops / peak_bf16_gflops are this machine's fp32 / bf16 matrix-product rates measured now on the same\n"
    "threads (the same shapes); mfu = gflops/peak_gflops, mfu_bf16 = gflops/peak_bf16_gflops.\n"
    "With --generate: greedy generation with the KV cache from a random prompt, median over rounds:\n"
    "  {\"tokens_per_s\", \"ms_per_token\", \"first_token_ms\" (prompt fed + first token), \"peak_rss_mb\"}\n"
    "\n"
    "model (random GPT-2 initialisation):\n"
    "  --config NAME          tiny (L4 C256 H4 T256, default) | small (L6 C384 H6 T256)\n"
    "  --layers N --dim C --heads H --context T --vocab-size V    override the preset (default V 4096)\n"
    "training:\n"
    "  --batch B              sequences per step (default 8); each is --context tokens long\n"
    "  --steps N              timed steps (default 20)\n"
    "generation:\n"
    "  --generate             time generation instead of training\n"
    "  --prompt-tokens N      prompt length (default 64)   --gen-tokens N   tokens generated (default 128)\n"
    "  --rounds R             generations timed (default 3)\n"
    "both:\n"
    "  --threads N            OpenMP threads (default: physical cores)\n"
    "  --seed S               initialisation and tokens (default 1337)\n"
    "  --precision P          the products' arithmetic (training: fp32 | bf16; generation also int8)\n";

typedef struct bench_args {
    const char *config_name, *precision;
    long layers, dim, heads, context, vocab_size;
    long batch, steps, threads, seed;
    int generate;
    long prompt_tokens, gen_tokens, rounds;
} bench_args;

static void bench_parse(bench_args *a, int argc, char **argv) {
    *a = (bench_args){.batch = 8, .steps = 20, .seed = 1337, .prompt_tokens = 64, .gen_tokens = 128, .rounds = 3};
    cli_opt opts[] = {
        {"config", OPT_STR, &a->config_name, 0, 0, NULL},
        {"layers", OPT_INT, &a->layers, 1, 256, NULL},
        {"dim", OPT_INT, &a->dim, 1, 16384, NULL},
        {"heads", OPT_INT, &a->heads, 1, 16384, NULL},
        {"context", OPT_INT, &a->context, 1, 65536, NULL},
        {"vocab-size", OPT_INT, &a->vocab_size, 2, 1 << 24, NULL},
        {"batch", OPT_INT, &a->batch, 1, 4096, NULL},
        {"steps", OPT_INT, &a->steps, 1, 1000000, NULL},
        {"threads", OPT_INT, &a->threads, 1, 4096, NULL},
        {"seed", OPT_INT, &a->seed, 0, 9.2e18, NULL},
        {"generate", OPT_FLAG, &a->generate, 0, 0, NULL},
        {"prompt-tokens", OPT_INT, &a->prompt_tokens, 1, 65536, NULL},
        {"gen-tokens", OPT_INT, &a->gen_tokens, 1, 1 << 20, NULL},
        {"rounds", OPT_INT, &a->rounds, 1, 1000, NULL},
        {"precision", OPT_STR, &a->precision, 0, 0, NULL},
    };
    cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof *opts), usage);
}

/* A randomly initialised model of the flags' config (dies with exit 2 on a bad config). */
static cllm_model *bench_model(const bench_args *a) {
    cllm_error err = {0};
    cllm_config cfg;
    if (cllm_config_preset(a->config_name ? a->config_name : "tiny", &cfg, &err)) cli_die(2, "bench: %s", err.msg);
    if (a->layers) cfg.n_layer = (int)a->layers;
    if (a->dim) cfg.n_embd = (int)a->dim;
    if (a->heads) cfg.n_head = (int)a->heads;
    if (a->context) cfg.n_ctx = (int)a->context;
    cfg.vocab_size = a->vocab_size ? (int)a->vocab_size : 4096;
    if (cllm_config_check(&cfg, &err)) cli_die(2, "bench: %s", err.msg);
    cllm_model *m = cllm_model_new(&cfg, &err);
    if (!m) cli_die(2, "bench: %s", err.msg);
    cllm_model_init_gpt2(m, (uint64_t)a->seed);
    return m;
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

/* nanoGPT's estimate_mfu count per token: 6N for the matrix products of forward+backward over the parameters
 * (N without the position embeddings, which are looked up, not multiplied; the tied head counts once), plus
 * 12·L·C·T for attention's q·kᵀ and att·v, forward and backward. */
static double flops_per_token(const cllm_model *m) {
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

static int bench_train(const bench_args *a, int threads) {
    cllm_error err = {0};
    cllm_model *m = bench_model(a);
    const cllm_config *cfg = cllm_model_config(m);
    int B = (int)a->batch, T = cfg->n_ctx, steps = (int)a->steps, warmup = 2;
    if (cllm_model_reserve(m, B, T, &err)) cli_die(2, "bench: %s", err.msg);
    cllm_precision precision = CLLM_PRECISION_FP32;
    if (a->precision && cllm_precision_parse(a->precision, &precision))
        cli_die(2, "bench: --precision must be fp32 or bf16, not '%s'", a->precision);
    if (cllm_model_set_precision(m, precision, &err)) cli_die(2, "bench: %s", err.msg);
    cllm_adamw opt;
    if (cllm_adamw_init(&opt, m, &err)) cli_die(2, "bench: %s", err.msg);
    size_t n = (size_t)B * T;
    int32_t *x = malloc(sizeof(int32_t) * n), *y = malloc(sizeof(int32_t) * n);
    double *dt = malloc(sizeof(double) * (size_t)steps);
    if (!x || !y || !dt) cli_die(2, "bench: out of memory");
    cllm_rng rng;
    cllm_rng_seed(&rng, (uint64_t)a->seed + 1);
    fprintf(stderr, "bench: %zu parameters (L%d C%d H%d T%d V%d), %d threads, batch %d×%d, %d+%d steps\n",
            cllm_model_num_params(m), cfg->n_layer, cfg->n_embd, cfg->n_head, T, cfg->vocab_size, threads, B, T,
            warmup, steps);
    float loss = 0;
    for (int s = -warmup; s < steps; s++) {
        random_tokens(&rng, x, n, cfg->vocab_size);
        random_tokens(&rng, y, n, cfg->vocab_size);
        double t0 = cli_now();
        loss = train_step(m, &opt, x, y, B, T);
        if (s >= 0) dt[s] = cli_now() - t0;
    }
    double step_s = median(dt, steps), rss_mb = peak_rss_mb(); /* before the peak measurement's buffers */
    double peak = cllm_sgemm_peak_gflops(threads), peak16 = cllm_gemm_bf16_peak_gflops(threads);
    double tps = (double)n / step_s, gflops = flops_per_token(m) * tps * 1e-9;
    fprintf(stderr, "bench: %s, median step %.1f ms, %.0f tokens/s, %.2f GFLOP/s of %.2f fp32 peak (%s) and %.2f "
            "bf16 peak (%s), last loss %.3f\n", cllm_precision_name(precision), step_s * 1e3, tps, gflops, peak,
            cllm_sgemm_backend(), peak16, cllm_gemm_bf16_native() ? "vdpbf16ps" : "emulated", loss);
    printf("{\"tokens_per_s\":%.1f,\"ms_per_step\":%.3f,\"gflops\":%.3f,\"peak_gflops\":%.3f,\"mfu\":%.4f,"
           "\"peak_bf16_gflops\":%.3f,\"mfu_bf16\":%.4f,\"precision\":\"%s\",\"peak_rss_mb\":%.1f}\n", tps,
           step_s * 1e3, gflops, peak, peak > 0 ? gflops / peak : 0.0, peak16, peak16 > 0 ? gflops / peak16 : 0.0,
           cllm_precision_name(precision), rss_mb);
    free(x);
    free(y);
    free(dt);
    cllm_adamw_free(&opt);
    cllm_model_free(m);
    return 0;
}

static const cllm_sample_params greedy = {.temperature = 0, .top_k = 0, .top_p = 1};

/* One generation from an empty cache: *first_s covers feeding the prompt and picking the first token; returns the
 * seconds for the remaining n_gen - 1 tokens (push the previous, pick the next). */
static double generate_once(cllm_generator *g, const int32_t *prompt, int n_prompt, int n_gen, double *first_s) {
    cllm_rng rng;
    cllm_rng_seed(&rng, 1);
    cllm_generator_reset(g);
    double t0 = cli_now();
    const float *logits = cllm_generator_feed(g, prompt, n_prompt);
    int tok = cllm_sample(g, logits, &greedy, &rng);
    double t1 = cli_now();
    for (int i = 1; i < n_gen; i++) tok = cllm_sample(g, cllm_generator_push(g, tok), &greedy, &rng);
    *first_s = t1 - t0;
    return cli_now() - t1;
}

static int bench_generate(const bench_args *a, int threads) {
    cllm_model *m = bench_model(a);
    const cllm_config *cfg = cllm_model_config(m);
    int n_prompt = (int)a->prompt_tokens, n_gen = (int)a->gen_tokens, rounds = (int)a->rounds;
    if (n_gen < 2) cli_die(2, "bench: --gen-tokens must be at least 2 (the first token is timed apart)");
    cllm_generator *g = cli_generator("bench", m, a->precision);
    int32_t *prompt = malloc(sizeof(int32_t) * (size_t)n_prompt);
    double *first = malloc(sizeof(double) * (size_t)rounds), *rest = malloc(sizeof(double) * (size_t)rounds);
    if (!prompt || !first || !rest) cli_die(2, "bench: out of memory");
    cllm_rng rng;
    cllm_rng_seed(&rng, (uint64_t)a->seed + 1);
    random_tokens(&rng, prompt, (size_t)n_prompt, cfg->vocab_size);
    fprintf(stderr, "bench: generation, %zu parameters (L%d C%d H%d T%d V%d), %d threads, prompt %d, %d tokens, "
                    "%d rounds\n", cllm_model_num_params(m), cfg->n_layer, cfg->n_embd, cfg->n_head, cfg->n_ctx,
            cfg->vocab_size, threads, n_prompt, n_gen, rounds);
    double warm;
    generate_once(g, prompt, n_prompt, n_gen < 8 ? n_gen : 8, &warm);
    for (int r = 0; r < rounds; r++) rest[r] = generate_once(g, prompt, n_prompt, n_gen, &first[r]);
    double first_s = median(first, rounds), per_token_s = median(rest, rounds) / (n_gen - 1);
    fprintf(stderr, "bench: first token %.1f ms (prompt %d), then %.2f ms/token = %.0f tokens/s\n", first_s * 1e3,
            n_prompt, per_token_s * 1e3, 1 / per_token_s);
    printf("{\"tokens_per_s\":%.1f,\"ms_per_token\":%.3f,\"first_token_ms\":%.3f,\"precision\":\"%s\","
           "\"peak_rss_mb\":%.1f}\n", 1 / per_token_s, per_token_s * 1e3, first_s * 1e3,
           a->precision ? a->precision : "fp32", peak_rss_mb());
    free(prompt);
    free(first);
    free(rest);
    cllm_generator_free(g);
    cllm_model_free(m);
    return 0;
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    bench_parse(&a, argc, argv);
    int threads = cli_set_threads(a.threads);
    return a.generate ? bench_generate(&a, threads) : bench_train(&a, threads);
}
