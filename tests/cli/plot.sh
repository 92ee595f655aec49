#!/usr/bin/env bash
# cllm plot: a trained run's log becomes a PNG of the right size whose pixels are not all background; missing
# or corrupt logs give one line and exit 2, and leave no file behind.
set -euo pipefail
. "$(dirname "$0")/../support/lib.sh"
# under SANITIZE=1 LeakSanitizer would append its table of used suppressions (fontconfig) to the one error line
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}print_suppressions=0"
cat_text "$tmp/text" 40
"$CLLM" train --data "$tmp/text" --out "$tmp/run" --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 \
  --val-every 5 --val-batches 2 --threads 2 --steps 20 2>/dev/null
"$CLLM" plot "$tmp/run" --out "$tmp/curve.png" --width 640 --height 240 2>"$tmp/err" || { cat "$tmp/err"; fail "plot"; }
grep -q "20 training and 5 validation points" "$tmp/err" || fail "points: $(cat "$tmp/err")"
# PNG signature, then IHDR width and height (big-endian) at bytes 16..23
[ "$(head -c 8 "$tmp/curve.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "not a PNG"
[ "$(od -An -tu1 -j16 -N8 "$tmp/curve.png" | tr -s ' ' | sed 's/^ //')" = "0 0 2 128 0 0 0 240" ] || fail "size"
# a blank 640x240 PNG compresses to ~1 KB; curves, ticks and text take far more
[ "$(stat -c %s "$tmp/curve.png")" -gt 8000 ] || fail "the PNG looks blank"

expect_2() {  # description, needle, command...
  local what=$1 needle=$2; shift 2
  local rc=0; "$@" 2>"$tmp/err" || rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$needle" "$tmp/err" || fail "$what: $(cat "$tmp/err")"
}
expect_2 "missing run" "No such file" "$CLLM" plot "$tmp/none" --out "$tmp/x.png"
mkdir "$tmp/bad"; printf '{"step":1,"loss":3}\n{"step":2,"loss":\n' >"$tmp/bad/log.jsonl"
expect_2 "corrupt log" "line 2" "$CLLM" plot "$tmp/bad" --out "$tmp/x.png"
expect_2 "no --out" "--out" "$CLLM" plot "$tmp/run"
expect_2 "unwritable" "x.png" "$CLLM" plot "$tmp/run" --out "$tmp/nodir/x.png"
[ ! -e "$tmp/x.png" ] || fail "a failed plot left a file"
ls "$tmp" | grep -q tmp && fail "temp file left" || true
echo "plot: ok"
