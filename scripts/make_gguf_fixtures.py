#!/usr/bin/env python3
"""Writes the GGUF fixtures of Tests/NNTests/Fixtures/gguf/ with the `gguf` package (gguf-py, the
llama.cpp project's own Python reader/writer), so that dprm's GGUF reader is checked against an
independent implementation:

  quants.gguf        one small tensor of each type dprm dequantises (F32, F16, BF16, Q8_0, Q4_0,
                     Q4_1, Q4_K, Q6_K) plus a 3-d F32 tensor for the order of dimensions.
                     F16/BF16/Q8_0/Q4_0/Q4_1 are gguf.quants.quantize() of seeded normal values;
                     gguf-py cannot quantize Q4_K and Q6_K, so their blocks are seeded random
                     bytes with finite half-precision super-scales (every bit pattern of the
                     quants and sub-scales is a valid block).
  quants.json        per tensor: type, row-major shape and gguf.quants.dequantize() of its bytes
                     (Float32 values, written with repr so they parse back to the same floats).
  metadata.gguf      one metadata entry of every value type (edge values), arrays of every
                     element type including strings, a nested array (gguf-py refuses empty
                     arrays; the Swift tests build one), a custom
                     alignment (general.alignment = 64) and three tensors so the alignment matters.
  metadata.json      what gguf-py's GGUFReader reads back from metadata.gguf: per key the type and
                     value (integers as decimal strings, floats as their IEEE bit patterns, so
                     every comparison is exact), the tensors' offsets and the data offset.
  smollm2.json       only when the real model is in the model cache (scripts/fetch-models
                     smollm2-135m-instruct): for a few tensors of SmolLM2-135M-Instruct.Q4_1.gguf,
                     the type, shape, first 32 dequantised values and the float64 sum and sum of
                     absolute values of all of them (checks the whole tensor, in a few numbers).

Run from the repository root: python3 scripts/make_gguf_fixtures.py
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q, GGUFValueType as V

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NNTests", "Fixtures", "gguf")
CACHE = os.environ.get("DPRM_MODEL_CACHE", os.path.expanduser("~/.cache/dprm/models"))
SMOLLM = os.path.join(CACHE, "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float32).reshape(-1)]


def random_kquant_blocks(rng, qtype, n_blocks, scale_offsets):
    """Random blocks of a K-quant with every half-precision scale at `scale_offsets` set to a
    finite positive value (random bytes there could be NaN or huge)."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in scale_offsets:
        d = rng.uniform(0.002, 0.05, size=n_blocks).astype(np.float16)
        blocks[:, off:off + 2] = d.view(np.uint8).reshape(n_blocks, 2)
    return blocks


def quants(rng):
    path = os.path.join(OUT, "quants.gguf")
    w = gguf.GGUFWriter(path, arch="fixture")
    expected = {}

    def add(name, qtype, data_or_bytes, shape):
        if qtype in (Q.F32, Q.F16):
            arr = data_or_bytes.astype(np.float32 if qtype == Q.F32 else np.float16)
            w.add_tensor(name, arr)
            raw = arr
        else:
            raw = data_or_bytes
            w.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=qtype)
        values = gguf.quants.dequantize(raw, qtype).reshape(shape)
        expected[name] = {"type": qtype.name, "shape": list(shape), "data": floats(values)}

    x = rng.normal(size=(3, 64)).astype(np.float32)
    add("f32", Q.F32, x, x.shape)
    add("f16", Q.F16, x, x.shape)
    for qtype in (Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1):
        add(qtype.name.lower(), qtype, gguf.quants.quantize(x, qtype), x.shape)
    # Q4_K: d at bytes 0-1, dmin at 2-3. Q6_K: d at bytes 208-209.
    add("q4_k", Q.Q4_K, random_kquant_blocks(rng, Q.Q4_K, 2, [0, 2]).reshape(2, 144), (2, 256))
    add("q6_k", Q.Q6_K, random_kquant_blocks(rng, Q.Q6_K, 2, [208]).reshape(2, 210), (2, 256))
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    add("cube", Q.F32, cube, cube.shape)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with open(os.path.join(OUT, "quants.json"), "w") as f:
        json.dump(expected, f, indent=0)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {len(expected)} tensors")


def metadata():
    path = os.path.join(OUT, "metadata.gguf")
    w = gguf.GGUFWriter(path, arch="fixture")
    w.add_custom_alignment(64)
    w.add_uint8("t.uint8", 255)
    w.add_int8("t.int8", -128)
    w.add_uint16("t.uint16", 65535)
    w.add_int16("t.int16", -32768)
    w.add_uint32("t.uint32", 4294967295)
    w.add_int32("t.int32", -2147483648)
    w.add_uint64("t.uint64", 18446744073709551615)
    w.add_int64("t.int64", -9223372036854775808)
    w.add_float32("t.float32", -1.25e-3)
    w.add_float64("t.float64", 3.141592653589793)
    w.add_bool("t.true", True)
    w.add_bool("t.false", False)
    w.add_string("t.string", "héllo, 世界 🙂\n\"quoted\"")
    w.add_string("t.empty_string", "")
    w.add_key_value("t.array.uint8", [0, 7, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("t.array.int8", [-128, 0, 127], V.ARRAY, sub_type=V.INT8)
    w.add_key_value("t.array.uint16", [1, 65535], V.ARRAY, sub_type=V.UINT16)
    w.add_key_value("t.array.int16", [-32768, 5], V.ARRAY, sub_type=V.INT16)
    w.add_key_value("t.array.uint32", [3, 4294967295], V.ARRAY, sub_type=V.UINT32)
    w.add_key_value("t.array.int32", [-7, 2147483647], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("t.array.uint64", [18446744073709551615, 0], V.ARRAY, sub_type=V.UINT64)
    w.add_key_value("t.array.int64", [-9223372036854775808, 9], V.ARRAY, sub_type=V.INT64)
    w.add_key_value("t.array.float32", [0.5, -2.0, 1e-30], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("t.array.float64", [1e300, -0.1], V.ARRAY, sub_type=V.FLOAT64)
    w.add_key_value("t.array.bool", [True, False, True], V.ARRAY, sub_type=V.BOOL)
    w.add_array("t.array.string", ["a", "", "Ġthe", "<|im_start|>", "日本"])
    w.add_array("t.array.nested", [[1, 2], [3]])
    # Three tensors of odd sizes: with alignment 64 the second and third need padding.
    w.add_tensor("a", np.arange(3, dtype=np.float32))
    w.add_tensor("b", np.arange(5, dtype=np.float16).reshape(1, 5))
    w.add_tensor("c", np.full((2, 2), 7, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # What the reference reader makes of the file.
    r = gguf.GGUFReader(path)

    def scalar(vtype, raw):
        if vtype == V.STRING:
            return {"type": "STRING", "value": bytes(raw).decode("utf-8")}
        v = raw[0] if hasattr(raw, "__len__") and not isinstance(raw, (bytes, str)) else raw
        if vtype == V.FLOAT32:
            return {"type": "FLOAT32", "bits": str(int(np.float32(v).view(np.uint32)))}
        if vtype == V.FLOAT64:
            return {"type": "FLOAT64", "bits": str(int(np.float64(v).view(np.uint64)))}
        if vtype == V.BOOL:
            return {"type": "BOOL", "value": bool(v)}
        return {"type": vtype.name, "value": str(int(v))}

    expected = {"metadata": {}, "keys": [], "tensors": {}}
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        expected["keys"].append(key)
        types = list(field.types)
        if types[0] != V.ARRAY:
            expected["metadata"][key] = scalar(types[0], field.parts[field.data[0]])
        elif key == "t.array.nested":
            # gguf-py's reader does not rebuild nested arrays; the written value is known.
            expected["metadata"][key] = {"type": "ARRAY", "element_type": "ARRAY", "items": [
                {"type": "ARRAY", "element_type": "INT32", "items": [scalar(V.INT32, [1]), scalar(V.INT32, [2])]},
                {"type": "ARRAY", "element_type": "INT32", "items": [scalar(V.INT32, [3])]}]}
            # Check the assumption about the element type add_array picks for Python ints.
            assert types[:3] == [V.ARRAY, V.ARRAY, V.INT32], types
        else:
            sub = types[1]
            items = [scalar(sub, field.parts[i]) for i in field.data]
            expected["metadata"][key] = {"type": "ARRAY", "element_type": sub.name, "items": items}
    for t in r.tensors:
        expected["tensors"][t.name] = {"type": t.tensor_type.name, "dimensions": [int(d) for d in t.shape],
                                       "data_offset": int(t.data_offset) - int(r.data_offset),
                                       "values": floats(t.data)}
    expected["alignment"] = int(r.alignment)
    expected["data_offset"] = int(r.data_offset)
    with open(os.path.join(OUT, "metadata.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {len(expected['keys'])} keys")


def smollm2():
    if not os.path.exists(SMOLLM):
        print(f"skipping smollm2.json: {SMOLLM} is absent (run scripts/fetch-models smollm2-135m-instruct)")
        return
    r = gguf.GGUFReader(SMOLLM)
    wanted = ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "output_norm.weight"]
    out = {}
    for t in r.tensors:
        if t.name not in wanted:
            continue
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        shape = [int(d) for d in reversed(t.shape)]
        out[t.name] = {"type": t.tensor_type.name, "shape": shape, "first": floats(values.reshape(-1)[:32]),
                       "sum": float(values.astype(np.float64).sum()),
                       "abs_sum": float(np.abs(values.astype(np.float64)).sum())}
    with open(os.path.join(OUT, "smollm2.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote smollm2.json ({len(out)} tensors)")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261203)
    quants(rng)
    metadata()
    smollm2()
