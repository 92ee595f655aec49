/* fuzz_tokenizer_json.c — our tokenizer JSON from arbitrary bytes; a tokenizer that loads must encode and decode
 * a fixed text back to itself and survive its own JSON round trip. */
#include <stdlib.h>
#include <string.h>

#include "cllm_tokenizer.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_from_json((const char *)data, size, &err);
    if (!tok) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    fuzz_round_trip(tok);
    char *json = cllm_tokenizer_to_json(tok);
    if (json) {
        cllm_tokenizer *again = cllm_tokenizer_from_json(json, strlen(json), &err);
        if (!again || cllm_tokenizer_vocab_size(again) != cllm_tokenizer_vocab_size(tok)) abort();
        cllm_tokenizer_free(again);
        free(json);
    }
    cllm_tokenizer_free(tok);
    return 0;
}
