#!/usr/bin/env bash
# bench/speedrun.sh [--minutes M] [--seeds N] [--first-seed S] [--threads N] [--steps N] [-- TRAIN_FLAGS...]
#
# The speedrun's record (docs/speedrun.md): trains `cllm train`'s default recipe on the demo's Brown split for M
# minutes (default 5) on 2 threads, once per seed (S, S+1, ...: S = --first-seed, default 1337; 3 seeds by
# default), and prints each model's validation bits per byte over the WHOLE validation text (`cllm eval` on
# data/brown/val.txt), then the mean and the spread (max − min). TRAIN_FLAGS after `--` go to `cllm train` as they are (`-- --recipe gpt2` for the
# GPT-2 recipe); --steps N trains N steps instead of M minutes (equal-token comparisons, independent of load).
# Runs under nice, one training at a time; runs go to data/speedrun/ (ignored by git). The corpus is fetched by
# scripts/fetch-brown.sh when data/brown is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=5 seeds=3 first=1337 threads=2 steps=""
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --first-seed) first=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "speedrun: unknown flag $1 (see the comment at the top of bench/speedrun.sh)" >&2; exit 2 ;;
  esac
done
cllm=build/cllm
[ -x "$cllm" ] || make -j2 >/dev/null
data=data/brown
[ -f "$data/val.txt" ] || scripts/fetch-brown.sh "$data"
budget=(--minutes "$minutes")
[ -n "$steps" ] && budget=(--steps "$steps")

stamp=$(date +%Y%m%d-%H%M%S)
results=()
for ((i = 0; i < seeds; i++)); do
  seed=$((first + i))
  run=data/speedrun/$stamp-seed$seed
  mkdir -p data/speedrun
  nice "$cllm" train --data "$data/train" --val "$data/val" --out "$run" --threads "$threads" --seed "$seed" \
    "${budget[@]}" "$@" >"$run.log" 2>&1 || { echo "speedrun: training failed, see $run.log" >&2; exit 1; }
  bpb=$(nice "$cllm" eval --model "$run/model.safetensors" --data "$data/val.txt" --threads "$threads" |
        awk '{for (i = 1; i < NF; i++) if ($i == "bpb") print $(i + 1)}')
  steps_done=$(grep -c '"loss"' "$run/log.jsonl" || true)
  echo "seed $seed: val $bpb bits/byte after $steps_done steps ($run)"
  results+=("$bpb")
done
printf '%s\n' "${results[@]}" | awk '{s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1}
  END {printf "mean %.4f bits/byte over %d seeds, spread %.4f (min %.4f, max %.4f)\n", s / NR, NR, hi - lo, lo, hi}'
