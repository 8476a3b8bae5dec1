#!/usr/bin/env python3
"""Writes the image fixtures of Tests/DatasetsTests/Fixtures/images (run from the repo root).

Independent reference for dprm's PNG loading and InternVL dynamic tiling: tiny PNGs (RGB, gray,
palette, RGBA) and, for each, the grid InternVL2.5's `dynamic_preprocess` chooses, the output
shape, the per-tile per-channel mean of the normalised tensor and some sampled values, computed
with PIL + numpy exactly as InternVL's loader does (Image.open(...).convert("RGB"),
image.resize(..., BICUBIC), crop, thumbnail, ToTensor, Normalize(ImageNet mean/std)).
Also a table of grid choices for many image sizes (including exact-tie cases).

Needs: pip install pillow numpy
"""
import json
import os

import numpy as np
from PIL import Image

OUT = os.path.join("Tests", "DatasetsTests", "Fixtures", "images")
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


# --- InternVL2.5 (as in its model card's load_image) ---------------------------------------
def find_closest_aspect_ratio(aspect_ratio, target_ratios, width, height, image_size):
    best_ratio_diff = float("inf")
    best_ratio = (1, 1)
    area = width * height
    for ratio in target_ratios:
        target_aspect_ratio = ratio[0] / ratio[1]
        ratio_diff = abs(aspect_ratio - target_aspect_ratio)
        if ratio_diff < best_ratio_diff:
            best_ratio_diff = ratio_diff
            best_ratio = ratio
        elif ratio_diff == best_ratio_diff:
            if area > 0.5 * image_size * image_size * ratio[0] * ratio[1]:
                best_ratio = ratio
    return best_ratio


def target_ratios_for(min_num, max_num):
    target_ratios = set(
        (i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1) for j in range(1, n + 1)
        if i * j <= max_num and i * j >= min_num)
    return sorted(target_ratios, key=lambda x: x[0] * x[1])


def dynamic_preprocess(image, min_num=1, max_num=12, image_size=448, use_thumbnail=False):
    orig_width, orig_height = image.size
    aspect_ratio = orig_width / orig_height
    target_ratios = target_ratios_for(min_num, max_num)
    target_aspect_ratio = find_closest_aspect_ratio(aspect_ratio, target_ratios, orig_width, orig_height, image_size)
    target_width = image_size * target_aspect_ratio[0]
    target_height = image_size * target_aspect_ratio[1]
    blocks = target_aspect_ratio[0] * target_aspect_ratio[1]
    resized_img = image.resize((target_width, target_height), Image.BICUBIC)
    processed_images = []
    for i in range(blocks):
        box = ((i % (target_width // image_size)) * image_size,
               (i // (target_width // image_size)) * image_size,
               ((i % (target_width // image_size)) + 1) * image_size,
               ((i // (target_width // image_size)) + 1) * image_size)
        processed_images.append(resized_img.crop(box))
    if use_thumbnail and len(processed_images) != 1:
        processed_images.append(image.resize((image_size, image_size), Image.BICUBIC))
    return processed_images, target_aspect_ratio


def to_tensor(img):
    # torchvision ToTensor + Normalize, in float32.
    a = np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255)
    a = (a - MEAN) / STD
    return a.transpose(2, 0, 1)


# --- fixtures ---------------------------------------------------------------------------------
def make_images(rng):
    h, w = 100, 150
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx + yy) * 3) % 256], axis=-1)
    rgb = np.clip(rgb + rng.randint(-40, 41, size=rgb.shape), 0, 255).astype(np.uint8)
    gray = rng.randint(0, 256, size=(90, 40)).astype(np.uint8)
    pal = Image.fromarray(rng.randint(0, 256, size=(48, 64, 3)).astype(np.uint8)).quantize(colors=16)
    rgba = np.concatenate([rng.randint(0, 256, size=(30, 30, 3)), rng.randint(0, 256, size=(30, 30, 1))], axis=-1)
    return [
        ("rgb_150x100.png", Image.fromarray(rgb, "RGB"), 6),
        ("gray_40x90.png", Image.fromarray(gray, "L"), 4),
        ("palette_64x48.png", pal, 12),
        ("rgba_30x30.png", Image.fromarray(rgba.astype(np.uint8), "RGBA"), 2),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(1234)
    cases = []
    for name, img, max_num in make_images(rng):
        path = os.path.join(OUT, name)
        img.save(path)
        loaded = Image.open(path).convert("RGB")
        tiles, grid = dynamic_preprocess(loaded, max_num=max_num, use_thumbnail=True)
        t = np.stack([to_tensor(x) for x in tiles])
        samples = []
        for _ in range(40):
            idx = tuple(int(rng.randint(0, s)) for s in t.shape)
            samples.append(list(idx) + [float(t[idx])])
        cases.append({
            "file": name,
            "mode": img.mode,
            "width": loaded.size[0],
            "height": loaded.size[1],
            "max_num": max_num,
            "grid": list(grid),  # (columns, rows)
            "shape": list(t.shape),
            "tile_channel_means": t.astype(np.float64).mean(axis=(2, 3)).tolist(),
            "samples": samples,
            "first_pixels_rgb": np.asarray(loaded)[0, :4].tolist(),
        })
    grids = []
    sizes = [(1000, 1000), (448, 448), (100, 100), (896, 448), (448, 896), (1344, 448), (150, 100), (40, 90),
             (500, 400), (700, 600), (2000, 300), (300, 2000), (640, 480), (1920, 1080), (33, 1), (1, 33),
             (1200, 900), (900, 1200), (2048, 1536), (10, 10)]
    for (w, h) in sizes:
        for max_num in (1, 2, 4, 6, 12):
            ratios = target_ratios_for(1, max_num)
            g = find_closest_aspect_ratio(w / h, ratios, w, h, 448)
            grids.append({"width": w, "height": h, "max_num": max_num, "grid": list(g)})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"cases": cases, "grids": grids}, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
