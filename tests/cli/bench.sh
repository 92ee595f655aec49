#!/usr/bin/env bash
# cllm bench on a very small model: the last stdout line is JSON with every field present and positive (and MFU
# a fraction); --generate likewise; bad flags give one line and exit 2.
set -euo pipefail
PYTHON=${PYTHON:-python3}
. "$(dirname "$0")/../support/lib.sh"
small=(--layers 1 --dim 32 --heads 2 --context 32 --vocab-size 256 --threads 2)

# check_json FILE FIELD... : the last line of FILE is a JSON object whose FIELDs are positive numbers
check_json() {
  local file=$1; shift
  tail -n 1 "$file" | "$PYTHON" -c '
import json, sys
o = json.loads(sys.stdin.read())
for k in sys.argv[1:]:
    v = o[k]
    assert isinstance(v, (int, float)) and v > 0, "%s = %r" % (k, v)
if "mfu" in o: assert o["mfu"] < 1, "mfu %r is not a fraction" % o["mfu"]
' "$@" || fail "bad JSON from bench: $(tail -n 1 "$file")"
}

"$CLLM" bench "${small[@]}" --batch 2 --steps 3 >"$tmp/train.out" 2>"$tmp/train.err" \
  || { cat "$tmp/train.err"; fail "bench"; }
[ "$(wc -l <"$tmp/train.out")" -eq 1 ] || fail "bench printed more than the JSON line on stdout"
check_json "$tmp/train.out" tokens_per_s ms_per_step gflops peak_gflops mfu peak_rss_mb
# tokens/s is B·T over the median step time
tail -n 1 "$tmp/train.out" | "$PYTHON" -c '
import json, sys
o = json.loads(sys.stdin.read())
assert abs(o["tokens_per_s"] * o["ms_per_step"] / 1e3 - 2 * 32) < 0.5, o
assert abs(o["mfu"] - o["gflops"] / o["peak_gflops"]) < 1e-3, o
' || fail "inconsistent fields: $(cat "$tmp/train.out")"

"$CLLM" bench --generate "${small[@]}" --prompt-tokens 8 --gen-tokens 40 --rounds 2 >"$tmp/gen.out" 2>"$tmp/gen.err" \
  || { cat "$tmp/gen.err"; fail "bench --generate"; }
check_json "$tmp/gen.out" tokens_per_s ms_per_token first_token_ms peak_rss_mb

for bad in "--stpes 3" "--batch 0" "--config huge" "--dim 30 --heads 4" "--gen-tokens x --generate"; do
  rc=0; "$CLLM" bench $bad >/dev/null 2>"$tmp/err" || rc=$?
  [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "cllm bench $bad: rc $rc, stderr: $(cat "$tmp/err")"
done
echo ok
