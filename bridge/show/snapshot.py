"""The show as the web sees it: a JSON-able snapshot, published when anything in it changes.

The loop calls `Snapshot.publish` every turn; it is cheap when nothing changed (a tuple
compare), and otherwise builds a whole new dict for the web link (bridge/show/web_link.py),
so pages in other threads never see one half-written.  Step titles are filled with the values
the presenter has picked, as the room's panels are ({params.NAME}, `live_titles`); each
parameter says whether the current step uses it; and the watch page is told where the shown
step's content is (`step_looks`), to turn to it.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from bridge.geometry import panel_extent
from bridge.show.web_link import WebLink

if TYPE_CHECKING:
    from bridge.show.live import Live


class Snapshot:
    """Builds the show's snapshot for `link`, and counts versions of the picture the room shows."""

    def __init__(self, show: Live, link: WebLink):
        self.show, self.link = show, link
        self.frame_version = 0  # changes whenever the picture of the step the room shows changes
        self._picture_key: tuple[int, int, int] | None = None
        self._signature: tuple[object, ...] | None = None

    def shown_step(self) -> int:
        """The step whose picture is on the walls (a frozen room keeps showing one step)."""
        show = self.show
        view = show.windows.view or show.presenter.view
        if view.kind == "step":
            return min(view.step, show.prepared.step_count - 1)
        return show.presenter.frozen_at if show.presenter.frozen_at is not None else show.presenter.step

    def publish(self) -> None:
        """A new snapshot when anything the web shows has changed (cheap to call every turn)."""
        show = self.show
        pr = show.presenter
        shown = self.shown_step()
        picture = (shown, show.reloads.count, show.answers.step_pictures.get(shown, 0))
        if picture != self._picture_key:
            self._picture_key = picture
            self.frame_version += 1
        elapsed = int(time.monotonic() - show.started)
        signature = (pr.step, pr.blackout, pr.whiteout, pr.frozen_at, pr.digits, tuple(pr.chosen.items()),
                     id(show.prepared), self.frame_version, show.status, len(show.problems), elapsed)
        if signature == self._signature:
            return
        self._signature = signature
        self.link.publish(self._state(shown, elapsed))

    def _state(self, shown: int, elapsed: int) -> dict:
        show = self.show
        pr, prepared = show.presenter, show.prepared
        n, total = pr.step, prepared.step_count
        texts = getattr(prepared, "texts", None)
        titles = live_titles(prepared, pr)
        params = []
        for name, spec in pr.params.items():
            value = pr.value(name)
            used_on = steps_using(prepared, name)
            params.append({"name": name, "values": list(spec.values), "labels": list(spec.labels),
                           "value": value, "label": spec.label(value), "live": name in pr.chosen,
                           "kind": param_kind(spec.values, prepared.params, name),
                           "used": n + 1 in used_on, "used_on": used_on, "shown_used": shown + 1 in used_on})
        looks = prepared.looks
        return {
            "title": prepared.title,
            "step": n + 1, "steps": total, "titles": titles,
            "current": titles[n], "notes": prepared.notes[n] or "",
            "next": titles[n + 1] if n + 1 < total else None,
            "shown_step": shown + 1, "shown_title": titles[shown], "shown_notes": prepared.notes[shown] or "",
            "shown_text": show.answers.texts.get(shown) or step_text(texts, shown),
            "look": looks[shown] if shown < len(looks) else None,  # [yaw, pitch] of the shown step's content
            "view": pr.view.kind,  # "step", "black" or "white"
            "elapsed": show.elapsed_text(), "elapsed_s": elapsed,
            "blackout": pr.blackout, "whiteout": pr.whiteout, "frozen": pr.frozen_at is not None,
            "frozen_at": pr.frozen_at + 1 if pr.frozen_at is not None else None,
            "params": params,
            "frame": self.frame_version,
            "status": show.status, "problems": [str(p) for p in show.problems],
            "data_as_of": show.reloads.data_as_of(),  # "HH:MM": when the data on the walls was read (bridge/show/refresh.py)
        }


def param_kind(values, declared: list[dict], name: str) -> str:
    """How a remote picks this parameter: "toggle", "number" (a slider) or "choice" (a list)."""
    for p in declared:
        if p.get("name") == name and p.get("type") in ("toggle", "number", "choice"):
            return p["type"]
    if values and all(isinstance(v, bool) for v in values):
        return "toggle"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "choice"


def step_text(texts, step: int) -> list[str] | None:
    """A step's content as text (bridge/export/accessible.py's step_texts, when prepared carries them)."""
    if not texts or step >= len(texts):
        return None
    item = texts[step]
    if item is None:
        return None
    if isinstance(item, str):
        return [line for line in (part.strip() for part in item.split("\n")) if line]
    return [str(line) for line in item if str(line).strip()]


def step_values(presenter, step: int) -> dict:
    """Each parameter's value on `step` (0-based) as the room would show it now: the presenter's
    pick, else what the step's `params:` sets, else the default."""
    sets = presenter.step_params[step] if step < len(presenter.step_params) else {}
    return {name: presenter.chosen.get(name, sets.get(name, spec.default)) for name, spec in presenter.params.items()}


def live_titles(prepared, presenter) -> list[str]:
    """Every step's title with its {params.NAME} filled with the values picked live, as the room's
    panels are; a step without a template (or a show prepared without them) keeps its prepared title."""
    from bridge.scene.params import fill_labels

    titles = list(prepared.titles)
    for k, template in enumerate(prepared.templates[: len(titles)]):
        if not template:
            continue
        values = step_values(presenter, k)

        def label_of(name: str, values=values) -> str | None:
            spec = presenter.params.get(name)
            return spec.label(values[name]) if spec is not None else None

        titles[k] = fill_labels(template, label_of)
    return titles


def steps_using(prepared, name: str) -> list[int]:
    """The steps (1-based) whose pictures or title change with parameter `name`: their panels read
    it (`Prepared.reads`) or their title names it.  Every step when the show does not know."""
    reads = prepared.reads or []
    templates = prepared.templates
    if not reads:
        return list(range(1, prepared.step_count + 1))
    placeholder = "{params." + name + "}"
    return [k + 1 for k in range(prepared.step_count)
            if (k < len(reads) and name in reads[k]) or (k < len(templates) and placeholder in (templates[k] or ""))]


def step_looks(scene) -> list[list[float] | None]:
    """Where each step's content is, as [yaw, pitch] for the watch page to turn to: the middle of
    its highlighted panels, or else of all it shows (None for a step that shows none)."""
    panels = {p.id: p for p in scene.panels}
    looks: list[list[float] | None] = []
    for step in scene.steps:
        ids = [i for i in (step.highlighted or step.show) if i in panels] or [i for i in step.show if i in panels]
        extents = [panel_extent(panels[i].yaw, panels[i].pitch, panels[i].width, panels[i].height) for i in ids]
        looks.append(look_at(extents))
    return looks


WIDEST_LOOK = 120  # degrees of yaw: content spread wider than this is faced at its first panel, not its middle


def look_at(extents) -> list[float] | None:
    """[yaw, pitch] to face content at `extents` (yaw min, yaw max, pitch min, pitch max; the first
    panel first): the middle of the narrowest arc of yaw that holds them all, halfway up what
    they span; or, when that arc is wider than the watch page sees (WIDEST_LOOK, where its middle
    may be bare wall), the first one's centre.  None for no extents."""
    if not extents:
        return None
    covered = np.zeros(360, bool)  # one bin per degree of yaw, bin b at yaw b - 180
    for y0, y1, _, _ in extents:
        start = math.floor(y0)
        covered[(np.arange(start, start + max(1, min(360, math.ceil(y1 - start)))) + 180) % 360] = True
    arc = 360
    if not covered.all():  # the widest run of free bins, read from a covered bin so that no run wraps round
        first = int(np.argmax(covered))
        edges = np.diff(np.concatenate([[0], np.roll(~covered, -first).astype(int), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        widest = int(np.argmax(ends - starts))
        arc = 360 - int(ends[widest] - starts[widest])
        yaw = first + int(ends[widest]) + arc / 2 - 180
    if arc > WIDEST_LOOK:
        extents = extents[:1]
        yaw = (extents[0][0] + extents[0][1]) / 2
    yaw = (yaw + 180) % 360 - 180
    pitch = (min(e[2] for e in extents) + max(e[3] for e in extents)) / 2
    return [round(yaw, 1), round(max(-60.0, min(60.0, pitch)), 1)]
