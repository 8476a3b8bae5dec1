#!/usr/bin/env python3
"""Tiny random llama-family models and their reference outputs (issue 16).

Builds small random models with transformers (CPU, float32), saves them the way Hugging Face
does, and records what transformers computes on them, so the Swift llama decoder is checked
against an independent implementation without Python at test time.

Written under Tests/NNTests/Fixtures/llama/:
  tiny-llama/           LlamaForCausalLM, tied embeddings, grouped-query attention (4 query heads,
                        2 key/value heads), save_pretrained: config.json, model.safetensors, and a
                        byte-level BPE tokenizer trained here (tokenizer.json, tokenizer_config.json
                        with a ChatML chat template).
  tiny-llama-sharded/   the same weights saved in several shards (max_shard_size) with
                        model.safetensors.index.json.
  tiny-qwen2/           Qwen2ForCausalLM: q/k/v biases, separate lm_head, GQA.
  tiny-llama.gguf       tiny-llama written with the `gguf` package under llama.cpp's names
                        (token_embd, blk.N.attn_q, ...) with Q and K permuted as llama.cpp's
                        convert_hf_to_gguf.py does, plus the tokenizer as GGUF metadata.
  reference.json        per model: the id sequences, the padded batch and its mask, the greedy
                        continuation (ids) and the top-2 margins that make exact comparison safe.
  reference.safetensors logits of every sequence (`MODEL.seqN`, [tokens, vocab]) and of the
                        right-padded batch (`MODEL.padded`, [batch, tokens, vocab]); gradients
                        of the next-token cross-entropy of sequence 0 (`MODEL.grad.PARAM`).

Weights are stored as float16 (the Swift reader widens them exactly) and the references are
computed from those same rounded weights, so the only differences left are float32 arithmetic.
Weights are drawn with a larger std than HF's default (0.02) so that the next-token distribution
is peaked: the greedy continuation then has clear argmax margins (asserted > 1e-3 below), which
makes comparing greedy ids exactly safe against float32 rounding differences (~1e-6 here).

Usage: scripts/make_llama_fixtures.py
"""
import copy
import json
import os
import shutil

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, PreTrainedTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NNTests", "Fixtures", "llama")
GREEDY_TOKENS = 12
MIN_MARGIN = 1e-3

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Step 1: Let x = 5. Then 2x + 3 = 13, so the answer is 13.",
    "A process reward model scores every step of a solution.",
    "The meta set has only whole-solution labels; the weights follow the meta loss.",
    "Hello, world! How are you today? I am fine, thank you.",
    "Numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 and words: step, answer, reward, model.",
]

GRADIENTS = {
    "tiny-llama": ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                   "model.layers.1.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                   "model.layers.1.mlp.gate_proj.weight", "model.layers.0.input_layernorm.weight", "model.norm.weight"],
    "tiny-qwen2": ["model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias",
                   "model.layers.0.mlp.down_proj.weight", "lm_head.weight"],
}

TEXTS = ["Step 1: Let x = 5.", "The answer is 13.", "Hello"]


def make_tokenizer(vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer)
    assert tok.get_vocab_size() == vocab_size, tok.get_vocab_size()
    return tok


def randomize(model, std, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))
        # Round to float16 and back: the saved file (float16) then holds exactly these weights.
        for p in model.parameters():
            p.copy_(p.half().float())
    model.eval()
    return model


def save_half(model, folder, **kwargs):
    """save_pretrained with float16 weights. A copy is converted: `.half()` on the model itself
    would also round its rotary inv_freq buffer, and the references must use exact frequencies."""
    copy.deepcopy(model).half().save_pretrained(folder, **kwargs)


def logits_of(model, ids, mask=None):
    with torch.no_grad():
        x = torch.tensor(ids)
        m = None if mask is None else torch.tensor(mask)
        return model(input_ids=x, attention_mask=m).logits.float()


def greedy(model, prompt, n):
    """Greedy continuation by full forward passes, checking every step's top-2 margin."""
    ids = list(prompt)
    margins = []
    for _ in range(n):
        row = logits_of(model, [ids])[0, -1]
        top = torch.topk(row, 2).values
        margin = float(top[0] - top[1])
        assert margin > MIN_MARGIN, f"top-2 margin {margin} too small for an exact greedy comparison"
        margins.append(margin)
        ids.append(int(row.argmax()))
    with torch.no_grad():
        generated = model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                                   max_new_tokens=n, do_sample=False, eos_token_id=None, pad_token_id=0)
    assert generated[0].tolist() == ids, "generate() (KV cache) disagrees with full forward passes"
    return ids[len(prompt):], margins


def record(name, model, sequences, tensors, summary):
    entry = {"sequences": sequences}
    for i, s in enumerate(sequences):
        tensors[f"{name}.seq{i}"] = logits_of(model, [s])[0].contiguous()
    # Right-padded batch: real tokens keep positions 0..n-1, so their rows equal the unpadded ones.
    length = max(len(s) for s in sequences)
    padded = [s + [0] * (length - len(s)) for s in sequences]
    mask = [[1] * len(s) + [0] * (length - len(s)) for s in sequences]
    batch = logits_of(model, padded, mask)
    for i, s in enumerate(sequences):
        diff = float((batch[i, :len(s)] - tensors[f"{name}.seq{i}"]).abs().max())
        print(name, i, "padded vs unpadded", diff, float(tensors[f"{name}.seq{i}"].abs().max()))
        assert diff < 1e-4, diff
    tensors[f"{name}.padded"] = batch.contiguous()
    entry["padded"] = padded
    entry["mask"] = mask
    # Gradients of the mean next-token cross-entropy of sequence 0 (training through autodiff).
    model.zero_grad()
    ids = torch.tensor([sequences[0]])
    out = model(input_ids=ids).logits[0]
    torch.nn.functional.cross_entropy(out[:-1], ids[0, 1:]).backward()
    entry["gradients"] = GRADIENTS[name]
    for g in GRADIENTS[name]:
        tensors[f"{name}.grad.{g}"] = dict(model.named_parameters())[g].grad.detach().clone().contiguous()
    model.zero_grad()
    cont, margins = greedy(model, sequences[0], GREEDY_TOKENS)
    entry["greedy_prompt"] = sequences[0]
    entry["greedy"] = cont
    entry["greedy_min_margin"] = min(margins)
    summary[name] = entry


def permute_for_gguf(w, n_head, n_head_kv):
    """llama.cpp's convert_hf_to_gguf.py LlamaModel.permute: HF's rotate-half layout to GGUF's
    interleaved pairs."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def write_gguf(path, model, config, tok):
    import gguf
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny-llama")
    writer.add_block_count(config.num_hidden_layers)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(config.rope_parameters["rope_theta"])
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_dimension_count(config.hidden_size // config.num_attention_heads)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    vocab = tok.get_vocab()
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    merges = json.loads(tok.to_str())["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([gguf.TokenType.CONTROL if t in SPECIALS else gguf.TokenType.NORMAL for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(vocab["<|im_start|>"])
    writer.add_eos_token_id(vocab["<|im_end|>"])
    writer.add_chat_template(CHAT_TEMPLATE)
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads

    def add(name, array):
        # 1-d tensors (norms) stay float32 as llama.cpp writes them; matrices float16.
        writer.add_tensor(name, array.astype(np.float32 if array.ndim == 1 else np.float16))

    add("token_embd.weight", sd["model.embed_tokens.weight"])
    for i in range(config.num_hidden_layers):
        p = f"model.layers.{i}."
        add(f"blk.{i}.attn_norm.weight", sd[p + "input_layernorm.weight"])
        add(f"blk.{i}.attn_q.weight", permute_for_gguf(sd[p + "self_attn.q_proj.weight"], heads, heads))
        add(f"blk.{i}.attn_k.weight", permute_for_gguf(sd[p + "self_attn.k_proj.weight"], heads, kv_heads))
        add(f"blk.{i}.attn_v.weight", sd[p + "self_attn.v_proj.weight"])
        add(f"blk.{i}.attn_output.weight", sd[p + "self_attn.o_proj.weight"])
        add(f"blk.{i}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"])
        add(f"blk.{i}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"])
        add(f"blk.{i}.ffn_up.weight", sd[p + "mlp.up_proj.weight"])
        add(f"blk.{i}.ffn_down.weight", sd[p + "mlp.down_proj.weight"])
    add("output_norm.weight", sd["model.norm.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    torch.manual_seed(0)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    tensors, summary = {}, {}

    # tiny-llama: tied embeddings, GQA, a tokenizer of its own.
    vocab_size = 300
    tok = make_tokenizer(vocab_size)
    llama_config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                               num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                               rope_theta=500.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
                               bos_token_id=tok.token_to_id("<|im_start|>"), eos_token_id=tok.token_to_id("<|im_end|>"),
                               pad_token_id=tok.token_to_id("<|endoftext|>"))
    llama = randomize(LlamaForCausalLM(llama_config), std=0.35, seed=1)
    folder = os.path.join(OUT, "tiny-llama")
    save_half(llama, folder)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", unk_token=None)
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    sequences = [tok.encode(t).ids for t in TEXTS]
    summary["texts"] = TEXTS
    summary["chat"] = {
        "messages": [{"role": "user", "content": "Hello"}],
        "text": fast.apply_chat_template([{"role": "user", "content": "Hello"}], tokenize=False, add_generation_prompt=True),
    }
    record("tiny-llama", llama, sequences, tensors, summary)
    summary["tiny-llama"]["greedy_text"] = tok.decode(summary["tiny-llama"]["greedy"])

    # The same weights, sharded.
    sharded = os.path.join(OUT, "tiny-llama-sharded")
    save_half(llama, sharded, max_shard_size="20KB")
    assert os.path.exists(os.path.join(sharded, "model.safetensors.index.json")), "expected a sharded checkpoint"
    reloaded = LlamaForCausalLM.from_pretrained(sharded, dtype=torch.float32).eval()
    diff = float((logits_of(reloaded, [sequences[0]])[0] - tensors["tiny-llama.seq0"]).abs().max())
    assert diff < 1e-5, f"sharded reload differs by {diff}"

    # tiny-qwen2: q/k/v biases, separate head, no tokenizer (ids only).
    qwen_config = Qwen2Config(vocab_size=128, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                              rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=False)
    qwen = randomize(Qwen2ForCausalLM(qwen_config), std=0.35, seed=2)
    save_half(qwen, os.path.join(OUT, "tiny-qwen2"))
    assert "model.layers.0.self_attn.q_proj.bias" in qwen.state_dict()
    record("tiny-qwen2", qwen, [[5, 17, 99, 3, 64, 120, 7], [1, 2, 3], [127, 0, 45, 45, 45, 8, 9, 10, 11]], tensors, summary)

    write_gguf(os.path.join(OUT, "tiny-llama.gguf"), llama, llama_config, tok)

    for f in ("generation_config.json",):
        for d in ("tiny-llama", "tiny-llama-sharded", "tiny-qwen2"):
            p = os.path.join(OUT, d, f)
            if os.path.exists(p):
                os.remove(p)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(summary, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, n)) for dp, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total // 1024} KB)")


if __name__ == "__main__":
    main()
