#!/usr/bin/env bash
# Fuzzes every loader: `bench/fuzz.sh MINUTES [NAME...]` builds the libFuzzer harnesses (make fuzz, clang), makes
# seeds with the real CLI (tests/fuzz/make-seeds.sh) and runs each harness for MINUTES under nice -n 19, keeping
# its corpus in build-fuzz/corpus/NAME. Every input that fails is copied to tests/fuzz/regressions/NAME/ (commit
# it: `make test` replays it). Each run's execs are appended to tests/fuzz/execs.tsv (commit it too: it is the
# record across machines); the cumulative table printed at the end is what docs/reliability.md records. With
# FUZZ_UNTIL=N, a target stops once its cumulative execs there reach N (libFuzzer's -runs), and one that has them
# already is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: bench/fuzz.sh MINUTES [NAME...]}; shift
names=("$@")
record=tests/fuzz/execs.tsv
[ ${#names[@]} -gt 0 ] || for h in tests/fuzz/fuzz_*.c; do n=$(basename "$h" .c); names+=("${n#fuzz_}"); done
make -s -j2 all
make -s fuzz >/dev/null
# seeds: made again when the seed script changed since they were made
if [ ! -d build-fuzz/seeds ] || [ tests/fuzz/make-seeds.sh -nt build-fuzz/seeds ]; then
  rm -rf build-fuzz/seeds && CLLM=build/cllm bash tests/fuzz/make-seeds.sh build-fuzz/seeds >/dev/null
fi
# one fuzzing process is one thread: the harnesses' OpenMP teams would only spin beside it
export OMP_NUM_THREADS=1
for n in "${names[@]}"; do
  mkdir -p "build-fuzz/corpus/$n" "build-fuzz/crashes/$n" "tests/fuzz/regressions/$n"
  log="build-fuzz/fuzz_$n.log"
  runs=()
  if [ -n "${FUZZ_UNTIL:-}" ]; then
    done_execs=$(awk -F'\t' -v n="$n" '!/^#/ && $2 == n {e += $3} END {printf "%d", e}' "$record")
    if [ "${done_execs:-0}" -ge "$FUZZ_UNTIL" ]; then echo "$n: $done_execs execs already"; continue; fi
    runs=(-runs=$((FUZZ_UNTIL - ${done_execs:-0})))
  fi
  # rss/malloc limits: a small input that makes a loader allocate gigabytes is a failure (issue 10, finding 2)
  nice -n 19 "build-fuzz/fuzz_$n" -max_total_time=$((minutes * 60)) -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=20 -max_len=262144 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$n/" "${runs[@]}" \
    "build-fuzz/corpus/$n" "build-fuzz/seeds/$n" >"$log" 2>&1 || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # crash-, leak-, timeout- and oom- artifacts are failures; slow-unit- ones (over 10 s on a loaded machine, or
  # while the fuzzer was stopped: libFuzzer's clocks are wall time) are not, and stay in build-fuzz/crashes/
  crashes=0
  for c in build-fuzz/crashes/"$n"/{crash,leak,timeout,oom}-*; do
    [ -f "$c" ] || continue
    cp "$c" "tests/fuzz/regressions/$n/"; crashes=$((crashes + 1))
  done
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$n" "${execs:-0}" "${secs:-0}" "$crashes" >> "$record"
  echo "$n: ${execs:-0} execs (${secs:-0}/s), $crashes failing inputs"
done
echo "cumulative ($record): target, execs, failing inputs"
awk -F'\t' '!/^#/ {e[$2]+=$3; c[$2]+=$5} END {for (n in e) printf "  %-16s %12d %4d\n", n, e[n], c[n]}' "$record" | sort
