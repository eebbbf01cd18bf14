"""What donut and treemap share: parts of a whole (rows summed per label, the smallest beyond
`top` as "Other"), a key of swatches, names and values beside the picture, and a squarified
treemap layout.  A suppressed part is left out of the picture (its size would give it away), and
so is the whole's total."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from bridge.data.disclosure import SUPPRESSED
from bridge.errors import BridgeError
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import Ruler, shorten, text_height
from bridge.panels.common.series import SeriesTable, summed
from bridge.theme import MIN_TEXT_DEG

OTHER = "Other"
KEY_GAP_EM = 0.35  # between two rows of the key, ems


def parts(data, panel, here: tuple) -> SeriesTable:
    """The panel's rows summed per label, largest first; those beyond `top` summed into "Other"."""
    whole = summed(data, panel, here, panel.label, None, panel.value, where=panel.where)
    if (whole.values < 0).any():
        raise BridgeError(data.doc.problem(here + ("value",), "parts of a whole must be zero or more"))
    table = whole
    if len(whole.categories) > panel.top:
        from bridge.data.disclosure import suppression_mask

        rest = float(np.nansum(whole.values[panel.top - 1:, 0]))
        values = np.append(whole.values[: panel.top - 1, 0], rest)[:, None]
        table = SeriesTable(whole.categories[: panel.top - 1] + [OTHER], whole.series, values,
                            suppression_mask(data, values, whole.count), whole.count, 0, whole.format)
        table.suppressed[-1, 0] |= bool(whole.suppressed[panel.top - 1:, 0].any())  # "Other" holds a small count
    return table


@dataclass
class Part:
    name: str
    value: float  # NaN where suppressed
    share: float  # of the shown total; NaN where suppressed


def shares(table: SeriesTable) -> list[Part]:
    shown = table.shown()[:, 0]
    total = shown.sum()
    return [Part(name, np.nan if hidden else float(v), np.nan if hidden or total <= 0 else float(v / total))
            for name, v, hidden in zip(table.categories, shown, table.suppressed[:, 0])]


def key(c: Canvas, names: list[str], numbers: list[str], swatches: list, box: tuple[float, float, float, float]) -> None:
    """A key in `box` (left, bottom, width, height; degrees): a row per part with its swatch, name
    and number (right-aligned), at the largest size from body size down to the legible floor at
    which the rows fit; names shortened with "…" to leave the numbers their room."""
    left, bottom, width, height = box
    ruler = Ruler(c)
    size = c.theme.body_deg
    while size > MIN_TEXT_DEG and len(names) * text_height(c, "Ag", size) * (1 + KEY_GAP_EM) > height:
        size = max(MIN_TEXT_DEG, size - 0.05)
    line = text_height(c, "Ag", size) * (1 + KEY_GAP_EM)
    rows = max(1, min(len(names), int(height / line)))
    top = bottom + height - max(0.0, (height - rows * line) / 2)
    widest = max((ruler(n, size) for n in numbers[:rows]), default=0.0)
    side = 0.8 * size
    for k in range(rows):
        y = top - (k + 0.5) * line
        c.fig.patches.append(Rectangle((c.frac_w(left), c.frac_h(y - side / 2)), c.frac_w(side), c.frac_h(side),
                                       transform=c.fig.transFigure, color=swatches[k], linewidth=0))
        room = width - side - 0.4 - widest - 0.8
        text = names[k] if k < rows - 1 or rows == len(names) else f"{len(names) - k} more"
        c.fig.text(c.frac_w(left + side + 0.4), c.frac_h(y), shorten(ruler, text, size, room), va="center", ha="left",
                   color=c.theme.text, fontsize=c.pt(size), family=c.theme.font)
        if k < rows - 1 or rows == len(names):
            c.fig.text(c.frac_w(left + width), c.frac_h(y), numbers[k], va="center", ha="right",
                       color=c.theme.muted if numbers[k] == SUPPRESSED else c.theme.text, fontsize=c.pt(size),
                       family=c.theme.font)


def squarify(values: list[float], x: float, y: float, w: float, h: float) -> list[tuple[float, float, float, float]]:
    """Rectangles (x, y, w, h) of areas in proportion to `values` (largest first) tiling the box,
    as near square as the squarified layout makes them: Bruls, Huizing and van Wijk, "Squarified
    Treemaps", Proc. Joint Eurographics and IEEE TCVG Symposium on Visualization, 2000 — rows laid
    along the box's shorter side, a value joining the current row while the row's worst aspect ratio
    does not get worse."""
    total = sum(values)
    if total <= 0 or not values:
        return [(x, y, 0.0, 0.0) for _ in values]
    areas = [v * w * h / total for v in values]
    out: list[tuple[float, float, float, float]] = []
    start = 0
    while start < len(areas):
        short = min(w, h)
        row = [areas[start]]
        while start + len(row) < len(areas) and _worst(row + [areas[start + len(row)]], short) <= _worst(row, short):
            row.append(areas[start + len(row)])
        thick = sum(row) / short if short > 0 else 0.0
        at = 0.0
        for a in row:
            length = a / thick if thick > 0 else 0.0
            out.append((x, y + at, thick, length) if w >= h else (x + at, y, length, thick))
            at += length
        if w >= h:
            x, w = x + thick, w - thick
        else:
            y, h = y + thick, h - thick
        start += len(row)
    return out


def _worst(row: list[float], short: float) -> float:
    """The worst aspect ratio of a row of areas laid along a side of length `short`."""
    s = sum(row)
    if s <= 0 or short <= 0:
        return float("inf")
    return max(max(short * short * a / (s * s), s * s / (short * short * a)) for a in row if a > 0) if any(row) else float("inf")
