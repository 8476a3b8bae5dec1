#!/usr/bin/env python3
"""PyTorch (2 threads) peer of LlamaBench.swift: transformers' LlamaForCausalLM with
SmolLM2-135M's config (30 blocks, hidden 576, 9 query / 3 key-value heads, SwiGLU 1536, vocab
49152, tied head), random weights, float32, eval, torch.no_grad, one forward pass at batch 8 x 256
with logits for every position; median of several passes after a warm-up pass. Prints
`RECORD {json}` with the same name (llama_forward_8x256). Prints nothing when torch or
transformers is missing."""
import json
import os
import statistics
import time

try:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
except ImportError:
    raise SystemExit(0)

NAME = "llama_forward_8x256"
only = os.environ.get("DPRM_BENCH_ONLY")
if only and only not in NAME:
    raise SystemExit(0)
torch.set_num_threads(2)
torch.manual_seed(1)
config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                     num_attention_heads=9, num_key_value_heads=3, rms_norm_eps=1e-5, rope_theta=100000.0,
                     max_position_embeddings=8192, tie_word_embeddings=True)
model = LlamaForCausalLM(config).eval()
ids = torch.randint(0, config.vocab_size, (8, 256))
runs = int(os.environ.get("DPRM_LLAMA_RUNS", "3"))


def once():
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        logits = model(input_ids=ids, use_cache=False).logits
    assert logits.shape == (8, 256, config.vocab_size)
    return time.perf_counter() - t0, time.process_time() - c0


once()
measured = [once() for _ in range(runs)]
times = [w for w, _ in measured]
print(f"llama forward 8x256 (torch, 2 threads): median {statistics.median(times):.3f} s of {runs} "
      f"({', '.join('%.3f' % t for t in times)}); CPU time median {statistics.median(c for _, c in measured):.3f} s")
print("RECORD " + json.dumps({"name": NAME, "peer": "torch-2t", "peer_s": statistics.median(times)}), flush=True)
