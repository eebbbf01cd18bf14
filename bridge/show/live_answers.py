"""Live answers in the running show: a changed parameter redrawn by a warm worker, current step first.

The worker itself is bridge/show/answer.py; this is the show's side of it: which steps to ask
for and in what order, ask again when the room moves to a step the newest question has not
reached, take the answers in (new pictures on the walls, the 360° view and the text for the
web), fall back to preparing every step again without a worker, and time each answer.
New data in a refreshed dataset (bridge/show/reloads.py) is one more question: the worker redraws
the panels reading it and the answers come in the same way.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from bridge.errors import Problem

if TYPE_CHECKING:
    from bridge.show.answer import Answerer
    from bridge.show.live import Live

log = logging.getLogger("bridge.show")


class LiveAnswers:
    """The show's questions to the warm worker and the answers it has shown."""

    def __init__(self, show: Live):
        self.show = show
        self.answerer: Answerer | None = None  # the warm worker answering parameter changes (bridge/show/answer.py)
        self.answered = dict(show.prepared.chosen)  # the live values the room's pictures show
        self.steps: set[int] | None = None  # steps the newest question has reached (None: none asked)
        self.views: dict[int, bytes] = {}  # step -> its 360° view (JPEG) as a live answer changed it
        self.texts: dict[int, list[str]] = {}  # step -> its content as text, as a live answer changed it
        self.step_pictures: dict[int, int] = {}  # step -> how many live answers redrew it
        self.latencies: list[float] = []  # seconds from a parameter change to it on every window
        self.refreshing: tuple[int, list[int]] | None = None  # the refresh asked of the worker: (ask, steps)
        self._asked_at: float | None = None
        self._shown = False

    def start(self, prepared) -> None:
        """A warm worker for scenes with parameters (none for test patterns or a scene without)."""
        from bridge.show.answer import Answerer

        show = self.show
        if self.answerer is not None:
            self.answerer.close()
            self.answerer = None
        self.refreshing = None
        refreshed = show.reloads.refresh.refreshed_steps()  # steps reading a dataset with `refresh:`
        if (prepared.params or refreshed) and prepared.watched:
            self.answerer = Answerer(show.scene_path, show.room, show.size)
            steps = [s for s in self._asking_steps() if prepared.params] + refreshed
            self.answerer.warm(list(dict.fromkeys([show.presenter.step] + steps)))

    def restart(self, prepared) -> None:
        """New frames were swapped in: forget the answers to the old ones; the scene may have changed, so a fresh worker."""
        self.answered = dict(prepared.chosen)
        self.views, self.texts = {}, {}
        self.step_pictures = {}
        self.start(prepared)

    def ask(self, what: str) -> None:
        """The room asked a new question: the warm worker redraws the panels that read the changed
        parameter, current step first (or, without a worker, the steps are prepared again)."""
        show = self.show
        log.info("parameters: %s", ", ".join(f"{k}={v}" for k, v in show.presenter.values().items()))
        show.status = f"answering: {what}…"
        self._asked_at = time.perf_counter()
        show.reloads.preparer.chosen = dict(show.presenter.chosen)  # a reload renders these values too
        if self.answerer is not None and self.answerer.alive:
            self._ask_worker()
        else:
            show.reloads.preparer.request(what, chosen=show.presenter.chosen)

    def refresh(self, datasets: list[str], steps: list[int]) -> bool:
        """New data in `datasets`: the warm worker redraws the panels of `steps` reading them, the step
        on the walls first; False when there is no worker to ask (the steps are prepared again)."""
        if self.answerer is None or not self.answerer.alive or not steps:
            return False
        current = self.show.presenter.step
        order = sorted(steps, key=lambda s: s != current)
        self.refreshing = (self.answerer.refresh(self.show.presenter.chosen, order, datasets), order)
        self.steps = set()
        return True

    def follow(self) -> None:
        """The room moved: if the newest question has not reached its step yet, ask again with it first;
        a step reading refreshed data is kept warm, so new data reaches it at a live answer's pace."""
        step = self.show.presenter.step
        if self.answerer is not None and self.steps is not None and step not in self.steps \
                and step in self._asking_steps():
            self._ask_worker()
        elif self.answerer is not None and step in self.show.reloads.refresh.refreshed_steps():
            self.answerer.warm([step])  # nothing to do if the worker keeps its frame

    def _ask_worker(self) -> None:
        presenter = self.show.presenter
        current = presenter.view.step if presenter.view.kind == "step" else presenter.step
        order = [current] + [s for s in self._asking_steps() if s != current]
        assert self.answerer is not None  # the callers ask only a worker they have
        self.answerer.ask(presenter.chosen, order)
        self.steps = set()

    def _asking_steps(self) -> list[int]:
        prepared = self.show.prepared
        return [s for s, reads in enumerate(prepared.reads) if reads] if prepared.reads else list(range(prepared.step_count))

    def collect(self) -> bool:
        """Take the worker's answers in; True if one changed a picture on the walls."""
        if self.answerer is None:
            return False
        show, redraw = self.show, False
        if (show.status.startswith("answering") or self.refreshing) and not self.answerer.alive:  # killed (out of memory?)
            log.error("the answering worker stopped; preparing the steps again with the values asked for instead")
            refreshing, self.answerer, self.refreshing = self.refreshing, None, None
            show.reloads.preparer.request("the answering worker stopped", chosen=show.presenter.chosen)
            if refreshing is not None:  # and the new data it was drawing
                show.reloads.refresh_by_preparing("the answering worker stopped")
            return False
        for answer in self.answerer.poll():
            if answer.fallback is not None:  # a refresh the worker cannot show: prepared again
                self._refresh_failed(answer)
                continue
            if answer.ask and answer.ask != self.answerer.asked:
                continue  # overtaken by a newer question
            if answer.problems or answer.crash:
                self._failed(answer)
                continue
            if self.refreshing is not None and answer.ask >= self.refreshing[0]:  # the new data is on the walls
                self.refreshing = None
                show.reloads.refreshed()
            self.answered = dict(show.presenter.chosen)
            if self.steps is not None and answer.step is not None:
                self.steps.add(answer.step)
            show.problems = []
            if show.status.startswith("answering"):  # the newest question is answered, whatever it changed
                show.status = "ready"
                show.update_console()
            if not answer.images:
                continue  # that step's pictures do not change
            assert answer.step is not None  # images come only in a step's answer (bridge/show/answer.py)
            if answer.view is not None:
                self.views[answer.step] = answer.view
            if answer.text is not None:
                self.texts[answer.step] = answer.text
            self.step_pictures[answer.step] = self.step_pictures.get(answer.step, 0) + 1
            log.info("answered step %d in %.0f ms (%s)", answer.step + 1, answer.seconds * 1000, answer.how)
            if answer.layers is not None:  # a video step: play it under its new panels
                show.videos.answered(answer.step, answer.layers)
            if show.windows.replace_step(answer.step, answer.images):
                redraw = True
                self._shown = True
            show.status = "ready"
            show.update_console()
        return redraw

    def _refresh_failed(self, answer) -> None:
        """The worker could not show new data: prepare the steps again in a child (which keeps the last
        good picture and says why if the data itself is at fault)."""
        if answer.crash:
            log.error("refreshing in the answering worker crashed:\n%s", answer.crash)
        for p in answer.problems:
            log.error("refresh in the answering worker: %s", p)
        self.refreshing = None
        self.show.reloads.refresh_by_preparing(str(answer.fallback))

    def _failed(self, answer) -> None:
        show = self.show
        show.problems = answer.problems or [Problem(None, None, None, "answering failed; see the log")]
        if answer.crash:
            log.error("answering crashed:\n%s", answer.crash)
        for p in answer.problems:
            log.error("%s", p)
        if answer.ask:
            show.presenter.chosen = dict(self.answered)  # the console says what the room shows
            show.status = "kept the last good picture"
        else:
            self.answerer = None  # the worker could not start: fall back to preparing
            show.status = "ready"
        show.print_problems()
        show.update_console()

    def drawn(self) -> None:
        """A frame reached every window: if it shows an answer, time it from the question."""
        if self._shown and self._asked_at is not None:
            self.latencies.append(time.perf_counter() - self._asked_at)
            self._asked_at, self._shown = None, False

    def close(self) -> None:
        if self.answerer is not None:
            self.answerer.close()
