/* fuzz.h — shared by the fuzz harnesses (tests/fuzz/fuzz_*.c). Each harness defines LLVMFuzzerTestOneInput; it is
 * linked with libFuzzer by `make fuzz` (clang) and with replay.c by `make test` (any compiler), which feeds it every
 * kept input in tests/fuzz/regressions/<target>/. A harness aborts when the library breaks a promise (a crash, or
 * running out of memory on a small input); any error the library reports cleanly is a pass. */
#ifndef CLLM_FUZZ_H
#define CLLM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the input to this process's scratch file (on /dev/shm when there is one) named with `suffix`; returns the
 * path (static storage), or aborts. */
const char *fuzz_write_temp(const uint8_t *data, size_t size, const char *suffix);

/* Aborts when a failure on a small input was running out of memory, or its message is not one printable line:
 * both are bugs (issue 10, findings 2 and 6). With FUZZ_EXPECT_OK set in the environment, any failure aborts. */
void fuzz_check_error(int rc, const cllm_error *err, size_t size);

/* Encodes a fixed text with tok and decodes it back; aborts when the bytes differ (byte-level BPE loses nothing). */
struct cllm_tokenizer;
void fuzz_round_trip(const struct cllm_tokenizer *tok);

#endif
