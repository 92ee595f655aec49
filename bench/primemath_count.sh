#!/usr/bin/env bash
# primemath_count.sh — `primemath count N` against `primesieve N` (the primesieve command), same thread count.
# hyperfine runs all of one command before the other, so on a shared machine a burst of load can land on one
# side only; this script alternates ROUNDS short hyperfine rounds (A B, A B, ...) and reports, per command, the
# median wall time over all runs, the median CPU time (user+sys, per-round means), and the median of the
# per-round ratios of wall-time medians.
#   usage: bench/primemath_count.sh [N=1e9] [THREADS=2] [ROUNDS=5] [RUNS_PER_ROUND=7]
set -eu
N=${1:-1e9}; THREADS=${2:-2}; ROUNDS=${3:-5}; RUNS=${4:-7}
PM=${PRIMEMATH:-build/primemath}
PY=${PYTHON:-/usr/bin/python3}
command -v hyperfine >/dev/null || { echo "hyperfine is missing (Debian package hyperfine)" >&2; exit 2; }
command -v primesieve >/dev/null || { echo "the primesieve command is missing (Debian primesieve-bin)" >&2; exit 2; }
want=$(primesieve "$N" -q -t "$THREADS"); got=$("$PM" count "$N" --threads "$THREADS")
[ "$want" = "$got" ] || { echo "results differ: primesieve $want, primemath $got" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$ROUNDS"); do
  hyperfine -N -w 2 -r "$RUNS" --export-json "$tmp/round$r.json" \
    "primesieve $N -q -t $THREADS" "$PM count $N --threads $THREADS" >/dev/null 2>&1
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) threads; N=$N, --threads $THREADS"
"$PY" - "$tmp" "$ROUNDS" <<'EOF'
import json, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
times = {}; ratios = []; cpu = {}
for r in range(1, rounds + 1):
    res = json.load(open(f"{d}/round{r}.json"))["results"]
    med = []
    for x in res:
        times.setdefault(x["command"], []).extend(x["times"])
        med.append(statistics.median(x["times"]))
        cpu.setdefault(x["command"], []).append(x["user"] + x["system"])
    ratios.append(med[1] / med[0])
for cmd, t in times.items():
    print(f"{cmd:45s} wall median {statistics.median(t)*1e3:7.1f} ms  (min {min(t)*1e3:.1f}, max {max(t)*1e3:.1f}, "
          f"{len(t)} runs); CPU (user+sys) median of round means {statistics.median(cpu[cmd])*1e3:.1f} ms")
print(f"ratio primemath/primesieve: median of {rounds} round ratios {statistics.median(ratios):.3f} "
      f"(rounds: {', '.join(f'{x:.3f}' for x in ratios)})")
EOF
