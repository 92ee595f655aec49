#!/usr/bin/env bash
# hyper_prime_spiral under Xvfb: every tab renders a non-blank PNG of the window; the spiral view exports as PNG
# and SVG; the calculator answers and rejects bad input in the window; a corrupt model or run directory shows an
# error in the window (exit 0, no crash); a scripted training run through the app's trainer tab shows a falling
# curve while the main loop's frame gaps stay under 50 ms (95th percentile, see below); paused and resumed, it ends with the
# same weights.
set -euo pipefail
BUILD=${BUILD:-build}
APP=${APP:-$([ "$BUILD" = build ] && echo app/hyper_prime_spiral || echo "$BUILD/hyper_prime_spiral")}
PNGSTAT=${PNGSTAT:-$BUILD/tests/app/pngstat}
. "$(dirname "$0")/../support/lib.sh"
command -v xvfb-run >/dev/null || fail "xvfb-run is missing (scripts/install-deps.sh installs xvfb)"
# Xvfb has no GPU: draw with cairo, and do not even probe GL (mesa's driver probe leaks 128 bytes from a module it
# unloads again, which LeakSanitizer cannot attribute in make test SANITIZE=1)
export GSK_RENDERER=${GSK_RENDERER:-cairo} GDK_DEBUG=${GDK_DEBUG:-gl-disable} NO_AT_BRIDGE=1 GTK_A11Y=none

shot() {  # name tab args... : screenshot into $tmp/name.png, stdout into $tmp/name.out
  local name=$1 tab=$2; shift 2
  xvfb-run -a -s "-screen 0 1280x1024x24" "$APP" --screenshot "$tab" --out "$tmp/$name.png" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" || { cat "$tmp/$name.out" "$tmp/$name.err"; fail "$name: exit $?"; }
  read -r w h colours ink < <("$PNGSTAT" "$tmp/$name.png") || fail "$name: unreadable PNG"
  [ "$w" -ge 600 ] && [ "$h" -ge 400 ] || fail "$name: ${w}x$h"
  awk -v c="$colours" -v i="$ink" 'BEGIN { exit !(c >= 50 && i >= 0.03) }' || fail "$name looks blank: $colours colours, ink $i"
  echo "$name: ${w}x$h, $colours colours, ink $ink"
}

# a tiny model to open
cat_text "$tmp/text" 40
"$CLLM" train --data "$tmp/text" --out "$tmp/run" --layers 1 --dim 32 --heads 2 --context 32 --batch 2 --lr 3e-3 \
  --val-every 5 --val-batches 2 --threads 2 --steps 20 2>/dev/null

shot spirals spirals --points 1000000 --export "$tmp/view.svg"
grep -q "1000000 points, 78498 primes" "$tmp/spirals.out" || fail "spirals: $(cat "$tmp/spirals.out")"
grep -q "exported .* view to $tmp/view.svg" "$tmp/spirals.out" || fail "no SVG export"
head -c 200 "$tmp/view.svg" | grep -q "<svg" || fail "the export is not SVG"
shot golden spirals --kind golden --points 20000 --export "$tmp/view.png"
"$PNGSTAT" "$tmp/view.png" >/dev/null || fail "the PNG export is unreadable"

shot calc calculator --calc 600851475143
grep -q "factorisation *71 × 839 × 1471 × 6857" "$tmp/calc.out" || fail "factorisation: $(cat "$tmp/calc.out")"
grep -q "next prime *600851475149" "$tmp/calc.out" || fail "next prime"
shot calc_bad calculator --calc 18446744073709551616
grep -q "calculator: error: 20 digits is more than 64 bits" "$tmp/calc_bad.out" || fail "big input: $(cat "$tmp/calc_bad.out")"
shot calc_text calculator --calc "12a"
grep -q "calculator: error: '12a' is not a whole number" "$tmp/calc_text.out" || fail "text input"

shot model model --model "$tmp/run/model.safetensors"
grep -q "model: lattice analysis done" "$tmp/model.out" || fail "model: $(cat "$tmp/model.out")"
shot chat chat --model "$tmp/run/model.safetensors" --prompt "the cat"
grep -q "chat: [0-9]* tokens; [0-9]* in context" "$tmp/chat.out" || fail "chat: $(cat "$tmp/chat.out")"
shot bench bench --bench
grep -q "bench: training: [0-9]* tokens/s, .* GFLOP/s, MFU" "$tmp/bench.out" || fail "bench: $(cat "$tmp/bench.out")"

# corrupt inputs: an error in the window, never a crash
head -c 3000 "$tmp/run/model.safetensors" >"$tmp/cut.safetensors"
shot corrupt_model model --model "$tmp/cut.safetensors"
grep -q "model: error: .*cut.safetensors" "$tmp/corrupt_model.out" || fail "corrupt model: $(cat "$tmp/corrupt_model.out")"
shot corrupt_chat chat --model /dev/null
grep -q "chat: error:" "$tmp/corrupt_chat.out" || fail "chat with a bad model: $(cat "$tmp/corrupt_chat.out")"
# the scripted training run: the app's own trainer tab trains a tiny model; its curve falls; the window keeps drawing
shot training training --run "$tmp/app_run" --train-data "$tmp/text" --train-steps 1500
grep -q "training: done at step 1500: model and checkpoint saved" "$tmp/training.out" || fail "training: $(cat "$tmp/training.out")"
read -r first last < <(sed -n 's/^training: curve [0-9]* points, loss \([0-9.]*\) at step [0-9]* -> \([0-9.]*\) at step 1500$/\1 \2/p' "$tmp/training.out")
awk -v f="${first:-0}" -v l="${last:-9}" 'BEGIN { exit !(l < f - 1.0) }' || fail "the curve did not fall: ${first:-?} -> ${last:-?}"
[ -f "$tmp/app_run/model.safetensors" ] && [ -f "$tmp/app_run/checkpoint.safetensors" ] || fail "no files in the run"
# Frame gaps (multiples of the 16.7 ms frame clock): the 95th percentile while training must stay under 50 ms;
# on a machine so loaded that the idle window itself misses frames (the baseline measured just before training),
# it may exceed that baseline's p95 by at most one frame. No gap may reach 250 ms (a freeze) — 1000 ms in a
# sanitizer build, whose main loop runs several times slower (measured once: one 367 ms gap under ASan at load 9).
gaps=$(grep "frame gaps while training" "$tmp/training.out") || fail "no frame-gap measurement"
base=$(grep "frame gaps before training" "$tmp/training.out") || fail "no baseline measurement"
echo "$gaps"; echo "$base"
p95() { echo "$1" | sed 's/.*p95 \([0-9.]*\) ms.*/\1/'; }
max=$(echo "$gaps" | sed 's/.*max \([0-9.]*\) ms.*/\1/')
freeze=250; case "$BUILD" in *san*) freeze=1000 ;; esac
awk -v p="$(p95 "$gaps")" -v b="$(p95 "$base")" -v m="$max" -v f="$freeze" 'BEGIN { exit !((p < 50 || p <= b + 17) && m < f) }' \
  || fail "the window stalled while training: $gaps (idle: $base)"
# Pause (a checkpoint) and Resume through the tab's own buttons' code: the same weights as the straight run
shot paused training --run "$tmp/paused_run" --train-data "$tmp/text" --train-steps 1500 --pause-at 300
grep -q "training: paused at step [0-9]*: checkpoint saved" "$tmp/paused.out" || fail "no pause: $(cat "$tmp/paused.out")"
grep -q "training: resuming" "$tmp/paused.out" || fail "no resume"
grep -q "training: done at step 1500" "$tmp/paused.out" || fail "the resumed run did not finish"
cmp "$tmp/app_run/model.safetensors" "$tmp/paused_run/model.safetensors" || fail "pause/resume changed the weights"
# reopening the run shows its whole curve (the trainer's log, read back)
shot reopen training --run "$tmp/app_run"
grep -q "training: $tmp/app_run: 1500 training and [0-9]* validation points, last step 1500" "$tmp/reopen.out" \
  || fail "reopen: $(cat "$tmp/reopen.out")"
mkdir "$tmp/bad_run"; printf '{"step":1,"loss":3}\n{"step":2,"loss":\n' >"$tmp/bad_run/log.jsonl"
shot bad_run training --run "$tmp/bad_run"
grep -q "training: error: .*log.jsonl: line 2" "$tmp/bad_run.out" || fail "corrupt run: $(cat "$tmp/bad_run.out")"
shot no_run training --run "$tmp/nothing_here"
grep -q "training: error: .*nothing_here/log.jsonl" "$tmp/no_run.out" || fail "missing run: $(cat "$tmp/no_run.out")"
echo "app: ok"
