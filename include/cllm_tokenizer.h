/* cllm_tokenizer.h — text ↔ token ids. One small interface; the model and trainer use nothing else.
 *
 *     cllm_tokenizer *tok = cllm_tokenizer_byte_new();
 *     size_t n; int32_t *ids = cllm_tokenizer_encode(tok, "hello", 5, &n, &err);
 *     for (size_t i = 0; i < n; i++) { size_t len; const uint8_t *b = cllm_tokenizer_token_bytes(tok, ids[i], &len); }
 *     free(ids); cllm_tokenizer_free(tok);
 */
#ifndef CLLM_TOKENIZER_H
#define CLLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

typedef struct cllm_tokenizer cllm_tokenizer;

/* The byte-level tokenizer: ids 0..255 are the bytes; no special tokens. Never NULL except out of memory. */
cllm_tokenizer *cllm_tokenizer_byte_new(void);
/* Frees; NULL is fine. */
void cllm_tokenizer_free(cllm_tokenizer *tok);
/* Number of ids, special tokens included. */
int cllm_tokenizer_vocab_size(const cllm_tokenizer *tok);
/* Id of <|endoftext|>, or -1 when the tokenizer has none. */
int cllm_tokenizer_eot(const cllm_tokenizer *tok);
/* Encodes n bytes of any content (not necessarily UTF-8) to a malloc'd array of *count ids (caller frees);
 * NULL on error. Encoding ordinary text never yields the <|endoftext|> id. */
int32_t *cllm_tokenizer_encode(const cllm_tokenizer *tok, const void *text, size_t n, size_t *count,
                               cllm_error *err);
/* The bytes id stands for (owned by tok), length in *len; NULL for an id out of range. Decoding a sequence is
 * the concatenation of its tokens' bytes. */
const uint8_t *cllm_tokenizer_token_bytes(const cllm_tokenizer *tok, int id, size_t *len);
/* The tokenizer as a JSON text (malloc'd, NUL-terminated), as stored in a model file's metadata. */
char *cllm_tokenizer_to_json(const cllm_tokenizer *tok);
/* Rebuilds a tokenizer from cllm_tokenizer_to_json's text; NULL with err filled if malformed. */
cllm_tokenizer *cllm_tokenizer_from_json(const char *json, size_t len, cllm_error *err);

#endif
