/* support.c — see support.h. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmpdir;

static void remove_tmpdir(void) {
    if (!tmpdir || getenv("TEST_KEEP_TMP")) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
}

const char *test_tmpdir(void) {
    if (tmpdir) return tmpdir;
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/cllm-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) { perror("mkdtemp"); abort(); }
    tmpdir = strdup(tmpl);
    atexit(remove_tmpdir);
    return tmpdir;
}

const char *test_path(const char *name) {
    static char bufs[8][4200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", test_tmpdir(), name);
    return b;
}

void test_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

int test_system(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    if (st == -1) return -1;
    return (st >> 8) & 0xff;
}

uint64_t test_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

double test_rand_uniform(uint64_t *s) { return (double)(test_rand(s) >> 11) / (double)(1ULL << 53) * 2.0 - 1.0; }

int test_printable_line(const char *s) {
    for (const unsigned char *u = (const unsigned char *)s; *u; u++)
        if (*u < 0x20 || *u == 0x7f || (*u == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)) return 0;
    return 1;
}
