/* cmd_bench.c — `cllm bench`: training throughput (tokens/s, GFLOP/s, MFU) of full optimizer steps on random
 * tokens, or with --generate the KV-cache generation speed (the library's cllm_bench_*, which the app runs too).
 * Ends with one JSON line on stdout for scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cllm_bench.h"
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

/* The flags' config (dies with exit 2 on a bad one). */
static cllm_config bench_config(const bench_args *a) {
    cllm_error err = {0};
    cllm_config cfg;
    if (cllm_config_preset(a->config_name ? a->config_name : "tiny", &cfg, &err)) cli_die(2, "bench: %s", err.msg);
    if (a->layers) cfg.n_layer = (int)a->layers;
    if (a->dim) cfg.n_embd = (int)a->dim;
    if (a->heads) cfg.n_head = (int)a->heads;
    if (a->context) cfg.n_ctx = (int)a->context;
    cfg.vocab_size = a->vocab_size ? (int)a->vocab_size : 4096;
    if (cllm_config_check(&cfg, &err)) cli_die(2, "bench: %s", err.msg);
    return cfg;
}

/* --precision: fp32 or bf16 for training, also int8 for generation (dies with exit 2 otherwise). */
static cllm_precision bench_precision(const bench_args *a) {
    cllm_precision p = CLLM_PRECISION_FP32;
    if (a->precision && (cllm_precision_parse(a->precision, &p) || (!a->generate && p == CLLM_PRECISION_INT8)))
        cli_die(2, "bench: --precision must be fp32 or bf16%s, not '%s'", a->generate ? " or int8" : "", a->precision);
    if (p == CLLM_PRECISION_BF16 && !cllm_gemm_bf16_native())
        fprintf(stderr, "bench: bf16 is emulated on this CPU (no AVX512_BF16): the same results, slower\n");
    return p;
}

static int bench_train(const bench_args *a, int threads) {
    cllm_error err = {0};
    cllm_config cfg = bench_config(a);
    cllm_precision precision = bench_precision(a);
    int B = (int)a->batch, T = cfg.n_ctx;
    fprintf(stderr, "bench: L%d C%d H%d T%d V%d, %d threads, batch %d×%d, 2+%ld steps\n", cfg.n_layer, cfg.n_embd,
            cfg.n_head, T, cfg.vocab_size, threads, B, T, a->steps);
    cllm_bench_train_result r;
    if (cllm_bench_train(&cfg, B, (int)a->steps, (uint64_t)a->seed, threads, precision, &r, &err))
        cli_die(2, "bench: %s", err.msg);
    fprintf(stderr, "bench: %zu parameters, %s, median step %.1f ms, %.0f tokens/s, %.2f GFLOP/s of %.2f fp32 peak "
            "(%s) and %.2f bf16 peak (%s), last loss %.3f\n", r.params, cllm_precision_name(precision), r.ms_per_step,
            r.tokens_per_s, r.gflops, r.peak_gflops, cllm_sgemm_backend(), r.peak_bf16_gflops,
            cllm_gemm_bf16_native() ? "vdpbf16ps" : "emulated", r.last_loss);
    printf("{\"tokens_per_s\":%.1f,\"ms_per_step\":%.3f,\"gflops\":%.3f,\"peak_gflops\":%.3f,\"mfu\":%.4f,"
           "\"peak_bf16_gflops\":%.3f,\"mfu_bf16\":%.4f,\"precision\":\"%s\",\"peak_rss_mb\":%.1f}\n", r.tokens_per_s,
           r.ms_per_step, r.gflops, r.peak_gflops, r.mfu, r.peak_bf16_gflops, r.mfu_bf16, cllm_precision_name(precision),
           r.peak_rss_mb);
    return 0;
}

static int bench_generate(const bench_args *a, int threads) {
    cllm_error err = {0};
    cllm_config cfg = bench_config(a);
    cllm_precision precision = bench_precision(a);
    fprintf(stderr, "bench: generation, L%d C%d H%d T%d V%d, %d threads, prompt %ld, %ld tokens, %ld rounds\n",
            cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_ctx, cfg.vocab_size, threads, a->prompt_tokens, a->gen_tokens,
            a->rounds);
    cllm_bench_generate_result r;
    if (cllm_bench_generate(&cfg, (int)a->prompt_tokens, (int)a->gen_tokens, (int)a->rounds, (uint64_t)a->seed,
                            precision, &r, &err))
        cli_die(2, "bench: %s", err.msg);
    fprintf(stderr, "bench: %zu parameters, first token %.1f ms (prompt %ld), then %.2f ms/token = %.0f tokens/s\n",
            r.params, r.first_token_ms, a->prompt_tokens, r.ms_per_token, r.tokens_per_s);
    printf("{\"tokens_per_s\":%.1f,\"ms_per_token\":%.3f,\"first_token_ms\":%.3f,\"precision\":\"%s\","
           "\"peak_rss_mb\":%.1f}\n", r.tokens_per_s, r.ms_per_token, r.first_token_ms, cllm_precision_name(precision),
           r.peak_rss_mb);
    return 0;
}

int cmd_bench(int argc, char **argv) {
    bench_args a;
    bench_parse(&a, argc, argv);
    int threads = cli_set_threads(a.threads);
    return a.generate ? bench_generate(&a, threads) : bench_train(&a, threads);
}
