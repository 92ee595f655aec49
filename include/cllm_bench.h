/* cllm_bench.h — the throughput measurements behind `cllm bench` and the app's Bench tab.
 *
 *     cllm_config cfg; cllm_config_preset("tiny", &cfg, &err); cfg.vocab_size = 4096;
 *     cllm_bench_train_result r;
 *     if (cllm_bench_train(&cfg, 8, 20, 1337, 0, &r, &err) == 0)
 *         printf("%.0f tokens/s, MFU %.1f%%\n", r.tokens_per_s, 100 * r.mfu);
 *
 * Nothing is simulated: full optimizer steps (zero_grad, forward, backward, clip, AdamW) on random tokens of a
 * randomly initialised model, and greedy generation with the KV cache. Times are medians, on a monotonic clock.
 */
#ifndef CLLM_BENCH_H
#define CLLM_BENCH_H

#include <stdint.h>

#include "cllm.h"
#include "cllm_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What cllm_bench_train measured. */
typedef struct cllm_bench_train_result {
    double tokens_per_s; /* B·T / median step time */
    double ms_per_step;  /* median over the timed steps */
    double gflops;       /* cllm_bench_flops_per_token × tokens_per_s / 1e9 */
    double peak_gflops;  /* cllm_sgemm_peak_gflops on the same threads, measured after the steps */
    double mfu;          /* gflops / peak_gflops (0 when the peak could not be measured) */
    double peak_bf16_gflops; /* cllm_gemm_bf16_peak_gflops likewise */
    double mfu_bf16;     /* gflops / peak_bf16_gflops */
    double last_loss;    /* loss of the last step (nats/token), a sanity check */
    double peak_rss_mb;  /* the process's peak resident memory after the steps, MiB */
    size_t params;       /* parameters of the model */
} cllm_bench_train_result;

/* What cllm_bench_generate measured. */
typedef struct cllm_bench_generate_result {
    double tokens_per_s;   /* 1 / ms_per_token */
    double ms_per_token;   /* median over rounds of (time for tokens 2..n) / (n - 1) */
    double first_token_ms; /* median time to feed the prompt and pick the first token */
    double peak_rss_mb;
    size_t params;
} cllm_bench_generate_result;

/* nanoGPT's FLOPs per training token: 6N (N = parameters without position embeddings) + 12·L·C·T. */
CLLM_API double cllm_bench_flops_per_token(const cllm_model *m);

/* Times `steps` training steps of batch B × cfg->n_ctx after 2 warm-up steps, on a model of cfg initialised from
 * seed, its products in `precision` (fp32 or bf16, cllm_model_set_precision), with OpenMP's current thread count;
 * threads (>= 1, or 0 for OpenMP's) is passed to the peak measurements. CLLM_ERR_ARG for a bad config, precision,
 * or B, steps < 1; CLLM_ERR_NOMEM when the model does not fit. */
CLLM_API int cllm_bench_train(const cllm_config *cfg, int B, int steps, uint64_t seed, int threads,
                              cllm_precision precision, cllm_bench_train_result *out, cllm_error *err);

/* Times greedy generation of n_gen >= 2 tokens after an n_prompt-token random prompt, `rounds` times (after one
 * short warm-up), on a model of cfg initialised from seed, the generator's weights in `precision` (fp32, bf16 or
 * int8, cllm_generator_set_precision). */
CLLM_API int cllm_bench_generate(const cllm_config *cfg, int n_prompt, int n_gen, int rounds, uint64_t seed,
                                 cllm_precision precision, cllm_bench_generate_result *out, cllm_error *err);

#ifdef __cplusplus
}
#endif
#endif
