"""Small statistics shared by reports."""

from __future__ import annotations

import numpy as np

#: two-sided 95 % normal quantile
Z95 = 1.959963984540054


def wilson_interval(
    won: np.ndarray | int, n: np.ndarray | int, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``won`` successes out of ``n``; NaN where ``n`` is 0.

    Exact formula ``(p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)``, clipped to
    [0, 1] and to contain ``p`` (only floating-point noise is ever clipped).

    >>> low, high = wilson_interval(2, 2)
    >>> round(float(low), 7), float(high)
    (0.3423802, 1.0)
    """
    k = np.asarray(won, dtype="float64")
    nn = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / nn
        z2 = z * z
        denom = 1 + z2 / nn
        center = (p + z2 / (2 * nn)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn))
        low = np.clip(np.minimum(center - half, p), 0.0, 1.0)
        high = np.clip(np.maximum(center + half, p), 0.0, 1.0)
    empty = nn <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)
