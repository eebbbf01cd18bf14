"""A briefing loaded: the scene validated, its data read and joined, every panel's content
evaluated, each step's marks, the theme and the backdrops — everything `bridge validate` checks.

The first half of the pipeline (scene file → validated model → data tables → panel contents);
bridge/render/pipeline.py draws and captures what this loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np

from bridge.data.tables import SceneData, load_data
from bridge.errors import BridgeError, Problem, did_you_mean, shown
from bridge.limits import MAX_TEXT_FIELDS
from bridge.render.backdrop import read_backdrops
from bridge.render.placement import place_panels
from bridge.room.model import Room
from bridge.scene.model import Scene, load_scene
from bridge.scene.yaml_source import YamlDocument
from bridge.theme import DEFAULT_THEME, Theme, load_theme

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class Briefing:
    """A loaded scene with its data, every panel's content evaluated, each step's marks."""

    scene: Scene
    data: SceneData
    contents: list
    marks: dict = field(default_factory=dict)  # (step index, panel id) -> marked rows
    theme: Theme = DEFAULT_THEME
    # image or video path -> its (first frame's) pixels (≤ BACKDROP_WIDTH wide)
    backdrops: dict = field(default_factory=dict, repr=False)
    overrides: dict = field(default_factory=dict)  # parameter values this view was loaded with
    views: dict = field(default_factory=dict, repr=False)  # other parameter values -> their Briefing
    room: Room | None = field(default=None, repr=False)  # the room its placed-by-Bridge panels were laid out for

    @property
    def name(self) -> str:
        return Path(cast(Path, self.scene.file)).stem  # a loaded briefing's scene has its file

    def reads(self, panel_id: str) -> set[str]:
        """The parameters a panel's picture may depend on (bridge/scene/params.py `reads`)."""
        from bridge.scene.params import reads

        raw = self.data.doc.data
        panel = next(p for p in raw["panels"] if isinstance(p, dict) and p.get("id") == panel_id)
        return reads(raw, panel)

    def view(self, values: dict) -> Briefing:
        """The briefing with parameters set to `values` (name -> value; others at their defaults
        or this view's), loaded once and kept; this one if nothing differs."""
        from bridge.scene.params import plain

        wanted = {**{k: v for k, (v, _) in self.overrides.items()}, **values}
        if not self.overrides:  # this is the default view: a value equal to its default asks nothing new
            wanted = {k: v for k, v in wanted.items() if plain(self.data.params.get(k)) != plain(v)}
        key = tuple(sorted((k, repr(plain(v))) for k, v in wanted.items()))
        if key == tuple(sorted((k, repr(plain(v))) for k, (v, _) in self.overrides.items())):
            return self
        if key not in self.views:
            self.views[key] = load_briefing(cast(Path, self.scene.file), {k: (v, ("params", k)) for k, v in wanted.items()},
                                            self.room)
        return self.views[key]

    def step_view(self, step_index: int) -> Briefing:
        """The briefing as a step shows it: with the parameters its `params:` sets."""
        step = self.scene.steps[step_index]
        if not step.params:
            return self
        return self.view(dict(step.params))


def load_briefing(path: str | Path, overrides: dict | None = None, room: Room | None = None,
                  loaded: tuple[Scene, YamlDocument] | None = None) -> Briefing:
    """Validate the scene and its data fully (files, columns, joins, expressions, marks, theme,
    parameters, and whatever each panel can check before drawing); every problem is reported
    at once.  `overrides`: parameter name -> (value, key path it came from) for this view.
    `room`: where panels Bridge places go (default: the default room profile).
    `loaded`: what `load_scene(path)` gave, when the caller has it already (not read again)."""
    scene, doc = loaded or load_scene(path)
    if any(panel.auto_placed for panel in scene.panels):
        from bridge.room.load import load_room

        room = room or load_room(None)
        scene = place_panels(scene, room, doc)
    problems: list[Problem] = []
    theme = DEFAULT_THEME
    if scene.theme:
        theme_path = scene.path(scene.theme)
        if not theme_path.exists():
            problems.append(doc.problem(("theme",), f"theme file not found: {theme_path} (paths are relative to the scene file)"))
        else:
            try:
                theme = load_theme(theme_path)
            except BridgeError as exc:
                problems.extend(exc.problems)
    try:
        data = load_data(scene, doc, overrides)
    except BridgeError as exc:
        raise BridgeError(problems + _layout_problems(scene, doc, theme) + exc.problems) from None
    filled = _fill_placeholders(scene, data)  # before the layout is checked: the text as it will be drawn
    problems += _layout_problems(scene, doc, theme) + data.problems
    if not overrides:
        problems += _step_param_problems(scene, data)
    problems += filled
    contents: list = []
    failed: set[int] = set()
    for i, panel in enumerate(scene.panels):
        wrong = _expression_problems(data, panel, ("panels", i))
        if wrong:  # each expression checked on its own: all of a panel's mistakes at once
            contents.append(None)
            failed.add(i)
            problems.extend(wrong)
            continue
        try:
            contents.append(panel.content(data, ("panels", i)))
        except BridgeError as exc:
            contents.append(None)
            failed.add(i)
            problems.extend(exc.problems)
    marks: dict[tuple[int, str], frozenset[str]] = {}
    index = {p.id: i for i, p in enumerate(scene.panels)}
    for s, step in enumerate(scene.steps):
        for panel_id, mark in step.mark.items():
            i = index[panel_id]
            if i in failed:
                continue  # its content already failed: that problem is reported
            try:
                marks[(s, panel_id)] = scene.panels[i].marked_rows(data, contents[i], mark, ("panels", i),
                                                                    ("steps", s, "mark", panel_id))
            except BridgeError as exc:
                problems.extend(exc.problems)
    backdrops = read_backdrops(scene, doc, problems)
    if problems:
        raise BridgeError(problems)
    briefing = Briefing(scene, data, contents, marks, theme, dict(overrides or {}), room=room)
    briefing.backdrops = backdrops
    return briefing


def _layout_problems(scene: Scene, doc: YamlDocument, theme: Theme) -> list[Problem]:
    """What each panel cannot fit, found before drawing (`PanelModel.layout_problems`)."""
    return [doc.problem(("panels", i, *keys), message) for i, panel in enumerate(scene.panels)
            for keys, message in _panel_layout(panel, theme, panel.source or scene.source)]


_measured: dict[tuple, list] = {}  # (panel as JSON, theme, source) -> its layout problems: a view re-checks few panels


def _panel_layout(panel, theme: Theme, source: str | None) -> list:
    """A panel's layout problems, measured once per process for the same panel, theme and source line
    (a parameter's view changes only the panels whose text it fills)."""
    key = (type(panel).__name__, panel.model_dump_json(), repr(theme), source)
    if key not in _measured:
        if len(_measured) > 4096:
            _measured.clear()
        _measured[key] = panel.layout_problems(theme, source)
    return _measured[key]


def _step_param_problems(scene: Scene, data: SceneData) -> list[Problem]:
    """Each step's `params:` values checked against what the parameter offers."""
    from bridge.data.expressions import ALL
    from bridge.scene import params

    found: list[Problem] = []
    for s, step in enumerate(scene.steps):
        for name, value in step.params.items():
            column_values = [o for o in data.param_options.get(name, []) if o is not ALL]
            _, why = params.check(name, scene.params[name], value, column_values)
            if why:
                found.append(data.doc.problem(("steps", s, "params", name), why))
    return found


def _fill_placeholders(scene: Scene, data: SceneData) -> list[Problem]:
    """Every text the room and the export show — panels' titles, sources, labels, units, legend
    headings, table headings and a text panel's words (`PanelModel.texts`), steps' titles and
    notes, the briefing's title and source — with its {params.NAME} and {expression} fields
    filled from this view's data (each panel's on its own dataset); the problems of those that
    cannot be, so that no field is ever drawn as written."""
    found: list[Problem] = []
    budget = [MAX_TEXT_FIELDS]  # fields left to evaluate: a scene of 2 MB could hold a quarter of a million

    def swap(text: str, key_path: tuple, dataset: str | None = None) -> str:
        return _filled(scene, data, text, key_path, dataset, found, budget)

    def panel(i: int, p):
        def fill(text: str, keys: tuple) -> str:
            return swap(text, ("panels", i, *keys), p.data)

        return p.with_texts(fill)

    scene.panels = [panel(i, p) for i, p in enumerate(scene.panels)]
    scene.steps = [st.model_copy(update={"title": swap(st.title, ("steps", s, "title")),
                                         "notes": swap(st.notes, ("steps", s, "notes"))})
                   for s, st in enumerate(scene.steps)]
    for name in ("title", "source"):  # the briefing's title and the source line every panel shows
        if isinstance(getattr(scene, name), str):
            setattr(scene, name, swap(getattr(scene, name), (name,)))
    return found


def _filled(scene: Scene, data: SceneData, text: str, key_path: tuple, dataset: str | None, found: list[Problem],
            budget: list[int]) -> str:
    """One text with its fields filled (bridge/scene/params.py `fill`); what is wrong added to `found`;
    `budget` the fields the scene may still evaluate (MAX_TEXT_FIELDS in all)."""
    from bridge.data.expressions import ExpressionError, template
    from bridge.scene.params import fill

    if not template.has_fields(text):
        return text
    try:
        budget[0] -= sum(isinstance(part, template.Field) for part in template.split(text))
    except ExpressionError:
        pass  # `fill` below reports it where it is
    if budget[0] < 0:
        raise BridgeError(data.doc.problem(key_path, f"more than {MAX_TEXT_FIELDS:,} {{…}} fields in the scene's texts; "
                                           "a briefing needs far fewer: put numbers in panels, not in long texts"))

    def write(field: template.Field) -> str:
        try:
            return _field_text(data, field, key_path, dataset)
        except BridgeError as exc:
            found.extend(replace(p, message=f"{shown(field.written, 80)}: {p.message}") for p in exc.problems)
            return field.written

    try:
        text, unknown = fill(text, scene.params, data.params, write)
    except ExpressionError as exc:
        found.append(data.doc.problem(key_path, str(exc)))
        return text
    found.extend(data.doc.problem(key_path, f"no parameter '{u}'{did_you_mean(u, scene.params)} in "
                                  f"{{params.{u}}}; parameters: {', '.join(scene.params) or 'none'}") for u in unknown)
    return text


def _field_text(data: SceneData, field, key_path: tuple, dataset: str | None) -> str:
    """A field's value as text says it: evaluated on `dataset` like any panel value; a count of
    people from 1 to min_count − 1 "suppressed" as on charts; a number in the field's spec, else
    as Bridge writes numbers (bridge/data/numformat.py); one value of a one-row column as that value."""
    import pandas as pd

    from bridge.data.disclosure import SUPPRESSED, is_count, suppression_mask
    from bridge.data.numformat import auto_format, format_number, is_missing, is_whole, parse_format

    value = data.evaluate(field.expression, key_path, dataset)
    if isinstance(value, pd.Series):
        if len(value) != 1:
            raise BridgeError(data.doc.problem(key_path, f"'{shown(field.expression.strip())}' gives {len(value):,} values, one "
                                               f"per row; text needs one: wrap it, e.g. sum(…), mean(…) or first(…)"))
        value = value.iloc[0]
    if isinstance(value, str) or isinstance(value, (bool, np.bool_)):
        if isinstance(value, str) and field.spec is None:
            return value.strip()
        why = ("is text, which takes no number spec; leave out the ':'" if isinstance(value, str) else
               "is true or false, not a value to write; write a number (count(…, where=…)) or text")
        raise BridgeError(data.doc.problem(key_path, f"'{shown(field.expression.strip())}' {why}"))
    if is_missing(value):
        data.warn(key_path, f"{shown(field.written, 80)} has no value (missing, not finite or too large to be a measure) "
                            f"and is written as '{NO_VALUE}'")
        return NO_VALUE
    count = is_count(data, field.expression, dataset)
    if suppression_mask(data, [value], count)[0]:
        return SUPPRESSED
    if field.spec is None:
        return auto_format(value, count)
    written = "{:" + field.spec + "}"
    try:
        parse_format(written)
    except ValueError as exc:
        raise BridgeError(data.doc.problem(key_path, str(exc))) from None
    if is_whole(value) and field.spec[-1:] not in "eEfFgGn%d":  # no type: {sum(people.total):,} is 323,606, not 323,606.0
        try:
            return format(round(float(value)), field.spec)
        except ValueError:
            pass  # a precision: written as a float
    return format_number(written, value)


NO_VALUE = "no data"  # a field whose value is missing, as a KPI writes its own


def _expression_problems(data: SceneData, panel, here: tuple) -> list[Problem]:
    """Every expression of a panel evaluated against its dataset; the problems of all that fail."""
    found = []
    for keys, text in panel.expressions():
        try:
            data.evaluate(text, here + keys, panel.data)
        except BridgeError as exc:
            found.extend(exc.problems)
    return found
