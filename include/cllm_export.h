/* cllm_export.h — CLLM_API and PM_API mark the functions libcllm and libprimemath export. The libraries are built
 * with -fvisibility=hidden, so a function without the mark stays inside its library (tests/api/exports.sh lists
 * the shared libraries' exports and fails on any name without the cllm_ or pm_ prefix). */
#ifndef CLLM_EXPORT_H
#define CLLM_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CLLM_API __attribute__((visibility("default")))
#else
#define CLLM_API
#endif
#define PM_API CLLM_API

#endif
