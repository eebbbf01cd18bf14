"""`type: matrix` — a table with row groups and subtotals: rows summed per (group, row), a
subtotal under each group and a total at the foot, laid out as a `table` panel's.

Disclosure control: a cell holding a small count of people is suppressed, and so is every
subtotal and total that holds a suppressed value — else the total less the cells shown would
give the small count away.  A subtotal that is itself a small count is suppressed likewise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
from bridge.data.numformat import MISSING, NumberFormat
from bridge.errors import BridgeError
from bridge.panels.common.base import PanelModel
from bridge.panels.common.canvas import Canvas
from bridge.panels.common.describe import name, table
from bridge.panels.common.series import number_writer
from bridge.panels.common.values import condition, numbers, texts
from bridge.panels.table import TableContent, TablePanel
from bridge.scene.fields import Expr

TOTAL = "Total"


class MatrixPanel(PanelModel):
    """A table with row groups and subtotals: values summed per group and row, a subtotal per group and a total."""

    type: Literal["matrix"]
    listing_order = 29
    group: Expr = Field(description="Column naming each row's group, e.g. wards.ward24_name")
    label: Expr = Field(description="Column naming each row within its group, e.g. tenure")
    values: dict[str, Expr] = Field(min_length=1, max_length=8, description="Heading → expression: summed per row")
    subtotals: bool = Field(True, description="A subtotal row under each group")
    total: bool = Field(True, description="A total row at the foot")
    group_heading: str = "Group"
    label_heading: str = ""
    where: Expr | None = Field(None, description="Only the rows where this holds")
    format: NumberFormat | None = Field(None, description="How numbers that are not counts are written, e.g. '{:,.1f}'")

    def content(self, data, here) -> TableContent:
        frame = pd.DataFrame({"group": texts(data, self.group, here + ("group",), self.data),
                              "label": texts(data, self.label, here + ("label",), self.data)})
        counts = {}
        for heading, text in self.values.items():
            frame[heading] = numbers(data, text, here + ("values", heading), self.data)
            counts[heading] = is_count(data, text, self.data)
        if self.where:
            keep = condition(data.evaluate(self.where, here + ("where",), self.data),
                             data.doc.problem(here + ("where",), "must be a condition"))
            frame = frame[keep.to_numpy(dtype=bool)]
        if frame.empty:
            raise BridgeError(data.doc.problem(here + ("where",) if self.where else here + ("group",), "no rows to show"))
        cells = frame.groupby(["group", "label"], sort=False)[list(self.values)].sum(min_count=1)
        rows: list[list[str]] = []
        kinds: list[str] = []  # "row", "subtotal", "total" per row
        columns = {h: self._column(data, cells[h].to_numpy(dtype=float), cells.index, counts[h]) for h in self.values}
        for group in dict.fromkeys(cells.index.get_level_values(0)):
            at = [i for i, (g, _) in enumerate(cells.index) if g == group]
            for k, i in enumerate(at):
                rows.append([group if k == 0 else "", cells.index[i][1]] + [columns[h][0][i] for h in self.values])
                kinds.append("row")
            if self.subtotals:
                rows.append([f"{group} {TOTAL.lower()}", ""] + [columns[h][1][group] for h in self.values])
                kinds.append("subtotal")
        if self.total:
            rows.append([TOTAL, ""] + [columns[h][2] for h in self.values])
            kinds.append("total")
        hidden = sum(row[2:].count(SUPPRESSED) for row in rows)
        return TableContent([self.group_heading, self.label_heading or " "] + list(self.values), rows, hidden,
                            [False, False] + [True] * len(self.values))

    def _column(self, data, values: np.ndarray, index: pd.MultiIndex, count: bool):
        """One value column written: its cells, each group's subtotal and the total, with every total
        that holds a suppressed value suppressed too."""
        small = suppression_mask(data, values, count)
        groups = index.get_level_values(0)
        subtotal, sub_hidden = {}, {}
        for group in dict.fromkeys(groups):
            mine = np.asarray(groups == group)
            subtotal[group] = float(np.nansum(values[mine])) if np.isfinite(values[mine]).any() else np.nan
            sub_hidden[group] = bool(small[mine].any()) or bool(suppression_mask(data, [subtotal[group]], count)[0])
        total = float(np.nansum(values))
        total_hidden = bool(small.any()) or any(sub_hidden.values()) or bool(suppression_mask(data, [total], count)[0])
        shown = [v for v, h in zip(values, small) if not h and np.isfinite(v)]
        write = number_writer(np.asarray(shown + [total]), count, self.format)

        def written(v: float, hidden: bool) -> str:
            return SUPPRESSED if hidden else MISSING if np.isnan(v) else write(v)

        return ([written(v, h) for v, h in zip(values, small)], {g: written(subtotal[g], sub_hidden[g]) for g in subtotal},
                written(total, total_hidden))

    def describe(self, entry, view, step_index, content: TableContent) -> None:
        """The matrix as a table, its subtotal and total rows as drawn."""
        note = (f"{content.suppressed_cells} value(s) {SUPPRESSED}: small counts of people, and the totals that hold them"
                if content.suppressed_cells else None)
        entry["tables"].append(table(name(self), list(content.headings), [list(r) for r in content.rows],
                                     list(content.numeric), note=note))

    def draw(self, c: Canvas, content: TableContent, source, marked) -> None:
        """Drawn as a table panel draws its rows (the same fitting, sizes and notes)."""
        TablePanel.model_construct(id=self.id, type="table", title=self.title, columns={}, sort=None, top=len(content.rows),
                                   format=self.format).draw(c, content, source, marked)
