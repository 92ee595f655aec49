#!/usr/bin/env bash
# With a BPE tokenizer, prepare ends every document with <|endoftext|> and nowhere else: the shard stream is
# exactly encode(doc1) eot encode(doc2) eot ...
set -euo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/../support/lib.sh"
mkdir "$tmp/in"
for i in 1 2 3; do printf 'document %d says hello <|endoftext|> world\n' "$i" >"$tmp/in/d$i.txt"; done
"$CLLM" tokenizer train --vocab-size 300 --out "$tmp/tok.json" "$tmp"/in/* 2>/dev/null
"$CLLM" prepare --tokenizer "$tmp/tok.json" --out "$tmp/sh" --val-fraction 0 "$tmp/in" 2>/dev/null >/dev/null
want=""
for i in 1 2 3; do want="$want $("$CLLM" tokenize --tokenizer "$tmp/tok.json" <"$tmp/in/d$i.txt") EOT"; done
"$PYTHON" - "$tmp/sh/train-00000.bin" "$want" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
width, count = struct.unpack("<I", d[12:16])[0], struct.unpack("<Q", d[16:24])[0]
eot = struct.unpack("<i", d[32:36])[0]
ids = list(struct.unpack("<%d%s" % (count, "H" if width == 2 else "I"), d[64:64 + count * width]))
want = [eot if w == "EOT" else int(w) for w in sys.argv[2].split()]
assert eot >= 0, "the BPE tokenizer has no <|endoftext|>"
assert ids == want, "shard %s != %s" % (ids, want)
PY
echo ok
