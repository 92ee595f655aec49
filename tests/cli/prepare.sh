#!/usr/bin/env bash
# prepare.sh — `cllm prepare` from the command line: a hostile folder (empty, binary, huge single line, invalid
# UTF-8), JSONL with bad lines, stdin, flag errors, and --verify on good, truncated and corrupt shards.
set -u
CLLM=${CLLM:-build/cllm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
has() { grep -q -- "$2" "$1"; }

mkdir -p "$tmp/in/sub"
printf 'hello world\n' >"$tmp/in/a.txt"
: >"$tmp/in/empty.txt"
head -c 65536 /dev/urandom >"$tmp/in/random.bin"
printf 'ELF\0\0\0binary' >"$tmp/in/sub/prog"
printf 'caf\xe9 \xff\xfe ok\n' >"$tmp/in/sub/latin1.txt"
head -c 5000000 /dev/zero | tr '\0' 'a' >"$tmp/in/sub/huge-line.txt"   # 5 MB, no newline
printf '{"text":"from jsonl"}\n{"text":\n{"id":3}\n' >"$tmp/in/sub/docs.jsonl"

"$CLLM" prepare --tokenizer byte --out "$tmp/out" --val-fraction 0 "$tmp/in" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
check "hostile folder: exit 0" test $rc -eq 0
check "hostile folder: summary line" has "$tmp/stdout" "^prepare: 5 files read, 2 skipped, 2 bad lines; 4 documents"
check "hostile folder: tokens = text bytes" has "$tmp/stdout" " 5000033 tokens"
check "binary file noted" has "$tmp/stderr" "random.bin: skipped, looks binary"
check "NUL file noted" has "$tmp/stderr" "prog: skipped, looks binary"
check "malformed JSONL line reported with file:line" has "$tmp/stderr" "docs.jsonl:2: malformed JSON"
check "JSONL line without text reported with file:line" has "$tmp/stderr" "docs.jsonl:3: no string field"
"$CLLM" prepare --verify "$tmp/out" >"$tmp/stdout"
check "shards verify" has "$tmp/stdout" "train: 1 shards, 5000033 tokens, vocabulary 256: ok"

printf 'one document from stdin\n' | "$CLLM" prepare --tokenizer byte --out "$tmp/stdin" - >"$tmp/stdout" 2>&1
check "stdin: exit 0" test $? -eq 0
check "stdin: one document" has "$tmp/stdout" "1 documents"

# rerunning into a directory with shards needs --overwrite
"$CLLM" prepare --tokenizer byte --out "$tmp/out" "$tmp/in/a.txt" >/dev/null 2>"$tmp/stderr"
check "existing shards: exit 2" test $? -eq 2
check "existing shards: hint" has "$tmp/stderr" "overwrite"
"$CLLM" prepare --tokenizer byte --out "$tmp/out" --overwrite --val-fraction 0 "$tmp/in/a.txt" >/dev/null
check "existing shards: --overwrite works" test $? -eq 0

# bad invocations: one line, exit 2
for args in "--out $tmp/x $tmp/in" "--tokenizer byte $tmp/in" "--tokenizer byte --out $tmp/x" \
            "--tokenizer $tmp/in/a.txt --out $tmp/x $tmp/in" "--tokenizer byte --out $tmp/x $tmp/missing" \
            "--tokenizer byte --out $tmp/x --val-fraction 2 $tmp/in"; do
  # shellcheck disable=SC2086
  "$CLLM" prepare $args >/dev/null 2>"$tmp/stderr"
  rc=$?
  check "prepare $args: exit 2, one line" test $rc -eq 2 -a "$(wc -l <"$tmp/stderr")" -eq 1
done

# damaged shards are refused with the file named
"$CLLM" prepare --tokenizer byte --out "$tmp/dmg" --val-fraction 0 "$tmp/in/sub/huge-line.txt" >/dev/null
shard="$tmp/dmg/train-00000.bin"
cp "$shard" "$tmp/good.bin"
truncate -s -7 "$shard"
"$CLLM" prepare --verify "$tmp/dmg" >/dev/null 2>"$tmp/stderr"
check "truncated shard: exit 2" test $? -eq 2
check "truncated shard: named, says truncated" has "$tmp/stderr" "train-00000.bin: truncated"
cp "$tmp/good.bin" "$shard"
printf 'b' | dd of="$shard" bs=1 seek=100000 conv=notrunc status=none
"$CLLM" prepare --verify "$tmp/dmg" >/dev/null 2>"$tmp/stderr"
check "corrupt shard: exit 2" test $? -eq 2
check "corrupt shard: named, says CRC" has "$tmp/stderr" "train-00000.bin: corrupt shard: CRC-32"

[ $fails -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
