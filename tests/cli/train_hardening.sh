#!/usr/bin/env bash
# cllm train under abuse (#10): a diverging model stops with the step named and exit 1, a second trainer on the
# same run directory is refused, inconsistent schedules and unusable data are refused with one accurate line,
# --init honours --context.
set -uo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/../support/lib.sh"
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pid=
failures=0
fail() { echo "FAIL: $*"; failures=$((failures+1)); }
# expect CODE NEEDLE -- command...: exit code CODE and exactly one stderr line (after progress lines) holding NEEDLE
expect() {
  local code=$1 needle=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne "$code" ] || ! grep -q -- "$needle" "$tmp/err" || [ "$(grep -c 'error' "$tmp/err")" -ne 1 ]; then
    fail "$* -> rc $rc (want $code), stderr: $(tail -c 400 "$tmp/err")"
  fi
}
cat_text "$tmp/text" 20 20
model=(--layers 1 --dim 32 --heads 2 --context 32 --batch 2 --threads 2)
"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --steps 2 2>/dev/null || fail "train"

# 1. weights ×5e8: a NaN gradient under a finite loss; the run stops at step 1, exit 1, nothing written
"$PYTHON" - "$tmp/a/model.safetensors" "$tmp/big.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
head = json.loads(raw[8:8 + n]); data = bytearray(raw[8 + n:])
for name, t in head.items():
    if name == '__metadata__': continue
    a, b = t['data_offsets']
    vals = struct.unpack('<%df' % ((b - a) // 4), data[a:b])
    data[a:b] = struct.pack('<%df' % len(vals), *[v * 5e8 for v in vals])
open(sys.argv[2], 'wb').write(raw[:8 + n] + bytes(data))
PY
expect 1 "step 1: the gradient of .* is not finite" -- "$CLLM" train --init "$tmp/big.safetensors" --data "$tmp/text" \
  --out "$tmp/nan" --batch 2 --threads 2 --steps 3
[ -e "$tmp/nan/model.safetensors" ] && fail "a diverged run wrote a model"
"$CLLM" train --init "$tmp/big.safetensors" --data "$tmp/text" --out "$tmp/nanskip" --batch 2 --threads 2 --steps 3 \
  --skip-nonfinite 2>"$tmp/err" || fail "--skip-nonfinite: $(tail -c 300 "$tmp/err")"
[ "$(grep -c 'skipped' "$tmp/err")" -eq 3 ] || fail "--skip-nonfinite did not report 3 skipped steps"

# 2. a second trainer on a run directory in use: one line, exit 2; the first finishes normally
"$CLLM" train --data "$tmp/text" --out "$tmp/busy" "${model[@]}" --steps 100000 --ckpt-every 1 2>/dev/null &
pid=$!
for _ in $(seq 1 400); do [ -f "$tmp/busy/checkpoint.safetensors" ] && break; sleep 0.05; done
expect 2 "in use by another training process" -- timeout 120 "$CLLM" train --out "$tmp/busy" --resume --threads 2
expect 2 "in use by another training process" -- timeout 120 "$CLLM" train --data "$tmp/text" --out "$tmp/busy" "${model[@]}"
kill -INT $pid; wait $pid || fail "the first trainer did not stop cleanly"
pid=
"$CLLM" train --out "$tmp/busy" --resume --threads 2 --stop-at 100000 --minutes 0.005 2>/dev/null \
  || fail "resume after the lock holder left"

# 3. schedules that cannot be, data that is not text
expect 2 "warmup 20 is not within" -- "$CLLM" train --data "$tmp/text" --out "$tmp/w" "${model[@]}" --steps 10 --warmup 20
expect 2 "min lr 0.1 is not within" -- "$CLLM" train --data "$tmp/text" --out "$tmp/m" "${model[@]}" --lr 0.01 --min-lr 0.1
mkdir -p "$tmp/empty" "$tmp/bin"
head -c 20000 /dev/urandom >"$tmp/bin/noise.dat"
expect 2 "no files under --data" -- "$CLLM" train --data "$tmp/empty" --out "$tmp/e" "${model[@]}"
expect 2 "no usable text (0 files read, 1 skipped" -- "$CLLM" train --data "$tmp/bin" --out "$tmp/b" "${model[@]}" \
  --tokenizer "$tmp/a/tokenizer.json"
expect 2 "no usable text" -- "$CLLM" train --data "$tmp/bin" --out "$tmp/b2" "${model[@]}"

# 3b. a separate --val folder trains and validates on it; an unusable --val is named
mkdir -p "$tmp/val"; cp "$tmp/text/doc1.txt" "$tmp/text/doc2.txt" "$tmp/val/"
"$CLLM" train --data "$tmp/text" --val "$tmp/val" --out "$tmp/v" "${model[@]}" --steps 2 2>"$tmp/err" \
  || fail "--val: $(tail -c 300 "$tmp/err")"
grep -q '"val_loss"' "$tmp/v/log.jsonl" || fail "--val: no validation"
expect 2 "--val holds no usable text" -- "$CLLM" train --data "$tmp/text" --val "$tmp/bin" --out "$tmp/v2" "${model[@]}"

# 4. --init M --context T: T < the model's context trains on T-token windows; T > it is refused
"$CLLM" train --init "$tmp/a/model.safetensors" --data "$tmp/text" --out "$tmp/ctx" --batch 2 --threads 2 --steps 2 \
  --context 16 2>"$tmp/err" || fail "--init --context 16: $(tail -c 300 "$tmp/err")"
grep -q "batch 2×16×1" "$tmp/err" || fail "--context 16 not used: $(grep parameters "$tmp/err")"
expect 2 "longer than the model's context 32" -- "$CLLM" train --init "$tmp/a/model.safetensors" --data "$tmp/text" \
  --out "$tmp/ctx2" --batch 2 --threads 2 --context 64

[ $failures -eq 0 ] && echo ok
exit $((failures > 0))
