#!/usr/bin/env python3
"""Betty + PyTorch (2 threads) peer of MiniLMBilevelBench.swift: the same PRM and the same
iteration. transformers' BertModel with all-MiniLM-L6-v2's config (6 layers, hidden 384, 12
heads, FFN 1536, vocabulary 30,522, dropout 0.1, random weights: the values do not change the
cost), run causally (is_decoder, as dprm's BERT-backbone PRM), the tied head plus a vocabulary
bias applied at the label rows only, full-vocabulary log-softmax there; batch 8 x 128 with 4
label positions per row, every parameter trained.

bilevel_iteration_minilm: one Betty 0.2.1 iteration (../shared/peers/betty, put on sys.path as
its README says) of the DreamPRM-1.5 setting: an ImplicitProblem lower level (the PRM, weighted
cross-entropy mean(w_i * CE_i), w = Clip(raw[i]) of an Instance Table) and an ImplicitProblem
upper level (the table, the `both` meta loss with mean aggregation on a meta batch of 8), darts,
unroll 1, AdamW on both levels (eps 1e-6, as transformers'), gradient clipping 1.0 on both.
plain_iteration_minilm: the lower step alone in plain PyTorch (forward, backward, clip, AdamW).
Median of 5 iterations after 2 warm-ups (peer_cpu_s: the process CPU time of the same
iterations, all threads). Prints `RECORD {json}` lines with peer/peer_s; prints
nothing when torch, transformers or Betty is missing."""
import json
import os
import statistics
import sys
import time

# The package is ../shared/peers/betty/betty (the folder ../shared/peers/betty holds it and its
# LICENSE), so that folder goes on sys.path.
HERE = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("DPRM_SHARED", os.path.join(HERE, "..", "..", "..", "shared"))
sys.path.insert(0, os.path.join(shared.rstrip("/").removesuffix("/data"), "peers", "betty"))
try:
    import torch
    from transformers import BertConfig, BertModel
except ImportError:
    raise SystemExit(0)
try:
    from betty.configs import Config, EngineConfig
    from betty.engine import Engine
    from betty.problems import ImplicitProblem
except ImportError as e:
    print("bench: note: no Betty (%s; expected in ../shared/peers/betty), so no bilevel_iteration_minilm peer" % e, file=sys.stderr)
    raise SystemExit(0)

names = ["bilevel_iteration_minilm", "plain_iteration_minilm"]
only = os.environ.get("DPRM_BENCH_ONLY")
if only and not any(only in n for n in names):
    raise SystemExit(0)

BATCH, TOKENS, LABELS, POOL = 8, 128, 4, 64
WARMUP, MEASURED = 2, 5
PLUS, MINUS = 1009, 1011   # any two ids: only the cost is measured
# 2 threads as the other peers; DPRM_BENCH_THREADS=1 (with OPENBLAS_NUM_THREADS=1 for dprm) compares
# single-threaded CPU time, which a loaded machine disturbs least.
torch.set_num_threads(int(os.environ.get("DPRM_BENCH_THREADS", "2")))
torch.manual_seed(0)


class PRM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                            intermediate_size=1536, max_position_embeddings=512, is_decoder=True)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.bias = torch.nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, ids, rows):
        h = self.bert(input_ids=ids, use_cache=False).last_hidden_state.reshape(-1, self.bert.config.hidden_size)
        return h[rows] @ self.bert.embeddings.word_embeddings.weight.t() + self.bias


class Table(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.raw = torch.nn.Parameter(torch.ones(n))

    def forward(self, idx):
        return self.raw[idx].clamp(-1, 3)   # Clip: zero gradient outside


rows = torch.tensor([b * TOKENS + (j + 1) * (TOKENS // LABELS) - 1 for b in range(BATCH) for j in range(LABELS)])


def batches(seed, meta):
    g = torch.Generator().manual_seed(seed)
    out = []
    for k in range(POOL // BATCH):
        ids = torch.randint(0, 30522, (BATCH, TOKENS), generator=g)
        if meta:
            out.append((ids, torch.arange(BATCH) % 2))
        else:
            out.append((ids, torch.randint(0, 2, (BATCH * LABELS,), generator=g).float(), torch.arange(k * BATCH, (k + 1) * BATCH)))
    return out


def step_ce(logits, labels):
    logp = torch.log_softmax(logits, -1)[:, [PLUS, MINUS]]
    return -(labels * logp[:, 0] + (1 - labels) * logp[:, 1]).reshape(BATCH, LABELS).mean(1)


class Lower(ImplicitProblem):
    def training_step(self, batch):
        ids, labels, idx = batch
        ce = step_ce(self.module(ids, rows), labels)
        return (self.upper(idx) * ce).mean()


class Upper(ImplicitProblem):
    def training_step(self, batch):
        ids, label = batch
        p = torch.softmax(self.lower(ids, rows), -1)
        both = torch.where(label.repeat_interleave(LABELS) == 1, p[:, PLUS], p[:, MINUS])
        pred = both.reshape(BATCH, LABELS).mean(1)
        return ((pred - 1) ** 2).mean()


def adamw(params, lr, wd):
    # AdamW as torch.optim.Adam with decoupled weight decay (the same update): Betty 0.2.1 rebuilds
    # the optimizer from its `defaults`, which for torch.optim.AdamW (torch >= 2.5) hold a
    # `decoupled_weight_decay` key its constructor refuses; Adam's accepts it.
    return torch.optim.Adam(params, lr=lr, weight_decay=wd, eps=1e-6, decoupled_weight_decay=True)


def bilevel_seconds():
    prm, table = PRM(), Table(POOL)
    cfg = Config(type="darts", unroll_steps=1, gradient_clipping=1.0)
    lower = Lower(name="lower", module=prm, optimizer=adamw(prm.parameters(), 5e-5, 0.01),
                  train_data_loader=batches(1, meta=False), config=cfg)
    upper = Upper(name="upper", module=table, optimizer=adamw(table.parameters(), 5e-3, 1e-3),
                  train_data_loader=batches(2, meta=True), config=Config(type="darts", unroll_steps=1, gradient_clipping=1.0))
    engine = Engine(config=EngineConfig(train_iters=WARMUP + MEASURED, valid_step=10 ** 9, strategy="cpu", logger_type="none"),
                    problems=[upper, lower], dependencies={"u2l": {upper: [lower]}, "l2u": {lower: [upper]}})
    times, cpu = [], []
    inner = engine.train_step

    def timed():
        t, c = time.perf_counter(), time.process_time()
        inner()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    engine.train_step = timed
    engine.run()
    assert len(times) == WARMUP + MEASURED, times
    return statistics.median(times[WARMUP:]), statistics.median(cpu[WARMUP:])


def plain_seconds():
    prm = PRM().train()
    opt = adamw(prm.parameters(), 5e-5, 0.01)
    data = batches(1, meta=False)
    times, cpu = [], []
    for it in range(WARMUP + MEASURED):
        ids, labels, _ = data[it % len(data)]
        t, c = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        step_ce(prm(ids, rows), labels).mean().backward()
        torch.nn.utils.clip_grad_norm_(prm.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times[WARMUP:]), statistics.median(cpu[WARMUP:])


plain = plain_seconds()
bilevel = bilevel_seconds()
print("RECORD " + json.dumps({"name": "plain_iteration_minilm", "peer": "PyTorch lower step", "peer_s": plain[0], "peer_cpu_s": plain[1]}))
print("RECORD " + json.dumps({"name": "bilevel_iteration_minilm", "peer": "Betty 0.2.1 + PyTorch", "peer_s": bilevel[0], "peer_cpu_s": bilevel[1]}))
print("bench: Betty MiniLM PRM: plain iteration %.3f s (CPU %.3f s), bi-level %.3f s (CPU %.3f s)" % (plain + bilevel))
