"""`type: line` — a time series: one line per series, labelled at its end; reference lines and
bands (England's value, a target) named beside them; the value axis from zero when asked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import MISSING, fixed, is_missing, shared_decimals
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas, palette
from bridge.panels.common.chart import (
    EDGE_DEG,
    GAP_DEG,
    MARGIN_DEG,
    ROW_GAP_EM,
    TICK_PAD_DEG,
    LineAxis,
    ReferenceMark,
    References,
    Ruler,
    axis_numbers,
    bar_labels,
    points,
    reference_decimals,
    reference_marks,
    text_height,
)
from bridge.panels.common.describe import name, table
from bridge.panels.common.values import numbers, texts
from bridge.scene.fields import Expr

MAX_SERIES = 12  # more lines than this cannot be told apart
END_SHARE = 0.35  # the names at the lines' ends take at most this share of the panel's width
END_GAP_EM = 0.25  # between two names at the lines' ends, in ems
PERIOD_GAP_EM = 0.5  # between two period labels on the x axis, in ems
END_PAD_DEG = 0.3  # between the chart's right edge and the names
LEADER_PAD_DEG = 1.5  # the same where leaders join names to their lines' ends


def x_limits(n: int) -> tuple[float, float]:
    """The x axis of n periods (0 … n-1): a little room before the first, less after the last,
    whose dot the names beside it are near."""
    return -0.3, n - 1 + 0.15


@dataclass
class LineContent:
    x: list[str]
    series: dict[str, np.ndarray]
    suppressed: int = 0  # small counts of people left out of the lines
    references: list[ReferenceMark] = field(default_factory=list)
    count: bool = False  # the values count people: written as integers

    def decimals(self) -> int:
        """One number of decimals for the values (bridge/data/numformat.py's `shared_decimals`)."""
        values = [v for series in self.series.values() for v in series if not is_missing(v)]
        return shared_decimals(values or [0], self.count)


MONTHS = {name: n for n, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_PARTS = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")


def period_key(text: str) -> tuple:
    """Sorts periods as time runs: the year first wherever it is written (a four-digit number),
    then the numbers (as numbers) and month names (as months) in the order they appear, then
    any other words; "2023 Q2" < "2023 Q10", "Apr 2023" < "Jan 2024", "2019/20" < "2020/21"."""
    parts = _PARTS.findall(str(text))
    years = [p for p in parts if len(p) == 4 and p.isdigit()]
    year = int(years[0]) if years else -1
    if years:
        parts.remove(years[0])
    rest = []
    for part in parts:
        if part[0].isdigit():
            rest.append((0, float(part), ""))
        elif part.lower() in MONTHS:
            rest.append((0, float(MONTHS[part.lower()]), ""))
        else:
            rest.append((1, 0.0, part.lower()))
    return (year, tuple(rest), str(text))


class LinePanel(PanelModel):
    """A time series, one line per series, labelled at its end; `highlight` picks one out, `reference` adds lines and bands."""

    type: Literal["line"]
    listing_order = 5
    x: Expr = Field(description=(
        "Column of periods (text or numbers), drawn in time order: by year, then by the numbers and month names "
        "within (2023 Q2 before 2023 Q10, Apr 2023 before Jan 2024)"))
    y: Expr
    series: Expr | None = Field(None, description="Column naming each line")
    where: Expr | None = None
    unit: str | None = None
    highlight: str | None = Field(None, description="Series to draw strongest")
    reference: References = []
    axis: LineAxis = Field(LineAxis(), description=(
        "The value axis: {from_zero: true} starts it at zero (by default it spans the values, as a line's slope is read)"))

    def content(self, data, here) -> LineContent:
        dataset = self.data
        x = texts(data, self.x, here + ("x",), dataset)
        y = numbers(data, self.y, here + ("y",), dataset)
        series = texts(data, self.series, here + ("series",), dataset) if self.series else pd.Series(["value"] * len(x))
        hidden = suppression_mask(data, y, is_count(data, self.y, dataset))
        y = y.mask(hidden)  # a small count of people is never a point on a line
        frame = pd.DataFrame({"x": x, "y": y, "s": series})
        if self.where:
            keep = data.evaluate(self.where, here + ("where",), dataset)
            if not isinstance(keep, pd.Series) or keep.dtype != bool:
                raise BridgeError(data.doc.problem(here + ("where",), "must be a condition, e.g. area_name == \"Shropshire\""))
            frame = frame[keep.reset_index(drop=True).to_numpy()]
        suppressed = int(hidden[frame.index].sum())
        frame = frame[frame["x"].notna() & frame["s"].notna() & (frame["y"].notna() | hidden[frame.index])]
        if frame["y"].isna().all():
            raise BridgeError(data.doc.problem(here + ("where",) if self.where else here + ("y",), "no rows left to draw"))
        order = sorted(frame["x"].unique(), key=period_key)
        lines = {}
        for series_name, group in frame.groupby("s", sort=False):
            if group["x"].duplicated().any():
                raise BridgeError(data.doc.problem(here + ("series",),
                    f"series '{series_name}' has several values for '{group['x'][group['x'].duplicated()].iloc[0]}'; "
                    "add series: or narrow it with where:"))
            lines[str(series_name)] = group.set_index("x")["y"].reindex(order).to_numpy(dtype=float)
        if len(lines) > MAX_SERIES:
            raise BridgeError(data.doc.problem(here + ("series",),
                                               f"{len(lines)} series are too many to read; narrow it with where:"))
        return LineContent(order, lines, suppressed, reference_marks(data, self.reference, here + ("reference",), dataset),
                           is_count(data, self.y, dataset))

    def describe(self, entry, view, step_index, content: LineContent) -> None:
        """Its lines as a table, a column per line and a row per period."""
        values = [v for series in content.series.values() for v in series]
        decimals = content.decimals()
        names = list(content.series)
        rows = [[period] + [fixed(content.series[line][k], decimals, missing=MISSING) for line in names]
                for k, period in enumerate(content.x)]
        note = None
        if content.suppressed:  # the line leaves a gap: the text cannot say which gap is a small count
            note = (f"{content.suppressed} small count(s) of people {SUPPRESSED}; they are written as {MISSING}, "
                    "as are periods without a value")
        caption = name(self) + (f" ({self.unit})" if self.unit else "")
        entry["tables"].append(table(caption, ["Period"] + names, rows, [False] + [True] * len(names), note=note))
        if self.highlight and self.highlight in content.series:
            entry["text"].append(f"Picked out: {self.highlight}.")
        entry["text"] += [mark.sentence(reference_decimals(content.references, decimals)) for mark in content.references]
        shown = [v for v in values if not is_missing(v)] + [v for m in content.references for v in (m.low, m.high)]
        if self.axis.from_zero:
            entry["text"].append("The value axis starts at zero.")
        elif shown and min(shown) > 0.05 * (max(shown) - min(shown)):  # matplotlib's margin: the axis starts above zero
            entry["text"].append("The value axis does not start at zero: it spans the values, so differences look larger "
                                 "than they would on an axis from zero.")

    def draw(self, c: Canvas, content: LineContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg  # the room between source line and title, degrees
        tick_size = t.small_deg * 1.2
        ruler = Ruler(c)
        # Heights first: the periods below the chart, a note above it should there be one.
        chart_lo = lo + text_height(c, "2000/01", tick_size) + TICK_PAD_DEG
        note_h = text_height(c, "0 small count(s)", tick_size) + 0.3
        notes = [f"{content.suppressed} small count(s) {SUPPRESSED}"] if content.suppressed else []
        # The unit runs up the y axis if one line of it fits the chart's height, else across above the chart.
        unit_size, unit = c.fit(self.unit, tick_size, room_deg=hi - chart_lo, floor_deg=t.small_deg) if self.unit else (0.0, "")
        across = "\n" in unit
        if across:
            unit_size, unit = c.fit(cast(str, self.unit), tick_size, room_deg=c.width_deg - 2 * MARGIN_DEG)  # a unit too long
            hi -= text_height(c, unit, unit_size) + 0.3
        chart_hi = hi - (note_h if notes else 0.0)
        # The names at the lines' ends, in a column of measured width: the highlighted one first, should
        # there be room for only some of them.
        refs = [m for m in content.references if not m.suppressed]
        size, named, note = self._names(c, content, refs, chart_hi - chart_lo, 0.0 if notes else note_h)
        labels = list(named.values())
        if note:
            notes.append(note)
            chart_hi = hi - note_h
        chart_h = chart_hi - chart_lo
        ax = c.fig.add_axes((0, c.frac_h(chart_lo), 1, c.frac_h(chart_h)))  # placed across once its sides are known
        ax.set_facecolor(t.card)
        x = np.arange(len(content.x))
        ends = self._plot_lines(c, ax, content, x, named)
        ends.update(_draw_references(c, ax, refs, named, x[-1]))
        ax.set_xlim(*x_limits(len(x)))
        ylim = ax.get_ylim()  # matplotlib's own margins round the data
        if self.axis.from_zero:  # zero drawn, with room below it for its number
            ylim = from_zero(ylim, text_height(c, "0", tick_size) * 0.6 / chart_h)
            ax.axhline(0, color=t.muted, linewidth=max(1.0, 0.08 * c.ppd), zorder=1.6)  # over the grid, under the lines
        # The y axis: matplotlib's round numbers, those that fit the chart's height, written out.
        values = [v for v in ax.yaxis.get_major_locator().tick_values(*ylim) if ylim[0] <= v <= ylim[1]]
        values = y_ticks(c, values, ylim, chart_h, tick_size)
        numbers = ["" for _ in values] if content.suppressed else axis_numbers(values)  # could bracket a suppressed count
        left = MARGIN_DEG + (text_height(c, unit, unit_size) + GAP_DEG if unit and not across else 0.0)
        chart_x0 = left + max((ruler(number, tick_size) for number in numbers), default=0.0) + TICK_PAD_DEG
        # Each name beside its line's end, moved up or down only as far as keeps the names apart; a name
        # moved, or beside a line that ends early, is joined to the line's end by a leader with room to slant.
        span = ylim[1] - ylim[0]
        wanted = {name: chart_lo + (y - ylim[0]) / span * chart_h for name, (_, y, _) in ends.items()}
        heights = {name: text_height(c, named[name], size) for name in ends}
        placed = spread(wanted, heights, chart_lo, chart_hi, END_GAP_EM * size)
        leaders = {name for name, (xe, _, _) in ends.items()
                   if abs(placed[name] - wanted[name]) > heights[name] / 4 or xe < x[-1]}
        pad = LEADER_PAD_DEG if leaders else END_PAD_DEG
        label_w = max((ruler(label, size) for label in labels), default=0.0)
        chart_x1 = c.width_deg - MARGIN_DEG - (label_w + pad if labels else 0.0)
        ax.set_position((c.frac_w(chart_x0), c.frac_h(chart_lo), c.frac_w(chart_x1 - chart_x0), c.frac_h(chart_h)))
        ax.set_ylim(*ylim)
        ax.set_yticks(values, numbers, family=t.font)
        ax.set_xticks(*period_ticks(c, content.x, chart_x0, chart_x1, tick_size, ruler), family=t.font)
        ax.tick_params(colors=t.muted, labelsize=c.pt(tick_size))
        ax.tick_params(axis="y", length=0, pad=points(c, TICK_PAD_DEG))
        ax.tick_params(axis="x", length=points(c, 0.2), pad=points(c, 0.2))  # within the TICK_PAD_DEG kept for them
        ax.grid(axis="y", color=t.border, linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if notes:
            ax.text(1.0, 1.0, "; ".join(notes), transform=ax.transAxes, ha="right", va="bottom", color=t.muted,
                    fontsize=c.pt(tick_size), family=t.font)
        if across:
            c.fig.text(c.frac_w(MARGIN_DEG), top, unit, ha="left", va="top", linespacing=1.2, color=t.muted,
                       fontsize=c.pt(unit_size), family=t.font)
        elif unit:
            c.fig.text(c.frac_w(MARGIN_DEG), c.frac_h(chart_lo + chart_h / 2), unit, rotation=90, ha="left", va="center",
                       color=t.muted, fontsize=c.pt(unit_size), family=t.font)
        _name_ends(c, ax, ends, named, size, wanted, placed, leaders, len(x), (chart_x0, chart_x1, chart_x1 + pad))

    def _names(self, c: Canvas, content: LineContent, refs: list[ReferenceMark], height: float,
               note_h: float) -> tuple[float, dict[str, str], str]:
        """The names beside the lines' ends and the references', sized to fit `height` (key → text as
        drawn), and a note should some be left out: the highlighted series first, then the references."""
        names = sorted(content.series, key=lambda name: name != self.highlight)
        keys = names[:1] + [REFERENCE_KEY.format(k) for k in range(len(refs))] + names[1:]
        decimals = reference_decimals(refs, content.decimals())
        wanted = {**{n: n for n in names}, **{REFERENCE_KEY.format(k): m.text(decimals) for k, m in enumerate(refs)}}
        spare = len(keys) * (END_GAP_EM - ROW_GAP_EM[0]) * c.theme.body_deg  # `spread` keeps names further apart than bars
        size, labels = bar_labels(c, [wanted[k] for k in keys], height - spare,
                                  END_SHARE * c.width_deg - MARGIN_DEG - GAP_DEG, Ruler(c), note_h)
        note = ""
        if len(labels) < len(keys):
            series_named = sum(not key.startswith("\0") for key in keys[: len(labels)])
            note = (f"{series_named} of {len(names)} series named" if series_named < len(names) else
                    f"{len(labels) - series_named} of {len(refs)} references named")
        return size, dict(zip(keys, labels)), note

    def _plot_lines(self, c: Canvas, ax, content: LineContent, x: np.ndarray, named: dict[str, str]) -> dict:
        """Draw each series' line (the highlighted one strong); name → (x, y, colour) of the
        last value of each line that is named at its end."""
        t = c.theme
        colours = palette(t.series, 10) if len(content.series) > 1 else [t.accent]
        ends = {}
        pitch = (c.width_deg * (1 - END_SHARE) - 2 * MARGIN_DEG) / max(1, len(x))  # about the least room a period has
        marker = min(0.5 * c.ppd, 0.6 * points(c, pitch))  # dots that do not run together
        for k, (series_name, y) in enumerate(content.series.items()):
            strong = self.highlight is None or series_name == self.highlight
            colour = t.mark if self.highlight == series_name else colours[k % len(colours)]
            ax.plot(x, y, color=colour, linewidth=(0.35 if strong else 0.18) * c.ppd, alpha=1 if strong else 0.55, marker="o",
                    markersize=marker)
            last = np.flatnonzero(np.isfinite(y))
            if len(last) and series_name in named:
                ends[series_name] = (x[last[-1]], y[last[-1]], colour)
        return ends


REFERENCE_KEY = "\0reference {}"  # a reference's key among the names at the lines' ends: never a series' name


def _draw_references(c: Canvas, ax, refs: list[ReferenceMark], named: dict[str, str], last: float) -> dict:
    """Reference lines (dashed, in the theme's text colour) and bands (muted, behind the lines)
    across the chart; name → (x, y, colour) of those named at the right, like the lines' ends."""
    t = c.theme
    ends = {}
    for k, ref in enumerate(refs):
        if ref.band:
            ax.axhspan(ref.low, ref.high, color=t.muted, alpha=0.22, linewidth=0, zorder=0.6)
        else:
            ax.axhline(ref.low, color=t.text, linewidth=max(1.0, 0.1 * c.ppd), linestyle=(0, (4, 3)), zorder=1.5)
        if REFERENCE_KEY.format(k) in named:
            ends[REFERENCE_KEY.format(k)] = (last, (ref.low + ref.high) / 2, t.text)
    return ends


def from_zero(lim: tuple[float, float], margin: float) -> tuple[float, float]:
    """Axis limits stretched to take in zero, which is kept `margin` (a share of the axis) inside its end."""
    low, high = lim
    if low >= 0:
        return -high * margin / (1 - margin), high
    if high <= 0:
        return low, -low * margin / (1 - margin)
    return low, high


def _name_ends(c: Canvas, ax, ends: dict, named: dict[str, str], size: float, wanted: dict[str, float],
               placed: dict[str, float], leaders: set[str], periods: int, xs: tuple[float, float, float]) -> None:
    """Each line's name at `placed` beside its end, joined to the end by a leader where it is in
    `leaders` (`xs`: the chart's left and right edges and the names' left edge, degrees)."""
    t = c.theme
    chart_x0, chart_x1, label_x = xs
    for line_name, (xe, _ye, colour) in ends.items():
        at = placed[line_name]
        ax.text(c.frac_w(label_x), c.frac_h(at), named[line_name], transform=c.fig.transFigure, color=colour, family=t.font,
                fontsize=c.pt(size), va="center", ha="left", linespacing=1.2)
        end_x = chart_x0 + (xe - x_limits(periods)[0]) / np.ptp(x_limits(periods)) * (chart_x1 - chart_x0)
        if line_name in leaders:
            c.fig.add_artist(Line2D([c.frac_w(end_x), c.frac_w(label_x - 0.2)], [c.frac_h(wanted[line_name]), c.frac_h(at)],
                                    transform=c.fig.transFigure, color=colour, linewidth=0.05 * c.ppd, alpha=0.8))


def y_ticks(c: Canvas, values: list[float], lim: tuple[float, float], height_deg: float, size_deg: float) -> list[float]:
    """Tick values whose numbers (one line each) stay inside the chart's height and apart; every
    other one dropped until they are."""
    line = text_height(c, "0", size_deg)
    at = [(v - lim[0]) / (lim[1] - lim[0]) * height_deg for v in values]
    values = [v for v, a in zip(values, at) if line / 2 <= a <= height_deg - line / 2]
    step = (values[1] - values[0]) / (lim[1] - lim[0]) * height_deg if len(values) > 1 else height_deg
    keep = 1
    while keep < len(values) and step * keep < line * 1.5:
        keep += 1
    return values[::keep]


def period_ticks(c: Canvas, periods: list[str], x0: float, x1: float, size_deg: float, ruler: Ruler) -> tuple[list, list]:
    """Every k-th period labelled (the last always), k the fewest that keeps the labels apart
    (measured), none past the panel's edges."""
    n = len(periods)
    if not n:
        return [], []
    first, last = x_limits(n)
    pitch = (x1 - x0) / (last - first)
    widest = max(ruler(p, size_deg) for p in periods)
    k = 1
    while k < n and k * pitch < widest + PERIOD_GAP_EM * size_deg:
        k += 1
    picked = [i for i in range((n - 1) % k, n, k)
              if EDGE_DEG <= x0 + (i - first) * pitch - ruler(periods[i], size_deg) / 2
              and x0 + (i - first) * pitch + ruler(periods[i], size_deg) / 2 <= c.width_deg - EDGE_DEG]
    return picked, [periods[i] for i in picked]


def spread(wanted: dict[str, float], heights: dict[str, float], low: float, high: float, gap: float) -> dict[str, float]:
    """Centres for labels wanted at `wanted` (degrees, up) of `heights`, in their order, apart by
    `gap` and inside [low, high]: touching ones form a group centred where its members want to be."""
    groups: list[list] = []  # [names, bottom, height]
    for label in sorted(wanted, key=wanted.__getitem__):
        groups.append([[label], 0.0, heights[label]])
        while True:
            names, _, size = groups[-1]
            offsets = np.cumsum([0.0] + [heights[m] + gap for m in names[:-1]])
            bottom = float(np.mean([wanted[m] - heights[m] / 2 - off for m, off in zip(names, offsets)]))
            groups[-1][1] = min(max(bottom, low), high - size)
            if len(groups) > 1 and groups[-2][1] + groups[-2][2] + gap > groups[-1][1]:
                below = groups.pop(-2)
                groups[-1] = [below[0] + groups[-1][0], 0.0, below[2] + gap + groups[-1][2]]
                continue
            break
    placed = {}
    for names, bottom, _ in groups:
        for label in names:
            placed[label] = bottom + heights[label] / 2
            bottom += heights[label] + gap
    return placed
