#!/usr/bin/env bash
# Crash safety of `cllm train`, measured: `bench/crash.sh KILLS` (default 10).
# 1. kill -9 at random moments: a tiny run (60 steps, a checkpoint every 5) is killed KILLS times at random
#    delays and resumed with --resume each time until it finishes; its model must be byte-identical to an
#    uninterrupted run's, and no temporary file may be left.
# 2. disk full: a run stopped at step 10 is copied to a tmpfs with a few KB free and resumed; the next checkpoint
#    write must fail with one line, exit non-zero, and leave the step-10 checkpoint byte-identical (needs root for
#    mount; skipped otherwise).
# Prints one line per result; docs/reliability.md records a run.
set -uo pipefail
cd "$(dirname "$0")/.."
kills=${1:-10}
CLLM=${CLLM:-build/cllm}
tmp=$(mktemp -d); trap 'umount "$tmp/full" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/text"
for d in $(seq 1 30); do
  for i in $(seq 1 30); do echo "document $d line $i: the quick brown fox jumps over the lazy dog $((d * i))."; done \
    >"$tmp/text/doc$d.txt"
done
args=(--data "$tmp/text" --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --threads 1 --steps 60
      --ckpt-every 5 --val-every 20 --val-batches 1 --seed 7)
nice "$CLLM" train "${args[@]}" --out "$tmp/ref" >/dev/null 2>&1 || { echo "reference run failed"; exit 1; }

# 1. random kills
t0=$(date +%s.%N); nice "$CLLM" train "${args[@]}" --out "$tmp/timing" >/dev/null 2>&1
seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
done_kills=0; started=0; after_ckpt=0
while :; do
  if [ $started -eq 0 ]; then cmd=(nice "$CLLM" train "${args[@]}" --out "$tmp/run"); started=1
  else cmd=(nice "$CLLM" train --out "$tmp/run" --resume); fi
  "${cmd[@]}" >/dev/null 2>"$tmp/err" & pid=$!
  if [ $done_kills -lt "$kills" ]; then
    sleep "$(awk -v s="$seconds" -v r=$RANDOM 'BEGIN {printf "%.3f", s * r / 32768}')"
    if kill -9 $pid 2>/dev/null; then
      done_kills=$((done_kills + 1))
      [ -f "$tmp/run/checkpoint.safetensors" ] && after_ckpt=$((after_ckpt + 1))
    fi
  fi
  wait $pid 2>/dev/null; rc=$?
  [ $rc -eq 0 ] && [ -f "$tmp/run/model.safetensors" ] && [ $done_kills -ge "$kills" ] && break
  if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
    # killed before the first checkpoint: start over (nothing to resume yet)
    if grep -q "no checkpoint\|cannot open" "$tmp/err"; then started=0; rm -rf "$tmp/run"; continue; fi
    echo "kill: a resume failed (rc $rc): $(head -c 300 "$tmp/err")"; exit 1
  fi
done
left=$(find "$tmp/run" -name '*.tmp.*' | wc -l)
if cmp -s "$tmp/ref/model.safetensors" "$tmp/run/model.safetensors"; then same=identical; else same=DIFFERENT; fi
echo "kill -9: $done_kills random kills ($after_ckpt after the first checkpoint; the run takes ${seconds}s uninterrupted), final model $same to the uninterrupted run's, $left temporaries left"

# 2. disk full
if ! mkdir -p "$tmp/full" || ! mount -t tmpfs -o size=4m tmpfs "$tmp/full" 2>/dev/null; then
  echo "disk full: skipped (mounting a tmpfs needs root)"; exit 0
fi
umount "$tmp/full"
nice "$CLLM" train "${args[@]}" --out "$tmp/stop" --stop-at 10 >/dev/null 2>&1
used=$(du -sk "$tmp/stop" | cut -f1)
mount -t tmpfs -o size=$((used + 24))k tmpfs "$tmp/full"
cp -a "$tmp/stop/." "$tmp/full/"
cp "$tmp/full/checkpoint.safetensors" "$tmp/ckpt-before"
nice "$CLLM" train --out "$tmp/full" --resume >/dev/null 2>"$tmp/err"; rc=$?
errors=$(grep -c "error" "$tmp/err")
if cmp -s "$tmp/ckpt-before" "$tmp/full/checkpoint.safetensors"; then kept=kept; else kept=CHANGED; fi
left=$(find "$tmp/full" -name '*.tmp.*' | wc -l)
echo "disk full: exit $rc, $errors error line(s): '$(grep error "$tmp/err" | head -1)'; step-10 checkpoint $kept, $left temporaries left"
