"""`bridge import REPORT.pbix`: a Power BI report as a briefing that opens and renders as it is.

Each page becomes a step (its name the title), each visual the matching panel reading the
report's own model (bridge/scaffold/visuals.py), each slicer a parameter that filters its
page's visuals, the report's filters the datasets' `filters:`, its theme the scene's theme.
The page's arrangement is mapped onto the room's walls (bridge/scaffold/page_layout.py).  What
cannot be converted (custom visuals, Power BI's online maps, buttons and shapes, text measures)
is listed with the reason, at the end of the run and as comments in the scene: nothing is
dropped silently.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bridge.data.powerbi.archive import read_member
from bridge.data.powerbi.model import MeasureDef, PowerBIModel
from bridge.data.powerbi.report import FieldRef, Page, Report, Visual, read_report
from bridge.errors import printable
from bridge.room.model import Room
from bridge.scaffold.page_layout import Box, page_spots
from bridge.scaffold.visuals import Skip, convert

MODEL = "report"  # the model's name under models:
IMAGE_TYPES = (".png", ".jpg", ".jpeg")


@dataclass
class Skipped:
    page: str
    visual: str
    reason: str


@dataclass
class Imported:
    """The scene's text, the files to write beside it, and what was left out."""

    text: str
    images: dict[str, bytes] = field(default_factory=dict)  # path under the briefing folder → bytes
    skipped: list[Skipped] = field(default_factory=list)
    panels: int = 0
    steps: int = 0
    visuals: int = 0  # the report's visuals (slicers included), on every page
    converted: int = 0  # of them, those that became a panel on the walls or a parameter


class Builder:
    """What the visuals of a report add to the scene as they are converted: datasets, parameters,
    the scene's own measures (a visual's Sum of a column), images."""

    def __init__(self, model: PowerBIModel, pbix: Path, today: datetime.date):
        from bridge.data.dax import measure_support

        self.model, self.pbix, self.today = model, pbix, today
        self.support = measure_support(model)
        self.datasets: dict[str, dict] = {}
        self.params: dict[str, dict] = {}
        self.measures: dict[str, str] = {}  # the scene's own: name → DAX
        self.images: dict[str, bytes] = {}
        self.filters: dict[str, Any] = {}  # this page's: Table[Column] → values, or a parameter
        self._kinds: dict[str, str] = {}
        self.last: str | None = None  # the dataset the visual being converted reads
        self.look = (_theme(pbix), source_line(pbix))  # what the layout pass measures the panels' text with

    def numeric(self, fields: list[FieldRef]) -> tuple[list[FieldRef], list[str]]:
        """The fields that give numbers Bridge evaluates, and a note for each that does not."""
        kept, notes = [], []
        for ref in fields:
            why = self._why_not(ref)
            if why:
                notes.append(why)
            else:
                kept.append(ref)
        return kept, notes

    def _why_not(self, ref: FieldRef) -> str | None:
        if ref.kind == "column":
            return f"{ref.column} is a column, not a value"
        if ref.kind == "aggregate":
            if ref.table not in self.model.tables or ref.name not in self.model.tables[ref.table].columns:
                return f"{ref.measure_name}: the model has no column {ref.column}"
            self.measures[ref.measure_name] = ref.dax
            self.model.measures[ref.measure_name] = MeasureDef(ref.table, ref.measure_name, ref.dax)
            self.support[ref.measure_name] = None
        elif ref.name not in self.model.measures:
            return f"[{ref.name}] is not a measure of the model"
        elif re.fullmatch(r"\s*-?[\d.]+\s*", self.model.measures[ref.name].expression):
            return f"[{ref.name}] is a constant (a spacer in the report's layout), not a value to draw"
        if self.support.get(ref.measure_name):
            return f"[{ref.measure_name}] is not evaluated: {self.support[ref.measure_name]}"
        return self._kind(ref.measure_name)

    def is_text(self, ref: FieldRef) -> bool:
        """A measure that evaluates to words (a label), which a text panel can show."""
        return ref.kind == "measure" and "gives text" in (self._kinds.get(ref.measure_name) or "")

    def _kind(self, measure: str) -> str | None:
        """Why a measure cannot be drawn as a number (it gives text), found by evaluating it once."""
        if measure not in self._kinds:
            from bridge.data.dax import DaxError, evaluate_measures

            try:
                value = evaluate_measures(self.model, [measure], today=self.today)[measure].iloc[0]
                self._kinds[measure] = f"[{measure}] gives text (a label), not a number" if isinstance(value, str) else ""
            except DaxError as exc:
                self._kinds[measure] = f"[{measure}] is not evaluated: {exc}"
        return self._kinds[measure] or None

    def dataset(self, visual: Visual, values: list[FieldRef], by: list[FieldRef]) -> str:
        """A measure query for a visual (one already made for the same query is reused)."""
        spec: dict[str, Any] = {"model": MODEL, "measures": list(dict.fromkeys(v.measure_name for v in values))}
        if by:
            spec["by"] = list(dict.fromkeys(c.column for c in by))
        filters = {**self.filters, **{f.field.column: _values(f.values) for f in visual.filters}}
        if filters:
            spec["filters"] = filters
        return self._named(spec, "v")

    def table_dataset(self, table: str) -> str:
        return self._named({"model": MODEL, "table": table}, "t")

    def _named(self, spec: dict, prefix: str) -> str:
        name = next((name for name, known in self.datasets.items() if known == spec), None)
        if name is None:
            name = f"{prefix}{len(self.datasets) + 1:02d}"
            self.datasets[name] = spec
        self.last = name
        return name

    @staticmethod
    def ref(dataset: str, column: str) -> str:
        if '"' in column or "\\" in column:
            raise Skip(f"the field name {column!r} has a quote Bridge's expressions cannot hold")
        return f'{dataset}["{column}"]'

    def slicer(self, column: FieldRef) -> None:
        """A slicer: a choice parameter over the column's values that filters this page's visuals."""
        if column.table not in self.model.tables or column.name not in self.model.tables[column.table].columns:
            raise Skip(f"the model has no column {column.column}")
        name = _slug(column.name, "_") or "choice"
        while name in self.params and self.params[name]["column"] != f"{self.table_dataset(column.table)}.{column.name}":
            name += "_"
        self.params[name] = {"type": "choice", "column": f"{self.table_dataset(column.table)}.{column.name}",
                             "all": f"All ({column.name})"}
        self.filters[column.column] = f"{{params.{name}}}"

    def image(self, item: str) -> str:
        if not item.lower().endswith(IMAGE_TYPES):
            raise Skip(f"'{item}' is not a PNG or JPEG (Bridge draws only those)")
        data = read_member(self.pbix, f"Report/StaticResources/RegisteredResources/{item}")
        if data is None:
            raise Skip(f"the image '{item}' is missing from the report or too large")
        path = f"images/{_slug(Path(item).stem, '-') or 'image'}{Path(item).suffix.lower()}"
        self.images[path] = data
        return path


def import_report(pbix: Path, room: Room, today: datetime.date | None = None) -> Imported:
    """The briefing for the report in `pbix`, laid out for `room` (its model's TODAY() is `today`)."""
    from bridge.data.powerbi.reader import load_model

    today = today or datetime.date.today()
    report = read_report(pbix)
    model = load_model(pbix)
    model = replace(model, measures=dict(model.measures))  # the scene's own measures are added to a copy
    b = Builder(model, pbix, today)
    panels: list[dict] = []
    steps: list[dict] = []
    skipped: list[Skipped] = []
    converted: set[int] = set()
    for number, page in enumerate(report.pages, start=1):
        made = _page(page, report, b, room, number, skipped, converted)
        if made:
            panels.extend(made)
            steps.append({"title": page.name.strip() or f"Page {number}", "show": [p["id"] for p in made]})
        else:
            skipped.append(Skipped(page.name, "(page)", "nothing on it converts to a panel"))
    if not steps:
        raise Skip("nothing in the report converts to a panel")
    text = _scene_text(pbix, b, panels, steps, skipped, report, today)
    return Imported(text, b.images, skipped, len(panels), len(steps),
                    visuals=sum(len(page.visuals) for page in report.pages), converted=len(converted))


def _page(page: Page, report: Report, b: Builder, room: Room, number: int, skipped: list[Skipped],
          converted: set[int]) -> list[dict]:
    """The panels of one page, placed round the room; `converted` gains the id() of each visual
    that became a parameter or a placed panel."""
    b.filters = {f.field.column: _values(f.values) for f in report.filters + page.filters}
    for visual in page.visuals:
        if visual.type in ("slicer", "advancedSlicerVisual"):
            try:
                convert(visual, b)
                converted.add(id(visual))
            except Skip as why:
                skipped.append(Skipped(page.name, visual.type, str(why)))
    made: list[tuple[dict, Box, int]] = []
    for visual in sorted(page.visuals, key=lambda v: (v.y, v.x)):
        if visual.type in ("slicer", "advancedSlicerVisual"):
            continue
        b.last = None
        try:
            result = convert(visual, b)
        except Skip as why:
            skipped.append(Skipped(page.name, visual.type, str(why)))
            continue
        for panel in result.panels:
            if b.last is not None:
                panel["data"] = b.last
        for note in result.notes:
            skipped.append(Skipped(page.name, visual.type, f"part left out: {note}"))
        share = visual.width / max(len(result.panels), 1)
        for k, panel in enumerate(result.panels):
            made.append((panel, Box(visual.x + k * share, visual.y, share, visual.height, panel["type"]), id(visual)))
    if report.skipped_filters or page.skipped_filters:
        skipped.append(Skipped(page.name, "(filters)", f"{report.skipped_filters + page.skipped_filters} filter(s) other than "
                                                       "'is one of these values' (top N, relative dates, advanced)"))
    boxes = [box for _, box, _ in made]
    spots = page_spots(boxes, page.width, page.height, room)
    for _ in range(3):  # grow what the layout pass finds too low for its title and content, then lay out again
        lacks = [_lacking(panel, spot, b.look) if spot else 0.0 for (panel, _, _), spot in zip(made, spots)]
        if not any(lacks):
            break
        boxes = [replace(box, min_height=max(box.min_height, spot.height + lack + 0.3)) if lack and spot else box
                 for box, spot, lack in zip(boxes, spots, lacks)]
        spots = page_spots(boxes, page.width, page.height, room)
    else:  # still too low after growing: left out and listed rather than drawn cut off
        spots = [None if spot is None or _lacking(panel, spot, b.look) else spot for (panel, _, _), spot in zip(made, spots)]
    used: set[str] = set()
    out = []
    for (panel, _, visual_id), spot in zip(made, spots):
        if spot is None:
            skipped.append(Skipped(page.name, panel["type"], "no room for it on the walls beside its neighbours, "
                                                             "at a size the room can read"))
            continue
        base = f"p{number}-{_slug(str(panel.get('title') or panel.get('label') or panel['type']), '-')[:40] or panel['type']}"
        pid = base
        while pid in used:
            pid += "-b"
        used.add(pid)
        converted.add(visual_id)
        clean = {k: v for k, v in panel.items() if v is not None}
        out.append({"id": pid, **clean, "yaw": spot.yaw, "pitch": spot.pitch, "width": spot.width, "height": spot.height})
    return out


def _lacking(panel: dict, spot, look: tuple) -> float:
    """Degrees of height a panel at `spot` lacks for its title, source line and a line of content,
    in the scene's `look` (its theme and source line)."""
    from bridge.panels import panel_types

    model = panel_types()[panel["type"]]
    try:
        built = model.model_validate({**panel, "id": "x", "yaw": spot.yaw, "pitch": spot.pitch, "width": spot.width,
                                      "height": spot.height})
    except ValueError:
        return 0.0  # validate says what is wrong, at the panel's line
    return built.height_lacking(*look)


def source_line(pbix: Path) -> str:
    return f"{pbix.name} (Power BI)"


def _theme(pbix: Path):
    """The report's theme as the briefing will load it, or Bridge's own when it has none."""
    from bridge.errors import BridgeError
    from bridge.theme import DEFAULT_THEME, load_theme

    try:
        return load_theme(pbix)
    except BridgeError:
        return DEFAULT_THEME


def _values(values: tuple) -> Any:
    return values[0] if len(values) == 1 else list(values)


def _slug(text: str, joiner: str) -> str:
    return joiner.join(re.findall(r"[a-z0-9]+", text.lower()))


def _scene_text(pbix: Path, b: Builder, panels: list[dict], steps: list[dict], skipped: list[Skipped], report: Report,
                today: datetime.date) -> str:
    """The scene as commented YAML: a header saying where it came from, the sections, then what was left out."""
    model: dict[str, Any] = {"path": pbix.name, "as_of": today}
    if b.measures:
        model["measures"] = b.measures
    scene: dict[str, Any] = {"title": pbix.stem, "source": source_line(pbix)}
    if _has_theme(pbix):
        scene["theme"] = pbix.name
    scene |= {"models": {MODEL: model}, "datasets": b.datasets}
    if b.params:
        scene["params"] = b.params
    lines = [f"# Imported from {_said(pbix.name)} by `bridge import` on {today.isoformat()}: {len(report.pages)} page(s) became "
             f"{len(steps)} step(s) and {len(panels)} panel(s).",
             "# Each visual reads the report's model through a measure query (datasets v01, v02, …); as_of fixes the day",
             "# TODAY() gives its measures, so the briefing shows the same numbers tomorrow. Edit freely: `bridge validate`",
             "# checks it, `bridge preview` shows it."]
    lines.append(_dump(scene))
    lines.append("panels:")
    for step in steps:
        lines.append(f"  # ---- {_said(step['title'])} " + "-" * max(4, 60 - len(step["title"])))
        for note in (s for s in skipped if s.page == step["title"]):
            lines.append(f"  # not converted: {_said(note.visual)}: {_said(note.reason)}")
        chunk = [p for p in panels if p["id"] in step["show"]]
        lines.append(_indent(_dump(chunk)))
    lines.append(_dump({"steps": steps}))
    left = [s for s in skipped if s.page not in {st["title"] for st in steps}]
    if left:
        lines.append("# Not converted, on pages with nothing else:")
        lines += [f"#   {_said(s.page)}: {_said(s.visual)}: {_said(s.reason)}" for s in left]
    return "\n".join(lines).rstrip() + "\n"


def _has_theme(pbix: Path) -> bool:
    """Whether the report carries a theme Bridge maps (bridge/data/powerbi/theme.py)."""
    from bridge.data.powerbi.theme import theme_keys
    from bridge.errors import BridgeError

    try:
        theme_keys(pbix)
    except BridgeError:
        return False
    return True


def _said(text: str) -> str:
    """Text from the report as it may stand in a YAML comment: one line, no control characters
    (a page named "x\\nkey: value" must not write a key into the scene)."""
    return printable(" ".join(str(text).split()))[:300]


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None).rstrip()


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
