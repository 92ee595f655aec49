/* cllm_runlog.h — reading a training run's log.jsonl: the train and validation loss curves.
 *
 *     cllm_runlog log = {0};
 *     cllm_error err = {0};
 *     if (cllm_runlog_read("runs/brown", &log, &err)) fprintf(stderr, "error: %s\n", err.msg);
 *     for (size_t i = 0; i < log.n_train; i++) printf("%lld %.4f\n", (long long)log.train[i].step, log.train[i].loss);
 *     cllm_runlog_free(&log);
 *
 * `cllm train` writes one JSON object per line: a training step {"step","loss","lr","grad_norm","ms",
 * "tokens_per_s","elapsed_s"}, a validation {"step","val_loss","val_bpb","elapsed_s"}, a skipped (non-finite)
 * step {"step","skipped","elapsed_s"} or the run's end {"step","end","elapsed_s",...}; the last two add no point. elapsed_s restarts at 0
 * in each invocation (a resume appends to the same file); the reader adds the previous invocations' time so
 * `minutes` runs on across resumes, and when a resume repeats steps (it restarts from the last checkpoint) the
 * later entries replace the earlier ones. A last line without its newline is still being written and is skipped.
 */
#ifndef CLLM_RUNLOG_H
#define CLLM_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"
#include "cllm_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One point of a curve. */
typedef struct cllm_runlog_point {
    int64_t step;        /* optimizer steps done */
    double loss;         /* training loss or validation loss, nats/token */
    double minutes;      /* wall time since the run began, summed over resumes */
    double tokens_per_s; /* training throughput of this step (0 for validation points) */
} cllm_runlog_point;

/* The curves of one run, steps ascending. Zero-initialise before the first add/read. */
typedef struct cllm_runlog {
    cllm_runlog_point *train; /* [n_train], owned */
    size_t n_train, cap_train;
    cllm_runlog_point *val;   /* [n_val], owned */
    size_t n_val, cap_val;
    double offset_s;          /* seconds of earlier invocations (internal) */
    double last_elapsed_s;    /* elapsed_s of the last line read (internal) */
    size_t lines;             /* complete lines read so far */
} cllm_runlog;

/* Adds one log line (len bytes, no newline needed); blank, "skipped" and "end" lines add no point. CLLM_ERR_FORMAT for a
 * line that is not a JSON object with an integer "step" and a finite "loss" or "val_loss" (log unchanged). */
CLLM_API int cllm_runlog_add_line(cllm_runlog *log, const char *line, size_t len, cllm_error *err);
/* Adds every complete line of text[n]; *used (may be NULL) = bytes consumed (up to the last newline), so a caller
 * tailing a growing file passes the rest again later. The error names the line number. */
CLLM_API int cllm_runlog_add_text(cllm_runlog *log, const char *text, size_t n, size_t *used,
                                  cllm_error *err);
/* Reads path: a run directory (its log.jsonl) or a log file. log is emptied first. */
CLLM_API int cllm_runlog_read(const char *path, cllm_runlog *log, cllm_error *err);
/* Frees the curves and zeroes log. */
CLLM_API void cllm_runlog_free(cllm_runlog *log);

#ifdef __cplusplus
}
#endif
#endif
