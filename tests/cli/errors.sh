#!/usr/bin/env bash
# Bad flags and bad files: one line on stderr naming the problem, exit code 2, never a crash.
set -uo pipefail
. "$(dirname "$0")/../support/lib.sh"
failures=0
# expect CODE NEEDLE -- command...
expect() {
  local code=$1 needle=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ $rc -ne "$code" ] || ! grep -q -- "$needle" "$tmp/err" || [ "$lines" -ne 1 ]; then
    echo "FAIL: $* -> rc $rc (want $code), stderr: $(head -c 300 "$tmp/err")"; failures=$((failures+1))
  fi
}
printf 'hello world\n' >"$tmp/t.txt"
head -c 100 /dev/urandom >"$tmp/garbage.safetensors"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a":1}' >"$tmp/short.safetensors"

expect 2 "unknown command" -- "$CLLM" frobnicate
expect 2 "unknown flag '--stpes'" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r" --stpes 3
expect 2 "expects an integer" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r" --steps ten
expect 2 "out of range" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r" --batch 0
expect 2 "expects a number" -- "$CLLM" generate --model x --temperature hot
expect 2 "needs a value" -- "$CLLM" generate --model
expect 2 "--out RUN_DIR is required" -- "$CLLM" train --data "$tmp/t.txt"
expect 2 "--data PATH" -- "$CLLM" train --out "$tmp/r"
expect 2 "unknown config 'huge'" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r2" --config huge
expect 2 "must divide" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r3" --dim 30 --heads 4
expect 2 "unknown --positions" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r4" --positions diagonal
expect 2 "unknown --embed-init" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r5" --embed-init crystal
expect 2 "multiple of 4" -- "$CLLM" train --data "$tmp/t.txt" --out "$tmp/r6" --positions spiral --dim 6 --heads 2
expect 2 "cannot open" -- "$CLLM" generate --model "$tmp/missing.safetensors"
expect 2 "garbage.safetensors" -- "$CLLM" generate --model "$tmp/garbage.safetensors"
expect 2 "short.safetensors" -- "$CLLM" info --model "$tmp/short.safetensors"
expect 2 "unexpected argument" -- "$CLLM" eval stray --model x
expect 2 "--model FILE and --data PATH are required" -- "$CLLM" eval --model x
expect 2 "no checkpoint\|cannot open" -- "$CLLM" train --out "$tmp/nothing" --resume
# --help is not an error
# (read whole: grep -q would stop reading at the first line and a help over one pipe buffer would die of SIGPIPE)
help=$("$CLLM" train --help) && grep -q "usage: cllm train" <<<"$help" || { echo "FAIL: train --help"; failures=$((failures+1)); }
[ $failures -eq 0 ] && echo ok
exit $failures
