#!/usr/bin/env bash
# gemm.sh — GFLOP/s of cllm_sgemm's kernels (each SIMD level), the reference loop and OpenBLAS at the model's
# matrix shapes, at 1 and 2 threads; variants interleaved, median of ROUNDS. Prints the machine first.
#   bash bench/gemm.sh [ROUNDS] [THREADS...]        e.g.  bash bench/gemm.sh 5 1 2
#   GEMM_BENCH_VARIANTS=avx512,openblas  GEMM_BENCH_SHAPES=fwd,attn   narrow it down
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make -s -j2 BUILD="$BUILD" lib
mkdir -p "$BUILD/bench"
cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Iinclude bench/gemm_bench.c "$BUILD/libcllm.a" "$BUILD/libprimemath.a" -lopenblas -lm \
   -o "$BUILD/bench/gemm_bench"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs;" \
     "flags: $(grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512dq|avx512vl|avx512_bf16|avx512_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q -w avx512f /proc/cpuinfo; then  # the ceiling the table is measured against
  cc -O2 -mavx512f -mfma bench/gemm_fma_peak.c -o "$BUILD/bench/gemm_fma_peak" && "$BUILD/bench/gemm_fma_peak"
fi
echo "command: bash bench/gemm.sh ${*:-5 1 2}   ($(date -u +%Y-%m-%dT%H:%MZ))"

"$BUILD/bench/gemm_bench" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
