"""What charts with series by a legend field share (column, area, combo, donut, treemap): rows
summed into a category × series table with disclosure control on every cell, the series'
colours, a legend row above the chart, numbers written one way, and the text version's table.

A cell is the sum of its rows' values, so a count of people stays a count; a cell from 1 to
`min_count − 1` is suppressed: never drawn, written "suppressed", and any total that holds it
(a stack's total, a share of it) is suppressed too, so no total gives a small count away by
subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import MISSING, fixed, format_number, shared_decimals
from bridge.errors import BridgeError
from bridge.panels.common.canvas import Canvas, palette
from bridge.panels.common.chart import MARGIN_DEG, Ruler, shorten, text_height
from bridge.panels.common.values import condition, numbers, texts

if TYPE_CHECKING:
    from bridge.data.tables import SceneData
    from bridge.theme import Theme

MAX_SERIES = 12  # more series than this cannot be told apart by colour
MAX_CATEGORIES = 100  # more categories than this are cut to the largest (with a note)
LEGEND_NAME_SHARE = 0.45  # a legend entry's name takes at most this share of the panel's width
LEGEND_ROWS = 3  # rows of legend entries, at most (names shrink to the legible floor first)
SWATCH_EM = 0.8  # a legend swatch's side, ems
SWATCH_GAP_EM = 0.35  # between a swatch and its name, ems
ENTRY_GAP_EM = 1.2  # between two legend entries, ems


@dataclass
class SeriesTable:
    """Rows summed per (category, series): `values[i, j]` is category i's sum in series j (NaN: no rows)."""

    categories: list[str]
    series: list[str]
    values: np.ndarray
    suppressed: np.ndarray
    count: bool = False  # the values count people: written as integers
    left_out: int = 0  # categories beyond `top`, not drawn
    format: str | None = None  # the panel's number format (counts are always written as integers)
    secondary: int = 0  # cells suppressed beside a small count, so that no share or total gives it away

    def shown(self) -> np.ndarray:
        """The values as drawn: suppressed and missing cells as zero (not drawn)."""
        return np.where(self.suppressed | np.isnan(self.values), 0.0, self.values)

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Each category's total over its series, and whether it is suppressed (it holds a suppressed cell)."""
        return self.shown().sum(axis=1), np.asarray(self.suppressed.any(axis=1))

    def writer(self, values=None):
        """How a number is written: the panel's format, else one number of decimals for all (none for counts)."""
        return number_writer(self.values[~self.suppressed & ~np.isnan(self.values)] if values is None else values,
                             self.count, self.format)

    def note(self) -> str:
        """What the picture leaves out, said under it: categories beyond top, suppressed cells."""
        parts = []
        if self.left_out:
            n = len(self.categories)
            parts.append(f"top {n} of {n + self.left_out} shown")
        hidden = int(self.suppressed.sum()) - self.secondary
        if hidden:
            more = f" (and {self.secondary} value{'s' if self.secondary > 1 else ''} with it)" if self.secondary else ""
            parts.append(f"{hidden} small count{'s' if hidden > 1 else ''} {SUPPRESSED}{more}")
        return "; ".join(parts)


def number_writer(values, count: bool, fmt: str | None):
    """A function writing one number as the panel writes all of them (a true minus sign)."""
    if fmt is not None and not count:
        return lambda v: MISSING if np.isnan(v) else format_number(fmt, v).replace("-", "\u2212")
    decimals = shared_decimals(np.asarray(values, dtype=float) if len(values) else [0], count)
    return lambda v: fixed(v, decimals).replace("-", "\u2212")


def summed(data: SceneData, panel, here: tuple, label: str, series: str | None, value: str, *,
           order: str = "descending", top: int | None = None, where: str | None = None,
           how: str = "sum") -> SeriesTable:
    """The panel's rows summed (or averaged: `how`) per (label, series): categories in `order` (by their totals,
    descending or ascending, or `period`: as time runs), series by their totals, largest first."""
    from bridge.panels.line import period_key

    dataset = panel.data
    frame = pd.DataFrame({"label": texts(data, label, here + ("label",), dataset),
                          "value": numbers(data, value, here + ("value",), dataset)})
    frame["series"] = texts(data, series, here + ("series",), dataset) if series else ""
    if where:
        keep = condition(data.evaluate(where, here + ("where",), dataset),
                         data.doc.problem(here + ("where",), "must be a condition, e.g. wards.ward24_name == params.ward"))
        frame = frame[np.broadcast_to(keep.to_numpy(dtype=bool), (len(frame),))]
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        raise BridgeError(data.doc.problem(here + (("where",) if where else ("value",)), "no rows with a value to draw"))
    table = frame.groupby(["label", "series"], sort=False)["value"].agg(how).unstack("series")
    kinds = table.sum(axis=0).sort_values(ascending=False, kind="stable").index
    if len(kinds) > MAX_SERIES:
        raise BridgeError(data.doc.problem(here + ("series",), f"{len(kinds)} series are too many to tell apart by colour "
                                                               f"(at most {MAX_SERIES}); narrow them with where:"))
    if order == "period":
        rows = sorted(table.index, key=period_key)
    else:
        rows = list(table.sum(axis=1).sort_values(ascending=order == "ascending", kind="stable").index)
    most = min(top or MAX_CATEGORIES, MAX_CATEGORIES)
    values = table.loc[rows[:most], kinds].to_numpy(dtype=float)
    count = how == "sum" and is_count(data, value, dataset)  # a mean of counts is not a count
    return SeriesTable([str(r) for r in rows[:most]], [str(k) for k in kinds], values,
                       suppression_mask(data, values, count), count, max(0, len(rows) - most),
                       getattr(panel, "format", None))


def colours(theme: Theme, n: int) -> list:
    """n series colours: the theme's accent for one series; else the theme's `series` colour map
    (a qualitative map's own colours in turn, any other sampled evenly)."""
    if n <= 1:
        return [theme.accent]
    cmap = colormaps[theme.series]
    if isinstance(cmap, ListedColormap) and cmap.N <= 20:
        listed = list(np.asarray(cmap.colors))
        return [tuple(listed[k % len(listed)]) for k in range(n)]
    return palette(theme.series, n)


def legend(c: Canvas, names: list[str], swatches: list, top_deg: float, size_deg: float | None = None) -> float:
    """A legend of coloured swatches and names in rows from the panel's left margin, below
    `top_deg` (degrees from the bottom); returns the legend's bottom, degrees.  Long names are
    shortened with "…"; the names shrink (not below the legible floor) to keep within LEGEND_ROWS rows."""
    from bridge.theme import MIN_TEXT_DEG

    if not names:
        return top_deg
    ruler = Ruler(c)
    room = c.width_deg - 2 * MARGIN_DEG
    size = size_deg or c.theme.small_deg * 1.2
    share = LEGEND_NAME_SHARE
    while True:  # smaller names, then shorter ones, then as many as fit and a count of the rest
        texts_ = [shorten(ruler, " ".join(n.split()), size, share * c.width_deg) for n in names]
        rows = _legend_rows(ruler, texts_, size, room)
        if len(rows) <= LEGEND_ROWS or (size <= MIN_TEXT_DEG and share <= 0.15):
            break
        size, share = (max(MIN_TEXT_DEG, size - 0.05), share) if size > MIN_TEXT_DEG else (size, share - 0.05)
    if len(rows) > LEGEND_ROWS:
        rows = rows[:LEGEND_ROWS]
        k, x = rows[-1].pop()
        texts_[k] = f"+{len(names) - k} more"
        rows[-1].append((k, x))
        swatches = list(swatches[:k]) + [c.theme.card]
    line = text_height(c, "Ag", size) * 1.25
    y = top_deg
    for row in rows:
        y -= line
        for k, x in row:
            side = SWATCH_EM * size
            c.fig.patches.append(Rectangle((c.frac_w(x), c.frac_h(y + (line - side) / 2 - 0.05 * line)),
                                           c.frac_w(side), c.frac_h(side), transform=c.fig.transFigure,
                                           color=swatches[k], linewidth=0))
            c.fig.text(c.frac_w(x + side + SWATCH_GAP_EM * size), c.frac_h(y + line / 2), texts_[k], va="center",
                       ha="left", color=c.theme.text, fontsize=c.pt(size), family=c.theme.font)
    return y - 0.3


def _legend_rows(ruler: Ruler, names: list[str], size: float, room: float) -> list[list[tuple[int, float]]]:
    """(entry, left edge) of each legend entry, row by row."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = MARGIN_DEG
    for k, name in enumerate(names):
        width = (SWATCH_EM + SWATCH_GAP_EM) * size + ruler(name, size)
        if rows[-1] and x + width > MARGIN_DEG + room:
            rows.append([])
            x = MARGIN_DEG
        rows[-1].append((k, x))
        x += width + ENTRY_GAP_EM * size
    return rows


def describe_table(content: SeriesTable, caption: str, first: str, total: bool) -> dict:
    """The text version's table: a row per category, a column per series (and a total column),
    written as drawn; a total holding a suppressed cell is suppressed too."""
    from bridge.panels.common.describe import table

    write = content.writer()
    names = content.series if content.series != [""] else ["Value"]
    rows = []
    sums, hidden = content.totals()
    for i, category in enumerate(content.categories):
        cells = [SUPPRESSED if content.suppressed[i, j] else MISSING if np.isnan(content.values[i, j])
                 else write(content.values[i, j]) for j in range(len(content.series))]
        if total:
            cells.append(SUPPRESSED if hidden[i] else write(sums[i]))
        rows.append([category] + cells)
    headings = [first] + names + (["Total"] if total else [])
    return table(caption, headings, rows, [False] + [True] * (len(headings) - 1), note=content.note() or None)
