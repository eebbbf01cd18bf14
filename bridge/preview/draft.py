"""The preview's drawing, kept warm: a saved change redraws only the panels it touches.

Each panel's picture is kept under a content key — the panel's spec as resolved, the content its
data gave, the theme, the source line, the files it reads and the texture density — so after a
save the briefing is loaded again (its unchanged datasets come from memory:
`bridge.data.tables.keep_tables`) and only panels whose key changed are drawn.  A flat panel that
stays where it was is pasted into the step's last frame (`bridge.show.answer.paste_panel`, as a live
answer is); anything else (a moved panel, 3D geometry, another theme, a step that shows other
panels) re-places what changed in the warm 3D room and captures the step again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bridge.render.pipeline import PanelArt

KEEP_PICTURES = 256  # panel pictures kept across saves (a few MB each at a draft size)


@dataclass
class Kept:
    """A drawn panel picture and what drawing it found (messages only: lines move between saves)."""

    image: np.ndarray
    faults: list[str]
    hints: list[str]
    smallest: float


def _stat(path: Path) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), st.st_mtime_ns, st.st_size)


def panel_key(briefing, index: int, ppd: float) -> str:
    """The content key of panel `index`'s picture in `briefing` (a view): equal keys, equal pictures."""
    scene = briefing.scene
    panel = scene.panels[index]
    files = [_stat(scene.path(relative)) for _, relative in panel.files()]
    parts = (type(panel).__name__, panel.model_dump(), briefing.contents[index], briefing.theme,
             panel.source or scene.source, files, round(ppd, 6))
    try:
        blob = pickle.dumps(parts, protocol=5)
    except Exception:  # noqa: BLE001 - content that cannot be pickled is drawn every time
        blob = os.urandom(16)
    return hashlib.sha256(blob).hexdigest()[:32]


class KeyedArt(PanelArt):
    """`PanelArt` whose pictures come from (and go to) a store shared across saves, by content key."""

    def __init__(self, briefing, frame_width: int, store: OrderedDict, keys: dict[str, str]):
        super().__init__(briefing, frame_width)
        self.store, self.content_keys = store, keys
        self.drawn_now: list[str] = []  # panels drawn for this update, not taken from the store

    def image(self, panel_id: str, marked: frozenset[str] = frozenset()) -> np.ndarray:
        if (panel_id, marked) in self.cache:
            return self.cache[(panel_id, marked)]
        key = (self.content_keys[panel_id], marked)
        kept = self.store.get(key)
        if kept is None:
            faults, hints = len(self.faults), len(self.hints)
            image = super().image(panel_id, marked)
            kept = Kept(image, [p.message for p in self.faults[faults:]], [p.message for p in self.hints[hints:]],
                        self.smallest[panel_id])
            self.store[key] = kept
            while len(self.store) > KEEP_PICTURES:
                self.store.popitem(last=False)
            self.drawn_now.append(panel_id)
            return image
        self.store.move_to_end(key)
        self.cache[(panel_id, marked)] = kept.image
        i = next(k for k, p in enumerate(self.briefing.scene.panels) if p.id == panel_id)
        doc = self.briefing.data.doc
        for into, messages in ((self.faults, kept.faults), (self.hints, kept.hints)):
            for message in messages:
                problem = doc.problem(("panels", i), message)
                if problem not in into:
                    into.append(problem)
        self.smallest[panel_id] = min(self.smallest.get(panel_id, float("inf")), kept.smallest)
        return kept.image


@dataclass
class Shot:
    """A step's frame as last drawn, with what it was drawn from."""

    frame: np.ndarray
    keys: dict[str, tuple]  # panel id -> (content key, marked rows)
    extents: dict[str, tuple]
    flat: dict[str, bool]
    signature: tuple


@dataclass
class Drawn:
    """One update's frame and what the page needs to say about it."""

    frame: np.ndarray
    view: object  # the Briefing (parameter view) drawn
    art: KeyedArt
    how: str
    hidden: frozenset[str] = field(default_factory=frozenset)
    unlit: dict = field(default_factory=dict)  # panel id -> the warning that no projector shows it


class Draft:
    """The briefing, its panel pictures, the 3D room and each step's last frame, kept warm."""

    def __init__(self, scene_path: Path, room, size: tuple[int, int]):
        from bridge.data import tables

        tables.keep_tables()
        self.scene_path, self.room, self.size = Path(scene_path), room, size
        self.store: OrderedDict = OrderedDict()
        self.briefing: Any = None  # the last good Briefing (bridge/render/briefing.py)
        self.renderer: Any = None
        self.renderer_theme: str | None = None
        self.placed: dict[str, str] = {}  # panel id -> content key of the picture in the 3D room
        self.shots: dict[int, Shot] = {}
        self.inputs: list[tuple] = []  # the files the briefing read, as they were when it was loaded
        self.quick_loads = 0  # saves taken in by rebuilding one panel

    def load(self) -> None:
        """Load the scene again (BridgeError if it cannot be: the last good briefing stays); a save that
        changed one panel's YAML alone is taken in on the data already loaded (bridge/preview/quick_load.py)."""
        from bridge.preview.quick_load import one_panel_reload
        from bridge.render.briefing import load_briefing

        if self.briefing is not None and self.inputs == self._input_stats(self.briefing):
            quick = one_panel_reload(self.briefing, self.scene_path)
            if quick is not None:
                self.briefing, self.quick_loads = quick, self.quick_loads + 1
                self.inputs = self._input_stats(quick)
                return
        self.briefing = load_briefing(self.scene_path)
        self.inputs = self._input_stats(self.briefing)

    @staticmethod
    def _input_stats(briefing) -> list[tuple]:
        return [_stat(path) for path in briefing.scene.input_files()]

    def draw(self, s: int, chosen: dict) -> Drawn:
        """Step `s` (0-based) with the parameter values `chosen`, redrawing only what changed."""
        from bridge.render.checks import unlit_panels
        from bridge.render.pipeline import texture_density
        from bridge.show.answer import is_flat

        briefing = self.briefing
        assert briefing is not None  # the worker loads before it draws
        step = briefing.scene.steps[s]
        wanted = {**step.params, **{k: v for k, v in chosen.items() if k in briefing.scene.params}}
        view = briefing.view(wanted) if wanted else briefing
        unlit = unlit_panels(view.scene, view.data.doc, self.room)
        hidden = frozenset(unlit)
        ppd = texture_density(self.size[0])
        index = {p.id: i for i, p in enumerate(view.scene.panels)}
        shown = [pid for pid in dict.fromkeys(step.show) if pid not in hidden]
        base = {pid: panel_key(view, index[pid], ppd) for pid in shown}
        art = KeyedArt(view, self.size[0], self.store, base)
        keys = {pid: (base[pid], view.marks.get((s, pid), frozenset())) for pid in shown}
        panels = {pid: view.scene.panels[index[pid]] for pid in shown}
        extents = {pid: tuple(panels[pid].texture_extent()) for pid in shown}
        flat = {pid: is_flat(panels[pid]) for pid in shown}
        signature = self._signature(view, s, shown)
        before = self.shots.get(s)
        changed = [pid for pid in shown if before is None or before.keys.get(pid) != keys[pid]]
        if before is not None and before.signature == signature and all(
                before.extents.get(pid) == extents[pid] and flat[pid] and before.flat.get(pid) for pid in changed):
            frame = self._pasted(before.frame, view, art, s, changed, keys)
            how = f"pasted {len(changed)} panel(s)" if changed else "unchanged"
        else:
            frame = self._rendered(view, art, s, shown, base, hidden)
            how = "rendered"
        self.shots[s] = Shot(frame, keys, extents, flat, signature)
        return Drawn(frame, view, art, how, hidden, unlit)

    def _signature(self, view, s: int, shown: list[str]) -> tuple:
        """What besides the panels' pictures makes a step's frame: panels shown, highlight, backdrop, theme."""
        step = view.scene.steps[s]
        backdrop = view.scene.step_backdrop(s)
        drop = (backdrop.model_dump(), _stat(view.scene.path(backdrop.file))) if backdrop else None
        return tuple(shown), tuple(step.highlighted or ()), repr(drop), repr(view.theme)

    def _pasted(self, frame: np.ndarray, view, art: KeyedArt, s: int, changed: list[str], keys: dict) -> np.ndarray:
        from bridge.show.answer import paste_panel

        frame = frame.copy()
        step = view.scene.steps[s]
        panels = {p.id: p for p in view.scene.panels}
        for pid in changed:
            shade = view.theme.dim if step.highlighted and pid not in step.highlighted else 1.0
            paste_panel(frame, art.image(pid, keys[pid][1]), panels[pid].texture_extent(), shade)
        return frame

    def _rendered(self, view, art: KeyedArt, s: int, shown: list[str], base: dict, hidden: frozenset) -> np.ndarray:
        from bridge.render.pipeline import make_renderer, render_step

        if self.renderer is None or self.renderer_theme != repr(view.theme):
            if self.renderer is not None:
                self.renderer.close()
            self.renderer, self.renderer_theme, self.placed = make_renderer(view, *self.size), repr(view.theme), {}
            self.shots = {}
        index = {p.id: i for i, p in enumerate(view.scene.panels)}
        for pid in shown:
            if self.placed.get(pid) != base[pid]:
                view.scene.panels[index[pid]].place(self.renderer, art.image(pid), view.contents[index[pid]])
                self.placed[pid] = base[pid]
        return render_step(self.renderer, view, art, s, hidden)

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None
