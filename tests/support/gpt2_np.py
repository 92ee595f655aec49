"""gpt2_np - an independent check of cllm's model files against GPT-2's conventions, with numpy only.

    python3 gpt2_np.py check FILE     verify names, shapes and the fill pattern test_modelfile writes
    python3 gpt2_np.py write FILE RAW L C H T V
                                      write a random GPT-2 model as Hugging Face names it (transformer. prefix,
                                      attn.bias buffers, tied lm_head.weight) and the expected parameters, in
                                      cllm's arena order, as raw little-endian float32 to RAW

GPT-2's names and shapes (Conv1D weights stored [in, out]) are spelled out here from the GPT-2 layout, not taken
from cllm's code.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_np as st  # noqa: E402


def gpt2_tensors(L, C, T, V):
    """(name, shape) in the order cllm's arena holds them: embeddings, each kind across all layers, ln_f."""
    per_layer = [("ln_1.weight", (C,)), ("ln_1.bias", (C,)), ("attn.c_attn.weight", (C, 3 * C)),
                 ("attn.c_attn.bias", (3 * C,)), ("attn.c_proj.weight", (C, C)), ("attn.c_proj.bias", (C,)),
                 ("ln_2.weight", (C,)), ("ln_2.bias", (C,)), ("mlp.c_fc.weight", (C, 4 * C)),
                 ("mlp.c_fc.bias", (4 * C,)), ("mlp.c_proj.weight", (4 * C, C)), ("mlp.c_proj.bias", (C,))]
    out = [("wte.weight", (V, C)), ("wpe.weight", (T, C))]
    for suffix, shape in per_layer:
        out += [("h.%d.%s" % (i, suffix), shape) for i in range(L)]
    return out + [("ln_f.weight", (C,)), ("ln_f.bias", (C,))]


def check(path):
    tensors, meta = st.load(path)
    L, C, T, V = (int(meta[k]) for k in ("n_layer", "n_embd", "n_positions", "vocab_size"))
    expected = gpt2_tensors(L, C, T, V)
    assert set(tensors) == {n for n, _ in expected}, "names differ: %s" % sorted(set(tensors) ^ {n for n, _ in expected})
    offset = 0
    for name, shape in expected:
        t = tensors[name]
        assert t.dtype == np.float32, "%s: dtype %s" % (name, t.dtype)
        assert t.shape == shape, "%s: shape %s, GPT-2 has %s" % (name, t.shape, shape)
        # test_modelfile fills element i of the arena with fill(i)
        idx = np.arange(offset, offset + t.size, dtype=np.float64)
        want = (np.sin(idx * 0.001) * 0.5).astype(np.float32).reshape(shape)
        assert np.array_equal(t, want), "%s: values differ" % name
        offset += t.size
    assert "tokenizer" in meta, "no tokenizer in __metadata__"
    print("ok: %d tensors, %d parameters" % (len(expected), offset))


def write(path, raw, L, C, H, T, V):
    rng = np.random.default_rng(5)
    tensors, flat = {}, []
    for name, shape in gpt2_tensors(L, C, T, V):
        a = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
            a += 1
        tensors["transformer." + name] = a
        flat.append(a.ravel())
    for i in range(L):  # the causal-mask buffer Hugging Face saves
        tensors["transformer.h.%d.attn.bias" % i] = np.tril(np.ones((1, 1, T, T), np.float32))
    tensors["lm_head.weight"] = tensors["transformer.wte.weight"]
    st.save(path, tensors, {"format": "pt", "n_head": str(H)})
    np.concatenate(flat).astype("<f4").tofile(raw)


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        write(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:9]))
