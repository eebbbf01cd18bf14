"""Reloads in the running show: an edited file (or R) prepares the steps again while the show runs.

The file watcher notices a save; the background preparer (bridge/show/preparer.py) renders
in a child process; the new frames are uploaded one texture a turn (so keys keep being
answered) and then swapped in all at once.  A preparation that fails keeps the last good
frames on the walls and says why on the console and in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bridge.errors import Problem, counted
from bridge.show.preparer import BackgroundPreparer
from bridge.show.presenter import params_of
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
        self.count = 0  # reloads swapped in so far
        # (prepared, texture builder) while new frames are being uploaded
        self._incoming: tuple[Prepared, Iterator[list[list[pv.Texture]] | None]] | None = None

    def request(self, reason: str) -> None:
        if not self.show.prepared.watched:  # test patterns: nothing on disk to reload from
            log.info("reload: nothing to reload (%s)", reason)
            return
        log.info("reload: %s", reason)
        self.show.status = "re-preparing…"
        self.preparer.request(reason)

    def _progress(self, what: str, done: int, total: int) -> None:
        self.show.status = f"re-preparing: {what} {done}/{total}"
        self.show.update_console()

    def watch(self, now: float) -> None:
        """Ask for a reload if a watched file changed (`now`: time.monotonic())."""
        changed = self.watcher.poll(now)
        if changed:
            self.request("changed: " + ", ".join(p.name for p in changed))

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
        elif outcome.problems:
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
        """Build one new texture per turn, then swap them all in at once; True when swapped."""
        if self._incoming is None:
            return False
        prepared, builder = self._incoming
        built = next(builder)
        if built is None:
            return False
        show = self.show
        self._incoming = None
        show.prepared = prepared
        show.videos.reset()
        show.windows.set_frames(prepared, textures=built)
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
        return True

    def close(self) -> None:
        self.preparer.join(timeout=0.1)
