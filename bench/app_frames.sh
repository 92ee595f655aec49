#!/usr/bin/env bash
# bench/app_frames.sh — the app's frame measurements behind docs/app.md, headless under Xvfb:
#   1. the Spirals tab's render time per frame with 10^6 points, for each layout (pans one pixel a frame, so
#      every frame draws every point again; median and p95 of the last 31 of 100 frames), ROUNDS times;
#   2. the gaps between frames of the main loop before and while the Training tab trains (micro model,
#      1500 steps), ROUNDS times.
#   bash bench/app_frames.sh [ROUNDS]        (make app first; GSK_RENDERER=cairo unless set)
set -euo pipefail
ROUNDS=${1:-3}
APP=${APP:-app/hyper_prime_spiral}
CLLM=${CLLM:-build/cllm}
export GSK_RENDERER=${GSK_RENDERER:-cairo}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), GSK_RENDERER=$GSK_RENDERER"
mkdir -p "$tmp/text"
for d in $(seq 1 40); do for i in $(seq 1 30); do echo "the cat $d sat on the mat $i. the dog ran to the cat."; done >"$tmp/text/doc$d.txt"; done
for r in $(seq 1 "$ROUNDS"); do
  for k in ulam clock golden; do
    xvfb-run -a "$APP" --screenshot spirals --out "$tmp/s.png" --points 1000000 --kind "$k" --spiral-frames 100 2>/dev/null \
      | grep "render median"
  done
  rm -rf "$tmp/run"
  xvfb-run -a "$APP" --screenshot training --out "$tmp/t.png" --run "$tmp/run" --train-data "$tmp/text" \
    --train-steps 1500 2>/dev/null | grep "frame gaps"
done
