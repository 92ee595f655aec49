#!/usr/bin/env bash
# make demo — from a fresh clone: install what is missing, build, fetch the Brown corpus, train the tiny model for
# five minutes of wall time (DEMO_MINUTES to change) with cllm train's default recipe, the best measured
# (docs/speedrun.md: the same command as bench/speedrun.sh's runs), then print samples. Nothing is overwritten:
# each demo run gets its own folder under runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${DEMO_MINUTES:-5}

bash scripts/install-deps.sh
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get install -y --no-install-recommends npm || echo "demo: npm could not be installed"
fi
make -j"$(nproc)"

data=data/brown
if [ -f "$data/train.txt" ] || scripts/fetch-brown.sh "$data"; then
  inputs=(--data "$data/train" --val "$data/val")
  echo "demo: training on the Brown corpus ($data)"
else
  inputs=(--data corpus/fallback.txt)
  echo "demo: the Brown corpus could not be fetched; training on the shipped corpus/fallback.txt instead"
fi

run=runs/demo-$(date +%Y%m%d-%H%M%S)
mkdir -p runs
build/cllm train "${inputs[@]}" --out "$run" --minutes "$minutes"

echo
echo "demo: samples from $run/model.safetensors"
for prompt in "The" "He said that" "In the morning"; do
  echo "----"
  build/cllm generate --model "$run/model.safetensors" --prompt "$prompt" --max-tokens 80 --temperature 0.8 --seed 7
done
echo "----"
echo "demo: the run is in $run (log.jsonl has the loss curve); try: build/cllm chat --model $run/model.safetensors"
