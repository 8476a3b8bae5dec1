#!/usr/bin/env python3
"""Reference outputs of the real SmolLM2-135M-Instruct GGUF from PyTorch + transformers (issue 16).

transformers loads the same GGUF file dprm loads (`from_pretrained(dir, gguf_file=...)`: it
dequantises the Q4_1 tensors to float32 and undoes llama.cpp's Q/K permutation), and runs it in
float32 on the CPU. Written to Tests/NNTests/Fixtures/llama/smollm2.json (a few KB):

  texts[i].ids        the token ids of each text (transformers' tokenizer from the GGUF; the Swift
                      test feeds these ids, so it does not depend on dprm's tokenizer)
  texts[i].probe      vocabulary ids probed at every position (fixed, seeded), and
  texts[i].logits     the logits at those ids, [positions][probes], and
  texts[i].top        per position the top-5 (id, logit) pairs
  greedy              a 32-token greedy continuation of texts[0] (full forward passes), with the
                      smallest top-2 logit margin along the way (asserted > 1e-2, so float32
                      differences, ~1e-4 on logits of this size, cannot change an argmax)

Usage: scripts/make_smollm_reference.py [MODEL_DIR]  (default: the model cache's smollm2-135m-instruct)
"""
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("DPRM_MODEL_CACHE", os.path.expanduser("~/.cache/dprm/models"))
FOLDER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(CACHE, "smollm2-135m-instruct")
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = os.path.join(ROOT, "Tests", "NNTests", "Fixtures", "llama", "smollm2.json")
GREEDY_TOKENS = 32
PROBES = 24
MIN_MARGIN = 1e-2

TEXTS = [
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "Step 1: Let x = 5. Then 2x + 3 = 13, so the answer is 13.",
    "The quick brown fox jumps over the lazy dog. Café, naïve, 東京, 12345!",
]


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(FOLDER, gguf_file=FILE)
    model = AutoModelForCausalLM.from_pretrained(FOLDER, gguf_file=FILE, dtype=torch.float32).eval()
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(1)
    out = {"file": FILE, "texts": []}
    with torch.no_grad():
        for text in TEXTS:
            ids = tok(text, add_special_tokens=False)["input_ids"]
            logits = model(input_ids=torch.tensor([ids])).logits[0].float()
            probe = torch.randperm(vocab, generator=g)[:PROBES].tolist()
            top = torch.topk(logits, 5, dim=-1)
            out["texts"].append({
                "text": text,
                "ids": ids,
                "probe": probe,
                "logits": [[round(float(v), 6) for v in row[probe]] for row in logits],
                "top": [[[int(i), round(float(v), 6)] for i, v in zip(ti, tv)] for ti, tv in zip(top.indices, top.values)],
            })
        ids = list(out["texts"][0]["ids"])
        margins = []
        for _ in range(GREEDY_TOKENS):
            row = model(input_ids=torch.tensor([ids])).logits[0, -1]
            top2 = torch.topk(row, 2).values
            margins.append(float(top2[0] - top2[1]))
            assert margins[-1] > MIN_MARGIN, f"top-2 margin {margins[-1]} too small for an exact greedy comparison"
            ids.append(int(row.argmax()))
        greedy = ids[len(out["texts"][0]["ids"]):]
    out["greedy"] = greedy
    out["greedy_text"] = tok.decode(greedy)
    out["greedy_min_margin"] = min(margins)
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT) // 1024} KB); greedy: {out['greedy_text']!r}, min margin {min(margins):.4f}")


if __name__ == "__main__":
    main()
