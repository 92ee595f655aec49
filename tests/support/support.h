/* support.h — helpers shared by the tests: scratch directories, file writing, the CLI binaries' paths. */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* TEST_UNDER_ASAN is 1 in sanitizer builds, where malloc belongs to ASan and RSS includes its shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_UNDER_ASAN 1
/* 1 when s holds no control byte, no DEL and no C1 control: a terminal shows it as one line and obeys nothing. */
int test_printable_line(const char *s);

#endif
/* 1 when s holds no control byte, no DEL and no C1 control: a terminal shows it as one line and obeys nothing. */
int test_printable_line(const char *s);

#endif
#ifndef TEST_UNDER_ASAN
#define TEST_UNDER_ASAN 0
/* 1 when s holds no control byte, no DEL and no C1 control: a terminal shows it as one line and obeys nothing. */
int test_printable_line(const char *s);

#endif

/* A fresh directory under $TMPDIR, removed (recursively) at exit; the path is malloc'd and lives until exit. */
const char *test_tmpdir(void);
/* "<tmpdir>/<name>" in a static rotating buffer (valid for the next 8 calls). */
const char *test_path(const char *name);
/* Writes n bytes to path (plain fopen; the test's own fixture). */
void test_write_file(const char *path, const void *data, size_t n);
/* Runs a shell command, returns its exit status (0..255), or -1 if it could not run. */
int test_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Deterministic pseudo-random numbers for fixtures (xorshift64*). */
uint64_t test_rand(uint64_t *state);
/* Uniform in [-1, 1). */
double test_rand_uniform(uint64_t *state);

/* 1 when s holds no control byte, no DEL and no C1 control: a terminal shows it as one line and obeys nothing. */
int test_printable_line(const char *s);

#endif
