/* tokenizer.c — the tokenizer object: the byte tokenizer, the validated BPE builder every loader goes through,
 * accessors, and the byte-string hash map the other tokenizer files share. Encoding is in tokenizer_encode.c,
 * training in tokenizer_train.c, the file formats in tokenizer_json.c. */
#include "tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the object */

static cllm_tokenizer *tok_alloc(int n_tokens, size_t nbytes) {
    cllm_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return NULL;
    tok->n_tokens = n_tokens;
    tok->eot = -1;
    tok->bytes = malloc(nbytes ? nbytes : 1);
    tok->offset = malloc(((size_t)n_tokens + 1) * sizeof *tok->offset);
    tok->special = calloc((size_t)n_tokens ? (size_t)n_tokens : 1, 1);
    if (!tok->bytes || !tok->offset || !tok->special) {
        cllm_tokenizer_free(tok);
        return NULL;
    }
    return tok;
}

cllm_tokenizer *cllm_tokenizer_byte_new(void) {
    cllm_tokenizer *tok = tok_alloc(256, 256);
    if (!tok) return NULL;
    tok->is_byte = 1;
    for (int i = 0; i < 256; i++) {
        tok->bytes[i] = (uint8_t)i;
        tok->offset[i] = (size_t)i;
        tok->byte_id[i] = i;
    }
    tok->offset[256] = 256;
    return tok;
}

void cllm_tokenizer_free(cllm_tokenizer *tok) {
    if (!tok) return;
    free(tok->bytes);
    free(tok->offset);
    free(tok->special);
    free(tok->merges);
    free(tok->pair_key);
    free(tok->pair_rank);
    free(tok);
}

int cllm_tokenizer_vocab_size(const cllm_tokenizer *tok) { return tok->n_tokens; }
int cllm_tokenizer_eot(const cllm_tokenizer *tok) { return tok->eot; }
int cllm_tokenizer_merge_count(const cllm_tokenizer *tok) { return tok->n_merges; }

int cllm_tokenizer_merge(const cllm_tokenizer *tok, int r, int *left, int *right, int *result) {
    if (r < 0 || r >= tok->n_merges) return -1;
    *left = tok->merges[3 * (size_t)r];
    *right = tok->merges[3 * (size_t)r + 1];
    *result = tok->merges[3 * (size_t)r + 2];
    return 0;
}

const uint8_t *cllm_tokenizer_token_bytes(const cllm_tokenizer *tok, int id, size_t *len) {
    if (id < 0 || id >= tok->n_tokens) return NULL;
    *len = tok->offset[id + 1] - tok->offset[id];
    return tok->bytes + tok->offset[id];
}

/* ---------------------------------------------------------------- the builder */

static int pair_table_insert(cllm_tokenizer *tok, int32_t left, int32_t right, int32_t rank) {
    uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
    size_t i = tok_pair_hash(key) & tok->pair_mask;
    for (; tok->pair_key[i]; i = (i + 1) & tok->pair_mask)
        if (tok->pair_key[i] == key) return -1;
    tok->pair_key[i] = key;
    tok->pair_rank[i] = rank;
    return 0;
}

/* Indexes the non-special tokens by their bytes; fails on an empty or repeated token. */
static int index_tokens(const cllm_tokenizer *tok, tok_strmap *by_bytes, cllm_error *err) {
    for (int id = 0; id < tok->n_tokens; id++) {
        if (tok->special[id]) continue;
        size_t len;
        const uint8_t *b = cllm_tokenizer_token_bytes(tok, id, &len);
        if (len == 0) return cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: token %d is empty", id);
        int created = 0;
        int64_t e = tok_strmap_upsert(by_bytes, b, len, tok_hash(b, len), &created);
        if (e < 0) return cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory indexing tokens");
        if (!created)
            return cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: tokens %d and %d have the same bytes",
                                  (int)by_bytes->value[e], id);
        by_bytes->value[e] = id;
    }
    return 0;
}

/* Checks each merge and finds its result by bytes; fills tok->merges and the pair table. */
static int add_merges(cllm_tokenizer *tok, const tok_strmap *by_bytes, const int32_t *pairs, int n_merges,
                      cllm_error *err) {
    size_t longest = 0;
    for (int id = 0; id < tok->n_tokens; id++)
        if (tok->offset[id + 1] - tok->offset[id] > longest) longest = tok->offset[id + 1] - tok->offset[id];
    uint8_t *cat = malloc(2 * longest + 1);
    if (!cat) return cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    int rc = 0;
    for (int r = 0; r < n_merges && !rc; r++) {
        int32_t l = pairs[2 * (size_t)r], rt = pairs[2 * (size_t)r + 1];
        if (l < 0 || l >= tok->n_tokens || rt < 0 || rt >= tok->n_tokens || tok->special[l] || tok->special[rt]) {
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: merge %d (%d, %d) names a missing or special "
                                "token (vocabulary has %d ids)", r, (int)l, (int)rt, tok->n_tokens);
            break;
        }
        size_t ll, rl;
        const uint8_t *lb = cllm_tokenizer_token_bytes(tok, l, &ll), *rb = cllm_tokenizer_token_bytes(tok, rt, &rl);
        memcpy(cat, lb, ll);
        memcpy(cat + ll, rb, rl);
        int64_t e = tok_strmap_find(by_bytes, cat, ll + rl, tok_hash(cat, ll + rl));
        if (e < 0)
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: merge %d (%d, %d) makes a token that is not in "
                                "the vocabulary", r, (int)l, (int)rt);
        else if (pair_table_insert(tok, l, rt, r))
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: merge %d (%d, %d) repeats an earlier merge", r,
                                (int)l, (int)rt);
        tok->merges[3 * (size_t)r] = l;
        tok->merges[3 * (size_t)r + 1] = rt;
        tok->merges[3 * (size_t)r + 2] = e < 0 ? 0 : (int32_t)by_bytes->value[e];
    }
    free(cat);
    return rc;
}

static int find_byte_ids(cllm_tokenizer *tok, const tok_strmap *by_bytes, cllm_error *err) {
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        int64_t e = tok_strmap_find(by_bytes, &c, 1, tok_hash(&c, 1));
        if (e < 0) return cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: byte 0x%02x has no token", b);
        tok->byte_id[b] = (int32_t)by_bytes->value[e];
    }
    return 0;
}

cllm_tokenizer *tok_build(int n_tokens, const uint8_t *bytes, const size_t *offset, const uint8_t *special,
                          const int32_t *merge_pairs, int n_merges, cllm_error *err) {
    if (n_tokens < 256 || n_tokens > TOK_MAX_IDS || n_merges < 0 || n_merges > TOK_MAX_IDS) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: %d tokens and %d merges is out of range (256..%d)",
                       n_tokens, n_merges, TOK_MAX_IDS);
        return NULL;
    }
    cllm_tokenizer *tok = tok_alloc(n_tokens, offset[n_tokens]);
    size_t slots = 16;
    while (slots < 2 * (size_t)n_merges) slots *= 2;
    if (tok) {
        tok->merges = malloc(3 * ((size_t)n_merges + 1) * sizeof *tok->merges);
        tok->pair_key = calloc(slots, sizeof *tok->pair_key);
        tok->pair_rank = malloc(slots * sizeof *tok->pair_rank);
    }
    tok_strmap by_bytes;
    if (!tok || !tok->merges || !tok->pair_key || !tok->pair_rank || tok_strmap_init(&by_bytes, (size_t)n_tokens)) {
        cllm_tokenizer_free(tok);
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory for %d tokens", n_tokens);
        return NULL;
    }
    tok->pair_mask = slots - 1;
    tok->n_merges = n_merges;
    memcpy(tok->bytes, bytes, offset[n_tokens]);
    memcpy(tok->offset, offset, ((size_t)n_tokens + 1) * sizeof *offset);
    for (int id = 0; id < n_tokens; id++) {
        tok->special[id] = special && special[id];
        size_t len = offset[id + 1] - offset[id];
        if (tok->special[id] && tok->eot < 0 && len == strlen(TOK_EOT_TEXT) &&
            memcmp(bytes + offset[id], TOK_EOT_TEXT, len) == 0)
            tok->eot = id;
    }
    int rc = index_tokens(tok, &by_bytes, err);
    if (!rc) rc = find_byte_ids(tok, &by_bytes, err);
    if (!rc) rc = add_merges(tok, &by_bytes, merge_pairs, n_merges, err);
    tok_strmap_free(&by_bytes);
    if (rc) {
        cllm_tokenizer_free(tok);
        return NULL;
    }
    return tok;
}

/* ---------------------------------------------------------------- byte-string map */

int tok_strmap_init(tok_strmap *m, size_t expect) {
    memset(m, 0, sizeof *m);
    size_t slots = 64;
    while (slots < 2 * expect) slots *= 2;
    m->cap = slots / 2;
    m->arena_cap = 16 * m->cap;
    m->arena = malloc(m->arena_cap);
    m->key_off = malloc(m->cap * sizeof *m->key_off);
    m->key_len = malloc(m->cap * sizeof *m->key_len);
    m->key_hash = malloc(m->cap * sizeof *m->key_hash);
    m->value = malloc(m->cap * sizeof *m->value);
    m->slot = malloc(slots * sizeof *m->slot);
    m->mask = slots - 1;
    if (!m->arena || !m->key_off || !m->key_len || !m->key_hash || !m->value || !m->slot) {
        tok_strmap_free(m);
        return -1;
    }
    memset(m->slot, 0xff, slots * sizeof *m->slot);
    return 0;
}

void tok_strmap_free(tok_strmap *m) {
    free(m->arena);
    free(m->key_off);
    free(m->key_len);
    free(m->key_hash);
    free(m->value);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

void tok_strmap_clear(tok_strmap *m) {
    m->n = 0;
    m->arena_len = 0;
    memset(m->slot, 0xff, (m->mask + 1) * sizeof *m->slot);
}

int64_t tok_strmap_find(const tok_strmap *m, const uint8_t *key, size_t len, uint64_t hash) {
    for (size_t i = (size_t)hash & m->mask;; i = (i + 1) & m->mask) {
        int64_t e = m->slot[i];
        if (e < 0) return -1;
        if (m->key_hash[e] == hash && m->key_len[e] == len && memcmp(m->arena + m->key_off[e], key, len) == 0)
            return e;
    }
}

int tok_grow(void **p, size_t elem, size_t n) {
    void *q = realloc(*p, elem * n);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int grow_entries(tok_strmap *m) {
    size_t cap = 2 * m->cap;
    if (tok_grow((void **)&m->key_off, sizeof *m->key_off, cap) ||
        tok_grow((void **)&m->key_len, sizeof *m->key_len, cap) ||
        tok_grow((void **)&m->key_hash, sizeof *m->key_hash, cap) ||
        tok_grow((void **)&m->value, sizeof *m->value, cap))
        return -1;
    int64_t *slot = malloc(2 * cap * sizeof *slot);
    if (!slot) return -1;
    free(m->slot);
    m->slot = slot;
    m->mask = 2 * cap - 1;
    m->cap = cap;
    memset(slot, 0xff, 2 * cap * sizeof *slot);
    for (size_t e = 0; e < m->n; e++) {
        size_t i = (size_t)m->key_hash[e] & m->mask;
        while (slot[i] >= 0) i = (i + 1) & m->mask;
        slot[i] = (int64_t)e;
    }
    return 0;
}

int64_t tok_strmap_upsert(tok_strmap *m, const uint8_t *key, size_t len, uint64_t hash, int *created) {
    *created = 0;
    size_t i = (size_t)hash & m->mask;
    for (;; i = (i + 1) & m->mask) {
        int64_t e = m->slot[i];
        if (e < 0) break;
        if (m->key_hash[e] == hash && m->key_len[e] == len && memcmp(m->arena + m->key_off[e], key, len) == 0)
            return e;
    }
    if (len > UINT32_MAX) return -1;
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap;
        while (cap < m->arena_len + len) cap *= 2;
        uint8_t *a = realloc(m->arena, cap);
        if (!a) return -1;
        m->arena = a;
        m->arena_cap = cap;
    }
    if (m->n == m->cap) {
        if (grow_entries(m)) return -1;
        for (i = (size_t)hash & m->mask; m->slot[i] >= 0; i = (i + 1) & m->mask) {}
    }
    size_t e = m->n++;
    memcpy(m->arena + m->arena_len, key, len);
    m->key_off[e] = m->arena_len;
    m->key_len[e] = (uint32_t)len;
    m->key_hash[e] = hash;
    m->value[e] = 0;
    m->arena_len += len;
    m->slot[i] = (int64_t)e;
    *created = 1;
    return (int64_t)e;
}
