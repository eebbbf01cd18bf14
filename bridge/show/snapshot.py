"""The show as the web sees it: a JSON-able snapshot, published when anything in it changes.

The loop calls `Snapshot.publish` every turn; it is cheap when nothing changed (a tuple
compare), and otherwise builds a whole new dict for the web link (bridge/show/web_link.py),
so pages in other threads never see one half-written.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

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
        params = []
        for name, spec in pr.params.items():
            value = pr.value(name)
            params.append({"name": name, "values": list(spec.values), "labels": list(spec.labels),
                           "value": value, "label": spec.label(value), "live": name in pr.chosen,
                           "kind": param_kind(spec.values, prepared.params, name)})
        return {
            "title": prepared.title,
            "step": n + 1, "steps": total, "titles": list(prepared.titles),
            "current": prepared.titles[n], "notes": prepared.notes[n] or "",
            "next": prepared.titles[n + 1] if n + 1 < total else None,
            "shown_step": shown + 1, "shown_title": prepared.titles[shown], "shown_notes": prepared.notes[shown] or "",
            "shown_text": show.answers.texts.get(shown) or step_text(texts, shown),
            "view": pr.view.kind,  # "step", "black" or "white"
            "elapsed": show.elapsed_text(), "elapsed_s": elapsed,
            "blackout": pr.blackout, "whiteout": pr.whiteout, "frozen": pr.frozen_at is not None,
            "frozen_at": pr.frozen_at + 1 if pr.frozen_at is not None else None,
            "params": params,
            "frame": self.frame_version,
            "status": show.status, "problems": [str(p) for p in show.problems],
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
