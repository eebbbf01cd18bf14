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

DATA_FORMATS = ("csv", "geojson", "parquet")
_EXTENSIONS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".parquet": "parquet", ".pq": "parquet"}


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


Yaw = _range(-180, 180)
Pitch = _range(-80, 80)
Width = _range(0, 360, open_lo=True)
Height = _range(0, 150, open_lo=True)
Expr = Annotated[str, AfterValidator(_expression), Field(description="An expression over columns, e.g. people.total or sum(homes.households)")]
PanelId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", description="Letters, digits, - and _")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dataset(_Strict):
    """A table the scene reads: a file beside the scene and the key column it joins on."""

    path: str = Field(description="File path, relative to the scene file")
    key: str = Field(description="Column (or GeoJSON property) holding the area code to join on")
    format: Literal["csv", "geojson", "parquet"] | None = Field(None, description="Inferred from the file extension when omitted")
    join: bool = Field(True, description="Join this table to the base dataset on its key")

    def resolved_format(self) -> str | None:
        return self.format or _EXTENSIONS.get(Path(self.path).suffix.lower())


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


class MapPanel(_Panel):
    """A choropleth: the base dataset's polygons coloured by an expression."""

    type: Literal["map"]
    colour: Expr
    classes: Classes = Classes()
    palette: str = Field("viridis", description="A matplotlib colour map name")
    legend: str | None = Field(None, description="Legend heading, e.g. the unit")


class BarPanel(_Panel):
    """A horizontal bar chart, sorted, optionally the top N."""

    type: Literal["bar"]
    value: Expr
    label: Expr
    top: int | None = Field(15, ge=1, le=100)
    order: Literal["descending", "ascending"] = "descending"
    unit: str | None = None


class KpiPanel(_Panel):
    """One big number with a label."""

    type: Literal["kpi"]
    value: Expr
    label: str | None = None
    unit: str | None = None
    format: str = Field("{:,.0f}", description="Python format spec, e.g. '{:.1%}'")


class TextPanel(_Panel):
    """A title or a paragraph."""

    type: Literal["text"]
    text: str
    style: Literal["title", "paragraph"] = "paragraph"


Panel = Annotated[Union[MapPanel, BarPanel, KpiPanel, TextPanel], Field(discriminator="type")]
PANEL_TYPES = {"map": MapPanel, "bar": BarPanel, "kpi": KpiPanel, "text": TextPanel}


class Step(_Strict):
    """One stop in the briefing: which panels are up, which to draw attention to."""

    title: str
    show: list[str] = Field(min_length=1, description="Panel ids shown in this step")
    highlight: str | list[str] | None = Field(None, description="Shown panel(s) to emphasise; the others dim")

    @property
    def highlighted(self) -> list[str]:
        if self.highlight is None:
            return []
        return [self.highlight] if isinstance(self.highlight, str) else list(self.highlight)
    notes: str = Field("", description="Presenter notes")


class Scene(_Strict):
    """A briefing: data, derived measures, panels around the room and the steps through them."""

    title: str
    source: str | None = Field(None, description="Shown small on every panel unless it has its own")
    base: str | None = Field(None, description="The dataset others join to; defaults to the first")
    datasets: dict[str, Dataset] = Field(min_length=1)
    derive: dict[str, Expr] = Field(default_factory=dict, description="Named measures computed once")
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

    def data_path(self, dataset: Dataset) -> Path:
        folder = self.file.parent if self.file else Path.cwd()
        return (folder / dataset.path).resolve()


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
    if base is not None and base not in datasets_raw:
        problems.append(doc.problem(("base",), f"no dataset '{base}'{did_you_mean(base, datasets)}; datasets: {', '.join(datasets)}"))
    for name, dataset in datasets_raw.items():
        if isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and not dataset.get("format"):
            if Path(dataset["path"]).suffix.lower() not in _EXTENSIONS:
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
        data = panel.get("data")
        if data is not None and data not in datasets_raw:
            problems.append(doc.problem(("panels", i, "data"), f"no dataset '{data}'{did_you_mean(data, datasets)}; datasets: {', '.join(datasets)}"))
        pitch, height = panel.get("pitch", 0), panel.get("height")
        if _number(pitch) and _number(height) and abs(pitch) + height / 2 > 85:
            problems.append(doc.problem(("panels", i, "height"), f"the panel reaches pitch {abs(pitch) + height / 2:g}°; keep pitch ± height/2 within -85..85"))
    steps = raw.get("steps") if isinstance(raw.get("steps"), list) else []
    for s, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        show = step.get("show") if isinstance(step.get("show"), list) else []
        for j, panel_id in enumerate(show):
            if panel_id not in ids:
                problems.append(doc.problem(("steps", s, "show", j), f"no panel '{panel_id}'{did_you_mean(str(panel_id), ids)}; panels: {', '.join(ids)}"))
        highlight = step.get("highlight")
        for j, panel_id in enumerate(highlight if isinstance(highlight, list) else [highlight]):
            where = ("steps", s, "highlight", j) if isinstance(highlight, list) else ("steps", s, "highlight")
            if panel_id is not None and panel_id not in show:
                problems.append(doc.problem(where, f"'{panel_id}' is not shown in this step; add it to show or pick from {', '.join(map(str, show))}"))
    return problems


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
