/* llmc_train.c — runs llm.c's CPU training step, unmodified, with the batch, sequence length and step count
 * given on the command line (llm.c's own main() hard-codes B 4, T 64, 40 steps, a validation pass every 10
 * steps and text generation every 20, none of which can be switched off by flags).
 *
 *     llmc_train MODEL.bin TOKENS.bin B T STEPS
 *
 * Like llm.c's test_gpt2.c, it defines TESTING and includes train_gpt2.c, which then compiles everything but
 * its main(). The loop below is main()'s training step, line for line, and so is its timed region (the batch
 * read, forward, zero_grad, backward, AdamW with lr 1e-4, betas 0.9/0.999, eps 1e-8, no weight decay), and so
 * is its one line per step:
 *     step N: train loss L (took MS ms)
 * Threads: OMP_NUM_THREADS, as for llm.c's own binary. */
#define TESTING
#include "train_gpt2.c"

/* A positive int from argv, or exit 2 with one line naming it. */
static int arg_int(const char *s, const char *name) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000) {
        fprintf(stderr, "llmc_train: error: %s must be a positive integer, got '%s'\n", name, s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: llmc_train MODEL.bin TOKENS.bin B T STEPS\n");
        return 2;
    }
    int B = arg_int(argv[3], "B"), T = arg_int(argv[4], "T"), steps = arg_int(argv[5], "STEPS");

    GPT2 model;
    gpt2_build_from_checkpoint(&model, argv[1]);
    if (T > model.config.max_seq_len) {
        fprintf(stderr, "llmc_train: error: T %d exceeds the model's max_seq_len %d\n", T, model.config.max_seq_len);
        return 2;
    }
    DataLoader train_loader;
    dataloader_init(&train_loader, argv[2], B, T, 0, 1, 1); /* shuffled, as main() loads its training set */
#ifdef OMP
    printf("llmc_train: B %d, T %d, steps %d, OpenMP threads %d\n", B, T, steps, omp_get_max_threads());
#endif

    struct timespec start, end;
    for (int step = 0; step < steps; step++) {
        clock_gettime(CLOCK_MONOTONIC, &start);
        dataloader_next_batch(&train_loader);
        gpt2_forward(&model, train_loader.inputs, train_loader.targets, B, T);
        gpt2_zero_grad(&model);
        gpt2_backward(&model);
        gpt2_update(&model, 1e-4f, 0.9f, 0.999f, 1e-8f, 0.0f, step+1);
        clock_gettime(CLOCK_MONOTONIC, &end);
        double time_elapsed_s = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
        printf("step %d: train loss %f (took %f ms)\n", step, model.mean_loss, time_elapsed_s * 1000);
        fflush(stdout);
    }

    dataloader_free(&train_loader);
    gpt2_free(&model);
    return 0;
}
