#!/usr/bin/env bash
# bench/train_minutes.sh MINUTES [RUNS] — how closely `cllm train --minutes M` keeps its budget: the demo's command
# (tiny config on the Brown split, 2 threads) RUNS times (default 1); per run, the process's wall time, the training
# time the log's end line records (first step to the last checkpoint), the time spent validating, the steps, and
# the closing validation's bits/byte over the whole val split. Needs data/brown (scripts/fetch-brown.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: bench/train_minutes.sh MINUTES [RUNS]}
runs=${2:-1}
[ -d data/brown/train ] || { echo "no data/brown: run scripts/fetch-brown.sh data/brown" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$runs"); do
  t0=$(date +%s.%N)
  build/cllm train --data data/brown/train --val data/brown/val --out "$tmp/r$r" --config tiny --minutes "$minutes" \
    --val-every 25 --ckpt-every 100 --threads 2 2>"$tmp/err$r" || { tail -3 "$tmp/err$r"; exit 1; }
  t1=$(date +%s.%N)
  python3 - "$tmp/r$r/log.jsonl" "$minutes" "$t0" "$t1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
budget = float(sys.argv[2]) * 60
end = [l for l in lines if 'end' in l][-1]
val = [l for l in lines if 'val_loss' in l]
print('budget %.0f s: trained %.2f s (%+.2f%%), process %.2f s, validating %.2f s (%.1f%%, %d validations), '
      '%d steps, final val bpb %.4f over %d tokens' % (budget, end['elapsed_s'], 100 * (end['elapsed_s'] / budget - 1),
      float(sys.argv[4]) - float(sys.argv[3]), end['eval_s'], 100 * end['eval_s'] / end['elapsed_s'], len(val),
      end['step'], val[-1]['val_bpb'], val[-1]['val_tokens']))
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
