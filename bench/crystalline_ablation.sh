#!/usr/bin/env bash
# bench/crystalline_ablation.sh — every crystalline option against the plain GPT-2 baseline on the Brown corpus:
# validation loss and bits per byte at equal steps, several seeds each, plus training tokens/s; then a table with
# a verdict per option. Long-running (not part of make test).
#
#   bench/crystalline_ablation.sh [--steps N] [--seeds "1 2 3"] [--threads N] [--out DIR] [--model "FLAGS"]
#
# All variants share one BPE tokenizer and one set of shards, so they differ only in the option.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=300; seeds="1 2 3"; threads=2; out=runs/ablation
model="--layers 4 --dim 128 --heads 4 --context 128 --batch 8 --lr 2e-3"
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;; --seeds) seeds=$2; shift 2 ;; --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;; --model) model=$2; shift 2 ;;
    *) echo "usage: $0 [--steps N] [--seeds \"1 2 3\"] [--threads N] [--out DIR] [--model \"FLAGS\"]" >&2; exit 2 ;;
  esac
done
CLLM=${CLLM:-build/cllm}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$CLLM" ] || { echo "ablation: build first (make)" >&2; exit 2; }
[ -d data/brown/train ] || scripts/fetch-brown.sh data/brown
mkdir -p "$out"

if [ ! -f "$out/tokenizer.json" ]; then
  "$CLLM" tokenizer train --vocab-size 4096 --out "$out/tokenizer.json" data/brown/train/*
fi
if [ ! -d "$out/shards-train" ]; then
  "$CLLM" prepare --tokenizer "$out/tokenizer.json" --out "$out/shards-train" --val-fraction 0 data/brown/train
  "$CLLM" prepare --tokenizer "$out/tokenizer.json" --out "$out/shards-val" --val-fraction 1 data/brown/val
fi

variants=("baseline:" "sinusoidal:--positions sinusoidal" "spiral:--positions spiral" "clock:--positions clock"
          "prime-pos:--positions prime" "lattice-embed:--embed-init lattice" "prime-bias:--attn-prime-bias")
for seed in $seeds; do
  for v in "${variants[@]}"; do
    name=${v%%:*}; flags=${v#*:}
    run="$out/$name-s$seed"
    [ -f "$run/model.safetensors" ] && continue   # finished earlier: reuse
    rm -rf "$run"
    # shellcheck disable=SC2086
    "$CLLM" train --data "$out/shards-train" --val "$out/shards-val" --tokenizer "$out/tokenizer.json" \
      --out "$run" $model $flags --steps "$steps" --val-every "$steps" --val-batches 64 --ckpt-every "$steps" \
      --seed "$seed" --threads "$threads" 2>"$run.err" >/dev/null || { cat "$run.err"; exit 1; }
    echo "ablation: $name seed $seed: $(grep val_loss "$run/log.jsonl" | tail -1)"
  done
done

"$PYTHON" - "$out" "${variants[@]}" <<'PY'
# Each seed fixes the initialisation and the batch order for every variant, so an option is judged by its paired
# differences to the baseline (same seed): mean ± standard deviation over seeds; "helps"/"hurts" when the mean is
# more than two standard errors from 0, else "neutral".
import json, statistics, sys, glob, os
out, variants = sys.argv[1], [v.split(":", 1)[0] for v in sys.argv[2:]]
def runs(name):
    res = {}
    for d in sorted(glob.glob(os.path.join(out, name + "-s*"))):
        if not os.path.isdir(d):
            continue
        lines = [json.loads(l) for l in open(os.path.join(d, "log.jsonl"))]
        val = [l for l in lines if "val_loss" in l][-1]
        tps = statistics.median(l["tokens_per_s"] for l in lines if "tokens_per_s" in l)
        res[d.rsplit("-s", 1)[1]] = (val["val_loss"], val["val_bpb"], tps)
    return res
def ms(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)
base = runs("baseline")
print("| option | seeds | val loss (nats) | val bits/byte | tokens/s (median) | Δ loss vs baseline, paired | verdict |")
print("|---|---|---|---|---|---|---|")
for name in variants:
    r = runs(name)
    if not r:
        continue
    (l, ls), (b, bsd) = ms([x[0] for x in r.values()]), ms([x[1] for x in r.values()])
    tps = statistics.median(x[2] for x in r.values())
    diffs = [r[s][0] - base[s][0] for s in r if s in base]
    if name == "baseline" or not diffs:
        delta, verdict = "—", "—"
    else:
        dm, dsd = ms(diffs)
        se = dsd / len(diffs) ** 0.5
        verdict = "helps" if dm < -2 * se else "hurts" if dm > 2 * se else "neutral"
        delta = f"{dm:+.4f} ± {dsd:.4f}"
    print(f"| {name} | {len(r)} | {l:.4f} ± {ls:.4f} | {b:.4f} ± {bsd:.4f} | {tps:.0f} | {delta} | {verdict} |")
PY
