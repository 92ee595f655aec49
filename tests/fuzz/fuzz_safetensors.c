/* fuzz_safetensors.c — the safetensors reader over arbitrary bytes: open, look every tensor up by name, read the
 * float ones, walk the metadata. */
#include <stdlib.h>
#include <string.h>

#include "cllm_safetensors.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cllm_error err = {0};
    cllm_safetensors *st = cllm_safetensors_open_memory(data, size, "fuzz.safetensors", &err);
    if (!st) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    for (int i = 0; i < cllm_safetensors_count(st); i++) {
        const cllm_st_tensor *t = cllm_safetensors_get(st, i);
        if (cllm_safetensors_find(st, t->name) != t) abort();
        size_t esize = cllm_dtype_size(t->dtype), n = t->nbytes / esize;
        float *out = malloc((n ? n : 1) * sizeof *out);
        if (!out) abort();
        int rc = cllm_safetensors_read_f32(st, t, out, n, &err);
        if (rc) fuzz_check_error(rc, &err, size);
        free(out);
    }
    const char *key, *value;
    for (int i = 0; cllm_safetensors_meta_at(st, i, &key, &value) == 0; i++)
        if (cllm_safetensors_meta(st, key) == NULL) abort();
    cllm_safetensors_close(st);
    return 0;
}
