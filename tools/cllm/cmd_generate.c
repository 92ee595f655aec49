/* cmd_generate.c — `cllm generate` and `cllm chat`: sampling with the KV cache, streamed as it is produced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cllm_generate.h"

typedef struct sampling {
    const char *model, *tokenizer, *prompt, *precision;
    long max_tokens, top_k, seed;
    double temperature, top_p;
    long threads;
    /* what parse_sampling opens */
    cllm_model *m;
    cllm_tokenizer *tok;
    cllm_generator *g;
    cllm_rng rng;
} sampling;

/* Parses the flags and opens the model, its tokenizer and a generator (dies with exit 2 on any failure). */
static void parse_sampling(sampling *o, int argc, char **argv, const char *usage, int with_prompt) {
    *o = (sampling){.max_tokens = 256, .top_k = 40, .seed = 1337, .temperature = 0.8, .top_p = 0.95};
    cli_opt opts[] = {
        {"model", OPT_STR, &o->model, 0, 0, NULL},          {"tokenizer", OPT_STR, &o->tokenizer, 0, 0, NULL},
        {"max-tokens", OPT_INT, &o->max_tokens, 1, 1 << 24, NULL},
        {"temperature", OPT_FLOAT, &o->temperature, 0, 100, NULL},
        {"top-k", OPT_INT, &o->top_k, 0, 1 << 24, NULL},    {"top-p", OPT_FLOAT, &o->top_p, 1e-9, 1, NULL},
        {"seed", OPT_INT, &o->seed, 0, 9.2e18, NULL},       {"threads", OPT_INT, &o->threads, 1, 4096, NULL},
        {"precision", OPT_STR, &o->precision, 0, 0, NULL},
        {"prompt", OPT_STR, &o->prompt, 0, 0, NULL},
    };
    cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof *opts) - (with_prompt ? 0 : 1), usage);
    if (!o->model) cli_die(2, "%s: --model FILE is required (see 'cllm %s --help')", argv[0], argv[0]);
    cli_set_threads(o->threads);
    o->m = cli_load_model(argv[0], o->model, o->tokenizer, &o->tok);
    /* every id the model can sample must have text: ids past a smaller tokenizer used to print as NUL bytes */
    int tok_ids = cllm_tokenizer_vocab_size(o->tok), model_ids = cllm_model_config(o->m)->vocab_size;
    if (tok_ids < model_ids)
        cli_die(2, "%s: the tokenizer has %d ids but %s samples from %d; ids %d..%d would have no text (pass the "
                "model's own tokenizer with --tokenizer)", argv[0], tok_ids, o->model, model_ids, tok_ids,
                model_ids - 1);
    o->g = cli_generator(argv[0], o->m, o->precision);
    cllm_rng_seed(&o->rng, (uint64_t)o->seed);
}

static void close_sampling(sampling *o) {
    cllm_generator_free(o->g);
    cllm_model_free(o->m);
    cllm_tokenizer_free(o->tok);
}

/* Feeds text to the generator; returns the logits after its last token (NULL for empty text). */
static const float *feed(cllm_generator *g, const cllm_tokenizer *tok, const char *text, size_t n) {
    cllm_error err = {0};
    size_t count = 0;
    int32_t *ids = cllm_tokenizer_encode(tok, text, n, &count, &err);
    if (!ids) cli_die(2, "%s", err.msg);
    const float *logits = count ? cllm_generator_feed(g, ids, (int)count) : NULL;
    free(ids);
    return logits;
}

/* Streams each token's bytes to stdout. */
static int emit_token(void *ctx, int id, const uint8_t *b, size_t len) {
    (void)ctx; (void)id;
    if (len) fwrite(b, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static void sample_loop(cllm_generator *g, const cllm_tokenizer *tok, const float *logits, const sampling *o,
                        cllm_rng *rng, int stop_at_newline) {
    cllm_sample_params sp = {(float)o->temperature, (int)o->top_k, (float)o->top_p};
    cllm_generate_tokens(g, tok, logits, &sp, rng, o->max_tokens, stop_at_newline, emit_token, NULL);
}

static const char gen_usage[] =
    "usage: cllm generate --model FILE [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]\n"
    "                     [--seed S] [--tokenizer FILE] [--threads N] [--precision fp32|bf16|int8]\n"
    "Streams a continuation of TEXT (default: from the start of a document). --temperature 0 is greedy;\n"
    "defaults: 256 tokens, temperature 0.8, top-k 40, top-p 0.95. --precision bf16 / int8 runs the matrix\n"
    "products on bf16 / Q8_0 copies of the weights (half / a quarter of the bytes; `cllm eval --precision` shows\n"
    "what that costs).\n";

int cmd_generate(int argc, char **argv) {
    sampling o;
    parse_sampling(&o, argc, argv, gen_usage, 1);
    cllm_generator *g = o.g;
    const cllm_tokenizer *tok = o.tok;
    const char *prompt = o.prompt ? o.prompt : "";
    const float *logits = NULL;
    if (*prompt) {
        fputs(prompt, stdout);
        logits = feed(g, tok, prompt, strlen(prompt));
    } else {
        int start = cllm_tokenizer_eot(tok);
        logits = cllm_generator_push(g, start >= 0 ? start : '\n');
    }
    sample_loop(g, tok, logits, &o, &o.rng, 0);
    fputc('\n', stdout);
    close_sampling(&o);
    return 0;
}

static const char chat_usage[] =
    "usage: cllm chat --model FILE [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]\n"
    "                 [--precision fp32|bf16|int8]\n"
    "A REPL: each line you type is appended to the conversation and the model continues it (to the end of its\n"
    "line or --max-tokens, default 256). The whole conversation stays in context, trimmed to the model's\n"
    "context length. Commands: /reset forgets the conversation, /quit (or end of input) leaves.\n";

int cmd_chat(int argc, char **argv) {
    sampling o;
    parse_sampling(&o, argc, argv, chat_usage, 0);
    cllm_generator *g = o.g;
    const cllm_tokenizer *tok = o.tok;
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        fputs("> ", stdout);
        fflush(stdout);
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) break;
        if (strncmp(line, "/quit", 5) == 0) break;
        if (strncmp(line, "/reset", 6) == 0) { cllm_generator_reset(g); continue; }
        if (n == 0 || (n == 1 && line[0] == '\n')) continue;
        if (line[n - 1] != '\n') line[n++] = '\n'; /* getline leaves room: cap > n */
        const float *logits = feed(g, tok, line, (size_t)n);
        sample_loop(g, tok, logits, &o, &o.rng, 1);
        fputc('\n', stdout);
    }
    free(line);
    close_sampling(&o);
    return 0;
}
