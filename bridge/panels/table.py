"""`type: table` — the top N rows of a table; counts of people under disclosure control."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from pydantic import Field

from bridge.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.errors import BridgeError, did_you_mean
from bridge.expressions import to_float
from bridge.fields import Expr
from bridge.numformat import MISSING, NumberFormat, fixed, format_number, shared_decimals
from bridge.panels import register
from bridge.panels.base import PanelModel
from bridge.panels.canvas import Canvas
from bridge.panels.values import measures
from bridge.theme import MIN_TEXT_DEG


@dataclass
class TableContent:
    headings: list[str]
    rows: list[list[str]]
    suppressed_cells: int = 0


@register
class TablePanel(PanelModel):
    """The top N rows of a table: `columns` maps each heading to an expression; counts of people suppressed."""

    type: Literal["table"]
    columns: dict[str, Expr] = Field(min_length=1, description="Heading → expression")  # type: ignore[valid-type]
    sort: str | None = Field(None, description="Heading to sort by (descending)")
    top: int = Field(10, ge=1, le=40)
    format: NumberFormat | None = Field(  # type: ignore[valid-type]
        None, description="How the numbers that are not counts are written: one {:spec} field, e.g. '{:,.1f}' or '{:.0%}'; "
                          "by default each column has one number of decimals: none for counts and whole numbers, "
                          "else what its values' typical size needs (2 significant figures below 10, 3 above)")

    def content(self, data, here) -> TableContent:
        columns, counts = {}, {}
        for heading, text in self.columns.items():
            value = data.evaluate(text, here + ("columns", heading), self.data)
            if not isinstance(value, pd.Series):
                raise BridgeError(data.doc.problem(here + ("columns", heading), "must give a value per row"))
            value = value.reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(value) and not pd.api.types.is_bool_dtype(value):
                value = measures(data, to_float(value), here + ("columns", heading))  # inf, too large: missing, reported
            columns[heading] = value
            counts[heading] = is_count(data, text, self.data)
        frame = pd.DataFrame(columns)
        if self.sort:
            if self.sort not in frame.columns:
                raise BridgeError(data.doc.problem(here + ("sort",), f"no column '{self.sort}'{did_you_mean(self.sort, frame.columns)}; columns: {', '.join(frame.columns)}"))
            frame = frame.assign(_k=to_float(frame[self.sort])).sort_values("_k", ascending=False, kind="stable").drop(columns="_k")
        frame = frame.head(self.top)
        rows: list[list[str]] = [[] for _ in range(len(frame))]
        hidden = 0
        for heading in frame.columns:
            cells = [_cell(value) for value in frame[heading]]  # text, a number, or None when missing
            numbers_at = [i for i, v in enumerate(cells) if isinstance(v, float)]
            small = suppression_mask(data, [cells[i] for i in numbers_at], counts[heading])
            suppressed = {i for i, hide in zip(numbers_at, small) if hide}
            write = self._writer(counts[heading], [cells[i] for i in numbers_at if i not in suppressed])
            for i, value in enumerate(cells):
                if value is None:
                    rows[i].append(MISSING)
                elif isinstance(value, str):
                    rows[i].append(value)
                elif i in suppressed:
                    rows[i].append(SUPPRESSED)
                    hidden += 1
                else:
                    rows[i].append(write(value))
        return TableContent(list(frame.columns), rows, hidden)

    def _writer(self, count: bool, values: list[float]):
        """How one column's numbers are written: `format` (counts always as integers), or one
        number of decimals for the whole column (bridge/numformat.py's `shared_decimals`)."""
        if self.format is not None:
            fmt = "{:,.0f}" if count else self.format
            return lambda number: format_number(fmt, number)
        decimals = shared_decimals(values, count)
        return lambda number: fixed(number, decimals)

    def draw(self, c: Canvas, content: TableContent, source, marked) -> None:
        t = c.theme
        bottom, top = c.header(self.title, source)
        ax = c.fig.add_axes((c.frac_w(1.2), bottom, 1 - c.frac_w(2.4), top - bottom))
        ax.set_axis_off()
        rows = len(content.rows) + 1
        widths = np.array([max(len(h), *(len(r[i]) for r in content.rows)) + 3 for i, h in enumerate(content.headings)], float)
        size = max(MIN_TEXT_DEG, min(t.body_deg, (c.width_deg - 2.4) / (t.glyph_em_bold * widths.sum()),
                                      (top - bottom) * c.height_deg / (rows * 1.7)))
        row_h = min(1 / rows, c.frac_h(size * 1.7) / (top - bottom))
        lefts = np.concatenate([[0], np.cumsum(widths / widths.sum())])
        numeric = [all(_is_number(r[i]) or r[i] in (SUPPRESSED, "–") for r in content.rows) for i in range(len(widths))]

        def put(i, y, text, **style):
            right = numeric[i]
            x = lefts[i + 1] - 0.01 if right else lefts[i]
            ax.text(x, y, text, fontsize=c.pt(size), va="center", ha="right" if right else "left", **style)

        for i, heading in enumerate(content.headings):
            put(i, 1 - row_h / 2, heading, color=t.muted, fontweight="bold")
        for r, row in enumerate(content.rows):
            y = 1 - (r + 1.5) * row_h
            if r % 2 == 0:
                ax.add_patch(matplotlib.patches.Rectangle((0, y - row_h / 2), 1, row_h, color=t.stripe, zorder=0))
            for i, cell in enumerate(row):
                put(i, y, cell, color=t.muted if cell == SUPPRESSED else t.text)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)


def _cell(value) -> float | str | None:
    """A cell's value: a number (a float), text, or None when missing."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return None
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return float(to_float(pd.Series([value])).iloc[0])
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False
