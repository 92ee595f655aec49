/* common.c — what the model subcommands share: loading models and tokenizers, threads, time. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cllm_generate.h"
#include "cllm_simd.h"
#include "cllm_io.h"

cllm_tokenizer *cli_load_tokenizer(const char *cmd, const char *path) {
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_load(path, &err);
    if (!tok) cli_die(2, "%s: %s", cmd, err.msg);
    return tok;
}

cllm_model *cli_load_model(const char *cmd, const char *path, const char *tokenizer_path, cllm_tokenizer **tok) {
    cllm_error err = {0};
    cllm_tokenizer *file_tok = NULL;
    cllm_model *m = cllm_model_load(path, &file_tok, &err);
    if (!m) cli_die(2, "%s: %s", cmd, err.msg);
    if (tokenizer_path) {
        cllm_tokenizer_free(file_tok);
        file_tok = cli_load_tokenizer(cmd, tokenizer_path);
    }
    if (!file_tok) {
        if (cllm_model_config(m)->vocab_size != 256)
            cli_die(2, "%s: %s has no tokenizer; pass --tokenizer FILE (GPT-2's vocab.json + merges.txt import with "
                       "'cllm tokenizer import')", cmd, path);
        file_tok = cllm_tokenizer_byte_new();
    }
    if (cllm_tokenizer_vocab_size(file_tok) > cllm_model_config(m)->vocab_size)
        cli_die(2, "%s: the tokenizer has %d ids but %s only %d", cmd, cllm_tokenizer_vocab_size(file_tok), path,
                cllm_model_config(m)->vocab_size);
    *tok = file_tok;
    return m;
}

/* Physical cores: distinct (package, core) pairs in sysfs; falls back to online CPUs. */
static int physical_cores(void) {
    int seen[1024][2], n = 0;
    for (int cpu = 0; cpu < 1024; cpu++) {
        char path[128];
        int ids[2];
        const char *files[2] = {"physical_package_id", "core_id"};
        int ok = 1;
        for (int k = 0; k < 2 && ok; k++) {
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, files[k]);
            FILE *f = fopen(path, "r");
            ok = f && fscanf(f, "%d", &ids[k]) == 1;
            if (f) fclose(f);
        }
        if (!ok) break;
        int dup = 0;
        for (int i = 0; i < n && !dup; i++) dup = seen[i][0] == ids[0] && seen[i][1] == ids[1];
        if (!dup) { seen[n][0] = ids[0]; seen[n][1] = ids[1]; n++; }
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : (online > 0 ? (int)online : 1);
}

int cli_set_threads(long n) {
    int t = n > 0 ? (int)n : physical_cores();
    omp_set_num_threads(t);
    return t;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

cllm_generator *cli_generator(const char *cmd, const cllm_model *m, const char *precision) {
    cllm_precision p = CLLM_PRECISION_FP32;
    if (precision && cllm_precision_parse(precision, &p))
        cli_die(2, "%s: --precision must be fp32, bf16 or int8, not '%s'", cmd, precision);
    cllm_error err = {0};
    cllm_generator *g = cllm_generator_new(m, &err);
    if (!g || cllm_generator_set_precision(g, p, &err)) cli_die(2, "%s: %s", cmd, err.msg);
    if (p == CLLM_PRECISION_BF16 && !cllm_gemm_bf16_native())
        fprintf(stderr, "%s: bf16 is emulated on this CPU (no AVX512_BF16): the same results, slower\n", cmd);
    return g;
}
