#!/usr/bin/env bash
# 1 process × 2 threads against 2 MPI ranks × 1 thread, the same training (the same global batch of 8 × 256 tokens
# per step: --batch 8 on one process, --batch 4 on each rank), alternating A B A B for ROUNDS rounds.
#     make MPI=1 && nice bash bench/mpi/scaling.sh [ROUNDS] [STEPS]
# Prints per run: config, mode, median tokens/s over steps 3.. (from log.jsonl), and the peak RSS of each process
# (GNU time). The machine is shared: compare the ratios within a round, not the rates.
set -euo pipefail
ROUNDS=${1:-3}
STEPS=${2:-10}
BUILD=${BUILD:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/text"
for d in $(seq 1 200); do  # ~1 MB of varied text: counts in words, so the tokenizer has something to learn
  for i in $(seq 1 40); do echo "document $d line $i: the $((i * d % 97)) cats sat on $((d + i)) mats while $((d * 7 % 13)) dogs ran."; done >"$tmp/text/d$d.txt"
done
"$BUILD/cllm" prepare --help >/dev/null
median_tps() {  # log.jsonl: median tokens_per_s of steps 3..
  grep '"tokens_per_s"' "$1" | sed 's/.*"step":\([0-9]*\).*"tokens_per_s":\([0-9.]*\).*/\1 \2/' |
    awk '$1 >= 3 { print $2 }' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
common=(--vocab-size 4096 --steps "$STEPS" --val-every 100000 --ckpt-every 100000 --lr 1e-3)
printf '%-6s %-22s %10s %s\n' config mode tokens/s "peak RSS per process (MB)"
for r in $(seq 1 "$ROUNDS"); do
  for config in tiny small; do
    out="$tmp/a$r$config"
    /usr/bin/time -f "%M" -o "$tmp/rss" "$BUILD/cllm" train --data "$tmp/text" --out "$out" --config "$config" \
      "${common[@]}" --batch 8 --threads 2 2>/dev/null
    printf '%-6s %-22s %10s %s\n' "$config" "1 process x 2 threads" "$(median_tps "$out/log.jsonl")" \
      "$(awk '{ printf "%.0f ", $1 / 1024 }' "$tmp/rss")"
    out="$tmp/b$r$config"
    mpirun --oversubscribe -np 2 /usr/bin/time -f "%M" -a -o "$tmp/rss$r$config" "$BUILD-mpi/cllm" train \
      --data "$tmp/text" --out "$out" --config "$config" "${common[@]}" --batch 4 --threads 1 2>/dev/null
    printf '%-6s %-22s %10s %s\n' "$config" "2 ranks x 1 thread" "$(median_tps "$out/log.jsonl")" \
      "$(awk '{ printf "%.0f ", $1 / 1024 }' "$tmp/rss$r$config")"
  done
done
