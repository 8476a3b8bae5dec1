#!/usr/bin/env python3
"""PyTorch (2 threads) timings of the workloads in TensorBench.swift, as `RECORD {json}` lines
with the same names, for scripts/bench to join. Prints nothing when torch is missing."""
import json
import os
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    raise SystemExit(0)

torch.set_num_threads(2)
torch.manual_seed(1)
only = os.environ.get("DPRM_BENCH_ONLY")


def measure(fn, rounds=9, target=0.02):
    fn(); fn()
    t0 = time.perf_counter(); fn(); once = max(time.perf_counter() - t0, 1e-7)
    calls = max(1, min(10000, int(target / once)))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def record(name, seconds, peer):
    print("RECORD " + json.dumps({"name": name, "peer": peer, "peer_s": seconds}), flush=True)


tokens = 8 * 128
hidden = torch.randn(tokens, 384)
ffn, ffn2 = torch.randn(tokens, 1536), torch.randn(tokens, 1536)
bias, per_row = torch.randn(1536), torch.randn(tokens, 1)
scores = torch.randn(8, 12, 128, 128)
heads = torch.randn(8, 128, 12, 32)
q = torch.randn(8, 12, 128, 32)
weight = torch.randn(1536, 384)

kernels = [
    ("add_same[1024x1536]", lambda: ffn + ffn2),
    ("add_bias[1024x1536]", lambda: ffn + bias),
    ("mul_rows[1024x1536]", lambda: ffn * per_row),
    ("mul_scalar[1024x1536]", lambda: ffn * 0.5),
    ("exp[1024x1536]", lambda: ffn.exp()),
    ("gelu[1024x1536]", lambda: F.gelu(ffn)),
    ("softmax[8x12x128x128]", lambda: torch.softmax(scores, -1)),
    ("log_softmax[1024x1536]", lambda: torch.log_softmax(ffn, -1)),
    ("layer_norm[1024x384]", lambda: F.layer_norm(hidden, (384,), eps=1e-12)),
    ("sum_last[1024x1536]", lambda: ffn.sum(-1)),
    ("sum_batch[1024x1536]", lambda: ffn.sum(0)),
    ("sum_to_bias[8x128x1536]", lambda: ffn.view(8, 128, 1536).sum((0, 1))),
    ("max_last[1024x1536]", lambda: ffn.amax(-1)),
    ("permute_copy[8x128x12x32]", lambda: heads.permute(0, 2, 1, 3).contiguous()),
    ("transpose_copy[1024x1536]", lambda: ffn.t().contiguous()),
    ("bmm_scores[8x12x128x32]", lambda: q @ q.transpose(-1, -2)),
    ("linear[1024x384]x[1536x384]^T", lambda: hidden @ weight.t()),
    ("linear_grad_w[1024x1536]^Tx[1024x384]", lambda: ffn.t() @ hidden),
]
with torch.no_grad():
    for name, fn in kernels:
        if only and only not in "tensor." + name:
            continue
        record("tensor." + name, measure(fn), "torch-2t")
