/* tokenizer_train.c — byte-level BPE training, as HF tokenizers / GPT-2 train it.
 *
 * 1. Count words: the corpus is streamed in chunks, split by the pre-tokenizer, and each distinct piece is kept
 *    once with its frequency (a piece never spans a chunk: the last piece of a chunk waits for the next one).
 * 2. Merge: every adjacent pair of every word is counted (weighted by the word's frequency) and remembers which
 *    words hold it. A max-heap keyed by (count desc, left id asc, right id asc) picks the next merge; counts in
 *    the heap are lazy — an entry whose count went stale is pushed back with the fresh count when popped. A merge
 *    rewrites only the words on its pair's list and changes only the pairs next to each occurrence.
 * Ids: 0..255 are the bytes, each merge result that is new gets the next id, <|endoftext|> comes last. Two
 * merges that spell the same bytes share one id (as in HF), so vocab_size counts distinct tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define CHUNK_BYTES (1u << 20) /* read size when streaming files; a piece longer than this gets cut */

/* ---------------------------------------------------------------- 1. word counts */

/* End of s[0..n) without a trailing incomplete UTF-8 sequence (it may complete in the next chunk). */
static size_t utf8_safe_end(const uint8_t *s, size_t n) {
    for (size_t k = 1; k <= 4 && k <= n; k++) {
        uint8_t b = s[n - k];
        if ((b & 0xC0) == 0x80) continue;
        size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        return need > k ? n - k : n;
    }
    return n;
}

/* Counts the pieces of s[0..n) into words; unless final, the last piece is left for the next chunk. Returns the
 * bytes consumed, or (size_t)-1 when out of memory. */
static size_t count_chunk(tok_strmap *words, const uint8_t *s, size_t n, int final) {
    size_t end = final ? n : utf8_safe_end(s, n), pos = 0;
    while (pos < end) {
        size_t e = cllm_tokenizer_pretoken_end(s, end, pos);
        if (!final && e == end) break;
        int created;
        int64_t w = tok_strmap_upsert(words, s + pos, e - pos, tok_hash(s + pos, e - pos), &created);
        if (w < 0) return (size_t)-1;
        words->value[w]++;
        pos = e;
    }
    return pos;
}

static int count_file(tok_strmap *words, const char *path, uint8_t *buf, cllm_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return cllm_error_set(err, CLLM_ERR_IO, "tokenizer: cannot open '%s' (check the path)", path);
    size_t have = 0;
    int rc = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, CHUNK_BYTES - have, f);
        have += got;
        if (ferror(f)) {
            rc = cllm_error_set(err, CLLM_ERR_IO, "tokenizer: read error in '%s'", path);
            break;
        }
        int eof = have < CHUNK_BYTES;
        size_t used = count_chunk(words, buf, have, eof);
        if (used == 0 && have == CHUNK_BYTES) used = count_chunk(words, buf, have, 1); /* one huge piece */
        if (used == (size_t)-1) {
            rc = cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory counting words of '%s'", path);
            break;
        }
        memmove(buf, buf + used, have - used);
        have -= used;
        if (eof) break;
    }
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- 2. merges */

typedef struct heap_entry {
    int64_t count; /* the pair's count when pushed */
    int32_t pair;
} heap_entry;

typedef struct trainer {
    /* words: each distinct piece once, as a sequence of token ids rewritten in place by merges */
    size_t n_words;
    int64_t *wcount;  /* frequency of each word */
    size_t *woff;     /* start of each word in sym */
    int32_t *wlen;    /* current symbol count of each word */
    int32_t *sym;
    /* pairs, numbered in order of appearance */
    size_t n_pairs, pair_cap;
    int32_t *pl, *pr; /* left and right id */
    int64_t *pc;      /* current count (weighted by word frequency) */
    int32_t **where;  /* words that held the pair at some point (may be stale or repeated, never missing) */
    int32_t *wn, *wcap;
    uint8_t *flags;   /* PAIR_TOUCHED: count rose in this merge; PAIR_MERGED: already a merge */
    int32_t *touched;
    size_t n_touched;
    uint64_t *map_key; /* (left<<32 | right) + 1 → pair index, open addressing */
    int32_t *map_val;
    size_t map_mask;
    /* the queue */
    heap_entry *heap;
    size_t heap_n, heap_cap;
    /* tokens: entry i of this map is id i (ids are handed out in insertion order) */
    tok_strmap tokens;
    int32_t *merges; /* (left, right) per rank */
    int n_merges, merges_cap;
    int oom;         /* set when an allocation failed; the run stops and reports it */
} trainer;

enum { PAIR_TOUCHED = 1, PAIR_MERGED = 2 };

static size_t map_slot(const trainer *t, uint64_t key) {
    size_t i = tok_pair_hash(key) & t->map_mask;
    while (t->map_key[i] && t->map_key[i] != key) i = (i + 1) & t->map_mask;
    return i;
}

static int grow_pairs(trainer *t) {
    size_t cap = t->pair_cap ? 2 * t->pair_cap : 1024;
    if (tok_grow((void **)&t->pl, sizeof *t->pl, cap) || tok_grow((void **)&t->pr, sizeof *t->pr, cap) ||
        tok_grow((void **)&t->pc, sizeof *t->pc, cap) || tok_grow((void **)&t->where, sizeof *t->where, cap) ||
        tok_grow((void **)&t->wn, sizeof *t->wn, cap) || tok_grow((void **)&t->wcap, sizeof *t->wcap, cap) ||
        tok_grow((void **)&t->flags, sizeof *t->flags, cap) || tok_grow((void **)&t->touched, sizeof *t->touched, cap))
        return -1;
    uint64_t *key = calloc(2 * cap, sizeof *key);
    int32_t *val = malloc(2 * cap * sizeof *val);
    if (!key || !val) {
        free(key);
        free(val);
        return -1;
    }
    free(t->map_key);
    free(t->map_val);
    t->map_key = key;
    t->map_val = val;
    t->map_mask = 2 * cap - 1;
    for (size_t p = 0; p < t->n_pairs; p++) {
        uint64_t k = (((uint64_t)(uint32_t)t->pl[p] << 32) | (uint32_t)t->pr[p]) + 1;
        size_t i = map_slot(t, k);
        key[i] = k;
        val[i] = (int32_t)p;
    }
    t->pair_cap = cap;
    return 0;
}

/* Index of pair (l, r), created with count 0 if new; -1 when out of memory. */
static int32_t pair_get(trainer *t, int32_t l, int32_t r) {
    uint64_t key = (((uint64_t)(uint32_t)l << 32) | (uint32_t)r) + 1;
    size_t i = map_slot(t, key);
    if (t->map_key[i]) return t->map_val[i];
    if (t->n_pairs == t->pair_cap) {
        if (grow_pairs(t)) return -1;
        i = map_slot(t, key);
    }
    int32_t p = (int32_t)t->n_pairs++;
    t->map_key[i] = key;
    t->map_val[i] = p;
    t->pl[p] = l;
    t->pr[p] = r;
    t->pc[p] = 0;
    t->where[p] = NULL;
    t->wn[p] = t->wcap[p] = 0;
    t->flags[p] = 0;
    return p;
}

/* Adds delta to pair (l, r)'s count; a rise records word w on the pair's list and marks it for the queue. */
static void pair_add(trainer *t, int32_t l, int32_t r, int64_t delta, int32_t w, int32_t skip) {
    int32_t p = pair_get(t, l, r);
    if (p < 0) { t->oom = 1; return; }
    if (p == skip) return;
    t->pc[p] += delta;
    if (delta <= 0) return;
    if (t->wn[p] == 0 || t->where[p][t->wn[p] - 1] != w) {
        if (t->wn[p] == t->wcap[p]) {
            int32_t cap = t->wcap[p] ? 2 * t->wcap[p] : 4;
            if (tok_grow((void **)&t->where[p], sizeof(int32_t), (size_t)cap)) { t->oom = 1; return; }
            t->wcap[p] = cap;
        }
        t->where[p][t->wn[p]++] = w;
    }
    if (!(t->flags[p] & PAIR_TOUCHED)) {
        t->flags[p] |= PAIR_TOUCHED;
        t->touched[t->n_touched++] = p;
    }
}

/* a before b in the queue: higher count, then smaller (left, right). */
static int entry_before(const trainer *t, heap_entry a, heap_entry b) {
    if (a.count != b.count) return a.count > b.count;
    if (t->pl[a.pair] != t->pl[b.pair]) return t->pl[a.pair] < t->pl[b.pair];
    return t->pr[a.pair] < t->pr[b.pair];
}

static void queue_push(trainer *t, int32_t p) {
    if (t->heap_n == t->heap_cap) {
        size_t cap = t->heap_cap ? 2 * t->heap_cap : 1024;
        if (tok_grow((void **)&t->heap, sizeof *t->heap, cap)) { t->oom = 1; return; }
        t->heap_cap = cap;
    }
    heap_entry x = {t->pc[p], p};
    size_t i = t->heap_n++;
    while (i > 0 && entry_before(t, x, t->heap[(i - 1) / 2])) {
        t->heap[i] = t->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->heap[i] = x;
}

static heap_entry queue_pop(trainer *t) {
    heap_entry top = t->heap[0], x = t->heap[--t->heap_n];
    size_t i = 0, n = t->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && entry_before(t, t->heap[c + 1], t->heap[c])) c++;
        if (!entry_before(t, t->heap[c], x)) break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (n) t->heap[i] = x;
    return top;
}

/* Queues every pair whose count rose since the last flush. */
static void flush_touched(trainer *t) {
    for (size_t k = 0; k < t->n_touched; k++) {
        int32_t p = t->touched[k];
        t->flags[p] &= (uint8_t)~PAIR_TOUCHED;
        if (t->pc[p] > 0) queue_push(t, p);
    }
    t->n_touched = 0;
}

/* Replaces every (a, b) in word w by x, left to right, updating the neighbouring pairs' counts. */
static void merge_word(trainer *t, int32_t w, int32_t a, int32_t b, int32_t x, int32_t p) {
    int32_t *s = t->sym + t->woff[w], len = t->wlen[w], out = 0;
    int64_t c = t->wcount[w];
    for (int32_t i = 0; i < len;) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
            if (out > 0) {
                pair_add(t, s[out - 1], a, -c, w, p);
                pair_add(t, s[out - 1], x, c, w, p);
            }
            if (i + 2 < len) {
                pair_add(t, b, s[i + 2], -c, w, p);
                pair_add(t, x, s[i + 2], c, w, p);
            }
            s[out++] = x;
            i += 2;
        } else {
            s[out++] = s[i++];
        }
    }
    t->wlen[w] = out;
}

/* The id of the token spelled by a's bytes then b's, added if new; -1 when out of memory. */
static int32_t token_for(trainer *t, int32_t a, int32_t b) {
    tok_strmap *m = &t->tokens;
    size_t la = m->key_len[a], lb = m->key_len[b];
    uint8_t small[256], *cat = la + lb <= sizeof small ? small : malloc(la + lb);
    if (!cat) return -1;
    memcpy(cat, tok_strmap_key(m, a), la);
    memcpy(cat + la, tok_strmap_key(m, b), lb);
    int created;
    int64_t id = tok_strmap_upsert(m, cat, la + lb, tok_hash(cat, la + lb), &created);
    if (cat != small) free(cat);
    return (int32_t)id;
}

/* Applies the best pair; returns 1 if one was applied, 0 when no pair is left. */
static int merge_step(trainer *t) {
    heap_entry top;
    for (;;) {
        if (t->heap_n == 0) return 0;
        top = queue_pop(t);
        if (top.count == t->pc[top.pair]) break;
        if (t->pc[top.pair] > 0) queue_push(t, top.pair); /* stale: requeue with the fresh count */
    }
    if (top.count <= 0) return 0;
    int32_t p = top.pair, a = t->pl[p], b = t->pr[p];
    int32_t x = token_for(t, a, b);
    if (x < 0) { t->oom = 1; return 0; }
    /* A pair merged before can come back when another merge spells an existing token; it is applied again but
     * not recorded twice (encoding applies the first record to it anyway). */
    if (!(t->flags[p] & PAIR_MERGED)) {
        if (t->n_merges == t->merges_cap) {
            int cap = t->merges_cap ? 2 * t->merges_cap : 1024;
            if (tok_grow((void **)&t->merges, 2 * sizeof *t->merges, (size_t)cap)) { t->oom = 1; return 0; }
            t->merges_cap = cap;
        }
        t->merges[2 * t->n_merges] = a;
        t->merges[2 * t->n_merges + 1] = b;
        t->n_merges++;
        t->flags[p] |= PAIR_MERGED;
    }
    int32_t *list = t->where[p], n = t->wn[p];
    t->where[p] = NULL;
    t->wn[p] = t->wcap[p] = 0;
    t->pc[p] = 0;
    for (int32_t k = 0; k < n && !t->oom; k++) merge_word(t, list[k], a, b, x, p);
    free(list);
    flush_touched(t);
    return 1;
}

/* Turns the counted words into symbol sequences and counts their pairs. */
static int trainer_start(trainer *t, const tok_strmap *words) {
    t->n_words = words->n;
    t->wcount = malloc((words->n + 1) * sizeof *t->wcount);
    t->woff = malloc((words->n + 1) * sizeof *t->woff);
    t->wlen = malloc((words->n + 1) * sizeof *t->wlen);
    t->sym = malloc((words->arena_len + 1) * sizeof *t->sym);
    if (!t->wcount || !t->woff || !t->wlen || !t->sym || tok_strmap_init(&t->tokens, 4096) || grow_pairs(t))
        return -1;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        int created;
        if (tok_strmap_upsert(&t->tokens, &c, 1, tok_hash(&c, 1), &created) != b) return -1;
    }
    size_t off = 0;
    for (size_t w = 0; w < words->n; w++) {
        const uint8_t *k = tok_strmap_key(words, (int64_t)w);
        t->wcount[w] = words->value[w];
        t->woff[w] = off;
        t->wlen[w] = (int32_t)words->key_len[w];
        for (uint32_t i = 0; i < words->key_len[w]; i++) t->sym[off + i] = k[i];
        for (uint32_t i = 0; i + 1 < words->key_len[w]; i++)
            pair_add(t, k[i], k[i + 1], t->wcount[w], (int32_t)w, -1);
        off += words->key_len[w];
    }
    flush_touched(t);
    return t->oom ? -1 : 0;
}

static void trainer_free(trainer *t) {
    for (size_t p = 0; p < t->n_pairs; p++) free(t->where[p]);
    free(t->wcount); free(t->woff); free(t->wlen); free(t->sym);
    free(t->pl); free(t->pr); free(t->pc); free(t->where); free(t->wn); free(t->wcap); free(t->flags);
    free(t->touched); free(t->map_key); free(t->map_val); free(t->heap); free(t->merges);
    tok_strmap_free(&t->tokens);
}

/* Runs the merges and builds the tokenizer (tokens + <|endoftext|>). */
static cllm_tokenizer *train_words(const tok_strmap *words, int vocab_size, cllm_error *err) {
    trainer t = {0};
    cllm_tokenizer *tok = NULL;
    if (words->n > INT32_MAX || words->arena_len > (size_t)INT32_MAX) { /* words and symbols are int32-indexed */
        cllm_error_set(err, CLLM_ERR_ARG, "tokenizer: %zu distinct words (%zu bytes) is more than training "
                       "handles; train on a sample", words->n, words->arena_len);
        return NULL;
    }
    if (trainer_start(&t, words)) t.oom = 1;
    else
        while ((int)t.tokens.n < vocab_size - 1 && !t.oom && merge_step(&t)) {}
    if (t.oom) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory training on %zu distinct words", words->n);
        trainer_free(&t);
        return NULL;
    }
    int n_tokens = (int)t.tokens.n + 1;
    size_t eot_len = strlen(TOK_EOT_TEXT), total = t.tokens.arena_len + eot_len;
    size_t *offset = malloc(((size_t)n_tokens + 1) * sizeof *offset);
    uint8_t *bytes = malloc(total), *special = calloc((size_t)n_tokens, 1);
    if (offset && bytes && special) {
        memcpy(bytes, t.tokens.arena, t.tokens.arena_len);
        memcpy(bytes + t.tokens.arena_len, TOK_EOT_TEXT, eot_len);
        for (size_t i = 0; i < t.tokens.n; i++) offset[i] = t.tokens.key_off[i];
        offset[n_tokens - 1] = t.tokens.arena_len;
        offset[n_tokens] = total;
        special[n_tokens - 1] = 1;
        tok = tok_build(n_tokens, bytes, offset, special, t.merges, t.n_merges, err);
    } else {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory building %d tokens", n_tokens);
    }
    free(offset);
    free(bytes);
    free(special);
    trainer_free(&t);
    return tok;
}

static int check_vocab_size(int vocab_size, cllm_error *err) {
    if (vocab_size < 257 || vocab_size > TOK_MAX_IDS)
        return cllm_error_set(err, CLLM_ERR_ARG, "tokenizer: vocab size %d is out of range [257, %d] (256 bytes + "
                              "<|endoftext|> at least)", vocab_size, TOK_MAX_IDS);
    return 0;
}

cllm_tokenizer *cllm_tokenizer_train(const char *const *paths, int npaths, int vocab_size, cllm_error *err) {
    if (check_vocab_size(vocab_size, err)) return NULL;
    tok_strmap words;
    uint8_t *buf = malloc(CHUNK_BYTES);
    if (!buf || tok_strmap_init(&words, 1 << 16)) {
        free(buf);
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        return NULL;
    }
    int rc = 0;
    for (int i = 0; i < npaths && !rc; i++) rc = count_file(&words, paths[i], buf, err);
    free(buf);
    cllm_tokenizer *tok = rc ? NULL : train_words(&words, vocab_size, err);
    tok_strmap_free(&words);
    return tok;
}

cllm_tokenizer *cllm_tokenizer_train_buffer(const void *text, size_t n, int vocab_size, cllm_error *err) {
    if (check_vocab_size(vocab_size, err)) return NULL;
    tok_strmap words;
    if (tok_strmap_init(&words, 1 << 12)) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        return NULL;
    }
    cllm_tokenizer *tok = NULL;
    if (count_chunk(&words, text, n, 1) == (size_t)-1)
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory counting words");
    else
        tok = train_words(&words, vocab_size, err);
    tok_strmap_free(&words);
    return tok;
}
