"""Special functions numpy lacks: the standard normal pdf and cdf (for GELU)."""

from __future__ import annotations

import math

import numpy as np

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# exp(-x²/2) is exactly 0 in float64 beyond |x| ≈ 38.6; clipping keeps x² from overflowing.
_PDF_CLIP = 40.0
_erfc_object = np.frompyfunc(math.erfc, 1, 1)


def erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function, element-wise, in x's dtype; shape of x."""
    x = np.asarray(x)
    return np.asarray(_erfc_object(x), dtype=np.float64).astype(x.dtype, copy=False)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF Φ(x) = erfc(-x/√2)/2 (accurate in both tails); shape of x."""
    return 0.5 * erfc(-_INV_SQRT_2 * x)


def normal_pdf(x: np.ndarray) -> np.ndarray:
    """Standard normal density φ(x) = exp(-x²/2)/√(2π); shape of x."""
    xc = np.clip(x, -_PDF_CLIP, _PDF_CLIP)
    return _INV_SQRT_2PI * np.exp(-0.5 * xc * xc)
