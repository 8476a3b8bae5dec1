#!/usr/bin/env python3
"""Writes the tensor-core fixtures: fixed inputs and NumPy's outputs for every Tensor op.

Output: Tests/TensorsTests/Fixtures/tensor_ops.json, a list of cases
    {"name", "op", "args": {...}, "inputs": [{"shape", "data"}], "expected": [{"shape", "data"}]}
Inputs are float32 values; expected outputs are computed in float64 from those float32 inputs,
so the Swift test (float32 kernels) compares within a 1e-5 relative tolerance. The outputs are
committed, so the tests need no Python. Re-run after changing a case:
    python3 scripts/make_tensor_fixtures.py
"""
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "TensorsTests", "Fixtures", "tensor_ops.json")

rng = np.random.default_rng(20240601)
cases = []


def f32(x):
    return np.asarray(x, dtype=np.float32)


def randn(*shape, scale=1.0):
    return f32(rng.standard_normal(shape) * scale)


def positive(*shape):
    return f32(rng.uniform(0.2, 3.0, shape))


def ties(*shape):
    """Small integers, so comparisons and max/min meet equal values."""
    return f32(rng.integers(-2, 3, shape))


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    data = [float(v) for v in a.reshape(-1)]
    for v in data:
        assert math.isfinite(v), "fixtures hold finite values only"
    # 9 significant digits round-trip a float32 exactly and keep the file small.
    return {"shape": list(a.shape), "data": [Num(v) for v in data]}


class Num(float):
    """A float that JSON writes with 9 significant digits."""
    def __repr__(self):
        return "%.9g" % self


def add(name, op, inputs, expected, **args):
    if not isinstance(expected, (list, tuple)):
        expected = [expected]
    cases.append({"name": name, "op": op, "args": args,
                  "inputs": [enc(x) for x in inputs], "expected": [enc(e) for e in expected]})


def d(x):
    return np.asarray(x, dtype=np.float64)


# ---- binary ops with broadcasting ------------------------------------------------------------
shape_pairs = [([3, 4], [3, 4]), ([3, 4], [4]), ([3, 4], [3, 1]), ([2, 1, 4], [3, 1]),
               ([], [2, 3]), ([2, 3], []), ([4], [2, 3, 4]), ([1, 4], [3, 1]), ([5, 1, 3], [1, 2, 1])]
binary = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "maximum": np.maximum, "minimum": np.minimum,
}
for sa, sb in shape_pairs:
    tag = f"{sa}+{sb}"
    for name, fn in binary.items():
        a = randn(*sa)
        b = positive(*sb) if name == "div" else randn(*sb)
        add(f"{name} {tag}", name, [a, b], fn(d(a), d(b)))
    a, b = positive(*sa), randn(*sb)
    add(f"pow {tag}", "pow", [a, b], np.power(d(a), d(b)))
comparisons = {"equal": np.equal, "notEqual": np.not_equal, "less": np.less,
               "lessEqual": np.less_equal, "greater": np.greater, "greaterEqual": np.greater_equal}
for sa, sb in [([3, 4], [3, 4]), ([3, 4], [4]), ([2, 3, 1], [3, 5]), ([], [6])]:
    for name, fn in comparisons.items():
        a, b = ties(*sa), ties(*sb)
        add(f"{name} {sa}+{sb}", name, [a, b], fn(a, b).astype(np.float64))
for sc, sa, sb in [([3, 4], [3, 4], [3, 4]), ([3, 1], [3, 4], [4]), ([4], [2, 1, 4], []), ([2, 3, 4], [3, 1], [1, 4])]:
    c, a, b = f32(rng.integers(0, 2, sc)), randn(*sa), randn(*sb)
    add(f"where {sc},{sa},{sb}", "where", [c, a, b], np.where(c != 0, d(a), d(b)))

# ---- unary ops --------------------------------------------------------------------------------
erf = np.vectorize(math.erf)
x = randn(4, 6, scale=2.0)
xp = positive(4, 6)
add("exp", "exp", [x], np.exp(d(x)))
add("log", "log", [xp], np.log(d(xp)))
add("sqrt", "sqrt", [xp], np.sqrt(d(xp)))
add("pow 2", "powScalar", [x], d(x) ** 2, exponent=2.0)
add("pow 3", "powScalar", [x], d(x) ** 3, exponent=3.0)
add("pow 0.5", "powScalar", [xp], d(xp) ** 0.5, exponent=0.5)
add("pow -1.5", "powScalar", [xp], d(xp) ** -1.5, exponent=-1.5)
add("tanh", "tanh", [x], np.tanh(d(x)))
big = f32(np.concatenate([d(x).reshape(-1), [-40.0, -20.0, 20.0, 40.0]]))
add("sigmoid", "sigmoid", [big], 1 / (1 + np.exp(-d(big))))
add("relu", "relu", [x], np.maximum(d(x), 0))
add("leaky_relu 0.01", "leakyRelu", [x], np.where(d(x) > 0, d(x), 0.01 * d(x)), slope=0.01)
add("leaky_relu 0.2", "leakyRelu", [x], np.where(d(x) > 0, d(x), d(f32(0.2)) * d(x)), slope=0.2)
add("gelu erf", "gelu", [big], 0.5 * d(big) * (1 + erf(d(big) / math.sqrt(2))))
add("gelu tanh", "geluTanh", [big],
    0.5 * d(big) * (1 + np.tanh(math.sqrt(2 / math.pi) * (d(big) + 0.044715 * d(big) ** 3))))
add("clamp", "clamp", [x], np.clip(d(x), -0.5, 1.25), min=-0.5, max=1.25)
add("clamp min", "clamp", [x], np.maximum(d(x), 0.1), min=0.1)
add("clamp max", "clamp", [x], np.minimum(d(x), -0.1), max=-0.1)
add("abs", "abs", [x], np.abs(d(x)))
add("neg", "neg", [x], -d(x))
add("scalar add", "addScalar", [x], d(x) + d(f32(1.5)), value=1.5)
add("scalar mul", "mulScalar", [x], d(x) * d(f32(-0.75)), value=-0.75)
add("scalar rsub", "rsubScalar", [x], d(f32(2.0)) - d(x), value=2.0)
add("scalar rdiv", "rdivScalar", [xp], d(f32(3.0)) / d(xp), value=3.0)

# ---- reductions -------------------------------------------------------------------------------
r = randn(3, 4, 5)
rt = ties(3, 4, 5)
for axes in [None, [0], [1], [2], [-1], [0, 2], [1, 2], [0, 1, 2], [-2, 0]]:
    for keep in [False, True]:
        ax = None if axes is None else tuple(axes)
        tag = f"axes={axes} keep={keep}"
        add(f"sum {tag}", "sum", [r], np.sum(d(r), axis=ax, keepdims=keep), axes=axes, keepDims=keep)
        add(f"mean {tag}", "mean", [r], np.mean(d(r), axis=ax, keepdims=keep), axes=axes, keepDims=keep)
        add(f"max {tag}", "max", [rt], np.max(d(rt), axis=ax, keepdims=keep), axes=axes, keepDims=keep)
        add(f"min {tag}", "min", [r], np.min(d(r), axis=ax, keepdims=keep), axes=axes, keepDims=keep)
        add(f"var {tag}", "var", [r], np.var(d(r), axis=ax, keepdims=keep), axes=axes, keepDims=keep, unbiased=False)
        add(f"var unbiased {tag}", "var", [r], np.var(d(r), axis=ax, keepdims=keep, ddof=1),
            axes=axes, keepDims=keep, unbiased=True)
        m = np.max(d(r), axis=ax, keepdims=True)
        lse = np.log(np.sum(np.exp(d(r) - m), axis=ax, keepdims=True)) + m
        if not keep:
            lse = lse.reshape(np.sum(d(r), axis=ax).shape)
        add(f"logsumexp {tag}", "logsumexp", [r], lse, axes=axes, keepDims=keep)
for axis in [0, 1, 2, -1]:
    for keep in [False, True]:
        # ties: the first index wins, as in NumPy.
        add(f"argmax axis={axis} keep={keep}", "argmax", [rt],
            np.expand_dims(np.argmax(rt, axis=axis), axis) if keep else np.argmax(rt, axis=axis),
            axis=axis, keepDims=keep)
wide = randn(6, 300)
add("sum wide last", "sum", [wide], np.sum(d(wide), axis=1), axes=[1], keepDims=False)
add("sum wide lead", "sum", [wide], np.sum(d(wide), axis=0), axes=[0], keepDims=False)
add("max wide last", "max", [wide], np.max(d(wide), axis=1, keepdims=True), axes=[1], keepDims=True)
add("max wide lead", "max", [wide], np.max(d(wide), axis=0), axes=[0], keepDims=False)
tall = randn(24, 3, 40)
add("sum tall lead", "sum", [tall], np.sum(d(tall), axis=(0, 1)), axes=[0, 1], keepDims=False)
add("sum tall mid", "sum", [tall], np.sum(d(tall), axis=1, keepdims=True), axes=[1], keepDims=True)
add("mean tall last", "mean", [tall], np.mean(d(tall), axis=-1), axes=[-1], keepDims=False)
add("logsumexp wide", "logsumexp", [wide], np.log(np.sum(np.exp(d(wide)), axis=1)), axes=[1], keepDims=False)

# ---- matmul -----------------------------------------------------------------------------------
def mm(name, sa, sb, transA=False, transB=False):
    a = randn(*sa)
    b = randn(*sb)
    # Stored shapes are sa / sb; the op transposes the last two dims of a view when asked.
    ea = np.swapaxes(d(a), -1, -2) if transA else d(a)
    eb = np.swapaxes(d(b), -1, -2) if transB else d(b)
    add(name, "matmul", [a, b], np.matmul(ea, eb), transA=transA, transB=transB)


mm("matmul 2d", [3, 4], [4, 5])
mm("matmul 2d square", [16, 16], [16, 16])
mm("matmul batched", [2, 3, 4], [2, 4, 5])
mm("matmul broadcast batch", [2, 1, 3, 4], [3, 4, 5])
mm("matmul broadcast rhs 2d", [2, 3, 4], [4, 2])
mm("matmul broadcast lhs 2d", [3, 4], [2, 4, 5])
mm("matmul transA", [4, 3], [4, 5], transA=True)
mm("matmul transB", [3, 4], [5, 4], transB=True)
mm("matmul transA transB", [4, 3], [5, 4], transA=True, transB=True)
mm("matmul batched transB", [2, 3, 4], [2, 5, 4], transB=True)
mm("matmul batched transA", [2, 4, 3], [4, 5], transA=True)
mm("matmul vec-mat", [4], [4, 5])
mm("matmul mat-vec", [3, 4], [4])
mm("matmul vec-vec", [4], [4])
mm("matmul batched mat-vec", [2, 3, 4], [4])
mm("matmul vec-batched", [4], [2, 4, 5])
mm("matmul k=1", [3, 1], [1, 5])
mm("matmul rows=1", [1, 4], [4, 5])
mm("matmul cols=1", [3, 4], [4, 1])
mm("matmul transA rows=1", [4, 1], [4, 3], transA=True)

# ---- fused kernels ----------------------------------------------------------------------------
def softmax(v, axis=-1):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


s = randn(4, 7, scale=3.0)
s3 = randn(2, 3, 5)
add("softmax", "softmax", [s], softmax(d(s)))
add("softmax 3d", "softmax", [s3], softmax(d(s3)))
add("softmax axis 0", "softmaxAxis", [s3], softmax(d(s3), axis=0), axis=0)
add("softmax axis 1", "softmaxAxis", [s3], softmax(d(s3), axis=1), axis=1)
add("log_softmax", "logSoftmax", [s], np.log(softmax(d(s))))
add("log_softmax 3d", "logSoftmax", [s3], np.log(softmax(d(s3))))
wide_s = randn(2, 600, scale=4.0)
add("softmax wide", "softmax", [wide_s], softmax(d(wide_s)))
for eps in [1e-5, 1e-12]:
    ln = randn(5, 8) * 2 + 1
    mu = d(ln).mean(-1, keepdims=True)
    var = d(ln).var(-1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    add(f"layer_norm eps={eps}", "layerNorm", [ln], [(d(ln) - mu) * inv, inv], eps=eps)
ln3 = randn(2, 3, 384)
mu3, var3 = d(ln3).mean(-1, keepdims=True), d(ln3).var(-1, keepdims=True)
add("layer_norm 384", "layerNorm", [ln3], [(d(ln3) - mu3) / np.sqrt(var3 + 1e-12), 1 / np.sqrt(var3 + 1e-12)], eps=1e-12)
rn = randn(5, 8)
rinv = 1 / np.sqrt((d(rn) ** 2).mean(-1, keepdims=True) + 1e-6)
add("rms_norm", "rmsNorm", [rn], [d(rn) * rinv, rinv], eps=1e-6)

# ---- indexing ---------------------------------------------------------------------------------
g = randn(3, 4)
gi = f32(rng.integers(0, 4, (3, 2)))
add("gather axis 1", "gather", [g, gi], np.take_along_axis(d(g), gi.astype(np.int64), axis=1), axis=1)
gi0 = f32(rng.integers(0, 3, (2, 4)))
add("gather axis 0", "gather", [g, gi0], np.take_along_axis(d(g), gi0.astype(np.int64), axis=0), axis=0)
g3 = randn(3, 4, 5)
gi3 = rng.integers(0, 3, (2, 2, 3))
# torch.gather allows an index smaller than the input outside `axis`: out[i,j,k] = in[idx[i,j,k], j, k].
ex3 = np.empty(gi3.shape)
for i in range(2):
    for j in range(2):
        for k in range(3):
            ex3[i, j, k] = g3[gi3[i, j, k], j, k]
add("gather axis 0 small index", "gather", [g3, f32(gi3)], ex3, axis=0)
gi3b = rng.integers(0, 5, (2, 3, 2))
ex3b = np.empty(gi3b.shape)
for i in range(2):
    for j in range(3):
        for k in range(2):
            ex3b[i, j, k] = g3[i, j, gi3b[i, j, k]]
add("gather axis 2 small index", "gather", [g3, f32(gi3b)], ex3b, axis=2)
table = randn(6, 3)
idx = [4, 0, 4, 2]
add("index_select axis 0", "indexSelect", [table], d(table)[idx], axis=0, indices=idx)
add("index_select axis 1", "indexSelect", [g3], d(g3)[:, [3, 1, 1], :], axis=1, indices=[3, 1, 1])
add("index_select axis -1", "indexSelect", [g3], d(g3)[:, :, [0, 4]], axis=-1, indices=[0, 4])
add("one_hot", "oneHot", [], np.eye(5)[[0, 3, 4, 3]], indices=[0, 3, 4, 3], classes=5)

# ---- shape ops --------------------------------------------------------------------------------
c1, c2, c3 = randn(2, 3, 4), randn(2, 1, 4), randn(2, 2, 4)
add("concat axis 1", "concat", [c1, c2, c3], np.concatenate([d(c1), d(c2), d(c3)], axis=1), axis=1)
c4, c5 = randn(2, 3, 4), randn(1, 3, 4)
add("concat axis 0", "concat", [c4, c5], np.concatenate([d(c4), d(c5)], axis=0), axis=0)
c6, c7 = randn(2, 3, 2), randn(2, 3, 3)
add("concat axis -1", "concat", [c6, c7], np.concatenate([d(c6), d(c7)], axis=-1), axis=-1)
s1, s2 = randn(3, 4), randn(3, 4)
for axis in [0, 1, 2, -1]:
    add(f"stack axis {axis}", "stack", [s1, s2], np.stack([d(s1), d(s2)], axis=axis), axis=axis)
sp = randn(3, 7)
add("split axis 1", "split", [sp], np.split(d(sp), [2, 5], axis=1), sizes=[2, 3, 2], axis=1)
add("split axis 0", "split", [sp], np.split(d(sp), [1], axis=0), sizes=[1, 2], axis=0)
sl = randn(6, 5)
add("slice step", "slice", [sl], d(sl)[1:6:2], axis=0, start=1, end=6, step=2)
add("slice negative", "slice", [sl], d(sl)[:, -3:-1], axis=1, start=-3, end=-1, step=1)
add("slice clipped", "slice", [sl], d(sl)[:, 2:99], axis=1, start=2, end=99, step=1)
rs = randn(2, 3, 4)
add("reshape", "reshape", [rs], d(rs).reshape(4, 6), shape=[4, 6])
add("reshape -1", "reshape", [rs], d(rs).reshape(3, -1, 2), shape=[3, -1, 2])
add("permute", "permute", [rs], np.transpose(d(rs), (2, 0, 1)), order=[2, 0, 1])
add("transpose", "transpose", [rs], np.swapaxes(d(rs), 0, 2), a=0, b=2)
sq = randn(1, 3, 1, 2)
add("squeeze all", "squeeze", [sq], np.squeeze(d(sq)))
add("squeeze axis", "squeeze", [sq], np.squeeze(d(sq), axis=2), axis=2)
add("unsqueeze 0", "unsqueeze", [rs], np.expand_dims(d(rs), 0), axis=0)
add("unsqueeze -1", "unsqueeze", [rs], np.expand_dims(d(rs), -1), axis=-1)
add("unsqueeze 2", "unsqueeze", [rs], np.expand_dims(d(rs), 2), axis=2)
add("sumToShape bias", "sumToShape", [rs], d(rs).sum(axis=(0, 1)), shape=[4])
add("sumToShape rows", "sumToShape", [rs], d(rs).sum(axis=(0, 2), keepdims=True)[0], shape=[3, 1])
add("sumToShape keep", "sumToShape", [rs], d(rs).sum(axis=1, keepdims=True), shape=[2, 1, 4])

# ---- creation ---------------------------------------------------------------------------------
add("linspace", "linspace", [], np.linspace(-1.0, 2.0, 7), start=-1.0, end=2.0, count=7)
add("linspace 1", "linspace", [], np.linspace(3.0, 5.0, 1), start=3.0, end=5.0, count=1)
add("arange", "arange", [], np.arange(0.0, 5.0), start=0.0, end=5.0, step=1.0)
add("arange step", "arange", [], np.arange(-1.0, 1.0, 0.25), start=-1.0, end=1.0, step=0.25)
add("arange down", "arange", [], np.arange(3.0, -1.0, -1.5), start=3.0, end=-1.0, step=-1.5)
add("eye", "eye", [], np.eye(4), n=4)

def encode_case(c):
    def arr(t):
        return '{"shape":%s,"data":[%s]}' % (json.dumps(t["shape"]), ",".join(repr(v) for v in t["data"]))
    return '{"name":%s,"op":%s,"args":%s,"inputs":[%s],"expected":[%s]}' % (
        json.dumps(c["name"]), json.dumps(c["op"]), json.dumps(c["args"]),
        ",".join(arr(t) for t in c["inputs"]), ",".join(arr(t) for t in c["expected"]))


os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "scripts/make_tensor_fixtures.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(encode_case(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT) // 1024} KiB)")
