#!/usr/bin/env python3
"""Reference values for Reweight's metrics (AUROC) and aggregation functions, computed with
numpy only (no sklearn), written to Tests/PRMTests/Fixtures/metrics.json.

AUROC is computed by brute force over every (positive, negative) pair: 1 when the positive
scores higher, 1/2 on a tie, 0 otherwise, averaged. This is independent of the rank formula
the Swift code uses.

Run: python3 scripts/make_metric_fixtures.py
"""
import json
import os

import numpy as np


def auroc_pairs(scores, labels):
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return None
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def aggregations(p):
    p = np.asarray(p, dtype=np.float32)
    return {
        "mean": float(np.mean(p)),
        "min": float(np.min(p)),
        "max": float(np.max(p)),
        "log_mean": float(np.mean(np.log(np.maximum(p, np.float32(1e-30))))),
        "prod": float(np.prod(p)),
        "last": float(p[-1]),
    }


def main():
    rng = np.random.default_rng(20250101)
    auroc_cases = []
    for n, levels in [(10, None), (25, 5), (60, 8), (200, None), (7, 2)]:
        if levels is None:
            scores = rng.random(n).astype(np.float32)
        else:  # few distinct values: many ties
            scores = (rng.integers(0, levels, n) / levels).astype(np.float32)
        labels = rng.random(n) < 0.4
        labels[0], labels[1] = True, False  # both classes present
        auroc_cases.append({"scores": [float(x) for x in scores], "labels": [bool(x) for x in labels],
                            "auroc": auroc_pairs(scores, labels)})
    auroc_cases.append({"scores": [0.2, 0.4], "labels": [True, True], "auroc": None})

    agg_cases = []
    for k in [1, 2, 5, 9]:
        p = rng.random(k).astype(np.float32)
        agg_cases.append({"probs": [float(x) for x in p], "values": aggregations(p)})
    agg_cases.append({"probs": [0.5, 0.0, 1.0], "values": aggregations([0.5, 0.0, 1.0])})

    out = {"auroc": auroc_cases, "aggregation": agg_cases}
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "PRMTests", "Fixtures", "metrics.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
