#!/usr/bin/env bash
# Multi-process training over MPI (build-mpi/, made by `make MPI=1`, and by `make test` when mpicc exists): the
# fixed-order all-reduce sums exactly on 2 and 3 ranks. Skips (passing) when OpenMPI or the MPI build is missing.
set -euo pipefail
BUILD=${BUILD:-build}
MPI_CLLM=${MPI_CLLM:-$BUILD-mpi/cllm}
BENCH=${MPI_BENCH:-$BUILD-mpi/allreduce_bench}
if ! command -v mpirun >/dev/null || [ ! -x "$MPI_CLLM" ] || [ ! -x "$BENCH" ]; then
  echo "SKIP: no mpirun or no MPI build ($MPI_CLLM)"; exit 0
fi
# CI runs as root; OpenMPI refuses that unless told (its documented switches), and the machine may have 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun_() { timeout 120 mpirun --oversubscribe -np "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. the all-reduce: every element equals the ranks' values added in rank order (the bench aborts otherwise),
#    with buckets that do not divide evenly among 3 ranks
mpirun_ 2 "$BENCH" 70000 1 >/dev/null || fail "all-reduce on 2 ranks"
mpirun_ 3 "$BENCH" 70000 1 >/dev/null || fail "all-reduce on 3 ranks"
echo "ok"
