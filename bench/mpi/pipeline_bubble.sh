#!/usr/bin/env bash
# The pipeline's bubble: tiny (4 layers) on 2 stages (`--pipeline-stages 2`, one rank × 1 thread each), M = 2, 4 and 8
# micro-batches of 2 × 256 tokens per step, the three M in turn for ROUNDS rounds.
#     make MPI=1 && nice bash bench/mpi/pipeline_bubble.sh [ROUNDS] [STEPS]
# Prints per run: M, the median step time over steps 3.. (log.jsonl "ms") and each stage's median idle fraction
# (its seconds waiting in recv, "idle_s", over the step's time), next to 1F1B's ideal bubble (S-1)/(M+S-1) for
# stages of equal cost. The machine is shared: the load stretches compute and waits alike.
set -euo pipefail
ROUNDS=${1:-3}
STEPS=${2:-8}
BUILD=${BUILD:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/text"
for d in $(seq 1 100); do
  for i in $(seq 1 40); do echo "document $d line $i: the $((i * d % 97)) cats sat on $((d + i)) mats while $((d * 7 % 13)) dogs ran."; done >"$tmp/text/d$d.txt"
done
"$BUILD/cllm" train --data "$tmp/text" --out "$tmp/prep" --recipe gpt2 --config tiny --vocab-size 4096 --steps 1 --batch 2 \
  --threads 1 --val-every 100000 2>/dev/null  # tokenizer and shards once
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-4s %-8s %-10s %-10s %s\n' M "step ms" "stage 0" "stage 1" "ideal (S-1)/(M+S-1)"
for r in $(seq 1 "$ROUNDS"); do
  for M in 2 4 8; do
    out="$tmp/r$r-$M"
    mpirun --oversubscribe -np 2 "$BUILD-mpi/cllm" train --data "$tmp/prep/data" --tokenizer "$tmp/prep/tokenizer.json" \
      --out "$out" --recipe gpt2 --config tiny --vocab-size 4096 --steps "$STEPS" --batch 2 --threads 1 --val-every 100000 \
      --ckpt-every 100000 --pipeline-stages 2 --micro-batches "$M" 2>/dev/null
    rows=$(grep '"idle_s"' "$out/log.jsonl" | sed 's/.*"step":\([0-9]*\).*"ms":\([0-9.]*\).*"idle_s":\[\([0-9.]*\),\([0-9.]*\)\].*/\1 \2 \3 \4/' |
      awk '$1 >= 3')
    ms=$(awk '{ print $2 }' <<<"$rows" | median)
    f0=$(awk '{ print $3 * 1000 / $2 }' <<<"$rows" | median)
    f1=$(awk '{ print $4 * 1000 / $2 }' <<<"$rows" | median)
    printf '%-4s %-8s %-10.3f %-10.3f %.3f\n' "$M" "$ms" "$f0" "$f1" "$(awk -v m="$M" 'BEGIN { print 1 / (m + 1) }')"
  done
done
