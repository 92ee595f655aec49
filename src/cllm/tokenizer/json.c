/* tokenizer_json.c — the tokenizer's file formats.
 *
 * Our JSON (model metadata and standalone tokenizer file):
 *     {"type":"byte"}                                   the byte tokenizer
 *     {"type":"bpe","version":1,
 *      "tokens":["!", "\"", ..., "Ġthe", ..., "<|endoftext|>"],   by id, spelled as in GPT-2's vocab.json
 *      "specials":[50256],                              ids whose string is literal text, not a spelling
 *      "merges":[l0,r0, l1,r1, ...]}                    id pairs in rank order; results are found by bytes
 * GPT-2's files: vocab.json {"spelling": id, ...} and merges.txt ("#version: 0.2" then "left right" per line).
 * The spelling is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
 * (controls, space, 0x7F-0xA0, 0xAD) become U+0100.. in byte order, so every token is a printable string. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define MERGES_HEADER "#version: 0.2"
#define SHOWN_CAP 64 /* bytes of a hostile token shown in a message */

/* ---------------------------------------------------------------- bytes_to_unicode */

uint32_t tok_byte_to_unicode(uint8_t b) {
    if (b <= 0x20) return 256u + b;                     /* 33 controls and space */
    if (b >= 0x7F && b <= 0xA0) return 256u + 33 + (b - 0x7Fu); /* 34 more */
    if (b == 0xAD) return 256u + 33 + 34;               /* soft hyphen */
    return b;
}

static int unicode_to_byte(uint32_t c) {
    if (c >= 256 + 33 + 34 + 1) return -1;
    if (c == 256 + 33 + 34) return 0xAD;
    if (c >= 256 + 33) return (int)(c - 256 - 33 + 0x7F);
    if (c >= 256) return (int)(c - 256);
    return tok_byte_to_unicode((uint8_t)c) == c ? (int)c : -1;
}

size_t tok_spell(const uint8_t *in, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = tok_byte_to_unicode(in[i]);
        if (c < 0x80) {
            out[k++] = (char)c;
        } else {
            out[k++] = (char)(0xC0 | (c >> 6));
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return k;
}

long tok_unspell(const char *s, size_t len, uint8_t *out) {
    const uint8_t *u = (const uint8_t *)s;
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        if (u[i] < 0x80) {
            c = u[i++];
        } else if ((u[i] & 0xE0) == 0xC0 && i + 1 < len && (u[i + 1] & 0xC0) == 0x80) {
            c = ((uint32_t)(u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F);
            i += 2;
        } else {
            return -1;
        }
        int b = unicode_to_byte(c);
        if (b < 0) return -1;
        out[k++] = (uint8_t)b;
    }
    return (long)k;
}

/* ---------------------------------------------------------------- a token table under construction */

typedef struct table {
    int n;            /* tokens */
    uint8_t *bytes;   /* all tokens' bytes */
    size_t *offset;   /* n+1 */
    uint8_t *special; /* n */
    size_t len, cap;  /* bytes used / allocated */
} table;

static int table_init(table *t, int n) {
    memset(t, 0, sizeof *t);
    t->n = n;
    t->cap = 16 * (size_t)n + 16;
    t->bytes = malloc(t->cap);
    t->offset = calloc((size_t)n + 1, sizeof *t->offset);
    t->special = calloc((size_t)n + 1, 1);
    return t->bytes && t->offset && t->special ? 0 : -1;
}

static void table_free(table *t) {
    free(t->bytes);
    free(t->offset);
    free(t->special);
}

/* Room for `more` bytes at the end of t->bytes. */
static uint8_t *table_room(table *t, size_t more) {
    if (t->len + more > t->cap) {
        size_t cap = t->cap;
        while (cap < t->len + more) cap *= 2;
        uint8_t *b = realloc(t->bytes, cap);
        if (!b) return NULL;
        t->bytes = b;
        t->cap = cap;
    }
    return t->bytes + t->len;
}

/* Token strings arrive in any id order (vocab.json): store each one's bytes and fix offsets once all are in. */
typedef struct span { size_t start, len; } span;

static cllm_tokenizer *table_build(table *t, const span *spans, const int32_t *merges, int n_merges,
                                   cllm_error *err) {
    uint8_t *flat = malloc(t->len + 1);
    if (!flat) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        return NULL;
    }
    size_t off = 0;
    for (int i = 0; i < t->n; i++) {
        t->offset[i] = off;
        memcpy(flat + off, t->bytes + spans[i].start, spans[i].len);
        off += spans[i].len;
    }
    t->offset[t->n] = off;
    cllm_tokenizer *tok = tok_build(t->n, flat, t->offset, t->special, merges, n_merges, err);
    free(flat);
    return tok;
}

/* Adds token id from its JSON string: literal text for a special, else GPT-2 spelling. */
static int table_add(table *t, span *spans, int id, const char *s, size_t len, int special, cllm_error *err) {
    uint8_t *dst = table_room(t, len);
    if (!dst) return cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    long n = (long)len;
    if (special) memcpy(dst, s, len);
    else n = tok_unspell(s, len, dst);
    char shown[SHOWN_CAP];
    if (n < 0)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: token %d '%s' is not spelled in GPT-2's "
                              "byte-to-unicode alphabet", id, cllm_escape(s, len, shown, sizeof shown));
    spans[id] = (span){t->len, (size_t)n};
    t->special[id] = (uint8_t)special;
    t->len += (size_t)n;
    return 0;
}

/* ---------------------------------------------------------------- our JSON */

static char *spell_token(const cllm_tokenizer *tok, int id, char *buf) {
    size_t len;
    const uint8_t *b = cllm_tokenizer_token_bytes(tok, id, &len);
    if (tok->special[id]) {
        memcpy(buf, b, len);
    } else {
        len = tok_spell(b, len, buf);
    }
    buf[len] = 0;
    return buf;
}

static size_t longest_token(const cllm_tokenizer *tok) {
    size_t longest = 0;
    for (int id = 0; id < tok->n_tokens; id++)
        if (tok->offset[id + 1] - tok->offset[id] > longest) longest = tok->offset[id + 1] - tok->offset[id];
    return longest;
}

char *cllm_tokenizer_to_json(const cllm_tokenizer *tok) {
    if (tok->is_byte) return strdup("{\"type\":\"byte\"}");
    json_t *root = json_object(), *tokens = json_array(), *specials = json_array(), *merges = json_array();
    char *buf = malloc(2 * longest_token(tok) + 1), *out = NULL;
    int bad = !root || !tokens || !specials || !merges || !buf;
    for (int id = 0; id < tok->n_tokens && !bad; id++) {
        bad |= json_array_append_new(tokens, json_string(spell_token(tok, id, buf)));
        if (tok->special[id]) bad |= json_array_append_new(specials, json_integer(id));
    }
    for (int r = 0; r < 2 * tok->n_merges && !bad; r++)
        bad |= json_array_append_new(merges, json_integer(tok->merges[3 * (r / 2) + r % 2]));
    if (!bad) {
        json_object_set_new(root, "type", json_string("bpe"));
        json_object_set_new(root, "version", json_integer(1));
        json_object_set(root, "tokens", tokens);
        json_object_set(root, "specials", specials);
        json_object_set(root, "merges", merges);
        out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    json_decref(tokens);
    json_decref(specials);
    json_decref(merges);
    json_decref(root);
    free(buf);
    return out;
}

/* Reads "merges" (a flat array of ids, two per merge) into a malloc'd array. */
static int32_t *read_merge_ids(json_t *merges, int *n_merges, cllm_error *err) {
    size_t n = json_array_size(merges);
    if (!json_is_array(merges) || n % 2 || n / 2 > TOK_MAX_IDS) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: \"merges\" must be an array of id pairs");
        return NULL;
    }
    int32_t *ids = malloc((n + 2) * sizeof *ids);
    if (!ids) {
        cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(merges, i);
        json_int_t x = json_is_integer(v) ? json_integer_value(v) : -1;
        if (x < 0 || x >= TOK_MAX_IDS) {
            cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: merges[%zu] is not a token id", i);
            free(ids);
            return NULL;
        }
        ids[i] = (int32_t)x;
    }
    *n_merges = (int)(n / 2);
    return ids;
}

static cllm_tokenizer *bpe_from_json(json_t *root, cllm_error *err) {
    json_t *version = json_object_get(root, "version"), *tokens = json_object_get(root, "tokens");
    json_t *specials = json_object_get(root, "specials");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: unsupported bpe version (expected 1)");
        return NULL;
    }
    size_t n = json_array_size(tokens);
    if (!json_is_array(tokens) || n < 256 || n > TOK_MAX_IDS || (specials && !json_is_array(specials))) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: \"tokens\" must be an array of 256..%d strings and "
                       "\"specials\" an array of ids", TOK_MAX_IDS);
        return NULL;
    }
    int n_merges = 0;
    int32_t *merges = read_merge_ids(json_object_get(root, "merges"), &n_merges, err);
    if (!merges) return NULL;
    table t;
    span *spans = calloc(n, sizeof *spans);
    cllm_tokenizer *tok = NULL;
    int rc = table_init(&t, (int)n) || !spans ? cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory") : 0;
    for (size_t i = 0; i < json_array_size(specials) && !rc; i++) {
        json_t *v = json_array_get(specials, i);
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        if (id < 0 || (size_t)id >= n)
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: specials[%zu] is not a token id", i);
        else
            t.special[id] = 1;
    }
    for (size_t id = 0; id < n && !rc; id++) {
        json_t *s = json_array_get(tokens, id);
        if (!json_is_string(s))
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: tokens[%zu] is not a string", id);
        else
            rc = table_add(&t, spans, (int)id, json_string_value(s), json_string_length(s), t.special[id], err);
    }
    if (!rc) tok = table_build(&t, spans, merges, n_merges, err);
    table_free(&t);
    free(spans);
    free(merges);
    return tok;
}

cllm_tokenizer *cllm_tokenizer_from_json(const char *json, size_t len, cllm_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *type = json_is_object(root) ? json_string_value(json_object_get(root, "type")) : NULL;
    cllm_tokenizer *tok = NULL;
    char shown[SHOWN_CAP];
    if (!root)
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: bad JSON at line %d: %s", jerr.line, jerr.text);
    else if (type && strcmp(type, "byte") == 0) {
        if (!(tok = cllm_tokenizer_byte_new())) cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    } else if (type && strcmp(type, "bpe") == 0)
        tok = bpe_from_json(root, err);
    else
        cllm_error_set(err, CLLM_ERR_FORMAT, "tokenizer: unknown type '%s' (expected \"byte\" or \"bpe\")",
                       type ? cllm_escape(type, strlen(type), shown, sizeof shown) : "(none)");
    json_decref(root);
    return tok;
}

/* ---------------------------------------------------------------- whole files */

/* Prefixes err's message with the file it came from. */
static void name_file(cllm_error *err, const char *path) {
    if (!err) return;
    cllm_error copy = *err;
    cllm_error_set(err, copy.code, "%s: %s", path, copy.msg);
}

int cllm_tokenizer_save(const cllm_tokenizer *tok, const char *path, cllm_error *err) {
    char *json = cllm_tokenizer_to_json(tok);
    if (!json) return cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory writing '%s'", path);
    int rc = cllm_write_file_atomic(path, json, strlen(json), err);
    free(json);
    return rc;
}

cllm_tokenizer *cllm_tokenizer_load(const char *path, cllm_error *err) {
    size_t n;
    uint8_t *buf = cllm_file_read_all(path, &n, err);
    if (!buf) return NULL;
    cllm_tokenizer *tok = cllm_tokenizer_from_json((const char *)buf, n, err);
    free(buf);
    if (!tok) name_file(err, path);
    return tok;
}

/* ---------------------------------------------------------------- GPT-2's vocab.json + merges.txt */

/* Appends "left right\n" for each merge, spelled, to a growing buffer. */
static char *merges_text(const cllm_tokenizer *tok, size_t *len) {
    size_t longest = longest_token(tok), cap = 4096 + (size_t)tok->n_merges * 16, n = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    n = (size_t)sprintf(out, "%s\n", MERGES_HEADER);
    for (int r = 0; r < tok->n_merges; r++) {
        if (n + 4 * longest + 2 > cap) {
            cap = 2 * cap + 4 * longest + 2;
            char *grown = realloc(out, cap);
            if (!grown) { free(out); return NULL; }
            out = grown;
        }
        for (int side = 0; side < 2; side++) {
            size_t blen;
            const uint8_t *b = cllm_tokenizer_token_bytes(tok, tok->merges[3 * (size_t)r + side], &blen);
            n += tok_spell(b, blen, out + n);
            out[n++] = side ? '\n' : ' ';
        }
    }
    *len = n;
    return out;
}

static char *vocab_text(const cllm_tokenizer *tok, cllm_error *err) {
    json_t *vocab = json_object();
    char *buf = malloc(2 * longest_token(tok) + 1), *out = NULL;
    int bad = !vocab || !buf;
    for (int id = 0; id < tok->n_tokens && !bad; id++) {
        const char *key = spell_token(tok, id, buf);
        if (json_object_get(vocab, key)) {
            char shown[SHOWN_CAP];
            cllm_error_set(err, CLLM_ERR_STATE, "tokenizer: token %d spells like an earlier one ('%s'); "
                           "vocab.json cannot hold both", id, cllm_escape(key, strlen(key), shown, sizeof shown));
            bad = 1;
        } else {
            bad |= json_object_set_new(vocab, key, json_integer(id));
        }
    }
    if (!bad) out = json_dumps(vocab, JSON_INDENT(0) | JSON_PRESERVE_ORDER);
    else if (!err || !err->code) cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    json_decref(vocab);
    free(buf);
    return out;
}

int cllm_tokenizer_export_gpt2(const cllm_tokenizer *tok, const char *vocab_path, const char *merges_path,
                               cllm_error *err) {
    if (err) err->code = 0;
    size_t mlen = 0;
    char *vocab = vocab_text(tok, err), *merges = vocab ? merges_text(tok, &mlen) : NULL;
    int rc = 0;
    if (!vocab) rc = err ? err->code : CLLM_ERR_NOMEM;
    else if (!merges) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    else if (!(rc = cllm_write_file_atomic(vocab_path, vocab, strlen(vocab), err)))
        rc = cllm_write_file_atomic(merges_path, merges, mlen, err);
    free(vocab);
    free(merges);
    return rc;
}

/* Reads vocab.json into t (ids must be exactly 0..n-1) and indexes its spellings in by_spelling. */
static int read_vocab(json_t *vocab, table *t, span **spans, tok_strmap *by_spelling, cllm_error *err) {
    size_t n = json_object_size(vocab);
    if (!json_is_object(vocab) || n < 256 || n > TOK_MAX_IDS)
        return cllm_error_set(err, CLLM_ERR_FORMAT, "vocab.json must be an object of 256..%d entries", TOK_MAX_IDS);
    *spans = calloc(n, sizeof **spans);
    uint8_t *seen = calloc(n, 1);
    int rc = !*spans || !seen || table_init(t, (int)n) || tok_strmap_init(by_spelling, n)
                 ? cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory") : 0;
    const char *key;
    json_t *v;
    json_object_foreach(vocab, key, v) {
        if (rc) break;
        json_int_t id = json_is_integer(v) ? json_integer_value(v) : -1;
        size_t klen = strlen(key);
        int created;
        if (id < 0 || (size_t)id >= n || seen[id]) {
            char shown[SHOWN_CAP];
            rc = cllm_error_set(err, CLLM_ERR_FORMAT, "vocab.json: '%s' has a missing, repeated or out-of-range "
                                "id (ids must be 0..%zu)", cllm_escape(key, klen, shown, sizeof shown), n - 1);
            break;
        }
        seen[id] = 1;
        rc = table_add(t, *spans, (int)id, key, klen, strcmp(key, TOK_EOT_TEXT) == 0, err);
        const uint8_t *k = (const uint8_t *)key;
        int64_t e = rc ? 0 : tok_strmap_upsert(by_spelling, k, klen, tok_hash(k, klen), &created);
        if (e < 0) rc = cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
        else if (!rc) by_spelling->value[e] = id;
    }
    free(seen);
    return rc;
}

static int32_t spelled_id(const tok_strmap *by_spelling, const char *s, size_t len) {
    int64_t e = tok_strmap_find(by_spelling, (const uint8_t *)s, len, tok_hash((const uint8_t *)s, len));
    return e < 0 ? -1 : (int32_t)by_spelling->value[e];
}

/* Parses merges.txt lines "left right" into id pairs; *n_merges set. */
static int32_t *read_merges(const char *txt, size_t len, const tok_strmap *by_spelling, int *n_merges,
                            cllm_error *err) {
    size_t cap = 1024, n = 0, line = 0;
    int32_t *pairs = malloc(2 * cap * sizeof *pairs);
    for (size_t pos = 0; pos < len && pairs;) {
        const char *s = txt + pos, *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        pos += l + 1;
        line++;
        if (l && s[l - 1] == '\r') l--;
        if (l == 0 || (line == 1 && l >= 8 && memcmp(s, "#version", 8) == 0)) continue;
        const char *sp = memchr(s, ' ', l);
        int32_t a = sp ? spelled_id(by_spelling, s, (size_t)(sp - s)) : -1;
        int32_t b = sp ? spelled_id(by_spelling, sp + 1, l - (size_t)(sp - s) - 1) : -1;
        if (a < 0 || b < 0 || n >= TOK_MAX_IDS) {
            char shown[SHOWN_CAP];
            cllm_error_set(err, CLLM_ERR_FORMAT, "merges.txt line %zu: '%s' is not two vocab.json entries "
                           "separated by one space", line, cllm_escape(s, l, shown, sizeof shown));
            free(pairs);
            return NULL;
        }
        if (n == cap) {
            cap *= 2;
            int32_t *grown = realloc(pairs, 2 * cap * sizeof *pairs);
            if (!grown) { free(pairs); pairs = NULL; break; }
            pairs = grown;
        }
        pairs[2 * n] = a;
        pairs[2 * n + 1] = b;
        n++;
    }
    if (!pairs) cllm_error_set(err, CLLM_ERR_NOMEM, "tokenizer: out of memory");
    *n_merges = (int)n;
    return pairs;
}

cllm_tokenizer *cllm_tokenizer_from_gpt2(const char *vocab_json, size_t vocab_len, const char *merges_txt,
                                         size_t merges_len, cllm_error *err) {
    json_error_t jerr;
    json_t *vocab = json_loadb(vocab_json, vocab_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!vocab) {
        cllm_error_set(err, CLLM_ERR_FORMAT, "vocab.json: bad JSON at line %d: %s", jerr.line, jerr.text);
        return NULL;
    }
    table t = {0};
    span *spans = NULL;
    tok_strmap by_spelling = {0};
    cllm_tokenizer *tok = NULL;
    int n_merges = 0;
    if (read_vocab(vocab, &t, &spans, &by_spelling, err) == 0) {
        int32_t *pairs = read_merges(merges_txt, merges_len, &by_spelling, &n_merges, err);
        if (pairs) tok = table_build(&t, spans, pairs, n_merges, err);
        free(pairs);
    }
    if (by_spelling.slot) tok_strmap_free(&by_spelling);
    table_free(&t);
    free(spans);
    json_decref(vocab);
    return tok;
}

cllm_tokenizer *cllm_tokenizer_import_gpt2(const char *vocab_path, const char *merges_path, cllm_error *err) {
    size_t vlen, mlen;
    uint8_t *vocab = cllm_file_read_all(vocab_path, &vlen, err);
    if (!vocab) return NULL;
    uint8_t *merges = cllm_file_read_all(merges_path, &mlen, err);
    cllm_tokenizer *tok = NULL;
    if (merges) {
        tok = cllm_tokenizer_from_gpt2((const char *)vocab, vlen, (const char *)merges, mlen, err);
        if (!tok) name_file(err, err && strncmp(err->msg, "merges", 6) == 0 ? merges_path : vocab_path);
    }
    free(vocab);
    free(merges);
    return tok;
}
