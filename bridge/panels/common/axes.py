"""A chart with categories along its foot and values up its side (column, area, combo): its box,
the categories' labels (wrapped to two lines, every k-th where they would touch), the value axis's
numbers (and a second axis's on the right), a unit above each axis and a note: all measured as drawn,
so nothing is cut by the panel's edge or overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.ticker import MaxNLocator

from bridge.data.numformat import format_number
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import (
    EDGE_DEG,
    ELLIPSIS,
    MARGIN_DEG,
    TICK_PAD_DEG,
    Ruler,
    axis_numbers,
    label_lines,
    points,
    text_height,
)

CATEGORY_GAP_DEG = 0.5  # between two categories' labels
UNIT_PAD_DEG = 0.3  # between a unit (or a note) and the chart


@dataclass
class Axis:
    """A value axis: its limits, number format (None: axis_numbers) and unit written above it."""

    lim: tuple[float, float]
    format: str | None = None
    unit: str | None = None
    hide_numbers: bool = False  # no numbers (they could bracket a suppressed count)


def readable(drawn: str, label: str) -> bool:
    """Whether a label as drawn keeps enough of itself to be read: three characters or all of it."""
    kept = drawn.replace("\n", "").replace(ELLIPSIS, "")
    return len(kept) >= min(3, len(label.strip()))


def category_labels(c: Canvas, categories: list[str], x0: float, pitch: float, size: float,
                    lines: int, inset: float = 0.5) -> tuple[list[int], list[str]]:
    """Which categories are labelled (every k-th, k the least that leaves each label readable) and
    their labels as drawn, each wrapped to at most `lines` lines within its share of the axis."""
    ruler = Ruler(c)
    n = len(categories)
    for ok in (whole, readable):  # whole labels every k-th if any k allows, else shortened ones
        for k in range(1, n + 1):
            picked = list(range(0, n, k))
            drawn = []
            for i in picked:
                centre = x0 + (i + inset) * pitch
                room = min(k * pitch - CATEGORY_GAP_DEG, 2 * (centre - EDGE_DEG), 2 * (c.width_deg - EDGE_DEG - centre))
                drawn.append(label_lines(ruler, categories[i], size, room, lines) if room > size else "")
            if all(ok(d, categories[i]) for d, i in zip(drawn, picked)):
                return picked, drawn
    return [], []


def whole(drawn: str, label: str) -> bool:
    """Whether a label is drawn whole: wrapped at spaces only, never shortened or broken in a word."""
    return drawn.replace("\n", " ") == " ".join(label.split())


def value_ticks(c: Canvas, axis: Axis, height: float, size: float) -> tuple[list[float], list[str]]:
    """Round numbers up a value axis `height` degrees tall, one line apart and inside it."""
    from bridge.panels.line import y_ticks

    low, high = axis.lim
    span = high - low
    values = [float(v) for v in MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
              if low - 1e-9 * span <= v <= high + 1e-9 * span]
    values = y_ticks(c, values, axis.lim, height, size)
    if axis.hide_numbers:
        return values, ["" for _ in values]
    names = [format_number(axis.format, v).replace("-", "\u2212") for v in values] if axis.format else axis_numbers(values)
    return values, names


def units_line(c: Canvas, left: str | None, right: str | None, top: float, size: float) -> float:
    """The units of the left and right axes on one line under `top` (degrees), each in half the
    width when there are two; returns the top left for the chart."""
    if not left and not right:
        return top
    room = c.width_deg - 2 * MARGIN_DEG
    half = room / 2 - 0.5 if (left and right) else room
    used = 0.0
    for text, x, ha in ((left, MARGIN_DEG, "left"), (right, c.width_deg - MARGIN_DEG, "right")):
        if not text:
            continue
        unit_size, unit = c.fit(text, size, room_deg=half, floor_deg=min(size, c.theme.small_deg))
        c.fig.text(c.frac_w(x), c.frac_h(top), unit, ha=ha, va="top", color=c.theme.muted, fontsize=c.pt(unit_size),
                   family=c.theme.font, linespacing=1.2)
        used = max(used, text_height(c, unit, unit_size))
    return top - used - UNIT_PAD_DEG


def category_chart(c: Canvas, categories: list[str], room: tuple[float, float], left: Axis, size: float,
                   right: Axis | None = None, note: str = "", inset: float = 0.5):
    """The chart's axes (and its right-hand twin) between `room` (bottom, top in degrees), with the
    categories at 0 … n-1 along the foot (`inset` beyond the first and last) and `left` (and `right`) up the sides."""
    t = c.theme
    lo, hi = room
    right_unit = right.unit if right else None
    hi = units_line(c, left.unit, right_unit or note or None, hi, size)  # the note beside the unit where it can be
    if note and right_unit:
        c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(hi), note, ha="right", va="top", color=t.muted,
                   fontsize=c.pt(size), family=t.font)
        hi -= text_height(c, note, size) + UNIT_PAD_DEG
    n = len(categories)
    best = None
    for lines in (1, 2):  # one line each where that labels as many categories as two lines would
        chart_lo = lo + text_height(c, "\n".join(["Ag"] * lines), size) + TICK_PAD_DEG
        height = hi - chart_lo
        ticks = value_ticks(c, left, height, size)
        x0 = MARGIN_DEG + max((c.measure(s, size) for s in ticks[1] if s), default=0.0) + TICK_PAD_DEG
        right_ticks = value_ticks(c, right, height, size) if right else ([], [])
        x1 = c.width_deg - MARGIN_DEG - (max((c.measure(s, size) for s in right_ticks[1] if s), default=0.0)
                                         + TICK_PAD_DEG if right else 0.0)
        picked, drawn = category_labels(c, categories, x0, (x1 - x0) / (n - 1 + 2 * inset), size, lines, inset)
        if best is None or len(picked) > len(best[5]) or (len(picked) == len(best[5]) and
                                                          sum("…" in d for d in drawn) < sum("…" in d for d in best[6])):
            best = (chart_lo, ticks, right_ticks, x0, x1, picked, drawn)
    assert best is not None  # the loop ran
    chart_lo, ticks, right_ticks, x0, x1, picked, drawn = best
    ax = c.fig.add_axes((c.frac_w(x0), c.frac_h(chart_lo), c.frac_w(x1 - x0), c.frac_h(hi - chart_lo)))
    ax.set_facecolor(t.card)
    ax.set_xlim(-inset, n - 1 + inset)
    ax.set_ylim(*left.lim)
    ax.set_xticks(picked, drawn, family=t.font)
    ax.set_yticks(*ticks, family=t.font)
    ax.tick_params(colors=t.muted, labelsize=c.pt(size))
    ax.tick_params(axis="x", length=0, pad=points(c, TICK_PAD_DEG / 2), colors=t.text)
    ax.tick_params(axis="y", length=0, pad=points(c, TICK_PAD_DEG / 2))
    ax.grid(axis="y", color=t.border, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_visible(False)
    twin = None
    if right is not None:
        twin = ax.twinx()
        twin.set_ylim(*right.lim)
        twin.set_yticks(*right_ticks, family=t.font)
        twin.tick_params(colors=t.muted, labelsize=c.pt(size), length=0, pad=points(c, TICK_PAD_DEG / 2))
        for spine in twin.spines.values():
            spine.set_visible(False)
    return ax, twin


def padded(low: float, high: float, zero: bool = True) -> tuple[float, float]:
    """Axis limits round the values, from zero when `zero` (a bar's or an area's length is read),
    with a little room beyond the largest."""
    if zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or abs(high) or 1.0
    return (low - 0.04 * span if low < 0 or not zero else low), high + 0.06 * span
