"""The scene's spec models: datasets, measures, disclosure, backdrops, steps and their parts.

These are the typed parts of a scene file that do not depend on which panel types are
registered (bridge/scene/model.py builds the `Scene` around them, with its panel union).
Pydantic checks their types and limits and gives their JSON Schema; parameters' models are in
bridge/scene/params.py.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, cast

from pydantic import Field, field_validator, model_validator

from bridge.scene.fields import Expr, Strict


class Pivot(Strict):
    """Long (tidy) data to one column per value of `columns`: indicator/value tables."""

    columns: str = Field(description="Column whose values become new columns, e.g. indicator")
    values: str = Field(description="Column holding the numbers, e.g. value")


class Points(Strict):
    """Rows are point locations: which columns hold the coordinates, and in what system."""

    x: str = Field(description="Column of longitudes or eastings")
    y: str = Field(description="Column of latitudes or northings")
    crs: str = Field("EPSG:4326", description="EPSG:4326 (WGS84 lon/lat) or EPSG:27700 (British National Grid)")


class Aggregate(Strict):
    """Points counted (and summed) per polygon of the base dataset: point-in-area aggregation."""

    count: str | None = Field("count", description="Name of the new column counting points per area")
    sum: list[str] = Field(default_factory=list, description="Columns summed per area")


class JoinOn(Strict):
    on: str = Field(description="A column of the joined table whose values match this dataset's key (many-to-one)")


def refresh_seconds(value) -> float:
    """A dataset's `refresh:` as seconds: "30s", "5m", "1h" or a number of minutes, within the
    limits (bridge/limits.py: a shorter interval would re-read a database more than it can serve)."""
    import re

    from bridge.limits import MAX_REFRESH_S, MIN_REFRESH_S

    units = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value) * 60
    else:
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*", str(value))
        if found is None:
            raise ValueError(f"refresh: {str(value)[:40]!r} is not a duration; write e.g. 30s, 5m, 1h or a number of minutes")
        seconds = float(found.group(1)) * units[found.group(2) or "m"]
    if not MIN_REFRESH_S <= seconds <= MAX_REFRESH_S:
        raise ValueError(f"refresh: {seconds:g} s is outside {MIN_REFRESH_S:g} s to {MAX_REFRESH_S / 3600:g} h; "
                         "choose an interval in that range")
    return seconds


class ModelSource(Strict):
    """A Power BI model (a .pbix beside the scene) that datasets name by `model:` for its tables and measures."""

    path: str = Field(description="The .pbix file, relative to the scene file")
    as_of: date | None = Field(None, description=(
        "The day TODAY() and NOW() give its measures, e.g. 2024-06-30, so the briefing shows the same numbers "
        "tomorrow; default: the day it is drawn"))
    measures: dict[str, str] = Field(default_factory=dict, max_length=200, description=(
        "Measures of the scene's own, added to the model: name → DAX, e.g. {Sum of Sales: \"SUM('Sales'[Amount])\"} "
        "(`bridge import` writes a visual's own aggregations this way)"))

    @field_validator("path")
    @classmethod
    def _pbix(cls, value: str) -> str:
        if not value.lower().endswith(".pbix"):
            raise ValueError(f"'{value}' is not a Power BI file: name a .pbix (a theme .json goes under theme:)")
        return value


# The keys that say where a dataset's rows come from; a dataset names exactly one.
DATASET_SOURCES: tuple[str, ...] = ("path", "connection", "model")


class Dataset(Strict):
    """A table the scene reads: a file beside the scene and the key column it joins on."""

    path: str | None = Field(None, description="File path, relative to the scene file")
    key: str | None = Field(None, description="Column (or GeoJSON property) holding the area code to join on")
    table: str | None = Field(None, description=(
        "The table to read from a source that holds several: a Power BI model's table, a database's table or view"))
    connection: str | None = Field(None, description=(
        "A database connection the operator defined (connections file or BRIDGE_CONNECTION_NAME), e.g. gis; "
        "with table: (and columns:) or query:"))
    query: str | None = Field(None, description=(
        "With connection: a SELECT run in the database, where the operator's definition allows SQL (allow_sql: true)"))
    columns: list[str] | None = Field(None, description=(
        "The columns to read (a database table, or a file read by DuckDB); default: all"))
    engine: Literal["duckdb", "pandas"] | None = Field(None, description=(
        "How a local CSV or Parquet is read: duckdb (in-process, filters and counts pushed down) or pandas; "
        "default: duckdb for large files"))
    format: Literal["csv", "excel", "geojson", "parquet", "vector"] | None = Field(
        None, description="Inferred from the file extension when omitted; vector = GeoPackage, Shapefile, FlatGeobuf (via GDAL)")
    layer: str | int | None = Field(None, description="GeoPackage: the layer to read (default: the first)")
    join: bool | JoinOn = Field(True, description=(
        "true: join to the base on the key; {on: column}: match the key against that column; false: stand alone"))
    encoding: str | None = Field(None, description="CSV text encoding; detected (UTF-8, else cp1252) when omitted")
    delimiter: str | None = Field(None, description="CSV delimiter; detected when omitted")
    sheet: str | int | None = Field(None, description="Excel: sheet name or 0-based number (default: the first)")
    header_row: int = Field(1, ge=1, description="Excel/CSV: the 1-based row holding the column names")
    where: Expr | None = Field(None, description="Keep only rows where this is true, e.g. period == \"2017/18\"")
    pivot: Pivot | None = None
    crs: str | None = Field(None, description="Coordinates' system, e.g. EPSG:27700; GeoJSON default: its crs member or WGS84")
    points: Points | None = None
    aggregate: Aggregate | None = None
    counts: list[str] = Field(default_factory=list, description=(
        "Columns that count people: small values are suppressed. Named as the table is after where: and pivot:; "
        "in a pivoted dataset, naming the pivot's values: column (e.g. counts: [value]) makes every pivoted column "
        "a count, or name pivoted columns one by one when only some indicators are counts"))
    personal: bool = Field(
        False, description="Rows are about individual people: never drawn as points unless the scene allows it")
    model: str | None = Field(None, description=(
        "A Power BI model named under models:; with table: that table's rows, or with measures: its measures' values"))
    measures: list[str] = Field(default_factory=list, max_length=50, description=(
        "With model: measures to evaluate, one column each, named as in the model, e.g. [Total Revenue, GM%]"))
    by: list[str] = Field(default_factory=list, max_length=5, description=(
        "With measures: columns to break them down by, as Table[Column], e.g. [\"Customer[Country]\"]: "
        "one row per value, filtered along the model's relationships; none gives one row"))
    filters: dict[str, str | float | bool | list[str | float | bool]] = Field(default_factory=dict, description=(
        "With measures: slicers, Table[Column] → a value or a list of values; \"{params.NAME}\" takes a parameter's "
        "value (its all option removes the filter)"))
    refresh: float | str | None = Field(None, description=(
        "During bridge launch, read this dataset again this often and redraw the steps that read it: "
        "30s, 5m, 1h, or a number of minutes (at least 1 s); read as seconds"))

    @field_validator("refresh", mode="before")
    @classmethod
    def _refresh_seconds(cls, value):
        return None if value is None else refresh_seconds(value)

    @model_validator(mode="after")
    def _one_source(self):
        given = [key for key in DATASET_SOURCES if getattr(self, key, None) is not None]
        if len(given) != 1:
            names = " or ".join(f"{key}:" for key in DATASET_SOURCES)
            raise ValueError(f"give exactly one source: {names}" + (f" (it gives {', '.join(given)})" if given else ""))
        if self.query is not None and self.connection is None:
            raise ValueError("query: runs in a database: name its connection: too (a file is read with path:)")
        return self

    @model_validator(mode="before")
    @classmethod
    def _model_stands_alone(cls, raw):
        """A dataset from a Power BI model joins the base only when it gives key: (a KPI's one row stands alone)."""
        if isinstance(raw, dict) and raw.get("model") is not None and raw.get("key") is None and "join" not in raw:
            return {**raw, "join": False}
        return raw

    @model_validator(mode="after")
    def _model_query(self):
        """measures:, by: and filters: belong to a model; a model gives table: or measures:, not both."""
        asked = [key for key in ("measures", "by", "filters") if getattr(self, key)]
        if self.model is None and asked:
            raise ValueError(f"{', '.join(k + ':' for k in asked)} ask a Power BI model: add model: (named under models:)")
        if self.model is not None and (self.table is None) == (not self.measures):
            raise ValueError("a dataset from a model gives table: (one of its tables) or measures: (its measures), "
                             "not both" if self.table else "a dataset from a model gives table: or measures:")
        if self.model is not None and self.table is not None and (self.by or self.filters):
            raise ValueError("by: and filters: go with measures:, not with table: (filter a table's rows with where:)")
        return self


class Disclosure(Strict):
    """Statistical disclosure control for counts of people."""

    min_count: int = Field(5, ge=1, description="Counts below this are shown as suppressed")
    allow_personal_points: bool = Field(False, description="Allow datasets marked personal to be drawn as points")


class Measure(Strict):
    expr: Expr
    count: bool = Field(False, description="The measure counts people: small values are suppressed")


class Mark(Strict):
    """Rows a step picks out in a panel: the top N, or those where a condition holds."""

    top: int | None = Field(None, ge=1, le=100)
    where: Expr | None = None


class Backdrop(Strict):
    """A 360° photo or video behind the panels: equirectangular (twice as wide as tall).

    Exactly one of `image` and `video`.  Renders, validation and the web show a video's first
    frame; `bridge launch` plays it live under the panels (V pauses), see bridge/show/video.py."""

    image: str | None = Field(
        None, description="An equirectangular photo (JPEG or PNG) beside the scene, e.g. a drone panorama of the town")
    video: str | None = Field(None, description=(
        "An equirectangular 360° video (e.g. MP4 or WebM) beside the scene; "
        "the show plays it (V pauses), renders use its first frame"))
    loop: bool = Field(True, description="A video starts again when it ends (false: it holds its last frame)")
    brightness: float = Field(0.6, ge=0.05, le=1.0, description=(
        "How bright it shows (1 = as photographed); below 1 keeps the panels the brightest things in the room"))

    @model_validator(mode="after")
    def _image_or_video(self):
        if (self.image is None) == (self.video is None):
            raise ValueError("give exactly one of image: (a 360° photo) or video: (a 360° video)")
        return self

    @property
    def file(self) -> str:
        """The photo's or the video's path, as the scene names it."""
        return self.image if self.image is not None else cast(str, self.video)  # _image_or_video: one of them is set

    @property
    def kind(self) -> str:
        return "image" if self.image is not None else "video"


class Walls(Strict):
    """A layout on chosen walls: projector numbers in the room profile's order, from 1."""

    walls: list[int] = Field(min_length=1, max_length=64, description="e.g. [1, 2]: the walls panels Bridge places go on")


# Where panels Bridge places go: fill = every wall, front = the walls ahead, or chosen walls.
Layout = Literal["fill", "front"] | Walls


class Step(Strict):
    """One stop in the briefing: which panels are up, which to draw attention to."""

    title: str
    show: list[str] = Field(min_length=1, description="Panel ids shown in this step")
    highlight: str | list[str] | None = Field(None, description="Shown panel(s) to emphasise; the others dim")
    mark: dict[str, Mark] = Field(default_factory=dict, description="Panel id → rows to pick out in this step")
    notes: str = Field("", description="Presenter notes")
    params: dict[str, str | float | bool] = Field(
        default_factory=dict,
        description="Parameter values this step shows, e.g. {ward: Castle}; 'all' for a choice's all option")
    backdrop: Backdrop | Literal["none"] | None = Field(
        None, description="This step's 360° photo or video behind the panels, or none; default: the scene's")
    layout: Layout | None = Field(None, description=(
        "Where this step's panels that Bridge places go: fill (every wall), front (the walls ahead) or {walls: [1, 2]}; "
        "default: the scene's layout"))

    @property
    def highlighted(self) -> list[str]:
        if self.highlight is None:
            return []
        return [self.highlight] if isinstance(self.highlight, str) else list(self.highlight)
