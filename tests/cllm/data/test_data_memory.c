/* test_data_memory.c — memory does not grow with the corpus: `cllm prepare` on a generated 256 MiB corpus (one
 * 96 MiB file, one 32 MiB line, and a folder of 4 MiB files) runs as a child under a hard RLIMIT_DATA cap and its
 * peak resident set (wait4's ru_maxrss) must stay under a quarter of the corpus; then opening and validating
 * the 512 MiB of shards must not raise this process's resident set by more than a few MiB.
 *
 * What is capped: RLIMIT_DATA bounds the child's heap and private anonymous maps (malloc fails beyond it);
 * ru_maxrss is measured and asserted, not enforced. Page cache used by file I/O is neither (it is the
 * kernel's, reclaimable, and not counted in RSS). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cllm_data.h"
#include "support.h"

/* Under ASan the shadow memory makes RSS and RLIMIT_DATA meaningless: the run still checks that every byte
 * arrives (on a smaller corpus), but the memory bounds are only asserted in normal builds. */
#define UNDER_ASAN TEST_UNDER_ASAN

enum { MIB = 1 << 20, FOLDER_FILES = 32, FILE_MIB = 4, BIG_MIB = 96, LINE_MIB = 32 };
static const long RSS_LIMIT_KB = 64 * 1024;  /* corpus is 256 MiB: a quarter of it */
static const rlim_t DATA_LIMIT = 160u * MIB; /* hard cap on heap + anonymous maps (threads' stacks included) */

/* Writes mib MiB of word-like text to path; lines of about 80 bytes unless one_line (then no newline at all). */
static uint64_t write_corpus_file(const char *path, int mib, int one_line, uint64_t *rng) {
    static char block[MIB];
    static const char *const words[] = {"the", "jury", "said", "prime", "number", "spiral", "of", "and",
                                        "lattice", "model", "token", "shard", "é", "naïve", "über"};
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int m = 0; m < mib; m++) {
        size_t n = 0, col = 0;
        while (n < MIB - 16) {
            const char *w = words[test_rand(rng) % (sizeof words / sizeof words[0])];
            size_t k = strlen(w);
            memcpy(block + n, w, k);
            n += k;
            col += k + 1;
            block[n++] = !one_line && col > 80 ? '\n' : ' ';
            if (block[n - 1] == '\n') col = 0;
        }
        while (n < MIB) block[n++] = ' ';
        assert_int_equal(fwrite(block, 1, MIB, f), MIB);
    }
    assert_int_equal(fclose(f), 0);
    return (uint64_t)mib * MIB;
}

/* Runs argv as a child under the data cap; returns its exit status, peak RSS in *maxrss_kb. */
static int run_capped(char *const argv[], long *maxrss_kb) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {DATA_LIMIT, DATA_LIMIT};
        if (!UNDER_ASAN) setrlimit(RLIMIT_DATA, &rl);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long self_rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_prepare_memory_is_bounded(void **state) {
    (void)state;
    uint64_t rng = 2026, bytes = 0;
    int scale = UNDER_ASAN ? 8 : 1;
    assert_int_equal(test_system("mkdir -p %s", test_path("corpus/folder")), 0);
    bytes += write_corpus_file(test_path("corpus/big.txt"), BIG_MIB / scale, 0, &rng);
    bytes += write_corpus_file(test_path("corpus/line.txt"), LINE_MIB / scale, 1, &rng);
    for (int i = 0; i < FOLDER_FILES / scale; i++) {
        char name[64];
        snprintf(name, sizeof name, "corpus/folder/f%02d.txt", i);
        bytes += write_corpus_file(test_path(name), FILE_MIB, 0, &rng);
    }
    assert_int_equal(bytes, 256ull * MIB / (uint64_t)scale);

    const char *cllm = getenv("CLLM") ? getenv("CLLM") : "build/cllm";
    char *argv[] = {(char *)cllm, "prepare", "--tokenizer", "byte", "--out", (char *)test_path("shards"),
                    "--val-fraction", "0.1", "--shard-tokens", "33554432", (char *)test_path("corpus"), NULL};
    long maxrss_kb = 0;
    assert_int_equal(run_capped(argv, &maxrss_kb), 0);
    printf("prepare of %llu MiB: peak RSS %ld KiB (limit %ld KiB, data cap %llu MiB)\n",
           (unsigned long long)(bytes / MIB), maxrss_kb, RSS_LIMIT_KB, (unsigned long long)(DATA_LIMIT / MIB));
    if (!UNDER_ASAN) assert_true(maxrss_kb > 0 && maxrss_kb < RSS_LIMIT_KB);

    /* every byte arrived, and validating 512 MiB of shards keeps this process's RSS flat */
    long before = self_rss_kb();
    cllm_error err = {0};
    const char *dir = test_path("shards");
    cllm_shards *train = cllm_shards_open(&dir, 1, "train", &err), *val = cllm_shards_open(&dir, 1, "val", &err);
    long after = self_rss_kb();
    assert_non_null(train);
    if (!UNDER_ASAN) assert_non_null(val); /* 34 documents, a tenth to val; the smaller ASan corpus may have none */
    assert_int_equal(cllm_shards_count(train) + (val ? cllm_shards_count(val) : 0), bytes);
    assert_true(cllm_shards_files(train) >= (UNDER_ASAN ? 1 : 6));
    printf("opening %d + %d shards: RSS %ld -> %ld KiB\n", cllm_shards_files(train),
           val ? cllm_shards_files(val) : 0, before, after);
    if (!UNDER_ASAN) assert_true(after - before < 16 * 1024);
    cllm_shards_close(train);
    cllm_shards_close(val);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_memory_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
