"""Data tables: load the scene's datasets, join them on their keys, compute derived measures.

Every dataset is read once.  Joinable datasets are aligned to the base dataset's keys
(a left join: the base's areas keep their order; areas missing elsewhere become gaps).
Panels then ask for expressions over those aligned columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bridge import expressions
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.scene import BarPanel, Dataset, KpiPanel, MapPanel, Scene
from bridge.yaml_source import YamlDocument


@dataclass
class Table:
    """One loaded dataset: its rows, and for GeoJSON the polygons (lists of lon/lat rings)."""

    name: str
    frame: pd.DataFrame
    key: str
    geometry: list[list[list[np.ndarray]]] | None = None


@dataclass
class JoinReport:
    dataset: str
    matched: int
    base_rows: int
    unmatched_keys: list[str] = field(default_factory=list)


@dataclass
class MapContent:
    polygons: list[list[list[np.ndarray]]]
    values: np.ndarray
    names: list[str]


@dataclass
class BarContent:
    labels: list[str]
    values: np.ndarray


@dataclass
class SceneData:
    """The scene's tables aligned on the base dataset's key, ready for expressions."""

    scene: Scene
    doc: YamlDocument
    tables: dict[str, Table]
    aligned: dict[str, pd.DataFrame]  # joinable datasets reindexed to the base keys
    derived: dict[str, pd.Series]
    joins: list[JoinReport]

    @property
    def base(self) -> Table:
        return self.tables[self.scene.base_name]

    def evaluate(self, text: str, key_path: tuple, dataset: str | None = None):
        """Evaluate an expression for a panel (or a derived measure) with located errors."""
        dataset = dataset or self.scene.base_name
        expr = expressions.parse(text)
        try:
            return expressions.evaluate(expr, lambda ref: self._column(ref, dataset))
        except expressions.ExpressionError as exc:
            raise BridgeError(self.doc.problem(key_path, str(exc))) from None

    def _column(self, ref: expressions.ColumnRef, dataset: str) -> pd.Series:
        on_base = dataset == self.scene.base_name or not self.scene.datasets[dataset].join
        if ref.dataset is None:
            if ref.column in self.derived and dataset == self.scene.base_name:
                return self.derived[ref.column]
            frame = self.aligned[dataset] if dataset in self.aligned else self.tables[dataset].frame
            if ref.column in frame.columns:
                return frame[ref.column]
            names = list(frame.columns) + (list(self.derived) if dataset == self.scene.base_name else [])
            raise expressions.ExpressionError(
                f"no column or measure '{ref.column}' in {dataset}{did_you_mean(ref.column, names)}; "
                f"it has: {_listing(names)}")
        if ref.dataset not in self.tables:
            raise expressions.ExpressionError(
                f"no dataset '{ref.dataset}'{did_you_mean(ref.dataset, self.tables)}; datasets: {', '.join(self.tables)}")
        if ref.dataset != dataset and not (on_base and ref.dataset in self.aligned):
            raise expressions.ExpressionError(
                f"dataset '{ref.dataset}' is not joined to '{dataset}'; use its columns in a panel with data: {ref.dataset}")
        frame = self.aligned.get(ref.dataset, self.tables[ref.dataset].frame)
        if ref.column not in frame.columns:
            raise expressions.ExpressionError(
                f"dataset '{ref.dataset}' has no column '{ref.column}'{did_you_mean(ref.column, frame.columns)}; "
                f"it has: {_listing(frame.columns)}")
        return frame[ref.column]

    def panel_content(self, index: int):
        """What a panel shows, evaluated: polygons and values, bars, or one number."""
        panel = self.scene.panels[index]
        here = ("panels", index)
        if isinstance(panel, MapPanel):
            table = self.tables[panel.data or self.scene.base_name]
            if table.geometry is None:
                raise BridgeError(self.doc.problem(here + ("data",),
                    f"a map needs polygons, but dataset '{table.name}' has none; use a GeoJSON dataset"))
            values = self.evaluate(panel.colour, here + ("colour",), table.name)
            values = _numeric_series(values, self.doc.problem(here + ("colour",), "must give a number per area, not one number"))
            names = [str(k) for k in table.frame[table.key]]
            if values.notna().sum() == 0:
                raise BridgeError(self.doc.problem(here + ("colour",), "every value is missing; check the joins and the expression"))
            return MapContent(table.geometry, values.to_numpy(dtype=float), names)
        if isinstance(panel, BarPanel):
            values = _numeric_series(self.evaluate(panel.value, here + ("value",), panel.data),
                                     self.doc.problem(here + ("value",), "must give a number per row, not one number"))
            labels = self.evaluate(panel.label, here + ("label",), panel.data)
            if not isinstance(labels, pd.Series):
                raise BridgeError(self.doc.problem(here + ("label",), "must be a column of labels"))
            frame = pd.DataFrame({"label": labels.astype(str).to_numpy(), "value": values.to_numpy(dtype=float)}).dropna()
            frame = frame.sort_values("value", ascending=panel.order == "ascending", kind="stable")
            if panel.top:
                frame = frame.head(panel.top)
            if frame.empty:
                raise BridgeError(self.doc.problem(here + ("value",), "no rows with a value to draw"))
            return BarContent(frame["label"].tolist(), frame["value"].to_numpy())
        if isinstance(panel, KpiPanel):
            value = self.evaluate(panel.value, here + ("value",), panel.data)
            if isinstance(value, pd.Series):
                raise BridgeError(self.doc.problem(here + ("value",),
                    f"'{panel.value}' gives one value per row; a KPI needs one number: wrap it, e.g. sum({panel.value})"))
            try:
                panel.format.format(value)
            except (ValueError, IndexError, KeyError) as exc:
                raise BridgeError(self.doc.problem(here + ("format",), f"'{panel.format}' cannot format {value!r}: {exc}")) from None
            return float(value)
        return None

    def summary(self) -> str:
        base = self.base
        joins = ", ".join(f"{j.dataset} {j.matched}/{j.base_rows}" for j in self.joins)
        return f"{len(base.frame)} rows in {base.name}" + (f"; joined {joins}" if joins else "")


def _numeric_series(value, problem: Problem) -> pd.Series:
    if not isinstance(value, pd.Series):
        raise BridgeError(problem)
    return pd.to_numeric(value, errors="coerce")


def _listing(names, limit: int = 12) -> str:
    names = [str(n) for n in names]
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def load_data(scene: Scene, doc: YamlDocument) -> SceneData:
    """Read every dataset, check keys, join to the base and compute derived measures."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for name, dataset in scene.datasets.items():
        try:
            tables[name] = _read(name, dataset, scene.data_path(dataset), doc)
        except BridgeError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BridgeError(problems)

    base = tables[scene.base_name]
    base_keys = _keys(base.frame[base.key])
    if base_keys.duplicated().any():
        dup = base_keys[base_keys.duplicated()].iloc[0]
        raise BridgeError(doc.problem(("datasets", base.name, "key"), f"key '{base.key}' repeats ('{dup}'); the base dataset needs one row per area"))
    aligned: dict[str, pd.DataFrame] = {base.name: base.frame.reset_index(drop=True)}
    joins: list[JoinReport] = []
    for name, table in tables.items():
        if name == base.name or not scene.datasets[name].join:
            continue
        keys = _keys(table.frame[table.key])
        if keys.duplicated().any():
            dup = keys[keys.duplicated()].iloc[0]
            problems.append(doc.problem(("datasets", name, "key"),
                f"key '{table.key}' repeats ('{dup}') so it cannot join one row per area; aggregate it first or set join: false"))
            continue
        frame = table.frame.set_axis(keys.to_numpy(), axis=0)
        matched = base_keys.isin(frame.index)
        if not matched.any():
            problems.append(doc.problem(("datasets", name, "key"),
                f"no key in '{table.key}' matches the {base.name} keys in '{base.key}' "
                f"(e.g. {keys.iloc[0]!r} vs {base_keys.iloc[0]!r}); check both key columns"))
            continue
        aligned[name] = frame.reindex(base_keys.to_numpy()).reset_index(drop=True)
        joins.append(JoinReport(name, int(matched.sum()), len(base_keys), base_keys[~matched].tolist()))
    if problems:
        raise BridgeError(problems)

    data = SceneData(scene, doc, tables, aligned, {}, joins)
    for name, text in scene.derive.items():
        value = data.evaluate(text, ("derive", name))
        if not isinstance(value, pd.Series):
            value = pd.Series(np.full(len(base.frame), value))
        data.derived[name] = value.reset_index(drop=True)
    return data


def _keys(column: pd.Series) -> pd.Series:
    """Area codes as stripped text, so ' E01028826' and 'E01028826' match."""
    return column.astype(str).str.strip().reset_index(drop=True)


def _read(name: str, dataset: Dataset, path: Path, doc: YamlDocument) -> Table:
    here = ("datasets", name)
    if not path.exists():
        raise BridgeError(doc.problem(here + ("path",), f"file not found: {path} (paths are relative to the scene file)"))
    fmt = dataset.resolved_format()
    try:
        if fmt == "csv":
            frame, geometry = pd.read_csv(path, encoding_errors="replace"), None
        elif fmt == "parquet":
            frame, geometry = pd.read_parquet(path), None
        else:
            frame, geometry = _read_geojson(path)
    except BridgeError as exc:
        raise BridgeError([doc.problem(here + ("path",), p.message) for p in exc.problems]) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise BridgeError(doc.problem(here + ("path",), f"cannot read {path.name} as {fmt}: {exc}")) from None
    if dataset.key not in frame.columns:
        raise BridgeError(doc.problem(here + ("key",),
            f"no column '{dataset.key}' in {path.name}{did_you_mean(dataset.key, frame.columns)}; it has: {_listing(frame.columns)}"))
    if frame.empty:
        raise BridgeError(doc.problem(here + ("path",), f"{path.name} has no rows"))
    return Table(name, frame, dataset.key, geometry)


def _read_geojson(path: Path):
    """A FeatureCollection of (Multi)Polygons: properties as a table, rings as lon/lat arrays."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BridgeError(f"not valid JSON at line {exc.lineno}: {exc.msg}") from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise BridgeError("not a GeoJSON FeatureCollection (no 'features' list)")
    rows, geometry = [], []
    for i, feature in enumerate(features):
        geom = (feature or {}).get("geometry") or {}
        kind, coords = geom.get("type"), geom.get("coordinates")
        if kind == "Polygon":
            polygons = [coords]
        elif kind == "MultiPolygon":
            polygons = coords
        else:
            raise BridgeError(f"feature {i} has geometry {kind!r}; maps need Polygon or MultiPolygon")
        try:
            geometry.append([[np.asarray(ring, dtype=float)[:, :2] for ring in poly] for poly in polygons])
        except (ValueError, IndexError, TypeError):
            raise BridgeError(f"feature {i} has malformed coordinates") from None
        rows.append(feature.get("properties") or {})
    return pd.DataFrame(rows), geometry
