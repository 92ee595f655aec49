#!/usr/bin/env bash
# cllm train --minutes M without --steps (#13): training ends at M minutes of wall time (within 2%), the learning
# rate's cosine (or --schedule wsd's warm-down) reaches --min-lr at the deadline, the closing validation covers the
# whole val split, validation keeps a small share of the time (a val split too large for a tenth of the budget is
# cut to what fits), and a resumed budget continues the clock instead of restarting it.
set -uo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/../support/lib.sh"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures+1)); }
cat_text "$tmp/text" 40
model=(--recipe gpt2 --layers 2 --dim 64 --heads 2 --context 64 --batch 4 --threads 2 --val-every 20 --val-batches 4)
# check LOG BUDGET_S VAL_TOKENS [WARMDOWN]: the end line, the lr at the last step and along the clock (cosine from
# 1e-3 to 1e-4; with WARMDOWN, wsd: 1e-3, then linear to 0 over that share), the final validation's size, the eval share
check() {
  "$PYTHON" - "$1" "$2" "$3" "${4:-}" <<'PY'
import json, math, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
budget, val_tokens = float(sys.argv[2]), int(sys.argv[3])
F = float(sys.argv[4]) if sys.argv[4] else None
lo = 0.0 if F else 1e-4
def lr_at(p):
    if F: return 1e-3 if p <= 1 - F else 1e-3 * (1 - p) / F
    return 1e-4 + 0.5 * 9e-4 * (1 + math.cos(math.pi * p))
slope = 1e-3 / F if F else 0.5 * 9e-4 * math.pi  # the steepest d lr / d p
end = [l for l in lines if 'end' in l][-1]
steps = [l for l in lines if 'loss' in l]
vals = [l for l in lines if 'val_loss' in l]
errs = []
if end['end'] != 'done': errs.append('ended %s' % end['end'])
if abs(end['elapsed_s'] - budget) > 0.04 * budget:  # 2% is the goal at minutes; 6 s on a shared machine gets 4%
    errs.append('trained %.2f s of %.2f' % (end['elapsed_s'], budget))
if steps[-1]['lr'] > lo + 0.05 * (1e-3 - lo): errs.append('last lr %g, not near min lr' % steps[-1]['lr'])
# after the 20 warmup steps the lr is the schedule of the share used of the training time: the budget less the
# closing validation and checkpoint, which the trainer reserves from its estimates and this reads off the end line.
# Slack: the step's own time (it is logged after the step), and 5% of the budget for the estimates (a resumed
# process guesses them from its first, slow steps: 4.5% was seen on a machine at load 8)
horizon = budget - (end['elapsed_s'] - steps[-1]['elapsed_s'])
for l in steps[20:]:
    p = min(l['elapsed_s'] / horizon, 1.0)
    want = lr_at(p)
    slack = 3e-5 + slope * (l['ms'] / 1e3 + 0.01 + 0.05 * budget) / budget
    if abs(l['lr'] - want) > slack:
        errs.append('step %d at %.2f s: lr %g, the clock says %g' % (l['step'], l['elapsed_s'], l['lr'], want)); break
if vals[-1]['val_tokens'] != val_tokens: errs.append('final validation %d tokens of %d' % (vals[-1]['val_tokens'], val_tokens))
if vals[-1]['step'] != steps[-1]['step']: errs.append('no validation after the last step')
if end['eval_s'] > 0.15 * budget: errs.append('validation took %.2f s of %.2f' % (end['eval_s'], budget))
if errs: sys.exit('; '.join(errs))
print(len(steps), 'steps,', end['elapsed_s'], 's,', end['eval_s'], 's validating')
PY
}
# the val split's tokens; the whole split is (n - 1) / 64 full windows of 64 predicted tokens
count_val() { "$CLLM" prepare --verify "$1" 2>/dev/null | sed -n 's/.* val: [0-9]* shards, \([0-9]*\) tokens.*/\1/p'; }

# 1. a 0.2-minute budget
"$CLLM" train --data "$tmp/text" --out "$tmp/a" "${model[@]}" --minutes 0.2 2>"$tmp/err" || fail "train: $(tail -c 300 "$tmp/err")"
n=$(count_val "$tmp/a/data")
[ -n "$n" ] || fail "no val token count from prepare --verify"
check "$tmp/a/log.jsonl" 12 $(( (n - 1) / 64 * 64 )) || fail "0.2-minute budget"

# 2. the same budget with the warm-down schedule, interrupted at step 30 and resumed: the clock continues, the run
# still ends at 12 s, the lr held at its peak until 6 s and then down to 0 by the last step
"$CLLM" train --data "$tmp/text" --out "$tmp/b" "${model[@]}" --minutes 0.2 --schedule wsd --warmdown 0.5 \
  --stop-at 30 2>/dev/null || fail "stop-at"
"$CLLM" train --out "$tmp/b" --resume --threads 2 2>"$tmp/err" || fail "resume: $(tail -c 300 "$tmp/err")"
check "$tmp/b/log.jsonl" 12 $(( (n - 1) / 64 * 64 )) 0.5 || fail "resumed budget (wsd)"
[ "$(grep -c '"step":30,"loss"' "$tmp/b/log.jsonl")" -eq 1 ] || fail "step 30 logged more than once"

# 3. a val split too large for the budget (2391 batches): the closing validation takes what fits in a tenth of it
mkdir -p "$tmp/bigval"
for k in $(seq 1 30); do cat "$tmp/text"/*.txt; done >"$tmp/bigval/all.txt"
"$CLLM" train --data "$tmp/text" --val "$tmp/bigval" --out "$tmp/c" "${model[@]}" --minutes 0.1 2>"$tmp/err" \
  || fail "big val: $(tail -c 300 "$tmp/err")"
grep -q "closing validation covers [0-9]* of the val split's [0-9]* batches" "$tmp/err" || fail "big val: no note"
"$PYTHON" - "$tmp/c/log.jsonl" <<'PY' || fail "big val"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
end = [l for l in lines if 'end' in l][-1]
# periodic validations keep under 5% and the closing one under 10%, with the estimates' slack
if end['elapsed_s'] > 6 * 1.04 or end['eval_s'] > 6 * 0.2:
    sys.exit('trained %.2f s, validated %.2f s of 6' % (end['elapsed_s'], end['eval_s']))
PY

[ $failures -eq 0 ] && echo ok
exit $((failures > 0))
