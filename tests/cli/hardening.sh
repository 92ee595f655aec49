#!/usr/bin/env bash
# Issue 10's CLI findings: each a line on stderr and exit 2 instead of a silent success, NUL bytes on stdout or
# gigabytes allocated.
set -uo pipefail
. "$(dirname "$0")/../support/lib.sh"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures+1)); }
# expect CODE NEEDLE -- command...: exit CODE, one stderr line holding NEEDLE (notes before it are allowed)
expect() {
  local code=$1 needle=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne "$code" ] || [ "$(grep -c "cllm: error" "$tmp/err")" -ne 1 ] || ! grep "cllm: error" "$tmp/err" | grep -q -- "$needle"; then
    fail "$* -> rc $rc (want $code), stderr: $(head -c 400 "$tmp/err" | cat -v)"
  fi
}

# prepare with no usable document (an empty file and a binary one) fails instead of writing nothing and exiting 0
: >"$tmp/empty.txt"; printf '\0\1\2\3' >"$tmp/binary.dat"
expect 2 "no usable document" -- "$CLLM" prepare --tokenizer byte --out "$tmp/shards" "$tmp/empty.txt" "$tmp/binary.dat"

# a tokenizer with fewer ids than the model samples from is refused by generate and chat (ids past it printed NULs)
head -c 20000 corpus/fallback.txt >"$tmp/train.txt"
"$CLLM" tokenizer train --vocab-size 300 --out "$tmp/tok.json" "$tmp/train.txt" >/dev/null 2>&1 || fail "tokenizer train"
"$CLLM" train --data "$tmp/train.txt" --out "$tmp/run" --tokenizer "$tmp/tok.json" --layers 1 --dim 16 --heads 2 \
  --context 16 --steps 1 --batch 2 --threads 1 >/dev/null 2>&1 || fail "train"
printf '{"type": "byte"}' >"$tmp/byte.json"
expect 2 "would have no text" -- "$CLLM" generate --model "$tmp/run/model.safetensors" --tokenizer "$tmp/byte.json" \
  --prompt "The" --max-tokens 5
"$CLLM" generate --model "$tmp/run/model.safetensors" --prompt "The" --max-tokens 20 --seed 3 >"$tmp/gen" 2>/dev/null \
  || fail "generate with the model's own tokenizer"

# a model file whose metadata claims a config its tensors do not back: refused before allocating (the address
# space is capped at 1 GB; not under ASan, whose shadow memory needs terabytes)
cap=""; case "$BUILD" in *san*) ;; *) cap="ulimit -v 1048576;" ;; esac
expect 2 "metadata and tensors disagree" -- bash -c "$cap exec \"$CLLM\" info --model tests/fuzz/regressions/modelfile/finding2-metadata-sizes-unbacked-model.safetensors"

# untrusted bytes in a message are escaped: one line, no terminal control codes
expect 2 'cannot open' -- "$CLLM" info --model "$tmp/no"$'\n'"such"$'\e'"]0;title"$'\a'
grep -q $'\e' "$tmp/err" && fail "an ESC byte reached stderr"
grep -q 'no\\nsuch\\x1b\]0;title\\x07' "$tmp/err" || fail "the file name is not shown escaped: $(cat -v "$tmp/err")"

# a flag value or a command name holding a newline or an OSC sequence: one escaped line (cli_die goes through
# cllm_error_set; before, the raw bytes reached the terminal over two lines)
expect 2 "expects an integer, got '1\\\\n\\\\x1b]0;x\\\\x07'" -- "$CLLM" train --steps 1$'\n\e'"]0;x"$'\a'
grep -q $'\e' "$tmp/err" && fail "an ESC byte from a flag value reached stderr"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "a flag value's newline split the message: $(cat -v "$tmp/err")"
expect 2 "unknown command 'bad\\\\ncmd\\\\x1b\\[31m'" -- "$CLLM" bad$'\n'cmd$'\e'"[31m"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "a command name's newline split the message: $(cat -v "$tmp/err")"

# 2: a 530 KB model file stating a 65,536-token context (L0 C2) made `cllm eval` ask for 32.8 GB of activations
# (1×65536 windows with a T² attention scratch); eval's window is now at most 1024 unless --context says more.
PY=${PYTHON:-python3}
if "$PY" -c "import numpy" 2>/dev/null; then
  "$PY" tests/support/gpt2_np.py write "$tmp/wide.safetensors" "$tmp/wide.raw" 0 2 1 65536 256 >/dev/null
  for i in $(seq 1 200); do echo "line $i of a text long enough for many windows of byte tokens"; done >"$tmp/long.txt"
  lim=1000000; [ "${SANITIZE:-0}" = 1 ] && lim=unlimited # ASan reserves terabytes of address space
  (ulimit -v $lim; "$CLLM" eval --model "$tmp/wide.safetensors" --data "$tmp/long.txt" --threads 1 >"$tmp/out" 2>&1) \
    || fail "eval of a wide-context model under 1 GB: $(head -c 300 "$tmp/out")"
  expect 2 "longer than the model's context" -- "$CLLM" eval --model "$tmp/wide.safetensors" --data "$tmp/long.txt" \
    --context 70000
fi

[ $failures -eq 0 ] && echo ok
exit $failures
