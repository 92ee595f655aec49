#!/usr/bin/env bash
# cllm train --recipe fast (Muon) with every speedrun architecture option: stopped and resumed it gives the bytes of
# the uninterrupted run; the model says what it is in `cllm info`, generates and evaluates; bad names exit 2.
set -euo pipefail
CLLM=${CLLM:-build/cllm}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/text"
for d in $(seq 1 20); do
  for i in $(seq 1 30); do echo "the cat $d sat on the mat $i. the dog ran to the cat."; done >"$tmp/text/doc$d.txt"
done
model=(--layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2 --threads 2
       --recipe fast --relu2 --rmsnorm --no-bias --zero-init-proj --untied-head --logit-softcap 20)

"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --steps 10 --ckpt-every 4 2>"$tmp/a.err" \
  || { cat "$tmp/a.err"; fail "train"; }
first=$(grep -m1 '"loss"' "$tmp/a/log.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
last=$(grep '"loss"' "$tmp/a/log.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < f - 0.5) }' || fail "loss did not fall: $first -> $last"

"$CLLM" train --data "$tmp/text" --out "$tmp/b" "${model[@]}" --steps 10 --ckpt-every 4 --stop-at 5 2>/dev/null
"$CLLM" train --out "$tmp/b" --resume --threads 2 2>/dev/null
diff <(grep '"loss"' "$tmp/a/log.jsonl" | sed 's/,"ms".*//') <(grep '"loss"' "$tmp/b/log.jsonl" | sed 's/,"ms".*//') \
  || fail "resumed losses differ"
cmp "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || fail "resumed weights differ"

"$CLLM" info --model "$tmp/a/model.safetensors" >"$tmp/info"
grep -q "arch       relu2,rmsnorm,untied_head,no_bias,zero_init_proj,softcap=20" "$tmp/info" \
  || fail "arch not shown: $(cat "$tmp/info")"
"$CLLM" generate --model "$tmp/a/model.safetensors" --prompt "the" --max-tokens 5 >/dev/null || fail "generate"
"$CLLM" eval --model "$tmp/a/model.safetensors" --data "$tmp/text/doc1.txt" | grep -q "bpb" || fail "eval"

for bad in "--recipe fastest" "--optimizer sgd"; do
  set +e; "$CLLM" train --data "$tmp/text" --out "$tmp/x" $bad 2>"$tmp/err"; rc=$?; set -e
  [ "$rc" = 2 ] || fail "$bad: exit $rc"
  [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "unknown" "$tmp/err" || fail "$bad: unclear message: $(cat "$tmp/err")"
done
echo ok
