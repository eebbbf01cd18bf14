"""Which rows a value is on, so that one panel can read several datasets where they combine.

A panel reads its own rows: the base dataset's areas, with every dataset joined to them and the
derived measures (a panel without `data:`, or on a joined dataset), or a stand-alone dataset's
rows (`data:` naming one with `join: false`).  Another dataset's values combine with them in
two ways:

- as **one number**: an aggregate of its column (`mean(england.rate)`, `first(x, where=…)`, its
  `where=` on the same rows), or a column of a table with one row, which is that row's value;
- **row by row**, only when joined: a dataset joined to the base is on the base's rows.

What cannot be combined — a value per row of one table beside a value per row of another that
is not joined to it, or one aggregate over the rows of both — is refused before anything is
evaluated, with what would work (bridge/data/tables.py asks `check` for every expression).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from bridge.data.expressions.check import is_pattern_total
from bridge.data.expressions.parse import Expression, column_references
from bridge.data.expressions.vocabulary import AGGREGATES, ColumnRef, ExpressionError, function_of
from bridge.errors import shown

if TYPE_CHECKING:
    import pandas as pd

    from bridge.data.tables import SceneData


def panel_rows(data: SceneData, dataset: str) -> str:
    """The rows a panel on `dataset` reads: the base's name for the base and the datasets joined to
    it (one row per area), else the stand-alone dataset's own name."""
    base = data.scene.base_name
    return base if dataset == base or dataset in data.aligned else dataset


def rows_of(data: SceneData, ref: ColumnRef, dataset: str) -> str | None:
    """The rows column `ref` is on, read from a panel on `dataset` (None for a parameter: one value)."""
    base, panel = data.scene.base_name, panel_rows(data, dataset)
    if ref.dataset == "params":
        return None
    if ref.dataset is None:  # the panel's own column, else a derived measure (on the base's rows)
        if panel == base or ref.column not in data.derived or ref.column in data.tables[dataset].frame.columns:
            return panel
        return base
    if ref.dataset not in data.tables or ref.dataset == dataset:
        return panel  # an unknown dataset is reported when it is read
    return base if ref.dataset in data.aligned else ref.dataset


def row_count(data: SceneData, rows: str) -> int:
    """How many rows `rows` (a name from `rows_of`) has."""
    return len(data.tables[rows].frame) if rows != data.scene.base_name else len(data.aligned[rows])


def one_value(data: SceneData, ref: ColumnRef, dataset: str) -> bool:
    """Whether `ref` is read as one number by a panel on `dataset`: a column of a one-row table
    that is not the panel's own rows."""
    rows = rows_of(data, ref, dataset)
    return rows is not None and rows != panel_rows(data, dataset) and row_count(data, rows) == 1


def as_read(data: SceneData, ref: ColumnRef, dataset: str, column: pd.Series):
    """`column` as a panel on `dataset` reads it: a one-row table's (not the panel's own) as that row's value."""
    if not one_value(data, ref, dataset):
        return column
    value = column.iloc[0]
    return value.strip() if isinstance(value, str) else value


def check(data: SceneData, expr: Expression, dataset: str) -> None:
    """Refuse, with what would work, an expression that pairs rows of tables that are not joined."""
    if dataset not in data.tables:
        return  # reported when it is read
    source = expr.text.strip()
    free: list[tuple[ast.AST, ColumnRef]] = []
    aggregates: list[ast.Call] = []
    _collect(expr.tree, free, aggregates)
    for node, ref in free:
        rows = rows_of(data, ref, dataset)
        if rows is not None and rows != panel_rows(data, dataset) and row_count(data, rows) != 1:
            raise ExpressionError(_beside(data, _said(source, node), rows, dataset))
    while aggregates:
        call = aggregates.pop()
        inside: list[tuple[ast.AST, ColumnRef]] = []
        for part in [*call.args, *(kw.value for kw in call.keywords)]:
            _collect(part, inside, aggregates)
        spaces: dict[str, ast.AST] = {}
        for node, ref in inside:
            rows = rows_of(data, ref, dataset)
            if rows is not None and not one_value(data, ref, dataset):
                spaces.setdefault(rows, node)
        if len(spaces) > 1:
            raise ExpressionError(_paired(data, call, spaces, source))


def _collect(node: ast.AST, refs: list[tuple[ast.AST, ColumnRef]], aggregates: list[ast.Call]) -> None:
    """The column references in `node` outside any aggregate (into `refs`) and the aggregates
    there (into `aggregates`, whose insides are walked on their own)."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        refs.append((node, column_references(node)[0]))
    elif isinstance(node, ast.Call):
        if function_of(node) in AGGREGATES:
            aggregates.append(node)
        elif is_pattern_total(node):
            refs.extend((node, ref) for ref in column_references(node))
        else:
            for part in [*node.args, *(kw.value for kw in node.keywords)]:
                _collect(part, refs, aggregates)
    else:
        for child in ast.iter_child_nodes(node):
            _collect(child, refs, aggregates)


def _said(source: str, node: ast.AST) -> str:
    return shown(ast.get_source_segment(source, node) or ast.unparse(node), 60)


def _rows_named(data: SceneData, rows: str) -> str:
    n = row_count(data, rows)
    joined = ", with the datasets joined to it" if rows == data.scene.base_name else ""
    return f"'{rows}' ({n:,} row{'s' if n != 1 else ''}{joined})"


def _beside(data: SceneData, said: str, rows: str, dataset: str) -> str:
    """Why a value per row of another table cannot stand beside the panel's rows, and what would work."""
    base, panel = data.scene.base_name, panel_rows(data, dataset)
    if panel == base:
        other = f"give '{rows}' a where: that leaves one row, or join it to '{base}' (a key: of area codes, without join: false)"
    elif rows == base:
        other = "or show it in a panel on the areas (without data:)"
    else:
        other = f"give '{rows}' a where: that leaves one row, or show it in a panel with data: {rows}"
    return (f"'{said}' is a value per row of {_rows_named(data, rows)}, which is not joined to '{panel}', the rows this "
            f"panel reads, so the two cannot be set side by side; take one number from it (e.g. mean({said}) or "
            f"first({said}, where=…)), {other}")


def _paired(data: SceneData, call: ast.Call, spaces: dict[str, ast.AST], source: str) -> str:
    """Why one aggregate cannot take rows from two tables that are not joined, and what would work."""
    (first, a), (second, b) = list(spaces.items())[:2]
    name, base = function_of(call), data.scene.base_name
    join = (f", or join '{second if first == base else first}' to '{base}'" if base in (first, second)
            else f", or join both to '{base}'")
    return (f"'{_said(source, call)}' takes rows from {_rows_named(data, first)} and {_rows_named(data, second)}, which are "
            f"not joined, so they cannot be paired row by row; aggregate each on its own rows (e.g. "
            f"{name}({_said(source, a)}) and {name}({_said(source, b)})){join}")
