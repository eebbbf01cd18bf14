"""A scene's dataset drawn from a Power BI model named under `models:`: one of its tables, or its measures.

`{model: aw, table: Customer}` is that table of the model, read like any file's rows.
`{model: aw, measures: [Total Revenue, GM%], by: ["Industry[Industry]"], filters: {"Date[Year]":
"{params.year}"}}` is a measure query: one row per combination of the `by:` columns' values, one
column per `by:` entry (named as written) and one per measure, evaluated by the DAX evaluator
(bridge/data/dax) in the filter context the filters give — a parameter named in a filter acts as
a slicer.  The result then goes through `where:`, `pivot:` and `counts:` like any dataset.

A measure the evaluator cannot evaluate does not stop the briefing: its column is left empty
(panels draw "no data") and a warning names the measure, the function or name at fault and the
panels that show it.  The scene model is passed in; nothing here imports it.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bridge.data import expressions
from bridge.data.formats import listing
from bridge.data.powerbi.model import MeasureDef, PowerBIModel
from bridge.data.powerbi.reader import load_model
from bridge.data.readers import Table, read_dataset
from bridge.errors import BridgeError, Problem, did_you_mean

if TYPE_CHECKING:
    from bridge.scene.model import Scene
    from bridge.scene.spec import Dataset
    from bridge.scene.yaml_source import YamlDocument

COLUMN = re.compile(r"^\s*(?:'((?:[^']|'')+)'|([^'\[\]]+?))\s*\[([^\]]+)\]\s*$")  # Table[Column] or 'Table name'[Column]
PLACEHOLDER = re.compile(r"\{\s*params\.([A-Za-z_]\w*)\s*\}")


def split_column(text: str) -> tuple[str, str] | None:
    """'Table[Column]' or "'Sales Territory'[Country]" as (table, column); None if it is neither."""
    match = COLUMN.match(text)
    if not match:
        return None
    table = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2).strip()
    return table, match.group(3).strip()


def check_column(model: PowerBIModel, text: str) -> str | None:
    """Why `text` does not name a column of the model, or None when it does."""
    parts = split_column(text)
    if parts is None:
        return f"'{text}' is not a column as Power BI names one: write Table[Column], e.g. Customer[Country]"
    table, column = parts
    if table not in model.tables:
        return f"{model.source} has no table '{table}'{did_you_mean(table, model.tables)}; its tables: {listing(model.tables)}"
    if column not in model.tables[table].columns:
        columns = [str(c) for c in model.tables[table].columns]
        return f"table '{table}' has no column '{column}'{did_you_mean(column, columns)}; it has: {listing(columns)}"
    return None


def read_model_dataset(name: str, dataset: Dataset, scene: Scene, path: Path, doc: YamlDocument, params) -> Table:
    """The dataset `name`, which names `model:` (path: that model's file, resolved by the scene)."""
    here = ("datasets", name)
    source = scene.models[str(dataset.model)]
    try:
        if not path.is_file():
            raise BridgeError(f"file not found: {path} (paths are relative to the scene file)")
        model = load_model(path)  # kept: a dataset's table: below reads it again from memory
    except BridgeError as exc:
        raise BridgeError([doc.problem(("models", str(dataset.model), "path"), p.message) for p in exc.problems]) from None
    model = with_measures(model, source.measures, doc, ("models", str(dataset.model), "measures"))
    if dataset.table is not None:
        return read_dataset(name, dataset, path, doc, params=params)
    _check_names(model, dataset, doc, here)
    asked = {column: _filter_values(values, params, doc, here + ("filters", column))
             for column, values in dataset.filters.items()}
    filters = {column: values for column, values in asked.items() if values is not None}
    frame, notes = evaluate(model, dataset.measures, dataset.by, filters, source.as_of)
    problems = []
    for measure, why in notes.items():
        users = users_of(scene, name, measure)
        problems.append(doc.problem(here + ("measures", dataset.measures.index(measure)),
                                    f"measure '{measure}' cannot be evaluated: {why}; "
                                    + (f"{_panels(users)} show it as no data" if users else "no panel shows it")))
    table = read_dataset(name, dataset, path, doc, params=params, rows=frame)
    table.notes.extend(problems)
    return table


def with_measures(model: PowerBIModel, measures: dict[str, str], doc: YamlDocument, here: tuple) -> PowerBIModel:
    """The model with the scene's own measures added (a copy: the loaded model is shared); one that
    takes a model measure's name is refused, so a number never silently changes meaning."""
    if not measures:
        return model
    taken = [name for name in measures if name in model.measures]
    if taken:
        raise BridgeError(doc.problem(here + (taken[0],), f"'{taken[0]}' is already a measure of {model.source}: "
                                                           "give the scene's own measure another name"))
    home = next(iter(model.tables), "")
    added = {name: MeasureDef(home, name, dax) for name, dax in measures.items()}
    return replace(model, measures={**model.measures, **added})


def users_of(scene: Scene, dataset: str, measure: str) -> list[str]:
    """The ids of the panels that show `measure` of `dataset`: those whose keys name the measure's column
    (`total["GM%"]`), or that draw from the dataset (`data:`) and name it."""
    quoted = json.dumps(measure)[1:-1]
    found = []
    for panel in scene.panels:
        text = panel.model_dump_json()
        if quoted in text and (dataset in text or getattr(panel, "data", None) == dataset):
            found.append(panel.id)
    return found


def _panels(ids: list[str]) -> str:
    return ("panel " if len(ids) == 1 else "panels ") + ", ".join(ids)


def _check_names(model: PowerBIModel, dataset: Dataset, doc: YamlDocument, here: tuple) -> None:
    """Every measure, `by:` and filter column the dataset names exists in the model: all problems at once."""
    problems: list[Problem] = []
    for i, measure in enumerate(dataset.measures):
        if measure not in model.measures:
            problems.append(doc.problem(here + ("measures", i), f"{model.source} has no measure '{measure}'"
                                        f"{did_you_mean(measure, model.measures)}; its measures: {listing(model.measures)}"))
    for i, column in enumerate(dataset.by):
        if why := check_column(model, column):
            problems.append(doc.problem(here + ("by", i), why))
    for column in dataset.filters:
        if why := check_column(model, column):
            problems.append(doc.problem(here + ("filters", column), why))
    if problems:
        raise BridgeError(problems)


def _filter_values(values: Any, params, doc: YamlDocument, key_path: tuple) -> list | None:
    """A filter's values with `{params.NAME}` filled; None when a parameter is at its 'all' option (no filter)."""
    out: list = []
    for value in values if isinstance(values, list) else [values]:
        if isinstance(value, str) and PLACEHOLDER.search(value):
            try:
                value = _filled(value, params)
            except expressions.ExpressionError as exc:
                raise BridgeError(doc.problem(key_path, str(exc))) from None
            if value is expressions.ALL:
                return None
        out.append(_plain(value))
    return out


def _filled(text: str, params) -> Any:
    """'{params.year}' alone is the parameter's value as it is; within other text, its text."""
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole:
        return params(whole.group(1))
    values = {m.group(1): params(m.group(1)) for m in PLACEHOLDER.finditer(text)}
    if any(v is expressions.ALL for v in values.values()):
        return expressions.ALL
    return PLACEHOLDER.sub(lambda m: _text(values[m.group(1)]), text)


def _text(value: Any) -> str:
    value = _plain(value)
    return str(value)


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, and a whole number as an int (a year matches an integer column)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def evaluate(model: PowerBIModel, measures: list[str], by: list[str], filters: dict[str, list],
             today=None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The measures by `by` under `filters`; those that cannot be evaluated are left empty, with the reason."""
    from bridge.data.dax import DaxError, evaluate_measures, measure_support

    support = measure_support(model)
    notes = {m: str(support[m]) for m in measures if support.get(m) is not None}
    good = [m for m in measures if m not in notes]
    frame = None
    while good:
        try:
            frame = evaluate_measures(model, good, by=by, filters=filters, today=today)
            break
        except DaxError as exc:
            culprit = getattr(exc, "measure", None)
            culprit = culprit if culprit in good else good[0] if len(good) == 1 else None
            if culprit is None:  # not one measure's fault: each on its own, so the others still show
                return _one_by_one(model, good, by, filters, today, notes)
            notes[culprit] = str(exc)
            good.remove(culprit)
    if frame is None:
        frame = _empty(model, by, filters, today)
    for measure in measures:
        if measure not in frame.columns:
            frame[measure] = np.nan
    return _as_in_model(model, frame[list(by) + list(measures)].reset_index(drop=True), by), notes


def _as_in_model(model: PowerBIModel, frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """`by:` columns typed as the model types them (a year stays 2013, not 2013.0), where that loses nothing."""
    for column in by:
        table, name = split_column(column) or ("", "")
        kind = model.tables[table][name].dtype if table in model.tables else None
        values = frame[column]
        if kind is not None and pd.api.types.is_integer_dtype(kind) and pd.api.types.is_float_dtype(values):
            whole = values.dropna()
            if (whole == whole.round()).all():
                frame[column] = values.astype("Int64")
    return frame


def _one_by_one(model, measures, by, filters, today, notes) -> tuple[pd.DataFrame, dict[str, str]]:
    from bridge.data.dax import DaxError, evaluate_measures

    frame = None
    for measure in measures:
        try:
            part = evaluate_measures(model, [measure], by=by, filters=filters, today=today)
        except DaxError as exc:
            notes[measure] = str(exc)
            continue
        frame = part if frame is None else frame.merge(part, on=list(by), how="outer") if by else frame.join(part)
    frame = frame if frame is not None else _empty(model, by, filters, today)
    for measure in measures:
        if measure not in frame.columns:
            frame[measure] = np.nan
    return frame.reset_index(drop=True), notes


def _empty(model: PowerBIModel, by: list[str], filters: dict, today) -> pd.DataFrame:
    """No measure could be evaluated: the `by:` columns' values (each table's combinations, crossed), so the
    panels still show their categories, with no data; one row when there is no `by:`."""
    if not by:
        return pd.DataFrame(index=[0])
    frame = None
    for table in dict.fromkeys(t for t, _ in map(lambda c: split_column(c) or ("", ""), by)):
        columns = {c: col for c in by if (parts := split_column(c)) and parts[0] == table for col in [parts[1]]}
        part = model.tables[table][list(columns.values())].drop_duplicates().set_axis(list(columns), axis=1)
        frame = part if frame is None else frame.merge(part, how="cross")
    return (frame if frame is not None else pd.DataFrame(columns=by))[list(by)].reset_index(drop=True)
