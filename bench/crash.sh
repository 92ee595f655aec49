#!/usr/bin/env bash
# Crash safety of `cllm train`, measured: `bench/crash.sh KILLS` (default 10).
# 1. kill -9 at random moments: a tiny run (60 steps, a checkpoint every 5) is killed KILLS times at random
#    delays and resumed with --resume each time until it finishes; its model must be byte-identical to an
#    uninterrupted run's, and no temporary file may be left.
# 2. disk full: a run stopped at step 10 is copied to a tmpfs with a few KB free and resumed; the next checkpoint
#    write must fail with one line, exit non-zero, and leave the step-10 checkpoint byte-identical (needs root for
#    mount; skipped otherwise).
# 3. kill -9 inside the checkpoint write (needs strace; skipped otherwise): 10 kills, each placed by strace's fault
#    injection (SIGKILL on entering one system call) at a write into the checkpoint's temporary, at its fsync,
#    at its rename or at the directory's fsync after the rename, in turn. Which call is the Nth of the process is
#    read from a trace of the same command run on a copy of the run directory (training is deterministic). The
#    run is resumed after each kill; its final model must be byte-identical to the uninterrupted run's.
# 4. read-only run directory: the step-10 run is made read-only (a read-only tmpfs as root, chmod otherwise) and
#    resumed; it must fail with one line and leave the checkpoint as it was.
# Prints one line per result; docs/reliability.md records a run.
set -uo pipefail
cd "$(dirname "$0")/.."
kills=${1:-10}
CLLM=${CLLM:-build/cllm}
tmp=$(mktemp -d); trap 'umount "$tmp/full" "$tmp/ro" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/text"
for d in $(seq 1 30); do
  for i in $(seq 1 30); do echo "document $d line $i: the quick brown fox jumps over the lazy dog $((d * i))."; done \
    >"$tmp/text/doc$d.txt"
done
args=(--data "$tmp/text" --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --threads 1 --steps 60
      --ckpt-every 5 --val-every 20 --val-batches 1 --seed 7)
nice "$CLLM" train "${args[@]}" --out "$tmp/ref" >/dev/null 2>&1 || { echo "reference run failed"; exit 1; }

# 1. random kills
t0=$(date +%s.%N); nice "$CLLM" train "${args[@]}" --out "$tmp/timing" >/dev/null 2>&1
seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
done_kills=0; started=0; after_ckpt=0
while :; do
  if [ $started -eq 0 ]; then cmd=(nice "$CLLM" train "${args[@]}" --out "$tmp/run"); started=1
  else cmd=(nice "$CLLM" train --out "$tmp/run" --resume); fi
  "${cmd[@]}" >/dev/null 2>"$tmp/err" & pid=$!
  if [ $done_kills -lt "$kills" ]; then
    sleep "$(awk -v s="$seconds" -v r=$RANDOM 'BEGIN {printf "%.3f", s * r / 32768}')"
    if kill -9 $pid 2>/dev/null; then
      done_kills=$((done_kills + 1))
      [ -f "$tmp/run/checkpoint.safetensors" ] && after_ckpt=$((after_ckpt + 1))
    fi
  fi
  wait $pid 2>/dev/null; rc=$?
  [ $rc -eq 0 ] && [ -f "$tmp/run/model.safetensors" ] && [ $done_kills -ge "$kills" ] && break
  if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
    # killed before the first checkpoint: start over (nothing to resume yet)
    if grep -q "no checkpoint\|cannot open" "$tmp/err"; then started=0; rm -rf "$tmp/run"; continue; fi
    echo "kill: a resume failed (rc $rc): $(head -c 300 "$tmp/err")"; exit 1
  fi
done
left=$(find "$tmp/run" -name '*.tmp.*' | wc -l)
if cmp -s "$tmp/ref/model.safetensors" "$tmp/run/model.safetensors"; then same=identical; else same=DIFFERENT; fi
echo "kill -9: $done_kills random kills ($after_ckpt after the first checkpoint; the run takes ${seconds}s uninterrupted), final model $same to the uninterrupted run's, $left temporaries left"

# 3. kills inside the checkpoint write
# where_to_kill KIND TRACE FIRST: "SYSCALL N" — the Nth SYSCALL of the traced process at KIND's place in its
# checkpoint write number FIRST or FIRST+1 (chosen at random; the last there is when fewer), or nothing when the
# process wrote fewer than FIRST checkpoints
where_to_kill() {
  awk -v kind="$1" -v first="$3" -v pick=$(($3 + RANDOM % 2)) -v r=$RANDOM '
    NR == 1 { main = $1 } $1 != main { next }
    { call = $2; sub(/\(.*/, "", call); n[call]++ }
    call == "openat" && /checkpoint\.safetensors\.tmp\./ && !/= -1/ { fd = $NF; k++; nw = 0; inside = 1; next }
    inside && call == "write" && $2 ~ "^write\\(" fd "," { w[++nw] = n["write"] }
    inside && call == "fsync" && $2 ~ "^fsync\\(" fd "\\)" { fs = n["fsync"] }
    inside && call == "rename" { rn = n["rename"]; inside = 0; after = 1; next }
    after && call == "fsync" {
      after = 0
      if (k < first) next
      if (kind == "write") { c = "write " w[1 + r % nw] } else if (kind == "fsync") { c = "fsync " fs }
      else if (kind == "rename") { c = "rename " rn } else { c = "fsync " n["fsync"] }
      if (k == pick) { print c; done = 1; exit }
    }
    END { if (!done && c != "") print c }' "$2"
}
if command -v strace >/dev/null; then
  kinds=(write fsync rename dirsync); rm -rf "$tmp/run"; inside=0; with_tmp=0; placed=""
  for i in $(seq 0 9); do
    kind=${kinds[i % 4]}
    if [ $i -eq 0 ]; then cmd=("$CLLM" train "${args[@]}" --out); else cmd=("$CLLM" train --resume --out); fi
    rm -rf "$tmp/dry"; [ -d "$tmp/run" ] && cp -a "$tmp/run" "$tmp/dry"   # "dry" and "run": names of one length
    nice strace -f -qq -o "$tmp/trace" -e trace=openat,write,fsync,rename "${cmd[@]}" "$tmp/dry" >/dev/null 2>&1
    # a fresh run is killed in its second checkpoint write or later: before the first there is nothing to resume
    read -r call n < <(where_to_kill "$kind" "$tmp/trace" $((i == 0 ? 2 : 1)))
    [ -n "${call:-}" ] || break
    nice strace -f -qq -o /dev/null -e trace="$call" -e inject="$call":signal=KILL:when="$n" "${cmd[@]}" "$tmp/run" \
      >/dev/null 2>"$tmp/err" & pid=$!
    wait $pid 2>/dev/null; rc=$?
    [ $rc -eq 137 ] && inside=$((inside + 1))
    ls "$tmp"/run/checkpoint.safetensors.tmp.* >/dev/null 2>&1 && with_tmp=$((with_tmp + 1))
    placed="$placed $kind"
  done
  nice "$CLLM" train --resume --out "$tmp/run" >/dev/null 2>"$tmp/err"; rc=$?
  left=$(find "$tmp/run" -name '*.tmp.*' | wc -l)
  if cmp -s "$tmp/ref/model.safetensors" "$tmp/run/model.safetensors"; then same=identical; else same=DIFFERENT; fi
  echo "kill -9 inside the checkpoint write: $inside of 10 kills landed (at:$placed; $with_tmp left a checkpoint temporary behind), final resume exit $rc, final model $same to the uninterrupted run's, $left temporaries left"
else
  echo "kill -9 inside the checkpoint write: skipped (needs strace)"
fi

nice "$CLLM" train "${args[@]}" --out "$tmp/stop" --stop-at 10 >/dev/null 2>&1

# 4. read-only run directory
mkdir -p "$tmp/ro"
if mount -t tmpfs -o size=16m tmpfs "$tmp/ro" 2>/dev/null; then
  cp -a "$tmp/stop/." "$tmp/ro/" && mount -o remount,ro "$tmp/ro"; how="a read-only tmpfs"
else
  cp -a "$tmp/stop/." "$tmp/ro/" && chmod -R a-w "$tmp/ro"; how="chmod -R a-w"
fi
nice "$CLLM" train --out "$tmp/ro" --resume >/dev/null 2>"$tmp/err"; rc=$?
if cmp -s "$tmp/stop/checkpoint.safetensors" "$tmp/ro/checkpoint.safetensors"; then kept=kept; else kept=CHANGED; fi
echo "read-only run directory ($how): exit $rc, $(grep -c . "$tmp/err") stderr line(s): '$(head -1 "$tmp/err")'; step-10 checkpoint $kept"
umount "$tmp/ro" 2>/dev/null || chmod -R u+w "$tmp/ro"

# 2. disk full
if ! mkdir -p "$tmp/full" || ! mount -t tmpfs -o size=4m tmpfs "$tmp/full" 2>/dev/null; then
  echo "disk full: skipped (mounting a tmpfs needs root)"; exit 0
fi
umount "$tmp/full"
used=$(du -sk "$tmp/stop" | cut -f1)
mount -t tmpfs -o size=$((used + 24))k tmpfs "$tmp/full"
cp -a "$tmp/stop/." "$tmp/full/"
cp "$tmp/full/checkpoint.safetensors" "$tmp/ckpt-before"
nice "$CLLM" train --out "$tmp/full" --resume >/dev/null 2>"$tmp/err"; rc=$?
errors=$(grep -c "error" "$tmp/err")
if cmp -s "$tmp/ckpt-before" "$tmp/full/checkpoint.safetensors"; then kept=kept; else kept=CHANGED; fi
left=$(find "$tmp/full" -name '*.tmp.*' | wc -l)
echo "disk full: exit $rc, $errors error line(s): '$(grep error "$tmp/err" | head -1)'; step-10 checkpoint $kept, $left temporaries left"
