#!/usr/bin/env bash
# performance_report.sh — reruns the measurements behind docs/performance.md's summary, one after the other, and
# prints each command with its output (about 10 minutes on a 2-core machine; run it when the machine is quiet).
#
#     make && bash bench/performance_report.sh [ROUNDS]        (ROUNDS for each comparison, default 3)
#
# 1. training: cllm against PyTorch (bench/compare_pytorch), tiny and small, 1 and 2 threads, and, when its
#    sources are there, llm.c (bench/llmc/compare_llmc); alternating inside each comparison;
# 2. cllm alone: tokens/s, GFLOP/s, the bench's own GEMM peak, MFU and peak RSS (cllm bench);
# 3. generation with the KV cache (cllm bench --generate).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset so that PyTorch's OpenBLAS picks its best kernels here.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "performance_report: error: ROUNDS must be a positive integer, got '$rounds'" >&2; exit 2; }
[ -x build/cllm ] || { echo "performance_report: error: build/cllm not found: run 'make' first" >&2; exit 2; }
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

run() { echo; echo "\$ $*"; "$@"; }
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cpus; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for config in tiny small; do
  for threads in 1 2; do
    run bench/compare_pytorch --config "$config" --threads "$threads" --steps 10 --rounds "$rounds"
  done
done
if [ -f bench/llmc/third_party/llm.c/train_gpt2.c ] || [ -n "${LLMC_DIR:-}" ]; then
  run bench/llmc/compare_llmc --config tiny --threads 1 --steps 3 --rounds "$rounds"
  run bench/llmc/compare_llmc --config tiny --threads 2 --steps 3 --rounds "$rounds"
  run bench/llmc/compare_llmc --config small --threads 2 --steps 3 --rounds "$rounds"
else
  echo; echo "(llm.c skipped: its sources are not in bench/llmc/third_party/llm.c; see the README there)"
fi
for config in tiny small; do
  for threads in 1 2; do
    run build/cllm bench --config "$config" --batch 8 --steps 10 --threads "$threads"
  done
done
for config in tiny small; do
  for threads in 1 2; do
    run build/cllm bench --generate --config "$config" --threads "$threads"
  done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
