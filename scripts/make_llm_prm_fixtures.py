#!/usr/bin/env python3
"""Reference step scores of the language-model PRM (issue 16), from transformers.

dprm's PRM on a llama-family model (`prm_new(backbone: load_model(...))`, LlamaPRMBackbone)
templates a conversation in the DreamPRM-1.5 ChatML format and reads each step's score as the
full-vocabulary softmax probability of the `+` token at the position before the assistant's
label. This script renders the same conversations as plain text, tokenizes them with
transformers' tokenizer, runs the model in float32 and records, per conversation:

  ids              transformers' token ids of the whole text (dprm's template must give the same)
  label_positions  the index before each assistant turn's `+` token
  p_plus           softmax(logits[position])[id of '+'] at each label position

for two models: the tiny random llama of make_llama_fixtures.py (its Hugging Face folder and its
GGUF file, which hold the same float16 weights) and the real SmolLM2-135M-Instruct GGUF of the
model cache (transformers dequantises it itself: `from_pretrained(dir, gguf_file=...)`).
A checkpoint of a language-model PRM is a Hugging Face folder. The script has dprm (the
debug binary, or $DPRM_BIN) build a PRM from the tiny GGUF with `trainable_layers: 1`, cold-start
it for a few steps on the built-in benchmark and save it to Tests/PRMTests/Fixtures/llm/
tiny-checkpoint (about 130 KB: config.json, model.safetensors, and tokenizer.json /
tokenizer_config.json / special_tokens_map.json that dprm wrote from the GGUF vocabulary). It then
loads that folder with transformers (AutoTokenizer, AutoModelForCausalLM) and asserts: the
tokenizer gives the original tokenizer's ids on every conversation and on a few harder texts,
the frozen block and embeddings equal the GGUF's and the trained block differs; and records the
transformers scores of the checkpoint under "checkpoint" (the Swift test loads the same folder
with prm_load and compares).

Written to Tests/PRMTests/Fixtures/llm/scores.json (a few KB).

Usage: scripts/make_llm_prm_fixtures.py  (after swift build)
"""
import json
import os
import shutil
import subprocess
import tempfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA = os.path.join(ROOT, "Tests", "NNTests", "Fixtures", "llama")
OUT = os.path.join(ROOT, "Tests", "PRMTests", "Fixtures", "llm")
CACHE = os.environ.get("DPRM_MODEL_CACHE", os.path.expanduser("~/.cache/dprm/models"))
SMOLLM = os.path.join(CACHE, "smollm2-135m-instruct")
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# The system prompt of the DreamPRM-1.5 reference (Datasets.defaultSystemPrompt, verbatim).
REFERENCE_SYSTEM = open(os.path.join(ROOT, "Sources", "Datasets", "Datasets.swift")).read() \
    .split('defaultSystemPrompt = """\n', 1)[1].split('\n    """', 1)[0].replace("\n    ", "\n").lstrip("    ")

TINY_CONVERSATIONS = [
    {"system": "Check each step.", "question": "Let x = 5. What is 2x + 3?",
     "steps": ["2x = 10", "2x + 3 = 13"]},
    {"system": "Check each step.", "question": "Hello, world!", "steps": ["The answer is 100.", "step 2"]},
]
SMOLLM_CONVERSATIONS = [
    {"system": REFERENCE_SYSTEM, "question": "What is 12 + 30?",
     "steps": ["12 + 30 = 42.", "So the answer is 42."]},
    {"system": REFERENCE_SYSTEM, "question": "A train travels 60 km in 1.5 hours. What is its speed?",
     "steps": ["Speed = distance / time = 60 / 1.5.", "60 / 1.5 = 50 km/h.", "The answer is 50 km/h."]},
]


def render(conv):
    """The conversation as text (scoring mode: a `+` placeholder in every assistant turn), and the
    text before each label token."""
    text = "<|im_start|>system\n" + conv["system"] + "<|im_end|>\n" + "<|im_start|>user\n" + conv["question"] + "<|im_end|>\n"
    prefixes = []
    for step in conv["steps"]:
        text += "<|im_start|>user\n" + step + "<|im_end|>\n" + "<|im_start|>assistant\n"
        prefixes.append(text)
        text += "+<|im_end|>\n"
    return text, prefixes


def score(model, tok, conv):
    text, prefixes = render(conv)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    plus = tok("+", add_special_tokens=False)["input_ids"]
    assert len(plus) == 1, plus
    positions = []
    for p in prefixes:
        n = len(tok(p, add_special_tokens=False)["input_ids"])
        assert ids[n] == plus[0], (ids[n], plus)  # the label token is `+`, tokenized on its own
        positions.append(n - 1)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    probs = torch.softmax(logits, dim=-1)[:, plus[0]]
    return {**conv, "text": text, "ids": ids, "plus_id": plus[0], "label_positions": positions,
            "p_plus": [float(probs[p]) for p in positions]}


HARD_TEXTS = ["  two  spaces\n\n\nnewlines\t tab", "Caf\u00e9 na\u00efve \u6771\u4eac 12345 \U0001F600!", "<|im_start|>user\nx<|im_end|>"]
CHECKPOINT = os.path.join(OUT, "tiny-checkpoint")
DPRM_SCRIPT = """
let p = prm_new(backbone: load_model("{gguf}"), trainable_layers: 1)
let b = benchmark(seed: 1, train_size: 8, meta: 2, test: 2)
coldstart(p, b.train, lr: 3e-2, iterations: 4, batch_size: 4, progress: false)
p.save("{out}")
"""


def dprm_checkpoint():
    """Has dprm save a cold-started PRM of the tiny GGUF as CHECKPOINT."""
    binary = os.environ.get("DPRM_BIN", os.path.join(ROOT, ".build", "debug", "dprm"))
    if os.path.isdir(CHECKPOINT):
        shutil.rmtree(CHECKPOINT)
    with tempfile.NamedTemporaryFile("w", suffix=".dprm", delete=False) as f:
        f.write(DPRM_SCRIPT.format(gguf=os.path.join(LLAMA, "tiny-llama.gguf"), out=CHECKPOINT))
    subprocess.run([binary, "run", f.name], check=True)
    os.remove(f.name)


def check_checkpoint(reference_tok, gguf_model):
    tok = AutoTokenizer.from_pretrained(CHECKPOINT)
    model = AutoModelForCausalLM.from_pretrained(CHECKPOINT, dtype=torch.float32).eval()
    for t in HARD_TEXTS + [render(c)[0] for c in TINY_CONVERSATIONS]:
        assert tok(t, add_special_tokens=False)["input_ids"] == reference_tok(t, add_special_tokens=False)["input_ids"], t
    saved, original = model.state_dict(), gguf_model.state_dict()
    for name in ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"]:
        assert torch.equal(saved[name], original[name]), f"{name} is frozen but changed"
    for name in ["model.layers.1.self_attn.q_proj.weight", "model.norm.weight"]:
        assert not torch.equal(saved[name], original[name]), f"{name} should have trained"
    assert torch.equal(saved["lm_head.weight"], saved["model.embed_tokens.weight"]), "tied head"
    return [score(model, tok, c) for c in TINY_CONVERSATIONS]


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    out = {}
    folder = os.path.join(LLAMA, "tiny-llama")
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    out["tiny-llama"] = [score(model, tok, c) for c in TINY_CONVERSATIONS]
    # The GGUF of the same weights, loaded by transformers: same scores (float16 weights both ways).
    gtok = AutoTokenizer.from_pretrained(LLAMA, gguf_file="tiny-llama.gguf")
    gmodel = AutoModelForCausalLM.from_pretrained(LLAMA, gguf_file="tiny-llama.gguf", dtype=torch.float32).eval()
    for ref, c in zip(out["tiny-llama"], TINY_CONVERSATIONS):
        g = score(gmodel, gtok, c)
        assert g["ids"] == ref["ids"], "GGUF tokenizer disagrees with the folder's"
        assert max(abs(a - b) for a, b in zip(g["p_plus"], ref["p_plus"])) < 1e-5
    dprm_checkpoint()
    out["checkpoint"] = check_checkpoint(tok, gmodel)
    stok = AutoTokenizer.from_pretrained(SMOLLM, gguf_file=SMOLLM_FILE)
    smodel = AutoModelForCausalLM.from_pretrained(SMOLLM, gguf_file=SMOLLM_FILE, dtype=torch.float32).eval()
    out["smollm2"] = [score(smodel, stok, c) for c in SMOLLM_CONVERSATIONS]
    assert all(len(c["ids"]) <= 128 for c in out["tiny-llama"]), "the tiny model has 128 positions"
    for name, convs in out.items():
        for c in convs:
            print(name, len(c["ids"]), "tokens, p(+):", [round(p, 5) for p in c["p_plus"]])
    with open(os.path.join(OUT, "scores.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
