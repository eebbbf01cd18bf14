"""A list of colours (a Power BI theme's dataColors) registered as a matplotlib colour map, so a Bridge
theme's `series:` can name it and charts draw their series in the list's order.

Bridge's charts take n series colours from a colour map at n even steps from 0.18 to 1 (the dark end
is skipped for a dark wall: bridge/panels/common/canvas.py `palette`); the map built here puts the
k-th colour wherever the k-th of ten such steps lands, so the first ten series get the first ten
colours in order, as in the report.
"""

from __future__ import annotations

import hashlib

import numpy as np

STEPS = np.linspace(0.18, 1.0, 10)  # where canvas.palette samples a map for a chart of up to ten series
ENTRIES = 1000


def register_series(colours: list[str]) -> str | None:
    """Register (once) a colour map of `colours` and return its name; None if matplotlib cannot read one."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap, to_rgba

    try:
        rgba = [to_rgba(c) for c in colours[: len(STEPS)]]
    except ValueError:
        return None
    name = "powerbi-" + hashlib.sha1(",".join(colours).encode()).hexdigest()[:10]
    if name not in colormaps:
        positions = (np.arange(ENTRIES) + 0.5) / ENTRIES
        nearest = np.abs(positions[:, None] - STEPS[: len(rgba)][None, :]).argmin(axis=1)
        colormaps.register(ListedColormap([rgba[k] for k in nearest], name=name))
    return name
