/* fuzz_shards.c — a token shard from arbitrary bytes: open (header, CRC, every id < vocabulary), then read the
 * stream through the loader and the validation windows. */
#include <stdlib.h>

#include "cllm_data.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_temp(data, size, ".bin");
    const char *paths[] = {path};
    cllm_error err = {0};
    cllm_shards *s = cllm_shards_open(paths, 1, "train", &err);
    if (!s) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    int V = cllm_shards_vocab_size(s);
    uint64_t n = cllm_shards_count(s);
    int32_t in[3 * 4], tg[3 * 4];
    cllm_window_iter it;
    cllm_window_iter_init(&it, s, 4);
    while (cllm_window_iter_next(&it, 3, in, tg) > 0)
        for (int i = 0; i < 12; i++)
            if (in[i] < 0 || in[i] >= V || tg[i] < 0 || tg[i] >= V) abort();
    cllm_loader *ld = cllm_loader_new(s, 3, 4, 7, &err);
    if (ld) {
        cllm_loader_next(ld, in, tg);
        for (int i = 0; i < 12; i++)
            if (in[i] < 0 || in[i] >= V) abort();
        cllm_loader_free(ld);
    } else if (n >= 5) {
        abort(); /* enough tokens for a window of 4 + 1 */
    }
    cllm_shards_close(s);
    return 0;
}
