#!/usr/bin/env bash
# tokenizer.sh — `cllm tokenizer`: train → encode → decode gives back any bytes; export → import → export is
# byte-identical; --threads gives the same ids; bad flags and files exit 2 with one line on stderr.
set -eu
CLLM=${CLLM:-build/cllm}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A small corpus in two files (one in a folder, to check folders are walked).
mkdir -p "$dir/corpus/sub"
for i in $(seq 1 300); do
  echo "The quick brown fox $i jumps over the lazy dog's back. It's $((i * 7)) o'clock!"
  printf 'caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e  tabs\tand\n\n'
done > "$dir/corpus/a.txt"
head -c 20000 "$dir/corpus/a.txt" | tr 'a-z' 'n-za-m' > "$dir/corpus/sub/b.txt"
"$CLLM" tokenizer train --vocab-size 500 --out "$dir/tok.json" "$dir/corpus" 2>"$dir/train.log"
grep -q "trained 500 tokens" "$dir/train.log" || fail "train: $(cat "$dir/train.log")"
# positional paths may also come first
"$CLLM" tokenizer train "$dir/corpus/a.txt" "$dir/corpus/sub/b.txt" --vocab-size 500 --out "$dir/tok2.json" 2>/dev/null
cmp -s "$dir/tok.json" "$dir/tok2.json" || fail "folder and file list trained differently"

# Round trip of arbitrary bytes: invalid UTF-8, NULs, the literal <|endoftext|>.
{ cat "$dir/corpus/a.txt"; printf '\x00\xff\xfe<|endoftext|>\xc3 \x80\n'; head -c 3000 /dev/urandom; } > "$dir/in.bin"
"$CLLM" tokenizer encode --tokenizer "$dir/tok.json" < "$dir/in.bin" > "$dir/ids.txt"
[ "$(wc -l < "$dir/ids.txt")" -eq 1 ] || fail "encode should print one line"
grep -qw 499 "$dir/ids.txt" && fail "encode produced the <|endoftext|> id"
"$CLLM" tokenizer decode --tokenizer "$dir/tok.json" < "$dir/ids.txt" > "$dir/out.bin"
cmp -s "$dir/in.bin" "$dir/out.bin" || fail "decode(encode(x)) != x"
"$CLLM" tokenizer encode --tokenizer "$dir/tok.json" --threads 2 < "$dir/in.bin" > "$dir/ids2.txt"
cmp -s "$dir/ids.txt" "$dir/ids2.txt" || fail "--threads 2 changed the ids"
printf '' | "$CLLM" tokenizer encode --tokenizer "$dir/tok.json" > "$dir/empty.txt"
[ "$(cat "$dir/empty.txt")" = "" ] || fail "empty input should give an empty line"

# GPT-2 files: export, import, export again: identical files and tokenizer.
"$CLLM" tokenizer export --tokenizer "$dir/tok.json" --out-dir "$dir/gpt2"
head -1 "$dir/gpt2/merges.txt" | grep -q '^#version: 0.2$' || fail "merges.txt header"
"$CLLM" tokenizer import --vocab "$dir/gpt2/vocab.json" --merges "$dir/gpt2/merges.txt" --out "$dir/tok3.json"
cmp -s "$dir/tok.json" "$dir/tok3.json" || fail "export+import changed the tokenizer"
"$CLLM" tokenizer export --tokenizer "$dir/tok3.json" --out-dir "$dir/gpt2b"
cmp -s "$dir/gpt2/vocab.json" "$dir/gpt2b/vocab.json" && cmp -s "$dir/gpt2/merges.txt" "$dir/gpt2b/merges.txt" ||
  fail "re-export differs"

# Bad input: exit 2, one line on stderr.
expect2() {  # description, command...
  local what=$1; shift
  set +e
  "$@" > /dev/null 2> "$dir/err.txt" < /dev/null
  local rc=$?
  set -e
  [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2"
  [ "$(wc -l < "$dir/err.txt")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$dir/err.txt")"
}
echo '{"type":"bpe","version":1,"tokens":["a"]}' > "$dir/bad.json"
expect2 "no action" "$CLLM" tokenizer
expect2 "unknown action" "$CLLM" tokenizer frobnicate
expect2 "missing vocab size" "$CLLM" tokenizer train --out "$dir/x.json" "$dir/corpus/a.txt"
expect2 "vocab too small" "$CLLM" tokenizer train --vocab-size 10 --out "$dir/x.json" "$dir/corpus/a.txt"
expect2 "no paths" "$CLLM" tokenizer train --vocab-size 300 --out "$dir/x.json"
expect2 "missing input" "$CLLM" tokenizer train --vocab-size 300 --out "$dir/x.json" "$dir/nope.txt"
expect2 "unwritable output" "$CLLM" tokenizer train --vocab-size 300 --out "$dir/no/such/x.json" "$dir/corpus/a.txt"
expect2 "unknown flag" "$CLLM" tokenizer encode --tokenizer "$dir/tok.json" --bogus
expect2 "missing tokenizer" "$CLLM" tokenizer encode --tokenizer "$dir/nope.json"
expect2 "garbage tokenizer" "$CLLM" tokenizer encode --tokenizer "$dir/bad.json"
expect2 "no --tokenizer" "$CLLM" tokenizer decode
echo "1 2 99999" > "$dir/badids.txt"
set +e
"$CLLM" tokenizer decode --tokenizer "$dir/tok.json" < "$dir/badids.txt" > /dev/null 2> "$dir/err.txt"
rc=$?
set -e
[ $rc -eq 2 ] || fail "decode of a bad id: exit $rc"
[ "$(wc -l < "$dir/err.txt")" -eq 1 ] || fail "decode of a bad id: stderr is not one line"
expect2 "import of a missing file" "$CLLM" tokenizer import --vocab "$dir/nope.json" \
  --merges "$dir/gpt2/merges.txt" --out "$dir/x.json"
printf '#version: 0.2\nzzzz qqqq\n' > "$dir/bad_merges.txt"
expect2 "import of bad merges" "$CLLM" tokenizer import --vocab "$dir/gpt2/vocab.json" \
  --merges "$dir/bad_merges.txt" --out "$dir/x.json"
grep -q "bad_merges.txt" "$dir/err.txt" || fail "the error should name merges.txt: $(cat "$dir/err.txt")"
[ ! -e "$dir/x.json" ] || fail "a failed command left an output file"
echo "tokenizer CLI: ok"
