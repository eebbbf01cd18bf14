"""Statistical disclosure control: small counts of people are never shown.

A value is a count of people when every column it uses is declared one (`counts:` on a
dataset, `count: true` on a measure) and the expression only adds, subtracts, sums, totals
or counts them (over rows picked by `where=` or not); such values from 1 up to
`disclosure.min_count − 1` are suppressed wherever drawn.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import numpy as np

from bridge.data import expressions
from bridge.data.expressions.vocabulary import function_of

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
            counted = counted or function_of(node) == "count"
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
