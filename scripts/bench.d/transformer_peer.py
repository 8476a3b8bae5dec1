#!/usr/bin/env python3
"""PyTorch (2 threads) peer of TransformerBench.swift: the same MiniLM-L6 sized BERT-style
classifier (word + position embeddings and LayerNorm, 6 post-norm layers written as Hugging Face's
BertLayer with scaled_dot_product_attention, GELU erf, dropout 0), batch 8 x 128, 2-way head on
[CLS], cross-entropy, AdamW. Prints `RECORD {json}` lines with the same names:
transformer_forward (eval, torch.no_grad), transformer_train_step, transformer_peak_rss (VmHWM of a
child process that runs only training steps). Prints nothing when torch is missing."""
import json
import os
import statistics
import subprocess
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    raise SystemExit(0)

torch.set_num_threads(2)
BATCH, TOKENS, HIDDEN, LAYERS, HEADS, FFN, VOCAB = 8, 128, 384, 6, 12, 1536, 30522


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.inter = nn.Linear(HIDDEN, FFN)
        self.out = nn.Linear(FFN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x):
        b, t, c = x.shape
        def split(y):
            return y.view(b, t, HEADS, c // HEADS).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)))
        ctx = ctx.transpose(1, 2).reshape(b, t, c)
        a = self.ln1(self.attn_out(ctx) + x)
        return self.ln2(self.out(F.gelu(self.inter(a))) + a)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(512, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.head = nn.Linear(HIDDEN, 2)

    def forward(self, ids):
        h = self.norm(self.word(ids) + self.position.weight[:ids.shape[1]])
        for layer in self.layers:
            h = layer(h)
        return self.head(h[:, 0])


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) * 1024
    return 0.0


def main():
    torch.manual_seed(1)
    model = Classifier()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, VOCAB, (BATCH, TOKENS))
    ids[:, 0] = 101
    targets = torch.randint(0, 2, (BATCH,))

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids), targets)
        loss.backward()
        opt.step()
        return loss.item()

    if os.environ.get("DPRM_TRANSFORMER_MODE") == "rss":
        for _ in range(3):
            train_step()
        print("PEAK_RSS %f" % peak_rss())
        return
    only = os.environ.get("DPRM_BENCH_ONLY")
    runs = int(os.environ.get("DPRM_TRANSFORMER_RUNS", "7"))

    def wanted(name):
        return not only or only in name

    def record(name, value):
        print("RECORD " + json.dumps({"name": name, "peer": "torch-2t", "peer_s": value}), flush=True)

    if wanted("transformer_forward"):
        model.eval()
        times = []
        with torch.no_grad():
            for i in range(runs + 2):
                t0 = time.perf_counter()
                model(ids)
                if i >= 2:
                    times.append(time.perf_counter() - t0)
        model.train()
        t = statistics.median(times)
        print("torch transformer forward: %.1f ms" % (t * 1e3))
        record("transformer_forward", t)
    if wanted("transformer_train_step"):
        times = []
        for i in range(runs + 2):
            t0 = time.perf_counter()
            train_step()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        print("torch transformer train step: %.1f ms" % (t * 1e3))
        record("transformer_train_step", t)
    if wanted("transformer_peak_rss"):
        env = dict(os.environ, DPRM_TRANSFORMER_MODE="rss")
        out = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("PEAK_RSS "):
                rss = float(line.split()[1])
                print("torch transformer training peak RSS: %.0f MB" % (rss / 1e6))
                record("transformer_peak_rss", rss)


if __name__ == "__main__":
    main()
