#!/usr/bin/env python3
"""PyTorch peer of scripts/bench-bert-driver.swift: transformers' BertModel on the same model
folder (argv[1]), 2 threads, eval mode, torch.inference_mode(), batch 32 x 128 tokens with the
same ids; prints one `RECORD {json}` line with the best time of several passes."""
import json
import os
import sys
import time

import torch
from transformers import BertModel

torch.set_num_threads(2)
model_dir = sys.argv[1]
rounds = int(os.environ.get("DPRM_BENCH_ROUNDS", "7"))
batch, length = 32, 128
ids = [[101 if t == 0 else 102 if t == length - 1 else 1000 + (t * 7919 + b * 104729) % 20000
        for t in range(length)] for b in range(batch)]
ids = torch.tensor(ids)
mask = torch.ones_like(ids)
model = BertModel.from_pretrained(model_dir).eval()
best = float("inf")
with torch.inference_mode():
    for r in range(rounds + 2):
        t0 = time.perf_counter()
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        s = time.perf_counter() - t0
        if r >= 2:
            best = min(best, s)
checksum = float(h[0, 0, 0] + h[-1, -1, -1])
attn = getattr(model.config, "_attn_implementation", "?")
print(f"bench-bert: torch {torch.__version__} ({attn} attention) best of {rounds}: {best} s "
      f"({batch / best:.1f} sentences/s), checksum {checksum}", file=sys.stderr)
print("RECORD " + json.dumps({"name": "bert_forward[32x128]", "peer": "pytorch-" + torch.__version__.split("+")[0],
                              "peer_s": best}), flush=True)
