/* cllm_tokenizer.h — text ↔ token ids. One small interface; the model and trainer use nothing else.
 *
 *     cllm_error err = {0};
 *     const char *files[] = {"train.txt"};
 *     cllm_tokenizer *tok = cllm_tokenizer_train(files, 1, 4096, &err);   // or cllm_tokenizer_byte_new()
 *     size_t n; int32_t *ids = cllm_tokenizer_encode(tok, "hello", 5, &n, &err);
 *     for (size_t i = 0; i < n; i++) { size_t len; const uint8_t *b = cllm_tokenizer_token_bytes(tok, ids[i], &len); }
 *     free(ids); cllm_tokenizer_free(tok);
 *
 * Two kinds share this API (docs/tokenizer.md has the details):
 *  - the byte tokenizer: ids 0..255 are the bytes, no merges, no special tokens; JSON {"type":"byte"}.
 *  - byte-level BPE (GPT-2 style): text is split by GPT-2's pre-tokenizer pattern, each piece starts as its bytes
 *    and adjacent tokens are merged by merge rank. Every byte has a single-byte token, so ANY byte string (invalid
 *    UTF-8, NULs) encodes and decodes back byte-for-byte. A trained tokenizer has id b = byte b for b < 256, then
 *    one id per new merge result, then <|endoftext|> as the last id; an imported GPT-2 tokenizer keeps GPT-2's ids.
 */
#ifndef CLLM_TOKENIZER_H
#define CLLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "cllm_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cllm_tokenizer cllm_tokenizer;

/* The byte-level tokenizer: ids 0..255 are the bytes; no special tokens. Never NULL except out of memory. */
CLLM_API cllm_tokenizer *cllm_tokenizer_byte_new(void);
/* Frees; NULL is fine. */
CLLM_API void cllm_tokenizer_free(cllm_tokenizer *tok);
/* Number of ids, special tokens included. */
CLLM_API int cllm_tokenizer_vocab_size(const cllm_tokenizer *tok);
/* Id of <|endoftext|>, or -1 when the tokenizer has none. */
CLLM_API int cllm_tokenizer_eot(const cllm_tokenizer *tok);
/* Encodes n bytes of any content (not necessarily UTF-8) to a malloc'd array of *count ids (caller frees);
 * NULL on error. Encoding ordinary text never yields the <|endoftext|> id. Thread-safe on a const tokenizer. */
CLLM_API int32_t *cllm_tokenizer_encode(const cllm_tokenizer *tok, const void *text, size_t n, size_t *count,
                                        cllm_error *err);
/* Encodes ndocs documents in parallel (OpenMP over documents, nthreads <= 0: OpenMP's default): ids[d] gets a
 * malloc'd array of counts[d] ids, exactly what cllm_tokenizer_encode gives. Returns 0, or an error code with
 * nothing left allocated. */
CLLM_API int cllm_tokenizer_encode_many(const cllm_tokenizer *tok, size_t ndocs, const void *const *texts,
                                        const size_t *lens, int32_t **ids, size_t *counts, int nthreads,
                                        cllm_error *err);
/* The bytes id stands for (owned by tok), length in *len; NULL for an id out of range. Decoding a sequence is
 * the concatenation of its tokens' bytes (<|endoftext|> decodes to its own text). */
CLLM_API const uint8_t *cllm_tokenizer_token_bytes(const cllm_tokenizer *tok, int id, size_t *len);
/* The tokenizer as a JSON text (malloc'd, NUL-terminated), as stored in a model file's metadata; NULL if out
 * of memory. This is also the standalone tokenizer file format. */
CLLM_API char *cllm_tokenizer_to_json(const cllm_tokenizer *tok);
/* Rebuilds a tokenizer from cllm_tokenizer_to_json's text; NULL with err filled if malformed. */
CLLM_API cllm_tokenizer *cllm_tokenizer_from_json(const char *json, size_t len, cllm_error *err);

/* Trains byte-level BPE on the files at paths (each streamed in chunks; only distinct words are kept in memory)
 * to vocab_size ids in all: 256 bytes + learned tokens + <|endoftext|>. Fewer when the corpus runs out of pairs.
 * Deterministic: the most frequent pair wins, ties go to the smallest (left id, right id). NULL on error. */
CLLM_API cllm_tokenizer *cllm_tokenizer_train(const char *const *paths, int npaths, int vocab_size, cllm_error *err);
/* cllm_tokenizer_train on n bytes in memory. */
CLLM_API cllm_tokenizer *cllm_tokenizer_train_buffer(const void *text, size_t n, int vocab_size, cllm_error *err);

/* GPT-2 pre-tokenization: the end offset of the piece that starts at byte `start` of text (n bytes), so pieces
 * are [0, e1), [e1, e2) ... Semantics of GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * with Unicode categories; each byte that is not part of valid UTF-8 counts as one symbol ([^\s\p{L}\p{N}]). */
CLLM_API size_t cllm_tokenizer_pretoken_end(const void *text, size_t n, size_t start);
/* The first offset p >= from (or n) where text can be cut into two documents without changing its pieces:
 * just after a "\n" that has a printable ASCII character on each side. Lets one text be encoded in parallel. */
CLLM_API size_t cllm_tokenizer_next_cut(const void *text, size_t n, size_t from);
/* The Unicode version whose letter/number classes the pre-tokenizer uses: "16.0.0" (utf8proc's tables and the
 * code points Unicode 16.0 added), or utf8proc's own version when that is newer. */
CLLM_API const char *cllm_tokenizer_unicode_version(void);

/* Number of merges (0 for the byte tokenizer). */
CLLM_API int cllm_tokenizer_merge_count(const cllm_tokenizer *tok);
/* The merge of rank r (0 = applied first): left and right ids and the id they become; -1 if r is out of range. */
CLLM_API int cllm_tokenizer_merge(const cllm_tokenizer *tok, int r, int *left, int *right, int *result);

/* Writes GPT-2-style vocab.json and merges.txt (GPT-2's bytes_to_unicode spelling) atomically. 0 or an error. */
CLLM_API int cllm_tokenizer_export_gpt2(const cllm_tokenizer *tok, const char *vocab_path, const char *merges_path,
                                        cllm_error *err);
/* Reads GPT-2-style vocab.json + merges.txt (GPT-2's own files load); NULL with err naming the file if bad. */
CLLM_API cllm_tokenizer *cllm_tokenizer_import_gpt2(const char *vocab_path, const char *merges_path, cllm_error *err);
/* cllm_tokenizer_import_gpt2 from the two files' contents in memory. */
CLLM_API cllm_tokenizer *cllm_tokenizer_from_gpt2(const char *vocab_json, size_t vocab_len, const char *merges_txt,
                                                  size_t merges_len, cllm_error *err);

/* Writes cllm_tokenizer_to_json's text to path atomically. 0 or an error. */
CLLM_API int cllm_tokenizer_save(const cllm_tokenizer *tok, const char *path, cllm_error *err);
/* Reads a tokenizer file written by cllm_tokenizer_save; NULL with err naming the file if bad. */
CLLM_API cllm_tokenizer *cllm_tokenizer_load(const char *path, cllm_error *err);

#ifdef __cplusplus
}
#endif

#endif
