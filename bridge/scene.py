"""The scene model: a YAML briefing loaded into typed, validated objects.

Pydantic does the type checking and gives us JSON Schema for editors; this module turns
its errors into messages that name the file, line and key, adds "did you mean"
suggestions, and checks the cross references (steps name panels that exist, and so on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bridge import expressions
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.validation import pydantic_problems
from bridge.yaml_source import YamlDocument, load_yaml

DATA_FORMATS = ("csv", "excel", "geojson", "parquet", "vector")
_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
               ".geojson": "geojson", ".json": "geojson", ".parquet": "parquet", ".pq": "parquet",
               ".gpkg": "vector", ".shp": "vector", ".fgb": "vector"}


def format_of(path: str) -> str | None:
    """The data format a file name implies (a trailing .gz is looked through)."""
    suffixes = [x.lower() for x in Path(path).suffixes]
    if len(suffixes) > 1 and suffixes[-1] == ".gz":
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def _range(lo: float, hi: float, *, open_lo: bool = False):
    """A float type limited to lo..hi whose error reads '400 is outside -180..180'."""

    def check(v: float) -> float:
        if open_lo and not lo < v <= hi:
            raise ValueError(f"{v:g} must be more than {lo:g} and at most {hi:g}")
        if not lo <= v <= hi:
            raise ValueError(f"{v:g} is outside {lo:g}..{hi:g}")
        return v

    schema = {"maximum": hi, ("exclusiveMinimum" if open_lo else "minimum"): lo}
    return Annotated[float, AfterValidator(check), Field(json_schema_extra=schema)]


def _expression(text: str) -> str:
    try:
        expressions.parse(text)
    except expressions.ExpressionError as exc:
        raise ValueError(str(exc)) from None
    return text


def _palette(name: str) -> str:
    from matplotlib import colormaps

    if name not in colormaps:
        raise ValueError(f"unknown palette '{name}'{did_you_mean(name, list(colormaps))}; "
                         "colour-blind-safe choices: viridis, cividis, magma, inferno, plasma, YlOrRd, Blues")
    return name


Palette = Annotated[str, AfterValidator(_palette), Field(description="A matplotlib colour map, e.g. viridis")]
Yaw = _range(-180, 180)
Pitch = _range(-80, 80)
Width = _range(0, 360, open_lo=True)
Height = _range(0, 150, open_lo=True)
Expr = Annotated[str, AfterValidator(_expression), Field(description="An expression over columns, e.g. people.total or sum(homes.households)")]
PanelId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", description="Letters, digits, - and _")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pivot(_Strict):
    """Long (tidy) data to one column per value of `columns`: indicator/value tables."""

    columns: str = Field(description="Column whose values become new columns, e.g. indicator")
    values: str = Field(description="Column holding the numbers, e.g. value")


class Points(_Strict):
    """Rows are point locations: which columns hold the coordinates, and in what system."""

    x: str = Field(description="Column of longitudes or eastings")
    y: str = Field(description="Column of latitudes or northings")
    crs: str = Field("EPSG:4326", description="EPSG:4326 (WGS84 lon/lat) or EPSG:27700 (British National Grid)")


class Aggregate(_Strict):
    """Points counted (and summed) per polygon of the base dataset: point-in-area aggregation."""

    count: str | None = Field("count", description="Name of the new column counting points per area")
    sum: list[str] = Field(default_factory=list, description="Columns summed per area")


class JoinOn(_Strict):
    on: str = Field(description="A column of the joined table whose values match this dataset's key (many-to-one)")


class Dataset(_Strict):
    """A table the scene reads: a file beside the scene and the key column it joins on."""

    path: str = Field(description="File path, relative to the scene file")
    key: str | None = Field(None, description="Column (or GeoJSON property) holding the area code to join on")
    format: Literal["csv", "excel", "geojson", "parquet", "vector"] | None = Field(
        None, description="Inferred from the file extension when omitted; vector = GeoPackage, Shapefile, FlatGeobuf (via GDAL)")
    layer: str | int | None = Field(None, description="GeoPackage: the layer to read (default: the first)")
    join: bool | JoinOn = Field(True, description="true: join to the base on the key; {on: column}: match the key against that column; false: stand alone")
    encoding: str | None = Field(None, description="CSV text encoding; detected (UTF-8, else cp1252) when omitted")
    delimiter: str | None = Field(None, description="CSV delimiter; detected when omitted")
    sheet: str | int | None = Field(None, description="Excel: sheet name or 0-based number (default: the first)")
    header_row: int = Field(1, ge=1, description="Excel/CSV: the 1-based row holding the column names")
    where: Expr | None = Field(None, description="Keep only rows where this is true, e.g. period == \"2017/18\"")  # type: ignore[valid-type]
    pivot: Pivot | None = None
    crs: str | None = Field(None, description="Coordinates' system, e.g. EPSG:27700; GeoJSON default: its crs member or WGS84")
    points: Points | None = None
    aggregate: Aggregate | None = None
    counts: list[str] = Field(default_factory=list, description="Columns that count people: small values are suppressed")
    personal: bool = Field(False, description="Rows are about individual people: never drawn as points unless the scene allows it")

    def resolved_format(self) -> str | None:
        return self.format or format_of(self.path)


class Disclosure(_Strict):
    """Statistical disclosure control for counts of people."""

    min_count: int = Field(5, ge=1, description="Counts below this are shown as suppressed")
    allow_personal_points: bool = Field(False, description="Allow datasets marked personal to be drawn as points")


class Measure(_Strict):
    expr: Expr  # type: ignore[valid-type]
    count: bool = Field(False, description="The measure counts people: small values are suppressed")


class Classes(_Strict):
    """How a choropleth groups values into colours."""

    method: Literal["quantiles", "equal", "fixed"] = "quantiles"
    count: int = Field(5, ge=2, le=9)
    breaks: list[float] | None = Field(None, description="Inner class boundaries, for method: fixed")


class _Panel(_Strict):
    id: PanelId
    title: str | None = None
    source: str | None = Field(None, description="Where the data came from; defaults to the scene's source")
    data: str | None = Field(None, description="Dataset name; defaults to the scene's base dataset")
    yaw: Yaw = Field(0, description="Degrees; 0 ahead, positive to the right")  # type: ignore[valid-type]
    pitch: Pitch = Field(0, description="Degrees; positive up")  # type: ignore[valid-type]
    width: Width = Field(description="Degrees of yaw the panel spans")  # type: ignore[valid-type]
    height: Height = Field(description="Degrees of pitch the panel spans")  # type: ignore[valid-type]


class Raster(_Strict):
    """A georeferenced picture under a map: a GeoTIFF, or any image with stated bounds."""

    path: str = Field(description="PNG/JPEG/TIFF beside the scene")
    bounds: tuple[float, float, float, float] | None = Field(None, description="west, south, east, north; read from a GeoTIFF when omitted")
    crs: str = Field("EPSG:27700", description="Coordinates of the bounds")
    opacity: float = Field(0.85, ge=0, le=1)


class Layer(_Strict):
    """Points drawn over a map: a points dataset."""

    data: str = Field(description="A dataset with points:")
    colour: str = Field("#f8fafc", description="A colour name or #hex")
    size: float = Field(4.0, gt=0, le=200, description="Marker area in points²")


class MapPanel(_Panel):
    """A choropleth: the base dataset's polygons coloured by an expression, with optional layers."""

    type: Literal["map"]
    colour: Expr | None = Field(None, description="Value per area; omit for outlines only (e.g. under points)")  # type: ignore[valid-type]
    classes: Classes = Classes()
    palette: Palette = Field("viridis", description="A matplotlib colour map name (colour-blind-safe default)")  # type: ignore[valid-type]
    legend: str | None = Field(None, description="Legend heading, e.g. the unit")
    labels: int = Field(0, ge=0, le=30, description="Label the top N areas by value")
    label: Expr | None = Field(None, description="Text of those labels (default: the key)")  # type: ignore[valid-type]
    outline: str | None = Field(None, description="A GeoJSON dataset drawn as outlines on top (e.g. districts)")
    raster: Raster | None = None
    points: Layer | None = None


class PointsPanel(_Panel):
    """Individual points over the base dataset's outlines."""

    type: Literal["points"]
    data: str = Field(description="A dataset with points:")
    colour: Expr | None = Field(None, description="Value per point, coloured with the palette")  # type: ignore[valid-type]
    palette: Palette = "viridis"  # type: ignore[valid-type]
    size: float = Field(4.0, gt=0, le=200)
    legend: str | None = None


class HeatmapPanel(_Panel):
    """Density of points (optionally weighted) over the base dataset's outlines."""

    type: Literal["heatmap"]
    data: str = Field(description="A dataset with points:")
    weight: Expr | None = None  # type: ignore[valid-type]
    radius_km: float = Field(2.0, gt=0, le=100, description="Smoothing radius")
    palette: Palette = "inferno"  # type: ignore[valid-type]
    legend: str | None = None


class ExtrudedPanel(_Panel):
    """3D prisms over the map whose heights encode a value, seen from the centre of the room."""

    type: Literal["extruded"]
    colour: Expr  # type: ignore[valid-type]
    palette: Palette = "viridis"  # type: ignore[valid-type]
    height_scale: float = Field(1.0, gt=0, le=10, description="Tallest prism as a fraction of the map's depth × 0.25")
    legend: str | None = None


class BarPanel(_Panel):
    """A horizontal bar chart, sorted, optionally the top N."""

    type: Literal["bar"]
    value: Expr  # type: ignore[valid-type]
    label: Expr  # type: ignore[valid-type]
    top: int | None = Field(15, ge=1, le=100)
    order: Literal["descending", "ascending"] = "descending"
    unit: str | None = None
    highlight: str | None = Field(None, description="Label of a bar to pick out")
    group: Literal["sum", "mean"] | None = Field(None, description="Combine rows with the same label, e.g. areas into wards")


class LinePanel(_Panel):
    """A time series: one line per series."""

    type: Literal["line"]
    x: Expr = Field(description="Column of periods (text or numbers), in order")  # type: ignore[valid-type]
    y: Expr  # type: ignore[valid-type]
    series: Expr | None = Field(None, description="Column naming each line")  # type: ignore[valid-type]
    where: Expr | None = None  # type: ignore[valid-type]
    unit: str | None = None
    highlight: str | None = Field(None, description="Series to draw strongest")


class TablePanel(_Panel):
    """The top N rows of a table."""

    type: Literal["table"]
    columns: dict[str, Expr] = Field(min_length=1, description="Heading → expression")  # type: ignore[valid-type]
    sort: str | None = Field(None, description="Heading to sort by (descending)")
    top: int = Field(10, ge=1, le=40)
    format: str = Field("{:,.1f}", description="Format of numbers")


class KpiPanel(_Panel):
    """One big number with a label, optionally its change against a comparison and a sparkline."""

    type: Literal["kpi"]
    value: Expr  # type: ignore[valid-type]
    label: str | None = None
    unit: str | None = None
    format: str = Field("{:,.0f}", description="Python format spec, e.g. '{:.1%}'")
    compare: Expr | None = Field(None, description="A number to compare with; the change is shown")  # type: ignore[valid-type]
    compare_label: str | None = Field(None, description="e.g. 'vs England'")
    spark: Expr | None = Field(None, description="A column of values drawn as a small line")  # type: ignore[valid-type]


class TextPanel(_Panel):
    """A title or a paragraph; **double asterisks** mark emphasis."""

    type: Literal["text"]
    text: str
    style: Literal["title", "paragraph"] = "paragraph"


class ImagePanel(_Panel):
    """A picture from disk."""

    type: Literal["image"]
    path: str = Field(description="PNG or JPEG beside the scene")
    fit: Literal["contain", "cover"] = "contain"


Panel = Annotated[Union[MapPanel, PointsPanel, HeatmapPanel, ExtrudedPanel, BarPanel, LinePanel, TablePanel,
                        KpiPanel, TextPanel, ImagePanel], Field(discriminator="type")]
PANEL_TYPES = {"map": MapPanel, "points": PointsPanel, "heatmap": HeatmapPanel, "extruded": ExtrudedPanel,
               "bar": BarPanel, "line": LinePanel, "table": TablePanel, "kpi": KpiPanel, "text": TextPanel,
               "image": ImagePanel}


class Mark(_Strict):
    """Rows a step picks out in a panel: the top N, or those where a condition holds."""

    top: int | None = Field(None, ge=1, le=100)
    where: Expr | None = None  # type: ignore[valid-type]


class Step(_Strict):
    """One stop in the briefing: which panels are up, which to draw attention to."""

    title: str
    show: list[str] = Field(min_length=1, description="Panel ids shown in this step")
    highlight: str | list[str] | None = Field(None, description="Shown panel(s) to emphasise; the others dim")
    mark: dict[str, Mark] = Field(default_factory=dict, description="Panel id → rows to pick out in this step")
    notes: str = Field("", description="Presenter notes")

    @property
    def highlighted(self) -> list[str]:
        if self.highlight is None:
            return []
        return [self.highlight] if isinstance(self.highlight, str) else list(self.highlight)


class Scene(_Strict):
    """A briefing: data, derived measures, panels around the room and the steps through them."""

    title: str
    source: str | None = Field(None, description="Shown small on every panel unless it has its own")
    base: str | None = Field(None, description="The dataset others join to; defaults to the first")
    disclosure: Disclosure = Disclosure()
    theme: str | None = Field(None, description="A theme YAML file (colours, fonts, type sizes)")
    datasets: dict[str, Dataset] = Field(min_length=1)
    derive: dict[str, Union[Expr, Measure]] = Field(default_factory=dict, description="Named measures computed once")  # type: ignore[valid-type]
    panels: list[Panel] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    transition_ms: int = Field(0, ge=0, le=10000, description="Cross-fade between steps in the live show, milliseconds; 0 cuts")

    # Set by load_scene: where the file is, so data paths and messages can be resolved.
    model_config = ConfigDict(extra="forbid", frozen=False)
    file: Path | None = Field(None, exclude=True, json_schema_extra={"skip": True})

    @property
    def base_name(self) -> str:
        return self.base or next(iter(self.datasets))

    def panel(self, panel_id: str):
        return next(p for p in self.panels if p.id == panel_id)

    def path(self, relative: str) -> Path:
        folder = self.file.parent if self.file else Path.cwd()
        return (folder / relative).resolve()

    def data_path(self, dataset: Dataset) -> Path:
        return self.path(dataset.path)

    def input_files(self) -> list[Path]:
        """Every file the briefing reads besides itself: data, theme, rasters and images."""
        files = [self.data_path(d) for d in self.datasets.values()]
        files += [self.path(self.theme)] if self.theme else []
        for panel in self.panels:
            if isinstance(panel, ImagePanel):
                files.append(self.path(panel.path))
            if isinstance(panel, MapPanel) and panel.raster:
                files.append(self.path(panel.raster.path))
        return list(dict.fromkeys(files))

    def measure(self, name: str) -> Measure:
        value = self.derive[name]
        return value if isinstance(value, Measure) else Measure(expr=value)


def json_schema() -> dict[str, Any]:
    """The scene format as JSON Schema (for editors' YAML completion)."""
    schema = Scene.model_json_schema()
    schema["properties"].pop("file", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bridge scene"
    return schema


def load_scene(path: str | Path) -> tuple[Scene, YamlDocument]:
    """Load and validate a scene file; every problem found is raised at once."""
    doc = load_yaml(path, what="scene file")
    if not isinstance(doc.data, dict):
        raise BridgeError(doc.problem((), "a scene must be a mapping with title, datasets, panels and steps"))
    problems = _cross_references(doc.data, doc)
    try:
        scene = Scene.model_validate(doc.data)
    except ValidationError as exc:
        problems = pydantic_problems(exc, doc, Scene, PANEL_TYPES) + problems
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise BridgeError(problems)
    scene.file = Path(path)
    return scene, doc


def _cross_references(raw: dict, doc: YamlDocument) -> list[Problem]:
    """Checks pydantic cannot do alone: names that must refer to other parts of the scene.

    They run on the raw YAML data, so they are reported together with type errors.
    """
    problems: list[Problem] = []
    datasets_raw = raw.get("datasets") if isinstance(raw.get("datasets"), dict) else {}
    datasets = [str(k) for k in datasets_raw]
    base = raw.get("base")
    if isinstance(base, str) and base not in datasets_raw:
        problems.append(doc.problem(("base",), f"no dataset '{base}'{did_you_mean(base, datasets)}; datasets: {', '.join(datasets)}"))
    for name, dataset in datasets_raw.items():
        if isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and not dataset.get("format"):
            if format_of(dataset["path"]) is None:
                problems.append(doc.problem(("datasets", name, "path"), f"cannot tell the format of '{dataset['path']}'; add format: one of {', '.join(DATA_FORMATS)}"))
    derive = raw.get("derive") if isinstance(raw.get("derive"), dict) else {}
    for name in derive:
        if name in datasets_raw:
            problems.append(doc.problem(("derive", name), f"'{name}' is also a dataset name; rename the measure"))
    ids: dict[str, int] = {}
    panels = raw.get("panels") if isinstance(raw.get("panels"), list) else []
    for i, panel in enumerate(panels):
        if not isinstance(panel, dict):
            continue
        pid = panel.get("id")
        if isinstance(pid, str):
            if pid in ids:
                problems.append(doc.problem(("panels", i, "id"), f"'{pid}' is already the id of panels[{ids[pid]}]; ids must be unique"))
            ids.setdefault(pid, i)
        named = [(("panels", i, "data"), panel.get("data")), (("panels", i, "outline"), panel.get("outline"))]
        if isinstance(panel.get("points"), dict):
            named.append((("panels", i, "points", "data"), panel["points"].get("data")))
        for where, data in named:
            if isinstance(data, str) and data not in datasets_raw:
                problems.append(doc.problem(where, f"no dataset '{data}'{did_you_mean(str(data), datasets)}; datasets: {', '.join(datasets)}"))
        pitch, height = panel.get("pitch", 0), panel.get("height")
        if _number(pitch) and _number(height) and abs(pitch) + height / 2 > 85:
            problems.append(doc.problem(("panels", i, "height"), f"the panel reaches pitch {abs(pitch) + height / 2:g}°; keep pitch ± height/2 within -85..85"))
    steps = raw.get("steps") if isinstance(raw.get("steps"), list) else []
    for s, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        show = step.get("show") if isinstance(step.get("show"), list) else []
        for j, panel_id in enumerate(show):
            if isinstance(panel_id, str) and panel_id not in ids:
                problems.append(doc.problem(("steps", s, "show", j), f"no panel '{panel_id}'{did_you_mean(str(panel_id), ids)}; panels: {', '.join(ids)}"))
        marks = step.get("mark") if isinstance(step.get("mark"), dict) else {}
        for panel_id in marks:
            if panel_id not in ids:
                problems.append(doc.problem(("steps", s, "mark", panel_id), f"no panel '{panel_id}'{did_you_mean(str(panel_id), ids)}; panels: {', '.join(ids)}"))
            elif panel_id not in show:
                problems.append(doc.problem(("steps", s, "mark", panel_id), f"'{panel_id}' is not shown in this step; add it to show"))
        highlight = step.get("highlight")
        for j, panel_id in enumerate(highlight if isinstance(highlight, list) else [highlight]):
            where = ("steps", s, "highlight", j) if isinstance(highlight, list) else ("steps", s, "highlight")
            if isinstance(panel_id, str) and panel_id not in show:
                problems.append(doc.problem(where, f"'{panel_id}' is not shown in this step; add it to show or pick from {', '.join(map(str, show))}"))
    return problems


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
