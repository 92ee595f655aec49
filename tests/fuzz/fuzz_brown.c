/* fuzz_brown.c — the Brown corpus converter over arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "cllm_data.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cllm_error err = {0};
    size_t n = 0;
    char *text = cllm_brown_to_text((const char *)data, size, &n, &err);
    if (!text) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    if (strlen(text) > n) abort(); /* NUL-terminated at n (the input may hold NULs of its own) */
    free(text);
    return 0;
}
