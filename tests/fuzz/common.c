/* common.c — helpers shared by the harnesses (see fuzz.h). */
#include "fuzz.h"
#include "cllm_tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fuzz_write_temp(const uint8_t *data, size_t size, const char *suffix) {
    static char path[256];
    struct stat st;
    const char *dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/cllm-fuzz-%ld%s", dir ? dir : "/tmp", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
    return path;
}

void fuzz_check_error(int rc, const cllm_error *err, size_t size) {
    if (!rc) return;
    if (getenv("FUZZ_EXPECT_OK")) abort(); /* make-seeds.sh: files the CLI wrote must load */
    if (err->code == CLLM_ERR_NOMEM && size < (1u << 20)) abort();
    for (const unsigned char *u = (const unsigned char *)err->msg; *u; u++)
        if (*u < 0x20 || *u == 0x7f) abort();
}

void fuzz_round_trip(const cllm_tokenizer *tok) {
    static const char text[] = "Hello, world! It's 2024\n\n  caf\xc3\xa9 \xe9\x86\x92 <|endoftext|> \xff\x00end";
    cllm_error err = {0};
    size_t n = 0;
    int32_t *ids = cllm_tokenizer_encode(tok, text, sizeof text - 1, &n, &err);
    if (!ids) {
        fuzz_check_error(1, &err, 0);
        return;
    }
    char back[sizeof text];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *b = cllm_tokenizer_token_bytes(tok, ids[i], &len);
        if (!b || used + len > sizeof text - 1) abort();
        memcpy(back + used, b, len);
        used += len;
    }
    if (used != sizeof text - 1 || memcmp(back, text, used) != 0) abort();
    free(ids);
}
