/* test_tokenizer.c — encoding: any bytes round-trip, encoding is deterministic and equals the textbook GPT-2 BPE
 * loop, <|endoftext|> is never produced, the parallel helper matches, and the JSON format round-trips and rejects
 * garbage without crashing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cllm_tokenizer.h"
#include "support.h"

/* A small generated corpus: Zipf-ish words from syllables, numbers, punctuation, some non-Latin words. */
static char *make_corpus(size_t target, uint64_t seed, size_t *len) {
    static const char *syl[] = {"the", "an", "ing", "er", "qu", "st", "o", "re", "ly", "ca", "mi", "ze"};
    static const char *extra[] = {"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xd0\xbc\xd0\xb8\xd1\x80", "it's",
                                  "don't", "2024", "3.14", "!!", "\n\n", "  ", "\t"};
    char *buf = malloc(target + 64);
    size_t n = 0;
    uint64_t rng = seed;
    while (n < target) {
        uint64_t r = test_rand(&rng);
        if (r % 7 == 0) {
            n += (size_t)sprintf(buf + n, " %s", extra[(r >> 8) % 11]);
            continue;
        }
        int parts = 1 + (int)((r >> 8) % 3);
        buf[n++] = ' ';
        for (int p = 0; p < parts; p++) {
            uint64_t s = test_rand(&rng) % 144;
            n += (size_t)sprintf(buf + n, "%s", syl[(size_t)(s * s / 1728) % 12]); /* skewed choice */
        }
        if (r % 11 == 0) buf[n++] = r % 2 ? '.' : ',';
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static cllm_tokenizer *trained(int vocab) {
    size_t n;
    char *text = make_corpus(60000, 1, &n);
    cllm_error err = {0};
    cllm_tokenizer *tok = cllm_tokenizer_train_buffer(text, n, vocab, &err);
    if (!tok) fail_msg("train: %s", err.msg);
    free(text);
    return tok;
}

static void assert_round_trip(const cllm_tokenizer *tok, const uint8_t *text, size_t n) {
    cllm_error err = {0};
    size_t count;
    int32_t *ids = cllm_tokenizer_encode(tok, text, n, &count, &err);
    assert_non_null(ids);
    assert_true(count <= n);
    uint8_t *back = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len;
        const uint8_t *b = cllm_tokenizer_token_bytes(tok, ids[i], &len);
        assert_non_null(b);
        assert_int_not_equal(ids[i], cllm_tokenizer_eot(tok));
        assert_true(k + len <= n);
        memcpy(back + k, b, len);
        k += len;
    }
    assert_int_equal(k, n);
    assert_memory_equal(back, text, n);
    free(back);
    free(ids);
}

/* Random byte strings of several kinds: raw bytes, invalid UTF-8, NULs, long runs, mixed scripts. */
static size_t random_text(uint64_t *rng, uint8_t *buf, size_t cap) {
    static const char *bits[] = {"a", "the", " the", "\xe6\x97\xa5", "\xcc\x81", "\xf0\x9f\x8d\x95", "\xff",
                                 "\xc3", "\0", "  ", "\n", "\t", "'s", "7", "\xd0\xbc\xd0\xb8\xd1\x80",
                                 "<|endoftext|>"};
    size_t n = 0, target = test_rand(rng) % cap;
    while (n < target) {
        uint64_t r = test_rand(rng);
        switch (r % 4) {
        case 0: buf[n++] = (uint8_t)(r >> 8); break;
        case 1: { /* a run */
            size_t run = (r >> 8) % 300;
            for (size_t i = 0; i < run && n < cap; i++) buf[n++] = (uint8_t)((r >> 20) % 3 == 0 ? ' ' : 'x');
            break;
        }
        default: {
            const char *b = bits[(r >> 8) % 16];
            size_t len = b[0] ? strlen(b) : 1;
            for (size_t i = 0; i < len && n < cap; i++) buf[n++] = (uint8_t)b[i];
        }
        }
    }
    return n < cap ? n : cap;
}

static void test_round_trip_random_bytes(void **state) {
    (void)state;
    cllm_tokenizer *bpe = trained(600), *byte = cllm_tokenizer_byte_new();
    uint64_t rng = 42;
    uint8_t *buf = malloc(4096);
    for (int t = 0; t < 300; t++) {
        size_t n = random_text(&rng, buf, 4096);
        assert_round_trip(bpe, buf, n);
        assert_round_trip(byte, buf, n);
    }
    /* one long run: the heap keeps this fast, a quadratic rescan would not */
    size_t big = 1 << 20;
    uint8_t *run = malloc(big);
    memset(run, 'a', big);
    assert_round_trip(bpe, run, big);
    memset(run, ' ', big);
    assert_round_trip(bpe, run, big);
    free(run);
    free(buf);
    cllm_tokenizer_free(bpe);
    cllm_tokenizer_free(byte);
}

/* The textbook loop (GPT-2's bpe()): merge every occurrence of the lowest-rank pair, until none is left. */
static size_t reference_piece(const cllm_tokenizer *tok, const int *rank, int V, const uint8_t *s, size_t n,
                              int32_t *out) {
    size_t len;
    for (size_t i = 0; i < n; i++) {
        for (int id = 0; id < V; id++) {
            const uint8_t *b = cllm_tokenizer_token_bytes(tok, id, &len);
            if (len == 1 && b[0] == s[i] && id != cllm_tokenizer_eot(tok)) { out[i] = id; break; }
        }
    }
    for (;;) {
        int best = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int r = rank[out[i] * V + out[i + 1]];
            if (r >= 0 && (best < 0 || r < best)) best = r;
        }
        if (best < 0) return n;
        int l, r, x;
        cllm_tokenizer_merge(tok, best, &l, &r, &x);
        size_t k = 0;
        for (size_t i = 0; i < n;) {
            if (i + 1 < n && out[i] == l && out[i + 1] == r) { out[k++] = x; i += 2; }
            else out[k++] = out[i++];
        }
        n = k;
    }
}

static void test_encode_matches_reference_bpe(void **state) {
    (void)state;
    cllm_tokenizer *tok = trained(500);
    int V = cllm_tokenizer_vocab_size(tok);
    int *rank = malloc((size_t)V * V * sizeof *rank);
    for (size_t i = 0; i < (size_t)V * V; i++) rank[i] = -1;
    for (int m = 0; m < cllm_tokenizer_merge_count(tok); m++) {
        int l, r, x;
        assert_int_equal(cllm_tokenizer_merge(tok, m, &l, &r, &x), 0);
        rank[l * V + r] = m;
    }
    size_t n;
    char *text = make_corpus(20000, 99, &n); /* different seed from training: unseen words too */
    int32_t *want = malloc(n * sizeof *want);
    size_t nw = 0;
    for (size_t pos = 0; pos < n;) {
        size_t end = cllm_tokenizer_pretoken_end(text, n, pos);
        nw += reference_piece(tok, rank, V, (const uint8_t *)text + pos, end - pos, want + nw);
        pos = end;
    }
    cllm_error err = {0};
    size_t count;
    int32_t *got = cllm_tokenizer_encode(tok, text, n, &count, &err);
    assert_int_equal(count, nw);
    assert_memory_equal(got, want, nw * sizeof *want);
    assert_true(count < n / 2); /* it actually compresses */
    /* deterministic: a second encode gives the same ids */
    size_t count2;
    int32_t *again = cllm_tokenizer_encode(tok, text, n, &count2, &err);
    assert_int_equal(count2, count);
    assert_memory_equal(again, got, count * sizeof *got);
    free(again); free(got); free(want); free(text); free(rank);
    cllm_tokenizer_free(tok);
}

static void test_endoftext_is_special(void **state) {
    (void)state;
    cllm_tokenizer *tok = trained(400), *byte = cllm_tokenizer_byte_new();
    int eot = cllm_tokenizer_eot(tok);
    assert_int_equal(eot, cllm_tokenizer_vocab_size(tok) - 1);
    size_t len;
    const uint8_t *b = cllm_tokenizer_token_bytes(tok, eot, &len);
    assert_int_equal(len, 13);
    assert_memory_equal(b, "<|endoftext|>", 13);
    assert_round_trip(tok, (const uint8_t *)"a<|endoftext|>b <|endoftext|>", 29);
    assert_int_equal(cllm_tokenizer_eot(byte), -1);
    assert_int_equal(cllm_tokenizer_vocab_size(byte), 256);
    assert_null(cllm_tokenizer_token_bytes(tok, cllm_tokenizer_vocab_size(tok), &len));
    assert_null(cllm_tokenizer_token_bytes(tok, -1, &len));
    cllm_tokenizer_free(tok);
    cllm_tokenizer_free(byte);
}

static void test_encode_many_matches_encode(void **state) {
    (void)state;
    cllm_tokenizer *tok = trained(500);
    enum { D = 37 };
    uint8_t *docs[D];
    size_t lens[D], counts[D];
    int32_t *ids[D];
    uint64_t rng = 5;
    for (int d = 0; d < D; d++) {
        docs[d] = malloc(2048);
        lens[d] = random_text(&rng, docs[d], 2048);
    }
    cllm_error err = {0};
    assert_int_equal(cllm_tokenizer_encode_many(tok, D, (const void *const *)docs, lens, ids, counts, 2, &err), 0);
    for (int d = 0; d < D; d++) {
        size_t n;
        int32_t *one = cllm_tokenizer_encode(tok, docs[d], lens[d], &n, &err);
        assert_int_equal(n, counts[d]);
        assert_memory_equal(one, ids[d], n * sizeof *one);
        free(one); free(ids[d]); free(docs[d]);
    }
    /* cutting one text where next_cut says, and encoding the parts, gives the whole text's ids */
    size_t n;
    char *text = make_corpus(30000, 3, &n);
    for (size_t i = 0; i + 1 < n; i++) if (i % 97 == 0 && text[i] == ' ') text[i] = '\n';
    size_t whole_n, pos = 0, k = 0;
    int32_t *whole = cllm_tokenizer_encode(tok, text, n, &whole_n, &err);
    int parts = 0;
    while (pos < n) {
        size_t cut = cllm_tokenizer_next_cut(text, n, pos + 500), cn;
        int32_t *part = cllm_tokenizer_encode(tok, text + pos, cut - pos, &cn, &err);
        assert_true(k + cn <= whole_n);
        assert_memory_equal(part, whole + k, cn * sizeof *part);
        k += cn;
        pos = cut;
        parts++;
        free(part);
    }
    assert_int_equal(k, whole_n);
    assert_true(parts > 10);
    free(whole); free(text);
    cllm_tokenizer_free(tok);
}

static void test_json_round_trip(void **state) {
    (void)state;
    cllm_tokenizer *tok = trained(700);
    char *json = cllm_tokenizer_to_json(tok);
    assert_non_null(json);
    cllm_error err = {0};
    cllm_tokenizer *back = cllm_tokenizer_from_json(json, strlen(json), &err);
    assert_non_null(back);
    char *json2 = cllm_tokenizer_to_json(back);
    assert_string_equal(json, json2);
    assert_int_equal(cllm_tokenizer_vocab_size(back), 700);
    assert_int_equal(cllm_tokenizer_eot(back), 699);
    const char *s = "The quick caf\xc3\xa9 it's 2024!\xff\0x";
    size_t n1, n2;
    int32_t *a = cllm_tokenizer_encode(tok, s, 26, &n1, &err), *b = cllm_tokenizer_encode(back, s, 26, &n2, &err);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);
    /* the byte tokenizer keeps its one-line form */
    cllm_tokenizer *byte = cllm_tokenizer_from_json("{\"type\":\"byte\"}", 15, &err);
    assert_non_null(byte);
    char *bj = cllm_tokenizer_to_json(byte);
    assert_string_equal(bj, "{\"type\":\"byte\"}");
    /* save + load through a file */
    const char *path = test_path("tok.json");
    assert_int_equal(cllm_tokenizer_save(tok, path, &err), 0);
    cllm_tokenizer *loaded = cllm_tokenizer_load(path, &err);
    assert_non_null(loaded);
    char *json3 = cllm_tokenizer_to_json(loaded);
    assert_string_equal(json, json3);
    free(a); free(b); free(bj); free(json); free(json2); free(json3);
    cllm_tokenizer_free(tok); cllm_tokenizer_free(back); cllm_tokenizer_free(byte); cllm_tokenizer_free(loaded);
}

/* 256 spelled byte tokens ("\u0100".. for the unprintable ones) as a JSON array body, plus extra entries. */
static char *bpe_json(const char *extra_tokens, const char *specials, const char *merges) {
    char *out = malloc(8192);
    size_t n = (size_t)sprintf(out, "{\"type\":\"bpe\",\"version\":1,\"tokens\":[");
    for (int b = 0; b < 256; b++) {
        unsigned c = b <= 0x20 ? 256u + (unsigned)b : (b >= 0x7F && b <= 0xA0) ? 289u + (unsigned)(b - 0x7F)
                     : b == 0xAD ? 323u : (unsigned)b;
        n += (size_t)sprintf(out + n, "%s\"\\u%04x\"", b ? "," : "", c);
    }
    sprintf(out + n, "%s],\"specials\":[%s],\"merges\":[%s]}", extra_tokens, specials, merges);
    return out;
}

static void test_from_json_rejects_garbage(void **state) {
    (void)state;
    cllm_error err = {0};
    /* the hand-made valid one loads: ids 256 "ab", 257 <|endoftext|> */
    char *ok = bpe_json(",\"ab\",\"<|endoftext|>\"", "257", "97,98");
    cllm_tokenizer *tok = cllm_tokenizer_from_json(ok, strlen(ok), &err);
    if (!tok) fail_msg("%s", err.msg);
    assert_int_equal(cllm_tokenizer_eot(tok), 257);
    size_t n;
    int32_t *ids = cllm_tokenizer_encode(tok, "abab", 4, &n, &err);
    assert_int_equal(n, 2); /* "abab" is one piece: ab + ab */
    assert_int_equal(ids[0], 256);
    assert_int_equal(ids[1], 256);
    free(ids);
    cllm_tokenizer_free(tok);
    free(ok);
    char *bad[] = {
        strdup(""), strdup("{"), strdup("[]"), strdup("null"), strdup("{\"type\":\"bpe\"}"),
        strdup("{\"type\":\"word\"}"), strdup("{\"type\":7}"), strdup("{\"type\":\"byte\",\"type\":\"bpe\"}"),
        strdup("{\"type\":\"bpe\",\"version\":2,\"tokens\":[],\"merges\":[]}"),
        strdup("{\"type\":\"bpe\",\"version\":1,\"tokens\":[\"a\"],\"merges\":[]}"),
        bpe_json(",\"ab\"", "", "97"),                   /* odd merges */
        bpe_json(",\"ab\"", "", "97,999"),               /* id out of range */
        bpe_json(",\"ab\"", "", "97,-1"),                /* negative id */
        bpe_json(",\"ab\"", "", "97,\"b\""),             /* not an id */
        bpe_json(",\"ab\"", "", "98,97"),                /* makes "ba": not in the vocabulary */
        bpe_json(",\"ab\"", "", "97,98,97,98"),          /* repeated merge */
        bpe_json(",\"a\"", "", ""),                      /* duplicate token */
        bpe_json(",\"\"", "", ""),                       /* empty token */
        bpe_json(",\"\\u4e2d\"", "", ""),                /* not spelled with the byte alphabet */
        bpe_json(",\" \"", "", ""),                      /* a raw space is not a spelling (Ġ is) */
        bpe_json(",\"ab\"", "256", "97,98"),             /* merge result is special */
        bpe_json(",\"ab\"", "300", ""),                  /* special id out of range */
        bpe_json(",7", "", ""),                          /* token not a string */
        bpe_json("]", "", ""),                           /* broken JSON */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        cllm_tokenizer *t = cllm_tokenizer_from_json(bad[i], strlen(bad[i]), &err);
        if (t) fail_msg("garbage %zu was accepted", i);
        assert_int_equal(err.code, CLLM_ERR_FORMAT);
        assert_true(strlen(err.msg) > 10 && !strchr(err.msg, '\n'));
        free(bad[i]);
    }
    /* one byte missing: drop the token for 'z' (0x7a) by replacing it with a second spelling of nothing */
    char *missing = bpe_json("", "", "");
    char *z = strstr(missing, "\"\\u007a\"");
    assert_non_null(z);
    memcpy(z, "\"\\u017a\"", 8); /* ź: spells no byte */
    assert_null(cllm_tokenizer_from_json(missing, strlen(missing), &err));
    free(missing);
    /* deep nesting does not crash the parser */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    assert_null(cllm_tokenizer_from_json(deep, 2 * depth, &err));
    free(deep);
}

/* Random corruptions of a valid file either load to a tokenizer that still round-trips, or fail cleanly. */
static void test_from_json_survives_mutations(void **state) {
    (void)state;
    cllm_tokenizer *tok = trained(320);
    char *json = cllm_tokenizer_to_json(tok);
    size_t n = strlen(json);
    uint64_t rng = 11;
    int loaded = 0;
    for (int t = 0; t < 400; t++) {
        char *m = malloc(n + 1);
        memcpy(m, json, n + 1);
        for (int k = 0; k < 1 + t % 3; k++) m[test_rand(&rng) % n] = "0123456789,[]\"\\ab"[test_rand(&rng) % 17];
        cllm_error err = {0};
        cllm_tokenizer *b = cllm_tokenizer_from_json(m, n, &err);
        if (b) {
            loaded++;
            assert_round_trip(b, (const uint8_t *)"the cat's 12 mittens\xff", 21);
            cllm_tokenizer_free(b);
        } else {
            assert_true(err.code != 0 && err.msg[0]);
        }
        free(m);
    }
    assert_true(loaded < 400);
    free(json);
    cllm_tokenizer_free(tok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_random_bytes),
        cmocka_unit_test(test_encode_matches_reference_bpe),
        cmocka_unit_test(test_endoftext_is_special),
        cmocka_unit_test(test_encode_many_matches_encode),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_from_json_rejects_garbage),
        cmocka_unit_test(test_from_json_survives_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
