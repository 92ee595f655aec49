#!/usr/bin/env python3
"""The alpha-beta model of data-parallel step time in docs/scaling.md.

    python3 bench/mpi/scaling_model.py ALLREDUCE.txt TINY_S_PER_TOKEN SMALL_S_PER_TOKEN GFLOPS_PER_CORE

ALLREDUCE.txt: the output of `mpirun -np 2 build-mpi/allreduce_bench` (fixed-order column); on loopback, alpha is
half the smallest message's time and beta the largest message's rate (t = 2(N-1)·alpha + 2(N-1)/N·bytes/beta). The *_S_PER_TOKEN
are one core's measured training seconds per token (`cllm bench --threads 1`); GPT-2 124M's is its FLOPs per token
(6·N + 12·L·C·T) over GFLOPS_PER_CORE (the rate `cllm bench` measured for small). Prints markdown tables.
"""
import sys

MODELS = {  # parameters (cllm_model_num_params), tokens per sequence
    "tiny": (4273664, 256),
    "small": (12318720, 256),
    "gpt2-124M": (124439808, 1024),
}
GPT2_FLOPS_PER_TOKEN = 6 * (124439808 - 1024 * 768) + 12 * 12 * 768 * 1024
NETWORK_ALPHA = 30e-6  # seconds per message over TCP on Ethernet (assumed, not measured here)
ROWS_PER_RANK = 8      # sequences per rank per step (the default --batch)
CORES_PER_RANK = 32    # a rank is one node of 32 cores at 32x the measured one-core rate (optimistic)


def fit(path):
    """alpha from the smallest message (all latency), beta from the largest (all bandwidth), at N = 2."""
    pts = []
    for line in open(path):
        f = line.split()
        if len(f) >= 4 and f[0].isdigit():
            pts.append((float(f[1]), float(f[2])))  # bytes, fixed-order seconds
    pts.sort()
    alpha = pts[0][1] / 2
    big_bytes, big_t = pts[-1]
    beta = big_bytes / (big_t - 2 * alpha)  # 2(N-1)/N = 1 at N = 2
    return alpha, beta, pts


def comm_s(params, n, alpha, beta):
    return 0.0 if n == 1 else 2 * (n - 1) * alpha + 2 * (n - 1) / n * 4 * params / beta


def main():
    alpha, beta, pts = fit(sys.argv[1])
    per_token = {"tiny": float(sys.argv[2]), "small": float(sys.argv[3]),
                 "gpt2-124M": GPT2_FLOPS_PER_TOKEN / (float(sys.argv[4]) * 1e9)}
    print(f"loopback, from {len(pts)} sizes: alpha = {alpha * 1e6:.2f} us, beta = {beta / 1e9:.2f} GB/s\n")
    print("Step time of one rank (compute, {} rows x T tokens, {} cores) and the gradient all-reduce:\n"
          .format(ROWS_PER_RANK, CORES_PER_RANK))
    ranks = [2, 4, 8, 16, 32, 64]
    for gbit in (10, 25, 100):
        bw = gbit * 1e9 / 8
        print(f"**{gbit} Gbit/s** (alpha {NETWORK_ALPHA * 1e6:.0f} us): efficiency = compute / (compute + all-reduce),"
              " no overlap\n")
        print("| model | compute s/step | " + " | ".join(f"N={n}" for n in ranks) + " |")
        print("|---|---|" + "---|" * len(ranks))
        for name, (params, T) in MODELS.items():
            comp = per_token[name] * ROWS_PER_RANK * T / CORES_PER_RANK
            cells = []
            for n in ranks:
                c = comm_s(params, n, NETWORK_ALPHA, bw)
                cells.append(f"{comp / (comp + c):.2f} ({c * 1e3:.0f} ms)")
            print(f"| {name} | {comp:.3f} | " + " | ".join(cells) + " |")
        print()
    print("Loopback (this machine), one core per rank, 2 ranks: predicted step = compute + all-reduce\n")
    print("| model | compute s/step (1 core) | all-reduce ms (model) | predicted 2-rank step s |")
    print("|---|---|---|---|")
    for name in ("tiny", "small"):
        params, T = MODELS[name]
        comp = per_token[name] * ROWS_PER_RANK * T
        c = comm_s(params, 2, alpha, beta)
        print(f"| {name} | {comp:.3f} | {c * 1e3:.1f} | {comp + c:.3f} |")


if __name__ == "__main__":
    main()
