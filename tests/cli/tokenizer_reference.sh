#!/usr/bin/env bash
# tokenizer_reference.sh — cllm's tokenizer against independent Python references:
#   1. pre-tokenization: GPT-2's pattern run by Python's `re`, with \p{L} / \p{N} spelled out from unicodedata
#      and \s as the Unicode White_Space list (the `regex` module GPT-2 uses is not installed here);
#   2. training: a naive BPE trainer that recounts every pair after each merge (same tie rule as cllm);
#   3. encoding: GPT-2's encoder.py algorithm (bytes_to_unicode + bpe()) on the exported vocab.json/merges.txt.
# The text mixes ASCII words, contractions, digits in three scripts, CJK, kana, emoji, combining marks and
# Unicode spaces (characters old enough that Python's and utf8proc's Unicode tables agree).
set -eu
CLLM=${CLLM:-build/cllm}
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" > /dev/null || { echo "no python: skipped"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$PYTHON" - "$dir" <<'EOF'
import random, sys
random.seed(3)
alphabet = list("aZé日本語テ ñ'strevmld0123٣Ⅻ.,!?-\u0301❤\ufe0f🍕\t\n\r  \u00a0\u3000\u2028") + \
    ['  ', '\n\n', "'s", "'re", "'ll", ' the', ' of', ' and', 'ing', ' quick', ' fox', 'The']
def text(n): return ''.join(random.choice(alphabet) for _ in range(n))
open(sys.argv[1] + '/train.txt', 'w', encoding='utf-8', newline='').write(text(6000))
open(sys.argv[1] + '/test.txt', 'w', encoding='utf-8', newline='').write(text(40000))
EOF
"$CLLM" tokenizer train --vocab-size 450 --out "$dir/tok.json" "$dir/train.txt" 2> /dev/null
"$CLLM" tokenizer export --tokenizer "$dir/tok.json" --out-dir "$dir/gpt2"
"$CLLM" tokenizer encode --tokenizer "$dir/tok.json" < "$dir/test.txt" > "$dir/ids.txt"

"$PYTHON" - "$dir" <<'EOF'
import collections, json, re, sys, unicodedata
d = sys.argv[1]

def char_class(cps):
    out, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1: j += 1
        out.append(re.escape(chr(cps[i])) + ('-' + re.escape(chr(cps[j])) if j > i else ''))
        i = j + 1
    return ''.join(out)

L, N = [], []
for c in range(0x110000):
    if 0xD800 <= c <= 0xDFFF: continue
    cat = unicodedata.category(chr(c))
    if cat[0] == 'L': L.append(c)
    elif cat[0] == 'N': N.append(c)
Lc, Nc = char_class(L), char_class(N)
WS = '\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000'
pat = re.compile("'s|'t|'re|'ve|'m|'ll|'d| ?[" + Lc + "]+| ?[" + Nc + "]+| ?[^" + WS + Lc + Nc + "]+|[" + WS +
                 "]+(?![^" + WS + "])|[" + WS + "]+")

def read(name): return open(d + '/' + name, encoding='utf-8', newline='').read()

# 2. training: naive recount, ties to the smallest (left id, right id), ids 0..255 = bytes, new bytes → next id
words = collections.Counter(tuple(p.encode('utf-8')) for p in pat.findall(read('train.txt')))
tok_bytes = [bytes([b]) for b in range(256)]
by_bytes = {b: i for i, b in enumerate(tok_bytes)}
merges = []
while len(tok_bytes) < 450 - 1:
    pc = collections.Counter()
    for w, c in words.items():
        for a, b in zip(w, w[1:]): pc[(a, b)] += c
    if not pc: break
    best = min(pc, key=lambda p: (-pc[p], p))
    nb = tok_bytes[best[0]] + tok_bytes[best[1]]
    if nb not in by_bytes: by_bytes[nb] = len(tok_bytes); tok_bytes.append(nb)
    x = by_bytes[nb]
    merges.append(list(best))
    nw = collections.Counter()
    for w, c in words.items():
        out, i = [], 0
        while i < len(w):
            if i + 1 < len(w) and (w[i], w[i + 1]) == best: out.append(x); i += 2
            else: out.append(w[i]); i += 1
        nw[tuple(out)] += c
    words = nw
ours = json.load(open(d + '/tok.json'))['merges']
ours = [ours[i:i + 2] for i in range(0, len(ours), 2)]
def first_difference(a, b):
    return next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))

if merges != ours:
    first = first_difference(merges, ours)
    sys.exit('training differs: %d vs %d merges, first difference at %d' % (len(merges), len(ours), first))

# 3. encoding: GPT-2's encoder.py on the exported files
def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + \
        list(range(ord('®'), ord('ÿ') + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, map(chr, cs)))

enc = json.load(open(d + '/gpt2/vocab.json', encoding='utf-8'))
lines = open(d + '/gpt2/merges.txt', encoding='utf-8').read().split('\n')
ranks = {tuple(l.split()): i for i, l in enumerate(x for x in lines[1:] if x)}
b2u = bytes_to_unicode()

def bpe(token):
    word = tuple(token)
    while len(word) > 1:
        bigram = min(set(zip(word, word[1:])), key=lambda p: ranks.get(p, float('inf')))
        if bigram not in ranks: break
        first, second = bigram
        new, i = [], 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new.extend(word[i:]); break
            new.extend(word[i:j]); i = j
            if i < len(word) - 1 and word[i + 1] == second: new.append(first + second); i += 2
            else: new.append(word[i]); i += 1
        word = tuple(new)
    return word

want = []
for piece in pat.findall(read('test.txt')):
    want.extend(enc[t] for t in bpe(''.join(b2u[b] for b in piece.encode('utf-8'))))
got = [int(x) for x in open(d + '/ids.txt').read().split()]
if got != want:
    first = first_difference(got, want)
    sys.exit('encoding differs from GPT-2 bpe(): %d vs %d ids, first difference at %d' % (len(got), len(want), first))
print('reference: %d merges and %d ids agree' % (len(merges), len(got)))
EOF
