/* cllm_data.h — the data pipeline: raw text → token shards → training batches; and the Brown corpus converter.
 */
#ifndef CLLM_DATA_H
#define CLLM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

/* ---------------------------------------------------------------------------------------------------------------
 * Brown corpus
 * ------------------------------------------------------------------------------------------------------------- */

/* Converts one Brown-format text (`word/TAG` tokens, a sentence a line, blank-line-separated paragraphs) to plain
 * text: one paragraph a line ('\n'-terminated), tags stripped, no space before , . ; : ! ? ) ] or a closing quote
 * and none after ( [ or an opening quote, `` and '' both written as ASCII ". Returns a malloc'd NUL-terminated
 * string (caller frees), its length in *out_len; NULL only when out of memory. */
char *cllm_brown_to_text(const char *src, size_t n, size_t *out_len, cllm_error *err);

#endif
