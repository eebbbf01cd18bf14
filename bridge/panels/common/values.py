"""A panel's expressions evaluated into the shapes drawing needs, with located errors.

Every panel type asks for one of four things: a number per row, a label per row, one
number, or a condition per row.  Saying which here gives every panel the same messages
when an expression gives the wrong shape.  Numbers that are not finite (a division by
zero) or too large to be a measure are missing (NaN), drawn as no data, and reported as a
located warning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bridge.data.expressions import MAGNITUDE, to_float
from bridge.errors import BridgeError, Problem, shown
from bridge.limits import MAX_MEASURE_MAGNITUDE

if TYPE_CHECKING:
    from bridge.data.tables import SceneData


def numbers(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    """A number per row (missing values as NaN); text that is not a number is an error."""
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, f"'{shown(text)}' gives one number; this needs a value per row"))
    converted = to_float(value)
    bad = value[converted.isna() & value.notna()]
    if len(bad):
        raise BridgeError(data.doc.problem(key_path, f"'{shown(text)}' is not numeric (e.g. {shown(repr(bad.iloc[0]), 60)}); "
                                                     "use a column of numbers"))
    return measures(data, converted, key_path).reset_index(drop=True)


def measures(data: SceneData, values: pd.Series, key_path: tuple) -> pd.Series:
    """`values` (float) with ±inf and magnitudes over MAX_MEASURE_MAGNITUDE as NaN, each kind
    reported once as a located warning."""
    array = values.to_numpy(dtype=float)
    infinite = np.isinf(array)
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(array) & (np.abs(array) > MAX_MEASURE_MAGNITUDE)
    if infinite.any():
        data.warn(key_path, f"{_values(int(infinite.sum()))} not finite (a division by zero, or a number too large?) and "
                            f"{'is' if infinite.sum() == 1 else 'are'} drawn as no data")
    if huge.any():
        data.warn(key_path, f"{_values(int(huge.sum()))} larger than {MAGNITUDE} in magnitude (too large to be a measure) and "
                            f"{'is' if huge.sum() == 1 else 'are'} drawn as no data")
    return values.mask(infinite | huge) if (infinite.any() or huge.any()) else values


def _values(n: int) -> str:
    return "1 value is" if n == 1 else f"{n:,} values are"


def texts(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    """A label per row."""
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, "must be a column of labels"))
    return value.astype(str).reset_index(drop=True)


def scalar(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> float:
    """One number (a KPI, a comparison); NaN when it is missing, not finite or too large (reported)."""
    value = data.evaluate(text, key_path, dataset)
    if isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path,
            f"'{shown(text)}' gives one value per row; a single number is needed: wrap it, e.g. sum({shown(text)})"))
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    except (TypeError, ValueError):
        raise BridgeError(data.doc.problem(key_path, f"'{shown(text)}' is not a number; a single number is needed")) from None
    if math.isinf(number):
        data.warn(key_path, f"'{shown(text)}' is not finite (a division by zero, or a number too large?) and is drawn as no data")
        return math.nan
    if abs(number) > MAX_MEASURE_MAGNITUDE:
        data.warn(key_path, f"'{shown(text)}' is larger than {MAGNITUDE} in magnitude (too large to be a measure) "
                            "and is drawn as no data")
        return math.nan
    return number


def condition(value, problem: Problem) -> pd.Series:
    """A true/false per row, or the given problem."""
    if not isinstance(value, pd.Series) or value.dtype != bool:
        raise BridgeError(problem)
    return value.reset_index(drop=True)
