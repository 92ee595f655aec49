/* pretokenize.c — GPT-2's pre-tokenizer, written out by hand instead of run through a regex engine:
 *
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * Alternatives are tried in order at each position, so a piece is: a contraction; else an optional ASCII space and
 * a run of letters, of digits or of "symbols" (neither space, letter nor number); else a whitespace run. The
 * lookahead (?!\S) makes a whitespace run that is followed by a non-space give back its last character, which
 * then leads the next piece (" hello"); a single whitespace character before a non-space falls to the last
 * alternative and stands alone. Letters are categories L*, numbers N*, whitespace the Unicode White_Space
 * property (Python's regex module); each byte that is not part of valid UTF-8 is one symbol character, so the
 * pieces of any byte string tile it exactly. The letter and number classes are Unicode 16.0's, as tiktoken's:
 * utf8proc's tables (15.0 in Debian 12's 2.8) and the code points 16.0 added to them (unicode16_classes.h). */
#include <stdio.h>
#include <utf8proc.h>

#include "tokenizer_internal.h"

enum { CLS_LETTER, CLS_NUMBER, CLS_SPACE, CLS_SYMBOL };

#include "unicode16_classes.h"

/* Length of the valid UTF-8 sequence at s[0..n) and its code point, or 0 if s[0] starts no valid sequence
 * (bad lead, bad or missing continuation, overlong, surrogate, beyond U+10FFFF). */
static int utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t b = s[0];
    int len;
    uint32_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b < 0xC2) return 0;
    if (b < 0xE0) { len = 2; *cp = b & 0x1F; }
    else if (b < 0xF0) {
        len = 3;
        *cp = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b < 0xF5) {
        len = 4;
        *cp = b & 0x07;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else return 0;
    if ((size_t)len > n || s[1] < lo || s[1] > hi) return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return len;
}

static int is_white_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int class_of_code_point(uint32_t c) {
    if (is_white_space(c)) return CLS_SPACE;
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
    if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) return CLS_LETTER;
    if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) return CLS_NUMBER;
    /* neither in utf8proc's tables: a letter or number that Unicode 16.0 added (binary search of the ranges) */
    size_t lo = 0, hi = sizeof unicode16_added / sizeof *unicode16_added;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < unicode16_added[mid].lo) hi = mid;
        else if (c > unicode16_added[mid].hi) lo = mid + 1;
        else return unicode16_added[mid].cls;
    }
    return CLS_SYMBOL;
}

/* Class of the character at s[0..n), n >= 1; its length in bytes in *len. */
static int class_at(const uint8_t *s, size_t n, size_t *len) {
    uint8_t b = s[0];
    if (b < 0x80) {
        *len = 1;
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return CLS_LETTER;
        if (b >= '0' && b <= '9') return CLS_NUMBER;
        if (b == ' ' || (b >= 0x09 && b <= 0x0D)) return CLS_SPACE;
        return CLS_SYMBOL;
    }
    uint32_t cp;
    int l = utf8_decode(s, n, &cp);
    if (l == 0) {
        *len = 1;
        return CLS_SYMBOL;
    }
    *len = (size_t)l;
    return class_of_code_point(cp);
}

/* End of the run of class cls that starts at i; *last gets the start of the run's last character. */
static size_t run_end(const uint8_t *s, size_t n, size_t i, int cls, size_t *last) {
    *last = i;
    while (i < n) {
        size_t len;
        if (class_at(s + i, n - i, &len) != cls) break;
        *last = i;
        i += len;
    }
    return i;
}

/* Length of the contraction ('s 't 're 've 'm 'll 'd) at s[0..n), or 0. Case-sensitive, as in GPT-2. */
static size_t contraction(const uint8_t *s, size_t n) {
    if (n < 2 || s[0] != '\'') return 0;
    uint8_t a = s[1], b = n >= 3 ? s[2] : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

size_t cllm_tokenizer_pretoken_end(const void *text, size_t n, size_t start) {
    const uint8_t *s = text;
    if (start >= n) return n;
    size_t c = contraction(s + start, n - start), len, last;
    if (c) return start + c;
    int cls = class_at(s + start, n - start, &len);
    if (s[start] == ' ' && start + 1 < n) {
        size_t len2;
        int next = class_at(s + start + 1, n - start - 1, &len2);
        if (next != CLS_SPACE) return run_end(s, n, start + 1, next, &last);
    }
    if (cls != CLS_SPACE) return run_end(s, n, start, cls, &last);
    size_t end = run_end(s, n, start, CLS_SPACE, &last);
    if (end == n || last == start) return end; /* \s+(?!\S) at the end of text, or the lone \s+ */
    return last;                               /* \s+(?!\S): the last space leads the next piece */
}

/* Why this cut is safe: the printable character before "\n" ends its piece (no run continues into whitespace),
 * the "\n" is a lone whitespace before a non-space, so it is a piece of its own, and the pattern has no
 * look-behind, so the piece at p does not depend on anything before it. */
size_t cllm_tokenizer_next_cut(const void *text, size_t n, size_t from) {
    const uint8_t *s = text;
    for (size_t q = from < 2 ? 1 : from - 1; q + 1 < n; q++) { /* q: where "\n" may sit; p = q + 1 */
        const uint8_t *nl = memchr(s + q, '\n', n - 1 - q);
        if (!nl) break;
        q = (size_t)(nl - s);
        if (s[q - 1] > 0x20 && s[q - 1] < 0x7F && s[q + 1] > 0x20 && s[q + 1] < 0x7F) return q + 1;
    }
    return n;
}

const char *cllm_tokenizer_unicode_version(void) {
    /* the classes are utf8proc's where its tables are newer than the added ranges (which then change nothing) */
    const char *lib = utf8proc_unicode_version();
    int lib_major = 0, lib_minor = 0, our_major = 0, our_minor = 0;
    sscanf(lib, "%d.%d", &lib_major, &lib_minor);
    sscanf(CLLM_UNICODE_CLASSES_VERSION, "%d.%d", &our_major, &our_minor);
    int lib_newer = lib_major > our_major || (lib_major == our_major && lib_minor > our_minor);
    return lib_newer ? lib : CLLM_UNICODE_CLASSES_VERSION;
}
