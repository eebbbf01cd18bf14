"""What each panel shows: its expressions evaluated over the scene's data, with disclosure control.

`load_data` (bridge/data.py) gives aligned tables; here each panel's values, labels,
polygons or rows are pulled out, small counts of people are marked for suppression, and
a step's marked rows are worked out.  The drawing (bridge/panels.py) gets plain content
objects and never touches the data.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bridge import expressions
from bridge.data import Polygons, SceneData, Table, _transformer
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.scene import (BarPanel, ExtrudedPanel, HeatmapPanel, ImagePanel, KpiPanel, LinePanel, MapPanel, Mark,
                          PointsPanel, TablePanel)


@dataclass
class MapContent:
    polygons: list[Polygons]
    values: np.ndarray | None  # None: outlines only
    suppressed: np.ndarray  # bool per area
    keys: list[str]
    labels: list[str]
    outline: list[Polygons] | None = None
    raster: tuple[np.ndarray, tuple[float, float, float, float], float] | None = None  # image, BNG bounds, opacity
    points: tuple[np.ndarray, str, float] | None = None  # xy, colour, size


@dataclass
class PointsContent:
    outline: list[Polygons]
    xy: np.ndarray
    values: np.ndarray | None
    weights: np.ndarray | None = None


@dataclass
class BarContent:
    labels: list[str]
    values: np.ndarray
    suppressed: np.ndarray


@dataclass
class LineContent:
    x: list[str]
    series: dict[str, np.ndarray]


@dataclass
class TableContent:
    headings: list[str]
    rows: list[list[str]]
    suppressed_cells: int = 0


@dataclass
class KpiContent:
    value: float
    suppressed: bool
    compare: float | None = None
    spark: np.ndarray | None = None



# --- disclosure control -----------------------------------------------------------------

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


# --- panels -------------------------------------------------------------------------------

def panel_content(data: SceneData, index: int):
    """What a panel shows, evaluated: polygons and values, bars, rows, one number…"""
    panel = data.scene.panels[index]
    here = ("panels", index)
    if isinstance(panel, (MapPanel, ExtrudedPanel)):
        return _map_content(data, panel, here)
    if isinstance(panel, (PointsPanel, HeatmapPanel)):
        return _points_content(data, panel, here)
    if isinstance(panel, BarPanel):
        values = _numbers(data, panel.value, here + ("value",), panel.data)
        labels = _texts(data, panel.label, here + ("label",), panel.data)
        frame = pd.DataFrame({"label": labels, "value": values}).dropna()
        if panel.group:
            frame = frame.groupby("label", as_index=False)["value"].agg(panel.group)
        frame = frame.sort_values("value", ascending=panel.order == "ascending", kind="stable")
        if panel.top:
            frame = frame.head(panel.top)
        if frame.empty:
            raise BridgeError(data.doc.problem(here + ("value",), "no rows with a value to draw"))
        values = frame["value"].to_numpy()
        return BarContent(frame["label"].tolist(), values, suppression_mask(data, values, is_count(data, panel.value, panel.data)))
    if isinstance(panel, LinePanel):
        return _line_content(data, panel, here)
    if isinstance(panel, TablePanel):
        return _table_content(data, panel, here)
    if isinstance(panel, KpiPanel):
        value = _scalar(data, panel.value, here + ("value",), panel.data)
        try:
            panel.format.format(value)
        except (ValueError, IndexError, KeyError) as exc:
            raise BridgeError(data.doc.problem(here + ("format",), f"'{panel.format}' cannot format {value!r}: {exc}")) from None
        compare = _scalar(data, panel.compare, here + ("compare",), panel.data) if panel.compare else None
        spark = _numbers(data, panel.spark, here + ("spark",), panel.data).dropna().to_numpy() if panel.spark else None
        return KpiContent(value, bool(suppression_mask(data, [value], is_count(data, panel.value, panel.data))[0]), compare, spark)
    if isinstance(panel, ImagePanel):
        return _image(data, panel.path, here + ("path",))
    return None


def _numbers(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, f"'{text}' gives one number; this needs a value per row"))
    converted = pd.to_numeric(value, errors="coerce")
    bad = value[converted.isna() & value.notna()]
    if len(bad):
        raise BridgeError(data.doc.problem(key_path, f"'{text}' is not numeric (e.g. {bad.iloc[0]!r}); use a column of numbers"))
    return converted.reset_index(drop=True)


def _texts(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> pd.Series:
    value = data.evaluate(text, key_path, dataset)
    if not isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path, "must be a column of labels"))
    return value.astype(str).reset_index(drop=True)


def _scalar(data: SceneData, text: str, key_path: tuple, dataset: str | None) -> float:
    value = data.evaluate(text, key_path, dataset)
    if isinstance(value, pd.Series):
        raise BridgeError(data.doc.problem(key_path,
            f"'{text}' gives one value per row; a single number is needed: wrap it, e.g. sum({text})"))
    return float(value)


def _map_content(data: SceneData, panel, here) -> MapContent:
    table = data.tables[panel.data or data.scene.base_name]
    if table.geometry is None:
        raise BridgeError(data.doc.problem(here + ("data",),
            f"a map needs polygons, but dataset '{table.name}' has none; use a GeoJSON dataset"))
    keys = [str(k) for k in table.frame[table.key]] if table.key else [str(i) for i in range(len(table.frame))]
    values, suppressed = None, np.zeros(len(keys), bool)
    if panel.colour:
        series = _numbers(data, panel.colour, here + ("colour",), table.name)
        if series.notna().sum() == 0:
            raise BridgeError(data.doc.problem(here + ("colour",), "every value is missing; check the joins and the expression"))
        values = series.to_numpy(dtype=float)
        suppressed = suppression_mask(data, values, is_count(data, panel.colour, table.name))
    labels = keys
    if isinstance(panel, MapPanel) and panel.label:
        labels = _texts(data, panel.label, here + ("label",), table.name).tolist()
    content = MapContent(table.geometry, values, suppressed, keys, labels)
    if isinstance(panel, MapPanel):
        if panel.outline:
            outline = data.tables[panel.outline]
            if outline.geometry is None:
                raise BridgeError(data.doc.problem(here + ("outline",), f"dataset '{panel.outline}' has no polygons"))
            content.outline = outline.geometry
        if panel.raster:
            content.raster = _raster(data, panel.raster, here + ("raster",))
        if panel.points:
            layer = _point_table(data, panel.points.data, here + ("points", "data"))
            content.points = (layer.points, panel.points.colour, panel.points.size)
    return content


def _point_table(data: SceneData, name: str, key_path: tuple) -> Table:
    table = data.tables[name]
    if table.points is None:
        raise BridgeError(data.doc.problem(key_path, f"dataset '{name}' has no points; give it points: {{x: …, y: …}}"))
    if data.scene.datasets[name].personal and not data.scene.disclosure.allow_personal_points:
        raise BridgeError(data.doc.problem(key_path,
            f"dataset '{name}' is marked personal: its rows are people and are never drawn as points. "
            "Aggregate it per area (aggregate:), or set disclosure: {allow_personal_points: true} if that is approved"))
    return table


def _points_content(data: SceneData, panel, here) -> PointsContent:
    table = _point_table(data, panel.data, here + ("data",))
    base = data.base
    if base.geometry is None:
        raise BridgeError(data.doc.problem(here, "points are drawn over the base dataset's areas, which have no polygons"))
    values = weights = None
    if isinstance(panel, PointsPanel) and panel.colour:
        values = _numbers(data, panel.colour, here + ("colour",), table.name).to_numpy(dtype=float)
    if isinstance(panel, HeatmapPanel) and panel.weight:
        weights = _numbers(data, panel.weight, here + ("weight",), table.name).fillna(0).to_numpy(dtype=float)
    return PointsContent(base.geometry, table.points, values, weights)


def _line_content(data: SceneData, panel: LinePanel, here) -> LineContent:
    dataset = panel.data
    x = _texts(data, panel.x, here + ("x",), dataset)
    y = _numbers(data, panel.y, here + ("y",), dataset)
    series = _texts(data, panel.series, here + ("series",), dataset) if panel.series else pd.Series(["value"] * len(x))
    frame = pd.DataFrame({"x": x, "y": y, "s": series})
    if panel.where:
        keep = data.evaluate(panel.where, here + ("where",), dataset)
        if not isinstance(keep, pd.Series) or keep.dtype != bool:
            raise BridgeError(data.doc.problem(here + ("where",), "must be a condition, e.g. area_name == \"Shropshire\""))
        frame = frame[keep.reset_index(drop=True).to_numpy()]
    frame = frame.dropna()
    if frame.empty:
        raise BridgeError(data.doc.problem(here + ("where",) if panel.where else here + ("y",), "no rows left to draw"))
    order = sorted(frame["x"].unique())
    lines = {}
    for name, group in frame.groupby("s", sort=False):
        if group["x"].duplicated().any():
            raise BridgeError(data.doc.problem(here + ("series",),
                f"series '{name}' has several values for '{group['x'][group['x'].duplicated()].iloc[0]}'; "
                "add series: or narrow it with where:"))
        lines[str(name)] = group.set_index("x")["y"].reindex(order).to_numpy(dtype=float)
    if len(lines) > 12:
        raise BridgeError(data.doc.problem(here + ("series",), f"{len(lines)} series are too many to read; narrow it with where:"))
    return LineContent(order, lines)


def _table_content(data: SceneData, panel: TablePanel, here) -> TableContent:
    columns, counts = {}, {}
    for heading, text in panel.columns.items():
        value = data.evaluate(text, here + ("columns", heading), panel.data)
        if not isinstance(value, pd.Series):
            raise BridgeError(data.doc.problem(here + ("columns", heading), "must give a value per row"))
        columns[heading] = value.reset_index(drop=True)
        counts[heading] = is_count(data, text, panel.data)
    frame = pd.DataFrame(columns)
    if panel.sort:
        if panel.sort not in frame.columns:
            raise BridgeError(data.doc.problem(here + ("sort",), f"no column '{panel.sort}'{did_you_mean(panel.sort, frame.columns)}; columns: {', '.join(frame.columns)}"))
        frame = frame.assign(_k=pd.to_numeric(frame[panel.sort], errors="coerce")).sort_values("_k", ascending=False, kind="stable").drop(columns="_k")
    frame = frame.head(panel.top)
    rows, hidden = [], 0
    for _, row in frame.iterrows():
        cells = []
        for heading, value in row.items():
            number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
            if pd.isna(value):
                cells.append("–")
            elif pd.notna(number) and not isinstance(value, str):
                if suppression_mask(data, [number], counts[heading])[0]:
                    cells.append("suppressed")
                    hidden += 1
                else:
                    try:
                        cells.append(panel.format.format(number) if counts[heading] is False else f"{number:,.0f}")
                    except (ValueError, IndexError, KeyError) as exc:
                        raise BridgeError(data.doc.problem(here + ("format",), f"'{panel.format}' cannot format {number!r}: {exc}")) from None
            else:
                cells.append(str(value))
        rows.append(cells)
    return TableContent(list(frame.columns), rows, hidden)


def _image(data: SceneData, relative: str, key_path: tuple) -> np.ndarray:
    from PIL import Image

    path = data.scene.path(relative)
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise BridgeError(data.doc.problem(key_path, f"image not found: {path}")) from None
    except OSError as exc:
        raise BridgeError(data.doc.problem(key_path, f"cannot read {path.name} as an image: {exc}")) from None


def _raster(data: SceneData, raster, key_path: tuple):
    from PIL import Image

    path = data.scene.path(raster.path)
    try:
        with Image.open(path) as image:
            bounds = raster.bounds or _geotiff_bounds(image)
            pixels = np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise BridgeError(data.doc.problem(key_path + ("path",), f"image not found: {path}")) from None
    except OSError as exc:
        raise BridgeError(data.doc.problem(key_path + ("path",), f"cannot read {path.name}: {exc}")) from None
    if bounds is None:
        raise BridgeError(data.doc.problem(key_path, f"{path.name} is not a GeoTIFF; give bounds: [west, south, east, north]"))
    west, south, east, north = bounds
    if not (west < east and south < north):
        raise BridgeError(data.doc.problem(key_path + ("bounds",), "must be [west, south, east, north] with west < east and south < north"))
    (x0, x1), (y0, y1) = _transformer(raster.crs, data.doc, key_path + ("crs",)).transform([west, east], [south, north])
    return pixels, (x0, y0, x1, y1), raster.opacity


def marked_rows(data: SceneData, index: int, mark: Mark, key_path: tuple) -> frozenset[str]:
    """Labels (bars) or keys (maps) a step picks out in a panel."""
    panel = data.scene.panels[index]
    if isinstance(panel, BarPanel):
        content = panel_content(data, index)
        if mark.top:
            return frozenset(content.labels[: mark.top])
        if panel.group:
            raise BridgeError(data.doc.problem(key_path + ("where",), "on a grouped bar chart, mark rows with top: N"))
        keep = data.evaluate(mark.where, key_path + ("where",), panel.data)
        labels = _texts(data, panel.label, ("panels", index, "label"), panel.data)
        return frozenset(labels[_condition(keep, data.doc.problem(key_path + ("where",), "must be a condition")).to_numpy()])
    if isinstance(panel, MapPanel):
        table = data.tables[panel.data or data.scene.base_name]
        keys = table.frame[table.key].astype(str).reset_index(drop=True)
        if mark.top:
            values = _numbers(data, panel.colour, ("panels", index, "colour"), table.name)
            return frozenset(keys[values.sort_values(ascending=False).index[: mark.top]])
        keep = data.evaluate(mark.where, key_path + ("where",), table.name)
        return frozenset(keys[_condition(keep, data.doc.problem(key_path + ("where",), "must be a condition")).to_numpy()])
    raise BridgeError(data.doc.problem(key_path, f"marking rows works on map and bar panels, not {panel.type}"))


def _condition(value, problem: Problem) -> pd.Series:
    if not isinstance(value, pd.Series) or value.dtype != bool:
        raise BridgeError(problem)
    return value.reset_index(drop=True)


def _geotiff_bounds(image) -> tuple[float, float, float, float] | None:
    """Bounds from a GeoTIFF's ModelPixelScale (33550) and ModelTiepoint (33922) tags."""
    tags = getattr(image, "tag_v2", None)
    if not tags or 33550 not in tags or 33922 not in tags:
        return None
    sx, sy = tags[33550][:2]
    _, _, _, x0, y0, _ = tags[33922][:6]
    w, h = image.size
    return x0, y0 - sy * h, x0 + sx * w, y0
