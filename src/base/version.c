/* version.c — the version of both libraries, from the VERSION file at the top of the tree (the Makefile passes it
 * as CLLM_VERSION_STRING; one place to change it). */
#include "cllm_error.h"
#include "primemath.h"

#ifndef CLLM_VERSION_STRING
#error "build through the Makefile: it defines CLLM_VERSION_STRING from the VERSION file"
#endif

const char *cllm_version(void) { return CLLM_VERSION_STRING; }
const char *pm_version(void) { return CLLM_VERSION_STRING; }
