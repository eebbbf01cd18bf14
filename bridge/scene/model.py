"""The scene model: a YAML briefing loaded into typed, validated objects.

Pydantic does the type checking and gives us JSON Schema for editors; this module turns
its errors into messages that name the file, line and key, adds "did you mean"
suggestions, and checks the cross references (steps name panels that exist, and so on).
The `Scene` is built around the registered panel types (bridge.panels); the parts that do
not depend on them (datasets, measures, steps…) are in bridge/scene/spec.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeGuard

from pydantic import ConfigDict, Field, ValidationError, create_model

from bridge import panels
from bridge.data.formats import DATA_FORMATS, format_of
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.limits import MAX_DATASETS, MAX_PANELS, MAX_PARAMS, MAX_STEPS
from bridge.panels.common.base import PanelModel
from bridge.scene import containment
from bridge.scene.fields import Expr, Strict
from bridge.scene.params import Param
from bridge.scene.spec import Backdrop, Dataset, Disclosure, Layout, Mark, Measure, ModelSource, Step  # noqa: F401 - Mark re-exported
from bridge.scene.validation import pydantic_problems
from bridge.scene.yaml_nodes import list_in, mapping_in
from bridge.scene.yaml_source import YamlDocument, load_yaml


class Scene(Strict):
    """A briefing: data, derived measures, panels around the room and the steps through them."""

    title: str
    source: str | None = Field(None, description="Shown small on every panel unless it has its own")
    base: str | None = Field(None, description="The dataset others join to; defaults to the first")
    disclosure: Disclosure = Disclosure()
    theme: str | None = Field(None, description=(
        "A theme YAML file (colours, fonts, type sizes), or a Power BI report's theme: its .pbix or a theme .json"))
    datasets: dict[str, Dataset] = Field(min_length=1, max_length=MAX_DATASETS)
    models: dict[str, ModelSource] = Field(default_factory=dict, max_length=MAX_DATASETS, description=(
        "Power BI models (.pbix) named once: name → {path, as_of}; datasets read them with model: NAME"))
    params: dict[str, Param] = Field(default_factory=dict, max_length=MAX_PARAMS, description=(
        "Questions the room can ask live: name → a choice, number or toggle; "
        "read as params.NAME in expressions and {params.NAME} in text"))
    derive: dict[str, Expr | Measure] = Field(default_factory=dict, description="Named measures computed once")
    panels: list[PanelModel] = Field(
        min_length=1, max_length=MAX_PANELS, description="The registered panel types (see scene_model)")
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    transition_ms: int = Field(0, ge=0, le=10000, description="Cross-fade between steps in the live show, milliseconds; 0 cuts")
    backdrop: Backdrop | None = Field(
        None, description="A 360° photo or video behind the panels in every step (a step may change it)")
    layout: Layout | None = Field(None, description=(
        "Where panels Bridge places go (those without yaw, pitch, width and height): fill (every wall, the default), "
        "front (the walls ahead) or {walls: [1, 2]}; a step may choose its own"))

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

    def data_path(self, dataset: Dataset) -> Path | None:
        """The file a dataset reads, or None for one that reads no file of its own."""
        if getattr(dataset, "model", None) is not None and dataset.model in self.models:  # a Power BI model's file
            return self.path(self.models[dataset.model].path)
        return self.path(dataset.path) if dataset.path is not None else None

    def input_files(self) -> list[Path]:
        """Every file the briefing reads besides itself: data, theme, rasters and images."""
        files = [path for d in self.datasets.values() if (path := self.data_path(d)) is not None]
        files += [self.path(self.theme)] if self.theme else []
        for panel in self.panels:
            files += [self.path(relative) for _, relative in panel.files()]
        files += [self.path(b.file) for b in self.backdrops()]
        return list(dict.fromkeys(files))

    def backdrops(self) -> list[Backdrop]:
        """Every backdrop the scene or a step names."""
        found = [self.backdrop] if self.backdrop else []
        return found + [s.backdrop for s in self.steps if isinstance(s.backdrop, Backdrop)]

    def step_backdrop(self, index: int) -> Backdrop | None:
        """The backdrop a step shows: its own, none, or the scene's."""
        own = self.steps[index].backdrop
        return None if own == "none" else own or self.backdrop

    def step_video(self, index: int) -> Backdrop | None:
        """A step's backdrop if it is a video (the show plays it), else None."""
        backdrop = self.step_backdrop(index)
        return backdrop if backdrop is not None and backdrop.video is not None else None

    def measure(self, name: str) -> Measure:
        value = self.derive[name]
        return value if isinstance(value, Measure) else Measure(expr=value)


_model: tuple[int, type[Scene]] | None = None


def scene_model() -> type[Scene]:
    """`Scene` whose `panels:` accept exactly the registered panel types (rebuilt when they change)."""
    global _model
    if _model is None or _model[0] != panels.version():
        list_of: Any = list  # the item type is only known at run time, so no static checker can read list[...] here
        model = create_model("Scene", __base__=Scene, __doc__=Scene.__doc__,
                             panels=(list_of[panels.panel_union()], Field(min_length=1, max_length=MAX_PANELS)))
        _model = (panels.version(), model)
    return _model[1]


def json_schema() -> dict[str, Any]:
    """The scene format as JSON Schema (for editors' YAML completion)."""
    schema = scene_model().model_json_schema()
    schema["properties"].pop("file", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Bridge scene"
    return schema


def load_scene(path: str | Path) -> tuple[Scene, YamlDocument]:
    """Load and validate a scene file; every problem found is raised at once."""
    doc = load_yaml(path, what="scene file")
    if not isinstance(doc.data, dict):
        raise BridgeError(doc.problem((), "a scene must be a mapping with title, datasets, panels and steps"))
    problems, contained = _contained(doc.data, doc, Path(path))
    problems += _cross_references(doc.data, doc, contained)
    model = scene_model()
    try:
        scene = model.model_validate(doc.data)
    except ValidationError as exc:
        problems = pydantic_problems(exc, doc, model, panels.panel_types()) + problems
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise BridgeError(problems)
    scene.file = Path(path)
    return scene, doc


def _contained(raw: dict, doc: YamlDocument, scene_file: Path) -> tuple[list[Problem], bool]:
    """Every file the raw scene names must be a regular file inside the briefing's folders
    (bridge/scene/containment.py); checked before anything else so no other message names the file."""
    named: list[tuple[tuple, Any]] = []
    datasets = mapping_in(raw, "datasets")
    named += [(("datasets", name, "path"), d.get("path")) for name, d in datasets.items() if isinstance(d, dict)]
    named.append((("theme",), raw.get("theme")))
    named += [(("models", name, "path"), m.get("path")) for name, m in mapping_in(raw, "models").items() if isinstance(m, dict)]
    if isinstance(raw.get("backdrop"), dict):
        named += [(("backdrop", kind), raw["backdrop"].get(kind)) for kind in ("image", "video")]
    for s, step in enumerate(list_in(raw, "steps")):
        if isinstance(step, dict) and isinstance(step.get("backdrop"), dict):
            named += [(("steps", s, "backdrop", kind), step["backdrop"].get(kind)) for kind in ("image", "video")]
    for i, panel in enumerate(list_in(raw, "panels")):
        if isinstance(panel, dict):
            model = _panel_type(panel)
            named += [(("panels", i, *keys), _raw_value(panel, keys)) for keys in (model.file_keys if model else ())]
    problems = [doc.problem(key_path, why) for key_path, relative in named
                if isinstance(relative, str) and (why := containment.check(relative, scene_file))]
    return problems, not problems


def _panel_type(panel: dict) -> type[PanelModel] | None:
    """The registered model of a raw panel's `type:`, if it names one."""
    kind = panel.get("type")
    return panels.panel_types().get(kind) if isinstance(kind, str) else None


def _raw_value(mapping: dict, keys: tuple) -> Any:
    value: Any = mapping
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _cross_references(raw: dict, doc: YamlDocument, paths_ok: bool = True) -> list[Problem]:
    """Checks pydantic cannot do alone: names that must refer to other parts of the scene.

    They run on the raw YAML data, so they are reported together with type errors.
    """
    problems: list[Problem] = []
    datasets_raw = mapping_in(raw, "datasets")
    datasets = [str(k) for k in datasets_raw]
    base = raw.get("base")
    if isinstance(base, str) and base not in datasets_raw:
        problems.append(doc.problem(("base",),
                                    f"no dataset '{base}'{did_you_mean(base, datasets)}; datasets: {', '.join(datasets)}"))
    for name, dataset in datasets_raw.items():
        if paths_ok and isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and not dataset.get("format"):
            if format_of(dataset["path"]) is None and not dataset["path"].lower().endswith(".pbix"):  # a Power BI model's table
                problems.append(doc.problem(("datasets", name, "path"),
                                            f"cannot tell the format of '{dataset['path']}'; "
                                            f"add format: one of {', '.join(DATA_FORMATS)}"))
        model = dataset.get("model") if isinstance(dataset, dict) else None
        if isinstance(model, str) and model not in mapping_in(raw, "models"):
            known = ", ".join(map(str, mapping_in(raw, "models"))) or "none (name a .pbix under models:)"
            problems.append(doc.problem(("datasets", name, "model"), f"no model '{model}'"
                                        f"{did_you_mean(model, map(str, mapping_in(raw, 'models')))}; models: {known}"))
    for name in mapping_in(raw, "derive"):
        if name in datasets_raw:
            problems.append(doc.problem(("derive", name), f"'{name}' is also a dataset name; rename the measure"))
    declared = mapping_in(raw, "params")
    for name in declared:
        if not (isinstance(name, str) and name.isidentifier()):
            problems.append(doc.problem(("params", name),
                                        f"'{name}' cannot be a parameter's name: use letters, digits and _, e.g. ward"))
    ids: dict[str, int] = {}
    for i, panel in enumerate(list_in(raw, "panels")):
        if not isinstance(panel, dict):
            continue
        pid = panel.get("id")
        if isinstance(pid, str):
            if pid in ids:
                problems.append(doc.problem(("panels", i, "id"),
                                            f"'{pid}' is already the id of panels[{ids[pid]}]; ids must be unique"))
            ids.setdefault(pid, i)
        for where, data in _named_datasets(panel, i):
            if isinstance(data, str) and data not in datasets_raw:
                problems.append(doc.problem(where, f"no dataset '{data}'{did_you_mean(str(data), datasets)}; "
                                                   f"datasets: {', '.join(datasets)}"))
        pitch, height = panel.get("pitch", 0), panel.get("height")
        if _number(pitch) and _number(height) and abs(pitch) + height / 2 > 85:
            problems.append(doc.problem(("panels", i, "height"),
                                        f"the panel reaches pitch {abs(pitch) + height / 2:g}°; "
                                        "keep pitch ± height/2 within -85..85"))
    for s, step in enumerate(list_in(raw, "steps")):
        if not isinstance(step, dict):
            continue
        show = list_in(step, "show")
        for j, panel_id in enumerate(show):
            if isinstance(panel_id, str) and panel_id not in ids:
                problems.append(doc.problem(("steps", s, "show", j),
                                            f"no panel '{panel_id}'{did_you_mean(str(panel_id), ids)}; panels: {', '.join(ids)}"))
        for name in mapping_in(step, "params"):
            if name not in declared:
                known = ", ".join(map(str, declared)) or "none (declare them under params:)"
                problems.append(doc.problem(("steps", s, "params", name),
                                            f"no parameter '{name}'{did_you_mean(str(name), map(str, declared))}; "
                                            f"parameters: {known}"))
        for panel_id in mapping_in(step, "mark"):
            if panel_id not in ids:
                problems.append(doc.problem(("steps", s, "mark", panel_id),
                                            f"no panel '{panel_id}'{did_you_mean(str(panel_id), ids)}; panels: {', '.join(ids)}"))
            elif panel_id not in show:
                problems.append(doc.problem(("steps", s, "mark", panel_id),
                                            f"'{panel_id}' is not shown in this step; add it to show"))
        highlight = step.get("highlight")
        for j, panel_id in enumerate(highlight if isinstance(highlight, list) else [highlight]):
            where = ("steps", s, "highlight", j) if isinstance(highlight, list) else ("steps", s, "highlight")
            if isinstance(panel_id, str) and panel_id not in show:
                problems.append(doc.problem(where, f"'{panel_id}' is not shown in this step; "
                                                   f"add it to show or pick from {', '.join(map(str, show))}"))
    return problems


def _named_datasets(panel: dict, index: int) -> list[tuple[tuple, Any]]:
    """(key path, value) of every key of this raw panel that names a dataset (per its type)."""
    model = _panel_type(panel)
    return [(("panels", index, *keys), _raw_value(panel, keys))
            for keys in (model.dataset_keys if model else PanelModel.dataset_keys)]


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
