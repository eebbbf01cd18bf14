"""A briefing loaded: the scene validated, its data read and joined, every panel's content
evaluated, each step's marks, the theme and the backdrops — everything `bridge validate` checks.

The first half of the pipeline (scene file → validated model → data tables → panel contents);
bridge/render/pipeline.py draws and captures what this loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bridge.data.tables import SceneData, load_data
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.render.backdrop import read_backdrops
from bridge.scene.model import Scene, load_scene
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
            self.views[key] = load_briefing(cast(Path, self.scene.file), {k: (v, ("params", k)) for k, v in wanted.items()})
        return self.views[key]

    def step_view(self, step_index: int) -> Briefing:
        """The briefing as a step shows it: with the parameters its `params:` sets."""
        step = self.scene.steps[step_index]
        if not step.params:
            return self
        return self.view(dict(step.params))


def load_briefing(path: str | Path, overrides: dict | None = None) -> Briefing:
    """Validate the scene and its data fully (files, columns, joins, expressions, marks, theme,
    parameters, and whatever each panel can check before drawing); every problem is reported
    at once.  `overrides`: parameter name -> (value, key path it came from) for this view."""
    scene, doc = load_scene(path)
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
    for i, panel in enumerate(scene.panels):
        problems += [doc.problem(("panels", i, *keys), message)
                     for keys, message in panel.layout_problems(theme, panel.source or scene.source)]
    try:
        data = load_data(scene, doc, overrides)
    except BridgeError as exc:
        raise BridgeError(problems + exc.problems) from None
    problems += data.problems
    if not overrides:
        problems += _step_param_problems(scene, data)
    problems += _fill_placeholders(scene, data)
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
    briefing = Briefing(scene, data, contents, marks, theme, dict(overrides or {}))
    briefing.backdrops = backdrops
    return briefing


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
    """{params.NAME} in panels' text keys and steps' titles replaced by this view's values."""
    from bridge.scene.params import fill

    found: list[Problem] = []

    def swap(text: str, key_path: tuple) -> str:
        if "{params." not in text:
            return text
        text, unknown = fill(text, scene.params, data.params)
        found.extend(data.doc.problem(key_path, f"no parameter '{u}'{did_you_mean(u, scene.params)} in "
                                      f"{{params.{u}}}; parameters: {', '.join(scene.params) or 'none'}") for u in unknown)
        return text

    def filled(owner, key_path: tuple):
        update: dict[str, Any] = {}
        for name, value in owner:
            if isinstance(value, str) and "{params." in value:
                update[name] = swap(value, key_path + (name,))
            elif isinstance(value, dict) and any(isinstance(k, str) and "{params." in k for k in value):
                update[name] = {swap(k, key_path + (name, k)) if isinstance(k, str) else k: v for k, v in value.items()}
        return owner.model_copy(update=update) if update else owner

    scene.panels = [filled(p, ("panels", i)) for i, p in enumerate(scene.panels)]
    scene.steps = [filled(st, ("steps", s)) for s, st in enumerate(scene.steps)]
    for name in ("title", "source"):  # the briefing's title and the source line every panel shows
        if isinstance(getattr(scene, name), str):
            setattr(scene, name, swap(getattr(scene, name), (name,)))
    return found


def _expression_problems(data: SceneData, panel, here: tuple) -> list[Problem]:
    """Every expression of a panel evaluated against its dataset; the problems of all that fail."""
    found = []
    for keys, text in panel.expressions():
        try:
            data.evaluate(text, here + keys, panel.data)
        except BridgeError as exc:
            found.extend(exc.problems)
    return found
