"""Statistical disclosure control: small counts of people are never shown.

A value is a count of people when every column it uses is declared one (`counts:` on a
dataset, `count: true` on a measure) and the expression only adds, subtracts, sums or counts
them; such values from 1 up to `disclosure.min_count − 1` are suppressed wherever drawn.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import numpy as np

from bridge import expressions

if TYPE_CHECKING:
    from bridge.data import SceneData

SUPPRESSED = "suppressed"  # what is drawn instead of a small count


def is_count(data: SceneData, text: str, dataset: str | None = None) -> bool:
    """Does this expression count people?  Yes when every column it uses is a declared
    count (or a count measure) and it only adds, subtracts, sums or counts them."""
    dataset = dataset or data.scene.base_name
    tree = expressions.parse(text).tree
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and not isinstance(node.op, (ast.Add, ast.Sub)):
            return False
        if isinstance(node, ast.Call) and node.func.id not in ("sum", "count", "max", "min", "round", "abs"):
            return False
        if isinstance(node, ast.Call) and node.func.id == "count":
            return True
    refs = expressions.parse(text).references()
    if not refs:
        return False
    for ref in refs:
        if ref.dataset is None and ref.column in data.scene.derive:
            if not data.scene.measure(ref.column).count:
                return False
        elif (ref.dataset or dataset, ref.column) not in data.counts:
            return False
    return True


def suppression_mask(data: SceneData, values, counts_people: bool) -> np.ndarray:
    """Small non-zero counts of people (1 up to min_count − 1) are never shown."""
    values = np.asarray(values, dtype=float)
    if not counts_people:
        return np.zeros(values.shape, bool)
    return (values > 0) & (values < data.min_count)
