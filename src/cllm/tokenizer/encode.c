/* tokenizer_encode.c — text to ids. Each pre-token piece starts as its byte tokens; adjacent pairs are merged
 * lowest rank first (leftmost first among equal ranks, so "aaa" with merge a+a gives "aa","a" as GPT-2 does)
 * using a doubly linked list of symbols and a min-heap of candidate pairs: O(L log L) for a piece of L bytes,
 * never a quadratic rescan. Pieces repeat a lot in text, so an encoder keeps a cache of piece → ids.
 * The encoder (scratch buffers + cache) belongs to one call or one thread; the tokenizer stays const. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define CACHE_MAX_PIECE 64         /* longer pieces are rare and not worth caching */
#define CACHE_MAX_ENTRIES (1 << 16) /* bounds the cache's memory: it is cleared when full */

typedef struct heap_item {
    int32_t rank; /* merge rank of the pair */
    int32_t pos;  /* position of its left symbol */
} heap_item;

typedef struct tok_encoder {
    const cllm_tokenizer *tok;
    int32_t *id, *next, *prev; /* symbols of the piece being merged; id -1 = absorbed into its left neighbour */
    heap_item *heap;           /* candidate pairs, min (rank, pos) on top */
    size_t cap;                /* room in id/next/prev/heap, symbols */
    tok_strmap cache;          /* piece bytes → (offset << 8 | count) into cache_ids */
    int32_t *cache_ids;
    size_t cache_n, cache_cap;
} tok_encoder;

static int encoder_init(tok_encoder *e, const cllm_tokenizer *tok) {
    memset(e, 0, sizeof *e);
    e->tok = tok;
    return tok_strmap_init(&e->cache, 1024);
}

static void encoder_free(tok_encoder *e) {
    free(e->id);
    free(e->next);
    free(e->prev);
    free(e->heap);
    free(e->cache_ids);
    tok_strmap_free(&e->cache);
}

static int encoder_reserve(tok_encoder *e, size_t n) {
    if (n <= e->cap) return 0;
    size_t cap = e->cap ? e->cap : 64;
    while (cap < n) cap *= 2;
    if (tok_grow((void **)&e->id, sizeof *e->id, cap) || tok_grow((void **)&e->next, sizeof *e->next, cap) ||
        tok_grow((void **)&e->prev, sizeof *e->prev, cap) || tok_grow((void **)&e->heap, sizeof *e->heap, 2 * cap))
        return -1;
    e->cap = cap;
    return 0;
}

/* ---------------------------------------------------------------- min-heap of (rank, pos) */

static int item_less(heap_item a, heap_item b) { return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos); }

static void heap_push(heap_item *h, size_t *n, heap_item x) {
    size_t i = (*n)++;
    while (i > 0 && item_less(x, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static heap_item heap_pop(heap_item *h, size_t *n) {
    heap_item top = h[0], x = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && item_less(h[c + 1], h[c])) c++;
        if (!item_less(h[c], x)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = x;
    return top;
}

/* Pushes the pair that starts at symbol i (if it has a right neighbour and a merge). */
static void push_pair(tok_encoder *e, size_t *hn, int32_t i) {
    if (i < 0 || e->next[i] < 0) return;
    int32_t r = tok_pair_rank(e->tok, e->id[i], e->id[e->next[i]]);
    if (r >= 0) heap_push(e->heap, hn, (heap_item){r, i});
}

/* ---------------------------------------------------------------- one piece */

/* Merges the piece s[0..n) (n >= 2) in place in e->id; returns the first symbol; e->next links the rest. */
static int merge_piece(tok_encoder *e, const uint8_t *s, size_t n) {
    const cllm_tokenizer *tok = e->tok;
    for (size_t i = 0; i < n; i++) {
        e->id[i] = tok->byte_id[s[i]];
        e->next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        e->prev[i] = (int32_t)i - 1;
    }
    size_t hn = 0;
    for (size_t i = 0; i + 1 < n; i++) push_pair(e, &hn, (int32_t)i);
    while (hn) {
        heap_item top = heap_pop(e->heap, &hn);
        int32_t i = top.pos, j = e->next[i];
        const int32_t *m = &tok->merges[3 * (size_t)top.rank];
        if (e->id[i] != m[0] || j < 0 || e->id[j] != m[1]) continue; /* stale: a neighbour merged first */
        e->id[i] = m[2];
        e->id[j] = -1;
        e->next[i] = e->next[j];
        if (e->next[j] >= 0) e->prev[e->next[j]] = i;
        push_pair(e, &hn, e->prev[i]);
        push_pair(e, &hn, i);
    }
    return 0;
}

/* Appends the ids of piece s[0..n) to out (room for n more ids); returns how many. */
static size_t encode_piece(tok_encoder *e, const uint8_t *s, size_t n, int32_t *out) {
    const cllm_tokenizer *tok = e->tok;
    if (n == 1) {
        out[0] = tok->byte_id[s[0]];
        return 1;
    }
    uint64_t h = 0;
    int cacheable = n <= CACHE_MAX_PIECE;
    if (cacheable) {
        h = tok_hash(s, n);
        int64_t c = tok_strmap_find(&e->cache, s, n, h);
        if (c >= 0) {
            int64_t v = e->cache.value[c];
            size_t count = (size_t)(v & 0xff);
            memcpy(out, e->cache_ids + (v >> 8), count * sizeof *out);
            return count;
        }
    }
    size_t count = 0;
    for (int32_t i = merge_piece(e, s, n); i >= 0; i = e->next[i]) out[count++] = e->id[i];
    if (cacheable) {
        if (e->cache.n >= CACHE_MAX_ENTRIES) {
            tok_strmap_clear(&e->cache);
            e->cache_n = 0;
        }
        if (e->cache_n + count > e->cache_cap) {
            size_t cap = e->cache_cap ? 2 * e->cache_cap : 4096;
            int32_t *ids = realloc(e->cache_ids, cap * sizeof *ids);
            if (!ids) return count; /* no room to cache: still correct */
            e->cache_ids = ids;
            e->cache_cap = cap;
        }
        int created;
        int64_t c = tok_strmap_upsert(&e->cache, s, n, h, &created);
        if (c >= 0) {
            memcpy(e->cache_ids + e->cache_n, out, count * sizeof *out);
            e->cache.value[c] = (int64_t)(e->cache_n << 8) | (int64_t)count;
            e->cache_n += count;
        }
    }
    return count;
}

/* ---------------------------------------------------------------- whole texts */

static int32_t *encode_with(tok_encoder *e, const uint8_t *s, size_t n, size_t *count, cllm_error *err) {
    const cllm_tokenizer *tok = e->tok;
    /* Never more ids than bytes, so one allocation of n ids suffices; shrunk at the end. */
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory encoding %zu bytes", n);
        return NULL;
    }
    size_t k = 0;
    if (tok->n_merges == 0) {
        for (size_t i = 0; i < n; i++) ids[i] = tok->byte_id[s[i]];
        k = n;
    } else {
        for (size_t pos = 0; pos < n;) {
            size_t end = cllm_tokenizer_pretoken_end(s, n, pos);
            if (encoder_reserve(e, end - pos)) {
                free(ids);
                cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory for a %zu-byte piece", end - pos);
                return NULL;
            }
            k += encode_piece(e, s + pos, end - pos, ids + k);
            pos = end;
        }
    }
    int32_t *shrunk = k < n / 2 ? realloc(ids, (k ? k : 1) * sizeof *ids) : NULL;
    *count = k;
    return shrunk ? shrunk : ids;
}

int32_t *cllm_tokenizer_encode(const cllm_tokenizer *tok, const void *text, size_t n, size_t *count,
                               cllm_error *err) {
    tok_encoder e;
    if (encoder_init(&e, tok)) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        return NULL;
    }
    int32_t *ids = encode_with(&e, text, n, count, err);
    encoder_free(&e);
    return ids;
}

int cllm_tokenizer_encode_many(const cllm_tokenizer *tok, size_t ndocs, const void *const *texts,
                               const size_t *lens, int32_t **ids, size_t *counts, int nthreads, cllm_error *err) {
    int failed = 0;
    cllm_error first = {0};
    for (size_t d = 0; d < ndocs; d++) ids[d] = NULL;
    if (nthreads <= 0) nthreads = omp_get_max_threads();
#pragma omp parallel num_threads(nthreads) reduction(|| : failed)
    {
        tok_encoder e;
        int ok = encoder_init(&e, tok) == 0;
        if (!ok) failed = 1;
#pragma omp for schedule(dynamic, 1)
        for (size_t d = 0; d < ndocs; d++) {
            cllm_error local = {0};
            if (!ok || failed) continue;
            ids[d] = encode_with(&e, texts[d], lens[d], &counts[d], &local);
            if (!ids[d]) {
                failed = 1;
#pragma omp critical(cllm_tokenizer_error)
                if (!first.code) first = local;
            }
        }
        if (ok) encoder_free(&e);
    }
    if (!failed) return 0;
    for (size_t d = 0; d < ndocs; d++) {
        free(ids[d]);
        ids[d] = NULL;
    }
    if (!first.code) cllm_error_set(&first, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    if (err) *err = first;
    return first.code;
}
