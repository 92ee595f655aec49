#!/usr/bin/env bash
# A safetensors file written by an independent numpy writer with Hugging Face GPT-2 names (transformer. prefix,
# attn.bias buffers, tied lm_head) is accepted by `cllm generate` and `cllm train --init`.
set -euo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
. "$(dirname "$0")/../support/lib.sh"

# vocabulary 256: with no tokenizer in the file, cllm uses bytes
"$PYTHON" tests/support/gpt2_np.py write "$tmp/hf.safetensors" "$tmp/hf.raw" 2 64 4 32 256
"$CLLM" info --model "$tmp/hf.safetensors" | grep -q "n_layer 2  n_head 4  n_embd 64  n_positions 32  vocab_size 256" \
  || fail "info: $("$CLLM" info --model "$tmp/hf.safetensors")"
out=$("$CLLM" generate --model "$tmp/hf.safetensors" --prompt "abc" --max-tokens 8 --seed 1) || fail "generate"
[ "${out:0:3}" = "abc" ] || fail "generate did not echo the prompt"

for i in $(seq 1 20); do echo "fine-tuning text number $i, with some words in it." >"$tmp/doc$i.txt"; done
"$CLLM" train --init "$tmp/hf.safetensors" --data "$tmp" --out "$tmp/ft" --steps 4 --batch 2 --threads 2 \
  2>"$tmp/err" || { cat "$tmp/err"; fail "train --init"; }
"$CLLM" info --model "$tmp/ft/model.safetensors" | grep -q "n_embd 64" || fail "fine-tuned model config"
"$PYTHON" - "$tmp/hf.safetensors" "$tmp/ft/model.safetensors" <<'PY' || fail "fine-tuning did not start from the file"
import sys
sys.path.insert(0, "tests/support")
import numpy as np, safetensors_np as st
a, _ = st.load(sys.argv[1]); b, _ = st.load(sys.argv[2])
w0, w1 = a["transformer.h.0.mlp.c_fc.weight"], b["h.0.mlp.c_fc.weight"]
assert w0.shape == w1.shape and not np.array_equal(w0, w1), "weights did not move"
assert np.abs(w1 - w0).max() < 0.1, "weights are not the init's: %g" % np.abs(w1 - w0).max()
PY
echo ok
