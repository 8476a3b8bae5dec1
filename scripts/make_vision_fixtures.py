#!/usr/bin/env python3
"""Writes Tests/NNTests/Fixtures/vision.json (run from the repo root).

Independent reference for dprm's vision path layout (NN/PatchEmbedding.swift, NN/PixelShuffle.swift):
- the patch embedding of InternViT is a Conv2d with kernel = stride = patch size; dprm computes it
  as a matmul over flattened patches. The fixture holds pixels, a conv weight and bias and the
  conv output computed by torch.nn.functional.conv2d, flattened to [tiles, patches, out] in
  InternViT's order (`x.flatten(2).transpose(1, 2)`: raster order of patches);
- InternVL's pixel_shuffle (ps_version v2) and extract_feature's reshapes, copied from
  InternVL's modeling_internvl_chat.py, applied to a [tiles, patches, channels] array.

Needs: pip install numpy torch
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join("Tests", "NNTests", "Fixtures", "vision.json")


def pixel_shuffle(x, scale_factor=0.5):
    # InternVLChatModel.pixel_shuffle, ps_version 'v2'
    n, w, h, c = x.size()
    x = x.view(n, w, int(h * scale_factor), int(c / scale_factor))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.view(n, int(h * scale_factor), int(w * scale_factor), int(c / (scale_factor * scale_factor)))
    x = x.permute(0, 2, 1, 3).contiguous()
    return x


def extract_layout(vit_embeds, downsample_ratio=0.5):
    # InternVLChatModel.extract_feature after the ViT (class token already dropped), before mlp1
    h = w = int(vit_embeds.shape[1] ** 0.5)
    vit_embeds = vit_embeds.reshape(vit_embeds.shape[0], h, w, -1)
    vit_embeds = pixel_shuffle(vit_embeds, scale_factor=downsample_ratio)
    return vit_embeds.reshape(vit_embeds.shape[0], -1, vit_embeds.shape[-1])


def main():
    rng = np.random.default_rng(20)
    tiles, channels, size, patch, out = 2, 3, 8, 4, 5
    pixels = rng.standard_normal((tiles, channels, size, size)).astype(np.float32)
    weight = rng.standard_normal((out, channels, patch, patch)).astype(np.float32)
    bias = rng.standard_normal(out).astype(np.float32)
    conv = torch.nn.functional.conv2d(torch.from_numpy(pixels), torch.from_numpy(weight), torch.from_numpy(bias), stride=patch)
    conv = conv.flatten(2).transpose(1, 2).numpy()  # [tiles, patches, out]

    side, feat = 4, 3
    tokens = rng.standard_normal((2, side * side, feat)).astype(np.float32)
    shuffled = extract_layout(torch.from_numpy(tokens)).numpy()

    data = {
        "patch": {"tiles": tiles, "channels": channels, "size": size, "patch": patch, "out": out,
                  "pixels": pixels.ravel().tolist(), "weight": weight.ravel().tolist(), "bias": bias.tolist(),
                  "conv": conv.ravel().tolist(), "conv_shape": list(conv.shape)},
        "shuffle": {"shape": list(tokens.shape), "input": tokens.ravel().tolist(),
                    "output": shuffled.ravel().tolist(), "output_shape": list(shuffled.shape)},
        "versions": {"numpy": np.__version__, "torch": torch.__version__},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
