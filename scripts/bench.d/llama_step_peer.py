#!/usr/bin/env python3
"""PyTorch (2 threads) peer of LlamaStepBench.swift: transformers' LlamaModel with SmolLM2-135M's
config (30 blocks, hidden 576, 9 query / 3 key-value heads, SwiGLU 1536, vocab 49152, tied head),
random weights, float32, batch 8 x 256, 8 label positions per row. The embeddings and the bottom
26 blocks are frozen (requires_grad False; torch records no graph through them), the top 4
blocks and the final norm train with AdamW (lr 1e-5). The loss is the PRM's: log-softmax over
the vocabulary at the label positions only (the tied head applied to those 64 rows), then the
cross-entropy of p(+)/p(-) against the labels. Prints `RECORD {json}` lines with the driver's
names: llm_coldstart_step_top4 and llm_coldstart_step_top4_uncached (the same torch step: torch
has no frozen-activation cache), llm_coldstart_step_top4_peak_rss (VmHWM of a child process that
builds the model, resets the mark and runs three steps). Prints nothing when torch or transformers is missing."""
import json
import os
import statistics
import subprocess
import sys
import time

try:
    import torch
    from transformers import LlamaConfig, LlamaModel
except ImportError:
    raise SystemExit(0)

BATCH, TOKENS, LABELS_PER_ROW, TRAINABLE = 8, 256, 8, 4
PLUS, MINUS = 28, 29
only = os.environ.get("DPRM_BENCH_ONLY")
mode = os.environ.get("DPRM_LLAMA_STEP_MODE")
names = ["llm_coldstart_step_top4", "llm_coldstart_step_top4_uncached", "llm_coldstart_step_top4_peak_rss"]
if not mode and only and not any(only in n for n in names):
    raise SystemExit(0)
torch.set_num_threads(2)
torch.manual_seed(1)


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) * 1024
    return 0.0


config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                     num_attention_heads=9, num_key_value_heads=3, rms_norm_eps=1e-5, rope_theta=100000.0,
                     max_position_embeddings=8192, tie_word_embeddings=True)
model = LlamaModel(config).train()
for p in model.parameters():
    p.requires_grad_(False)
trainable = list(model.norm.parameters())
for layer in model.layers[-TRAINABLE:]:
    trainable += list(layer.parameters())
for p in trainable:
    p.requires_grad_(True)
opt = torch.optim.AdamW(trainable, lr=1e-5)
ids = torch.randint(0, config.vocab_size, (BATCH, TOKENS))
rows = torch.tensor([b * TOKENS + (j + 1) * (TOKENS // LABELS_PER_ROW) - 1 for b in range(BATCH) for j in range(LABELS_PER_ROW)])
labels = torch.randint(0, 2, (rows.numel(),)).float()


def step():
    opt.zero_grad(set_to_none=True)
    h = model(input_ids=ids, use_cache=False).last_hidden_state.reshape(BATCH * TOKENS, -1)
    logits = h[rows] @ model.embed_tokens.weight.t()            # the tied head at the label rows only
    logp = torch.log_softmax(logits, -1)[:, [PLUS, MINUS]]
    loss = -(labels * logp[:, 0] + (1 - labels) * logp[:, 1]).mean()
    loss.backward()
    opt.step()
    return loss.item()


if mode:
    # Reset the high-water mark after building, as the driver does (writing 5 to clear_refs).
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    for _ in range(3):
        step()
    print("PEAK_RSS %f" % peak_rss())
    raise SystemExit(0)

runs = int(os.environ.get("DPRM_LLAMA_RUNS", "3"))


def record(name, value):
    print("RECORD " + json.dumps({"name": name, "peer": "torch-2t", "peer_s": value}), flush=True)


if not only or any(only in n for n in names[:2]):
    first = step()
    times, cpu, loss = [], [], first
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t = statistics.median(times)
    print(f"torch cold-start step, top {TRAINABLE} of 30 blocks trainable: median {t:.3f} s of {runs} "
          f"({', '.join('%.3f' % x for x in times)}); CPU time median {statistics.median(cpu):.3f} s; loss {first:.4f} -> {loss:.4f}")
    record("llm_coldstart_step_top4", t)
    record("llm_coldstart_step_top4_uncached", t)
if not only or only in names[2]:
    env = dict(os.environ, DPRM_LLAMA_STEP_MODE="rss")
    out = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("PEAK_RSS "):
            rss = float(line.split()[1])
            print("torch cold-start step peak RSS: %.0f MB" % (rss / 1e6))
            record("llm_coldstart_step_top4_peak_rss", rss)
