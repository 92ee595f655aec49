#!/usr/bin/env bash
# Runs every test program given, then every tests/*/*.sh script (not tests/support/'s helpers), each with a time
# limit; prints one line per test and a closing "N passed, N failed". Logs of failures are printed in full.
set -u
BUILD=${BUILD:-build}
export BUILD CLLM="$BUILD/cllm" PRIMEMATH="$BUILD/primemath" PYTHON=/usr/bin/python3
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/support/lsan.supp}  # system libraries' own leaks
logs="$BUILD/test-logs"; mkdir -p "$logs"
pass=0; fail=0; failed=()
run_one() {  # name, command...
  local name=$1; shift
  local t0=$SECONDS
  if timeout 600 "$@" >"$logs/$name.log" 2>&1; then
    pass=$((pass+1)); printf 'PASS %-40s %4ds\n' "$name" $((SECONDS-t0))
  else
    fail=$((fail+1)); failed+=("$name"); printf 'FAIL %-40s %4ds\n' "$name" $((SECONDS-t0))
    sed 's/^/    /' "$logs/$name.log" | tail -60
  fi
}
for t in "$@"; do run_one "$(basename "$t")" "$t"; done
for s in $(ls tests/*/*.sh 2>/dev/null | grep -v '^tests/support/' | sort); do run_one "$(basename "$s" .sh)" bash "$s"; done
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
