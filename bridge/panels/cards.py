"""`type: cards` — a multi-row card: a card per row of a table (a ward, a service), each with its
name and several numbers under their headings, the numbers as large as the rows leave room for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import NumberFormat
from bridge.errors import BridgeError, did_you_mean
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.chart import MARGIN_DEG, Ruler, shorten, text_height
from bridge.panels.common.describe import name, table
from bridge.panels.common.series import number_writer
from bridge.panels.common.values import condition, numbers, texts
from bridge.scene.fields import Expr
from bridge.theme import MIN_TEXT_DEG

ROW_GAP_DEG = 0.5  # between two cards
BAR_DEG = 0.35  # the accent bar down a card's left edge
INNER_DEG = 0.4  # a card's content keeps this far inside it
COLUMN_GAP_DEG = 1.0  # between two numbers side by side


@dataclass
class CardsContent:
    labels: list[str]
    headings: list[str]
    cells: list[list[str]]  # per card, per heading: the number as written (or "suppressed")
    suppressed: int = 0
    left_out: int = 0  # rows beyond `top`


class CardsPanel(PanelModel):
    """A multi-row card: a card per row (a ward, a service) with its name and several numbers under their headings."""

    type: Literal["cards"]
    listing_order = 28
    label: Expr = Field(description="Column naming each card, e.g. wards.ward24_name")
    values: dict[str, Expr] = Field(min_length=1, max_length=6, description="Heading → expression: the numbers on each card")
    group: Literal["sum", "mean"] = Field("sum", description="How rows with the same label are combined")
    sort: str | None = Field(None, description="Heading to sort the cards by (largest first); default: as the data runs")
    top: int = Field(5, ge=1, le=20, description="Cards shown, at most")
    where: Expr | None = Field(None, description="Only the rows where this holds")
    format: NumberFormat | None = Field(None, description="How numbers that are not counts are written, e.g. '{:.1%}'")

    def content(self, data, here) -> CardsContent:
        frame = pd.DataFrame({"label": texts(data, self.label, here + ("label",), self.data)})
        counts = {}
        for heading, text in self.values.items():
            frame[heading] = numbers(data, text, here + ("values", heading), self.data)
            counts[heading] = self.group == "sum" and is_count(data, text, self.data)
        if self.where:
            keep = condition(data.evaluate(self.where, here + ("where",), self.data),
                             data.doc.problem(here + ("where",), "must be a condition"))
            frame = frame[keep.to_numpy(dtype=bool)]
        if frame.empty:
            raise BridgeError(data.doc.problem(here + ("where",) if self.where else here + ("label",), "no rows to show"))
        grouped = frame.groupby("label", sort=False)[list(self.values)].agg(self.group)
        if self.sort:
            if self.sort not in self.values:
                raise BridgeError(data.doc.problem(here + ("sort",), f"no heading '{self.sort}'"
                                                   f"{did_you_mean(self.sort, list(self.values))}"))
            grouped = grouped.sort_values(self.sort, ascending=False, kind="stable")
        shown = grouped.head(self.top)
        cells = [[] for _ in range(len(shown))]  # type: list[list[str]]
        hidden = 0
        for heading in self.values:
            values = shown[heading].to_numpy(dtype=float)
            small = suppression_mask(data, values, counts[heading])
            write = number_writer(values[~small & ~np.isnan(values)], counts[heading], self.format)
            for i, (v, h) in enumerate(zip(values, small)):
                cells[i].append(SUPPRESSED if h else write(v))
            hidden += int(small.sum())
        return CardsContent([str(x) for x in shown.index], list(self.values), cells, hidden, len(grouped) - len(shown))

    def describe(self, entry, view, step_index, content: CardsContent) -> None:
        """The cards as a table: a row per card, a column per heading, written as drawn."""
        notes = []
        if content.left_out:
            notes.append(f"{len(content.labels)} of {len(content.labels) + content.left_out} shown")
        if content.suppressed:
            notes.append(f"{content.suppressed} small count(s) of people {SUPPRESSED}")
        entry["tables"].append(table(f"{name(self)}: {len(content.labels)} cards", ["Name"] + content.headings,
                                     [[label] + row for label, row in zip(content.labels, content.cells)],
                                     [False] + [True] * len(content.headings), note="; ".join(notes) or None))

    def draw(self, c: Canvas, content: CardsContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        lo, hi = bottom * c.height_deg, top * c.height_deg
        width = c.width_deg - 2 * MARGIN_DEG
        n, m = len(content.labels), len(content.headings)
        column = (width - BAR_DEG - 2 * INNER_DEG - COLUMN_GAP_DEG * (m - 1)) / m
        ruler = Ruler(c)
        widest = max(ruler(cell, 1.0) for row in content.cells for cell in row)  # at 1° type: sizes scale
        head = max(MIN_TEXT_DEG, min(t.small_deg * 1.2, t.body_deg))
        rows, note = n, ""
        while True:
            pitch = (hi - lo - (text_height(c, "Ag", head) + 0.3 if note else 0.0)) / rows
            room = pitch - ROW_GAP_DEG - 2 * INNER_DEG
            label_size = max(MIN_TEXT_DEG, min(t.body_deg, room * 0.28))
            big = min(t.title_deg * 1.5, column / max(widest, 1e-9) * 0.98,
                      (room - text_height(c, "Ag", label_size) - text_height(c, "Ag", head)) / 1.25)
            if big >= MIN_TEXT_DEG or rows == 1:
                break
            rows -= 1
            note = f"{rows} of {n + content.left_out} shown"
        head = max(MIN_TEXT_DEG, min(head, big * 0.75))  # a heading never outsizes its number
        if content.left_out and not note:
            note = f"{rows} of {n + content.left_out} shown"
        if note:
            c.fig.text(c.frac_w(c.width_deg - MARGIN_DEG), c.frac_h(lo), note, ha="right", va="bottom", color=t.muted,
                       fontsize=c.pt(head), family=t.font)
        big = max(MIN_TEXT_DEG, big)
        for i in range(rows):
            y1 = hi - i * pitch
            y0 = y1 - pitch + ROW_GAP_DEG
            c.fig.patches.append(Rectangle((c.frac_w(MARGIN_DEG), c.frac_h(y0)), c.frac_w(width), c.frac_h(y1 - y0),
                                           transform=c.fig.transFigure, color=t.stripe, linewidth=0))
            c.fig.patches.append(Rectangle((c.frac_w(MARGIN_DEG), c.frac_h(y0)), c.frac_w(BAR_DEG), c.frac_h(y1 - y0),
                                           transform=c.fig.transFigure, color=t.accent, linewidth=0))
            x = MARGIN_DEG + BAR_DEG + INNER_DEG
            c.fig.text(c.frac_w(x), c.frac_h(y1 - INNER_DEG), _bold_shortened(c, ruler, content.labels[i], label_size,
                                                                             c.width_deg - MARGIN_DEG - INNER_DEG - x),
                       ha="left", va="top", color=t.text, fontweight="bold", fontsize=c.pt(label_size), family=t.font)
            base = y0 + INNER_DEG
            for j, heading in enumerate(content.headings):
                left = x + j * (column + COLUMN_GAP_DEG)
                c.fig.text(c.frac_w(left), c.frac_h(base), shorten(ruler, heading, head, column), ha="left", va="bottom",
                           color=t.muted, fontsize=c.pt(head), family=t.font)
                cell = content.cells[i][j]
                c.fig.text(c.frac_w(left), c.frac_h(base + text_height(c, "Ag", head) * 1.1), cell, ha="left",
                           va="bottom", color=t.muted if cell == SUPPRESSED else t.text, fontsize=c.pt(big),
                           family=t.font)


def _bold_shortened(c: Canvas, ruler: Ruler, text: str, size: float, room: float) -> str:
    """`text` shortened with "…" to fit `room` degrees in bold type (measured as drawn)."""
    fitted, tighter = text, room
    while tighter > size and c.measure(fitted, size, bold=True) > room:
        fitted = shorten(ruler, text, size, tighter)
        tighter -= 0.5
    return fitted
