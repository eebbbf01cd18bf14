"""The order of the work: scene file → validated model → data → panel contents → panel
images → equirectangular frames → projector images.

`load_briefing` (bridge/render/briefing.py) does everything up to evaluated panel contents
(what `bridge validate` runs); here `PanelArt` draws the panels, `add_panels`/`render_step` put
them in the room and capture a step, and `render_briefing` renders the chosen steps and hands the
pictures to bridge/render/output.py.  What each panel type computes and draws lives in bridge/panels/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.errors import BridgeError, Problem
from bridge.render.briefing import Briefing, Progress
from bridge.room.model import Room


def texture_density(frame_width: int) -> float:
    """Texture pixels per degree: ~1.5× the frame's own, so mipmapping keeps text crisp."""
    return float(np.clip(frame_width / 360 * 1.5, 16, 40))


class PanelArt:
    """Panel images drawn on demand, once per panel and set of marked rows, through the drawn-panel
    cache (bridge/render/panel_cache.py) unless `use_cache` is False."""

    def __init__(self, briefing: Briefing, frame_width: int, use_cache: bool = True):
        self.briefing = briefing
        self.frame_width = frame_width
        self.ppd = texture_density(frame_width)
        self.use_cache = use_cache
        self.cache: dict[tuple[str, frozenset[str]], np.ndarray] = {}
        self.keys: dict[tuple[str, frozenset[str]], str | None] = {}  # content keys, computed once
        self.drawn = 0  # pictures drawn here (not read from the cache)
        self.smallest: dict[str, float] = {}  # each panel's smallest text drawn, degrees
        self.faults: list[Problem] = []  # text cut, overlapping or over marks, located at its panel
        self.hints: list[Problem] = []  # space a panel leaves empty: advice, located at its panel

    def job(self, panel_id: str, marked: frozenset[str] = frozenset()) -> tuple:
        """What `draw_panel` is given for this picture: (panel, content, size, ppd, source, theme, marked)."""
        from bridge.geometry import panel_texture_size

        scene = self.briefing.scene
        i = self._index(panel_id)
        panel = scene.panels[i]
        y0, y1, p0, p1 = panel.texture_extent()
        size = panel_texture_size(y1 - y0, p0, p1, self.ppd)
        return panel, self.briefing.contents[i], size, self.ppd, panel.source or scene.source, self.briefing.theme, marked

    def key(self, panel_id: str, marked: frozenset[str] = frozenset()) -> str | None:
        """The picture's content key in the drawn-panel cache (None: not cached)."""
        from bridge.render import panel_cache

        if not self.use_cache:
            return None
        if (panel_id, marked) not in self.keys:
            panel, content, size, ppd, source, theme, _ = self.job(panel_id, marked)
            self.keys[(panel_id, marked)] = panel_cache.panel_key(panel, content, source, theme, size, ppd, marked,
                                                                  self.briefing.scene)
        return self.keys[(panel_id, marked)]

    def image(self, panel_id: str, marked: frozenset[str] = frozenset()) -> np.ndarray:
        from bridge.render import panel_cache

        if (panel_id, marked) not in self.cache:
            key = self.key(panel_id, marked)
            job = self.job(panel_id, marked)
            drawn = panel_cache.fetch(key, job[2]) if key else None
            if drawn is None:
                drawn = self._draw(panel_id, job)
                if key:
                    panel_cache.keep(key, drawn)
            self.keep(panel_id, marked, drawn)
        return self.cache[(panel_id, marked)]

    def _index(self, panel_id: str) -> int:
        return next(k for k, p in enumerate(self.briefing.scene.panels) if p.id == panel_id)

    def _draw(self, panel_id: str, job: tuple):
        from bridge.panels.common.canvas import draw_panel

        self.drawn += 1
        try:
            return draw_panel(*job)
        except BridgeError as exc:
            raise BridgeError([self.briefing.data.doc.problem(("panels", self._index(panel_id)), p.message)
                               for p in exc.problems]) from None

    def keep(self, panel_id: str, marked: frozenset[str], drawn) -> None:
        """A picture drawn (here, by a worker or earlier) taken in, with what drawing it found, located."""
        i = self._index(panel_id)
        panel = self.briefing.scene.panels[i]
        self.cache[(panel_id, marked)] = drawn.image
        for fault in drawn.faults:
            problem = self.briefing.data.doc.problem(
                ("panels", i), f"'{panel.id}': {fault}; make the panel larger or the text shorter")
            if problem not in self.faults:
                self.faults.append(problem)
        for hint in drawn.hints:
            problem = self.briefing.data.doc.problem(("panels", i), f"'{panel.id}': {hint}")
            if problem not in self.hints:
                self.hints.append(problem)
        self.smallest[panel_id] = min(self.smallest.get(panel_id, float("inf")), drawn.smallest_text_deg)


def prefetch(wanted: list[tuple[PanelArt, str, frozenset[str]]], jobs: int | None = None) -> None:
    """Draw every picture in `wanted` (art, panel id, marked rows) that no cache holds, side by side
    on `jobs` processes (default: the cores this process may use), so the render that follows
    finds each one drawn.  Pixel for pixel what drawing them one by one gives."""
    from bridge.render import panel_cache
    from bridge.render.parallel import draw_side_by_side, usable_cores

    missing: dict[str, tuple[PanelArt, str, frozenset[str]]] = {}
    for art, panel_id, marked in wanted:
        key = art.key(panel_id, marked)
        if key and key not in missing and panel_cache.fetch(key, art.job(panel_id, marked)[2]) is None:
            missing[key] = (art, panel_id, marked)
    todo = list(missing.items())
    results = draw_side_by_side([art.job(panel_id, marked) for _, (art, panel_id, marked) in todo],
                                usable_cores() if jobs is None else jobs)
    for (key, (art, _, _)), drawn in zip(todo, results):
        if drawn is not None:
            art.drawn += 1
            panel_cache.keep(key, drawn)
    if todo:
        panel_cache.prune()


def layout_faults(briefing: Briefing, frame_width: int) -> tuple[list[Problem], list[Problem]]:
    """(faults, hints): every panel drawn as each step shows it (marks included), checked for
    text cut by its edge, overlapping other text or covering a chart (what `bridge validate`
    warns about), and for space it leaves empty (what it offers as a hint)."""
    art = PanelArt(briefing, frame_width)
    prefetch([(art, p.id, frozenset()) for p in briefing.scene.panels]
             + [(art, panel_id, marked) for (_, panel_id), marked in briefing.marks.items()])
    for panel in briefing.scene.panels:
        art.image(panel.id)
    for (_, panel_id), marked in briefing.marks.items():
        art.image(panel_id, marked)
    faults, hints = list(art.faults), list(art.hints)
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
        hints += step_art.hints
    return list(dict.fromkeys(faults)), list(dict.fromkeys(hints))


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


def render_step(renderer, briefing: Briefing, art: PanelArt, step_index: int,
                hidden: frozenset[str] = frozenset()) -> np.ndarray:
    """One step's equirectangular frame: marked-row variants swapped in, others dimmed if
    highlighted, over the step's backdrop if it has one; `hidden` panels (that no projector
    shows) left out."""
    step = briefing.scene.steps[step_index]
    backdrop = briefing.scene.step_backdrop(step_index)
    if backdrop is None:
        renderer.set_backdrop(None)
    else:
        renderer.set_backdrop(backdrop.file, briefing.backdrops.get(backdrop.file), backdrop.brightness)
    shown = [panel_id for panel_id in step.show if panel_id not in hidden]
    for panel_id in shown:
        marked = briefing.marks.get((step_index, panel_id), frozenset())
        renderer.set_images(panel_id, art.image(panel_id, marked))
    return renderer.render(shown, step.highlighted)


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
    layout_faults: list[Problem] = field(default_factory=list)  # text cut, overlapping or over marks; panels not drawn
    layout_hints: list[Problem] = field(default_factory=list)  # space a panel leaves empty


def smallest_shown(arts, shown: set[str]) -> tuple[float, str]:
    """(degrees, panel id) of the smallest text among the panels the rendered steps show: every
    panel is drawn into the room, but `render --step N` must not name one that step hides."""
    sizes = [(deg, panel_id) for art in arts for panel_id, deg in art.smallest.items() if panel_id in shown]
    return min(sizes, default=(float("inf"), ""))


def wanted_pictures(views: Views, steps: list[int], hidden: frozenset[str]) -> list[tuple[PanelArt, str, frozenset[str]]]:
    """(art, panel id, marked rows) of every picture rendering `steps` (1-based) asks for: each
    panel as placed, and each step's panels in its parameter view with its marks."""
    default = views.default
    wanted: list[tuple[PanelArt, str, frozenset[str]]] = [
        (views.art(default), p.id, frozenset()) for p in default.scene.panels if p.id not in hidden]
    for n in steps:
        view = default.step_view(n - 1)
        for panel_id in default.scene.steps[n - 1].show:
            if panel_id not in hidden:
                wanted += [(views.art(view), panel_id, frozenset()),
                           (views.art(view), panel_id, view.marks.get((n - 1, panel_id), frozenset()))]
    return wanted


def render_briefing(briefing: Briefing, room: Room, out_dir: Path, size: tuple[int, int] = (4096, 2048),
                    steps: list[int] | None = None, progress: Progress | None = None,
                    jobs: int | None = None) -> RenderResult:
    """Render the chosen steps (1-based; all by default) and write the PNGs under `out_dir`;
    panels are drawn on `jobs` processes (default: the cores this process may use)."""
    from bridge.render.checks import unlit_panels
    from bridge.render.output import ImageWriter, contact_sheet, prepare_out_dir, save_frames, save_png
    from bridge.room.compositor import Compositor

    scene = briefing.scene
    steps = steps or list(range(1, len(scene.steps) + 1))
    for n in steps:
        if not 1 <= n <= len(scene.steps):
            raise BridgeError(Problem(scene.file, None, "steps",
                                      f"there is no step {n}; the scene has steps 1..{len(scene.steps)}"))
    width, height = size
    out_dir = prepare_out_dir(out_dir, len(scene.steps) if len(steps) == len(scene.steps) else None)
    art = PanelArt(briefing, width)
    result = RenderResult(out_dir, steps)
    # A panel no projector of the room shows (outside a front wall's yaws, say) is not drawn at all.
    unlit = unlit_panels(scene, briefing.data.doc, room)
    hidden = frozenset(unlit)
    thumbs: list[list[np.ndarray]] = []
    views = Views(briefing, art)
    prefetch(wanted_pictures(views, steps, hidden), jobs)  # before VTK, OpenCV and the writer's threads start
    compositor = Compositor(room, width, height)
    with make_renderer(briefing, width, height) as renderer, ImageWriter() as writer:
        add_panels(renderer, briefing, art, progress, only={p.id for p in scene.panels} - hidden)
        for k, n in enumerate(steps):
            view = views.place(renderer, briefing.step_view(n - 1), [p for p in scene.steps[n - 1].show if p not in hidden])
            frame = render_step(renderer, view, views.art(view), n - 1, hidden)
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
    result.smallest_text = smallest_shown(views.arts.values(), {p for n in steps for p in scene.steps[n - 1].show})
    shown_unlit = [unlit[p] for p in dict.fromkeys(p for n in steps for p in scene.steps[n - 1].show) if p in unlit]
    result.layout_faults = shown_unlit + list(dict.fromkeys(f for a in views.arts.values() for f in a.faults))
    result.layout_hints = list(dict.fromkeys(h for a in views.arts.values() for h in a.hints))
    return result
