"""DAX, the formula language of Power BI measures: parsed and evaluated over a `PowerBIModel` in a filter context.

`evaluate_measures` gives measures' values (overall, or by the values of some columns, under slicer
filters); `measure_support` says which measures Bridge evaluates and why not the others; a measure
that cannot be evaluated raises `DaxError` naming the measure and the function or name at fault.
"""

from bridge.data.dax import aggregates, calculate, scalars, shaping, timeintel  # noqa: F401  (they register the functions)
from bridge.data.dax.api import evaluate_measures
from bridge.data.dax.errors import DaxError
from bridge.data.dax.support import measure_support

__all__ = ["DaxError", "evaluate_measures", "measure_support"]
