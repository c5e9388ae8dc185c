"""Each initialiser of core/initializers.py as the mean-field sigma_w2 = fan_in * Var(W_ij).

Only the weight variance enters the theory, so uniform and normal versions of an init map to the
same sigma_w2 (their finite-width scatter differs a little). Biases: the theory assumes random
biases b_i ~ N(0, sigma_b2); PyTorch's default init draws U(±1/sqrt(fan_in)), i.e.
sigma_b2 = 1/(3 fan_in), and the bias_std setting draws N(bias_init, bias_std^2), i.e.
sigma_b2 = bias_std^2. A constant bias (bias_init) shifts every unit's mean instead and is not a
variance: the prediction ignores it (stated in the UI, not modelled).
"""

from __future__ import annotations

from core.initializers import check_initializer
from core.theory.checks import TheoryError, check_variance


def _fans(fan_in: int, fan_out: int) -> tuple[int, int]:
    for name, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TheoryError(f"{name} must be a whole number >= 1, got {value!r}.")
    return fan_in, fan_out


def sigma_w2_for_init(init: str, fan_in: int, fan_out: int, init_std: float = 0.01) -> float:
    """sigma_w2 of initialiser `init` for a (fan_in, fan_out) layer; init_std as in Network.

    he_* 2, lecun_normal 1, xavier_* 2 fan_in/(fan_in + fan_out), normal(std) std^2 fan_in,
    uniform(limit) limit^2/3 fan_in, pytorch_default 1/3, zeros 0, orthogonal its variance:
    1 when fan_in >= fan_out (orthonormal columns), fan_in/fan_out otherwise (orthonormal rows).
    """
    check_initializer(init)
    fan_in, fan_out = _fans(fan_in, fan_out)
    std = check_variance("init_std", init_std)
    if init in ("he_normal", "he_uniform"):
        return 2.0
    if init == "lecun_normal":
        return 1.0
    if init in ("xavier_normal", "xavier_uniform"):
        return 2.0 * fan_in / (fan_in + fan_out)
    if init == "normal":
        return std * std * fan_in
    if init == "uniform":
        return std * std / 3.0 * fan_in
    if init == "pytorch_default":
        return 1.0 / 3.0
    if init == "orthogonal":
        return min(1.0, fan_in / fan_out)
    return 0.0  # zeros


def sigma_b2_for_init(init: str, fan_in: int, bias_std: float = 0.0) -> float:
    """sigma_b2 the initialiser's biases give: 1/(3 fan_in) for pytorch_default, else bias_std^2."""
    check_initializer(init)
    fan_in, _ = _fans(fan_in, 1)
    std = check_variance("bias_std", bias_std)
    return 1.0 / (3.0 * fan_in) if init == "pytorch_default" else std * std
