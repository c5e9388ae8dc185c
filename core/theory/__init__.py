"""Mean-field signal-propagation theory (numpy only): what a deep random network does at init.

    from core.activations import get_activation
    from core.theory import propagate, fixed_point, depth_scales, critical_sigma_w2, phase_grid
    act = get_activation("tanh")
    pred = propagate(act, sigma_w2=2.0, sigma_b2=0.05, depth=30, q0=1.0)   # q, chi, grad_ratio
    critical_sigma_w2(act, 0.05)                                          # 1.7610...
    grid = phase_grid(act, np.linspace(0.5, 4, 60), np.linspace(0, 1, 60))  # off the GUI thread

Any object with element-wise f(x) and df(x) works as the activation (formula activations too).
Conventions and references: meanfield.py; numerics: quadrature.py.
"""

from core.theory.checks import ActivationLike, TheoryError
from core.theory.correlation import (
    DepthScales,
    correlation_fixed_point,
    correlation_map,
    correlation_slope,
    depth_scales,
)
from core.theory.critical import CriticalLine, critical_line, critical_sigma_w2
from core.theory.init_map import sigma_b2_for_init, sigma_w2_for_init
from core.theory.meanfield import (
    FixedPoint,
    Moments,
    chi,
    fixed_point,
    length_map,
    length_slope,
    moments,
)
from core.theory.phase import PhaseGrid, phase_grid
from core.theory.propagation import Propagation, propagate
from core.theory.quadrature import expect

__all__ = [
    "ActivationLike",
    "CriticalLine",
    "DepthScales",
    "FixedPoint",
    "Moments",
    "PhaseGrid",
    "Propagation",
    "TheoryError",
    "chi",
    "correlation_fixed_point",
    "correlation_map",
    "correlation_slope",
    "critical_line",
    "critical_sigma_w2",
    "depth_scales",
    "expect",
    "fixed_point",
    "length_map",
    "length_slope",
    "moments",
    "phase_grid",
    "propagate",
    "sigma_b2_for_init",
    "sigma_w2_for_init",
]
