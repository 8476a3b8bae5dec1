#!/usr/bin/env python3
"""Makes the fixtures of Tests/NNTests/Fixtures from PyTorch (run from the repo root).

    python3 scripts/make_nn_fixtures.py

Every fixture holds its inputs too (flat float lists with shapes), so the Swift tests need no
Python. Files:
  layers.json      Linear, LayerNorm, RMSNorm, attention (padding / causal), transformer blocks
                   (post-norm BERT, pre-norm) and a 2-layer encoder: forward outputs and the
                   gradients of sum(out * R) w.r.t. the input and every parameter (BERT names).
  losses.json      cross-entropy (ignore_index, soft targets), MSE, BCE-with-logits: values, grads.
  optim.json       5 steps of SGD / Adam / AdamW (torch.optim) on a fixed quadratic, plus the
                   Hugging Face transformers AdamW rule (see below), with the final states.
  schedules.json   StepLR (torch) and the cosine / linear warmup schedules.
  clip.json        torch.nn.utils.clip_grad_norm_ results.
  tensors.safetensors + safetensors.json   a file written by the `safetensors` package
                   (F32, F16, BF16, I64, metadata) and the values it should read back as.

transformers is not installed here, so the cosine/linear warmup schedules are torch LambdaLR
with the lambdas of transformers' `get_cosine_schedule_with_warmup` /
`get_linear_schedule_with_warmup` copied from their documented source, and the transformers
AdamW rule (transformers.optimization.AdamW, correct_bias=True) is written out by hand below.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "NNTests", "Fixtures")
torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(f"{x:.9g}") for x in t.reshape(-1).tolist()]}


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")


MASK = -1e9  # AttentionMask.maskValue in dprm


def additive_mask(B, T, causal, padding):
    """[B, 1, T, T]: 0 where a query may see a key, MASK where it may not (causal or padding)."""
    hidden = torch.zeros(B, 1, T, T, dtype=torch.bool)
    if causal:
        hidden |= torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)[None, None]
    if padding is not None:
        hidden |= (padding == 0)[:, None, None, :]
    return torch.where(hidden, torch.full((B, 1, T, T), MASK), torch.zeros(B, 1, T, T))


def self_attention(p, prefix, x, H, mask):
    B, T, C = x.shape
    D = C // H
    def split(y):
        return y.view(B, T, H, D).transpose(1, 2)
    q = split(F.linear(x, p[prefix + "query.weight"], p[prefix + "query.bias"]))
    k = split(F.linear(x, p[prefix + "key.weight"], p[prefix + "key.bias"]))
    v = split(F.linear(x, p[prefix + "value.weight"], p[prefix + "value.bias"]))
    scores = q @ k.transpose(-1, -2) / math.sqrt(D)
    if mask is not None:
        scores = scores + mask
    probs = scores.softmax(-1)
    return (probs @ v).transpose(1, 2).reshape(B, T, C)


def ln(p, prefix, x, eps):
    return F.layer_norm(x, (x.shape[-1],), p[prefix + "weight"], p[prefix + "bias"], eps)


def block(p, pre, x, H, mask, placement, eps):
    dense = lambda name, h: F.linear(h, p[pre + name + ".weight"], p[pre + name + ".bias"])
    if placement == "post":
        a = ln(p, pre + "attention.output.LayerNorm.", dense("attention.output.dense", self_attention(p, pre + "attention.self.", x, H, mask)) + x, eps)
        return ln(p, pre + "output.LayerNorm.", dense("output.dense", F.gelu(dense("intermediate.dense", a))) + a, eps)
    a = x + dense("attention.output.dense", self_attention(p, pre + "attention.self.", ln(p, pre + "attention.output.LayerNorm.", x, eps), H, mask))
    return a + dense("output.dense", F.gelu(dense("intermediate.dense", ln(p, pre + "output.LayerNorm.", a, eps))))


def block_params(prefix, C, I, gen):
    def w(o, i):
        return torch.randn(o, i, generator=gen) * 0.3
    def b(o):
        return torch.randn(o, generator=gen) * 0.1
    p = {}
    for n in ["query", "key", "value"]:
        p[prefix + "attention.self." + n + ".weight"] = w(C, C)
        p[prefix + "attention.self." + n + ".bias"] = b(C)
    p[prefix + "attention.output.dense.weight"] = w(C, C)
    p[prefix + "attention.output.dense.bias"] = b(C)
    p[prefix + "attention.output.LayerNorm.weight"] = 1 + b(C)
    p[prefix + "attention.output.LayerNorm.bias"] = b(C)
    p[prefix + "intermediate.dense.weight"] = w(I, C)
    p[prefix + "intermediate.dense.bias"] = b(I)
    p[prefix + "output.dense.weight"] = w(C, I)
    p[prefix + "output.dense.bias"] = b(C)
    p[prefix + "output.LayerNorm.weight"] = 1 + b(C)
    p[prefix + "output.LayerNorm.bias"] = b(C)
    return p


def case(fn, x, params, gen):
    """Forward, then gradients of sum(out * R) w.r.t. x and the params."""
    x = x.clone().requires_grad_(True)
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    out = fn(x, params)
    R = torch.randn(out.shape, generator=gen)
    (out * R).sum().backward()
    return {
        "input": enc(x), "R": enc(R), "output": enc(out), "input_grad": enc(x.grad),
        "params": {k: enc(v) for k, v in params.items()},
        "param_grads": {k: enc(v.grad) for k, v in params.items()},
    }


def layers():
    gen = torch.Generator().manual_seed(1234)
    B, T, C, H, I = 2, 5, 8, 2, 16
    res = {"config": {"batch": B, "tokens": T, "hidden": C, "heads": H, "intermediate": I}}
    x = torch.randn(B, T, C, generator=gen)
    res["linear"] = case(lambda x, p: F.linear(x, p["weight"], p["bias"]), x,
                         {"weight": torch.randn(6, C, generator=gen), "bias": torch.randn(6, generator=gen)}, gen)
    res["layer_norm"] = case(lambda x, p: F.layer_norm(x, (C,), p["weight"], p["bias"], 1e-5), x * 3 + 1,
                             {"weight": 1 + torch.randn(C, generator=gen) * 0.1, "bias": torch.randn(C, generator=gen) * 0.1}, gen)
    res["rms_norm"] = case(lambda x, p: F.rms_norm(x, (C,), p["weight"], 1e-6), x,
                           {"weight": 1 + torch.randn(C, generator=gen) * 0.1}, gen)
    padding = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.float32)
    res["padding"] = enc(padding)
    attn_p = {k[len("attention.self."):]: v for k, v in block_params("", C, I, gen).items() if k.startswith("attention.self.")}
    res["attention_padding"] = case(lambda x, p: self_attention(p, "", x, H, additive_mask(B, T, False, padding)), x, attn_p, gen)
    res["attention_causal"] = case(lambda x, p: self_attention(p, "", x, H, additive_mask(B, T, True, None)), x, attn_p, gen)
    res["attention_causal_padding"] = case(lambda x, p: self_attention(p, "", x, H, additive_mask(B, T, True, padding)), x, attn_p, gen)
    bp = block_params("", C, I, gen)
    res["block_post_padding"] = case(lambda x, p: block(p, "", x, H, additive_mask(B, T, False, padding), "post", 1e-12), x, bp, gen)
    res["block_pre_causal"] = case(lambda x, p: block(p, "", x, H, additive_mask(B, T, True, None), "pre", 1e-5), x, bp, gen)
    ep = {**block_params("layer.0.", C, I, gen), **block_params("layer.1.", C, I, gen)}
    def encoder(x, p):
        h = x
        for i in range(2):
            h = block(p, f"layer.{i}.", h, H, additive_mask(B, T, False, padding), "post", 1e-12)
        return h
    res["encoder_post_padding"] = case(encoder, x, ep, gen)
    dump("layers.json", res)


def losses():
    gen = torch.Generator().manual_seed(99)
    res = {}
    logits = torch.randn(6, 5, generator=gen).requires_grad_(True)
    targets = [2, -100, 0, 4, -100, 1]
    loss = F.cross_entropy(logits, torch.tensor(targets), ignore_index=-100)
    loss.backward()
    res["ce"] = {"logits": enc(logits), "targets": targets, "loss": loss.item(), "grad": enc(logits.grad)}
    logits.grad = None
    loss = F.cross_entropy(logits, torch.tensor(targets), ignore_index=-100, reduction="sum")
    loss.backward()
    res["ce_sum"] = {"loss": loss.item(), "grad": enc(logits.grad)}
    logits3 = torch.randn(2, 3, 4, generator=gen).requires_grad_(True)
    t3 = [1, 3, -100, 0, 2, 2]
    loss = F.cross_entropy(logits3.reshape(-1, 4), torch.tensor(t3))
    loss.backward()
    res["ce_3d"] = {"logits": enc(logits3), "targets": t3, "loss": loss.item(), "grad": enc(logits3.grad)}
    soft_logits = torch.randn(4, 5, generator=gen).requires_grad_(True)
    probs = torch.softmax(torch.randn(4, 5, generator=gen) * 2, -1)
    loss = F.cross_entropy(soft_logits, probs)
    loss.backward()
    res["ce_soft"] = {"logits": enc(soft_logits), "probabilities": enc(probs), "loss": loss.item(), "grad": enc(soft_logits.grad)}
    a = torch.randn(3, 4, generator=gen).requires_grad_(True)
    b = torch.randn(3, 4, generator=gen)
    loss = F.mse_loss(a, b)
    loss.backward()
    res["mse"] = {"input": enc(a), "target": enc(b), "loss": loss.item(), "grad": enc(a.grad)}
    z = (torch.randn(3, 4, generator=gen) * 4)
    z[0, 0] = 0.0
    z[1, 1] = 30.0
    z[2, 2] = -30.0
    z.requires_grad_(True)
    y = torch.rand(3, 4, generator=gen)
    y[0, 1] = 1.0
    y[0, 2] = 0.0
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    res["bce"] = {"logits": enc(z), "target": enc(y), "loss": loss.item(), "grad": enc(z.grad)}
    dump("losses.json", res)


def hf_adamw_step(params, states, lr, betas, eps, wd):
    """transformers.optimization.AdamW.step (correct_bias=True), from its source."""
    b1, b2 = betas
    for name, p in params.items():
        if p.grad is None:
            continue
        s = states.setdefault(name, {"step": 0, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)})
        s["step"] += 1
        g = p.grad
        s["exp_avg"].mul_(b1).add_(g, alpha=1.0 - b1)
        s["exp_avg_sq"].mul_(b2).addcmul_(g, g, value=1.0 - b2)
        denom = s["exp_avg_sq"].sqrt().add_(eps)
        step_size = lr * math.sqrt(1.0 - b2 ** s["step"]) / (1.0 - b1 ** s["step"])
        with torch.no_grad():
            p.addcdiv_(s["exp_avg"], denom, value=-step_size)
            if wd > 0.0:
                p.add_(p, alpha=(-lr * wd))


def optim():
    gen = torch.Generator().manual_seed(5)
    init = {"w": torch.randn(3, 4, generator=gen), "b": torch.randn(4, generator=gen)}
    coef = {"w": torch.rand(3, 4, generator=gen) + 0.5, "b": torch.rand(4, generator=gen) + 0.5}
    centre = {"w": torch.randn(3, 4, generator=gen), "b": torch.randn(4, generator=gen)}
    res = {"problem": "loss = sum_k sum(coef_k * (p_k - centre_k)^2)",
           "init": {k: enc(v) for k, v in init.items()}, "coef": {k: enc(v) for k, v in coef.items()},
           "centre": {k: enc(v) for k, v in centre.items()}, "runs": {}}
    configs = {
        "sgd_momentum_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
        "sgd_dampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.1)),
        "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
        "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
        "adam_wd": (torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
        "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
        "adamw_eps1e-6_betas": (torch.optim.AdamW, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
        "hf_adamw": (None, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.1)),
    }
    for name, (cls, kw) in configs.items():
        params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        opt = cls(list(params.values()), **kw) if cls else None
        hf_states = {}
        trajectory = []
        for _ in range(5):
            for p in params.values():
                p.grad = None
            loss = sum((coef[k] * (params[k] - centre[k]) ** 2).sum() for k in params)
            loss.backward()
            if opt:
                opt.step()
            else:
                hf_adamw_step(params, hf_states, kw["lr"], kw["betas"], kw["eps"], kw["weight_decay"])
            trajectory.append({k: enc(v) for k, v in params.items()})
        state = {}
        if opt:
            names = list(params.keys())
            for i, (k, s) in enumerate(opt.state_dict()["state"].items()):
                for sk, sv in s.items():
                    state[f"{names[k]}.{sk}"] = enc(sv if torch.is_tensor(sv) else torch.tensor(float(sv)))
        else:
            for k, s in hf_states.items():
                state[f"{k}.step"] = enc(torch.tensor(float(s["step"])))
                state[f"{k}.exp_avg"] = enc(s["exp_avg"])
                state[f"{k}.exp_avg_sq"] = enc(s["exp_avg_sq"])
        res["runs"][name] = {"options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
                             "trajectory": trajectory, "state": state}
    dump("optim.json", res)


def cosine_lambda(num_warmup_steps, num_training_steps, num_cycles=0.5):
    # transformers.optimization._get_cosine_schedule_with_warmup_lr_lambda
    def f(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    return f


def linear_lambda(num_warmup_steps, num_training_steps):
    # transformers.optimization._get_linear_schedule_with_warmup_lr_lambda
    def f(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
    return f


def schedules():
    res = {}
    def run(make, n, base=0.1):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base)
        sched = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(n):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs
    res["step_lr"] = {"base": 0.1, "step_size": 3, "gamma": 0.5,
                      "lrs": run(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 12)}
    res["cosine_warmup"] = {"base": 0.1, "warmup": 3, "total": 10, "cycles": 0.5,
                            "lrs": run(lambda o: torch.optim.lr_scheduler.LambdaLR(o, cosine_lambda(3, 10)), 12)}
    res["cosine_warmup_1cycle"] = {"base": 0.1, "warmup": 2, "total": 9, "cycles": 1.0,
                                   "lrs": run(lambda o: torch.optim.lr_scheduler.LambdaLR(o, cosine_lambda(2, 9, 1.0)), 10)}
    res["linear_warmup"] = {"base": 0.1, "warmup": 2, "total": 8,
                            "lrs": run(lambda o: torch.optim.lr_scheduler.LambdaLR(o, linear_lambda(2, 8)), 10)}
    res["source"] = "StepLR: torch; cosine/linear: torch LambdaLR with transformers' lambdas (transformers not installed)"
    dump("schedules.json", res)


def clip():
    gen = torch.Generator().manual_seed(11)
    res = {}
    for name, max_norm, scale in [("clipped", 1.0, 1.0), ("not_clipped", 100.0, 1.0), ("tiny", 0.5, 0.01)]:
        ps = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True), torch.zeros(2, 2, requires_grad=True)]
        grads = [torch.randn(p.shape, generator=gen) * scale for p in ps]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        res[name] = {"max_norm": max_norm, "grads": [enc(g) for g in grads], "total": total.item(),
                     "clipped": [enc(p.grad) for p in ps]}
    dump("clip.json", res)


def safetensors_file():
    from safetensors.torch import save_file
    gen = torch.Generator().manual_seed(3)
    tensors = {
        "f32": torch.randn(2, 3, generator=gen),
        "f16": (torch.randn(4, generator=gen) * 100).to(torch.float16),
        "bf16": (torch.randn(2, 2, generator=gen) * 1000).to(torch.bfloat16),
        "i64": torch.tensor([2 ** 40 + 1, -5, 0], dtype=torch.int64),
        "encoder.layer.0.attention.self.query.weight": torch.randn(3, 2, generator=gen),
        "scalar": torch.tensor(2.5),
    }
    path = os.path.join(OUT, "tensors.safetensors")
    save_file(tensors, path, metadata={"format": "pt", "note": "dprm fixture"})
    expected = {k: enc(v.to(torch.float32)) for k, v in tensors.items()}
    expected["i64_exact"] = [int(x) for x in tensors["i64"].tolist()]
    expected["dtypes"] = {k: str(v.dtype) for k, v in tensors.items()}
    # Rounding of float32 values to F16 / BF16 as torch does it, for the writer test.
    r = torch.tensor([1.0, 1.00390625, 1.0078125, 3.14159265, -2.7182817, 65504.0, 1e-8, 65519.0, 0.1, 6.1e-5, 3.0e-7])
    expected["rounding"] = {"input": enc(r), "f16": enc(r.to(torch.float16).to(torch.float32)),
                            "bf16": enc(r.to(torch.bfloat16).to(torch.float32))}
    dump("safetensors.json", expected)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    layers()
    losses()
    optim()
    schedules()
    clip()
    safetensors_file()
