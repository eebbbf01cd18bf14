"""The scene's spec models: datasets, measures, disclosure, backdrops, steps and their parts.

These are the typed parts of a scene file that do not depend on which panel types are
registered (bridge/scene/model.py builds the `Scene` around them, with its panel union).
Pydantic checks their types and limits and gives their JSON Schema; parameters' models are in
bridge/scene/params.py.
"""

from __future__ import annotations

from typing import Literal, cast

from pydantic import Field, model_validator

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


# The keys that say where a dataset's rows come from; a dataset names exactly one.
DATASET_SOURCES: tuple[str, ...] = ("path",)


class Dataset(Strict):
    """A table the scene reads: a file beside the scene and the key column it joins on."""

    path: str | None = Field(None, description="File path, relative to the scene file")
    key: str | None = Field(None, description="Column (or GeoJSON property) holding the area code to join on")
    table: str | None = Field(None, description=(
        "The table to read from a source that holds several: a Power BI model's table, a database's table or view"))
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

    @model_validator(mode="after")
    def _one_source(self):
        given = [key for key in DATASET_SOURCES if getattr(self, key, None) is not None]
        if len(given) != 1:
            names = " or ".join(f"{key}:" for key in DATASET_SOURCES)
            raise ValueError(f"give exactly one source: {names}" + (f" (it gives {', '.join(given)})" if given else ""))
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

    @property
    def highlighted(self) -> list[str]:
        if self.highlight is None:
            return []
        return [self.highlight] if isinstance(self.highlight, str) else list(self.highlight)
