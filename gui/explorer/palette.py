"""One stable colour per activation: 16 hues that stay apart on screen, on white and in print."""

from __future__ import annotations

from core.activations import available_activations

# Mid-dark saturated hues (no yellows or pastels, which vanish on white paper), ordered so the
# activations listed first, the ones people compare most, get the most different colours.
PALETTE: tuple[str, ...] = (
    "#6b6b6b",  # grey
    "#8c564b",  # brown
    "#1f77b4",  # blue
    "#d62728",  # red
    "#2ca02c",  # green
    "#ff7f0e",  # orange
    "#9467bd",  # purple
    "#17a2b8",  # cyan
    "#e7298a",  # magenta
    "#8c8c00",  # olive
    "#2b3a8f",  # navy
    "#00a087",  # teal
    "#7b4173",  # plum
    "#b8860b",  # dark gold
    "#a0522d",  # sienna
    "#4f7f3f",  # moss
)


# The user's formulas take these (hashed by text, so stable across restarts): darker or
# deeper shades than PALETTE's, so a formula is never drawn in a built-in's exact colour.
FORMULA_PALETTE: tuple[str, ...] = ("#1a1a1a", "#c51b7d", "#4d9221", "#b35806", "#542788",
                                    "#01665e", "#8e0152", "#2d004b")


def activation_colour(name: str) -> str:
    """The hex colour of an activation (by its place in available_activations(), else hashed)."""
    names = available_activations()
    if name in names:
        return PALETTE[names.index(name) % len(PALETTE)]
    return FORMULA_PALETTE[sum(map(ord, name)) % len(FORMULA_PALETTE)]
