#!/usr/bin/env bash
# bench/speedrun_speed.sh [ROUNDS] [STEPS] — time per optimizer step of the GPT-2 recipe, GPT-2 + Muon and the fast
# recipe, run alternately (A B C A B C ...) so that a busy machine slows them alike; prints each run's median step
# time (steps 3..STEPS; the first two are cold) and, per recipe, the median over rounds and the ratio to gpt2.
# Needs the shards of a run in data/prep4k (bench/speedrun.sh's data, tokenized once by `cllm train`).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} steps=${2:-12} threads=${THREADS:-2}
P=(--data data/prep4k/data --val data/prep4k/data-val --tokenizer data/prep4k/tokenizer.json --threads "$threads"
   --val-every 100000 --ckpt-every 100000 --steps "$steps" --warmup 1)
declare -A flags=([gpt2]="--recipe gpt2" [muon]="--recipe gpt2 --optimizer muon" [fast]="--recipe fast")
out=data/speed-$(date +%H%M%S); mkdir -p "$out"
for ((r = 1; r <= rounds; r++)); do
  for k in gpt2 muon fast; do
    # shellcheck disable=SC2086
    nice build/cllm train "${P[@]}" ${flags[$k]} --out "$out/$k$r" >/dev/null 2>&1
    ms=$(grep '"ms"' "$out/$k$r/log.jsonl" | tail -n +3 | sed 's/.*"ms":\([0-9.]*\).*/\1/' | sort -g |
         awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
    echo "round $r $k ${ms} ms/step"
  done
done | tee "$out/times.txt"
for k in gpt2 muon fast; do
  grep " $k " "$out/times.txt" | awk '{print $4}' | sort -g | awk -v k=$k '{a[NR] = $1}
    END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print k, m}'
done | awk '{if ($1 == "gpt2") g = $2; printf "%s median %.1f ms/step, %.3f x gpt2\n", $1, $2, $2 / g}'
