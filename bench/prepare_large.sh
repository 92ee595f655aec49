#!/usr/bin/env bash
# prepare_large.sh [SIZE_MIB] [SOURCE_TEXT] — `cllm prepare` on a generated corpus larger than its memory use.
#
# Builds SIZE_MIB (default 1024) of text in a temporary directory: 64 files made by repeating SOURCE_TEXT
# (default corpus/fallback.txt; the Brown train.txt from scripts/fetch-brown.sh is a better one) plus one
# file that is a single 16 MiB line; runs `cllm prepare --tokenizer byte` on it under /usr/bin/time, then
# `cllm prepare --verify` on the shards; prints wall time, peak RSS and throughput of each, and removes
# everything. Needs about 3 x SIZE_MIB of free disk in $TMPDIR (corpus + 2-byte shards).
# Uses $CLLM as the binary (default build/cllm); OMP_NUM_THREADS picks the encoding threads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size_mib=${1:-1024}
src=${2:-$root/corpus/fallback.txt}
cllm=${CLLM:-$root/build/cllm}
[ -x "$cllm" ] || { echo "prepare_large: no cllm at $cllm (make first)" >&2; exit 1; }
[ -s "$src" ] || { echo "prepare_large: no source text $src" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "prepare_large: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/corpus"

# a 1 MiB block of the source text, repeated
block=$tmp/block
while [ "$(stat -c %s "$block" 2>/dev/null || echo 0)" -lt 1048576 ]; do cat "$src" >>"$block"; done
head -c 1048576 "$block" >"$block.1m"
files=64
per_file=$(((size_mib - 16) / files))
for i in $(seq -w 1 $files); do
  for _ in $(seq 1 $per_file); do cat "$block.1m"; done >"$tmp/corpus/part$i.txt"
done
head -c $((16 << 20)) /dev/zero | tr '\0' 'a' >"$tmp/corpus/one-line.txt"
bytes=$(du -cb "$tmp"/corpus/* | tail -1 | cut -f1)

measure() {  # label, command... → "label: S s, RSS K KiB"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
  read -r secs rss <"$tmp/time"
  echo "$label: ${secs} s wall, peak RSS ${rss} KiB, $(awk -v b="$bytes" -v s="$secs" 'BEGIN{printf "%.0f", b/1e6/s}') MB/s"
}

echo "corpus: $bytes bytes in $files files + one 16 MiB line; machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
measure "prepare" "$cllm" prepare --tokenizer byte --out "$tmp/shards" --val-fraction 0.05 "$tmp/corpus"
sed 's/^/  /' "$tmp/out"
measure "verify " "$cllm" prepare --verify "$tmp/shards"
sed 's/^/  /' "$tmp/out"
echo "shards: $(du -sb "$tmp/shards" | cut -f1) bytes"
