"""The order of the work: scene file → validated model → data → panel contents → panel
images → equirectangular frames → projector images.

`load_briefing` does everything up to evaluated panel contents (what `bridge validate`
runs); `PanelArt` draws the panels, `add_panels`/`render_step` put them in the room and
capture a step, and `render_briefing` renders the chosen steps and hands the pictures to
bridge/render/output.py.  What each panel type computes and draws lives in bridge/panels/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from bridge.render.backdrop import read_backdrops
from bridge.data.tables import SceneData, load_data
from bridge.errors import BridgeError, Problem, did_you_mean
from bridge.room.profile import Room
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
    backdrops: dict = field(default_factory=dict, repr=False)  # image or video path -> its (first frame's) pixels (≤ BACKDROP_WIDTH wide)
    overrides: dict = field(default_factory=dict)  # parameter values this view was loaded with
    views: dict = field(default_factory=dict, repr=False)  # other parameter values -> their Briefing

    @property
    def name(self) -> str:
        return Path(self.scene.file).stem

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
            self.views[key] = load_briefing(self.scene.file, {k: (v, ("params", k)) for k, v in wanted.items()})
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
    contents, failed = [], set()
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
    from bridge.scene import params
    from bridge.data.expressions import ALL

    found = []
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

    found = []

    def swap(text: str, key_path: tuple) -> str:
        if "{params." not in text:
            return text
        text, unknown = fill(text, scene.params, data.params)
        found.extend(data.doc.problem(key_path, f"no parameter '{u}'{did_you_mean(u, scene.params)} in "
                                      f"{{params.{u}}}; parameters: {', '.join(scene.params) or 'none'}") for u in unknown)
        return text

    def filled(owner, key_path: tuple):
        update = {}
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


def texture_density(frame_width: int) -> float:
    """Texture pixels per degree: ~1.5× the frame's own, so mipmapping keeps text crisp."""
    return float(np.clip(frame_width / 360 * 1.5, 16, 40))


class PanelArt:
    """Panel images drawn on demand, once per panel and set of marked rows."""

    def __init__(self, briefing: Briefing, frame_width: int):
        self.briefing = briefing
        self.frame_width = frame_width
        self.ppd = texture_density(frame_width)
        self.cache: dict[tuple[str, frozenset[str]], np.ndarray] = {}
        self.smallest: tuple[float, str] = (float("inf"), "")
        self.faults: list[Problem] = []  # text cut, overlapping or over marks, located at its panel

    def image(self, panel_id: str, marked: frozenset[str] = frozenset()) -> np.ndarray:
        from bridge.geometry import panel_texture_size
        from bridge.panels.common.canvas import draw_panel

        if (panel_id, marked) not in self.cache:
            scene = self.briefing.scene
            i = next(k for k, p in enumerate(scene.panels) if p.id == panel_id)
            panel = scene.panels[i]
            y0, y1, p0, p1 = panel.texture_extent()
            size = panel_texture_size(y1 - y0, p0, p1, self.ppd)
            try:
                drawn = draw_panel(panel, self.briefing.contents[i], size, self.ppd, panel.source or scene.source,
                                   self.briefing.theme, marked)
            except BridgeError as exc:
                raise BridgeError([self.briefing.data.doc.problem(("panels", i), p.message) for p in exc.problems]) from None
            self.cache[(panel_id, marked)] = drawn.image
            for fault in drawn.faults:
                problem = self.briefing.data.doc.problem(
                    ("panels", i), f"'{panel.id}': {fault}; make the panel larger or the text shorter")
                if problem not in self.faults:
                    self.faults.append(problem)
            if drawn.smallest_text_deg < self.smallest[0]:
                self.smallest = (drawn.smallest_text_deg, panel_id)
        return self.cache[(panel_id, marked)]


def layout_faults(briefing: Briefing, frame_width: int) -> list[Problem]:
    """Every panel drawn as each step shows it (marks included), checked for text cut by its
    edge, overlapping other text or covering a chart: what `bridge validate` warns about."""
    art = PanelArt(briefing, frame_width)
    for panel in briefing.scene.panels:
        art.image(panel.id)
    for (_, panel_id), marked in briefing.marks.items():
        art.image(panel_id, marked)
    faults = list(art.faults)
    views = {id(briefing)}
    for s, step in enumerate(briefing.scene.steps):  # a step's params: (a ward's long name) redraws what reads them
        view = briefing.step_view(s)
        if id(view) in views:
            continue
        views.add(id(view))
        step_art = PanelArt(view, frame_width)
        for panel_id in step.show:
            if briefing.reads(panel_id):
                step_art.image(panel_id, view.marks.get((s, panel_id), frozenset()))
        faults += step_art.faults
    return list(dict.fromkeys(faults))


def draw_panels(briefing: Briefing, frame_width: int, progress: Progress | None = None) -> dict[str, np.ndarray]:
    """Every panel drawn once (without step marks) as an RGB image suited to the frame."""
    art = PanelArt(briefing, frame_width)
    panels = briefing.scene.panels
    for i, panel in enumerate(panels):
        art.image(panel.id)
        if progress:
            progress("drawing panels", i + 1, len(panels))
    return {p.id: art.image(p.id) for p in panels}


def add_panels(renderer, briefing: Briefing, art: PanelArt, progress: Progress | None = None,
               only: set[str] | None = None) -> None:
    """Put the panels (all, or `only` those) into the 3D room, each as its type places itself."""
    scene = briefing.scene
    for i, panel in enumerate(scene.panels):
        if only is not None and panel.id not in only:
            continue
        panel.place(renderer, art.image(panel.id), briefing.contents[i])
        if progress:
            progress("drawing panels", i + 1, len(scene.panels))


class Views:
    """Which parameter view each panel in the room was last placed from, so a step that sets
    parameters re-places only the panels that read them (and one that goes back, back)."""

    def __init__(self, briefing: Briefing, art: PanelArt):
        self.default = briefing
        self.arts: dict[int, PanelArt] = {id(briefing): art}
        self.placed = {p.id: briefing for p in briefing.scene.panels}
        self.reads = {p.id: briefing.reads(p.id) for p in briefing.scene.panels}

    def art(self, view: Briefing) -> PanelArt:
        if id(view) not in self.arts:
            self.arts[id(view)] = PanelArt(view, self.arts[id(self.default)].frame_width)
        return self.arts[id(view)]

    def place(self, renderer, view: Briefing, panel_ids: list[str]) -> Briefing:
        """Put `view`'s pictures of `panel_ids` into the room where they differ from what is there:
        where a parameter the panel reads has another value in `view` than in the view it came from."""
        for i, panel in enumerate(view.scene.panels):
            there = self.placed[panel.id]
            if panel.id in panel_ids and there is not view and any(
                    _as_key(there.data.params.get(p)) != _as_key(view.data.params.get(p)) for p in self.reads[panel.id]):
                panel.place(renderer, self.art(view).image(panel.id), view.contents[i])
                self.placed[panel.id] = view
        return view


def _as_key(value) -> tuple:
    """A parameter's value, comparable: the all option is not the text 'all', true is not 1."""
    from bridge.data.expressions import ALL

    return value is ALL, repr(value)


def render_step(renderer, briefing: Briefing, art: PanelArt, step_index: int) -> np.ndarray:
    """One step's equirectangular frame: marked-row variants swapped in, others dimmed if
    highlighted, over the step's backdrop if it has one."""
    step = briefing.scene.steps[step_index]
    backdrop = briefing.scene.step_backdrop(step_index)
    if backdrop is None:
        renderer.set_backdrop(None)
    else:
        renderer.set_backdrop(backdrop.file, briefing.backdrops.get(backdrop.file), backdrop.brightness)
    for panel_id in step.show:
        marked = briefing.marks.get((step_index, panel_id), frozenset())
        renderer.set_images(panel_id, art.image(panel_id, marked))
    return renderer.render(step.show, step.highlighted)


def _earlier_images(folder: Path, room: Room, like: list[np.ndarray]) -> list[np.ndarray] | None:
    """A step's projector images from an earlier render into the same folder, if all are there
    and the same size as this render's (same room); else None."""
    from PIL import Image

    images = []
    for p, same in zip(room.projectors, like):
        path = folder / f"projector-{p.number}.png"
        try:
            with Image.open(path) as image:
                if image.size != (same.shape[1], same.shape[0]):
                    return None
                images.append(np.asarray(image.convert("RGB")))
        except (OSError, ValueError):
            return None
    return images


def make_renderer(briefing: Briefing, width: int, height: int):
    """The offscreen 360° renderer, styled by the briefing's theme."""
    from bridge.render.panorama import EquirectRenderer

    return EquirectRenderer(width, height, background=briefing.theme.background, dim=briefing.theme.dim)


@dataclass
class RenderResult:
    out_dir: Path
    steps: list[int]
    files: list[Path] = field(default_factory=list)
    contact_sheet: Path | None = None
    smallest_text: tuple[float, str] = (float("inf"), "")  # degrees, panel id
    layout_faults: list[Problem] = field(default_factory=list)  # text cut, overlapping or over marks


def render_briefing(briefing: Briefing, room: Room, out_dir: Path, size: tuple[int, int] = (4096, 2048),
                    steps: list[int] | None = None, progress: Progress | None = None) -> RenderResult:
    """Render the chosen steps (1-based; all by default) and write the PNGs under `out_dir`."""
    from bridge.room.compositor import Compositor
    from bridge.render.output import ImageWriter, contact_sheet, prepare_out_dir, save_frames, save_png

    scene = briefing.scene
    steps = steps or list(range(1, len(scene.steps) + 1))
    for n in steps:
        if not 1 <= n <= len(scene.steps):
            raise BridgeError(Problem(scene.file, None, "steps", f"there is no step {n}; the scene has steps 1..{len(scene.steps)}"))
    width, height = size
    out_dir = prepare_out_dir(out_dir, len(scene.steps) if len(steps) == len(scene.steps) else None)
    art = PanelArt(briefing, width)
    compositor = Compositor(room, width, height)
    result = RenderResult(out_dir, steps)
    thumbs: list[list[np.ndarray]] = []
    with make_renderer(briefing, width, height) as renderer, ImageWriter() as writer:
        add_panels(renderer, briefing, art, progress)
        views = Views(briefing, art)
        for k, n in enumerate(steps):
            view = views.place(renderer, briefing.step_view(n - 1), scene.steps[n - 1].show)
            frame = render_step(renderer, view, views.art(view), n - 1)
            projector_images = compositor.split(frame)
            result.files += save_frames(out_dir / f"step-{n:02d}", frame, projector_images, room, writer)
            thumbs.append(projector_images)
            if progress:
                progress("rendering steps", k + 1, len(steps))
    rows = dict(zip(steps, thumbs))
    for n in range(1, len(scene.steps) + 1):  # `render --step N`: keep the other steps' rows from disk
        if n not in rows and (earlier := _earlier_images(out_dir / f"step-{n:02d}", room, thumbs[0])) is not None:
            rows[n] = earlier
    shown = sorted(rows)
    titles = [briefing.step_view(n - 1).scene.steps[n - 1].title for n in shown]  # {params.NAME} as the step sets it
    sheet = contact_sheet([rows[n] for n in shown], [f"Step {n}: {title}" for n, title in zip(shown, titles)],
                          [f"{p.number} · {p.name}" for p in room.projectors], theme=briefing.theme)
    result.contact_sheet = save_png(sheet, out_dir / "contact-sheet.png")
    result.smallest_text = min(a.smallest for a in views.arts.values())
    result.layout_faults = list(dict.fromkeys(f for a in views.arts.values() for f in a.faults))
    return result
