#!/usr/bin/env bash
# Replays every kept fuzz input (tests/fuzz/regressions/NAME/) through its harness, built without libFuzzer.
set -eu
BUILD=${BUILD:-build}
total=0
for h in tests/fuzz/fuzz_*.c; do
  name=$(basename "$h" .c); name=${name#fuzz_}
  out=$("$BUILD/tests/fuzz/replay_$name" "tests/fuzz/regressions/$name") || { echo "replay_$name failed"; exit 1; }
  echo "$name: $out"
  total=$((total + ${out//[!0-9]/}))
done
echo "replayed $total kept inputs"
[ "$total" -gt 0 ]
