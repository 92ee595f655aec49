#!/usr/bin/env bash
# bf16_speed.sh — what bf16 and int8 buy: training steps (cllm bench, fp32 vs bf16) and generation (cllm bench
# --generate, fp32 vs bf16 vs int8), the precisions alternating within each round (A B A B ...), medians over
# rounds, and each round's ratio to fp32. The machine may be shared: only the ratios mean much.
#   bash bench/bf16_speed.sh [ROUNDS] [TRAIN_STEPS]        (defaults 3 rounds, 5 timed steps)
#   BF16_SPEED_CASES="tiny:1 tiny:2 small:1" GEN_CASES="small:1"   the config:threads pairs to run
set -euo pipefail
cd "$(dirname "$0")/.."
CLLM=${CLLM:-build/cllm}
rounds=${1:-3}; steps=${2:-5}
train_cases=${BF16_SPEED_CASES:-tiny:1 tiny:2 small:1 small:2}; gen_cases=${GEN_CASES:-small:1 tiny:1}
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, flags: $(grep -o -w -E 'avx512f|avx512_bf16|avx512_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "command: bash bench/bf16_speed.sh $rounds $steps   ($(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
summarise() { # label, then "precision value" lines on stdin: medians and the median per-round ratio to fp32
  /usr/bin/python3 -c '
import statistics, sys
label, rows = sys.argv[1], [l.split() for l in sys.stdin if l.strip()]
vals = {}
for p, v in rows: vals.setdefault(p, []).append(float(v))
base = vals["fp32"]
out = []
for p, v in vals.items():
    ratios = [b / a for a, b in zip(base, v)]
    out.append("%s %.1f (x%.2f; rounds %s)" % (p, statistics.median(v), statistics.median(ratios), " ".join("%.0f" % x for x in v)))
print(label + ": " + ";  ".join(out))' "$1"
}
for c in $train_cases; do
  cfg=${c%:*} thr=${c#*:}
  for r in $(seq 1 "$rounds"); do
    for p in fp32 bf16; do
      echo "$p $(nice "$CLLM" bench --config "$cfg" --threads "$thr" --steps "$steps" --precision "$p" 2>/dev/null | field tokens_per_s)"
    done
  done | summarise "train $cfg, $thr thread(s), tokens/s"
done
nice "$CLLM" bench --config tiny --threads 1 --steps 1 --precision bf16 2>/dev/null | sed 's/^/peaks, 1 thread: /'
for c in $gen_cases; do
  cfg=${c%:*} thr=${c#*:}
  for r in $(seq 1 "$rounds"); do
    for p in fp32 bf16 int8; do
      echo "$p $(nice "$CLLM" bench --generate --config "$cfg" --threads "$thr" --gen-tokens 64 --rounds 3 --precision "$p" 2>/dev/null | field tokens_per_s)"
    done
  done | summarise "generate $cfg, $thr thread(s), tokens/s"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
