"""Statistical disclosure control: small counts of people are never shown.

A value is a count of people when it counts people, however it is written: every column it
uses is declared one (`counts:` on a dataset, `count: true` on a measure) and the expression
only adds, subtracts, sums or totals them (over rows picked by `where=` or not), or it counts
rows that are people (`count(…)` of a dataset marked `personal: true`, points of personal data
counted per area).  A count of areas is not: `count(imd.decile, where=imd.decile <= 2)` and
`sum(imd.decile <= 2)` are the same three areas.  Counts of people from 1 up to
`disclosure.min_count − 1` are suppressed wherever drawn.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

import numpy as np

from bridge.data import expressions
from bridge.data.expressions.vocabulary import function_of
from bridge.errors import Problem

if TYPE_CHECKING:
    from bridge.data.tables import SceneData

SUPPRESSED = "suppressed"  # what is drawn instead of a small count


COUNTING = ("sum", "count", "max", "min", "round", "abs", "total")  # functions under which a count stays a count


def is_count(data: SceneData, text: str, dataset: str | None = None) -> bool:
    """Does this expression count people?  Yes when every column it uses is a declared
    count (or a count measure) and it only adds, subtracts, sums, totals or counts them.

    An aggregate's `where=` condition only picks rows, so its columns and operators do not
    matter: `sum(people.total, where=areas.ward == "Castle")` counts people.  The columns a
    pattern matches (`total(people, "Aged *")`) must all be counts."""
    dataset = dataset or data.scene.base_name
    expr = expressions.parse(text)
    counted = False
    for node in _value_nodes(expr.tree):
        if isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Sub)):
            return False
        if isinstance(node, (ast.Compare, ast.BoolOp)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return False  # a yes/no about counts is not a count
        if isinstance(node, ast.Call):
            if function_of(node) not in COUNTING:
                return False
            if function_of(node) == "count":
                if not _rows_are_people(data, node, dataset):
                    return False  # a count of areas (or of any rows that are not people) is not a count of people
                counted = True
    if counted:
        return True
    try:
        refs = expr.references(columns=lambda name: _columns(data, name, dataset), conditions=False)
    except expressions.ExpressionError:
        return False  # a pattern that matches nothing: evaluating the expression says so
    if not refs:
        return False
    for ref in refs:
        if ref.dataset is None and ref.column in data.scene.derive:
            if not data.scene.measure(ref.column).count:
                return False
        elif (ref.dataset or dataset, ref.column) not in data.counts:
            return False
    return True


def _rows_are_people(data: SceneData, call: ast.Call, dataset: str) -> bool:
    """Whether the rows a `count(…)` counts are people: rows of a dataset marked `personal: true`
    (one row per person).  The rows of an area table are areas, whatever its columns hold."""
    names = {dataset}
    if call.args:
        try:
            refs = expressions.parse(ast.unparse(call.args[0])).references(conditions=False)
        except expressions.ExpressionError:
            refs = []
        names = {ref.dataset or dataset for ref in refs} or names
    return any(getattr(data.scene.datasets.get(name), "personal", False) for name in names)


def _value_nodes(tree: ast.AST):
    """The parts of an expression that make its value: not a function's name, nor an
    aggregate's where= condition (which only picks rows)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.args if isinstance(node, ast.Call) else ast.iter_child_nodes(node))


def _columns(data: SceneData, name: str, dataset: str):
    """The columns of dataset `name` as an expression on `dataset` sees them (for patterns)."""
    on_base = dataset == data.scene.base_name or dataset in data.aligned
    frame = data.aligned[name] if on_base and name in data.aligned else data.tables[name].frame
    return list(frame.columns)


def suppression_mask(data: SceneData, values, counts_people: bool) -> np.ndarray:
    """Small non-zero counts of people (1 up to min_count − 1) are never shown."""
    values = np.asarray(values, dtype=float)
    if not counts_people:
        return np.zeros(values.shape, bool)
    return (values > 0) & (values < data.min_count)


# Words in a column's name that say it counts people or households, and words that say it
# does not (a rate, a score, a code) even when it holds whole numbers.
_PEOPLE_WORDS = re.compile(r"\b(people|persons?|residents?|population|households?|number|count|aged|usual|total\w*)\b", re.I)
_NOT_PEOPLE = re.compile(r"(%|percent|\brate\b|ratio|share|proportion|\bper\b|mean|median|average|score|"
                         r"decile|quintile|rank|index|\bcode\b|^year$|\bid\b|area|density)", re.I)


def uncounted_columns(data: SceneData) -> list[Problem]:
    """Warnings for columns that look like counts of people but are not in `counts:`: small
    values in them are drawn as they are, which is what disclosure control is there to stop."""
    warnings = []
    for name, table in data.tables.items():
        declared = {c for d, c in data.counts if d == name}
        frame = table.frame
        looks = [c for c in frame.columns
                 if c != table.key and c not in declared and _looks_like_count(str(c), frame[c])]
        if looks:
            shown = ", ".join(repr(str(c)) for c in looks[:4]) + (f" and {len(looks) - 4} more" if len(looks) > 4 else "")
            warnings.append(data.doc.problem(("datasets", name),
                f"{shown} {'looks like a count' if len(looks) == 1 else 'look like counts'} of people "
                f"(whole numbers, named like one) "
                f"but {'is' if len(looks) == 1 else 'are'} not in this dataset's counts:, so values from 1 to "
                f"{data.min_count - 1} in {'it' if len(looks) == 1 else 'them'} are shown as they are; add "
                f"{'it' if len(looks) == 1 else 'them'} to counts: if {'it counts' if len(looks) == 1 else 'they count'} "
                "people or households"))
    return warnings


def _looks_like_count(name: str, column) -> bool:
    if not _PEOPLE_WORDS.search(name.replace("_", " ")) or _NOT_PEOPLE.search(name.replace("_", " ")):
        return False
    values = np.asarray(column, dtype=object)
    try:
        numbers = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    numbers = numbers[np.isfinite(numbers)]
    return len(numbers) > 0 and bool(np.all(numbers >= 0)) and bool(np.all(numbers == np.round(numbers)))


def guarded_values(data: SceneData, expressions_by_panel) -> tuple[list[str], list[str]]:
    """(guarded, shown as they are): '<panel> <key>' for each panel value that is, or is not,
    a count of people.  `expressions_by_panel` yields (panel id, key, expression, dataset)."""
    guarded: list[str] = []
    plain: list[str] = []
    for panel_id, key, text, dataset in expressions_by_panel:
        try:
            counted = is_count(data, text, dataset)
        except expressions.ExpressionError:
            continue  # a broken expression is reported where it is checked
        (guarded if counted else plain).append(f"'{panel_id}' {key}")
    return guarded, plain
