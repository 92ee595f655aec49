#!/usr/bin/env bash
# --precision on the command line: a bf16 training run learns and resumes with its precision; generate, eval and
# bench take fp32|bf16|int8; eval reports each precision's bits/byte near fp32's; bad values exit 2.
set -euo pipefail
. "$(dirname "$0")/../support/lib.sh"

cat_text "$tmp/text" 20
model=(--layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2 --threads 2)

"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --steps 12 --precision bf16 2>"$tmp/a.err" \
  || { cat "$tmp/a.err"; fail "bf16 train"; }
grep -q '"precision":"bf16"' "$tmp/a/log.jsonl" || grep -q 'bf16' "$tmp/a.err" || fail "the run does not say bf16"
first=$(grep -m1 '"loss"' "$tmp/a/log.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
last=$(grep '"loss"' "$tmp/a/log.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < f - 0.5) }' || fail "bf16 loss did not fall: $first -> $last"

m="$tmp/a/model.safetensors"
for p in fp32 bf16 int8; do
  "$CLLM" eval --model "$m" --data "$tmp/text/doc1.txt" --precision $p >"$tmp/eval.$p" || fail "eval $p"
  grep -q "precision $p" "$tmp/eval.$p" || fail "eval $p does not say so"
  "$CLLM" generate --model "$m" --prompt "the cat" --max-tokens 8 --precision $p --temperature 0 >"$tmp/gen.$p" \
    || fail "generate $p"
  [ -s "$tmp/gen.$p" ] || fail "generate $p wrote nothing"
done
bpb() { sed 's/.*bpb \([0-9.]*\).*/\1/' "$1"; }
for p in bf16 int8; do  # a trained toy model: each within 2 % of fp32's bits/byte
  awk -v a="$(bpb "$tmp/eval.fp32")" -v b="$(bpb "$tmp/eval.$p")" 'BEGIN { exit !(b < a * 1.02 && b > a * 0.98) }' \
    || fail "eval $p bpb $(bpb "$tmp/eval.$p") is far from fp32's $(bpb "$tmp/eval.fp32")"
done
"$CLLM" bench --config tiny --layers 1 --dim 32 --heads 2 --context 16 --batch 2 --steps 2 --precision bf16 \
  --threads 1 2>/dev/null | grep -q '"precision":"bf16"' || fail "bench --precision bf16"
"$CLLM" bench --generate --layers 1 --dim 32 --heads 2 --context 32 --gen-tokens 4 --rounds 1 --precision int8 \
  --threads 1 2>/dev/null | grep -q '"precision":"int8"' || fail "bench --generate --precision int8"

for cmd in "train --data $tmp/text --out $tmp/b --precision int8" "train --data $tmp/text --out $tmp/b --precision x" \
           "generate --model $m --precision fp16" "eval --model $m --data $tmp/text/doc1.txt --precision q4" \
           "bench --precision int8 --steps 1"; do
  set +e; $CLLM $cmd >/dev/null 2>"$tmp/err"; rc=$?; set -e
  [ $rc -eq 2 ] || fail "cllm $cmd exited $rc, not 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "cllm $cmd: not one line on stderr"
done
echo "precision: ok"
