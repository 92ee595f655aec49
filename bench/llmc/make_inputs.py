"""make_inputs.py — a randomly initialised GPT-2 checkpoint and a file of random tokens in llm.c's formats.

    python3 bench/llmc/make_inputs.py --config tiny --batch 8 --steps 8 --out DIR

writes DIR/model_<config>.bin and DIR/tokens_<config>_b<B>.bin for llm.c's train_gpt2.c:
- checkpoint (gpt2_build_from_checkpoint): 256 int32 header [20240326, 3, maxT, V, L, NH, C, Vp, 0...], then the
  fp32 parameters in llm.c's order wte (Vp,C), wpe (maxT,C), ln1w, ln1b (L,C), qkvw (L,3C,C), qkvb (L,3C),
  attprojw (L,C,C), attprojb, ln2w, ln2b (L,C), fcw (L,4C,C), fcb (L,4C), fcprojw (L,C,4C), fcprojb (L,C),
  lnfw, lnfb (C). Vp is V rounded up to a multiple of 128, as llm.c pads it; the padded wte rows are zero.
  Initialisation as GPT-2/nanoGPT: weights N(0, 0.02), the two residual projections N(0, 0.02/sqrt(2L)), biases
  0, LayerNorm weights 1 — the same distribution `cllm bench` starts from (the values do not change the timing).
- tokens (dataloader.h): 256 int32 header [20240520, 1, ntok, 0...], then ntok uint16 tokens uniform in [0, V),
  enough for every step to read a fresh batch (B*T + 1 tokens each).
Configs are cllm's presets (src/cllm/model/config.c), vocabulary 4096 as in `cllm bench`.
"""
import argparse
import os
import sys

import numpy as np

CONFIGS = {  # name: (L, NH, C, maxT)
    "tiny": (4, 4, 256, 256),
    "small": (6, 6, 384, 256),
}
VOCAB = 4096


def die(msg):
    print("make_inputs: error: " + msg, file=sys.stderr)
    sys.exit(2)


def write_checkpoint(path, L, NH, C, maxT, V, rng):
    Vp = (V + 127) // 128 * 128
    header = np.zeros(256, dtype=np.int32)
    header[:8] = [20240326, 3, maxT, V, L, NH, C, Vp]
    std, proj_std = 0.02, 0.02 / np.sqrt(2 * L)

    def normal(shape, s):
        return rng.normal(0.0, s, size=shape).astype(np.float32)

    wte = np.zeros((Vp, C), dtype=np.float32)
    wte[:V] = normal((V, C), std)
    ones, zeros = np.ones((L, C), np.float32), np.zeros((L, C), np.float32)
    tensors = [
        wte, normal((maxT, C), std),
        ones, zeros,                                            # ln1w, ln1b
        normal((L, 3 * C, C), std), np.zeros((L, 3 * C), np.float32),
        normal((L, C, C), proj_std), zeros,                     # attprojw, attprojb
        ones, zeros,                                            # ln2w, ln2b
        normal((L, 4 * C, C), std), np.zeros((L, 4 * C), np.float32),
        normal((L, C, 4 * C), proj_std), zeros,                 # fcprojw, fcprojb
        np.ones(C, np.float32), np.zeros(C, np.float32),        # lnfw, lnfb
    ]
    with open(path, "wb") as f:
        header.tofile(f)
        for t in tensors:
            t.tofile(f)


def write_tokens(path, ntok, V, rng):
    header = np.zeros(256, dtype=np.int32)
    header[:3] = [20240520, 1, ntok]
    with open(path, "wb") as f:
        header.tofile(f)
        rng.integers(0, V, size=ntok, dtype=np.uint16).tofile(f)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="tiny")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.config not in CONFIGS:
        die("--config must be one of %s, got '%s'" % ("|".join(CONFIGS), a.config))
    if a.batch < 1 or a.steps < 1:
        die("--batch and --steps must be positive")
    L, NH, C, maxT = CONFIGS[a.config]
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    model = os.path.join(a.out, "model_%s.bin" % a.config)
    write_checkpoint(model, L, NH, C, maxT, VOCAB, rng)
    tokens = os.path.join(a.out, "tokens_%s_b%d.bin" % (a.config, a.batch))
    write_tokens(tokens, a.steps * a.batch * maxT + 1, VOCAB, rng)
    print(model)
    print(tokens)


if __name__ == "__main__":
    main()
