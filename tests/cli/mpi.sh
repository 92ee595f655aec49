#!/usr/bin/env bash
# Multi-process training over MPI (build-mpi/, made by `make MPI=1`, and by `make test` when mpicc exists):
# the fixed-order all-reduce sums exactly; 2 and 3 ranks train the same bits as one process with the same global
# batch, and so does --zero 1; checkpoints move between 1 and 2 processes; a bad setting, a killed rank and Ctrl-C
# end the job cleanly.
# Skips (passing) when OpenMPI or the MPI build is missing.
set -euo pipefail
BUILD=${BUILD:-build}
MPI_CLLM=${MPI_CLLM:-$BUILD-mpi/cllm}
BENCH=${MPI_BENCH:-$BUILD-mpi/allreduce_bench}
if ! command -v mpirun >/dev/null || [ ! -x "$MPI_CLLM" ] || [ ! -x "$BENCH" ]; then
  echo "SKIP: no mpirun or no MPI build ($MPI_CLLM)"; exit 0
fi
# CI runs as root; OpenMPI refuses that unless told (its documented switches), and the machine may have 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# OpenMPI's own start-up allocations (in its dlopen'ed plugins) are never freed: under SANITIZE=1, LeakSanitizer
# would fail every rank at exit. Leaks of the library itself are checked by the single-process tests.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
mpirun_() { timeout 120 mpirun --oversubscribe -np "$@"; }
. "$(dirname "$0")/../support/lib.sh"
# a safetensors file past its header: the tensors' bytes (the header's metadata says how the run was trained, and
# carries its clock)
body() { local h; h=$(od -An -t u8 -N 8 "$1" | tr -d ' '); tail -c +$((9 + h)) "$1"; }
same() { cmp <(body "$1") <(body "$2"); }
# the log without its clock, and without the lines that mark where a process ended (a stop-at, or under mpirun
# rank 0's making of the run at step 0)
steps_of() { grep -v '"end":' "$1/log.jsonl" | sed 's/,"ms".*//; s/,"elapsed_s".*//'; }

# 1. the all-reduce: every element equals the ranks' values added in rank order (the bench aborts otherwise),
#    with buckets that do not divide evenly among 3 ranks
mpirun_ 2 "$BENCH" 70000 1 >/dev/null || fail "all-reduce on 2 ranks"
mpirun_ 3 "$BENCH" 70000 1 >/dev/null || fail "all-reduce on 3 ranks"

cat_text "$tmp/text" 40
model=(--recipe gpt2 --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2 --threads 1
       --steps 8 --ckpt-every 4)

# 2. data parallel = one process with the global batch (2 x 2 rows of 32 tokens), bit for bit: weights and log
"$CLLM" train --data "$tmp/text" --out "$tmp/one" "${model[@]}" --total-batch 128 2>"$tmp/err" || { cat "$tmp/err"; fail "1 process"; }
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/two" "${model[@]}" 2>"$tmp/err" || { cat "$tmp/err"; fail "2 ranks"; }
same "$tmp/one/model.safetensors" "$tmp/two/model.safetensors" || fail "2 ranks and 1 process trained different weights"
diff <(steps_of "$tmp/one") <(steps_of "$tmp/two") || fail "2 ranks and 1 process logged different losses"
[ "$(grep -c "saved" "$tmp/err")" = 1 ] || fail "the closing line is not printed once (rank 0 only)"
# cllm info says how the run was trained, on the model file and on the checkpoint
for f in model checkpoint; do
  "$CLLM" info --model "$tmp/two/$f.safetensors" | grep -q "^trained .*128 tokens/step in 2x32 micro-batches, fp32, adamw; steps 0-8: 2 ranks, data parallel, 1 micro-batch per rank" \
    || fail "info on the 2-rank $f: $("$CLLM" info --model "$tmp/two/$f.safetensors" | grep trained)"
done
"$CLLM" info --model "$tmp/one/model.safetensors" | grep -q "^trained .*steps 0-8: 1 process, 2 micro-batches per step$" \
  || fail "info on the 1-process model: $("$CLLM" info --model "$tmp/one/model.safetensors" | grep trained)"
"$CLLM" train --data "$tmp/text" --out "$tmp/one3" "${model[@]}" --total-batch 192 2>/dev/null
mpirun_ 3 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/three" "${model[@]}" 2>/dev/null || fail "3 ranks"
same "$tmp/one3/model.safetensors" "$tmp/three/model.safetensors" || fail "3 ranks and 1 process differ"

# 3. a 2-rank checkpoint resumes on 1 process, and a 1-process checkpoint on 2 ranks, to the same bits
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/r2" "${model[@]}" --stop-at 4 2>/dev/null || fail "2 ranks, stop-at"
"$CLLM" train --out "$tmp/r2" --resume --threads 1 2>/dev/null || fail "resume of a 2-rank run on 1 process"
same "$tmp/one/model.safetensors" "$tmp/r2/model.safetensors" || fail "2 ranks -> 1 process resume differs"
diff <(steps_of "$tmp/one") <(steps_of "$tmp/r2") || fail "2 ranks -> 1 process: the log differs"
"$CLLM" info --model "$tmp/r2/model.safetensors" | grep -q "steps 0-4: 2 ranks, .*; steps 4-8: 1 process" \
  || fail "info after a resume on 1 process: $("$CLLM" info --model "$tmp/r2/model.safetensors" | grep trained)"
"$CLLM" train --data "$tmp/text" --out "$tmp/r1" "${model[@]}" --total-batch 128 --stop-at 4 2>/dev/null
mpirun_ 2 "$MPI_CLLM" train --out "$tmp/r1" --resume --threads 1 2>/dev/null || fail "resume on 2 ranks"
same "$tmp/one/model.safetensors" "$tmp/r1/model.safetensors" || fail "1 process -> 2 ranks resume differs"

# 3b. --zero 1 (each rank keeps AdamW's moments for half the parameters) trains the same bits as plain data
#     parallel, and its checkpoint holds the whole optimizer state (and resumes on one process)
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/z" "${model[@]}" --zero 1 2>/dev/null || fail "--zero 1"
same "$tmp/one/model.safetensors" "$tmp/z/model.safetensors" || fail "--zero 1 trained different weights"
"$CLLM" info --model "$tmp/z/checkpoint.safetensors" | grep -q "2 ranks, data parallel with --zero 1" || fail "info: no --zero 1"
cmp <(body "$tmp/one/checkpoint.safetensors") <(body "$tmp/z/checkpoint.safetensors") \
  || fail "--zero 1 checkpoint: different moments"
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/zr" "${model[@]}" --zero 1 --stop-at 4 2>/dev/null
"$CLLM" train --out "$tmp/zr" --resume --threads 1 2>/dev/null || fail "resume of a --zero 1 run on 1 process"
cmp <(body "$tmp/one/checkpoint.safetensors") <(body "$tmp/zr/checkpoint.safetensors") || fail "--zero 1 -> 1 process"
# ... and under Muon (the default recipe), whose hidden matrices each stay whole on one rank: with a small vocabulary
# the even split would cut h.0's matrices, so the bounds move (test_optim_shard checks where); 2 and 3 ranks
muon=(--recipe fast --tokenizer-vocab 300 --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --val-every 5 --val-batches 2
      --threads 1 --steps 8 --ckpt-every 4)
"$CLLM" train --data "$tmp/text" --out "$tmp/mone" "${muon[@]}" --total-batch 128 2>"$tmp/err" || { cat "$tmp/err"; fail "Muon, 1 process"; }
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/mz" "${muon[@]}" --zero 1 2>"$tmp/err" \
  || { cat "$tmp/err"; fail "Muon --zero 1"; }
same "$tmp/mone/model.safetensors" "$tmp/mz/model.safetensors" || fail "Muon --zero 1 trained different weights"
cmp <(body "$tmp/mone/checkpoint.safetensors") <(body "$tmp/mz/checkpoint.safetensors") || fail "Muon --zero 1: momentum"
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/mzr" "${muon[@]}" --zero 1 --stop-at 4 2>/dev/null
"$CLLM" train --out "$tmp/mzr" --resume --threads 1 2>/dev/null || fail "resume of a Muon --zero 1 run on 1 process"
cmp <(body "$tmp/mone/checkpoint.safetensors") <(body "$tmp/mzr/checkpoint.safetensors") || fail "Muon --zero 1 -> 1 process"
"$CLLM" train --data "$tmp/text" --out "$tmp/mone3" "${muon[@]}" --total-batch 192 2>/dev/null
mpirun_ 3 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/mz3" "${muon[@]}" --zero 1 2>/dev/null || fail "Muon --zero 1, 3 ranks"
same "$tmp/mone3/model.safetensors" "$tmp/mz3/model.safetensors" || fail "Muon --zero 1: 3 ranks and 1 process differ"

# 3c. pipeline parallel: 2 stages (one layer each) over 4 micro-batches, 1F1B, trains the same bits as one process
#     accumulating the same 4 micro-batches (weights, moments and log) — the tied wte's head part travels to stage
#     0 — and so do 3 stages with an untied head over 2 micro-batches (fewer than stages), and 2 pipelines of 2
#     stages (data x pipeline, 4 ranks); the pipeline's checkpoint resumes on one process; cllm info names the layout
pipe=(--recipe gpt2 --layers 2 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 --val-every 5 --val-batches 2
      --threads 1 --steps 8 --ckpt-every 4)
"$CLLM" train --data "$tmp/text" --out "$tmp/p1" "${pipe[@]}" --total-batch 256 2>/dev/null || fail "1 process, 2 layers"
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/p2" "${pipe[@]}" --pipeline-stages 2 --micro-batches 4 \
  2>"$tmp/err" || { cat "$tmp/err"; fail "2 pipeline stages"; }
same "$tmp/p1/checkpoint.safetensors" "$tmp/p2/checkpoint.safetensors" || fail "2 stages and 1 process differ"
diff <(steps_of "$tmp/p1") <(steps_of "$tmp/p2") || fail "2 stages and 1 process logged different losses"
grep -q '"idle_s":\[[0-9.]*,[0-9.]*\]}' "$tmp/p2/log.jsonl" || fail "no idle times in the pipeline's log"
"$CLLM" info --model "$tmp/p2/model.safetensors" | grep -q "steps 0-8: 2 ranks, 1 pipeline of 2 stages (1F1B), 4 micro-batches per pipeline per step" \
  || fail "info on the pipeline: $("$CLLM" info --model "$tmp/p2/model.safetensors" | grep trained)"
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/pr" "${pipe[@]}" --pipeline-stages 2 --micro-batches 4 \
  --stop-at 4 2>/dev/null || fail "2 stages, stop-at"
"$CLLM" train --out "$tmp/pr" --resume --threads 1 2>/dev/null || fail "resume of a pipeline run on 1 process"
same "$tmp/p1/checkpoint.safetensors" "$tmp/pr/checkpoint.safetensors" || fail "2 stages -> 1 process resume differs"
"$CLLM" train --data "$tmp/text" --out "$tmp/q1" --untied-head "${pipe[@]}" --layers 3 --total-batch 128 2>/dev/null \
  || fail "1 process, 3 layers"
mpirun_ 3 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/q3" --untied-head "${pipe[@]}" --layers 3 \
  --pipeline-stages 3 --micro-batches 2 2>"$tmp/err" || { cat "$tmp/err"; fail "3 pipeline stages"; }
same "$tmp/q1/checkpoint.safetensors" "$tmp/q3/checkpoint.safetensors" || fail "3 stages and 1 process differ"
# Muon (the default recipe) with bf16 products over 2 stages: one process's bits too
"$CLLM" train --data "$tmp/text" --out "$tmp/pm1" "${pipe[@]}" --recipe fast --precision bf16 --total-batch 256 \
  2>/dev/null || fail "1 process, Muon, bf16"
mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/pm2" "${pipe[@]}" --recipe fast --precision bf16 \
  --pipeline-stages 2 --micro-batches 4 2>"$tmp/err" || { cat "$tmp/err"; fail "2 pipeline stages, Muon, bf16"; }
same "$tmp/pm1/checkpoint.safetensors" "$tmp/pm2/checkpoint.safetensors" || fail "Muon + bf16: 2 stages and 1 process differ"
# data x pipeline: 2 pipelines of 2 stages (4 ranks), one micro-batch each, = one process with 2 micro-batches
"$CLLM" train --data "$tmp/text" --out "$tmp/d1" "${pipe[@]}" --total-batch 128 2>/dev/null || fail "1 process, 2 x 2 rows"
mpirun_ 4 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/d4" "${pipe[@]}" --pipeline-stages 2 --micro-batches 2 \
  2>"$tmp/err" || { cat "$tmp/err"; fail "2 pipelines of 2 stages"; }
same "$tmp/d1/checkpoint.safetensors" "$tmp/d4/checkpoint.safetensors" || fail "2 x 2 stages and 1 process differ"
"$CLLM" info --model "$tmp/d4/model.safetensors" | grep -q "4 ranks, 2 pipelines of 2 stages" || fail "info: data x pipeline"
rc=0; mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/pbad" "${pipe[@]}" --pipeline-stages 3 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q "error: train: --pipeline-stages 3 needs a multiple of 3 processes" "$tmp/err" \
  || fail "3 stages on 2 ranks: exit $rc, $(grep error "$tmp/err" | head -1)"

# 4. a global batch that does not split among the ranks: one line naming the rank, exit 2, no checkpoint
rc=0; mpirun_ 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/bad" "${model[@]}" --total-batch 64 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] || fail "indivisible batch: exit $rc"
grep -q "^cllm: rank 0 of 2: error: train: --total-batch 64 is not a whole number" "$tmp/err" || fail "message: $(cat "$tmp/err")"
[ ! -f "$tmp/bad/checkpoint.safetensors" ] || fail "a failed start left a checkpoint"

# 5. kill -9 of rank 1 mid-run: the job ends, mpirun names the rank, the last checkpoint loads and resumes
long=("${model[@]}" --steps 100000 --ckpt-every 1)
mpirun --oversubscribe -np 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/k" "${long[@]}" 2>"$tmp/k.err" &
mp=$!
for _ in $(seq 1 400); do grep -q '"step":3,' "$tmp/k/log.jsonl" 2>/dev/null && break; sleep 0.05; done
victim=""
for p in $(pgrep -P $mp); do tr '\0' '\n' </proc/$p/environ | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p; done
[ -n "$victim" ] || { kill $mp; fail "rank 1 not found"; }
kill -9 "$victim"
rc=0; timeout 60 tail --pid=$mp -f /dev/null || fail "the job did not end after a rank was killed"
wait $mp || rc=$?
[ $rc -ne 0 ] || fail "mpirun exited 0 after a rank was killed"
grep -q "rank 1" "$tmp/k.err" || fail "no message naming rank 1: $(tail -c 400 "$tmp/k.err")"
"$CLLM" info --model "$tmp/k/checkpoint.safetensors" >/dev/null || fail "checkpoint unreadable after the kill"
"$CLLM" train --out "$tmp/k" --resume --threads 1 --stop-at 100000 --minutes 0.01 2>"$tmp/err" \
  || { cat "$tmp/err"; fail "resume after a killed rank"; }

# 6. a stop signal to the ranks (what a batch system's scancel/kill sends; a stop request on any rank counts):
#    every rank stops after the same step and rank 0 saves it. (mpirun's own Ctrl-C tears the job down and stops
#    draining the ranks' stderr, so it is not what is tested here; the last periodic checkpoint stays good then.)
mpirun --oversubscribe -np 2 "$MPI_CLLM" train --data "$tmp/text" --out "$tmp/c" "${model[@]}" --steps 100000 \
  --ckpt-every 100000 2>"$tmp/c.err" &
mp=$!
for _ in $(seq 1 400); do grep -q '"step":3,' "$tmp/c/log.jsonl" 2>/dev/null && break; sleep 0.05; done
pkill -TERM -f -- "^$MPI_CLLM train --data $tmp/text --out $tmp/c " || fail "no ranks to signal"
wait $mp || fail "the job did not end cleanly after SIGTERM: $(tail -c 400 "$tmp/c.err")"
grep -q "interrupted at step" "$tmp/c.err" || fail "stop signal: $(tail -c 400 "$tmp/c.err")"
tail -n 1 "$tmp/c/log.jsonl" | grep -q '"end":"stopped"' || fail "stop signal: $(tail -n 2 "$tmp/c/log.jsonl")"
"$CLLM" info --model "$tmp/c/checkpoint.safetensors" >/dev/null || fail "no checkpoint after Ctrl-C"
echo "ok"
