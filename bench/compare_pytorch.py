"""compare_pytorch.py — the PyTorch side of bench/compare_pytorch: GPT-2 training steps, timed as `cllm bench`
times them.

The model is CLLM's architecture written in PyTorch the way nanoGPT writes GPT-2: token + learned position
embeddings; blocks of LayerNorm (eps 1e-5) -> causal self-attention (fused qkv, scale 1/sqrt(head size)) ->
projection -> residual -> LayerNorm -> MLP C->4C, GELU (tanh) -> 4C->C -> residual; final LayerNorm; LM head tied
to the token embedding. All fp32. A step is what `cllm bench` times: zero the gradients, forward with the mean
cross-entropy, backward, clip the global norm to 1, AdamW (betas 0.9/0.95, eps 1e-8, decay 0.1 on matrices).

    python3 bench/compare_pytorch.py --config tiny --threads 2 --batch 8 --steps 20
prints a summary on stderr and one JSON line {"tokens_per_s", "ms_per_step"} (median step) on stdout.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# the presets of cllm_config_preset (vocabulary 4096 unless given)
PRESETS = {"tiny": dict(n_layer=4, n_embd=256, n_head=4, n_ctx=256),
           "small": dict(n_layer=6, n_embd=384, n_head=6, n_ctx=256),
           "gpt2": dict(n_layer=12, n_embd=768, n_head=12, n_ctx=1024)}  # GPT-2 124M (vocabulary 50257)


class SelfAttention(nn.Module):
    """Causal multi-head attention over a fused q|k|v projection."""

    def __init__(self, n_embd, n_head, n_ctx):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.register_buffer("future", torch.triu(torch.ones(n_ctx, n_ctx, dtype=torch.bool), diagonal=1))

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.qkv(x).split(C, dim=2)
        # [B, T, C] -> [B, NH, T, hs]
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = F.softmax(scores.masked_fill(self.future[:T, :T], float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, n_ctx):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd, eps=1e-5)
        self.attn = SelfAttention(n_embd, n_head, n_ctx)
        self.ln2 = nn.LayerNorm(n_embd, eps=1e-5)
        self.fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU(approximate="tanh")
        self.fcproj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fcproj(self.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, n_layer, n_embd, n_head, n_ctx, vocab_size):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(n_ctx, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, n_ctx) for _ in range(n_layer))
        self.lnf = nn.LayerNorm(n_embd, eps=1e-5)
        # GPT-2 initialisation: normal(0, 0.02), residual projections scaled by 1/sqrt(2L), biases 0
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(("proj.weight", "fcproj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.lnf(x) @ self.wte.weight.t()  # the head is the token embedding
        return F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))


def make_optimizer(model):
    """AdamW with decay on the matrices only (the embeddings included, as nanoGPT and cllm do)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    try:  # the multi-tensor path is the faster one where this torch has it
        return torch.optim.AdamW(groups, lr=3e-4, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    except TypeError:
        return torch.optim.AdamW(groups, lr=3e-4, betas=(0.9, 0.95), eps=1e-8)


def train_step(model, opt, x, y, bf16):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):  # mixed precision: fp32 weights, bf16 matmuls
        loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


def main():
    ap = argparse.ArgumentParser(description="Time GPT-2 training steps in PyTorch (the baseline of cllm bench).")
    ap.add_argument("--config", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--context", type=int, default=0, help="sequence length (default: the preset's)")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: torch.autocast('cpu', torch.bfloat16) around the forward")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = dict(PRESETS[args.config])
    if args.context:
        cfg["n_ctx"] = args.context
    model = GPT(vocab_size=args.vocab_size, **cfg)
    opt = make_optimizer(model)
    B, T, V = args.batch, cfg["n_ctx"], args.vocab_size
    warmup, times, loss = 2, [], 0.0
    for step in range(-warmup, args.steps):
        x = torch.randint(0, V, (B, T))
        y = torch.randint(0, V, (B, T))
        t0 = time.perf_counter()
        loss = train_step(model, opt, x, y, args.precision == "bf16")
        if step >= 0:
            times.append(time.perf_counter() - t0)
    step_s = statistics.median(times)
    n_params = sum(p.numel() for p in model.parameters())
    print("pytorch %s %s: %d parameters, %d threads, batch %dx%d, median step %.1f ms, %.0f tokens/s, last loss %.3f"
          % (torch.__version__, args.precision, n_params, torch.get_num_threads(), B, T, step_s * 1e3, B * T / step_s,
             loss),
          file=sys.stderr)
    print(json.dumps({"tokens_per_s": round(B * T / step_s, 1), "ms_per_step": round(step_s * 1e3, 3)}))


if __name__ == "__main__":
    main()
