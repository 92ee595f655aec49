#!/usr/bin/env bash
# cllm train end to end on generated text: loss falls, resume is bit-exact, kill -9 loses nothing beyond the last
# checkpoint, the files it writes are read back by generate/eval/info.
set -euo pipefail
. "$(dirname "$0")/../support/lib.sh"

# ~60 KB of a small regular language, in 40 documents (one file each)
cat_text "$tmp/text" 40
model=(--layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2 --threads 2)

# 1. a 12-step run; the loss falls
"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --steps 12 --ckpt-every 5 2>"$tmp/a.err" || { cat "$tmp/a.err"; fail "train"; }
first=$(grep -m1 '"loss"' "$tmp/a/log.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
last=$(grep '"loss"' "$tmp/a/log.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < f - 0.5) }' || fail "loss did not fall: $first -> $last"
grep -q '"val_bpb"' "$tmp/a/log.jsonl" || fail "no validation in the log"

# 2. stop at 6, resume to 12: same losses, same bytes
"$CLLM" train --data "$tmp/text" --out "$tmp/b" "${model[@]}" --steps 12 --ckpt-every 5 --stop-at 6 2>/dev/null
"$CLLM" train --out "$tmp/b" --resume --threads 2 2>/dev/null
diff <(grep '"loss"' "$tmp/a/log.jsonl" | sed 's/,"ms".*//') <(grep '"loss"' "$tmp/b/log.jsonl" | sed 's/,"ms".*//') \
  || fail "resumed losses differ"
cmp "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || fail "resumed weights differ"

# 3. resume refuses changed settings; a run dir is never overwritten
if "$CLLM" train --out "$tmp/b" --resume --lr 1 2>"$tmp/err"; then fail "--resume --lr accepted"; fi
grep -q "cannot change a resumed run" "$tmp/err" || fail "unclear message: $(cat "$tmp/err")"
rc=0; "$CLLM" train --data "$tmp/text" --out "$tmp/b" "${model[@]}" --steps 3 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q "already holds a run" "$tmp/err" || fail "existing run dir not protected (rc $rc)"

# 4. kill -9 in the middle: the last checkpoint stays loadable and resumable
"$CLLM" train --data "$tmp/text" --out "$tmp/k" "${model[@]}" --steps 100000 --ckpt-every 1 2>/dev/null &
pid=$!
for _ in $(seq 1 200); do [ -f "$tmp/k/checkpoint.safetensors" ] && break; sleep 0.05; done
sleep 0.3; kill -9 $pid; wait $pid 2>/dev/null || true
"$CLLM" info --model "$tmp/k/checkpoint.safetensors" >/dev/null || fail "checkpoint unreadable after kill -9"
"$CLLM" train --out "$tmp/k" --resume --threads 2 --stop-at 1000000 --minutes 0.02 2>"$tmp/err" \
  || { cat "$tmp/err"; fail "resume after kill -9"; }

# 4b. Ctrl-C (SIGINT): a checkpoint of the current step, a clean exit
"$CLLM" train --data "$tmp/text" --out "$tmp/i" "${model[@]}" --steps 100000 --ckpt-every 100000 2>"$tmp/i.err" &
pid=$!
for _ in $(seq 1 400); do grep -q '"step":3,' "$tmp/i/log.jsonl" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; rc=0; wait $pid || rc=$?
[ $rc -eq 0 ] || fail "Ctrl-C exit code $rc"
grep -q "interrupted at step" "$tmp/i.err" || fail "Ctrl-C message: $(tail -c 300 "$tmp/i.err")"
"$CLLM" info --model "$tmp/i/checkpoint.safetensors" >/dev/null || fail "no checkpoint after Ctrl-C"

# 5. the model file works with the other commands
"$CLLM" info --model "$tmp/a/model.safetensors" | grep -q "n_layer 1" || fail "info"
out=$("$CLLM" generate --model "$tmp/a/model.safetensors" --prompt "the cat" --max-tokens 20 --seed 3)
[ ${#out} -gt 7 ] || fail "generate printed nothing"
g1=$("$CLLM" generate --model "$tmp/a/model.safetensors" --prompt "the" --max-tokens 20 --temperature 0)
g2=$("$CLLM" generate --model "$tmp/a/model.safetensors" --prompt "the" --max-tokens 20 --temperature 0)
[ "$g1" = "$g2" ] || fail "greedy generation not deterministic"
"$CLLM" eval --model "$tmp/a/model.safetensors" --data "$tmp/text/doc1.txt" | grep -q "bpb" || fail "eval"
printf 'hi\n/reset\nthe cat\n' | "$CLLM" chat --model "$tmp/a/model.safetensors" --max-tokens 10 >/dev/null || fail "chat"
# 6. the crystalline options train, save, load and generate; analyze measures the embedding lattice
"$CLLM" train --data "$tmp/text" --out "$tmp/c" "${model[@]}" --steps 3 --positions clock --embed-init lattice \
  --attn-prime-bias 2>"$tmp/err" || { cat "$tmp/err"; fail "crystalline train"; }
"$CLLM" info --model "$tmp/c/model.safetensors" | grep -q "positions  clock" || fail "positions not stored"
"$CLLM" info --model "$tmp/c/model.safetensors" | grep -q "prime bias on" || fail "prime bias not stored"
"$CLLM" generate --model "$tmp/c/model.safetensors" --prompt "the" --max-tokens 5 >/dev/null || fail "crystalline generate"
"$CLLM" analyze --model "$tmp/c/model.safetensors" --tokens 16 | tail -1 | ${PYTHON:-/usr/bin/python3} -c '
import json, math, sys
r = json.loads(sys.stdin.read())
for k in ("embedding", "random"):
    assert all(math.isfinite(v) for v in r[k].values()), r
    assert r[k]["log_orth_defect_lll"] <= r[k]["log_orth_defect"] + 1e-9, r
' || fail "analyze"
echo ok
