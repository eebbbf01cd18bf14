"""A panel's expressions evaluated into the shapes drawing needs, with located errors.

Every panel type asks for one of four things: a number per row, a label per row, one
number, or a condition per row.  Saying which here gives every panel the same messages
when an expression gives the wrong shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from bridge.errors import BridgeError, Problem

if TYPE_CHECKING:
    from bridge.data import SceneData


def numbers(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    """A number per row (missing values as NaN); text that is not a number is an error."""
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, f"'{text}' gives one number; this needs a value per row"))
    converted = pd.to_numeric(value, errors="coerce")
    bad = value[converted.isna() & value.notna()]
    if len(bad):
        raise BridgeError(data.doc.problem(key_path, f"'{text}' is not numeric (e.g. {bad.iloc[0]!r}); use a column of numbers"))
    return converted.reset_index(drop=True)


def texts(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    """A label per row."""
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, "must be a column of labels"))
    return value.astype(str).reset_index(drop=True)


def scalar(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> float:
    """One number (a KPI, a comparison)."""
    value = data.evaluate(text, key_path, dataset)
    if isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path,
            f"'{text}' gives one value per row; a single number is needed: wrap it, e.g. sum({text})"))
    return float(value)


def condition(value, problem: Problem) -> pd.Series:
    """A true/false per row, or the given problem."""
    if not isinstance(value, pd.Series) or value.dtype != bool:
        raise BridgeError(problem)
    return value.reset_index(drop=True)
