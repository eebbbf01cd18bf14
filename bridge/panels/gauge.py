"""`type: gauge` — one number on a half-ring from `min` to `max`, filled to the value, with a
target marked across the ring; the number written under it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.patches import Wedge
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, suppression_mask
from bridge.data.numformat import NumberFormat, auto_format, format_number, is_missing, with_unit
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import MARGIN_DEG, axis_numbers, single_number, text_height
from bridge.panels.common.describe import name
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

RING = 0.3  # the ring's thickness, a share of its radius
NO_DATA = "no data"


@dataclass
class GaugeContent:
    value: float
    low: float
    high: float
    target: float | None
    suppressed: bool
    count: bool


class GaugePanel(PanelModel):
    """One number on a half-ring from min to max, filled to the value, a target marked across it."""

    type: Literal["gauge"]
    listing_order = 27
    value: Expr = Field(description="One number, e.g. sum(people.total) or mean(fuel.rate)")
    min: float | Expr = Field(0.0, description="The ring's start: a number or an expression giving one")
    max: float | Expr = Field(description="The ring's end: a number or an expression giving one")
    target: float | Expr | None = Field(None, description="A mark across the ring, e.g. a target or England's value")
    target_label: str | None = Field(None, description="What the target is, e.g. 'target' or 'England'")
    label: str | None = Field(None, description="Under the number: what it is")
    unit: str | None = Field(None, description="Written beside the number: '%' → 4.7%, 'homes' → 12 homes")
    format: NumberFormat | None = Field(None, description="How the numbers are written, e.g. '{:.1%}'")

    def content(self, data, here) -> GaugeContent:
        value, count = single_number(data, self.value, here + ("value",), self.data)
        low, _ = single_number(data, self.min, here + ("min",), self.data)
        high, _ = single_number(data, self.max, here + ("max",), self.data)
        if not high > low:
            raise BridgeError(data.doc.problem(here + ("max",), f"must be larger than min ({low:g}); got {high:g}"))
        target = single_number(data, self.target, here + ("target",), self.data)[0] if self.target is not None else None
        hidden = bool(suppression_mask(data, [value], count)[0])
        return GaugeContent(value, low, high, target, hidden, count)

    def write(self, content: GaugeContent, number: float, count: bool | None = None) -> str:
        """A number as the gauge writes it: the panel's format (counts as integers), else automatic."""
        if is_missing(number):
            return NO_DATA
        count = content.count if count is None else count
        fmt = "{:,.0f}" if count else self.format
        text = format_number(fmt, number) if fmt else auto_format(number)
        return with_unit(text.replace("-", "\u2212"), self.unit)

    def _number(self, content: GaugeContent) -> str:
        return SUPPRESSED if content.suppressed else self.write(content, content.value)

    def describe(self, entry, view, step_index, content: GaugeContent) -> None:
        """The number, the ring's range and the target, as drawn."""
        entry["value"] = self._number(content)
        words = f"{name(self)}: {self._number(content)}" + (f" ({self.label})" if self.label else "")
        words += f", on a gauge from {self.write(content, content.low, False)} to {self.write(content, content.high, False)}"
        if content.target is not None:
            words += f"; {self.target_label or 'target'} {self.write(content, content.target, False)}"
        entry["text"].append(words + ".")

    def draw(self, c: Canvas, content: GaugeContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg
        size = t.small_deg * 1.2
        number = self._number(content)
        if content.target is not None and self.target_label:  # the target's key, on a line of its own at the top
            key_size, key = c.fit(f"▮ {self.target_label}", size, floor_deg=MIN_TEXT_DEG)
            c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(hi), key, ha="right", va="top", color=t.mark,
                       fontsize=c.pt(key_size), family=t.font, linespacing=1.2)
            hi -= text_height(c, key, key_size) + 0.3
        big = min(t.title_deg * 1.6, (hi - lo) * 0.25)
        big, number_text = c.fit(number, max(MIN_TEXT_DEG, big), bold=True, floor_deg=MIN_TEXT_DEG)
        label_size, label = c.fit(self.label, t.body_deg, floor_deg=MIN_TEXT_DEG) if self.label else (t.body_deg, "")
        under = text_height(c, number_text, big) + (text_height(c, label, label_size) + 0.2 if label else 0.0)
        ends = text_height(c, "0", size) + 0.3
        radius = max(1.0, min((hi - lo - under - ends - 0.5), (c.width_deg - 2 * MARGIN_DEG) / 2 - 0.5))
        centre_x, centre_y = c.width_deg / 2, lo + under + ends + 0.3
        ax = c.fig.add_axes((c.frac_w(centre_x - radius), c.frac_h(centre_y), c.frac_w(2 * radius), c.frac_h(radius)))
        ax.set_axis_off()
        ax.set_xlim(-1, 1)
        ax.set_ylim(0, 1)
        ax.add_patch(Wedge((0, 0), 1, 0, 180, width=RING, color=t.border))
        if not content.suppressed and not math.isnan(content.value):
            share = float(np.clip((content.value - content.low) / (content.high - content.low), 0, 1))
            ax.add_patch(Wedge((0, 0), 1, 180 - 180 * share, 180, width=RING, color=t.accent))
        if content.target is not None and not math.isnan(content.target):
            at = math.pi * (1 - float(np.clip((content.target - content.low) / (content.high - content.low), 0, 1)))
            ax.plot([(1 - RING - 0.06) * math.cos(at), 1.04 * math.cos(at)], [(1 - RING - 0.06) * math.sin(at),
                    1.04 * math.sin(at)], color=t.mark, linewidth=max(2.0, 0.2 * c.ppd), solid_capstyle="butt")
        ends_text = [self.write(content, v, False) for v in (content.low, content.high)]
        if not self.format:  # the ring's ends as an axis writes them: 2tn, not 2,000,000,000,000
            ends_text = [with_unit(n, self.unit) for n in axis_numbers([content.low, content.high])]
        if sum(c.measure(e, size) for e in ends_text) + 1.0 <= 2 * radius:  # else the text version says them
            for text, x, ha in zip(ends_text, (centre_x - radius, centre_x + radius), ("left", "right")):
                c.fig.text(c.frac_w(x), c.frac_h(centre_y - 0.3), text, ha=ha, va="top", color=t.muted, fontsize=c.pt(size),
                           family=t.font)
        y = centre_y - ends - 0.3
        c.fig.text(c.frac_w(centre_x), c.frac_h(y), number_text, ha="center", va="top", fontweight="bold",
                   color=t.muted if content.suppressed else t.text, fontsize=c.pt(big), family=t.font, linespacing=1.2)
        if label:
            c.fig.text(c.frac_w(centre_x), c.frac_h(y - text_height(c, number_text, big) - 0.2), label, ha="center",
                       va="top", color=t.muted, fontsize=c.pt(label_size), family=t.font, linespacing=1.2)
