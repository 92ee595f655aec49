#!/usr/bin/env bash
# Installs the Debian packages crystalline needs; installs nothing that is already there.
#   scripts/install-deps.sh          build + test
#   scripts/install-deps.sh --bench  also what bench/ compares against (PyTorch, SentencePiece, hyperfine, OpenBLAS)
set -euo pipefail
pkgs=(gcc g++ libc6-dev make pkg-config libcmocka-dev libutf8proc-dev libprimesieve-dev primesieve libflint-dev
      libjansson-dev libcairo2-dev fplll-tools python3 python3-numpy libopenmpi-dev openmpi-bin
      libgtk-4-dev xvfb xauth)  # the app (make app) and its tests, run headless under Xvfb
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(python3-torch sentencepiece python3-sentencepiece hyperfine libopenblas-dev clang libomp-14-dev valgrind)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" || {
  $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; }
