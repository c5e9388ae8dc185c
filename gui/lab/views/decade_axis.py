"""A log-scale axis that labels whole decades only (10⁻³, 10⁻²…), never a clutter of 2…9 minors."""

from __future__ import annotations

import math

import numpy as np

from gui.lab.views.grid_axis import OpaqueGridAxis

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(exponent: int) -> str:
    """'1' for 10^0, '10' for 10^1, else '10⁻³'-style."""
    if exponent == 0:
        return "1"
    if exponent == 1:
        return "10"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class DecadeAxis(OpaqueGridAxis):
    """AxisItem whose log mode puts labelled ticks on whole decades and unlabelled minors."""

    zero_at: float | None = None     # log10 position of a "0" band (gui.lab.views.zero_band)

    def set_zero_at(self, value: float | None) -> None:
        """Label the position `value` (log10 units) "0" and drop decade labels next to it."""
        if value != self.zero_at:
            self.zero_at = value
            self.picture = None
            self.update()

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802  (pyqtgraph override)
        """Decade ticks (every k-th decade on long ranges) plus unlabelled 2…9 minors; the "0"
        band's position as a major tick when there is one."""
        ticks = self._decade_ticks(minVal, maxVal, stdTicks)
        if self.zero_at is None or not minVal <= self.zero_at <= maxVal:
            return ticks
        near = 0.75   # decades: a label this close to "0" would collide with it
        ticks = [(spacing, [v for v in values if abs(v - self.zero_at) >= near])
                 for spacing, values in ticks]
        return [(ticks[0][0] if ticks else 1.0, [self.zero_at, *(ticks[0][1] if ticks else [])]),
                *ticks[1:]]

    def _decade_ticks(self, minVal, maxVal, stdTicks):  # noqa: N803  (pyqtgraph names)
        ticks = [(spacing, values) for spacing, values in stdTicks if spacing >= 1.0]
        low, high = math.ceil(minVal), math.floor(maxVal)
        if not ticks and high >= low:
            ticks = [(1.0, [float(v) for v in range(low, high + 1)])]
        if maxVal - minVal < 2.5:
            minor = [v + np.log10(k) for v in range(math.floor(minVal), math.ceil(maxVal))
                     for k in range(2, 10)]
            ticks.append((None, [m for m in minor if minVal < m < maxVal]))
        return ticks

    def logTickStrings(self, values, scale, spacing):  # noqa: N802  (pyqtgraph override)
        """Label whole decades; minors stay blank unless the range holds no decade at all."""
        if self.zero_at is not None and any(abs(v - self.zero_at) < 1e-9 for v in values):
            return ["0" if abs(v - self.zero_at) < 1e-9 else label
                    for v, label in zip(values, self._strings(values, spacing), strict=True)]
        return self._strings(values, spacing)

    def _strings(self, values, spacing):
        whole = [abs(v - round(v)) < 1e-9 for v in values]
        if spacing is None and not any(whole):
            return [f"{10.0 ** v:.1g}" for v in values]
        return [decade_label(int(round(v))) if w else "" for v, w in zip(values, whole,
                                                                          strict=True)]
