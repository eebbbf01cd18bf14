"""`type: donut` — parts of a whole as slices of a ring (a pie with `hole: 0`), with a key of
names and shares beside it and the total in the hole."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED
from bridge.data.numformat import NumberFormat, with_unit
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import MARGIN_DEG, text_height
from bridge.panels.common.describe import name, table
from bridge.panels.common.series import SeriesTable, colours
from bridge.panels.common.slices import OTHER, key, parts, shares
from bridge.scene.fields import Expr

KEY_SHARE = 0.5  # the key takes at most this share of the panel's width


class DonutPanel(PanelModel):
    """Parts of a whole as slices of a ring, largest first from the top, with a key and the total in the hole."""

    type: Literal["donut"]
    listing_order = 25
    label: Expr = Field(description="Column naming each row's part")
    value: Expr = Field(description="The values, summed per part (zero or more)")
    top: int = Field(8, ge=2, le=12, description="Parts shown; the rest are summed into 'Other'")
    hole: float = Field(0.55, ge=0, le=0.9, description="The hole's radius as a share of the ring's: 0 draws a pie")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    unit: str | None = Field(None, description="Written with the total in the hole, e.g. households")
    format: NumberFormat | None = Field(None, description="How the values are written in the text version and the total")

    def content(self, data, here) -> SeriesTable:
        return parts(data, self, here)

    def _total(self, content: SeriesTable) -> str:
        """The whole, written; suppressed when it holds a suppressed part (it would give the part away)."""
        if content.suppressed.any():
            return SUPPRESSED
        return with_unit(content.writer()(float(content.shown().sum())), self.unit)

    def describe(self, entry, view, step_index, content: SeriesTable) -> None:
        """Each part's value and share of the whole, largest first, and the whole."""
        write = content.writer()
        rows = [[p.name, SUPPRESSED if np.isnan(p.value) else write(p.value),
                 SUPPRESSED if np.isnan(p.share) else f"{p.share:.0%}"] for p in shares(content)]
        note = content.note() or None
        if content.suppressed.any():
            note = (note + "; " if note else "") + "shares are of the parts shown"
        entry["tables"].append(table(f"{name(self)}: {len(rows)} parts, largest first", ["Part", "Value", "Share"], rows,
                                     [False, True, True], note=note))
        entry["text"].append(f"Total: {self._total(content)}.")

    def draw(self, c: Canvas, content: SeriesTable, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg
        note = content.note()
        if note:
            size = t.small_deg * 1.2
            c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(lo), note, ha="right", va="bottom", color=t.muted,
                       fontsize=c.pt(size), family=t.font)
            lo += text_height(c, note, size) + 0.3
        found = shares(content)
        palette = colours(t, max(2, len(found)))
        if found[-1].name == OTHER:  # the rest, summed: muted, not a colour of its own
            palette[len(found) - 1] = t.muted
        names = [p.name for p in found]
        key_need = max(c.measure(n, t.body_deg) for n in names) + 5.0 * t.body_deg  # swatch, name, share, gaps
        diameter = min(hi - lo, c.width_deg - 2 * MARGIN_DEG - 1.5 - min(key_need, KEY_SHARE * c.width_deg))
        x0 = MARGIN_DEG
        ax = c.fig.add_axes((c.frac_w(x0), c.frac_h(lo + (hi - lo - diameter) / 2), c.frac_w(diameter), c.frac_h(diameter)))
        ax.set_axis_off()
        drawn = [(p.share, palette[k]) for k, p in enumerate(found) if not np.isnan(p.share) and p.share > 0]
        if drawn:
            ax.pie([s for s, _ in drawn], colors=[col for _, col in drawn], startangle=90, counterclock=False,
                   radius=1.0, wedgeprops=dict(width=1.0 - self.hole, edgecolor=t.card, linewidth=max(1.0, 0.06 * c.ppd)))
        ax.set_xlim(-1.02, 1.02)
        ax.set_ylim(-1.02, 1.02)
        if self.hole >= 0.4:
            total = self._total(content)
            room = 2 * self.hole * diameter / 2 * 0.85
            size, text = c.fit(total, t.title_deg, room_deg=room, floor_deg=0.6)
            if "\n" not in text:
                ax.text(0, 0, text, ha="center", va="center",
                           color=t.muted if total == SUPPRESSED else t.text, fontsize=c.pt(size), family=t.font,
                           fontweight="bold")
        numbers = [SUPPRESSED if np.isnan(p.share) else f"{p.share:.0%}" for p in found]
        left = x0 + diameter + 1.5
        key(c, names, numbers, palette, (left, lo, min(c.width_deg - MARGIN_DEG - left, key_need), hi - lo))
