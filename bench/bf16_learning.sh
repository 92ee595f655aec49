#!/usr/bin/env bash
# bf16_learning.sh — does mixed precision learn like fp32? Trains the tiny config on Brown from the same seeds in
# fp32 and bf16 (alternating: seed 1 fp32, seed 1 bf16, seed 2 fp32, ...) and prints each run's final validation
# loss, then the bf16 − fp32 gap per seed beside the spread between seeds.
#   bash bench/bf16_learning.sh BROWN_DIR [STEPS] [BATCH] [SEEDS...]     (defaults: 150 steps, batch 4, seeds 1 2 3)
# BROWN_DIR is scripts/fetch-brown.sh's output (train/ and val/). Runs one job at a time, under nice, on THREADS
# threads (default 1; the bits do not depend on it), validating every VAL_EVERY steps (default 50) on 20 batches.
set -euo pipefail
cd "$(dirname "$0")/.."
CLLM=${CLLM:-build/cllm}
threads=${THREADS:-1}; val_every=${VAL_EVERY:-50}
brown=$1; steps=${2:-150}; batch=${3:-4}; shift $(( $# < 3 ? $# : 3 )); seeds=("${@:-1 2 3}")
[ ${#seeds[@]} -eq 1 ] && read -r -a seeds <<<"${seeds[0]}"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: THREADS=$threads VAL_EVERY=$val_every bash bench/bf16_learning.sh $brown $steps $batch ${seeds[*]}   ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD))"
tok=()
for s in "${seeds[@]}"; do
  for p in fp32 bf16; do
    t0=$SECONDS
    nice "$CLLM" train --data "$brown/train" --val "$brown/val" --out "$out/$p$s" --config tiny --batch "$batch" \
      --steps "$steps" --seed "$s" --precision "$p" --threads "$threads" --val-every "$val_every" --val-batches 20 "${tok[@]}" \
      2>"$out/$p$s.err" >/dev/null || { cat "$out/$p$s.err"; exit 1; }
    [ ${#tok[@]} -eq 0 ] && cp "$out/$p$s/tokenizer.json" "$out/tokenizer.json" && tok=(--tokenizer "$out/tokenizer.json")
    val=$(grep '"val_loss"' "$out/$p$s/log.jsonl" | tail -1 | sed 's/.*"val_loss":\([0-9.]*\).*/\1/')
    curve=$(grep '"val_loss"' "$out/$p$s/log.jsonl" | sed 's/.*"step":\([0-9]*\).*"val_loss":\([0-9.]*\).*/\1:\2/' | tr '\n' ' ')
    echo "seed $s $p final_val_loss $val  ($((SECONDS - t0)) s; curve step:val $curve)"
  done
done | tee "$out/results"
awk '/final_val_loss/ { v[$2, $3] = $5; seeds[$2] = 1 }
     END { n = 0; for (s in seeds) { d = v[s, "bf16"] - v[s, "fp32"]; printf "seed %s: bf16 - fp32 = %+.4f\n", s, d;
             if (n == 0 || v[s, "fp32"] < lo) lo = v[s, "fp32"]; if (n == 0 || v[s, "fp32"] > hi) hi = v[s, "fp32"]; n++ }
           printf "fp32 spread between seeds (max - min): %.4f\n", hi - lo }' "$out/results"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
