#!/usr/bin/env bash
# tokenizer_vs_sentencepiece.sh — our byte-level BPE against SentencePiece BPE (the Debian `sentencepiece` CLI):
# training time, encoding throughput and bytes per token, at each vocabulary size.
#
#   bench/tokenizer_vs_sentencepiece.sh TRAIN.txt VAL.txt [OUTDIR]      (env: CLLM, SIZES, REPS, SPM_THREADS)
#
# Runs each training once (ours, then SentencePiece) and each encoding REPS times interleaved (ours 1 thread,
# ours 2 threads, SentencePiece, again ...), reporting medians of wall-clock times of the whole commands (model
# loading and printing ids included for both). Throughput is measured encoding TRAIN (bigger, so less noise);
# bytes/token on VAL. SentencePiece reads line by line and never encodes the newlines, while we spend a token on
# each; the "spm+nl" column charges it one token per line to compare like with like.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 TRAIN.txt VAL.txt [OUTDIR]" >&2; exit 2; }
train=$1 val=$2 out=${3:-$(mktemp -d)}
CLLM=${CLLM:-build/cllm}
SIZES=${SIZES:-"4096 16384"}
REPS=${REPS:-3}
SPM_THREADS=${SPM_THREADS:-2}
mkdir -p "$out"
for f in "$train" "$val"; do [ -r "$f" ] || { echo "cannot read $f" >&2; exit 2; }; done
command -v spm_train > /dev/null || { echo "spm_train not found (apt-get install sentencepiece)" >&2; exit 2; }

# timed OUTVAR cmd...: runs cmd (stdin/stdout as given), sets OUTVAR to "wall cpu" seconds (cpu = user + sys)
timed() {
  local var=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$@"
  printf -v "$var" '%s' "$(awk '{ printf "%.2f %.2f", $1, $2 + $3 }' "$out/time.txt")"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s / 1e6 }'; }

train_bytes=$(wc -c < "$train")
val_bytes=$(wc -c < "$val")
val_lines=$(wc -l < "$val")
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) threads; train $train_bytes bytes, val $val_bytes bytes ($val_lines lines)"
echo "| vocab | tool | train s (wall cpu) | encode MB/s (1 thr) | encode MB/s (2 thr) | val tokens | bytes/token | bytes/token spm+nl |"
echo "|---|---|---|---|---|---|---|---|"
for V in $SIZES; do
  timed cllm_train "$CLLM" tokenizer train --vocab-size "$V" --out "$out/cllm_$V.json" "$train" 2> "$out/cllm_train_$V.log"
  timed spm_train_s spm_train --input="$train" --model_prefix="$out/spm_$V" --vocab_size="$V" --model_type=bpe --byte_fallback=true \
    --character_coverage=0.9995 --normalization_rule_name=identity --remove_extra_whitespaces=false \
    --max_sentence_length=16384 --num_threads="$SPM_THREADS" > "$out/spm_train_$V.log" 2>&1

  c1="" c2="" s1=""
  for rep in $(seq "$REPS"); do
    timed t "$CLLM" tokenizer encode --tokenizer "$out/cllm_$V.json" --threads 1 < "$train" > /dev/null
    c1="$c1 ${t% *}"
    timed t "$CLLM" tokenizer encode --tokenizer "$out/cllm_$V.json" --threads 2 < "$train" > /dev/null
    c2="$c2 ${t% *}"
    timed t spm_encode --model="$out/spm_$V.model" --output_format=id < "$train" > /dev/null
    s1="$s1 ${t% *}"
  done
  echo "encode seconds (V=$V): cllm 1 thread:$c1; cllm 2 threads:$c2; spm:$s1" >&2
  "$CLLM" tokenizer encode --tokenizer "$out/cllm_$V.json" --stats < "$val" > "$out/cllm_val_$V.ids" 2> "$out/cllm_val_$V.log"
  spm_encode --model="$out/spm_$V.model" --output_format=id < "$val" > "$out/spm_val_$V.ids"
  ct=$(wc -w < "$out/cllm_val_$V.ids") st=$(wc -w < "$out/spm_val_$V.ids")
  bpt() { awk -v b="$val_bytes" -v t="$1" 'BEGIN { printf "%.3f", b / t }'; }
  echo "| $V | cllm | $cllm_train | $(mbps "$train_bytes" "$(echo "$c1" | median)") | $(mbps "$train_bytes" "$(echo "$c2" | median)") | $ct | $(bpt "$ct") | |"
  echo "| $V | spm | $spm_train_s | $(mbps "$train_bytes" "$(echo "$s1" | median)") | (no threads) | $st | $(bpt "$st") | $(bpt $((st + val_lines))) |"
done
