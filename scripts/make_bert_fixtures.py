#!/usr/bin/env python3
"""Reference values for the WordPiece tokenizer and the BERT encoder (issue 7).

Runs the Hugging Face reference (tokenizers + transformers + torch, CPU, float32) on the real
model folder and writes small fixtures that the Swift tests compare against:

  Tests/DatasetsTests/Fixtures/wordpiece/ids.json
      for each sentence: the ids from tokenizer.json (the fast tokenizer, [CLS]/[SEP] added),
      the ids from vocab.txt (tokenizers' BertWordPieceTokenizer, same settings), the tokens,
      and a truncated + padded encoding (max_length 12, padded to 16) with its attention mask.
  Tests/DatasetsTests/Fixtures/wordpiece/shared_ids.json
      the reference ids (tokenizer.json, [CLS]/[SEP] added) of real texts from the shared data,
      named by file, record and field (the texts are not copied; the test reads them in place):
      PRMBench questions and steps, DreamPRM-1.5 conversation turns, BIG-Bench-Mistake traces.
  Tests/NNTests/Fixtures/bert/reference.json
      the sentences, their ids and attention masks as one padded batch, which token rows of the
      last hidden state were kept, and the config of the run.
  Tests/NNTests/Fixtures/bert/reference.safetensors
      `hidden`: [sentences, 2*K, hidden] last-hidden-state rows of the first K and last K real
      tokens of each sentence (of the padded batch run); `pooled`: [sentences, hidden] masked
      mean pooling (sentence-transformers' formula); `hidden_first`: all rows of sentence 0.

Usage: scripts/make_bert_fixtures.py [MODEL_DIR]   (default: ../shared/models/minilm-l6-v2)
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from tokenizers import BertWordPieceTokenizer, Tokenizer
from transformers import BertModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("DPRM_SHARED", os.path.join(ROOT, "..", "shared")), "models", "minilm-l6-v2")
K = 3  # first and last K real tokens of each sentence are kept

SENTENCES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Café déjà vu: naïve façade, Ångström, CRÈME BRÛLÉE.",
    "我爱自然语言处理 and 東京タワー, 서울.",
    "Antidisestablishmentarianism and supercalifragilisticexpialidocious are unbelievably long words.",
    "In 2023, 3.14159 × 42 = 131.95; call 555-0123 or pay $1,000,000 (50%)!",
    "",
    "Wait... what?! {yes} <no> @home #tag ^_^ ~`|\\ “quotes” — dash… «guillemets» ¿qué?",
    "Step 1: Let x = 5.\tThen 2x + 3 = 13 [SEP] with a tab,\nnewline,\u0000nul and \u200bzero-width.",
    "a" * 120 + " short",
]


def shared_texts():
    """(file, record, field, text) from the shared data, a few dozen records of each source."""
    data = os.path.join(os.path.dirname(MODEL), "..", "data")
    out = []
    prm = "prmbench/prm800k_test_p1_4o_circular.jsonl"
    with open(os.path.join(data, prm)) as f:
        for i, line in enumerate(f):
            if i >= 25:
                break
            r = json.loads(line)
            out.append((prm, i, "original_question", r["original_question"]))
            for j, step in enumerate(r["original_process"]):
                out.append((prm, i, f"original_process.{j}", step))
    meta = "dreamprm15/meta_MMMU_Pro.json"
    with open(os.path.join(data, meta)) as f:
        records = json.load(f)
    for i, r in enumerate(records[:12]):
        for j, turn in enumerate(r["conversations"]):
            out.append((meta, i, f"conversations.{j}.value", turn["value"]))
    bbm_dir = os.path.join(data, "bbm")
    for name in sorted(x for x in os.listdir(bbm_dir) if x.endswith(".jsonl"))[:3]:
        with open(os.path.join(bbm_dir, name)) as f:
            for i, line in enumerate(f):
                if i >= 6:
                    break
                r = json.loads(line)
                out.append((f"bbm/{name}", i, "input", r["input"]))
                for j, step in enumerate(r["steps"]):
                    out.append((f"bbm/{name}", i, f"steps.{j}", step))
    return out


def write_shared_ids(fast, out_dir):
    items = [{"file": f, "record": i, "field": k, "ids": fast.encode(t).ids} for f, i, k, t in shared_texts()]
    with open(os.path.join(out_dir, "shared_ids.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(x, separators=(",", ":")) for x in items) + "\n]\n")


def main():
    torch.manual_seed(0)
    fast = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    fast.no_truncation()
    fast.no_padding()
    from_vocab = BertWordPieceTokenizer(os.path.join(MODEL, "vocab.txt"), lowercase=True,
                                        strip_accents=None, clean_text=True, handle_chinese_chars=True)

    records = []
    for s in SENTENCES:
        e = fast.encode(s)
        v = from_vocab.encode(s)
        records.append({"text": s, "ids": e.ids, "tokens": e.tokens, "vocab_txt_ids": v.ids})

    # Truncation and padding as the tokenizer's own settings would do them, with smaller numbers.
    trunc = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    trunc.enable_truncation(max_length=12)
    trunc.enable_padding(length=16, pad_id=0, pad_token="[PAD]")
    truncated = []
    for s in SENTENCES:
        e = trunc.encode(s)
        truncated.append({"text": s, "ids": e.ids, "attention_mask": e.attention_mask})

    out_ids = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "wordpiece")
    os.makedirs(out_ids, exist_ok=True)
    with open(os.path.join(out_ids, "ids.json"), "w") as f:
        json.dump({"model": "minilm-l6-v2", "sentences": records, "truncated_12_padded_16": truncated},
                  f, ensure_ascii=False, indent=1)

    write_shared_ids(fast, out_ids)

    # The encoder on one padded batch (exercises the padding mask).
    model = BertModel.from_pretrained(MODEL, attn_implementation="eager").eval()
    lengths = [len(r["ids"]) for r in records]
    t = max(lengths)
    ids = [r["ids"] + [0] * (t - len(r["ids"])) for r in records]
    mask = [[1] * len(r["ids"]) + [0] * (t - len(r["ids"])) for r in records]
    with torch.no_grad():
        h = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
    m = torch.tensor(mask, dtype=torch.float32).unsqueeze(-1)
    pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    rows = []
    kept = []
    for i, n in enumerate(lengths):
        idx = list(range(min(K, n))) + list(range(max(n - K, 0), n))
        idx = (idx + [idx[-1]] * (2 * K))[: 2 * K]  # short sentences repeat their last row
        kept.append(idx)
        rows.append(h[i, idx])
    hidden = torch.stack(rows).contiguous()

    out_bert = os.path.join(ROOT, "Tests", "NNTests", "Fixtures", "bert")
    os.makedirs(out_bert, exist_ok=True)
    save_file({"hidden": hidden, "pooled": pooled.contiguous(),
               "hidden_first": h[0, : lengths[0]].contiguous()},
              os.path.join(out_bert, "reference.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_bert, "reference.json"), "w") as f:
        json.dump({"model": "minilm-l6-v2", "torch": torch.__version__,
                   "sentences": SENTENCES, "input_ids": ids, "attention_mask": mask,
                   "lengths": lengths, "kept_rows": kept}, f, ensure_ascii=False, indent=1)
    print(f"wrote {out_ids}/ids.json and {out_bert}/reference.{{json,safetensors}} "
          f"({len(SENTENCES)} sentences, padded length {t})")


if __name__ == "__main__":
    main()
