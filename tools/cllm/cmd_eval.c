/* cmd_eval.c — `cllm eval`, `cllm tokenize`, `cllm info`: reading a model against text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cllm_generate.h"
#include "cllm_io.h"

static const char eval_usage[] =
    "usage: cllm eval --model FILE --data PATH... [--tokenizer FILE] [--threads N] [--precision P] [--context T]\n"
    "Prints the mean next-token cross-entropy (nats/token) and bits per byte over the text, in consecutive\n"
    "windows of T tokens (each file is read whole; files are joined in order).\n"
    "--context T: the window, at most the model's context (default: the model's context, but at most 1024 —\n"
    "GPT-2's — so that a small file stating a huge context cannot make eval allocate its T² attention scratch)\n"
    "--precision fp32 (default: the training forward) | bf16 | int8: the generator's arithmetic at that precision,\n"
    "a token at a time, so the figure is what `cllm generate --precision P` predicts with.\n";

/* The text of every path, concatenated. */
static uint8_t *read_texts(const cli_list *paths, size_t *total) {
    uint8_t *all = NULL;
    *total = 0;
    for (int i = 0; i < paths->n; i++) {
        cllm_error err = {0};
        size_t n;
        uint8_t *t = cllm_file_read_all(paths->items[i], &n, &err);
        if (!t) cli_die(2, "eval: %s", err.msg);
        uint8_t *grown = realloc(all, *total + n + 1);
        if (!grown) cli_die(2, "eval: out of memory reading %s", paths->items[i]);
        all = grown;
        memcpy(all + *total, t, n);
        *total += n;
        free(t);
    }
    return all;
}

/* −log softmax(logits[V])[target], in double. */
static double nll(const float *logits, int V, int target) {
    float maxv = logits[0];
    for (int v = 1; v < V; v++) maxv = logits[v] > maxv ? logits[v] : maxv;
    double sum = 0;
    for (int v = 0; v < V; v++) sum += exp((double)logits[v] - maxv);
    return log(sum) + maxv - logits[target];
}

/* losses[i] of window ids[0..len] (len predictions) through the generator: a fresh cache, one token at a time. */
static void window_losses(cllm_generator *g, const int32_t *ids, int len, int V, float *losses) {
    cllm_generator_reset(g);
    for (int i = 0; i < len; i++) losses[i] = (float)nll(cllm_generator_push(g, ids[i]), V, ids[i + 1]);
}

int cmd_eval(int argc, char **argv) {
    const char *model = NULL, *tokenizer = NULL, *precision = NULL;
    cli_list data = {0};
    long threads = 0, context = 0;
    cli_opt opts[] = {
        {"model", OPT_STR, &model, 0, 0, NULL}, {"tokenizer", OPT_STR, &tokenizer, 0, 0, NULL},
        {"data", OPT_LIST, &data, 0, 0, NULL},  {"threads", OPT_INT, &threads, 1, 4096, NULL},
        {"precision", OPT_STR, &precision, 0, 0, NULL}, {"context", OPT_INT, &context, 1, 1 << 20, NULL},
    };
    cli_parse(argc, argv, opts, 6, eval_usage);
    if (!model || data.n == 0) cli_die(2, "eval: --model FILE and --data PATH are required (see 'cllm eval --help')");
    cli_set_threads(threads);
    cllm_tokenizer *tok;
    cllm_model *m = cli_load_model("eval", model, tokenizer, &tok);
    size_t nbytes;
    uint8_t *text = read_texts(&data, &nbytes);
    cllm_error err = {0};
    size_t n = 0;
    int32_t *ids = cllm_tokenizer_encode(tok, text, nbytes, &n, &err);
    free(text);
    if (!ids) cli_die(2, "eval: %s", err.msg);
    if (n < 2) cli_die(2, "eval: the text has %zu token(s); at least 2 are needed to predict one", n);
    int T = cllm_model_config(m)->n_ctx, V = cllm_model_config(m)->vocab_size;
    if (context > T) cli_die(2, "eval: --context %ld is longer than the model's context %d", context, T);
    T = context ? (int)context : T < 1024 ? T : 1024;
    if ((size_t)T > n - 1) T = (int)(n - 1); /* one window holds the whole text: no larger arena is needed */
    if (cllm_model_reserve(m, 1, T, &err)) cli_die(2, "eval: %s", err.msg);
    cllm_generator *g = precision && strcmp(precision, "fp32") != 0 ? cli_generator("eval", m, precision) : NULL;
    float *gen_losses = g ? malloc(sizeof(float) * (size_t)T) : NULL;
    if (g && !gen_losses) cli_die(2, "eval: out of memory");
    for (size_t i = 0; g && i < n; i++) /* the generator indexes its tables by id */
        if (ids[i] < 0 || ids[i] >= V) cli_die(2, "eval: token id %d is outside the model's vocabulary %d", ids[i], V);
    /* windows start every T tokens; window w predicts tokens s+1 .. s+len from their prefixes in the window */
    double nats = 0, bytes = 0;
    size_t predicted = 0;
    for (size_t s = 0; s + 1 < n; s += (size_t)T) {
        int len = (int)(n - 1 - s < (size_t)T ? n - 1 - s : (size_t)T);
        const float *losses = gen_losses;
        if (g) window_losses(g, ids + s, len, V, gen_losses);
        else cllm_model_evaluate(m, ids + s, ids + s + 1, 1, len), losses = cllm_model_losses(m);
        for (int i = 0; i < len; i++) {
            size_t bl = 0;
            cllm_tokenizer_token_bytes(tok, ids[s + 1 + i], &bl);
            nats += losses[i];
            bytes += (double)bl;
        }
        predicted += (size_t)len;
    }
    double loss = nats / (double)predicted, bpb = bytes > 0 ? nats / log(2.0) / bytes : 0;
    printf("loss %.6f nats/token  bpb %.6f  tokens %zu  bytes %.0f  precision %s\n", loss, bpb, predicted, bytes,
           precision ? precision : "fp32");
    free(gen_losses);
    cllm_generator_free(g);
    free(ids);
    cllm_model_free(m);
    cllm_tokenizer_free(tok);
    return 0;
}

static const char tokenize_usage[] =
    "usage: cllm tokenize --model FILE [--tokenizer FILE] < text\nPrints the token ids of stdin on one line.\n";

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *tokenizer = NULL;
    cli_opt opts[] = {{"model", OPT_STR, &model, 0, 0, NULL}, {"tokenizer", OPT_STR, &tokenizer, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 2, tokenize_usage);
    if (!model && !tokenizer) cli_die(2, "tokenize: --model FILE (or --tokenizer FILE) is required");
    cllm_tokenizer *tok = NULL;
    cllm_model *m = model ? cli_load_model("tokenize", model, tokenizer, &tok) : NULL;
    if (!m) tok = cli_load_tokenizer("tokenize", tokenizer);
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) { char *b = realloc(buf, cap *= 2); if (!b) { free(buf); buf = NULL; } else buf = b; }
    }
    if (!buf) cli_die(2, "tokenize: out of memory reading stdin");
    cllm_error err = {0};
    size_t n = 0;
    int32_t *ids = cllm_tokenizer_encode(tok, buf, len, &n, &err);
    if (!ids) cli_die(2, "tokenize: %s", err.msg);
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    putchar('\n');
    free(ids);
    free(buf);
    cllm_model_free(m);
    cllm_tokenizer_free(tok);
    return 0;
}

static const char info_usage[] = "usage: cllm info --model FILE\nPrints the config, parameter count and tokenizer.\n";

int cmd_info(int argc, char **argv) {
    const char *model = NULL;
    cli_opt opts[] = {{"model", OPT_STR, &model, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 1, info_usage);
    if (!model) cli_die(2, "info: --model FILE is required");
    cllm_error err = {0};
    cllm_tokenizer *tok = NULL;
    cllm_model *m = cllm_model_load(model, &tok, &err);
    if (!m) cli_die(2, "info: %s", err.msg);
    const cllm_config *c = cllm_model_config(m);
    printf("model      %s\n", model);
    printf("config     n_layer %d  n_head %d  n_embd %d  n_positions %d  vocab_size %d\n", c->n_layer, c->n_head,
           c->n_embd, c->n_ctx, c->vocab_size);
    printf("positions  %s\nembed init %s\nprime bias %s\n", cllm_pos_kind_name(c->pos_kind),
           c->embed_init ? "lattice" : "gpt2", c->attn_prime_bias ? "on" : "off");
    char arch[96];
    cllm_config_arch(c, arch, sizeof arch);
    printf("arch       %s\n", strcmp(arch, "gpt2") == 0 ? "gpt2 (GPT-2 exactly)" : arch);
    printf("parameters %zu\n", cllm_model_num_params(m));
    if (*cllm_model_trained(m)) printf("trained    %s\n", cllm_model_trained(m));
    if (tok) {
        char *json = cllm_tokenizer_to_json(tok);
        char kind[32] = "?";
        const char *t = json ? strstr(json, "\"type\"") : NULL;
        if (t) sscanf(t, "\"type\":\"%31[^\"]\"", kind);
        printf("tokenizer  %s, %d ids, <|endoftext|> %d\n", kind, cllm_tokenizer_vocab_size(tok), cllm_tokenizer_eot(tok));
        free(json);
    } else {
        printf("tokenizer  none in the file\n");
    }
    cllm_model_free(m);
    cllm_tokenizer_free(tok);
    return 0;
}
