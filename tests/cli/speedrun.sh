#!/usr/bin/env bash
# cllm train --recipe fast (Muon) with every speedrun architecture option and the warm-down schedule: stopped and
# resumed it gives the bytes of the uninterrupted run; the logged lr holds the peak, then falls linearly to 0; the
# model says what it is in `cllm info`, generates and evaluates; bad names and values exit 2.
set -euo pipefail
. "$(dirname "$0")/../support/lib.sh"

cat_text "$tmp/text" 20
model=(--layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2 --threads 2
       --recipe fast --relu2 --rmsnorm --no-bias --zero-init-proj --untied-head --logit-softcap 20
       --qk-norm --rope --schedule wsd --warmdown 0.4)

"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --steps 10 --ckpt-every 4 2>"$tmp/a.err" \
  || { cat "$tmp/a.err"; fail "train"; }
first=$(grep -m1 '"loss"' "$tmp/a/log.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
last=$(grep '"loss"' "$tmp/a/log.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v f="$first" -v l="$last" 'BEGIN { exit !(l < f - 0.5) }' || fail "loss did not fall: $first -> $last"
# wsd over 10 steps, warmup 1, warm-down 0.4: the peak (3e-3) for steps 0-6, then 3e-3·(10 − s)/4 down to 0
lrs=$(grep '"loss"' "$tmp/a/log.jsonl" | sed 's/.*"lr":\([0-9.e-]*\).*/\1/' | tr '\n' ' ')
awk -v got="$lrs" 'BEGIN { n = split(got, lr, " "); if (n != 10) exit 1
  for (s = 0; s < 10; s++) { want = s <= 6 ? 3e-3 : 3e-3 * (10 - s) / 4; d = lr[s + 1] - want
    if (d > 1e-8 || d < -1e-8) exit 1 } }' || fail "wsd lr by step: $lrs"

"$CLLM" train --data "$tmp/text" --out "$tmp/b" "${model[@]}" --steps 10 --ckpt-every 4 --stop-at 5 2>/dev/null
"$CLLM" train --out "$tmp/b" --resume --threads 2 2>/dev/null
diff <(grep '"loss"' "$tmp/a/log.jsonl" | sed 's/,"ms".*//') <(grep '"loss"' "$tmp/b/log.jsonl" | sed 's/,"ms".*//') \
  || fail "resumed losses differ"
cmp "$tmp/a/model.safetensors" "$tmp/b/model.safetensors" || fail "resumed weights differ"

"$CLLM" info --model "$tmp/a/model.safetensors" >"$tmp/info"
grep -q "arch       relu2,rmsnorm,untied_head,no_bias,zero_init_proj,qk_norm,rope,softcap=20" "$tmp/info" \
  || fail "arch not shown: $(cat "$tmp/info")"
"$CLLM" generate --model "$tmp/a/model.safetensors" --prompt "the" --max-tokens 5 >/dev/null || fail "generate"
"$CLLM" eval --model "$tmp/a/model.safetensors" --data "$tmp/text/doc1.txt" | grep -q "bpb" || fail "eval"

for bad in "--recipe fastest:unknown" "--optimizer sgd:unknown" "--schedule linear:unknown" \
           "--schedule wsd --warmdown 0:warm-down 0 is not" "--schedule wsd --warmdown 1.5:warm-down 1.5 is not" \
           "--schedule wsd --warmdown nan:expects a number" "--warmdown 0.5:applies to --schedule wsd" \
           "--schedule wsd --lr 1e-3 --min-lr 2e-3:min lr 0.002 is not within"; do
  set +e; "$CLLM" train --data "$tmp/text" --out "$tmp/x" ${bad%%:*} 2>"$tmp/err"; rc=$?; set -e
  [ "$rc" = 2 ] || fail "${bad%%:*}: exit $rc"
  [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "${bad#*:}" "$tmp/err" || fail "$bad: unclear message: $(cat "$tmp/err")"
done
[ ! -e "$tmp/x/checkpoint.safetensors" ] || fail "a refused run left a checkpoint"
# a checkpoint whose stored schedule is bad is refused on resume, with the reason
python3 - "$tmp/b/checkpoint.safetensors" <<'PY' || fail "could not edit the stored settings"
import json, struct, sys
p = sys.argv[1]; b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])
s = json.loads(h['__metadata__']['cllm.args']); s['warmdown'] = 2.0; h['__metadata__']['cllm.args'] = json.dumps(s)
t = json.dumps(h).encode(); t += b' ' * (-len(t) % 8)
open(p, 'wb').write(struct.pack('<Q', len(t)) + t + b[8 + n:])
PY
set +e; "$CLLM" train --out "$tmp/b" --resume 2>"$tmp/err"; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "warm-down 2 is not" "$tmp/err" || fail "stored warmdown 2 accepted: $rc $(cat "$tmp/err")"
echo ok
