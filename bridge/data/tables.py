"""Data tables: the scene's datasets joined to the base and its derived measures computed.

Every dataset is read once (bridge/data/readers.py: formats, `where:`, `pivot:`, coordinates in
British National Grid metres).  Joinable datasets are aligned to the base dataset's rows (a left join: the base's
areas keep their order; areas missing elsewhere become gaps), on their key or, for
many-to-one joins, on a column of the joined table.  Points can be counted per area.
Panel types then ask for expressions over those aligned columns (bridge/panels/), and over other
datasets' where they combine with a panel's rows (bridge/data/rows.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from bridge.data import database, expressions, param_values, powerbi, rows
from bridge.data.coordinates import to_shapely
from bridge.data.readers import Table, missing_column, read_dataset
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.limits import MAX_CHOICES

if TYPE_CHECKING:  # the scene model is passed in; the data layer never imports it
    from bridge.scene.model import Scene
    from bridge.scene.spec import Aggregate
    from bridge.scene.yaml_source import YamlDocument


@dataclass
class JoinReport:
    dataset: str
    matched: int
    base_rows: int
    unmatched_keys: list[str] = field(default_factory=list)


@dataclass
class SceneData:
    """The scene's tables aligned on the base dataset's rows, ready for expressions."""

    scene: Scene
    doc: YamlDocument
    tables: dict[str, Table]
    aligned: dict[str, pd.DataFrame]  # joinable datasets, one row per base row
    derived: dict[str, pd.Series]
    joins: list[JoinReport]
    # (dataset, column) after where:/pivot:; aligned tables keep the names
    counts: set[tuple[str | None, str]] = field(default_factory=set)
    warnings: list[Problem] = field(default_factory=list)  # what was drawn but deserves a look (e.g. values not finite)
    problems: list[Problem] = field(default_factory=list)  # derived measures that failed (the rest still load)
    failed_measures: set[str] = field(default_factory=set)
    params: dict[str, object] = field(default_factory=dict)  # each parameter's value in this view (bridge/scene/params.py)
    param_options: dict[str, list] = field(default_factory=dict)  # the values each can take

    def param(self, name: str):
        """`params.NAME` in an expression: the parameter's value in this view."""
        return param_value(self.scene, self.params, name)

    def warn(self, key_path: tuple, message: str) -> None:
        """Record a located warning once (validate and render print them)."""
        problem = self.doc.problem(key_path, message)
        if problem not in self.warnings:
            self.warnings.append(problem)

    @property
    def base(self) -> Table:
        return self.tables[self.scene.base_name]

    @property
    def min_count(self) -> int:
        return self.scene.disclosure.min_count

    def evaluate(self, text: str, key_path: tuple, dataset: str | None = None):
        """Evaluate an expression for a panel (or a derived measure) with located errors."""
        dataset = dataset or self.scene.base_name
        try:
            expr = expressions.parse(text)
            rows.check(self, expr, dataset)  # another dataset's rows only where they combine with the panel's
            return expressions.evaluate(expr, lambda ref: self._column(ref, dataset),
                                        notes=lambda message: self.warn(key_path, message),
                                        columns=lambda name: self._frame(name, dataset).columns)
        except expressions.ExpressionError as exc:
            raise BridgeError(self.doc.problem(key_path, str(exc) + _quote_hint(text, str(exc)))) from None

    def _column(self, ref: expressions.ColumnRef, dataset: str):
        """A column as a panel on `dataset` reads it: on the panel's rows (or, inside an aggregate,
        on its own table's rows, as bridge/data/rows.py allows); one value for a one-row table's."""
        if ref.dataset == "params":
            return self.param(ref.column)
        on_base = rows.panel_rows(self, dataset) == self.scene.base_name
        if ref.dataset is None:
            if ref.column in self.derived and (on_base or ref.column not in self.tables[dataset].frame.columns):
                return rows.as_read(self, ref, dataset, self.derived[ref.column])
            if ref.column in self.failed_measures:
                raise expressions.ExpressionError(f"uses the measure '{ref.column}', which could not be computed "
                                                  "(its error is reported under derive:)")
            frame = self.aligned[dataset] if dataset in self.aligned else self.tables[dataset].frame
            if ref.column in frame.columns:
                return frame[ref.column]
            names = list(frame.columns) + list(self.derived)
            raise expressions.ExpressionError(missing_column(ref.column, names, dataset, what="column or measure"))
        frame = self._frame(ref.dataset, dataset)
        if ref.column not in frame.columns:
            raise expressions.ExpressionError(missing_column(ref.column, frame.columns, owner=f"dataset '{ref.dataset}'"))
        return rows.as_read(self, ref, dataset, frame[ref.column])

    def _frame(self, name: str, dataset: str) -> pd.DataFrame:
        """The rows of dataset `name` as a panel on `dataset` reads them: aligned to the base's rows
        when joined, else its own (which bridge/data/rows.py lets combine only as one number)."""
        if name not in self.tables:
            raise expressions.ExpressionError(
                f"no dataset '{name}'{did_you_mean(name, self.tables)}; datasets: {', '.join(self.tables)}")
        if name == dataset and name not in self.aligned:
            return self.tables[name].frame
        return self.aligned.get(name, self.tables[name].frame)

    def summary(self) -> str:
        base = self.base
        joins = ", ".join(f"{j.dataset} {j.matched}/{j.base_rows}" for j in self.joins)
        return f"{len(base.frame)} rows in {base.name}" + (f"; joined {joins}" if joins else "")


def _quote_hint(text: str, message: str) -> str:
    """For `measure == Count`: the analyst meant the text "Count", not a column called Count."""
    import ast
    import re

    m = re.match(r"no column or measure '([^']+)'", message)
    if not m:
        return ""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if isinstance(side, ast.Name) and side.id == m.group(1):
                    return f'. If you meant the text {side.id}, quote it: "{side.id}"'
    return ""


def param_value(scene: Scene, values: dict, name: str):
    """A parameter's value as an expression sees it (text, float64 or bool), or an
    ExpressionError naming the declared parameters."""
    if name not in scene.params:
        known = ", ".join(scene.params) or "none (declare them under params:)"
        raise expressions.ExpressionError(f"no parameter '{name}'{did_you_mean(name, scene.params)}; parameters: {known}")
    value = values.get(name)
    if value is None:
        raise expressions.ExpressionError(f"params.{name} takes its values from a column, so a dataset's where: cannot read it "
                                          "unless it has a default:")
    if isinstance(value, bool):
        return np.bool_(value)
    return np.float64(value) if isinstance(value, (int, float)) else value


Overrides = dict  # parameter name -> (value, key path it was written at, for messages)


def load_data(scene: Scene, doc: YamlDocument, overrides: Overrides | None = None) -> SceneData:
    """Read every dataset, join to the base, aggregate points and compute derived measures, with
    the parameters at their defaults or at `overrides` (a step's, or the presenter's)."""
    overrides = overrides or {}
    early = {name: (_as_all(param, overrides[name][0]) if name in overrides else _early_default(param))
             for name, param in scene.params.items()}
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name, dataset in scene.datasets.items():
        try:
            tables[name] = _read(name, dataset, scene, doc, early)
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)
    values, options, wrong_values = _param_values(scene, doc, tables, overrides)

    base = tables[scene.base_name]
    joined = [n for n in tables if n != base.name and (scene.datasets[n].join is not False or scene.datasets[n].aggregate)]
    if base.key is None and joined:  # a briefing of stand-alone tables (a Power BI report's queries) joins nothing
        raise BridgeError(doc.problem(("datasets", base.name), "the base dataset needs a key: the column of area codes"))
    base_keys = _keys(base.frame[base.key]) if base.key is not None else pd.Series([], dtype=object)
    if base_keys.duplicated().any():
        dup = base_keys[base_keys.duplicated()].iloc[0]
        raise BridgeError(doc.problem(("datasets", base.name, "key"),
                                      f"key '{base.key}' repeats ('{dup}'); the base dataset needs one row per area"))
    data = SceneData(scene, doc, tables, {base.name: base.frame.reset_index(drop=True)}, {}, [],
                     params=values, param_options=options)
    for name in scene.datasets:
        data.counts.update((name, c) for c in tables[name].counts)  # after where: and pivot:; joins keep the names
        data.warnings.extend(tables[name].notes)  # what reading it found (e.g. a Power BI measure it cannot evaluate)
    # Joins on the key first, then many-to-one joins (which may use columns joined before them).
    order = sorted((n for n in tables if n != base.name), key=lambda n: isinstance(scene.datasets[n].join, bool) is False)
    for name in order:
        dataset = scene.datasets[name]
        try:
            if isinstance(tables[name], database.AreaCounts):
                _join(data, name, base_keys)  # points already counted per area, in the database
            elif dataset.aggregate is not None:
                _aggregate_points(data, name)
            elif dataset.join is not False:
                _join(data, name, base_keys)
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)

    failed: list[Problem] = []
    for name in scene.derive:
        measure = scene.measure(name)
        try:
            value = data.evaluate(measure.expr, ("derive", name))
        except BridgeError as exc:
            failed.extend(exc.problems)
            data.failed_measures.add(name)
            continue
        if not isinstance(value, pd.Series):
            value = pd.Series(np.full(len(base.frame), value))
        data.derived[name] = value.reset_index(drop=True)
    data.problems = wrong_values + failed  # reported with every panel's problems (bridge/render/pipeline.py), not instead of them
    return data


_kept_tables: dict | None = None  # see keep_tables()


def keep_tables(keep: bool = True) -> None:
    """Keep every dataset read in this process, keyed by its file's identity, its settings and
    the parameter values its where: reads: a process answering live questions then reads
    each file once, and only a where: that reads a changed parameter reads its file again."""
    global _kept_tables
    _kept_tables = {} if keep else None


def _read(name: str, dataset, scene: Scene, doc: YamlDocument, early: dict) -> Table:
    params = lambda p: param_value(scene, early, p)  # noqa: E731
    if getattr(dataset, "connection", None) is not None:  # a database, read afresh at every call (bridge/data/database/)
        return database.read_connection(name, dataset, doc, params, (scene.base_name, scene.datasets[scene.base_name]))
    path = scene.data_path(dataset)
    if path is None:  # sources other than a file have readers of their own, chosen before this point
        raise BridgeError(doc.problem(("datasets", name), "names no file to read: give path:"))
    if getattr(dataset, "model", None) is not None:  # a Power BI model's table or measures, the parameters as slicers
        return powerbi.read_model_dataset(name, dataset, scene, path, doc, params)
    read = database.read_embedded if database.uses_duckdb(dataset, path) else read_dataset  # big files: DuckDB
    if _kept_tables is None:
        return read(name, dataset, path, doc, params=params)
    try:
        stat = path.stat()
    except OSError:
        return read(name, dataset, path, doc, params=params)  # reports the missing file
    asked = tuple(sorted((p, repr(early.get(p))) for p in param_values.REFERENCE.findall(dataset.where or "")))
    key = (name, str(path), stat.st_mtime_ns, stat.st_size, dataset.model_dump_json(), asked)
    if key not in _kept_tables:
        _kept_tables[key] = read(name, dataset, path, doc, params=params)
    return _kept_tables[key]


def _as_all(param, value):
    """'all' written for a choice that offers the all option means every value."""
    return expressions.ALL if value == "all" and getattr(param, "all", None) else value


def _early_default(param):
    """A parameter's value while the datasets are read (a column's values are not known yet)."""
    if param.type == "choice" and param.column is not None and param.default is None and not param.all:
        return None
    return param_values.default(param)


def _param_values(scene: Scene, doc: YamlDocument, tables: dict[str, Table], overrides: Overrides) -> tuple[dict, dict, list]:
    """Every parameter's options (a column's distinct values, sorted) and its value in this
    view, each checked; and the problems with those values, at the default's or the override's
    line (a wrong column is raised at once).  A value that is wrong is taken as the first option,
    so the panels' expressions are still checked and reported with it."""
    values: dict[str, param_values.Value | None] = {}
    options, problems, wrong = {}, [], []
    for name, param in scene.params.items():
        column_values = None
        if param.type == "choice" and param.column is not None:
            dataset, column = param.column.split(".", 1)
            if dataset not in tables:
                problems.append(doc.problem(("params", name, "column"),
                                            f"no dataset '{dataset}'{did_you_mean(dataset, tables)}; "
                                            f"datasets: {', '.join(tables)}"))
                continue
            frame = tables[dataset].frame
            if column not in frame.columns:
                problems.append(doc.problem(("params", name, "column"), missing_column(column, frame.columns, dataset)))
                continue
            column_values = sorted({str(v).strip() for v in frame[column].dropna()}, key=_in_order)
            if len(column_values) > MAX_CHOICES:
                problems.append(doc.problem(("params", name, "column"),
                                            f"{len(column_values):,} distinct values is more than a room can step through "
                                            f"({MAX_CHOICES:,}); choose a coarser column"))
                continue
            if not column_values and not param.all:  # else its value would be 'all', which it does not offer
                problems.append(doc.problem(("params", name, "column"),
                                            f"column '{column}' of '{dataset}' has no values to choose from"))
                continue
        options[name] = param_values.choices(param, column_values)
        if name in overrides:
            wanted, where = overrides[name]
        elif param.default is not None and param.type != "toggle":
            wanted, where = param.default, ("params", name, "default")
        else:
            values[name] = param_values.default(param, column_values)
            continue
        value, why = param_values.check(name, param, wanted, column_values)
        if why:
            wrong.append(doc.problem(where, why))
            value = options[name][0] if options[name] else None
        values[name] = value
    if problems:
        raise BridgeError(problems + wrong)
    return values, options, wrong


def _in_order(text: str) -> tuple:
    """A column's values as the keys step through them: numbers by size (2 before 10), then text."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    return (0, number, text) if math.isfinite(number) else (1, 0.0, text)


def _join(data: SceneData, name: str, base_keys: pd.Series) -> None:
    scene, doc, table = data.scene, data.doc, data.tables[name]
    dataset = scene.datasets[name]
    here = ("datasets", name)
    if table.key is None:
        raise BridgeError(doc.problem(here, "a joined dataset needs a key (or set join: false)"))
    keys = _keys(table.frame[table.key])
    if keys.duplicated().any():
        dup = keys[keys.duplicated()].iloc[0]
        raise BridgeError(doc.problem(here + ("key",),
            f"key '{table.key}' repeats ('{dup}') so it cannot join one row per area; "
            "filter it (where:), pivot it, or set join: false"))
    if isinstance(dataset.join, bool):
        targets, against = base_keys, f"the {scene.base_name} keys in '{data.base.key}'"
    else:
        value = data.evaluate(dataset.join.on, here + ("join", "on"))
        if not isinstance(value, pd.Series):
            raise BridgeError(doc.problem(here + ("join", "on"), "must name a column of the joined table"))
        targets, against = _keys(value), f"'{dataset.join.on}'"
    frame = table.frame.set_axis(keys.to_numpy(), axis=0)
    matched = pd.Series(frame.index.get_indexer(targets) >= 0, index=targets.index)  # keys unique: isin took 0.12 s
    if not matched.any():
        raise BridgeError(doc.problem(here + ("key",),
            f"no key in '{table.key}' matches {against} (e.g. {keys.iloc[0]!r} vs {targets.iloc[0]!r}); check both key columns"))
    data.aligned[name] = frame.reindex(targets.to_numpy()).reset_index(drop=True)
    report = JoinReport(name, int(matched.sum()), len(targets), sorted(set(targets[~matched].tolist())))
    data.joins.append(report)
    if report.unmatched_keys:  # located at the dataset, so the analyst knows which entry to check
        data.warn(here, f"{len(targets) - report.matched} of {report.base_rows} areas have no row "
                        f"(e.g. {', '.join(report.unmatched_keys[:5])}); they are drawn as 'no data'")


def _aggregate_points(data: SceneData, name: str) -> None:
    """Count (and sum) points per base polygon, as a table aligned to the base."""
    import shapely

    scene, doc, table = data.scene, data.doc, data.tables[name]
    agg = cast("Aggregate", scene.datasets[name].aggregate)  # called only for a dataset with aggregate:
    here = ("datasets", name, "aggregate")
    base = data.base
    if table.points is None:
        raise BridgeError(doc.problem(here, "aggregate needs points: give the dataset points: {x: …, y: …}"))
    if base.geometry is None:
        raise BridgeError(doc.problem(here, f"the base dataset '{base.name}' has no polygons to count points in"))
    polygons = shapely_areas(base.geometry)
    point_idx, area_idx = database.points_within(shapely.STRtree(polygons), table.points)
    n = len(polygons)
    out = {}
    if agg.count:
        out[agg.count] = np.bincount(area_idx, minlength=n).astype(float)
        if getattr(data.scene.datasets[name], "personal", False) or agg.count in table.counts:
            data.counts.add((name, agg.count))  # points that are people, counted per area (else: places)
    for column in agg.sum:
        if column not in table.frame.columns:
            raise BridgeError(doc.problem(here + ("sum",), missing_column(column, table.frame.columns)))
        values = pd.to_numeric(table.frame[column], errors="coerce").to_numpy(dtype=float)
        out[column] = np.bincount(area_idx, weights=np.nan_to_num(values[point_idx]), minlength=n)
        if column in table.counts:
            data.counts.add((name, column))
    data.aligned[name] = pd.DataFrame(out)
    data.joins.append(JoinReport(name, int(len(np.unique(area_idx))), n, []))


def shapely_areas(geometry: list) -> list:
    """Our polygons (lists of rings) as shapely multipolygons, holes kept."""
    return list(to_shapely(geometry))


def _keys(column: pd.Series) -> pd.Series:
    """Area codes as stripped text, so ' E01028826' and 'E01028826' match."""
    return column.astype(str).str.strip().reset_index(drop=True)
