"""`type: line` — a time series: one line per series, labelled at its end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from bridge.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.errors import BridgeError
from bridge.fields import Expr
from bridge.panels import register
from bridge.panels.base import PanelModel
from bridge.panels.canvas import Canvas, palette
from bridge.panels.values import numbers, texts

MAX_SERIES = 12  # more lines than this cannot be told apart


@dataclass
class LineContent:
    x: list[str]
    series: dict[str, np.ndarray]
    suppressed: int = 0  # small counts of people left out of the lines


@register
class LinePanel(PanelModel):
    """A time series, one line per series, each labelled at its end; `highlight` picks one out."""

    type: Literal["line"]
    x: Expr = Field(description="Column of periods (text or numbers), in order")  # type: ignore[valid-type]
    y: Expr  # type: ignore[valid-type]
    series: Expr | None = Field(None, description="Column naming each line")  # type: ignore[valid-type]
    where: Expr | None = None  # type: ignore[valid-type]
    unit: str | None = None
    highlight: str | None = Field(None, description="Series to draw strongest")

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
        order = sorted(frame["x"].unique())
        lines = {}
        for name, group in frame.groupby("s", sort=False):
            if group["x"].duplicated().any():
                raise BridgeError(data.doc.problem(here + ("series",),
                    f"series '{name}' has several values for '{group['x'][group['x'].duplicated()].iloc[0]}'; "
                    "add series: or narrow it with where:"))
            lines[str(name)] = group.set_index("x")["y"].reindex(order).to_numpy(dtype=float)
        if len(lines) > MAX_SERIES:
            raise BridgeError(data.doc.problem(here + ("series",), f"{len(lines)} series are too many to read; narrow it with where:"))
        return LineContent(order, lines, suppressed)

    def draw(self, c: Canvas, content: LineContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        ax = c.fig.add_axes((c.frac_w(7), bottom + c.frac_h(t.body_deg * 3), 1 - c.frac_w(7 + 14),
                             top - bottom - c.frac_h(t.body_deg * 3)))
        ax.set_facecolor(t.card)
        colours = palette(t.series, 10) if len(content.series) > 1 else [t.accent]
        x = np.arange(len(content.x))
        for k, (name, y) in enumerate(content.series.items()):
            strong = self.highlight is None or name == self.highlight
            colour = t.mark if self.highlight == name else colours[k % len(colours)]
            ax.plot(x, y, color=colour, linewidth=(0.35 if strong else 0.18) * c.ppd, alpha=1 if strong else 0.55, marker="o",
                    markersize=0.5 * c.ppd)
            last = np.flatnonzero(np.isfinite(y))
            if len(last):
                ax.text(x[last[-1]] + 0.15, y[last[-1]], name, color=colour, fontsize=c.pt(t.body_deg), va="center", ha="left")
        step = max(1, len(x) // 6)
        ax.set_xticks(x[::step], [content.x[i] for i in x[::step]])
        ax.tick_params(colors=t.muted, labelsize=c.pt(t.small_deg * 1.2))
        ax.grid(axis="y", color=t.border, linewidth=0.6)
        if content.suppressed:  # axis numbers could bracket a suppressed count
            ax.set_yticklabels([])
            ax.text(1.0, 1.0, f"{content.suppressed} small count(s) {SUPPRESSED}", transform=ax.transAxes, ha="right",
                    va="bottom", color=t.muted, fontsize=c.pt(t.small_deg * 1.2))
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlim(-0.3, len(x) - 0.7 + 0.3)
        if self.unit:
            ax.set_ylabel(self.unit, color=t.muted, fontsize=c.pt(t.small_deg * 1.2))
