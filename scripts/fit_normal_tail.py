#!/usr/bin/env python3
"""Refits the polynomial of `FastMath.normalTail` (Sources/Tensors/FastMath.swift):

    Phi(-a) = t * P(t) * exp(-a^2 / 2),   t = 1 / (1 + q a),   a in [0, 13],

with P of degree 7 chosen to minimise the largest *relative* error of Phi(-a) (so the far tail
keeps its relative accuracy). Iteratively reweighted least squares (Lawson's method) on a dense
grid against scipy's erfcx in float64, over a scan of q. Prints q, the error and the
coefficients (constant term first). Needs numpy and scipy."""
import numpy as np
from scipy.special import erfcx

DEGREE, A_MAX = 7, 13.0


def fit(q, iterations=100):
    a = np.linspace(0, A_MAX, 20000)
    t = 1 / (1 + q * a)
    target = 0.5 * erfcx(a / np.sqrt(2)) / t          # Phi(-a) e^(a^2/2) / t
    basis = np.vander(t, DEGREE + 1, increasing=True)
    weight = np.ones_like(t)
    for _ in range(iterations):
        scale = weight / target                           # relative error
        coefficients, *_ = np.linalg.lstsq(basis * scale[:, None], target * scale, rcond=None)
        error = (basis @ coefficients - target) / target
        weight = weight * np.sqrt(np.abs(error)) + 1e-30
        weight /= weight.max()
    return coefficients, np.abs(error).max()


best = min(((fit(q)[1], q) for q in np.linspace(0.295, 0.312, 35)))
coefficients, error = fit(best[1])
print("q = %.4f, max relative error %.3g" % (best[1], error))
print(", ".join("%.9e" % c for c in coefficients))
