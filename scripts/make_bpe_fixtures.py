#!/usr/bin/env python3
"""Reference ids for dprm's byte-level BPE tokenizer (Sources/Datasets/BPETokenizer.swift), from
Hugging Face `tokenizers` / `transformers`. Writes Tests/DatasetsTests/Fixtures/bpe/:

  tiny-{qwen2,gpt2,llama3}.tokenizer.json
        three small byte-level BPE tokenizers (800 tokens) trained here with `tokenizers` on the
        shared data, one per splitting rule: Qwen2's Split regex with NFC and ByteLevel(use_regex
        false); GPT-2's ByteLevel(use_regex true) with a non-special added token `<step>`; Llama
        3's Split regex (digits in threes) with ignore_merges. All have `<|endoftext|>`,
        `<|im_start|>`, `<|im_end|>` as special added tokens.
  edge_ids.json
        a corpus of edge cases written here (runs of spaces and newlines, digits, accents,
        combining marks, CJK, emoji, contractions, special tokens inside text) and each
        tokenizer's ids for every text, with the decoded text.
  shared_digests.json
        for every text of ../shared/data (every string of every record of every JSON / JSONL
        file, walked in file order: object values in key order, arrays in order), each
        tokenizer's ids, reduced to a 64-bit FNV-1a hash (one id per step) per chunk of 64 records plus the total
        number of ids per file (the ids themselves would be megabytes; the texts are not ours to
        commit). The Swift test walks the same files the same way and compares the hashes; a
        mismatch names the file and the records; `--dump FILE RECORD` prints that record's ids.

The real model: `smollm2` is SmolLM2-135M-Instruct's tokenizer from the GGUF file in the model
cache (scripts/fetch-models smollm2-135m-instruct), loaded with transformers
(AutoTokenizer.from_pretrained(dir, gguf_file=...)). transformers' GGUF converter ignores the
file's `tokenizer.ggml.pre` = "smollm" and gives the tokenizer a plain ByteLevel(use_regex)
pre-tokenizer; the model's own tokenizer.json (and llama.cpp, whose "smollm" rule is the regex
`\\p{N}` before GPT-2's) first splits every digit alone. The two differ where spaces meet digits
("  1": [ĠĠ, 1] against [Ġ, Ġ, 1]). The reference here is the model's own: the transformers
tokenizer with its pre-tokenizer set to Sequence[Digits(individual_digits), ByteLevel(use_regex)],
and the script prints how many shared texts the unpatched converter would tokenise differently.

  tiny-gpt2.gguf, bad-model.gguf, bad-pre.gguf
        tiny-gpt2's tokenizer as GGUF metadata (tokenizer.ggml.*, pre "gpt2", token types 3 for
        the special tokens and 4 for `<step>`), written with the `gguf` package, so the GGUF path
        is tested without the real model (same ids as the tokenizer.json); and two refused ones:
        tokenizer.ggml.model "llama" (SentencePiece) and an unknown pre-tokenizer "tekken".
  chat.json
        SmolLM2's chat template (the GGUF's tokenizer.chat_template) applied by transformers'
        apply_chat_template to a few conversations: the text and its ids.

Usage: python3 scripts/make_bpe_fixtures.py [--dump FILE RECORD] [--chat] [--gguf]
       (--chat: only chat.json; --gguf: only the .gguf files, from the committed tiny-gpt2.tokenizer.json)
"""
import json
import os
import sys

from tokenizers import Tokenizer, Regex, decoders, models, normalizers, pre_tokenizers, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHARED = os.environ.get("DPRM_SHARED", os.path.join(ROOT, "..", "shared"))
DATA = SHARED if os.path.basename(SHARED.rstrip("/")) == "data" else os.path.join(SHARED, "data")
OUT = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "bpe")
CACHE = os.environ.get("DPRM_MODEL_CACHE", os.path.expanduser("~/.cache/dprm/models"))
SMOLLM_DIR = os.path.join(CACHE, "smollm2-135m-instruct")
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHUNK = 64

EDGE = [
    "", " ", "  ", "   ", "\n", "\n\n", "\n\n\n", " \n", "\n ", "\t", "\t\t x", "\r\n", "a\r\nb\r\n\r\nc",
    "Hello world", " Hello  world ", "Hello   world\n\n\nnext", "end with spaces   ", "   lead",
    "12345", " 12345", "  1", "x  2", "a1b2c3", "3.14159 and 2,718", "1234567 digits", "٣٤٥ and ¾ and Ⅻ",
    "don't I'm we're they've you'll he'd it's", "DON'T I'M WE'RE", "'s' 'tis ''", "rock 'n' roll",
    "café naïve résumé façade", "cafe\u0301 (combining accent)", "Ångström über Straße", "ÀÉÎÕÜ",
    "日本語のテキスト", "中文，标点。", "한국어 문장", "mixed 日本 text", "emoji 🙂🎉👍🏽", "👨‍👩‍👧‍👦 family",
    "flags 🇫🇷🇯🇵", "math ∑∫√∞ ≤ ≥ ≠", "x² + y² = z²", "a\u00a0non-breaking\u2003em space", "zero\u200bwidth",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>",
    "<|im_start|><|im_end|>", "text<|endoftext|>more", "<|im_start", "<|im_start|x", "<step>one<step>two",
    "+", "-", "+-+", " +", " -", "Step 1: add 3 + 4 = 7.\nStep 2: multiply.", "$\\frac{1}{2}$ and \\sqrt{x}",
    "```python\ndef f(x):\n    return x ** 2\n```", "    indented\n        more", "a" * 300, " " * 100 + "x",
    "\n" * 40, "😀" * 20, "tab\tseparated\tvalues", "punctuation!!! ??? ... ---", "(((nested)))", "http://example.com/a?b=c&d=e",
]


def walk(value, out):
    """Every string inside a JSON value, in order (object values in key order)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        for v in value:
            walk(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            walk(v, out)


def shared_files():
    """(relative path, [records]) for every JSON / JSONL file of the shared data, sorted."""
    out = []
    for folder, _, names in sorted(os.walk(DATA)):
        for name in sorted(names):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, DATA)
            if name.endswith(".jsonl"):
                with open(path, encoding="utf-8") as f:
                    records = [json.loads(line) for line in f if line.strip()]
            elif name.endswith(".json"):
                with open(path, encoding="utf-8") as f:
                    records = json.load(f)
                if not isinstance(records, list):
                    records = [records]
            else:
                continue
            out.append((rel, records))
    return sorted(out)


def fnv1a(ids_per_text, h=0xcbf29ce484222325):
    """FNV-1a with 64-bit state taking one id (not one byte) per step; 0xFFFFFFFF after each text."""
    for ids in ids_per_text:
        for i in ids:
            h = ((h ^ i) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        h = ((h ^ 0xFFFFFFFF) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def digests(encode_batch, files):
    out = {}
    for rel, records in files:
        texts_per_record = []
        for r in records:
            texts = []
            walk(r, texts)
            texts_per_record.append(texts)
        flat = [t for texts in texts_per_record for t in texts]
        ids = encode_batch(flat)
        chunks, total, k = [], 0, 0
        for start in range(0, len(records), CHUNK):
            h = 0xcbf29ce484222325
            for texts in texts_per_record[start:start + CHUNK]:
                h = fnv1a(ids[k:k + len(texts)], h)
                total += sum(len(x) for x in ids[k:k + len(texts)])
                k += len(texts)
            chunks.append(f"{h:016x}")
        out[rel] = {"records": len(records), "texts": len(flat), "ids": total, "chunks": chunks}
    return out


def train_tiny(files):
    corpus = []
    for _, records in files:
        for r in records[:200]:
            walk(r, corpus)
    made = {}
    for name in ["qwen2", "gpt2", "llama3"]:
        tok = Tokenizer(models.BPE(ignore_merges=(name == "llama3")))
        if name == "gpt2":
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        else:
            tok.normalizer = normalizers.NFC() if name == "qwen2" else None
            regex = QWEN2 if name == "qwen2" else LLAMA3
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=SPECIAL, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(corpus, trainer=trainer)
        if name == "gpt2":
            tok.add_tokens(["<step>"])
        path = os.path.join(OUT, f"tiny-{name}.tokenizer.json")
        tok.save(path)
        made[f"tiny-{name}"] = tok
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {tok.get_vocab_size()} tokens)")
    return made


def smollm2():
    """SmolLM2's own tokenizer (see the module doc), and transformers' unpatched GGUF one."""
    path = os.path.join(SMOLLM_DIR, SMOLLM_FILE)
    if not os.path.exists(path):
        print(f"no {path}: the smollm2 references are skipped (run scripts/fetch-models smollm2-135m-instruct)")
        return None, None
    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(SMOLLM_DIR, gguf_file=SMOLLM_FILE)
    converted = Tokenizer.from_str(hf.backend_tokenizer.to_str())
    own = Tokenizer.from_str(hf.backend_tokenizer.to_str())
    own.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    return own, converted


def chat():
    path = os.path.join(SMOLLM_DIR, SMOLLM_FILE)
    if not os.path.exists(path):
        print(f"no {path}: chat.json is not written")
        return
    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(SMOLLM_DIR, gguf_file=SMOLLM_FILE)
    own, _ = smollm2()
    conversations = [
        ([{"role": "user", "content": "What is 2+2?"}], True),
        ([{"role": "user", "content": "What is 2+2?"}], False),
        ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
          {"role": "assistant", "content": "Hello!"}], False),
        ([{"role": "system", "content": "You are a process reward model."},
          {"role": "user", "content": "Solve 12 * 12.\nStep 1: 12 * 12 = 144."},
          {"role": "assistant", "content": "+"}, {"role": "user", "content": "Final answer: 144"}], True),
        ([{"role": "user", "content": "  spaces  and\n\nnewlines 123 日本 🙂"}], True),
    ]
    out = []
    for messages, gen in conversations:
        text = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        out.append({"messages": messages, "add_generation_prompt": gen, "text": text,
                    "ids": own.encode(text, add_special_tokens=False).ids})
    with open(os.path.join(OUT, "chat.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"wrote chat.json ({len(out)} conversations)")


def tiny_gguf():
    import gguf
    j = json.load(open(os.path.join(OUT, "tiny-gpt2.tokenizer.json"), encoding="utf-8"))
    vocab = dict(j["model"]["vocab"])
    types = {}
    for t in j["added_tokens"]:
        vocab[t["content"]] = t["id"]
        types[t["id"]] = 3 if t["special"] else 4
    tokens = [None] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    merges = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]

    def write(name, model, pre, tokens, merges, token_types=None):
        w = gguf.GGUFWriter(os.path.join(OUT, name), arch="llama")
        w.add_tokenizer_model(model)
        w.add_tokenizer_pre(pre)
        w.add_token_list(tokens)
        if token_types is not None:
            w.add_token_types(token_types)
        w.add_token_merges(merges)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        print(f"wrote {name} ({os.path.getsize(os.path.join(OUT, name))} bytes)")

    write("tiny-gpt2.gguf", "gpt2", "gpt2", tokens, merges, [types.get(i, 1) for i in range(len(tokens))])
    write("bad-model.gguf", "llama", "default", ["a", "b", "ab"], ["a b"])
    write("bad-pre.gguf", "gpt2", "tekken", ["a", "b", "ab"], ["a b"])


def batch(tok):
    return lambda texts: [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--chat" in sys.argv:
        chat()
        return
    if "--gguf" in sys.argv:
        tiny_gguf()
        return
    files = shared_files()
    if "--dump" in sys.argv:
        rel, record = sys.argv[sys.argv.index("--dump") + 1], int(sys.argv[sys.argv.index("--dump") + 2])
        own, _ = smollm2()
        texts = []
        walk(dict(files)[rel][record], texts)
        for t in texts:
            print(json.dumps(t[:80]), own.encode(t, add_special_tokens=False).ids)
        return
    tokenizers = train_tiny(files)
    own, converted = smollm2()
    if own is not None:
        tokenizers["smollm2"] = own
    edge = {"texts": EDGE}
    for name, tok in tokenizers.items():
        ids = batch(tok)(EDGE)
        edge[name] = {"ids": ids, "decoded": [tok.decode(x, skip_special_tokens=False) for x in ids]}
    with open(os.path.join(OUT, "edge_ids.json"), "w", encoding="utf-8") as f:
        json.dump(edge, f, ensure_ascii=False, separators=(",", ":"))
    shared = {"chunk": CHUNK}
    for name, tok in tokenizers.items():
        shared[name] = digests(batch(tok), files)
        print(f"{name}: {sum(v['texts'] for v in shared[name].values())} texts, "
              f"{sum(v['ids'] for v in shared[name].values())} ids in {len(shared[name])} files")
    if own is not None:
        flat = []
        for _, records in files:
            for r in records:
                walk(r, flat)
        a, b = batch(own)(flat), batch(converted)(flat)
        differ = sum(1 for x, y in zip(a, b) if x != y)
        print(f"smollm2: transformers' unpatched GGUF tokenizer differs from the model's own on {differ} of {len(flat)} shared texts")
    with open(os.path.join(OUT, "shared_digests.json"), "w") as f:
        json.dump(shared, f, indent=0)
    print("wrote edge_ids.json and shared_digests.json")
    tiny_gguf()
    chat()


if __name__ == "__main__":
    main()
