/* tokenizer_internal.h — what the tokenizer's source files share: the struct, two small hash maps and the
 * builder that validates a token table. Not a public header. */
#ifndef CLLM_TOKENIZER_INTERNAL_H
#define CLLM_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/mix.h"
#include "cllm_tokenizer.h"

#define TOK_MAX_IDS (1 << 24) /* hard cap on vocabulary and merge counts: bounds what hostile files allocate */
#define TOK_EOT_TEXT "<|endoftext|>"

struct cllm_tokenizer {
    int is_byte;          /* 1: the plain byte tokenizer, JSON {"type":"byte"} */
    int n_tokens;         /* ids are 0 .. n_tokens-1, specials included */
    uint8_t *bytes;       /* every token's bytes back to back */
    size_t *offset;       /* n_tokens+1 entries: token i is bytes[offset[i] .. offset[i+1]) */
    uint8_t *special;     /* special[i] != 0: a special token, never produced by encoding */
    int32_t byte_id[256]; /* the single-byte token of each byte value (every byte has one) */
    int n_merges;         /* ranks are 0 .. n_merges-1; 0 is applied first */
    int32_t *merges;      /* 3 per rank: left id, right id, result id */
    uint64_t *pair_key;   /* open addressing: key (left<<32 | right) + 1, 0 = empty slot */
    int32_t *pair_rank;   /* the rank stored with each key */
    size_t pair_mask;     /* table size - 1 (a power of two, at least twice n_merges) */
    int eot;              /* id of <|endoftext|>, -1 if none */
};

/* Slot hash of a pair key: both ids must reach the low bits (a plain multiply would leave them to the right id). */
static inline size_t tok_pair_hash(uint64_t key) { return (size_t)cllm_mix64(key); }

/* Rank of the merge (left, right), or -1. The hot lookup of encoding. */
static inline int32_t tok_pair_rank(const cllm_tokenizer *tok, int32_t left, int32_t right) {
    if (!tok->pair_key) return -1;
    uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
    size_t i = tok_pair_hash(key) & tok->pair_mask;
    for (;; i = (i + 1) & tok->pair_mask) {
        if (tok->pair_key[i] == key) return tok->pair_rank[i];
        if (tok->pair_key[i] == 0) return -1;
    }
}

/* 64-bit hash of a byte string (multiply-xorshift over 8-byte words). */
static inline uint64_t tok_hash(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    if (n) memcpy(&v, p, n);
    h = (h ^ v) * 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* A map from byte strings to int64 values; keys are copied into the map's own arena. Entries are numbered
 * 0, 1, 2 ... in insertion order, which keeps everything built from it deterministic. */
typedef struct tok_strmap {
    uint8_t *arena;     /* keys back to back */
    size_t arena_len, arena_cap;
    size_t *key_off;    /* per entry: key offset in arena */
    uint32_t *key_len;  /* per entry: key length */
    uint64_t *key_hash; /* per entry: tok_hash of the key (for growing) */
    int64_t *value;     /* per entry */
    size_t n, cap;      /* entries used / allocated */
    int64_t *slot;      /* open addressing: entry index or -1 */
    size_t mask;        /* slot count - 1 */
} tok_strmap;

/* Reallocates *p to n elements of elem bytes; on failure leaves *p as it was and returns -1. */
int tok_grow(void **p, size_t elem, size_t n);

int tok_strmap_init(tok_strmap *m, size_t expect);
void tok_strmap_free(tok_strmap *m);
/* Forgets every entry, keeping the memory. */
void tok_strmap_clear(tok_strmap *m);
/* Entry index of key, or -1. */
int64_t tok_strmap_find(const tok_strmap *m, const uint8_t *key, size_t len, uint64_t hash);
/* Entry index of key, inserting it with value 0 (and *created = 1) if absent; -1 when out of memory. */
int64_t tok_strmap_upsert(tok_strmap *m, const uint8_t *key, size_t len, uint64_t hash, int *created);
static inline const uint8_t *tok_strmap_key(const tok_strmap *m, int64_t e) { return m->arena + m->key_off[e]; }

/* Builds a BPE tokenizer from a token table and merges given as (left, right) id pairs in rank order; each
 * merge's result is the token whose bytes are left's followed by right's. Validates everything (non-special
 * tokens non-empty and distinct, every byte present, merge ids in range, results present, no repeated merge),
 * so it is the one gate for JSON, GPT-2 files and training. Copies nothing it is given. */
cllm_tokenizer *tok_build(int n_tokens, const uint8_t *bytes, const size_t *offset, const uint8_t *special,
                          const int32_t *merge_pairs, int n_merges, cllm_error *err);

/* GPT-2's bytes_to_unicode: the code point that spells byte b in vocab.json / merges.txt. */
uint32_t tok_byte_to_unicode(uint8_t b);
/* Spells n bytes as UTF-8 of tok_byte_to_unicode into out (room for 2n bytes); returns the length. */
size_t tok_spell(const uint8_t *in, size_t n, char *out);
/* Inverse of tok_spell: decodes the UTF-8 string s (len bytes) into out (room for len bytes); returns the byte
 * count, or -1 when s has a character that spells no byte. */
long tok_unspell(const char *s, size_t len, uint8_t *out);

#endif
