/* replay.c — runs a fuzz harness over kept inputs without libFuzzer: `replay_X DIR...` feeds every file in each
 * DIR (and any file named directly) to LLVMFuzzerTestOneInput once. Built by any compiler, so `make test` replays
 * every input that ever failed without clang. The address space is capped at 4 GB (not under ASan), so an input
 * that makes the library allocate absurdly shows as NOMEM, which the harness turns into an abort. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cllm_error.h"
#include "fuzz.h"

#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#endif
#ifndef REPLAY_ASAN
#define REPLAY_ASAN 0
#endif

static int replay_file(const char *path) {
    cllm_error err = {0};
    size_t n = 0;
    uint8_t *data = cllm_file_read_all(path, &n, &err);
    if (!data) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}


int main(int argc, char **argv) {
    FILE *report = fdopen(dup(1), "w"); /* a harness may point stdout elsewhere (fuzz_args silences the parser) */
    if (!report) return 1;
    if (!REPLAY_ASAN) {
        struct rlimit cap = {4ull << 30, 4ull << 30};
        setrlimit(RLIMIT_AS, &cap);
    }
    int bad = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) continue; /* a target with no kept inputs yet */
        if (!S_ISDIR(st.st_mode)) { bad |= replay_file(argv[i]); count++; continue; }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, alphasort);
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (names[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                bad |= replay_file(path);
                count++;
            }
            free(names[k]);
        }
        free(names);
    }
    fprintf(report, "replayed %d inputs\n", count);
    fclose(report);
    return bad;
}
