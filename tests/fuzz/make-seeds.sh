#!/usr/bin/env bash
# Seeds for the fuzz harnesses, made by the real CLI: `tests/fuzz/make-seeds.sh OUT_DIR` writes OUT_DIR/NAME/*
# for every harness tests/fuzz/fuzz_NAME.c. Needs a built cllm ($CLLM, default build/cllm).
# Without OUT_DIR (as `make test` runs it) the seeds go to a temporary folder and every harness's replay driver
# reads them: files the CLI writes must load, so the seeds keep the harnesses (and this script) honest.
set -euo pipefail
CLLM=${CLLM:-${BUILD:-build}/cllm}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out=${1:-$work/seeds}
mkdir -p "$out"/{safetensors,modelfile,checkpoint,tokenizer_json,gpt2_import,shards,text_input,brown,args}

head -c 20000 corpus/fallback.txt > "$work/train.txt"
printf '{"text": "One small document.\\n"}\n{"text": "Another, with \\u00e9 and \\ud83d\\ude00."}\nnot json\n' \
  > "$work/docs.jsonl"
"$CLLM" tokenizer train --vocab-size 300 --out "$work/tok.json" "$work/train.txt" >/dev/null
"$CLLM" tokenizer export --tokenizer "$work/tok.json" --out-dir "$work/gpt2" >/dev/null
"$CLLM" train --data "$work/train.txt" --out "$work/run" --tokenizer "$work/tok.json" --layers 1 --dim 8 \
  --heads 2 --context 8 --steps 2 --batch 2 --ckpt-every 1 --val-every 1 --val-batches 1 --threads 1 >/dev/null 2>&1
"$CLLM" prepare --tokenizer "$work/tok.json" --out "$work/shards" "$work/train.txt" >/dev/null 2>&1

cp "$work/tok.json" "$out/tokenizer_json/ours.json"
printf '{"type": "byte"}' > "$out/tokenizer_json/byte.json"
{ cat "$work/gpt2/vocab.json"; printf '\0'; cat "$work/gpt2/merges.txt"; } > "$out/gpt2_import/ours"
cp "$work/run/model.safetensors" "$out/modelfile/tiny.safetensors"
cp "$work/run/model.safetensors" "$out/safetensors/tiny.safetensors"
cp "$work/run/checkpoint.safetensors" "$out/checkpoint/tiny.safetensors"
cp "$work/run/checkpoint.safetensors" "$out/safetensors/checkpoint.safetensors"
cp "$(ls "$work"/shards/train-*.bin | head -1)" "$out/shards/train.bin"
cp "$work/docs.jsonl" "$out/text_input/docs.jsonl"                 # first byte '{' is odd: read as JSONL
{ printf 'Text\n\n'; head -c 4000 "$work/train.txt"; } > "$out/text_input/text.txt"  # 'T' even: plain text
printf 'The/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd ``/`` no/at evidence/nn '"''"'/'"''"' ./.\n\n\tIt/pps recommended/vbd (/( that/cs )/) ;/.\n' \
  > "$out/brown/ca01"
printf -- '--steps\0001000\0--lr=3e-4\0--data\0a.txt\0b/\0--resume\0--out\0run\0-\0--\0--seed\0' > "$out/args/train"
printf -- '--help' > "$out/args/help"
if [ $# -eq 0 ]; then
  for h in tests/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c); name=${name#fuzz_}
    [ -n "$(ls "$out/$name")" ] || { echo "no seeds for $name"; exit 1; }
    FUZZ_EXPECT_OK=1 "${BUILD:-build}/tests/fuzz/replay_$name" "$out/$name" 2>/dev/null | sed "s/^/$name: /"
  done
fi
