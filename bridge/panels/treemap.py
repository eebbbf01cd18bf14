"""`type: treemap` — parts of a whole as rectangles whose areas are their values, laid out
squarified (Bruls, Huizing and van Wijk 2000; bridge/panels/common/slices.py), each named inside
where its name fits."""

from __future__ import annotations

from typing import Literal

import numpy as np
from matplotlib.patches import Rectangle
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED
from bridge.data.numformat import NumberFormat, short_scale
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import MARGIN_DEG, Ruler, shorten, text_height
from bridge.panels.common.describe import name, table
from bridge.panels.common.series import SeriesTable, colours
from bridge.panels.common.slices import OTHER, parts, shares, squarify
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

TILE_PAD_DEG = 0.4  # a tile's name keeps this far inside its edges


class TreemapPanel(PanelModel):
    """Parts of a whole as rectangles, areas in proportion to their values (squarified), named inside."""

    type: Literal["treemap"]
    listing_order = 26
    label: Expr = Field(description="Column naming each row's part")
    value: Expr = Field(description="The values, summed per part (zero or more)")
    top: int = Field(20, ge=2, le=60, description="Parts shown; the rest are summed into 'Other'")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    unit: str | None = None
    format: NumberFormat | None = Field(None, description="How the values are written, e.g. '{:,.0f}'")

    def content(self, data, here) -> SeriesTable:
        return parts(data, self, here)

    def describe(self, entry, view, step_index, content: SeriesTable) -> None:
        """Each part's value and share of the parts shown, largest first."""
        write = content.writer()
        rows = [[p.name, SUPPRESSED if np.isnan(p.value) else write(p.value),
                 SUPPRESSED if np.isnan(p.share) else f"{p.share:.0%}"] for p in shares(content)]
        unit = f" ({self.unit})" if self.unit else ""
        note = content.note() or None
        if content.suppressed.any():
            note = (note + "; " if note else "") + "suppressed parts are left out of the picture; shares are of the parts shown"
        entry["tables"].append(table(f"{name(self)}: {len(rows)} parts, largest first{unit}", ["Part", "Value", "Share"],
                                     rows, [False, True, True], note=note))

    def draw(self, c: Canvas, content: SeriesTable, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg
        size = t.small_deg * 1.2
        foot = "; ".join(p for p in (self.unit or "", content.note()) if p)
        if foot:
            foot_size, foot = c.fit(foot, size, room_deg=c.width_deg - 2 * MARGIN_DEG, floor_deg=MIN_TEXT_DEG)
            c.fig.text(c.frac_w(MARGIN_DEG), c.frac_h(lo), foot, ha="left", va="bottom", color=t.muted,
                       fontsize=c.pt(foot_size), family=t.font, linespacing=1.2)
            lo += text_height(c, foot, foot_size) + 0.3
        found = [(k, p) for k, p in enumerate(shares(content)) if not np.isnan(p.value) and p.value > 0]
        palette = colours(t, max(2, len(content.categories)))
        if content.categories[-1] == OTHER:  # the rest, summed: muted, not a colour of its own
            palette[len(content.categories) - 1] = t.muted
        width, height = c.width_deg - 2 * MARGIN_DEG, hi - lo
        ax = c.fig.add_axes((c.frac_w(MARGIN_DEG), c.frac_h(lo), c.frac_w(width), c.frac_h(height)))
        ax.set_axis_off()
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        boxes = squarify([p.value for _, p in found], 0.0, 0.0, width, height)
        ruler = Ruler(c)
        write = content.writer()
        gap = max(1.0, 0.06 * c.ppd)
        for (k, part), (x, y, w, h) in zip(found, boxes):
            ax.add_patch(Rectangle((x, y), w, h, facecolor=palette[k], edgecolor=t.card, linewidth=gap))
            _name_tile(c, ax, ruler, part.name, [write(part.value), *short(part.value)], (x, y, w, h))


def short(value: float) -> list[str]:
    """A value in three figures on the short scale (9.0bn, 12.4m), for a tile too narrow for all its digits."""
    divisor, suffix = short_scale([value])
    if not suffix:
        return []
    scaled = value / divisor
    decimals = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
    return [f"{scaled:,.{decimals}f}{suffix}"]


def _name_tile(c: Canvas, ax, ruler: Ruler, label: str, values: list[str], box: tuple[float, float, float, float]) -> None:
    """The part's name and value at the tile's top left, at the largest size from body size down to
    the legible floor that fits inside it (the value in full, else on the short scale; the name
    shortened with "…" if need be); none if none fits (the text version lists every part)."""
    x, y, w, h = box
    room_w, room_h = w - 2 * TILE_PAD_DEG, h - 2 * TILE_PAD_DEG
    size = c.theme.body_deg
    while size >= MIN_TEXT_DEG:
        name = shorten(ruler, label, size, room_w)
        value = next((v for v in values if ruler(v, size) <= room_w), None)
        drawn = f"{name}\n{value}"
        if value is not None and text_height(c, drawn, size) <= room_h and len(name.rstrip("…")) >= 3:
            ax.text(x + TILE_PAD_DEG, y + h - TILE_PAD_DEG, drawn, ha="left", va="top", color="#0b0f17",
                    fontsize=c.pt(size), family=c.theme.font, linespacing=1.2, fontweight="bold")
            return
        size -= 0.1
