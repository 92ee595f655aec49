/* fuzz_gpt2_import.c — GPT-2's vocab.json + merges.txt from arbitrary bytes (the input is split at its first NUL:
 * vocab.json before, merges.txt after); a tokenizer that loads must round-trip a fixed text. */
#include <string.h>

#include "cllm_tokenizer.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t vlen = nul ? (size_t)(nul - data) : size, mlen = nul ? size - vlen - 1 : 0;
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_from_gpt2((const char *)data, vlen, nul ? (const char *)nul + 1 : "", mlen,
                                                   &err);
    if (!tok) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    fuzz_round_trip(tok);
    cllm_tokenizer_free(tok);
    return 0;
}
