#!/usr/bin/env bash
# ab_bench.sh A B [ROUNDS] [-- bench flags] — `cllm bench` of two builds alternating A B A B (so a loaded machine
# slows both alike); prints each run's tokens/s, both medians and the ratio B/A.
#   bash bench/ab_bench.sh /tmp/before/cllm build/cllm 5 -- --config tiny --batch 8 --steps 10 --threads 2
set -euo pipefail
a=$1 b=$2 rounds=${3:-5}
shift 3 || shift $#
[ "${1:-}" = "--" ] && shift
flags=("$@"); [ ${#flags[@]} -gt 0 ] || flags=(--config tiny --batch 8 --steps 10 --threads 2)
ta=() tb=()
for r in $(seq 1 "$rounds"); do
  for side in a b; do
    bin=$a; [ $side = b ] && bin=$b
    tps=$("$bin" bench "${flags[@]}" 2>/dev/null | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])')
    echo "round $r $side tokens/s $tps"
    if [ $side = a ]; then ta+=("$tps"); else tb+=("$tps"); fi
  done
done
python3 - "${ta[*]}" "${tb[*]}" <<'PY'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
ma, mb = statistics.median(a), statistics.median(b)
print(f"median A {ma:.1f} tokens/s, median B {mb:.1f} tokens/s, B/A {mb / ma:.3f}")
PY
