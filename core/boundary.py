"""Decision-boundary evaluation of a 2-D-input network on a regular grid (for the Lab view)."""

from __future__ import annotations

import numpy as np

from core.network import Network, NetworkError


def decision_grid(
    network: Network, n: int = 100, bounds: tuple[float, float, float, float] = (-2, 2, -2, 2)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs (n,), ys (n,), values (n, n) indexed [y, x]) over bounds (x0, x1, y0, y1).

    values: P(class 1) for bce, argmax class index for cross_entropy / multi-output nets, the
    prediction for a single-output mse net.
    """
    if network.sizes[0] != 2:
        raise NetworkError(f"A decision grid needs a network with 2 inputs, this one has "
                           f"{network.sizes[0]}.")
    if n < 2:
        raise NetworkError(f"A decision grid needs at least 2 points per side, got {n}.")
    x0, x1, y0, y1 = (float(b) for b in bounds)
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    predicted = network.predict(points)
    if predicted.ndim == 2 and predicted.shape[1] > 1:
        values = predicted.argmax(axis=1).astype(np.float64)
    else:
        values = np.asarray(predicted, np.float64).reshape(-1)
    return xs, ys, values.reshape(n, n)
