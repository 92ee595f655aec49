/* fuzz_checkpoint.c — a checkpoint from arbitrary bytes: model, AdamW moments and training state. */
#include <stdlib.h>

#include "cllm_io.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cllm_error err = {0};
    cllm_tokenizer *tok = NULL;
    cllm_adamw opt;
    cllm_train_state state;
    cllm_model *m = cllm_checkpoint_load_memory(data, size, "fuzz.safetensors", &tok, &opt, &state, &err);
    if (!m) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    if (state.data_state_size > sizeof state.data_state) abort();
    cllm_adamw_free(&opt);
    cllm_tokenizer_free(tok);
    cllm_model_free(m);
    return 0;
}
