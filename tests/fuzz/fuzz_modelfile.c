/* fuzz_modelfile.c — a model file from arbitrary bytes: load it (config from metadata or shapes, every tensor
 * checked, the tokenizer in the metadata); a loaded model must be usable for one forward. A small file that runs
 * the loader out of memory is a failure (issue 10, finding 2). */
#include <stdlib.h>

#include "cllm_io.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cllm_error err = {0};
    cllm_tokenizer *tok = NULL;
    cllm_model *m = cllm_model_load_memory(data, size, "fuzz.safetensors", &tok, &err);
    if (!m) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    const cllm_config *c = cllm_model_config(m);
    if (tok && cllm_tokenizer_vocab_size(tok) > c->vocab_size) abort();
    if (cllm_model_reserve(m, 1, 2 < c->n_ctx ? 2 : c->n_ctx, &err) == 0) {
        int T = 2 < c->n_ctx ? 2 : c->n_ctx;
        int32_t in[2] = {0, c->vocab_size - 1}, tg[2] = {c->vocab_size - 1, 0};
        cllm_model_evaluate(m, in, tg, 1, T);
    }
    cllm_tokenizer_free(tok);
    cllm_model_free(m);
    return 0;
}
