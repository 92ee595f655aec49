/* runlog.c — log.jsonl → train and validation curves (cllm_runlog.h). The log is outside input: every field is
 * checked for type and range before it is used, and a malformed line is an error that names its number. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cllm_runlog.h"

/* Appends p to a curve, first dropping the points at or after p's step: a resume restarts from the last
 * checkpoint and logs those steps again, and the later run is the one the model files hold. */
static int curve_add(cllm_runlog_point **pts, size_t *n, size_t *cap, cllm_runlog_point p, cllm_error *err) {
    while (*n > 0 && (*pts)[*n - 1].step >= p.step) (*n)--;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        cllm_runlog_point *q = realloc(*pts, c * sizeof *q);
        if (!q) return cllm_error_set(err, CLLM_ERR_NOMEM, "run log: out of memory");
        *pts = q;
        *cap = c;
    }
    (*pts)[(*n)++] = p;
    return 0;
}

/* A finite number field, or NAN when absent or not a number. */
static double number_field(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int cllm_runlog_add_line(cllm_runlog *log, const char *line, size_t len, cllm_error *err) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) i++;
    if (i == len) return 0;
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, 0, &jerr);
    if (!obj) return cllm_error_set(err, CLLM_ERR_FORMAT, "run log: not JSON: %s", jerr.text);
    int rc = 0;
    json_t *step = json_object_get(obj, "step");
    double loss = number_field(obj, "loss"), val = number_field(obj, "val_loss");
    double elapsed = number_field(obj, "elapsed_s"), tps = number_field(obj, "tokens_per_s");
    if (!json_is_object(obj) || !json_is_integer(step) || json_integer_value(step) < 0) {
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "run log: a line without a non-negative integer \"step\"");
    } else if (isnan(loss) && isnan(val) && (json_is_integer(json_object_get(obj, "skipped")) ||
                                             json_is_string(json_object_get(obj, "end")))) {
        rc = 0; /* a step skipped as non-finite, or the run's end line: no point on either curve */
    } else if (isnan(loss) == isnan(val)) {
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "run log: step %lld has neither or both of \"loss\" and "
                            "\"val_loss\"", (long long)json_integer_value(step));
    } else {
        /* elapsed_s restarts at 0 when a resumed invocation begins: carry the earlier time forward */
        if (!isfinite(elapsed) || elapsed < 0) elapsed = log->last_elapsed_s;
        if (elapsed < log->last_elapsed_s) log->offset_s += log->last_elapsed_s;
        log->last_elapsed_s = elapsed;
        cllm_runlog_point p = {json_integer_value(step), isnan(loss) ? val : loss,
                               (log->offset_s + elapsed) / 60.0, isfinite(tps) ? tps : 0.0};
        rc = isnan(loss) ? curve_add(&log->val, &log->n_val, &log->cap_val, p, err)
                         : curve_add(&log->train, &log->n_train, &log->cap_train, p, err);
    }
    json_decref(obj);
    return rc;
}

int cllm_runlog_add_text(cllm_runlog *log, const char *text, size_t n, size_t *used, cllm_error *err) {
    size_t at = 0;
    for (;;) {
        const char *nl = memchr(text + at, '\n', n - at);
        if (!nl) break;
        size_t len = (size_t)(nl - (text + at));
        int rc = cllm_runlog_add_line(log, text + at, len, err);
        if (rc) {
            if (err) {
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "%s", err->msg);
                cllm_error_set(err, err->code, "line %zu: %s", log->lines + 1, msg);
            }
            if (used) *used = at;
            return rc;
        }
        log->lines++;
        at += len + 1;
    }
    if (used) *used = at;
    return 0;
}

int cllm_runlog_read(const char *path, cllm_runlog *log, cllm_error *err) {
    cllm_runlog_free(log);
    struct stat st;
    if (stat(path, &st) != 0)
        return cllm_error_set(err, CLLM_ERR_IO, "%s: %s", path, strerror(errno));
    char file[4200];
    if (S_ISDIR(st.st_mode)) snprintf(file, sizeof file, "%s/log.jsonl", path);
    else snprintf(file, sizeof file, "%s", path);
    size_t size = 0;
    char *text = (char *)cllm_file_read_all(file, &size, err);
    if (!text) return err ? err->code : CLLM_ERR_IO;
    int rc = cllm_runlog_add_text(log, text, size, NULL, err);
    free(text);
    if (rc && err) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        cllm_error_set(err, rc, "%s: %s", file, msg);
    }
    if (!rc && log->n_train == 0 && log->n_val == 0)
        rc = cllm_error_set(err, CLLM_ERR_FORMAT, "%s: no training or validation lines yet", file);
    return rc;
}

void cllm_runlog_free(cllm_runlog *log) {
    free(log->train);
    free(log->val);
    memset(log, 0, sizeof *log);
}
