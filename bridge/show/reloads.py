"""Reloads in the running show: an edited file, a dataset's refresh (or R) prepares the steps again while the show runs.

The file watcher notices a save; a dataset's `refresh:` timer comes due (bridge/show/refresh.py).
A changed dataset file and a timer are two triggers of one path: the datasets concerned are
read again in the background and, where their data changed, the warm answering worker
(bridge/show/answer.py) redraws only the panels reading them, the step on the walls first, and
its pictures replace the old ones as a live answer's do; the preparer then writes the new
frames to the cache in the background.  Where the worker cannot (no worker, a cluster, a video
step, a panel reading the data drawn in 3D, the worker failing), the background preparer
(bridge/show/preparer.py) renders the steps that read them in a child process, as an edit of
the scene does at once; the new frames are uploaded one texture a turn (so keys keep being
answered) and then swapped in all at once, with the scene's cross-fade where the step on the
walls changed.  A re-read or a preparation that fails keeps the last good frames on the walls
and says why on the console and in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from bridge.errors import Problem, counted
from bridge.show.preparer import BackgroundPreparer
from bridge.show.presenter import View, params_of
from bridge.show.refresh import Refresh, Reread
from bridge.show.watch import FileWatcher

if TYPE_CHECKING:
    import pyvista as pv

    from bridge.show.cache import Prepared
    from bridge.show.live import Live

log = logging.getLogger("bridge.show")


class Reloads:
    """Watches the scene's files, prepares again on request, and swaps the new frames in."""

    def __init__(self, show: Live, poll_interval: float):
        self.show = show
        self.watcher = FileWatcher(show.prepared.watched, interval=poll_interval)
        self.preparer = BackgroundPreparer(show.scene_path, show.room, show.size, self._progress)
        self.refresh = Refresh(show.scene_path, show.prepared)  # datasets read again on a timer or a change
        self.count = 0  # reloads swapped in so far
        self.refreshes_shown = 0  # refreshes the answering worker put on the walls
        self._refreshing: tuple[Reread, list[str]] | None = None  # new data the worker is drawing
        # (prepared, texture builder) while new frames are being uploaded
        self._incoming: tuple[Prepared, Iterator[list[list[pv.Texture]] | None]] | None = None

    def request(self, reason: str, fresh: bool = False) -> None:
        """Prepare the steps again; `fresh`: read the data again even where the cache holds these files."""
        if not self.show.prepared.watched:  # test patterns: nothing on disk to reload from
            log.info("reload: nothing to reload (%s)", reason)
            return
        log.info("reload: %s", reason)
        self.show.status = "re-preparing…"
        self.preparer.request(reason, fresh=fresh)

    def _progress(self, what: str, done: int, total: int) -> None:
        self.show.status = f"re-preparing: {what} {done}/{total}"
        self.show.update_console()

    def watch(self, now: float) -> None:
        """Ask for a reload if a watched file changed, or read a dataset again whose file changed or
        whose refresh is due (`now`: time.monotonic())."""
        changed = self.watcher.poll(now)
        if changed:
            names, others = self.refresh.datasets_of(changed)
            reason = "changed: " + ", ".join(p.name for p in changed)
            if others:  # the scene, a theme, an image: everything is prepared again
                self.request(reason)
            else:
                self.refresh.start(names, reason, self.preparer.chosen)
        due = self.refresh.due()
        if due and self.show.prepared.watched:
            self.refresh.start(due, "refresh: " + ", ".join(due), self.preparer.chosen)
        found = self.refresh.poll(self.preparer.chosen)
        if found is not None:
            self._reread(found)

    def _reread(self, found: Reread) -> None:
        """A re-read finished: prepare the steps whose data changed, or keep the picture and say why."""
        show = self.show
        if found.problems:
            show.problems = found.problems
            show.status = f"refresh failed ({found.reason}): kept the last good picture"
            for p in found.problems:
                log.error("refresh: %s", p)
            show.print_problems()
        else:
            changed = self.refresh.changed(found)
            if changed:
                if self._refreshing is not None:  # the worker is still drawing earlier new data: ask for both
                    earlier, drawing = self._refreshing
                    found.digests = {**{n: earlier.digests[n] for n in drawing}, **found.digests}
                    changed = sorted(set(changed) | set(drawing))
                self._refreshing = (found, changed)
                if not self._by_worker(changed):
                    self.refresh_by_preparing("no answering worker can draw it")
            else:
                log.info("refresh: %s unchanged (%s); data as of %s", ", ".join(found.names), found.reason,
                         self.refresh.as_of())
                if show.problems and show.status.startswith("refresh failed"):
                    show.problems, show.status = [], "ready"
        show.update_console()

    def _by_worker(self, changed: list[str]) -> bool:
        """Ask the answering worker to redraw the panels reading `changed`; False where it cannot (no
        worker, a cluster: its nodes hold frames of their own)."""
        from bridge.show.windows import ShowWindows

        show = self.show
        steps = self.refresh.steps_reading(changed)
        if not isinstance(show.windows, ShowWindows) or not show.answers.refresh(changed, steps):
            return False
        show.status = f"drawing new data in {', '.join(changed)}…"
        log.info("refresh: the answering worker redraws %s (steps %s)", ", ".join(changed),
                 ", ".join(str(s + 1) for s in steps))
        return True

    def refreshed(self) -> None:
        """The worker's picture of the new data is on the walls: data as of that read.  The preparer then
        renders the steps reading it in the background: the cache, and steps the worker cannot paste
        (a panel drawn in 3D, a video), swapped in when done."""
        if self._refreshing is None:
            return
        found, changed = self._refreshing
        self._refreshing = None
        self.refresh.shown(found, changed)
        self.refreshes_shown += 1
        log.info("refresh: new data in %s on the walls (%s); data as of %s", ", ".join(changed), found.reason,
                 self.refresh.as_of())
        self.preparer.request(f"new data in {', '.join(changed)} ({found.reason})", fresh=self._fresh(changed))

    def refresh_by_preparing(self, why: str) -> None:
        """Prepare the steps reading the new data in a child process (the worker could not: `why`)."""
        if self._refreshing is None:
            return
        found, changed = self._refreshing
        self._refreshing = None
        log.info("refresh: preparing %s again (%s)", ", ".join(changed), why)
        self.request(f"new data in {', '.join(changed)} ({found.reason})", fresh=self._fresh(changed))

    def _fresh(self, changed: list[str]) -> bool:
        """Whether a source the cache's key cannot see (a database) has changed: read it afresh."""
        return bool(set(changed) - set().union(*self.refresh.files.values()))

    def collect(self) -> None:
        """Take the background preparation's outcome in: new frames start uploading, or the last good ones stay."""
        show = self.show
        outcome = self.preparer.poll()
        if outcome is None:
            return
        if outcome.prepared is not None:
            self._incoming = (outcome.prepared, show.windows.texture_builder(outcome.prepared))
            self.watcher.set_paths(outcome.prepared.watched)
            show.status = "swapping in new frames…"
            show.update_console()
            return
        self.refresh.asked = {}  # not prepared: the next refresh asks again
        if outcome.problems:
            show.problems = outcome.problems
            show.status = "kept the last good frames"
            show.presenter.chosen = dict(show.prepared.chosen)  # the console says what the room shows
            for p in outcome.problems:
                log.error("%s", p)
            show.print_problems()
        else:
            show.problems = [Problem(None, None, None, "preparing the steps failed; see the log")]
            show.status = "kept the last good frames"
            log.error("preparation crashed:\n%s", outcome.crash)
            show.print_problems()
        show.update_console()

    def upload(self) -> bool:
        """Build one new texture per turn, then swap them all in at once; True when swapped with a cut
        (the room must be redrawn now), False while building or when a cross-fade started."""
        if self._incoming is None:
            return False
        prepared, builder = self._incoming
        built = next(builder)
        if built is None:
            return False
        show = self.show
        self._incoming = None
        self._refreshing = None  # a fresh worker: new data not yet shown is found again by the next re-read
        leaving = self._leaving(prepared)
        show.prepared = prepared
        show.videos.reset()
        show.windows.set_frames(prepared, textures=built)
        self.refresh.update(prepared)
        show.presenter.set_step_count(prepared.step_count)
        show.presenter.set_params(params_of(prepared), prepared.step_params)
        self.count += 1
        show.answers.restart(prepared)  # the scene may have changed: a fresh worker
        show.problems = []
        show.status = "ready" if not self.preparer.busy else "re-preparing…"
        steps = counted(prepared.step_count, "step")
        log.info("reloaded: %s%s", steps, " (from cache)" if prepared.from_cache else "")
        if show.console:
            show.console.message(f"reloaded: {steps}")
        show.update_console()
        return not self._fade(leaving)

    def _leaving(self, prepared: Prepared) -> list[np.ndarray] | None:
        """The projector images on the walls now, if the new frames change the step shown and the
        scene cross-fades (a step a live answer or a video redrew is cut to: its picture is not these)."""
        show = self.show
        view = show.windows.view
        if not prepared.transition_ms or view is None or view.kind != "step" or show.windows.fade is not None \
                or show.answers.step_pictures.get(view.step) or show.prepared.video(view.step) \
                or view.step >= min(prepared.step_count, show.prepared.step_count):
            return None
        old = [np.asarray(f[view.step]) for f in show.prepared.frames]
        new = [f[view.step] for f in prepared.frames]
        if all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(old, new)):
            return None
        return [a.copy() for a in old]

    def _fade(self, leaving: list[np.ndarray] | None) -> bool:
        """Cross-fade from `leaving` to the new frames of the step shown; True if a fade started
        (it then draws itself, turn by turn)."""
        from bridge.show.windows import ShowWindows

        windows = self.show.windows
        view = windows.view
        if leaving is None or view is None or view.kind != "step" or not isinstance(windows, ShowWindows):
            return False  # a cluster's controller shows thumbnails and its nodes no `leaving`: a cut
        windows.view = View("step", -1)  # a step other than the one shown: `show` fades from `leaving`
        windows.show(view, self.show.prepared.transition_ms, time.perf_counter(), leaving)
        return windows.fade is not None

    def data_as_of(self) -> str | None:
        """"HH:MM": when the data on the walls was read (the console and the watch page say it)."""
        return self.refresh.as_of()

    def close(self) -> None:
        self.preparer.join(timeout=0.1)
