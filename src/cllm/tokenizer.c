/* tokenizer.c — the byte-level tokenizer (256 ids). The BPE tokenizer replaces this file behind the same API. */
#include "cllm_tokenizer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct cllm_tokenizer {
    uint8_t bytes[256]; /* bytes[i] == i: token_bytes points here */
};

cllm_tokenizer *cllm_tokenizer_byte_new(void) {
    cllm_tokenizer *tok = malloc(sizeof *tok);
    if (tok)
        for (int i = 0; i < 256; i++) tok->bytes[i] = (uint8_t)i;
    return tok;
}

void cllm_tokenizer_free(cllm_tokenizer *tok) { free(tok); }
int cllm_tokenizer_vocab_size(const cllm_tokenizer *tok) { (void)tok; return 256; }
int cllm_tokenizer_eot(const cllm_tokenizer *tok) { (void)tok; return -1; }

int32_t *cllm_tokenizer_encode(const cllm_tokenizer *tok, const void *text, size_t n, size_t *count,
                               cllm_error *err) {
    (void)tok;
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory encoding %zu bytes", n);
        return NULL;
    }
    const uint8_t *p = text;
    for (size_t i = 0; i < n; i++) ids[i] = p[i];
    *count = n;
    return ids;
}

const uint8_t *cllm_tokenizer_token_bytes(const cllm_tokenizer *tok, int id, size_t *len) {
    if (id < 0 || id >= 256) return NULL;
    *len = 1;
    return &tok->bytes[id];
}

char *cllm_tokenizer_to_json(const cllm_tokenizer *tok) {
    (void)tok;
    return strdup("{\"type\":\"byte\"}");
}

cllm_tokenizer *cllm_tokenizer_from_json(const char *json, size_t len, cllm_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    const char *type = root ? json_string_value(json_object_get(root, "type")) : NULL;
    cllm_tokenizer *tok = NULL;
    if (!root)
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: bad JSON at line %d: %s", jerr.line, jerr.text);
    else if (!type || strcmp(type, "byte") != 0)
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: unknown type '%s'", type ? type : "(none)");
    else if (!(tok = cllm_tokenizer_byte_new()))
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    json_decref(root);
    return tok;
}
