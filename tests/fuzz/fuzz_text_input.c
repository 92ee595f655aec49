/* fuzz_text_input.c — `cllm prepare`'s input reader over an arbitrary file: as text (first byte even) or as JSONL
 * (odd), with blank-line documents on or off; every piece must be within its bounds. */
#include <stdlib.h>
#include <string.h>

#include "cllm_data.h"
#include "data/input.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int jsonl = size > 0 && (data[0] & 1), blank = size > 0 && (data[0] & 2);
    const char *path = fuzz_write_temp(data, size, jsonl ? ".jsonl" : ".txt");
    cllm_prepare_opts o = cllm_prepare_defaults();
    o.inputs = &path;
    o.n_inputs = 1;
    o.blank_line_docs = blank;
    cllm_prepare_summary sum = {0};
    cllm_error err = {0};
    data_source *src = data_source_new(&o, &sum, &err);
    if (!src) {
        fuzz_check_error(1, &err, size);
        return 0;
    }
    data_piece p;
    int rc;
    size_t total = 0;
    while ((rc = data_source_next(src, &p, &err)) == 1) {
        if (p.len > DATA_PIECE_BYTES) abort();
        total += p.len;
        free(p.text);
    }
    if (rc < 0) fuzz_check_error(1, &err, size);
    if (!jsonl && total > size) abort(); /* text files give back at most their bytes */
    data_source_free(src);
    return 0;
}
